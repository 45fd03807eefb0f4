/* Retries of non-streaming calls over the loopback fixture server (public
 * API only): which failures are retried and how many times, Retry-After,
 * the deadline, per-call overrides of the client's policy, the request body
 * re-sent intact, the log of each attempt (never the key), the final
 * error's attempt count, and cancellation during a wait.
 *
 * No test measures time: waits are a few ms (or the server's Retry-After-Ms
 * and Retry-After: 0), and what is checked is the order and number of
 * exchanges, the outcome and the log lines (which state each wait). */
#include <math.h>
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

static mistral_call_options *options(void) {
  mistral_call_options *o = NULL;
  assert_int_equal(mistral_call_options_new(&o), MISTRAL_OK);
  return o;
}

/* ---- connection failures ---- */

static void test_connection_refused_every_attempt(void **state) {
  rt_ctx *t = *state;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", tu_closed_port());
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_CONNECT);
  assert_int_equal(mistral_error_code(t->err), MISTRAL_E_CONNECT);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  assert_true(rt_ends_with(mistral_error_message(t->err), " (after 3 attempts)"));
  assert_int_equal(mistral_error_http_status(t->err), 0);
  assert_true(mistral_error_is_retryable(t->err));
  rt_assert_logged(t, "POST /v1/chat/completions: attempt 1/3: could not connect to the server; "
                      "retrying in ");
  rt_assert_logged(t, "attempt 2/3: could not connect to the server; retrying in ");
  rt_assert_logged(t, "attempt 3/3: could not connect to the server; no attempts left");
  assert_int_equal(rt_log_count(t, ": attempt "), 3);
  assert_int_equal(fixture_server_requests(t->fs), 0);
}

/* A timeout and a body cut short are connection failures too. */
static void test_timeout_and_truncation_retried(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "retry/hang.fixture", 1);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  mistral_call_options *o = options();
  /* Long enough for the second attempt even under valgrind. */
  assert_int_equal(mistral_call_options_set_timeout_ms(o, 2000), MISTRAL_OK);
  assert_int_equal(rt_chat(t, o), MISTRAL_OK);
  mistral_call_options_free(o);
  rt_assert_logged(t, "attempt 1/3: timed out; retrying in ");
  rt_assert_logged(t, "attempt 2/3: HTTP 200");
  tu_assert_served(t->fs);

  tu_expect(t->fs, "retry/truncated.fixture", 2);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  rt_assert_logged(t, "attempt 2/3: response cut short; retrying in ");
  rt_assert_logged(t, "attempt 3/3: HTTP 200");
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 5);
}

/* ---- Retry-After ---- */

static void test_429_retry_after_ms_then_success(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "retry/429-retry-after-ms.fixture", 1);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  /* Retry-After-Ms (50) wins over Retry-After (2 s), and is not jittered. */
  rt_assert_logged(t, "attempt 1/3: HTTP 429; retrying in 50 ms (as the server asked)");
  rt_assert_logged(t, "attempt 2/3: HTTP 200");
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 2);
}

static void test_429_retry_after_seconds_and_date(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "retry/429-retry-after-0.fixture", 1);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  rt_assert_logged(t, "attempt 1/3: HTTP 429; retrying in 0 ms (as the server asked)");
  tu_assert_served(t->fs);

  rt_log_clear(t);
  tu_expect(t->fs, "retry/429-retry-after-date.fixture", 1); /* a date in 1994 */
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  rt_assert_logged(t, "attempt 1/3: HTTP 429; retrying in 0 ms (as the server asked)");
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 4);
}

static void test_retry_after_capped(void **state) {
  rt_ctx *t = *state;
  /* Retry-After: 3600 (an hour), capped to 15 ms by the client... */
  assert_int_equal(mistral_client_set_retry_after_max_ms(t->client, 15), MISTRAL_OK);
  tu_expect(t->fs, "retry/429-retry-after-long.fixture", 1);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  rt_assert_logged(t, "attempt 1/3: HTTP 429; retrying in 15 ms (as the server asked)");
  tu_assert_served(t->fs);

  /* ...and to 5 ms by a call's options, which override the client. */
  rt_log_clear(t);
  mistral_call_options *o = options();
  assert_int_equal(mistral_call_options_set_retry_after_max_ms(o, 5), MISTRAL_OK);
  tu_expect(t->fs, "retry/429-retry-after-long.fixture", 1);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, o), MISTRAL_OK);
  mistral_call_options_free(o);
  rt_assert_logged(t, "attempt 1/3: HTTP 429; retrying in 5 ms (as the server asked)");
  tu_assert_served(t->fs);
}

/* ---- statuses ---- */

static void test_5xx_then_success(void **state) {
  rt_ctx *t = *state;
  static const char *const fixtures[] = {"retry/500.fixture", "retry/502.fixture",
                                         "retry/503.fixture", "retry/504.fixture"};
  static const int statuses[] = {500, 502, 503, 504};
  for (size_t i = 0; i < 4; i++) {
    rt_log_clear(t);
    tu_expect(t->fs, fixtures[i], 2);
    tu_expect(t->fs, "retry/ok.fixture", 1);
    int rc = rt_chat(t, NULL);
    if (rc != MISTRAL_OK) fail_msg("%s: %s", fixtures[i], mistral_error_message(t->err));
    char line[64];
    snprintf(line, sizeof line, "attempt 1/3: HTTP %d; retrying in ", statuses[i]);
    rt_assert_logged(t, line);
    snprintf(line, sizeof line, "attempt 2/3: HTTP %d; retrying in ", statuses[i]);
    rt_assert_logged(t, line);
    rt_assert_logged(t, "attempt 3/3: HTTP 200");
    tu_assert_served(t->fs);
  }
  assert_int_equal(fixture_server_requests(t->fs), 12);
  /* Error responses are drained: one connection served all 12 requests. */
  assert_int_equal(fixture_server_connections(t->fs), 1);
}

static void test_408_409_retried(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "retry/408.fixture", 1);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  tu_expect(t->fs, "retry/409.fixture", 2);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  rt_assert_logged(t, "attempt 1/3: HTTP 408; retrying in ");
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  rt_assert_logged(t, "attempt 2/3: HTTP 409; retrying in ");
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 5);
}

static void test_always_5xx_gives_up(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "retry/503.fixture", 3);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_http_status(t->err), 503);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  const char *msg = mistral_error_message(t->err);
  assert_string_equal(msg, "HTTP 503 (server error): Service unavailable, please retry later "
                           "[request id 9f8e7d6c5b4a43f2e1d0c9b8a7f6e5d4] (after 3 attempts)");
  assert_string_equal(mistral_error_api_message(t->err), "Service unavailable, please retry later");
  rt_assert_logged(t, "attempt 3/3: HTTP 503; no attempts left");
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 3);

  /* Five attempts when the client says so. */
  assert_int_equal(mistral_client_set_max_attempts(t->client, 5), MISTRAL_OK);
  tu_expect(t->fs, "retry/500.fixture", 5);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_http_status(t->err), 500);
  assert_int_equal(mistral_error_attempts(t->err), 5);
  assert_true(rt_ends_with(mistral_error_message(t->err), " (after 5 attempts)"));
  rt_assert_logged(t, "attempt 5/5: HTTP 500; no attempts left");
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 8);
}

static void test_other_4xx_not_retried(void **state) {
  rt_ctx *t = *state;
  static const struct {
    const char *fixture;
    int code, http;
  } cases[] = {{"retry/400.fixture", MISTRAL_E_HTTP, 400},
               {"retry/401.fixture", MISTRAL_E_UNAUTHORIZED, 401},
               {"retry/404.fixture", MISTRAL_E_NOT_FOUND, 404},
               {"retry/422.fixture", MISTRAL_E_VALIDATION, 422}};
  for (size_t i = 0; i < 4; i++) {
    rt_log_clear(t);
    tu_expect(t->fs, cases[i].fixture, 1);
    assert_int_equal(rt_chat(t, NULL), cases[i].code);
    assert_int_equal(mistral_error_http_status(t->err), cases[i].http);
    assert_int_equal(mistral_error_attempts(t->err), 1);
    assert_null(strstr(mistral_error_message(t->err), "attempts)"));
    assert_int_equal(rt_log_count(t, "retrying"), 0);
    char line[64];
    snprintf(line, sizeof line, "attempt 1/3: HTTP %d", cases[i].http);
    rt_assert_logged(t, line);
    tu_assert_served(t->fs);
    assert_int_equal(fixture_server_requests(t->fs), i + 1);
  }
}

/* Failures a retry cannot mend are not retried either. */
static void test_local_failures_not_retried(void **state) {
  rt_ctx *t = *state;
  /* A response over the size limit. */
  assert_int_equal(mistral_client_set_max_response_bytes(t->client, 64), MISTRAL_OK);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_TOO_LARGE);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 1);
  assert_int_equal(mistral_client_set_max_response_bytes(t->client, 0), MISTRAL_OK);

  /* A bad path: nothing is sent, no attempt is counted. */
  mistral_raw_response *raw = NULL;
  assert_int_equal(mistral_raw_call(&raw, t->client, "GET", "/v1/models with space", NULL, t->err),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_error_attempts(t->err), 0);
  assert_null(raw);

  /* No key: nothing is sent. */
  assert_int_equal(mistral_client_set_api_key(t->client, NULL), MISTRAL_OK);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_NO_API_KEY);
  assert_int_equal(mistral_error_attempts(t->err), 0);
  assert_int_equal(fixture_server_requests(t->fs), 1);
  assert_int_equal(rt_log_count(t, "retrying"), 0);
}

/* The raw call shares the transport, retries included. */
static void test_raw_call_retried(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "retry/502.fixture", 1);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  mistral_raw_response *raw = NULL;
  assert_int_equal(mistral_raw_call(&raw, t->client, "POST", "/v1/chat/completions",
                                    "{\"model\":\"mistral-small-latest\",\"messages\":"
                                    "[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                                    t->err),
                   MISTRAL_OK);
  assert_int_equal(mistral_raw_response_status(raw), 200);
  mistral_raw_response_free(raw);
  rt_assert_logged(t, "attempt 1/3: HTTP 502; retrying in ");
  tu_assert_served(t->fs);

  /* Always failing: the last error response is handed over, with the
   * count. */
  tu_expect(t->fs, "retry/502.fixture", 3);
  raw = NULL;
  assert_int_equal(mistral_raw_call(&raw, t->client, "POST", "/v1/chat/completions",
                                    "{\"model\":\"mistral-small-latest\",\"messages\":"
                                    "[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                                    t->err),
                   MISTRAL_E_SERVER);
  assert_non_null(raw);
  assert_int_equal(mistral_raw_response_status(raw), 502);
  assert_non_null(strstr(mistral_raw_response_body(raw, NULL), "502 Bad Gateway"));
  mistral_raw_response_free(raw);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  assert_true(rt_ends_with(mistral_error_message(t->err), " (after 3 attempts)"));
  tu_assert_served(t->fs);
}

/* ---- the policy ---- */

static void test_retry_disabled(void **state) {
  rt_ctx *t = *state;
  assert_int_equal(mistral_client_set_max_attempts(t->client, 1), MISTRAL_OK);
  tu_expect(t->fs, "retry/503.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  assert_null(strstr(mistral_error_message(t->err), "attempts)"));
  rt_assert_logged(t, "attempt 1/1: HTTP 503; no attempts left");
  tu_assert_served(t->fs);

  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", tu_closed_port());
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_CONNECT);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  assert_int_equal(rt_log_count(t, "retrying"), 0);
  assert_int_equal(fixture_server_requests(t->fs), 1);
}

static void test_per_call_override(void **state) {
  rt_ctx *t = *state;
  /* The client never retries; this call may try three times. */
  assert_int_equal(mistral_client_set_max_attempts(t->client, 1), MISTRAL_OK);
  mistral_call_options *o = options();
  assert_int_equal(mistral_call_options_set_max_attempts(o, 3), MISTRAL_OK);
  tu_expect(t->fs, "retry/503.fixture", 2);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, o), MISTRAL_OK);
  mistral_call_options_free(o);
  tu_assert_served(t->fs);
  /* A call without options follows the client again. */
  tu_expect(t->fs, "retry/503.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  tu_assert_served(t->fs);

  /* The client retries (3 attempts); this call does not. */
  assert_int_equal(mistral_client_set_max_attempts(t->client, 3), MISTRAL_OK);
  o = options();
  assert_int_equal(mistral_call_options_set_max_attempts(o, 1), MISTRAL_OK);
  tu_expect(t->fs, "retry/500.fixture", 1);
  assert_int_equal(rt_chat(t, o), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  mistral_call_options_free(o);
  tu_assert_served(t->fs);

  /* The call's backoff replaces the client's: without jitter, 7 ms then
   * 14 ms (the client's would be 1 ms, then 2). */
  rt_log_clear(t);
  o = options();
  assert_int_equal(mistral_call_options_set_retry_backoff(o, 7, 100, 2.0, 0.0), MISTRAL_OK);
  tu_expect(t->fs, "retry/503.fixture", 2);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, o), MISTRAL_OK);
  mistral_call_options_free(o);
  rt_assert_logged(t, "attempt 1/3: HTTP 503; retrying in 7 ms");
  rt_assert_logged(t, "attempt 2/3: HTTP 503; retrying in 14 ms");
  tu_assert_served(t->fs);

  /* The client's own backoff, jitter-free and capped: 3, 6, 8, 8 ms. */
  rt_log_clear(t);
  assert_int_equal(mistral_client_set_retry_backoff(t->client, 3, 8, 2.0, 0.0), MISTRAL_OK);
  assert_int_equal(mistral_client_set_max_attempts(t->client, 5), MISTRAL_OK);
  tu_expect(t->fs, "retry/503.fixture", 4);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  rt_assert_logged(t, "attempt 1/5: HTTP 503; retrying in 3 ms");
  rt_assert_logged(t, "attempt 2/5: HTTP 503; retrying in 6 ms");
  rt_assert_logged(t, "attempt 3/5: HTTP 503; retrying in 8 ms");
  rt_assert_logged(t, "attempt 4/5: HTTP 503; retrying in 8 ms");
  rt_assert_logged(t, "attempt 5/5: HTTP 200");
  tu_assert_served(t->fs);
}

static void test_deadline_stops_retrying(void **state) {
  rt_ctx *t = *state;
  /* The first wait (10 s) would end past the 3 s deadline: the 503
   * stands after one attempt, whatever the attempt took. */
  mistral_call_options *o = options();
  assert_int_equal(mistral_call_options_set_max_attempts(o, 5), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_retry_backoff(o, 10000, 10000, 1.0, 0.0),
                   MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_deadline_ms(o, 3000), MISTRAL_OK);
  tu_expect(t->fs, "retry/503.fixture", 1);
  assert_int_equal(rt_chat(t, o), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  rt_assert_logged(t, "attempt 1/5: HTTP 503; no retry: waiting 10000 ms would pass the 3000 ms "
                      "deadline");
  mistral_call_options_free(o);
  tu_assert_served(t->fs);

  /* The same with a server's Retry-After (an hour, capped to 60 s) against
   * the client's deadline of 5 s. */
  assert_int_equal(mistral_client_set_deadline_ms(t->client, 5000), MISTRAL_OK);
  tu_expect(t->fs, "retry/429-retry-after-long.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_RATE_LIMITED);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  rt_assert_logged(t, "waiting 60000 ms would pass the 5000 ms deadline");
  tu_assert_served(t->fs);

  /* A hanging attempt is cut at the deadline, and no attempt follows. */
  assert_int_equal(mistral_client_set_deadline_ms(t->client, 1500), MISTRAL_OK);
  tu_expect(t->fs, "retry/hang.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_TIMEOUT);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 3);

  /* 0: no deadline again. */
  assert_int_equal(mistral_client_set_deadline_ms(t->client, 0), MISTRAL_OK);
  tu_expect(t->fs, "retry/429-retry-after-ms.fixture", 1);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  tu_assert_served(t->fs);
}

/* Every attempt sends the same bytes: the server compares each attempt's
 * body with the fixture, and here they are compared with each other. */
static void test_body_resent_intact(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "retry/long-body-503.fixture", 2);
  tu_expect(t->fs, "retry/long-body-ok.fixture", 1);
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-large-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(
                       NULL, req, MISTRAL_ROLE_SYSTEM,
                       "Réponds en français, brièvement. Ne cite jamais de sources inventées."),
                   MISTRAL_OK);
  assert_int_equal(
      mistral_chat_request_add_message(
          NULL, req, MISTRAL_ROLE_USER,
          "Résume ce texte : « Le 14 juillet 1789, la prise de la Bastille… » — en 3 points, "
          "avec des émojis 🏰🇫🇷, des guillemets \"droits\", une barre oblique inverse \\ et "
          "une tabulation\t."),
      MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.25), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_max_tokens(req, 200), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_random_seed(req, 1789), MISTRAL_OK);
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, t->client, req, t->err);
  if (rc != MISTRAL_OK) fail_msg("%s", mistral_error_message(t->err));
  assert_non_null(strstr(mistral_chat_response_text(resp), "la Bastille"));
  assert_non_null(strstr(mistral_chat_response_text(resp), "Révolution"));
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 3);
  /* Each failed response (a long body) was read to its end, so all three
   * attempts went over one kept-alive connection: none leaked or dropped. */
  assert_int_equal(fixture_server_connections(t->fs), 1);
  char *first = tu_received_body(t->fs, 0);
  assert_non_null(first);
  assert_true(strlen(first) > 200);
  for (size_t i = 1; i < 3; i++) {
    char *again = tu_received_body(t->fs, i);
    assert_non_null(again);
    assert_string_equal(again, first);
    free(again);
  }
  free(first);
}

/* ---- the log ---- */

static void test_log_each_attempt_without_key(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "retry/503-key-echo.fixture", 2);
  tu_expect(t->fs, "retry/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  assert_int_equal(rt_log_count(t, "POST /v1/chat/completions: attempt "), 3);
  rt_assert_logged(t, "POST /v1/chat/completions: attempt 1/3: HTTP 503; retrying in ");
  rt_assert_logged(t, "POST /v1/chat/completions: attempt 2/3: HTTP 503; retrying in ");
  rt_assert_logged(t, "POST /v1/chat/completions: attempt 3/3: HTTP 200");
  /* The attempts come in order. */
  size_t first = t->log.count, second = t->log.count, third = t->log.count;
  for (size_t i = 0; i < t->log.count; i++) {
    if (strstr(t->log.lines[i], "attempt 1/3") && first == t->log.count) first = i;
    if (strstr(t->log.lines[i], "attempt 2/3") && second == t->log.count) second = i;
    if (strstr(t->log.lines[i], "attempt 3/3") && third == t->log.count) third = i;
  }
  assert_true(first < second && second < third && third < t->log.count);
  rt_assert_clean(t, t->err, RT_KEY);
  tu_assert_served(t->fs);

  /* Failing for good: neither the log nor the error shows the key the
   * server echoed. */
  rt_log_clear(t);
  tu_expect(t->fs, "retry/503-key-echo.fixture", 3);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  assert_non_null(mistral_error_body(t->err));
  assert_non_null(strstr(mistral_error_body(t->err), "[REDACTED]"));
  rt_assert_clean(t, t->err, RT_KEY);
  assert_int_equal(rt_log_count(t, ": attempt "), 3);
  tu_assert_served(t->fs);
}

/* ---- cancel ---- */

typedef struct canceller {
  rt_ctx *t;
  volatile int *flag;
} canceller;

/* Raises the flag once the client has logged that it waits. */
static void *cancel_when_waiting(void *arg) {
  canceller *c = arg;
  for (int i = 0; i < 30000 && !atomic_load(&c->t->log.saw_retry); i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  struct timespec ts = {0, 30000000}; /* well into the wait */
  nanosleep(&ts, NULL);
  *c->flag = 1;
  return NULL;
}

static void test_cancel_during_backoff(void **state) {
  rt_ctx *t = *state;
  /* A wait of 10 minutes: only the cancel flag can end this test in time
   * (meson would time it out otherwise). */
  static volatile int flag = 0;
  flag = 0;
  mistral_call_options *o = options();
  assert_int_equal(mistral_call_options_set_retry_backoff(o, 600000, 600000, 1.0, 0.0),
                   MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_cancel_flag(o, &flag), MISTRAL_OK);
  tu_expect(t->fs, "retry/503.fixture", 1);
  canceller c = {t, &flag};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, cancel_when_waiting, &c), 0);
  assert_int_equal(rt_chat(t, o), MISTRAL_E_CANCELLED);
  pthread_join(th, NULL);
  mistral_call_options_free(o);
  assert_int_equal(mistral_error_code(t->err), MISTRAL_E_CANCELLED);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  assert_non_null(strstr(mistral_error_message(t->err), "while waiting to retry"));
  rt_assert_logged(t, "attempt 1/3: HTTP 503; retrying in 600000 ms");
  rt_assert_logged(t, "cancelled while waiting to retry");
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 1);
}

/* ---- setters ---- */

static void test_setters_reject_bad_values(void **state) {
  rt_ctx *t = *state;
  mistral_client *c = t->client;
  assert_int_equal(mistral_client_set_max_attempts(NULL, 3), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_max_attempts(c, 0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_max_attempts(c, -1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_max_attempts(c, MISTRAL_MAX_ATTEMPTS_LIMIT + 1),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_max_attempts(c, MISTRAL_MAX_ATTEMPTS_LIMIT), MISTRAL_OK);
  assert_int_equal(mistral_client_set_deadline_ms(NULL, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_deadline_ms(c, -1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_after_max_ms(NULL, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_after_max_ms(c, -1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_after_max_ms(c, 0), MISTRAL_OK);
  assert_int_equal(mistral_client_set_retry_backoff(NULL, 1, 2, 2.0, 0.0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, -1, 2, 2.0, 0.0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, 5, 4, 2.0, 0.0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, 1, 2, 0.5, 0.0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, 1, 2, INFINITY, 0.0),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, 1, 2, NAN, 0.0),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, 1, 2, 2.0, -0.1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, 1, 2, 2.0, 1.1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, 1, 2, 2.0, NAN),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_retry_backoff(c, 0, 0, 1.0, 1.0), MISTRAL_OK);

  mistral_call_options *o = options();
  assert_int_equal(mistral_call_options_set_max_attempts(NULL, 2), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_max_attempts(o, 0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_max_attempts(o, MISTRAL_MAX_ATTEMPTS_LIMIT + 1),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_deadline_ms(NULL, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_deadline_ms(o, -5), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_retry_after_max_ms(NULL, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_retry_after_max_ms(o, -1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_retry_backoff(NULL, 1, 2, 2.0, 0.0),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_retry_backoff(o, 3, 2, 2.0, 0.0),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_retry_backoff(o, 1, 2, 0.99, 0.0),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_call_options_set_retry_backoff(o, 1, 2, 2.0, 2.0),
                   MISTRAL_E_INVALID_ARG);
  mistral_call_options_free(o);
  assert_int_equal(mistral_error_attempts(NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
      T(test_connection_refused_every_attempt),
      T(test_timeout_and_truncation_retried),
      T(test_429_retry_after_ms_then_success),
      T(test_429_retry_after_seconds_and_date),
      T(test_retry_after_capped),
      T(test_5xx_then_success),
      T(test_408_409_retried),
      T(test_always_5xx_gives_up),
      T(test_other_4xx_not_retried),
      T(test_local_failures_not_retried),
      T(test_raw_call_retried),
      T(test_retry_disabled),
      T(test_per_call_override),
      T(test_deadline_stops_retrying),
      T(test_body_resent_intact),
      T(test_log_each_attempt_without_key),
      T(test_cancel_during_backoff),
      T(test_setters_reject_bad_values),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
