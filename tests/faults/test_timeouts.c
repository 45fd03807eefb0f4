/* Timeouts over the loopback fixture server (public API only): the time
 * limit of one non-streaming attempt, the idle timeout of a stream (push
 * and pull) and the connect timeout, each set on the client and per call
 * (mistral_call_options attached to the request), each against a server
 * that hangs before the headers (% hang), after them (% stall-after 0) and
 * mid-body or mid-stream (% stall-after N).
 *
 * One attempt per call: a timeout is retried by default, and the point is
 * the time one attempt takes. Each failure must come in about the time set
 * (fu_assert_took: not early, and well within a valgrind-proof bound), and
 * what reached the caller before the stall stays delivered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "faults_util.h"

/* A non-streaming call's three ways to hang, and the HTTP status the error
 * then carries (0: no status line came). */
static const struct {
  const char *fixture;
  int http_status;
} plain_stages[] = {
    {"faults/hang.fixture", 0},
    {"faults/stall-headers.fixture", 200},
    {"faults/stall-body.fixture", 200},
};

/* A stream's: what reached the caller before it stalled. */
static const struct {
  const char *fixture;
  int opens; /* pull: open succeeds (the headers came) */
  size_t chunks;
  const char *text;
} stream_stages[] = {
    {"faults/stream-hang.fixture", 0, 0, ""},
    {"faults/stream-stall-headers.fixture", 1, 0, ""},
    {"faults/stream-stall-2.fixture", 1, 2, "Bonjour"},
};

#define N_STAGES 3

static int setup(void **state) {
  if (rt_setup(state) != 0) return -1;
  rt_ctx *t = *state;
  return mistral_client_set_max_attempts(t->client, 1) == MISTRAL_OK ? 0 : -1;
}

/* ---- the time limit of a non-streaming attempt ---- */

static void check_attempt_timeout(rt_ctx *t, const mistral_call_options *o) {
  for (size_t i = 0; i < N_STAGES; i++) {
    const char *what = plain_stages[i].fixture;
    tu_expect(t->fs, what, 1);
    int64_t t0 = fu_now_ms();
    int rc = rt_chat(t, o);
    int64_t took = fu_now_ms() - t0;
    if (rc != MISTRAL_E_TIMEOUT) fail_msg("%s: %s", what, mistral_error_message(t->err));
    assert_int_equal(mistral_error_code(t->err), MISTRAL_E_TIMEOUT);
    assert_int_equal(mistral_error_http_status(t->err), plain_stages[i].http_status);
    assert_int_equal(mistral_error_attempts(t->err), 1);
    fu_assert_took(took, FU_TIMEOUT_MS, what);
    tu_assert_served(t->fs);
  }
}

static void test_attempt_timeout_client(void **state) {
  rt_ctx *t = *state;
  assert_int_equal(mistral_client_set_timeout_ms(t->client, FU_TIMEOUT_MS), MISTRAL_OK);
  check_attempt_timeout(t, NULL);
}

static void test_attempt_timeout_per_call(void **state) {
  rt_ctx *t = *state;
  /* The client would wait a minute: the call's own limit must apply. */
  assert_int_equal(mistral_client_set_timeout_ms(t->client, 60000), MISTRAL_OK);
  mistral_call_options *o = fu_options();
  assert_int_equal(mistral_call_options_set_timeout_ms(o, FU_TIMEOUT_MS), MISTRAL_OK);
  check_attempt_timeout(t, o);
  mistral_call_options_free(o);
}

/* ---- the idle timeout of a stream ---- */

static void check_idle_timeout(rt_ctx *t, const mistral_call_options *o) {
  for (int push = 0; push < 2; push++) {
    for (size_t i = 0; i < N_STAGES; i++) {
      char what[128];
      snprintf(what, sizeof what, "%s (%s)", stream_stages[i].fixture, push ? "push" : "pull");
      tu_expect(t->fs, stream_stages[i].fixture, 1);
      fu_seen s;
      int64_t t0 = fu_now_ms();
      int rc = fu_stream(t, push, o, &s);
      int64_t took = fu_now_ms() - t0;
      if (rc != MISTRAL_E_TIMEOUT) fail_msg("%s: %s", what, mistral_error_message(t->err));
      assert_int_equal(mistral_error_code(t->err), MISTRAL_E_TIMEOUT);
      char idle[64];
      snprintf(idle, sizeof idle, "no data for %ld ms (idle timeout)", FU_TIMEOUT_MS);
      assert_non_null(strstr(mistral_error_message(t->err), idle));
      assert_int_equal(mistral_error_attempts(t->err), 1);
      fu_assert_took(took, FU_TIMEOUT_MS, what);
      /* What came before the stall was delivered, once. */
      assert_int_equal(s.chunks, stream_stages[i].chunks);
      assert_string_equal(s.text, stream_stages[i].text);
      if (push && s.chunks > 0) {
        assert_true(s.has_final); /* the partial answer */
        assert_string_equal(s.final_text, stream_stages[i].text);
      }
      if (!push)
        assert_int_equal(s.open_rc, stream_stages[i].opens ? MISTRAL_OK : MISTRAL_E_TIMEOUT);
      tu_assert_served(t->fs);
    }
  }
}

static void test_idle_timeout_client(void **state) {
  rt_ctx *t = *state;
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, FU_TIMEOUT_MS),
                   MISTRAL_OK);
  check_idle_timeout(t, NULL);
}

static void test_idle_timeout_per_call(void **state) {
  rt_ctx *t = *state;
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, 60000), MISTRAL_OK);
  mistral_call_options *o = fu_options();
  assert_int_equal(mistral_call_options_set_idle_timeout_ms(o, FU_TIMEOUT_MS), MISTRAL_OK);
  check_idle_timeout(t, o);
  mistral_call_options_free(o);
}

/* ---- the connect timeout ---- */

/* libcurl's connect timeout is CURLE_OPERATION_TIMEDOUT, which the
 * library maps to MISTRAL_E_TIMEOUT (lib/http/transport.c). */
static void check_connect_timeout(rt_ctx *t, const mistral_call_options *o) {
  fu_blackhole bh;
  if (!fu_blackhole_open(&bh)) {
    fu_blackhole_close(&bh);
    print_message("this kernel completes loopback connects to a full queue: "
                  "cannot make a connect hang, skipped\n");
    skip();
  }
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", bh.port);
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  int64_t t0 = fu_now_ms();
  int rc = rt_chat(t, o);
  int64_t took = fu_now_ms() - t0;
  fu_blackhole_close(&bh);
  if (rc != MISTRAL_E_TIMEOUT) fail_msg("connect: %s", mistral_error_message(t->err));
  assert_int_equal(mistral_error_http_status(t->err), 0);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  const char *why = mistral_error_transport_message(t->err);
  if (!why || !strstr(why, "onnect")) fail_msg("not a connect timeout: %s", why ? why : "(null)");
  fu_assert_took(took, FU_TIMEOUT_MS, "connect");
  assert_int_equal(fixture_server_connections(t->fs), 0);
}

static void test_connect_timeout_client(void **state) {
  rt_ctx *t = *state;
  assert_int_equal(mistral_client_set_connect_timeout_ms(t->client, FU_TIMEOUT_MS), MISTRAL_OK);
  check_connect_timeout(t, NULL);
}

static void test_connect_timeout_per_call(void **state) {
  rt_ctx *t = *state;
  assert_int_equal(mistral_client_set_connect_timeout_ms(t->client, 60000), MISTRAL_OK);
  mistral_call_options *o = fu_options();
  assert_int_equal(mistral_call_options_set_connect_timeout_ms(o, FU_TIMEOUT_MS), MISTRAL_OK);
  check_connect_timeout(t, o);
  mistral_call_options_free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, rt_teardown)
      T(test_attempt_timeout_client),  T(test_attempt_timeout_per_call),
      T(test_idle_timeout_client),     T(test_idle_timeout_per_call),
      T(test_connect_timeout_client),  T(test_connect_timeout_per_call),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
