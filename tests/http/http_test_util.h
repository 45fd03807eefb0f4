/* Shared helpers of the tests/http suite: one test's world (a fixture
 * server and a client pointed at it), the headers the server received, and
 * the client's log captured. What every area shares is in
 * tests/support/test_util.h. Every helper fails the running cmocka test on
 * an unexpected condition. */
#ifndef LIBMISTRAL_TEST_HTTP_UTIL_H
#define LIBMISTRAL_TEST_HTTP_UTIL_H

#include <stddef.h>

#include <mistral/mistral.h>

#include "test_util.h"

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

/* The value of the header `name` (case-insensitive) in the i-th request the
 * server received, malloc'd, or NULL; *count (when not NULL) receives how
 * many times the header occurred. */
char *http_received_header(const fixture_server *fs, size_t i, const char *name,
                           size_t *count);

/* Fails if key occurs in any captured log line. */
void http_assert_log_clean(const http_log *log, const char *key);

/* Routes the client's log (all levels) into t->log. */
void http_capture_log(http_ctx *t);
/* The same, with lines above min_level filtered out by the library. */
void http_capture_log_level(http_ctx *t, mistral_log_level min_level);

#endif
