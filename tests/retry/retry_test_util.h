/* Shared helpers of tests/retry: a fixture server and a client pointed at
 * it with quick retries, the client's log captured, requests. What every
 * area shares is in tests/support/test_util.h. Every helper fails the
 * running cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_RETRY_UTIL_H
#define LIBMISTRAL_TEST_RETRY_UTIL_H

#include <stdatomic.h>
#include <stddef.h>

#include <mistral/mistral.h>

#include "test_util.h"

/* A fake key; tests/fixtures/retry/503-key-echo.fixture echoes it back. */
#define RT_KEY "sk-RETRY-4b7e1c9a"

/* Log lines captured from the client's log callback (all levels). */
typedef struct rt_log {
  char **lines;
  size_t count;
  /* Raised when a line says "retrying in": lets another thread act while
   * the client waits between two attempts. */
  atomic_int saw_retry;
} rt_log;

/* One test's world, made by rt_setup() and freed by rt_teardown(). */
typedef struct rt_ctx {
  fixture_server *fs;     /* started with RT_KEY */
  mistral_client *client; /* environment ignored; URL and key of fs; quick
                             backoff (1 ms, then 2, 4... up to 20 ms);
                             default attempts (3); log captured */
  mistral_error *err;
  rt_log log;
} rt_ctx;

int rt_setup(void **state);
int rt_teardown(void **state);

/* Unsets MISTRAL_API_KEY, MISTRAL_SERVER_URL and MISTRAL_TIMEOUT_MS. */
void rt_clear_env(void);

/* {"model": "mistral-small-latest", messages: [user "Hello"]}, with opts
 * attached when not NULL. */
mistral_chat_request *rt_hello(const mistral_call_options *opts);

/* mistral_chat_complete with rt_hello(opts); the response is checked
 * ("Bonjour ! Comment puis-je vous aider ?") on success and freed. Returns
 * the status; t->err holds the error. */
int rt_chat(rt_ctx *t, const mistral_call_options *opts);

/* What a stream delivered to the caller (zero it before a run). */
typedef struct rt_seen {
  int open_rc;    /* pull: what mistral_chat_stream_open returned */
  size_t chunks;  /* chunks handed to the caller */
  char text[256]; /* their text (choice 0's deltas), joined */
  int has_final;  /* push: a (partial) final response came back */
  char final_text[256];
} rt_seen;

/* Counts chunk and appends its text to s. */
void rt_note_chunk(rt_seen *s, const mistral_chat_chunk *chunk);
/* A push callback doing rt_note_chunk (user_data: the rt_seen). */
int rt_on_chunk(const mistral_chat_chunk *chunk, void *user_data);

/* Lines of the log holding needle. */
size_t rt_log_count(const rt_ctx *t, const char *needle);
/* Fails unless some line holds needle (prints the log otherwise). */
void rt_assert_logged(const rt_ctx *t, const char *needle);
/* Forgets the lines captured so far. */
void rt_log_clear(rt_ctx *t);

/* Fails if key occurs in any log line or in any string of err. */
void rt_assert_clean(const rt_ctx *t, const mistral_error *err, const char *key);

/* Non-zero when haystack (may be NULL) ends with suffix. */
int rt_ends_with(const char *haystack, const char *suffix);

#endif
