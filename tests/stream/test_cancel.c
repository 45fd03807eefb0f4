/* D. Cancellation: a push callback that stops the stream (after the 1st,
 * 2nd and last chunk; the body whole in one read, or dripping) gets
 * MISTRAL_E_CANCELLED, no further callback, the answer so far in
 * final_out; the server sees the connection closed, and the client then
 * makes a normal call. Pull: freeing a stream after one chunk of a stream
 * that stalls for ten minutes, or right after open, returns at once (a
 * blocking free would hang the test until its timeout) and closes the
 * connection. */
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

typedef struct cancel_ctx {
  fixture_server *fs;
  mistral_client *client;
  mistral_chat_request *req;
  char *body;
  size_t len;
} cancel_ctx;

static int setup(void **state) {
  tu_clean_env();
  cancel_ctx *t = calloc(1, sizeof *t);
  if (!t) return -1;
  t->fs = fixture_server_start(STREAM_TEST_KEY);
  if (!t->fs) {
    free(t);
    return -1;
  }
  t->client = stream_client(t->fs);
  t->req = stream_case_request(stream_case_find(FIXTURE));
  t->body = stream_fixture_body(FIXTURE, &t->len);
  *state = t;
  return 0;
}

static int teardown(void **state) {
  cancel_ctx *t = *state;
  mistral_chat_request_free(t->req);
  mistral_client_free(t->client);
  fixture_server_stop(t->fs);
  free(t->body);
  free(t);
  return 0;
}

/* Offset just after the n-th event (its blank line). */
static size_t event_end(const char *body, size_t n) {
  const char *p = body;
  for (size_t i = 0; i < n; i++) {
    p = strstr(p, "\n\n");
    assert_non_null(p);
    p += 2;
  }
  return (size_t)(p - body);
}

/* "% split-at" at every event boundary, with a pause of ms between. */
static char *drip_directives(const cancel_ctx *t, unsigned ms) {
  sbuf b = {0};
  sbuf_adds(&b, "% split-at ");
  for (size_t n = 1; n <= 17; n++) sbuf_printf(&b, "%s%zu", n > 1 ? "," : "", event_end(t->body, n));
  sbuf_printf(&b, "\n%% chunk-delay-ms %u\n", ms);
  return b.data;
}

/* The client still works: a normal, non-streaming call. */
static void normal_call(cancel_ctx *t) {
  tu_expect(t->fs, "stream/plain-answer.fixture", 1);
  mistral_chat_request *req = tu_hello_request();
  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, t->client, req, err);
  if (rc != MISTRAL_OK) fail_msg("normal call: %s", mistral_error_message(err));
  assert_string_equal(mistral_chat_response_text(resp), "Bonjour !");
  mistral_chat_response_free(resp);
  mistral_error_free(err);
  mistral_chat_request_free(req);
  tu_assert_served(t->fs);
}

typedef struct stopper {
  size_t calls;
  size_t stop_at;
  stream_record r;
} stopper;

static int stop_cb(const mistral_chat_chunk *chunk, void *ud) {
  stopper *s = ud;
  s->calls++;
  assert_true(s->calls <= s->stop_at); /* no callback after a stop */
  record_chunk(&s->r, chunk);
  return s->calls == s->stop_at;
}

static void push_cancel(cancel_ctx *t, const char *directives, size_t stop_at) {
  size_t before = fixture_server_connections_closed(t->fs);
  stream_expect(t->fs, FIXTURE, directives);
  stopper s = {.stop_at = stop_at};
  record_init(&s.r);
  mistral_error *err = mistral_error_new();
  mistral_chat_response *final = NULL;
  int rc = mistral_chat_complete_streaming(&final, t->client, t->req, stop_cb, &s, err);
  assert_int_equal(rc, MISTRAL_E_CANCELLED);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_CANCELLED);
  assert_int_equal(s.calls, stop_at);
  /* The answer up to the stop, with the stopping chunk. */
  assert_non_null(final);
  assert_string_equal(final->choices[0]->message->content, sbuf_str(&s.r.text[0]));
  mistral_chat_response_free(final);
  mistral_error_free(err);
  record_free(&s.r);
  tu_assert_served(t->fs);
  /* The connection is closed at once: the server sees it go. */
  stream_wait_closed(t->fs, before + 1);
}

static void test_push_cancel_whole(void **state) {
  cancel_ctx *t = *state;
  const size_t stops[] = {1, 2, 17};
  for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) push_cancel(t, "", stops[i]);
  size_t conns = fixture_server_connections(t->fs);
  normal_call(t);
  /* A new connection: the cancelled ones were not reused. */
  assert_int_equal(fixture_server_connections(t->fs), conns + 1);
}

static void test_push_cancel_drip(void **state) {
  cancel_ctx *t = *state;
  char *d = drip_directives(t, 20);
  push_cancel(t, d, 2);
  free(d);
  normal_call(t);
}

/* A stream that sends two events, then stalls for ten minutes. */
static char *stall_directives(const cancel_ctx *t, size_t events) {
  sbuf b = {0};
  sbuf_printf(&b, "%% split-at %zu\n%% chunk-delay-ms 600000\n", event_end(t->body, events));
  return b.data;
}

static void test_pull_free_after_one(void **state) {
  cancel_ctx *t = *state;
  char *d = stall_directives(t, 2);
  stream_expect(t->fs, FIXTURE, d);
  free(d);
  mistral_error *err = mistral_error_new();
  mistral_chat_stream *s = NULL;
  assert_int_equal(mistral_chat_stream_open(&s, t->client, t->req, err), MISTRAL_OK);
  const mistral_chat_chunk *chunk = NULL;
  assert_int_equal(mistral_chat_stream_next(&chunk, s, err), MISTRAL_OK);
  assert_non_null(chunk);
  assert_string_equal(chunk->choices[0]->delta->role, "assistant");
  mistral_chat_stream_free(s); /* mid-transfer: aborts it */
  tu_assert_served(t->fs);
  stream_wait_closed(t->fs, 1);
  mistral_error_free(err);
  normal_call(t);
}

static void test_pull_free_after_open(void **state) {
  cancel_ctx *t = *state;
  mistral_error *err = mistral_error_new();
  /* Stalled before the first event: free aborts the transfer, the server
   * sees the connection close. */
  char *d = stall_directives(t, 1);
  stream_expect(t->fs, FIXTURE, d);
  free(d);
  mistral_chat_stream *s = NULL;
  assert_int_equal(mistral_chat_stream_open(&s, t->client, t->req, err), MISTRAL_OK);
  assert_non_null(s);
  mistral_chat_stream_free(s);
  tu_assert_served(t->fs);
  stream_wait_closed(t->fs, 1);
  /* The whole body sent at once: free with events queued and never read
   * (the connection may be kept if the transfer had completed). */
  stream_expect(t->fs, FIXTURE, "");
  s = NULL;
  assert_int_equal(mistral_chat_stream_open(&s, t->client, t->req, err), MISTRAL_OK);
  mistral_chat_stream_free(s);
  tu_assert_served(t->fs);
  mistral_chat_stream_free(NULL);
  mistral_error_free(err);
  normal_call(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_push_cancel_whole, setup, teardown),
      cmocka_unit_test_setup_teardown(test_push_cancel_drip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pull_free_after_one, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pull_free_after_open, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
