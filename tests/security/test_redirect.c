/* Redirects are never followed: 301, 302, 303, 307 and 308, to another host
 * or to the same one, for plain, streaming (push and pull) and raw calls.
 * Each is returned as MISTRAL_E_HTTP with the 3xx status, after exactly one
 * request; a second server standing at the Location receives no
 * connection, so the Authorization header goes nowhere else. The downgrade
 * case (an HTTPS server redirecting to plain HTTP) is in test_tls.c.
 * Fixtures: tests/fixtures/security/redirect-*.fixture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mistral/mistral.h>

#include "fixture_server.h"
#include "sec_util.h"

typedef struct ctx {
  fixture_server *fs;    /* the API */
  fixture_server *other; /* where the redirects point */
  mistral_client *client;
  mistral_error *err;
  sec_log *log;
} ctx;

static int setup(void **state) {
  ctx *t = calloc(1, sizeof *t);
  if (!t) return -1;
  t->fs = fixture_server_start(SEC_TEST_KEY);
  t->other = fixture_server_start(SEC_TEST_KEY);
  if (!t->fs || !t->other) return -1;
  t->client = sec_client(fixture_server_url(t->fs));
  t->err = mistral_error_new();
  t->log = sec_log_new();
  sec_log_attach(t->log, t->client);
  *state = t;
  return 0;
}

static int teardown(void **state) {
  ctx *t = *state;
  mistral_client_free(t->client);
  fixture_server_stop(t->fs);
  fixture_server_stop(t->other);
  mistral_error_free(t->err);
  sec_log_free(t->log);
  free(t);
  return 0;
}

static void expect(ctx *t, const char *rel) {
  const char *pairs[] = {"OTHER", fixture_server_url(t->other), NULL};
  char *text = sec_fixture_text(rel, pairs);
  assert_int_equal(fixture_server_expect_text(t->fs, text, 1), 0);
  free(text);
}

/* One request served, none mismatched, nothing reached the other host, and
 * the error is the redirect's status, free of the key. */
static void assert_not_followed(ctx *t, int rc, int status) {
  if (rc != MISTRAL_E_HTTP) print_error("got %d: %s\n", rc, mistral_error_message(t->err));
  assert_int_equal(rc, MISTRAL_E_HTTP);
  assert_int_equal(mistral_error_code(t->err), MISTRAL_E_HTTP);
  assert_int_equal(mistral_error_http_status(t->err), status);
  assert_false(mistral_error_is_retryable(t->err));
  assert_int_equal(fixture_server_requests(t->fs), 1);
  assert_int_equal(fixture_server_mismatches(t->fs), 0);
  assert_int_equal(fixture_server_pending(t->fs), 0);
  assert_int_equal(fixture_server_connections(t->other), 0);
  assert_int_equal(fixture_server_requests(t->other), 0);
  tu_assert_error_clean(t->err, SEC_TEST_KEY);
  sec_assert_log_clean(t->log, SEC_TEST_KEY);
}

static int chat(ctx *t) {
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = (mistral_chat_response *)(uintptr_t)1;
  int rc = mistral_chat_complete(&resp, t->client, req, t->err);
  mistral_chat_request_free(req);
  assert_null(resp);
  return rc;
}

static void test_307_to_other_host(void **state) {
  ctx *t = *state;
  expect(t, "security/redirect-307-other-host.fixture");
  assert_not_followed(t, chat(t), 307);
}

static void test_302_same_host(void **state) {
  ctx *t = *state;
  expect(t, "security/redirect-302-same-host.fixture");
  assert_not_followed(t, chat(t), 302);
}

static void test_303_key_echo(void **state) {
  ctx *t = *state;
  expect(t, "security/redirect-303-key-echo.fixture");
  assert_not_followed(t, chat(t), 303);
  /* The body was kept (redacted), so the check above had text to search. */
  assert_non_null(mistral_error_body(t->err));
  assert_non_null(strstr(mistral_error_body(t->err), "See other"));
}

static int count_chunk(const mistral_chat_chunk *chunk, void *user_data) {
  (void)chunk;
  (*(int *)user_data)++;
  return 0;
}

static void test_308_stream_push(void **state) {
  ctx *t = *state;
  expect(t, "security/redirect-308-stream.fixture");
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *final = NULL;
  int chunks = 0;
  int rc = mistral_chat_complete_streaming(&final, t->client, req, count_chunk, &chunks, t->err);
  mistral_chat_request_free(req);
  assert_null(final);
  assert_int_equal(chunks, 0);
  assert_not_followed(t, rc, 308);
}

static void test_308_stream_pull(void **state) {
  ctx *t = *state;
  expect(t, "security/redirect-308-stream.fixture");
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_stream *stream = (mistral_chat_stream *)(uintptr_t)1;
  int rc = mistral_chat_stream_open(&stream, t->client, req, t->err);
  mistral_chat_request_free(req);
  assert_null(stream);
  assert_not_followed(t, rc, 308);
}

static void test_301_raw(void **state) {
  ctx *t = *state;
  expect(t, "security/redirect-301-raw.fixture");
  mistral_raw_response *r = NULL;
  int rc = mistral_raw_call(&r, t->client, "GET", "/v1/models", NULL, t->err);
  assert_non_null(r); /* the raw call hands the 301 back */
  assert_int_equal(mistral_raw_response_status(r), 301);
  const char *location = mistral_raw_response_header(r, "Location");
  assert_non_null(location);
  assert_non_null(strstr(location, fixture_server_url(t->other)));
  mistral_raw_response_free(r);
  assert_not_followed(t, rc, 301);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_307_to_other_host), T(test_302_same_host),  T(test_303_key_echo),
      T(test_308_stream_push),   T(test_308_stream_pull), T(test_301_raw),
  };
#undef T
  return cmocka_run_group_tests_name("security_redirect", tests, NULL, NULL);
}
