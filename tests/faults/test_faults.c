/* Injected faults over the loopback fixture server (public API only), and
 * the exact status each one gives the caller: connection refused, a
 * connection reset mid-body (plain call and stream), a slow drip that
 * must succeed, a 200 whose body is not JSON, a body over the size limit
 * (memory stays small), and a stream cut after three events.
 *
 * The client keeps its default three attempts unless a test says
 * otherwise, so that each test also proves whether the fault is retried:
 * only the exchanges the library may use are queued (an extra attempt is
 * a fixture mismatch). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faults_util.h"

/* ---- connection refused ---- */

static void test_connection_refused(void **state) {
  rt_ctx *t = *state;
  assert_int_equal(mistral_client_set_max_attempts(t->client, 1), MISTRAL_OK);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", tu_closed_port());
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_CONNECT);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  assert_int_equal(mistral_error_http_status(t->err), 0);
  for (int push = 0; push < 2; push++) {
    fu_seen s;
    assert_int_equal(fu_stream(t, push, NULL, &s), MISTRAL_E_CONNECT);
    assert_int_equal(mistral_error_code(t->err), MISTRAL_E_CONNECT);
    assert_int_equal(mistral_error_attempts(t->err), 1);
    assert_int_equal(s.chunks, 0);
    assert_false(s.has_final);
    if (!push) assert_int_equal(s.open_rc, MISTRAL_E_CONNECT);
  }
}

/* ---- a connection reset mid-body ---- */

/* libcurl reads the bytes sent before the RST, then "Connection reset by
 * peer" (CURLE_RECV_ERROR): MISTRAL_E_NETWORK, not MISTRAL_E_TRUNCATED
 * (that is an orderly close before the end). */
static void assert_reset(const rt_ctx *t) {
  assert_int_equal(mistral_error_code(t->err), MISTRAL_E_NETWORK);
  const char *why = mistral_error_transport_message(t->err);
  if (!why || !strstr(why, "reset")) fail_msg("not a reset: %s", why ? why : "(null)");
}

static void test_reset_mid_body(void **state) {
  rt_ctx *t = *state;
  mistral_call_options *o = fu_options();
  assert_int_equal(mistral_call_options_set_max_attempts(o, 1), MISTRAL_OK);
  tu_expect(t->fs, "faults/reset-body.fixture", 1);
  assert_int_equal(rt_chat(t, o), MISTRAL_E_NETWORK);
  mistral_call_options_free(o);
  assert_reset(t);
  assert_int_equal(mistral_error_http_status(t->err), 200);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  tu_assert_served(t->fs);

  /* With retries (the default): a reset is retried, the second attempt
   * answers. */
  tu_expect(t->fs, "faults/reset-body.fixture", 1);
  tu_expect(t->fs, "faults/ok.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  rt_assert_logged(t, "attempt 1/3: network failure; retrying in ");
  rt_assert_logged(t, "attempt 2/3: HTTP 200");
  tu_assert_served(t->fs);
}

/* After two events: they stay delivered, and the reset is final (never
 * retried once the caller has seen a chunk). */
static void test_reset_mid_stream(void **state) {
  rt_ctx *t = *state;
  for (int push = 0; push < 2; push++) {
    tu_expect(t->fs, "faults/stream-reset-2.fixture", 1);
    fu_seen s;
    int rc = fu_stream(t, push, NULL, &s);
    if (rc != MISTRAL_E_NETWORK)
      fail_msg("%s: %s", push ? "push" : "pull", mistral_error_message(t->err));
    assert_reset(t);
    assert_int_equal(mistral_error_attempts(t->err), 1);
    assert_int_equal(s.chunks, 2);
    assert_string_equal(s.text, "Bonjour");
    if (push) assert_string_equal(s.final_text, "Bonjour");
    else assert_int_equal(s.open_rc, MISTRAL_OK);
    tu_assert_served(t->fs);
  }
}

/* ---- a slow drip ---- */

/* One byte every 3 ms, about 3 s in all: longer than the idle timeout
 * (1 s) and than the client's time limit of a non-streaming call
 * (300 ms, which streams do not have), yet never idle for long: the
 * stream completes, whole. */
static void test_slow_drip(void **state) {
  rt_ctx *t = *state;
  const long idle = 1000;
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, idle), MISTRAL_OK);
  assert_int_equal(mistral_client_set_timeout_ms(t->client, 300), MISTRAL_OK);
  tu_expect(t->fs, "faults/stream-drip.fixture", 1);
  fu_seen s;
  int64_t t0 = fu_now_ms();
  int rc = fu_stream(t, 1, NULL, &s);
  int64_t took = fu_now_ms() - t0;
  if (rc != MISTRAL_OK) fail_msg("drip: %s", mistral_error_message(t->err));
  assert_int_equal(s.chunks, 4);
  assert_string_equal(s.text, "Bonjour !");
  assert_string_equal(s.final_text, "Bonjour !");
  assert_true(took > idle); /* the whole took longer than the idle timeout */
  assert_int_equal(rt_log_count(t, "retrying"), 0);
  tu_assert_served(t->fs);
}

/* ---- bodies the client refuses ---- */

static void test_malformed_json(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "faults/malformed.fixture", 1); /* a retry would mismatch */
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_BAD_RESPONSE);
  assert_int_equal(mistral_error_code(t->err), MISTRAL_E_BAD_RESPONSE);
  /* Not retried: one request, the one exchange queued, and the error
   * counts it. */
  assert_int_equal(fixture_server_requests(t->fs), 1);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  assert_int_equal(rt_log_count(t, "retrying"), 0);
  tu_assert_served(t->fs);
}

/* A 200 with a 16 MiB body, the limit at 64 KiB: MISTRAL_E_TOO_LARGE, and
 * the client's memory (every allocation it makes, counted) never holds
 * more than a fraction of the body. */
static void test_oversized_body(void **state) {
  rt_ctx *t = *state;
  const size_t big = (size_t)16 << 20, limit = (size_t)64 << 10;
  /* The request of faults/ok.fixture, a huge answer. */
  char *ok = tu_fixture_text("faults/ok.fixture", NULL);
  char *resp = strstr(ok, "=== response\n");
  assert_non_null(resp);
  *resp = '\0';
  static const char head[] = "=== response\nHTTP/1.1 200 OK\n"
                             "content-type: application/json\n\n{\"id\":\"";
  size_t n = strlen(ok);
  char *text = malloc(n + sizeof head + big + 8);
  assert_non_null(text);
  memcpy(text, ok, n);
  memcpy(text + n, head, sizeof head - 1);
  n += sizeof head - 1;
  memset(text + n, 'x', big);
  n += big;
  memcpy(text + n, "\"}\n", 4);
  free(ok);
  assert_int_equal(fixture_server_expect_text(t->fs, text, 1), 0);
  free(text);

  fu_counter mem = {0, 0};
  mistral_client *client = fu_counted_client(t, &mem);
  assert_int_equal(mistral_client_set_max_response_bytes(client, limit), MISTRAL_OK);
  assert_int_equal(mistral_client_set_max_attempts(client, 3), MISTRAL_OK);
  mistral_chat_request *req = rt_hello(NULL);
  mistral_chat_response *out = NULL;
  assert_int_equal(mistral_chat_complete(&out, client, req, t->err), MISTRAL_E_TOO_LARGE);
  assert_null(out);
  assert_int_equal(mistral_error_attempts(t->err), 1); /* never retried */
  assert_non_null(strstr(mistral_error_message(t->err), "65536-byte limit"));
  if (mem.peak > (size_t)1 << 20) fail_msg("the client held %zu bytes", mem.peak);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  assert_int_equal(mem.live, 0);
  tu_assert_served(t->fs);
}

/* ---- a stream cut short ---- */

static void test_stream_cut_after_three_events(void **state) {
  rt_ctx *t = *state;
  for (int push = 0; push < 2; push++) {
    tu_expect(t->fs, "faults/stream-cut-3.fixture", 1);
    fu_seen s;
    int rc = fu_stream(t, push, NULL, &s);
    if (rc != MISTRAL_E_TRUNCATED)
      fail_msg("%s: %s", push ? "push" : "pull", mistral_error_message(t->err));
    assert_int_equal(mistral_error_code(t->err), MISTRAL_E_TRUNCATED);
    assert_int_equal(mistral_error_attempts(t->err), 1);
    assert_int_equal(s.chunks, 3);
    assert_string_equal(s.text, "Bonjour !");
    if (push) assert_string_equal(s.final_text, "Bonjour !");
    tu_assert_served(t->fs);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
      T(test_connection_refused),
      T(test_reset_mid_body),
      T(test_reset_mid_stream),
      T(test_slow_drip),
      T(test_malformed_json),
      T(test_oversized_body),
      T(test_stream_cut_after_three_events),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
