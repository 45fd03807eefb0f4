/* mistral_embeddings_create_batched(): inputs split into requests of at
 * most K, one matrix stitched in input order, failures reported per
 * request (stop at the first, or go on), rows of a different length
 * refused, and bad arguments refused before anything is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emb_test_util.h"

static const char *const names[] = {"alpha", "bravo", "charlie", "delta", "echo"};

/* The expected stitched matrix: rows of batch-1 (inputs 0, 1), batch-2 (2, 3)
 * and batch-3 (4); NULL fixture names leave zero rows. 4 floats a row. */
static void expected(float out[5][4], const char *b1, const char *b2, const char *b3) {
  memset(out, 0, 5 * 4 * sizeof(float));
  const char *rel[3] = {b1, b2, b3};
  size_t first[3] = {0, 2, 4};
  for (int b = 0; b < 3; b++) {
    if (!rel[b]) continue;
    size_t rows, rb;
    unsigned char *m = et_expected_matrix(rel[b], MISTRAL_EMBEDDINGS_DTYPE_FLOAT, &rows, &rb);
    assert_int_equal(rb, 16);
    memcpy(out[first[b]], m, rows * rb);
    free(m);
  }
}

static int run(mistral_embeddings_batch **out, fixture_server *fs, size_t k, unsigned flags,
               mistral_error *err) {
  mistral_client *c = tu_client(fs, ET_KEY, 1);
  mistral_embeddings_request *req = et_request("mistral-embed", names, 5);
  int rc = mistral_embeddings_create_batched(out, c, req, k, flags, err);
  mistral_embeddings_request_free(req);
  mistral_client_free(c);
  return rc;
}

static void test_three_batches(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/batch-1.fixture", 1);
  tu_expect(fs, "embeddings/batch-2.fixture", 1);
  tu_expect(fs, "embeddings/batch-3.fixture", 1);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_batch *b = NULL;
  assert_int_equal(run(&b, fs, 2, 0, err), MISTRAL_OK);
  tu_assert_served(fs);
  assert_non_null(b);
  assert_int_equal(b->status, MISTRAL_OK);
  assert_int_equal(b->request_count, 3);
  assert_int_equal(b->failure_count, 0);
  const mistral_embeddings_response *r = b->response;
  float want[5][4];
  expected(want, "embeddings/batch-1.fixture", "embeddings/batch-2.fixture",
           "embeddings/batch-3.fixture");
  et_assert_floats(r, &want[0][0], 5, 4);
  for (int i = 0; i < 5; i++) assert_int_equal(b->row_ok[i], 1);
  assert_string_equal(r->id, "emb-batch-batch-1");
  assert_string_equal(r->request_id, "rid-batch-1");
  assert_string_equal(r->model, "mistral-embed");
  assert_string_equal(r->object, "list");
  assert_int_equal(r->usage->prompt_tokens, 10);
  assert_int_equal(r->usage->total_tokens, 10);
  assert_string_equal(r->usage->json, "{}");
  assert_ptr_equal(mistral_embeddings_row(r, 4), (const char *)r->data + 4 * 16);
  mistral_embeddings_batch_free(b);
  mistral_embeddings_batch_free(NULL);
  mistral_error_free(err);
  fixture_server_stop(fs);
}

static void test_one_request_when_k_is_large(void **state) {
  (void)state;
  for (size_t k = 5; k <= 6; k++) {
    fixture_server *fs = tu_server_start(ET_KEY, NULL);
    tu_expect(fs, "embeddings/batch-all.fixture", 1);
    mistral_embeddings_batch *b = NULL;
    assert_int_equal(run(&b, fs, k, 0, NULL), MISTRAL_OK);
    tu_assert_served(fs);
    assert_int_equal(b->request_count, 1);
    et_assert_matrix(b->response, "embeddings/batch-all.fixture");
    mistral_embeddings_batch_free(b);
    fixture_server_stop(fs);
  }
  /* A single-string input is one row. */
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/single-string.fixture", 1);
  mistral_client *c = tu_client(fs, ET_KEY, 1);
  mistral_embeddings_request *req = NULL;
  assert_int_equal(mistral_embeddings_request_new(&req, "mistral-embed"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_input(req, "What is the best French cheese?"),
                   MISTRAL_OK);
  mistral_embeddings_batch *b = NULL;
  assert_int_equal(mistral_embeddings_create_batched(&b, c, req, 1, 0, NULL), MISTRAL_OK);
  tu_assert_served(fs);
  et_assert_matrix(b->response, "embeddings/single-string.fixture");
  mistral_embeddings_batch_free(b);
  mistral_embeddings_request_free(req);
  mistral_client_free(c);
  fixture_server_stop(fs);
}

static void test_stop_at_first_failure(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/batch-1.fixture", 1);
  tu_expect(fs, "embeddings/batch-2-429.fixture", 1);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_batch *b = NULL;
  assert_int_equal(run(&b, fs, 2, 0, err), MISTRAL_E_RATE_LIMITED);
  tu_assert_served(fs); /* batch 3 never sent */
  assert_int_equal(fixture_server_requests(fs), 2);
  assert_non_null(b);
  assert_int_equal(b->status, MISTRAL_E_RATE_LIMITED);
  assert_int_equal(b->request_count, 2);
  assert_int_equal(b->failure_count, 1);
  const mistral_embeddings_batch_failure *f = b->failures[0];
  assert_int_equal(f->batch, 1);
  assert_int_equal(f->first_input, 2);
  assert_int_equal(f->input_count, 2);
  assert_int_equal(f->status, MISTRAL_E_RATE_LIMITED);
  assert_int_equal(f->http_status, 429);
  assert_true(tu_contains(f->message, "rate limit"));
  assert_string_equal(f->request_id, "rid-batch-2-429");
  /* err holds the same failure, its message naming the batch. */
  assert_int_equal(mistral_error_code(err), MISTRAL_E_RATE_LIMITED);
  assert_int_equal(mistral_error_http_status(err), 429);
  assert_true(tu_contains(mistral_error_message(err), "batch 1 (inputs 2..3): "));
  assert_true(tu_contains(mistral_error_message(err), "rate limit"));
  assert_string_equal(mistral_error_request_id(err), "rid-batch-2-429");
  /* Rows 0 and 1 are there; the others are zeros, marked so. */
  float want[5][4];
  expected(want, "embeddings/batch-1.fixture", NULL, NULL);
  et_assert_floats(b->response, &want[0][0], 5, 4);
  static const unsigned char ok[5] = {1, 1, 0, 0, 0};
  assert_memory_equal(b->row_ok, ok, 5);
  assert_int_equal(b->response->usage->total_tokens, 4);
  mistral_embeddings_batch_free(b);
  mistral_error_free(err);
  fixture_server_stop(fs);
}

static void test_continue_after_failure(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/batch-1.fixture", 1);
  tu_expect(fs, "embeddings/batch-2-429.fixture", 1);
  tu_expect(fs, "embeddings/batch-3.fixture", 1);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_batch *b = NULL;
  assert_int_equal(run(&b, fs, 2, MISTRAL_EMBEDDINGS_BATCH_CONTINUE, err),
                   MISTRAL_E_RATE_LIMITED);
  tu_assert_served(fs);
  assert_int_equal(b->request_count, 3);
  assert_int_equal(b->failure_count, 1);
  float want[5][4];
  expected(want, "embeddings/batch-1.fixture", NULL, "embeddings/batch-3.fixture");
  et_assert_floats(b->response, &want[0][0], 5, 4);
  static const unsigned char ok[5] = {1, 1, 0, 0, 1};
  assert_memory_equal(b->row_ok, ok, 5);
  mistral_embeddings_batch_free(b);
  mistral_error_free(err);
  fixture_server_stop(fs);
}

static void test_first_batch_fails(void **state) {
  (void)state;
  /* Batch 0 fails (503), the next two succeed: the matrix is made by the
   * first success, id and request id are its own. */
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  char *path = tu_fixture_path("embeddings/batch-1.fixture");
  char *text = tu_read_file(path, NULL);
  free(path);
  char *resp = strstr(text, "=== response\n");
  assert_non_null(resp);
  strcpy(resp, "=== response\nHTTP/1.1 503 Service Unavailable\ncontent-type: text/plain\n\n"
               "upstream connect error\n");
  assert_int_equal(fixture_server_expect_text(fs, text, 1), 0);
  free(text);
  tu_expect(fs, "embeddings/batch-2.fixture", 1);
  tu_expect(fs, "embeddings/batch-3.fixture", 1);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_batch *b = NULL;
  assert_int_equal(run(&b, fs, 2, MISTRAL_EMBEDDINGS_BATCH_CONTINUE, err), MISTRAL_E_SERVER);
  tu_assert_served(fs);
  assert_true(tu_contains(mistral_error_message(err), "batch 0 (inputs 0..1): "));
  assert_true(tu_contains(mistral_error_body(err), "upstream connect error"));
  assert_int_equal(b->failures[0]->http_status, 503);
  assert_null(b->failures[0]->request_id);
  float want[5][4];
  expected(want, NULL, "embeddings/batch-2.fixture", "embeddings/batch-3.fixture");
  et_assert_floats(b->response, &want[0][0], 5, 4);
  assert_string_equal(b->response->id, "emb-batch-batch-2");
  assert_string_equal(b->response->request_id, "rid-batch-2");
  mistral_embeddings_batch_free(b);
  mistral_error_free(err);
  fixture_server_stop(fs);
}

static void test_different_lengths(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/batch-1.fixture", 1);
  tu_expect(fs, "embeddings/batch-2-wide.fixture", 1);
  tu_expect(fs, "embeddings/batch-3.fixture", 1);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_batch *b = NULL;
  assert_int_equal(run(&b, fs, 2, MISTRAL_EMBEDDINGS_BATCH_CONTINUE, err),
                   MISTRAL_E_BAD_RESPONSE);
  tu_assert_served(fs);
  assert_true(tu_contains(mistral_error_message(err),
                          "batch 1 (inputs 2..3): malformed embeddings response: rows of 20 "
                          "bytes, earlier requests' rows have 16"));
  assert_string_equal(mistral_error_request_id(err), "rid-batch-2-wide");
  assert_int_equal(b->failure_count, 1);
  assert_int_equal(b->failures[0]->status, MISTRAL_E_BAD_RESPONSE);
  assert_int_equal(b->failures[0]->http_status, 0);
  static const unsigned char ok[5] = {1, 1, 0, 0, 1};
  assert_memory_equal(b->row_ok, ok, 5);
  mistral_embeddings_batch_free(b);
  mistral_error_free(err);
  fixture_server_stop(fs);
}

static void test_every_request_fails(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  mistral_client *c = tu_client(fs, ET_KEY, 1);
  assert_int_equal(mistral_client_set_server_url(c, "http://127.0.0.1:1"), MISTRAL_OK);
  mistral_embeddings_request *req = et_request("mistral-embed", names, 5);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_batch *b = NULL;
  assert_int_equal(mistral_embeddings_create_batched(&b, c, req, 2,
                                                     MISTRAL_EMBEDDINGS_BATCH_CONTINUE, err),
                   MISTRAL_E_CONNECT);
  assert_int_equal(b->request_count, 3);
  assert_int_equal(b->failure_count, 3);
  assert_int_equal(b->failures[2]->first_input, 4);
  assert_int_equal(b->failures[2]->input_count, 1);
  assert_int_equal(b->response->rows, 5);
  assert_int_equal(b->response->cols, 0);
  assert_int_equal(b->response->row_bytes, 0);
  assert_null(b->response->data);
  assert_null(b->response->id);
  assert_null(mistral_embeddings_f32(b->response));
  assert_null(mistral_embeddings_row(b->response, 0));
  assert_true(tu_contains(mistral_error_message(err), "batch 0 (inputs 0..1)"));
  mistral_embeddings_batch_free(b);
  mistral_error_free(err);
  mistral_embeddings_request_free(req);
  mistral_client_free(c);
  fixture_server_stop(fs);
}

static void test_bad_arguments(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  mistral_client *c = tu_client(fs, ET_KEY, 1);
  mistral_embeddings_request *req = et_request("mistral-embed", names, 5);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_batch *b = (mistral_embeddings_batch *)1;
  assert_int_equal(mistral_embeddings_create_batched(&b, c, req, 0, 0, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(b);
  assert_true(tu_contains(mistral_error_message(err), "batch_size is 0"));
  assert_int_equal(mistral_embeddings_create_batched(&b, c, req, 2, 2, err),
                   MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "unknown flags 0x2"));
  assert_int_equal(mistral_embeddings_create_batched(NULL, c, req, 2, 0, err),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_create_batched(&b, NULL, req, 2, 0, err),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_create_batched(&b, c, NULL, 2, 0, err),
                   MISTRAL_E_INVALID_ARG);
  /* A request that cannot be sent is refused whole. */
  assert_int_equal(mistral_embeddings_request_set_output_dimension(req, -1),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_create_batched(&b, c, req, 2, 0, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(b);
  assert_true(tu_contains(mistral_error_message(err), "output_dimension"));
  mistral_embeddings_request_free(req);
  assert_int_equal(mistral_embeddings_request_new(&req, "mistral-embed"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_create_batched(&b, c, req, 2, 0, err),
                   MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "input: not set"));
  assert_int_equal(mistral_embeddings_request_set_inputs(req, NULL, 0), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_create_batched(&b, c, req, 2, 0, err),
                   MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "the list is empty"));
  /* No key: refused whole too. */
  mistral_client *nokey = NULL;
  tu_clean_env();
  assert_int_equal(mistral_client_new(&nokey), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(nokey, fixture_server_url(fs)), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_inputs(req, names, 5), MISTRAL_OK);
  b = (mistral_embeddings_batch *)1;
  assert_int_equal(mistral_embeddings_create_batched(&b, nokey, req, 2, 0, err),
                   MISTRAL_E_NO_API_KEY);
  assert_null(b);
  mistral_client_free(nokey);
  assert_int_equal(fixture_server_connections(fs), 0);
  mistral_embeddings_request_free(req);
  mistral_error_free(err);
  mistral_client_free(c);
  fixture_server_stop(fs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_three_batches),
      cmocka_unit_test(test_one_request_when_k_is_large),
      cmocka_unit_test(test_stop_at_first_failure),
      cmocka_unit_test(test_continue_after_failure),
      cmocka_unit_test(test_first_batch_fails),
      cmocka_unit_test(test_different_lengths),
      cmocka_unit_test(test_every_request_fails),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
