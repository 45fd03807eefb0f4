/* The overall deadline of a call (mistral_client_set_deadline_ms(), per
 * call mistral_call_options_set_deadline_ms()), over the loopback fixture
 * server, as include/mistral/client.h ("Retry defaults") documents it:
 *
 * - a non-streaming attempt still running at the deadline fails with
 *   MISTRAL_E_TIMEOUT, whatever the server hangs on (before the headers,
 *   after them, mid-body), even with a long per-attempt time limit and
 *   attempts left; no attempt starts after it;
 * - for a stream it bounds the attempts before the stream begins (no retry
 *   that would pass it), not an attempt itself (the idle timeout guards
 *   that) and not the stream once it flows.
 *
 * The exchanges queued are exactly those the library may use: an extra
 * attempt would be a fixture mismatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "faults_util.h"

#define DEADLINE_MS 600L

static const char *const plain_stages[] = {
    "faults/hang.fixture",
    "faults/stall-headers.fixture",
    "faults/stall-body.fixture",
};

/* ---- non-streaming: the deadline cuts the attempt ---- */

/* Three attempts allowed, each hanging, each with a minute: the deadline
 * ends the call during the first attempt.
 *
 * A second attempt may still begin: libcurl can end the first a fraction
 * of a millisecond before the deadline, and a retry that starts before it
 * is allowed (it is then cut at the deadline at once). So the count is 1,
 * or 2 with the second started before the deadline; either way the call
 * ends at the deadline, and the count matches the log and the server. */
static void check_cuts_attempt(rt_ctx *t, const mistral_call_options *o) {
  assert_int_equal(mistral_client_set_timeout_ms(t->client, 60000), MISTRAL_OK);
  for (size_t i = 0; i < sizeof plain_stages / sizeof plain_stages[0]; i++) {
    fu_new_server(t); /* a fresh script: leftovers of the last stage go */
    rt_log_clear(t);
    tu_expect(t->fs, plain_stages[i], 3);
    int64_t t0 = fu_now_ms();
    int rc = rt_chat(t, o);
    int64_t took = fu_now_ms() - t0;
    int attempts = mistral_error_attempts(t->err);
    if (rc != MISTRAL_E_TIMEOUT || attempts < 1 || attempts > 2) {
      for (size_t k = 0; k < t->log.count; k++) print_error("  %s\n", t->log.lines[k]);
      fail_msg("%s: %s", plain_stages[i], mistral_error_message(t->err));
    }
    fu_assert_took(took, DEADLINE_MS, plain_stages[i]);
    assert_int_equal(rt_log_count(t, ": attempt "), (size_t)attempts);
    rt_assert_logged(t, "would pass the 600 ms deadline");
    size_t requests = fixture_server_requests(t->fs);
    assert_true(requests >= 1 && requests <= (size_t)attempts);
    assert_int_equal(fixture_server_mismatches(t->fs), 0);
  }
}

static void test_deadline_cuts_attempt_client(void **state) {
  rt_ctx *t = *state;
  assert_int_equal(mistral_client_set_deadline_ms(t->client, DEADLINE_MS), MISTRAL_OK);
  check_cuts_attempt(t, NULL);
}

static void test_deadline_cuts_attempt_per_call(void **state) {
  rt_ctx *t = *state;
  mistral_call_options *o = fu_options();
  assert_int_equal(mistral_call_options_set_deadline_ms(o, DEADLINE_MS), MISTRAL_OK);
  check_cuts_attempt(t, o);
  mistral_call_options_free(o);
}

/* Attempts of 200 ms under a 900 ms deadline, up to 20 of them: several
 * attempts time out, the last one is cut by the deadline, and the error
 * counts them all. */
static void test_deadline_across_attempts(void **state) {
  rt_ctx *t = *state;
  const long deadline = 900;
  mistral_call_options *o = fu_options();
  assert_int_equal(mistral_call_options_set_timeout_ms(o, 200), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_max_attempts(o, 20), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_deadline_ms(o, deadline), MISTRAL_OK);
  tu_expect(t->fs, "faults/hang.fixture", 20);
  int64_t t0 = fu_now_ms();
  int rc = rt_chat(t, o);
  int64_t took = fu_now_ms() - t0;
  mistral_call_options_free(o);
  if (rc != MISTRAL_E_TIMEOUT) fail_msg("%s", mistral_error_message(t->err));
  fu_assert_took(took, deadline, "deadline across attempts");
  int attempts = mistral_error_attempts(t->err);
  if (attempts < 2 || attempts > 5) fail_msg("%d attempts in %lld ms", attempts, (long long)took);
  char suffix[48];
  snprintf(suffix, sizeof suffix, " (after %d attempts)", attempts);
  assert_true(rt_ends_with(mistral_error_message(t->err), suffix));
  /* One log line per attempt; the last says why there is no other. */
  assert_int_equal(rt_log_count(t, ": attempt "), (size_t)attempts);
  rt_assert_logged(t, "would pass the 900 ms deadline");
  /* Each attempt that reached the server was one request (a last attempt
   * cut within a millisecond may not have). */
  size_t requests = fixture_server_requests(t->fs);
  assert_true(requests <= (size_t)attempts && requests + 1 >= (size_t)attempts);
  assert_int_equal(fixture_server_mismatches(t->fs), 0);
}

/* ---- streams: the deadline bounds the attempts, not an attempt ---- */

/* The stream hangs before its headers: its attempt ends at the idle
 * timeout (400 ms), past the 300 ms deadline, so no retry is made though
 * two attempts are left. Without the deadline, three attempts are made. */
static void check_stream_attempts(rt_ctx *t, const mistral_call_options *o) {
  for (int push = 0; push < 2; push++) {
    const char *what = push ? "push" : "pull";
    tu_expect(t->fs, "faults/stream-hang.fixture", 1);
    fu_seen s;
    int64_t t0 = fu_now_ms();
    int rc = fu_stream(t, push, o, &s);
    int64_t took = fu_now_ms() - t0;
    if (rc != MISTRAL_E_TIMEOUT) fail_msg("%s: %s", what, mistral_error_message(t->err));
    assert_int_equal(mistral_error_attempts(t->err), 1);
    assert_int_equal(s.chunks, 0);
    /* A stream's attempt is not cut at the deadline (only a non-streaming
     * one is): it ran to its idle timeout. */
    fu_assert_took(took, FU_TIMEOUT_MS, what);
    rt_assert_logged(t, "would pass the 300 ms deadline");
    tu_assert_served(t->fs);
    rt_log_clear(t);
  }
}

static void stream_setup(rt_ctx *t) {
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, FU_TIMEOUT_MS),
                   MISTRAL_OK);
}

static void test_stream_deadline_client(void **state) {
  rt_ctx *t = *state;
  stream_setup(t);
  /* The control: without a deadline the three attempts are made. */
  tu_expect(t->fs, "faults/stream-hang.fixture", 3);
  fu_seen s;
  assert_int_equal(fu_stream(t, 1, NULL, &s), MISTRAL_E_TIMEOUT);
  assert_int_equal(mistral_error_attempts(t->err), 3);
  tu_assert_served(t->fs);
  rt_log_clear(t);

  assert_int_equal(mistral_client_set_deadline_ms(t->client, 300), MISTRAL_OK);
  check_stream_attempts(t, NULL);
}

static void test_stream_deadline_per_call(void **state) {
  rt_ctx *t = *state;
  stream_setup(t);
  mistral_call_options *o = fu_options();
  assert_int_equal(mistral_call_options_set_deadline_ms(o, 300), MISTRAL_OK);
  check_stream_attempts(t, o);
  mistral_call_options_free(o);
}

/* A stream that flows is never cut by the deadline: a slow drip of about
 * 3 s under a 200 ms deadline (and a 400 ms idle timeout, never reached
 * between two bytes) completes. */
static void test_stream_deadline_spares_flowing_stream(void **state) {
  rt_ctx *t = *state;
  mistral_call_options *o = fu_options();
  assert_int_equal(mistral_call_options_set_deadline_ms(o, 200), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_idle_timeout_ms(o, FU_TIMEOUT_MS), MISTRAL_OK);
  tu_expect(t->fs, "faults/stream-drip.fixture", 1);
  fu_seen s;
  int64_t t0 = fu_now_ms();
  int rc = fu_stream(t, 0, o, &s);
  int64_t took = fu_now_ms() - t0;
  mistral_call_options_free(o);
  if (rc != MISTRAL_OK) fail_msg("drip: %s", mistral_error_message(t->err));
  assert_int_equal(s.chunks, 4);
  assert_string_equal(s.text, "Bonjour !");
  assert_true(took > 1000); /* well past the deadline */
  tu_assert_served(t->fs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
      T(test_deadline_cuts_attempt_client),
      T(test_deadline_cuts_attempt_per_call),
      T(test_deadline_across_attempts),
      T(test_stream_deadline_client),
      T(test_stream_deadline_per_call),
      T(test_stream_deadline_spares_flowing_stream),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
