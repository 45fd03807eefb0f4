/* Shared helpers of tests/security. Public API only, so that both white-box
 * (static library) and black-box (shared library) tests can link them.
 * Every helper fails the running cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_SEC_UTIL_H
#define LIBMISTRAL_TEST_SEC_UTIL_H

#include <stddef.h>

#include <mistral/mistral.h>

/* A fake, distinctive key; every error string and log line is searched for
 * it. Fixtures under tests/fixtures/security/ may echo it on purpose. */
#define SEC_TEST_KEY "sk-SECRET-5b8d2e71a4"

/* Log lines captured from a client's log callback (thread-safe). */
typedef struct sec_log sec_log;
sec_log *sec_log_new(void);
void sec_log_free(sec_log *log);
size_t sec_log_count(const sec_log *log);
/* Routes every level of c's log into log. */
void sec_log_attach(sec_log *log, mistral_client *c);
/* Fails if key occurs in a captured line. */
void sec_assert_log_clean(const sec_log *log, const char *key);

/* Fails if key occurs in any string the error object exposes. */
void sec_assert_error_clean(const mistral_error *err, const char *key);

/* Unsets MISTRAL_API_KEY and MISTRAL_SERVER_URL. */
void sec_clear_env(void);

/* A client for url with SEC_TEST_KEY and a 60 s connect timeout (the TLS
 * handshake counts, and loading the system CA store under valgrind is slow). */
mistral_client *sec_client(const char *url);

/* {"model": "mistral-small-latest", "messages": [user "Hello"]}. */
mistral_chat_request *sec_hello_request(void);

/* "$MISTRAL_FIXTURES/<rel>" read whole, with every "{{NAME}}" of the
 * (name, value) pairs replaced (pairs end with a NULL name). malloc'd. */
char *sec_fixture_text(const char *rel, const char *const *pairs);

/* A loopback port nothing listens on. */
int sec_closed_port(void);

#endif
