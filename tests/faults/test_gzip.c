/* Compressed responses over the loopback fixture server (% gzip): the
 * library asks libcurl to decode any encoding it knows (it sends
 * Accept-Encoding), so a gzip-encoded plain chat answer, stream (chunked,
 * decoded as its pieces arrive) and embeddings answer read exactly as
 * uncompressed ones; a body labelled gzip that is not is a clean
 * MISTRAL_E_BAD_RESPONSE (never retried), also for a stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faults_util.h"

/* The library offered gzip in the i-th request the server received. */
static void assert_offered_gzip(const rt_ctx *t, size_t i) {
  char *raw = fixture_server_received(t->fs, i);
  assert_non_null(raw);
  char *line = strstr(raw, "\r\nAccept-Encoding: ");
  if (!line) fail_msg("no Accept-Encoding in:\n%s", raw);
  char *end = strstr(line + 2, "\r\n");
  assert_non_null(end);
  *end = '\0';
  if (!strstr(line, "gzip")) fail_msg("gzip not offered: %s", line + 2);
  free(raw);
}

static void test_gzip_chat(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "faults/gzip.fixture", 1);
  /* rt_chat checks the text: "Bonjour ! Comment puis-je vous aider ?" */
  assert_int_equal(rt_chat(t, NULL), MISTRAL_OK);
  assert_offered_gzip(t, 0);
  tu_assert_served(t->fs);
}

static void test_gzip_stream(void **state) {
  rt_ctx *t = *state;
  for (int push = 0; push < 2; push++) {
    tu_expect(t->fs, "faults/stream-gzip.fixture", 1);
    fu_seen s;
    int rc = fu_stream(t, push, NULL, &s);
    if (rc != MISTRAL_OK) fail_msg("%s: %s", push ? "push" : "pull", mistral_error_message(t->err));
    assert_int_equal(s.chunks, 4);
    assert_string_equal(s.text, "Bonjour !");
    if (push) assert_string_equal(s.final_text, "Bonjour !");
    assert_offered_gzip(t, (size_t)push);
    tu_assert_served(t->fs);
  }
}

static void test_gzip_embeddings(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "faults/embeddings-gzip.fixture", 1);
  mistral_embeddings_request *req = NULL;
  assert_int_equal(mistral_embeddings_request_new(&req, "mistral-embed"), MISTRAL_OK);
  const char *const inputs[] = {"Embed this sentence.", "As well as this one."};
  assert_int_equal(mistral_embeddings_request_set_inputs(req, inputs, 2), MISTRAL_OK);
  mistral_embeddings_response *resp = NULL;
  int rc = mistral_embeddings_create(&resp, t->client, req, t->err);
  if (rc != MISTRAL_OK) fail_msg("embeddings: %s", mistral_error_message(t->err));
  assert_int_equal(resp->rows, 2);
  assert_int_equal(resp->cols, 8);
  const float *m = mistral_embeddings_f32(resp);
  assert_non_null(m);
  /* Values exact in binary: compared exactly. */
  assert_true(m[0] == -0.004425048828125f);
  assert_true(m[7] == -0.011383056640625f);
  assert_true(m[8] == -0.061859130859375f);
  assert_true(m[15] == -0.079833984375f);
  assert_string_equal(resp->request_id, "5b2e8f1a7c3d4e9b");
  mistral_embeddings_response_free(resp);
  mistral_embeddings_request_free(req);
  assert_offered_gzip(t, 0);
  tu_assert_served(t->fs);
}

/* "Content-Encoding: gzip" on a plain body: libcurl cannot inflate it
 * (CURLE_BAD_CONTENT_ENCODING): MISTRAL_E_BAD_RESPONSE, no retry. */
static void test_gzip_corrupt(void **state) {
  rt_ctx *t = *state;
  tu_expect(t->fs, "faults/gzip-corrupt.fixture", 1);
  assert_int_equal(rt_chat(t, NULL), MISTRAL_E_BAD_RESPONSE);
  assert_int_equal(mistral_error_attempts(t->err), 1);
  assert_non_null(mistral_error_message(t->err));
  tu_assert_served(t->fs);

  for (int push = 0; push < 2; push++) {
    tu_expect(t->fs, "faults/stream-gzip-corrupt.fixture", 1);
    fu_seen s;
    int rc = fu_stream(t, push, NULL, &s);
    if (rc != MISTRAL_E_BAD_RESPONSE)
      fail_msg("%s: %d %s", push ? "push" : "pull", rc, mistral_error_message(t->err));
    assert_int_equal(mistral_error_code(t->err), MISTRAL_E_BAD_RESPONSE);
    assert_int_equal(mistral_error_attempts(t->err), 1);
    assert_int_equal(s.chunks, 0);
    tu_assert_served(t->fs);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)
      T(test_gzip_chat),
      T(test_gzip_stream),
      T(test_gzip_embeddings),
      T(test_gzip_corrupt),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
