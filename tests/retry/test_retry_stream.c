/* Retries of streams, pull (mistral_chat_stream_open/next) and push
 * (mistral_chat_complete_streaming), over the loopback fixture server: a
 * stream is retried only while nothing has reached the caller (an HTTP
 * error before the stream, a connection failure before the first chunk);
 * once a chunk was delivered, a failure is final. The count of exchanges
 * the server served proves how many attempts were made (an extra attempt
 * would be a fixture mismatch). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "retry_test_util.h"

typedef rt_seen seen;

/* Pull: open, then next() to the end; returns the first failure. */
static int run_pull(rt_ctx *t, const mistral_call_options *opts, seen *s, int *open_rc) {
  memset(s, 0, sizeof *s);
  mistral_chat_request *req = rt_hello(opts);
  mistral_chat_stream *st = NULL;
  int rc = mistral_chat_stream_open(&st, t->client, req, t->err);
  *open_rc = rc;
  if (rc == MISTRAL_OK) {
    const mistral_chat_chunk *chunk;
    while ((rc = mistral_chat_stream_next(&chunk, st, t->err)) == MISTRAL_OK && chunk)
      rt_note_chunk(s, chunk);
    /* Every later call reports the same. */
    if (rc != MISTRAL_OK)
      assert_int_equal(mistral_chat_stream_next(&chunk, st, NULL), rc);
  } else {
    assert_null(st);
  }
  mistral_chat_stream_free(st);
  mistral_chat_request_free(req);
  return rc;
}

/* Push: the whole stream; final text into s->text when not NULL. */
static int run_push(rt_ctx *t, const mistral_call_options *opts, seen *s, char *final_text,
                    size_t final_len) {
  memset(s, 0, sizeof *s);
  mistral_chat_request *req = rt_hello(opts);
  mistral_chat_response *final = NULL;
  int rc = mistral_chat_complete_streaming(&final, t->client, req, rt_on_chunk, s, t->err);
  if (final_text) {
    final_text[0] = '\0';
    if (final && mistral_chat_response_text(final))
      snprintf(final_text, final_len, "%s", mistral_chat_response_text(final));
  }
  mistral_chat_response_free(final);
  mistral_chat_request_free(req);
  return rc;
}

/* ---- retried: nothing was delivered ---- */

static void test_503_before_stream_retried(void **state) {
  rt_ctx *t = *state;
  seen s;
  int open_rc;
  tu_expect(t->fs, "retry/stream-503.fixture", 1);
  tu_expect(t->fs, "retry/stream-ok.fixture", 1);
  assert_int_equal(run_pull(t, NULL, &s, &open_rc), MISTRAL_OK);
  assert_int_equal(s.chunks, 4);
  assert_string_equal(s.text, "Bonjour !");
  rt_assert_logged(t, "POST /v1/chat/completions: attempt 1/3: HTTP 503; retrying in ");
  rt_assert_logged(t, "attempt 2/3: HTTP 200, stream begun");
  tu_assert_served(t->fs);

  rt_log_clear(t);
  tu_expect(t->fs, "retry/stream-503.fixture", 2);
  tu_expect(t->fs, "retry/stream-ok.fixture", 1);
  char final[128];
  assert_int_equal(run_push(t, NULL, &s, final, sizeof final), MISTRAL_OK);
  assert_int_equal(s.chunks, 4); /* each chunk once: none from a failed attempt */
  assert_string_equal(s.text, "Bonjour !");
  assert_string_equal(final, "Bonjour !");
  rt_assert_logged(t, "attempt 2/3: HTTP 503; retrying in ");
  rt_assert_logged(t, "attempt 3/3: HTTP 200");
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 5);
}

static void test_cut_before_first_chunk_retried(void **state) {
  rt_ctx *t = *state;
  seen s;
  int open_rc;
  tu_expect(t->fs, "retry/stream-cut-before-chunk.fixture", 1);
  tu_expect(t->fs, "retry/stream-ok.fixture", 1);
  int rc = run_pull(t, NULL, &s, &open_rc);
  if (rc != MISTRAL_OK) fail_msg("pull: %s", mistral_error_message(t->err));
  assert_int_equal(s.chunks, 4);
  assert_string_equal(s.text, "Bonjour !");
  rt_assert_logged(t, "attempt 1/3: response cut short; retrying in ");
  tu_assert_served(t->fs);

  rt_log_clear(t);
  tu_expect(t->fs, "retry/stream-cut-before-chunk.fixture", 2);
  tu_expect(t->fs, "retry/stream-ok.fixture", 1);
  char final[128];
  rc = run_push(t, NULL, &s, final, sizeof final);
  if (rc != MISTRAL_OK) fail_msg("push: %s", mistral_error_message(t->err));
  assert_int_equal(s.chunks, 4);
  assert_string_equal(final, "Bonjour !");
  rt_assert_logged(t, "attempt 2/3: response cut short; retrying in ");
  tu_assert_served(t->fs);
}

static void test_connection_refused(void **state) {
  rt_ctx *t = *state;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", tu_closed_port());
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  seen s;
  int open_rc;
  assert_int_equal(run_pull(t, NULL, &s, &open_rc), MISTRAL_E_CONNECT);
  assert_int_equal(open_rc, MISTRAL_E_CONNECT);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  assert_true(rt_ends_with(mistral_error_message(t->err), " (after 3 attempts)"));
  assert_int_equal(rt_log_count(t, ": attempt "), 3);

  rt_log_clear(t);
  assert_int_equal(run_push(t, NULL, &s, NULL, 0), MISTRAL_E_CONNECT);
  assert_int_equal(s.chunks, 0);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  assert_true(rt_ends_with(mistral_error_message(t->err), " (after 3 attempts)"));
  rt_assert_logged(t, "attempt 3/3: could not connect to the server; no attempts left");
}

static void test_always_503_gives_up(void **state) {
  rt_ctx *t = *state;
  seen s;
  int open_rc;
  tu_expect(t->fs, "retry/stream-503.fixture", 3);
  assert_int_equal(run_pull(t, NULL, &s, &open_rc), MISTRAL_E_SERVER);
  assert_int_equal(open_rc, MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_http_status(t->err), 503);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  assert_string_equal(mistral_error_message(t->err),
                      "HTTP 503 (server error): Service unavailable, please retry later "
                      "[request id 5f6a7b8c9d0e41f2a3b4c5d6e7f8a9b0] (after 3 attempts)");
  tu_assert_served(t->fs);

  tu_expect(t->fs, "retry/stream-503.fixture", 3);
  assert_int_equal(run_push(t, NULL, &s, NULL, 0), MISTRAL_E_SERVER);
  assert_int_equal(s.chunks, 0);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  assert_true(rt_ends_with(mistral_error_message(t->err), " (after 3 attempts)"));
  tu_assert_served(t->fs);

  /* Retries off for this call: one attempt. */
  mistral_call_options *o = NULL;
  assert_int_equal(mistral_call_options_new(&o), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_max_attempts(o, 1), MISTRAL_OK);
  tu_expect(t->fs, "retry/stream-503.fixture", 1);
  assert_int_equal(run_pull(t, o, &s, &open_rc), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  tu_expect(t->fs, "retry/stream-503.fixture", 1);
  assert_int_equal(run_push(t, o, &s, NULL, 0), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  mistral_call_options_free(o);
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 8);
}

/* ---- not retried: chunks were delivered ---- */

static void test_cut_after_two_chunks_not_retried(void **state) {
  rt_ctx *t = *state;
  seen s;
  int open_rc;
  /* One exchange queued: a retry would be a mismatch. */
  tu_expect(t->fs, "retry/stream-cut-after-2.fixture", 1);
  assert_int_equal(run_pull(t, NULL, &s, &open_rc), MISTRAL_E_TRUNCATED);
  assert_int_equal(open_rc, MISTRAL_OK);
  assert_int_equal(s.chunks, 2);
  assert_string_equal(s.text, "Bonjour");
  assert_int_equal(mistral_error_code(t->err), MISTRAL_E_TRUNCATED);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  assert_null(strstr(mistral_error_message(t->err), "attempts)"));
  assert_int_equal(rt_log_count(t, "retrying"), 0);
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 1);

  tu_expect(t->fs, "retry/stream-cut-after-2.fixture", 1);
  char final[128];
  assert_int_equal(run_push(t, NULL, &s, final, sizeof final), MISTRAL_E_TRUNCATED);
  assert_int_equal(s.chunks, 2);
  assert_string_equal(s.text, "Bonjour");
  assert_string_equal(final, "Bonjour"); /* the partial answer */
  assert_int_equal(mistral_error_attempts(t->err), 1);
  assert_int_equal(rt_log_count(t, "retrying"), 0);
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 2);
}

/* A retried stream that then delivers and is cut: the count says 2. */
static void test_retried_then_cut(void **state) {
  rt_ctx *t = *state;
  seen s;
  int open_rc;
  tu_expect(t->fs, "retry/stream-503.fixture", 1);
  tu_expect(t->fs, "retry/stream-cut-after-2.fixture", 1);
  assert_int_equal(run_pull(t, NULL, &s, &open_rc), MISTRAL_E_TRUNCATED);
  assert_int_equal(open_rc, MISTRAL_OK);
  assert_int_equal(s.chunks, 2);
  tu_assert_served(t->fs);

  tu_expect(t->fs, "retry/stream-503.fixture", 1);
  tu_expect(t->fs, "retry/stream-cut-after-2.fixture", 1);
  assert_int_equal(run_push(t, NULL, &s, NULL, 0), MISTRAL_E_TRUNCATED);
  assert_int_equal(s.chunks, 2);
  assert_int_equal(mistral_error_attempts(t->err), 2);
  assert_true(rt_ends_with(mistral_error_message(t->err), " (after 2 attempts)"));
  tu_assert_served(t->fs);
}

/* ---- cancel during the wait before a stream's retry ---- */

static volatile int cancel_flag;

static void *cancel_when_waiting(void *arg) {
  rt_ctx *t = arg;
  for (int i = 0; i < 30000 && !atomic_load(&t->log.saw_retry); i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  struct timespec ts = {0, 30000000};
  nanosleep(&ts, NULL);
  cancel_flag = 1;
  return NULL;
}

static void test_cancel_during_backoff(void **state) {
  rt_ctx *t = *state;
  mistral_call_options *o = NULL;
  assert_int_equal(mistral_call_options_new(&o), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_retry_backoff(o, 600000, 600000, 1.0, 0.0),
                   MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_cancel_flag(o, &cancel_flag), MISTRAL_OK);
  for (int push = 0; push < 2; push++) {
    cancel_flag = 0;
    atomic_store(&t->log.saw_retry, 0);
    tu_expect(t->fs, "retry/stream-503.fixture", 1);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, cancel_when_waiting, t), 0);
    seen s;
    int open_rc;
    int rc = push ? run_push(t, o, &s, NULL, 0) : run_pull(t, o, &s, &open_rc);
    pthread_join(th, NULL);
    assert_int_equal(rc, MISTRAL_E_CANCELLED);
    assert_int_equal(mistral_error_code(t->err), MISTRAL_E_CANCELLED);
    assert_int_equal(mistral_error_attempts(t->err), 1);
    assert_non_null(strstr(mistral_error_message(t->err), "while waiting to retry"));
    tu_assert_served(t->fs);
  }
  mistral_call_options_free(o);
  assert_int_equal(fixture_server_requests(t->fs), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
      T(test_503_before_stream_retried),
      T(test_cut_before_first_chunk_retried),
      T(test_connection_refused),
      T(test_always_503_gives_up),
      T(test_cut_after_two_chunks_not_retried),
      T(test_retried_then_cut),
      T(test_cancel_during_backoff),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
