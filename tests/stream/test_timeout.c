/* E. Idle timeouts. A stream that stalls mid-way fails with
 * MISTRAL_E_TIMEOUT once no byte came for the idle timeout (chunks before
 * it delivered, the answer so far kept), and so does one whose headers
 * never come; a slow drip that never pauses that long succeeds although it
 * lasts three times the client's (non-streaming) total timeout, which a
 * non-streaming call does hit; the per-call idle timeout overrides the
 * client's both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream_test_util.h"

#define FIXTURE "text-utf8.fixture"

typedef struct timeout_ctx {
  fixture_server *fs;
  mistral_client *client;
  const stream_case *c;
  mistral_chat_request *req;
  char *body;
  size_t len;
  stream_record ref; /* the sans-I/O run of the whole body */
} timeout_ctx;

static int setup(void **state) {
  tu_clean_env();
  timeout_ctx *t = calloc(1, sizeof *t);
  if (!t) return -1;
  t->fs = fixture_server_start(STREAM_TEST_KEY);
  if (!t->fs) {
    free(t);
    return -1;
  }
  t->client = stream_client(t->fs);
  t->c = stream_case_find(FIXTURE);
  t->req = stream_case_request(t->c);
  t->body = stream_fixture_body(FIXTURE, &t->len);
  record_init(&t->ref);
  run_sansio(t->body, t->len, NULL, 0, &t->ref, NULL);
  *state = t;
  return 0;
}

static int teardown(void **state) {
  timeout_ctx *t = *state;
  record_free(&t->ref);
  mistral_chat_request_free(t->req);
  mistral_client_free(t->client);
  fixture_server_stop(t->fs);
  free(t->body);
  free(t);
  return 0;
}

static size_t event_end(const char *body, size_t n) {
  const char *p = body;
  for (size_t i = 0; i < n; i++) {
    p = strstr(p, "\n\n");
    assert_non_null(p);
    p += 2;
  }
  return (size_t)(p - body);
}

/* Three events, then a pause of ms before the rest. */
static char *stall(const timeout_ctx *t, unsigned ms) {
  sbuf b = {0};
  sbuf_printf(&b, "%% split-at %zu\n%% chunk-delay-ms %u\n", event_end(t->body, 3), ms);
  return b.data;
}

/* A timed-out run: 3 chunks delivered, the answer so far kept. */
static void expect_stalled(timeout_ctx *t, const mistral_chat_request *req, int pull) {
  stream_record r;
  record_init(&r);
  mistral_chat_response *resp = NULL;
  int rc = pull ? run_pull(t->client, req, &r, &resp) : run_push(t->client, req, &r, &resp);
  if (rc != MISTRAL_E_TIMEOUT) fail_msg("%s: %s", pull ? "pull" : "push", sbuf_str(&r.err));
  assert_int_equal(r.err_code, MISTRAL_E_TIMEOUT);
  assert_int_equal(r.chunk_count, 3);
  assert_string_equal(sbuf_str(&r.text[0]), "Bienvenue à");
  assert_non_null(resp);
  assert_string_equal(resp->choices[0]->message->content, "Bienvenue à");
  mistral_chat_response_free(resp);
  record_free(&r);
  tu_assert_served(t->fs);
}

/* A complete run, identical to the sans-I/O one. */
static void expect_complete(timeout_ctx *t, const mistral_chat_request *req, int pull) {
  stream_record r;
  record_init(&r);
  mistral_chat_response *resp = NULL;
  int rc = pull ? run_pull(t->client, req, &r, &resp) : run_push(t->client, req, &r, &resp);
  if (rc != MISTRAL_OK) fail_msg("%s: %s", pull ? "pull" : "push", sbuf_str(&r.err));
  record_assert_equal(&t->ref, &r, pull != 0, pull ? "pull" : "push");
  check_case(t->c, &r, resp, pull != 0);
  mistral_chat_response_free(resp);
  record_free(&r);
  tu_assert_served(t->fs);
}

/* Idle limits are a second, not less: under valgrind the first bytes alone
 * can take a few hundred milliseconds to arrive. */
#define IDLE_MS 1000

static void test_stall(void **state) {
  timeout_ctx *t = *state;
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, IDLE_MS), MISTRAL_OK);
  char *d = stall(t, 600000);
  for (int pull = 0; pull < 2; pull++) {
    stream_expect(t->fs, FIXTURE, d);
    expect_stalled(t, t->req, pull);
    /* The connection was dropped. */
    stream_wait_closed(t->fs, (size_t)pull + 1);
  }
  free(d);
}

static void test_no_headers(void **state) {
  timeout_ctx *t = *state;
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, 300), MISTRAL_OK);
  /* Push: nothing delivered, no final_out. */
  stream_expect(t->fs, FIXTURE, "% delay-ms 600000\n");
  stream_record r;
  record_init(&r);
  assert_int_equal(run_push(t->client, t->req, &r, NULL), MISTRAL_E_TIMEOUT);
  assert_int_equal(r.chunk_count, 0);
  record_free(&r);
  /* Pull: open fails. */
  stream_expect(t->fs, FIXTURE, "% delay-ms 600000\n");
  mistral_error *err = mistral_error_new();
  mistral_chat_stream *s = (mistral_chat_stream *)1;
  assert_int_equal(mistral_chat_stream_open(&s, t->client, t->req, err), MISTRAL_E_TIMEOUT);
  assert_null(s);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_TIMEOUT);
  mistral_error_free(err);
  tu_assert_served(t->fs);
}

static void test_slow_drip(void **state) {
  timeout_ctx *t = *state;
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, IDLE_MS), MISTRAL_OK);
  assert_int_equal(mistral_client_set_timeout_ms(t->client, 500), MISTRAL_OK);
  /* 30 pieces, 50 ms apart: about 1.5 s, never a second without a byte. */
  sbuf d = {0};
  sbuf_adds(&d, "% split-at ");
  for (size_t i = 1; i < 30; i++) sbuf_printf(&d, "%s%zu", i > 1 ? "," : "", t->len * i / 30);
  sbuf_adds(&d, "\n% chunk-delay-ms 50\n");
  for (int pull = 0; pull < 2; pull++) {
    stream_expect(t->fs, FIXTURE, d.data);
    expect_complete(t, t->req, pull);
  }
  sbuf_free(&d);

  /* The 500 ms total timeout is in force for a non-streaming call: the same
   * drip on a plain answer fails. */
  stream_expect(t->fs, "plain-answer.fixture", "% chunk-bytes 10\n% chunk-delay-ms 50\n");
  mistral_chat_request *req = tu_hello_request();
  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, err), MISTRAL_E_TIMEOUT);
  assert_null(resp);
  mistral_error_free(err);
  mistral_chat_request_free(req);
  tu_assert_served(t->fs);
}

static void test_per_call(void **state) {
  timeout_ctx *t = *state;
  char *d = stall(t, 2500); /* a 2.5-second pause after three events */
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);

  /* Client 1 s, no per-call setting: the pause is fatal. */
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, IDLE_MS), MISTRAL_OK);
  stream_expect(t->fs, FIXTURE, d);
  expect_stalled(t, t->req, 0);

  /* Client 1 s, per call 5 s: it is not. */
  mistral_chat_request *req = stream_case_request(t->c);
  assert_int_equal(mistral_call_options_set_idle_timeout_ms(opts, 5000), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_call_options(req, opts), MISTRAL_OK);
  for (int pull = 0; pull < 2; pull++) {
    stream_expect(t->fs, FIXTURE, d);
    expect_complete(t, req, pull);
  }
  /* Per call 0: no limit at all. */
  assert_int_equal(mistral_call_options_set_idle_timeout_ms(opts, 0), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_call_options(req, opts), MISTRAL_OK);
  stream_expect(t->fs, FIXTURE, d);
  expect_complete(t, req, 1);

  /* Client without limit, per call 1 s: fatal again. */
  assert_int_equal(mistral_client_set_stream_idle_timeout_ms(t->client, 0), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_idle_timeout_ms(opts, IDLE_MS), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_call_options(req, opts), MISTRAL_OK);
  for (int pull = 0; pull < 2; pull++) {
    stream_expect(t->fs, FIXTURE, d);
    expect_stalled(t, req, pull);
  }
  /* Options cleared: the client's setting (no limit) applies. */
  assert_int_equal(mistral_chat_request_set_call_options(req, NULL), MISTRAL_OK);
  stream_expect(t->fs, FIXTURE, d);
  expect_complete(t, req, 0);

  mistral_chat_request_free(req);
  mistral_call_options_free(opts);
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_stall, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_headers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_slow_drip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_per_call, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
