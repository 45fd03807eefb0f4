/* Shared helpers of the tests/http suite: a fixture server and a client
 * pointed at it, fixture paths, and inspection of what the server received.
 * Every helper fails the running cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_HTTP_UTIL_H
#define LIBMISTRAL_TEST_HTTP_UTIL_H

#include <stddef.h>

#include <mistral/mistral.h>

#include "fixture_server.h"

/* A fake, distinctive key: tests search every error string and log line for
 * it. Some fixtures under tests/fixtures/errors/ echo it back on purpose. It
 * is short (under 20 bytes) so that jansson quotes it whole in a parse error
 * message ("... near '\"<key>...'"), a path the library must redact too. */
#define HTTP_TEST_KEY "sk-LEAK-7c1f3a9e"

/* Log lines captured from the client's log callback. */
typedef struct http_log {
  char **lines;
  size_t count;
} http_log;

/* One test's world, made by http_setup() and freed by http_teardown(). */
typedef struct http_ctx {
  fixture_server *fs;     /* started with HTTP_TEST_KEY */
  mistral_client *client; /* environment ignored; URL and key of fs */
  mistral_error *err;
  http_log log;           /* filled when http_capture_log() was called */
} http_ctx;

/* cmocka group/test fixtures. */
int http_setup(void **state);
int http_teardown(void **state);

/* Unsets MISTRAL_API_KEY and MISTRAL_SERVER_URL (a developer may have them). */
void http_clear_env(void);

/* "$MISTRAL_FIXTURES/<rel>", malloc'd. */
char *http_fixture_path(const char *rel);

/* Queues the fixture file rel (relative to $MISTRAL_FIXTURES). */
void http_expect(http_ctx *t, const char *rel, unsigned repeat);

/* Fails unless every queued exchange was served and none mismatched. */
void http_assert_served(const http_ctx *t);

/* A request {"model": "mistral-small-latest", messages: [user "Hello"]}. */
mistral_chat_request *http_hello_request(void);

/* The value of the header `name` (case-insensitive) in the i-th request the
 * server received, malloc'd, or NULL; *count (when not NULL) receives how
 * many times the header occurred. */
char *http_received_header(const fixture_server *fs, size_t i, const char *name,
                           size_t *count);

/* The body of the i-th received request, malloc'd ("" when none). */
char *http_received_body(const fixture_server *fs, size_t i);

/* Fails if key occurs in any string the error object exposes. */
void http_assert_error_clean(const mistral_error *err, const char *key);

/* Fails if key occurs in any captured log line. */
void http_assert_log_clean(const http_log *log, const char *key);

/* Routes the client's log (all levels) into t->log. */
void http_capture_log(http_ctx *t);
/* The same, with lines above min_level filtered out by the library. */
void http_capture_log_level(http_ctx *t, mistral_log_level min_level);

/* A loopback TCP port nothing listens on (bound, then closed). */
int http_closed_port(void);

/* Non-zero when needle occurs in haystack (NULL haystack: 0). */
int http_contains(const char *haystack, const char *needle);

#endif
