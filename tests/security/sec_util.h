/* Shared helpers of tests/security; what every area shares is in
 * tests/support/test_util.h. Public API only, so that both white-box
 * (static library) and black-box (shared library) tests can link them.
 * Every helper fails the running cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_SEC_UTIL_H
#define LIBMISTRAL_TEST_SEC_UTIL_H

#include <stddef.h>

#include <mistral/mistral.h>

#include "test_util.h"

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

/* A client for url with SEC_TEST_KEY and a 60 s connect timeout (the TLS
 * handshake counts, and loading the system CA store under valgrind is slow). */
mistral_client *sec_client(const char *url);

/* "$MISTRAL_FIXTURES/<rel>" read whole, with every "{{NAME}}" of the
 * (name, value) pairs replaced (pairs end with a NULL name). malloc'd. */
char *sec_fixture_text(const char *rel, const char *const *pairs);

#endif
