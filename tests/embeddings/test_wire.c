/* mistral_embeddings_create() over the loopback fixture server: what goes
 * out (every field, checked by the fixtures), the matrix that comes back
 * for every dtype and encoding however the body is cut, and every way a
 * call fails: HTTP errors, bodies that are not what the API promises, a
 * cut connection, the size limit, timeouts, the cancel flag, no key, and
 * out of memory at every allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emb_test_util.h"

static const char *const two_inputs[] = {"Embed this sentence.", "As well as this one."};

/* Runs one call of req against fixture rel; returns the response (NULL on
 * failure, with *rc and err set). */
static mistral_embeddings_response *call(const char *rel, const char *directives,
                                         const mistral_embeddings_request *req, int *rc,
                                         mistral_error *err, mistral_client *client_or_null) {
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect_with(fs, rel, directives, 1);
  mistral_client *c = client_or_null ? client_or_null : tu_client(fs, ET_KEY, 1);
  if (client_or_null)
    assert_int_equal(mistral_client_set_server_url(c, fixture_server_url(fs)), MISTRAL_OK);
  mistral_embeddings_response *r = (mistral_embeddings_response *)1;
  *rc = mistral_embeddings_create(&r, c, req, err);
  if (*rc != MISTRAL_OK) assert_null(r);
  tu_assert_served(fs);
  if (!client_or_null) mistral_client_free(c);
  fixture_server_stop(fs);
  /* Whatever happened, the key is nowhere in the error. */
  assert_false(tu_contains(mistral_error_message(err), ET_KEY));
  assert_false(tu_contains(mistral_error_body(err), ET_KEY));
  return r;
}

static mistral_embeddings_response *call_ok(const char *rel, const char *directives,
                                            const mistral_embeddings_request *req) {
  mistral_error *err = mistral_error_new();
  int rc;
  mistral_embeddings_response *r = call(rel, directives, req, &rc, err, NULL);
  if (rc != MISTRAL_OK) print_error("%s: %d %s\n", rel, rc, mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  mistral_error_free(err);
  return r;
}

/* Asserts the call fails with code and a message holding needle; returns
 * the error for more checks (caller frees). */
static mistral_error *call_fails(const char *rel, const char *directives,
                                 const mistral_embeddings_request *req, int code,
                                 const char *needle) {
  mistral_error *err = mistral_error_new();
  int rc;
  mistral_embeddings_response *r = call(rel, directives, req, &rc, err, NULL);
  assert_null(r);
  if (rc != code || mistral_error_code(err) != code ||
      !tu_contains(mistral_error_message(err), needle))
    print_error("%s: want %d \"%s\", got %d \"%s\"\n", rel, code, needle, rc,
                mistral_error_message(err));
  assert_int_equal(rc, code);
  assert_true(tu_contains(mistral_error_message(err), needle));
  return err;
}

static mistral_embeddings_request *two(void) { return et_request("mistral-embed", two_inputs, 2); }

/* ---- what comes back ---- */

static void test_float_two(void **state) {
  (void)state;
  mistral_embeddings_request *req = two();
  mistral_embeddings_response *r = call_ok("embeddings/float-two.fixture", "", req);
  et_assert_matrix(r, "embeddings/float-two.fixture");
  assert_int_equal(r->dtype, MISTRAL_EMBEDDINGS_DTYPE_FLOAT);
  assert_int_equal(r->cols, 8);
  assert_int_equal(r->row_bytes, 32);
  assert_string_equal(r->id, "c7a1f0e9b2d84e6f9a3b5c7d1e2f4a60");
  assert_string_equal(r->object, "list");
  assert_string_equal(r->model, "mistral-embed");
  assert_string_equal(r->request_id, "5b2e8f1a7c3d4e9b");
  assert_int_equal(r->usage->prompt_tokens, 15);
  assert_int_equal(r->usage->total_tokens, 15);
  assert_true(tu_contains(r->usage->json, "\"prompt_audio_seconds\":null"));
  /* The first value, spelled out. */
  assert_true(mistral_embeddings_f32(r)[0] == -0.004425048828125f);
  mistral_embeddings_response_free(r);
  mistral_embeddings_request_free(req);
}

static void test_single_string(void **state) {
  (void)state;
  mistral_embeddings_request *req = NULL;
  assert_int_equal(mistral_embeddings_request_new(&req, "mistral-embed"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_input(req, "What is the best French cheese?"),
                   MISTRAL_OK);
  mistral_embeddings_response *r = call_ok("embeddings/single-string.fixture", "", req);
  et_assert_matrix(r, "embeddings/single-string.fixture");
  assert_int_equal(r->rows, 1);
  assert_int_equal(r->cols, 6);
  mistral_embeddings_response_free(r);
  mistral_embeddings_request_free(req);
}

static void test_all_fields_int8(void **state) {
  (void)state;
  const char *in[] = {"def add(a, b):\n    return a + b", "SELECT * FROM users;"};
  mistral_embeddings_request *req = et_request("codestral-embed", in, 2);
  assert_int_equal(mistral_embeddings_request_set_output_dimension(req, 8), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_output_dtype(req, MISTRAL_EMBEDDINGS_DTYPE_INT8),
                   MISTRAL_OK);
  assert_int_equal(
      mistral_embeddings_request_set_encoding_format(req, MISTRAL_EMBEDDINGS_ENCODING_FLOAT),
      MISTRAL_OK);
  assert_int_equal(
      mistral_embeddings_request_set_metadata_json(req, "{\"user\":\"42\",\"team\":\"search\"}"),
      MISTRAL_OK);
  mistral_embeddings_response *r = call_ok("embeddings/all-fields.fixture", "", req);
  assert_int_equal(r->dtype, MISTRAL_EMBEDDINGS_DTYPE_INT8);
  et_assert_matrix(r, "embeddings/all-fields.fixture");
  assert_int_equal(r->cols, 8);
  assert_int_equal(mistral_embeddings_i8(r)[0], -128);
  assert_int_equal(mistral_embeddings_i8(r)[1], 127);
  assert_null(mistral_embeddings_f32(r));
  mistral_embeddings_response_free(r);
  mistral_embeddings_request_free(req);
}

static void test_other_dtypes(void **state) {
  (void)state;
  static const struct {
    const char *rel;
    mistral_embeddings_dtype dtype;
    int64_t dim;
    int base64;
    size_t cols, row_bytes;
  } cases[] = {
      {"embeddings/uint8.fixture", MISTRAL_EMBEDDINGS_DTYPE_UINT8, 8, 0, 8, 8},
      {"embeddings/binary.fixture", MISTRAL_EMBEDDINGS_DTYPE_BINARY, 32, 0, 32, 4},
      {"embeddings/ubinary.fixture", MISTRAL_EMBEDDINGS_DTYPE_UBINARY, 32, 0, 32, 4},
      {"embeddings/base64-binary.fixture", MISTRAL_EMBEDDINGS_DTYPE_BINARY, 32, 1, 32, 4},
      {"embeddings/base64-uint8.fixture", MISTRAL_EMBEDDINGS_DTYPE_UINT8, 8, 1, 8, 8},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_embeddings_request *req = et_request("codestral-embed", two_inputs, 2);
    assert_int_equal(mistral_embeddings_request_set_output_dimension(req, cases[i].dim),
                     MISTRAL_OK);
    assert_int_equal(mistral_embeddings_request_set_output_dtype(req, cases[i].dtype), MISTRAL_OK);
    if (cases[i].base64)
      assert_int_equal(
          mistral_embeddings_request_set_encoding_format(req, MISTRAL_EMBEDDINGS_ENCODING_BASE64),
          MISTRAL_OK);
    mistral_embeddings_response *r = call_ok(cases[i].rel, "", req);
    assert_int_equal(r->dtype, cases[i].dtype);
    assert_int_equal(r->cols, cases[i].cols);
    assert_int_equal(r->row_bytes, cases[i].row_bytes);
    et_assert_matrix(r, cases[i].rel);
    int is_signed = cases[i].dtype == MISTRAL_EMBEDDINGS_DTYPE_BINARY;
    assert_true(is_signed ? mistral_embeddings_i8(r) != NULL : mistral_embeddings_u8(r) != NULL);
    mistral_embeddings_response_free(r);
    mistral_embeddings_request_free(req);
  }
}

static mistral_embeddings_request *base64_request(void) {
  const char *in[] = {"red", "green", "blue"};
  mistral_embeddings_request *req = et_request("mistral-embed", in, 3);
  assert_int_equal(
      mistral_embeddings_request_set_encoding_format(req, MISTRAL_EMBEDDINGS_ENCODING_BASE64),
      MISTRAL_OK);
  return req;
}

static void test_base64_float(void **state) {
  (void)state;
  mistral_embeddings_request *req = base64_request();
  mistral_embeddings_response *r = call_ok("embeddings/base64-float.fixture", "", req);
  et_assert_matrix(r, "embeddings/base64-float.fixture");
  assert_int_equal(r->cols, 8);
  assert_int_equal(r->rows, 3);
  mistral_embeddings_response_free(r);
  mistral_embeddings_request_free(req);
}

static void test_out_of_order(void **state) {
  (void)state;
  const char *in[] = {"one", "two", "three"};
  mistral_embeddings_request *req = et_request("mistral-embed", in, 3);
  mistral_embeddings_response *r = call_ok("embeddings/out-of-order.fixture", "", req);
  et_assert_matrix(r, "embeddings/out-of-order.fixture");
  mistral_embeddings_response_free(r);
  mistral_embeddings_request_free(req);
}

static void test_nulls(void **state) {
  (void)state;
  mistral_embeddings_request *req = et_request("mistral-embed", two_inputs, 1);
  assert_int_equal(mistral_embeddings_request_set_null(req, "output_dimension"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_null(req, "metadata"), MISTRAL_OK);
  mistral_embeddings_response *r = call_ok("embeddings/nulls.fixture", "", req);
  et_assert_matrix(r, "embeddings/nulls.fixture");
  mistral_embeddings_response_free(r);
  mistral_embeddings_request_free(req);
}

/* The body in pieces of every small size, chunked transfer encoding, and
 * cuts at chosen offsets: the same matrix. */
static void test_body_in_pieces(void **state) {
  (void)state;
  static const char *const directives[] = {
      "% chunk-bytes 1\n",
      "% chunk-bytes 3\n",
      "% chunk-bytes 7\n",
      "% chunk-bytes 64\n",
      "% transfer-encoding chunked\n% chunk-bytes 5\n",
      "% split-at 1,2,60,61,62,63,64,65,100,150,200\n",
  };
  mistral_embeddings_request *req = two();
  mistral_embeddings_request *b64 = base64_request();
  for (size_t i = 0; i < sizeof directives / sizeof *directives; i++) {
    mistral_embeddings_response *r = call_ok("embeddings/float-two.fixture", directives[i], req);
    et_assert_matrix(r, "embeddings/float-two.fixture");
    mistral_embeddings_response_free(r);
    r = call_ok("embeddings/base64-float.fixture", directives[i], b64);
    et_assert_matrix(r, "embeddings/base64-float.fixture");
    mistral_embeddings_response_free(r);
  }
  mistral_embeddings_request_free(b64);
  mistral_embeddings_request_free(req);
}

/* ---- HTTP errors ---- */

static void test_http_errors(void **state) {
  (void)state;
  mistral_embeddings_request *req = two();
  mistral_error *err = call_fails("embeddings/401.fixture", "", req, MISTRAL_E_UNAUTHORIZED,
                                  "Unauthorized");
  assert_int_equal(mistral_error_http_status(err), 401);
  assert_string_equal(mistral_error_request_id(err), "4f6a2c8e1b3d5f7a9c0e2a4c6e8a0c2e");
  assert_false(mistral_error_is_retryable(err));
  mistral_error_free(err);

  err = call_fails("embeddings/429.fixture", "", req, MISTRAL_E_RATE_LIMITED, "rate limit");
  assert_int_equal(mistral_error_http_status(err), 429);
  assert_true(mistral_error_is_retryable(err));
  assert_string_equal(mistral_error_request_id(err), "9a8b7c6d5e4f3a2b1c0d");
  mistral_error_free(err);

  err = call_fails("embeddings/503.fixture", "", req, MISTRAL_E_SERVER, "Service unavailable");
  assert_int_equal(mistral_error_http_status(err), 503);
  assert_true(mistral_error_is_retryable(err));
  mistral_error_free(err);

  assert_int_equal(mistral_embeddings_request_set_output_dimension(req, 256), MISTRAL_OK);
  err = call_fails("embeddings/422-dimension.fixture", "", req, MISTRAL_E_VALIDATION,
                   "does not support output_dimension");
  assert_int_equal(mistral_error_http_status(err), 422);
  assert_string_equal(mistral_error_api_code(err), "3051");
  assert_string_equal(mistral_error_api_type(err), "invalid_request_error");
  mistral_error_free(err);
  mistral_embeddings_request_free(req);
}

/* ---- bodies that are not what the API promises ---- */

static void test_bad_bodies(void **state) {
  (void)state;
  const char *three[] = {"one", "two", "three"};
  static const struct {
    const char *rel;
    int inputs; /* 2: two_inputs, 3: three, 4: base64 colours */
    const char *needle;
    const char *request_id;
  } cases[] = {
      {"embeddings/200-malformed.fixture", 2, "malformed embeddings response: ",
       "7e6d5c4b3a291807"},
      {"embeddings/200-empty.fixture", 2, "empty body", "8f7e6d5c4b3a2918"},
      {"embeddings/200-fewer-rows.fixture", 3, "2 embeddings for 3 inputs", "9f8e7d6c5b4a3920"},
      {"embeddings/200-inconsistent.fixture", 2, "embedding 1 has 3 values, the first has 4",
       "a09f8e7d6c5b4a31"},
      {"embeddings/200-duplicate-index.fixture", 2, "index 0 appears twice", "b1a09f8e7d6c5b42"},
      {"embeddings/200-bad-base64.fixture", 4, "invalid base64", "c2b1a09f8e7d6c53"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_embeddings_request *req = cases[i].inputs == 2   ? two()
                                      : cases[i].inputs == 3 ? et_request("mistral-embed", three, 3)
                                                             : base64_request();
    mistral_error *err =
        call_fails(cases[i].rel, "", req, MISTRAL_E_BAD_RESPONSE, cases[i].needle);
    assert_int_equal(mistral_error_http_status(err), 200);
    assert_string_equal(mistral_error_request_id(err), cases[i].request_id);
    mistral_error_free(err);
    /* Cut in small pieces: the same verdict. */
    err = call_fails(cases[i].rel, "% chunk-bytes 3\n", req, MISTRAL_E_BAD_RESPONSE,
                     cases[i].needle);
    mistral_error_free(err);
    mistral_embeddings_request_free(req);
  }
}

static void test_truncated(void **state) {
  (void)state;
  mistral_embeddings_request *req = two();
  mistral_error *err =
      call_fails("embeddings/truncated.fixture", "", req, MISTRAL_E_TRUNCATED, "/v1/embeddings");
  assert_true(mistral_error_is_retryable(err));
  mistral_error_free(err);
  mistral_embeddings_request_free(req);
}

/* A call that failed in a way worth retrying is tried again, and each
 * attempt decodes into a fresh matrix: rows of a body cut short never mix
 * with the next attempt's. */
static void test_retry_starts_over(void **state) {
  (void)state;
  mistral_embeddings_request *req = two();
  static const char *const first[] = {"embeddings/truncated.fixture", "embeddings/503.fixture",
                                      "embeddings/429.fixture"};
  for (size_t i = 0; i < sizeof first / sizeof *first; i++) {
    fixture_server *fs = tu_server_start(ET_KEY, NULL);
    tu_expect(fs, first[i], 1);
    tu_expect(fs, "embeddings/float-two.fixture", 1);
    mistral_client *c = tu_client(fs, ET_KEY, 1);
    assert_int_equal(mistral_client_set_max_attempts(c, 2), MISTRAL_OK);
    assert_int_equal(mistral_client_set_retry_backoff(c, 1, 1, 1.0, 0.0), MISTRAL_OK);
    assert_int_equal(mistral_client_set_retry_after_max_ms(c, 1), MISTRAL_OK);
    mistral_error *err = mistral_error_new();
    mistral_embeddings_response *r = NULL;
    assert_int_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_OK);
    et_assert_matrix(r, "embeddings/float-two.fixture");
    mistral_embeddings_response_free(r);
    tu_assert_served(fs);
    /* Two failures with two attempts: the last one is reported, counted. */
    tu_expect(fs, first[i], 2);
    assert_int_not_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_OK);
    assert_null(r);
    assert_int_equal(mistral_error_attempts(err), 2);
    assert_true(tu_contains(mistral_error_message(err), "(after 2 attempts)"));
    tu_assert_served(fs);
    mistral_error_free(err);
    mistral_client_free(c);
    fixture_server_stop(fs);
  }
  mistral_embeddings_request_free(req);
}

static void test_too_large(void **state) {
  (void)state;
  /* The body (about 700 bytes) passes a 200-byte limit: the transfer
   * stops there, whole or in pieces. */
  mistral_embeddings_request *req = two();
  static const char *const directives[] = {"", "% chunk-bytes 50\n"};
  for (size_t i = 0; i < 2; i++) {
    fixture_server *fs = tu_server_start(ET_KEY, NULL);
    tu_expect_with(fs, "embeddings/float-two.fixture", directives[i], 1);
    mistral_client *c = tu_client(fs, ET_KEY, 1);
    assert_int_equal(mistral_client_set_max_response_bytes(c, 200), MISTRAL_OK);
    mistral_error *err = mistral_error_new();
    mistral_embeddings_response *r = NULL;
    assert_int_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_E_TOO_LARGE);
    assert_null(r);
    assert_true(tu_contains(mistral_error_message(err), "200-byte limit"));
    /* An error body is limited the same way (by the transport). */
    tu_expect(fs, "embeddings/401.fixture", 1);
    assert_int_equal(mistral_client_set_max_response_bytes(c, 10), MISTRAL_OK);
    assert_int_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_E_TOO_LARGE);
    /* At the limit exactly, it passes. */
    size_t len;
    char *body = tu_fixture_body("embeddings/float-two.fixture", &len);
    free(body);
    tu_expect(fs, "embeddings/float-two.fixture", 1);
    assert_int_equal(mistral_client_set_max_response_bytes(c, len), MISTRAL_OK);
    assert_int_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_OK);
    mistral_embeddings_response_free(r);
    tu_assert_served(fs);
    mistral_error_free(err);
    mistral_client_free(c);
    fixture_server_stop(fs);
  }
  mistral_embeddings_request_free(req);
}

static void test_timeouts(void **state) {
  (void)state;
  mistral_embeddings_request *req = two();
  /* The client's total time limit holds for this call (its body goes to a
   * sink, which the transport otherwise treats as a stream). */
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/delayed.fixture", 1);
  mistral_client *c = tu_client(fs, ET_KEY, 1);
  assert_int_equal(mistral_client_set_timeout_ms(c, 300), MISTRAL_OK);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_response *r = NULL;
  assert_int_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_E_TIMEOUT);
  assert_null(r);
  assert_true(mistral_error_is_retryable(err));
  mistral_client_free(c);
  /* The same through the request's call options. */
  tu_expect(fs, "embeddings/delayed.fixture", 1);
  c = tu_client(fs, ET_KEY, 1);
  mistral_call_options *o = NULL;
  assert_int_equal(mistral_call_options_new(&o), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_timeout_ms(o, 300), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_call_options(req, o), MISTRAL_OK);
  mistral_call_options_free(o);
  assert_int_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_E_TIMEOUT);
  /* Cleared: the client's limit (none) applies again. */
  assert_int_equal(mistral_embeddings_request_set_call_options(req, NULL), MISTRAL_OK);
  tu_expect(fs, "embeddings/float-two.fixture", 1);
  assert_int_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_OK);
  mistral_embeddings_response_free(r);
  tu_assert_served(fs);
  mistral_error_free(err);
  mistral_client_free(c);
  fixture_server_stop(fs);
  mistral_embeddings_request_free(req);
}

static volatile int cancel_flag;

static void *raise_flag(void *arg) {
  (void)arg;
  struct timespec ts = {0, 200 * 1000 * 1000};
  nanosleep(&ts, NULL);
  cancel_flag = 1;
  return NULL;
}

static void test_cancel_flag(void **state) {
  (void)state;
  mistral_embeddings_request *req = two();
  mistral_call_options *o = NULL;
  assert_int_equal(mistral_call_options_new(&o), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_cancel_flag(o, &cancel_flag), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_call_options(req, o), MISTRAL_OK);
  mistral_call_options_free(o);
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  /* About 700 bytes, 40 every 60 ms: over a second. */
  tu_expect(fs, "embeddings/slow-body.fixture", 1);
  mistral_client *c = tu_client(fs, ET_KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_response *r = NULL;
  cancel_flag = 0;
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, raise_flag, NULL), 0);
  assert_int_equal(mistral_embeddings_create(&r, c, req, err), MISTRAL_E_CANCELLED);
  pthread_join(t, NULL);
  assert_null(r);
  assert_true(tu_contains(mistral_error_message(err), "cancelled"));
  tu_assert_served(fs);
  mistral_error_free(err);
  mistral_client_free(c);
  fixture_server_stop(fs);
  mistral_embeddings_request_free(req);
}

/* ---- nothing sent ---- */

static void test_nothing_sent(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  mistral_client *c = tu_client(fs, ET_KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_embeddings_response *r = (mistral_embeddings_response *)1;
  mistral_embeddings_request *req = two();

  assert_int_equal(mistral_embeddings_create(NULL, c, req, err), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_create(&r, NULL, req, err), MISTRAL_E_INVALID_ARG);
  assert_null(r);
  assert_int_equal(mistral_embeddings_create(&r, c, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "request is NULL"));

  /* No key. */
  mistral_client *nokey = NULL;
  tu_clean_env();
  assert_int_equal(mistral_client_new(&nokey), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(nokey, fixture_server_url(fs)), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_create(&r, nokey, req, err), MISTRAL_E_NO_API_KEY);
  assert_null(r);
  mistral_client_free(nokey);

  /* Requests that cannot be sent. */
  mistral_embeddings_request *bad = NULL;
  assert_int_equal(mistral_embeddings_request_new(&bad, NULL), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_input(bad, "x"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_create(&r, c, bad, err), MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "model: not set"));
  assert_int_equal(mistral_embeddings_request_set_model(bad, "mistral-embed"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_unset(bad, "input"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_create(&r, c, bad, err), MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "input: not set"));
  assert_int_equal(mistral_embeddings_request_set_inputs(bad, NULL, 0), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_create(&r, c, bad, err), MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "input: the list is empty"));
  assert_int_equal(mistral_embeddings_request_set_output_dimension(bad, 0),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_inputs(bad, two_inputs, 2), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_create(&r, c, bad, err), MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "output_dimension"));
  assert_null(r);
  mistral_embeddings_request_free(bad);

  assert_int_equal(fixture_server_connections(fs), 0);
  assert_int_equal(fixture_server_requests(fs), 0);
  mistral_embeddings_request_free(req);
  mistral_error_free(err);
  mistral_client_free(c);
  fixture_server_stop(fs);
}

/* ---- out of memory ---- */

typedef struct failing {
  long countdown; /* fail when it reaches 0; negative: never */
  long calls;
} failing;

static void *f_malloc(size_t n, void *ud) {
  failing *f = ud;
  f->calls++;
  if (f->countdown >= 0 && f->countdown-- == 0) return NULL;
  return malloc(n);
}
static void *f_realloc(void *p, size_t n, void *ud) {
  failing *f = ud;
  f->calls++;
  if (f->countdown >= 0 && f->countdown-- == 0) return NULL;
  return realloc(p, n);
}
static void f_free(void *p, void *ud) {
  (void)ud;
  free(p);
}

/* Fails the 1st, 2nd, ... allocation of a call until one succeeds: every
 * failure is MISTRAL_E_NOMEM (or a transport error the failure caused),
 * nothing leaks (checked by ASan and valgrind). */
static void oom_walk(const char *rel, const char *directives,
                     const mistral_embeddings_request *req) {
  int succeeded = 0;
  long n = 0;
  for (; n < 400 && !succeeded; n++) {
    failing f = {n, 0};
    mistral_allocator a = {f_malloc, f_realloc, f_free, &f};
    tu_clean_env();
    mistral_client *c = NULL;
    f.countdown = -1; /* the client itself is not under test */
    assert_int_equal(mistral_client_new_with_allocator(&c, &a), MISTRAL_OK);
    assert_int_equal(mistral_client_set_api_key(c, ET_KEY), MISTRAL_OK);
    fixture_server *fs = tu_server_start(ET_KEY, NULL);
    tu_expect_with(fs, rel, directives, 1);
    assert_int_equal(mistral_client_set_server_url(c, fixture_server_url(fs)), MISTRAL_OK);
    f.countdown = n;
    mistral_error *err = mistral_error_new();
    mistral_embeddings_response *r = NULL;
    int rc = mistral_embeddings_create(&r, c, req, err);
    if (rc == MISTRAL_OK) {
      succeeded = 1;
      et_assert_matrix(r, rel);
      mistral_embeddings_response_free(r);
    } else {
      assert_null(r);
      if (rc != MISTRAL_E_NOMEM && rc != MISTRAL_E_NETWORK && rc != MISTRAL_E_CANCELLED)
        print_error("allocation %ld: %d %s\n", n, rc, mistral_error_message(err));
      assert_true(rc == MISTRAL_E_NOMEM || rc == MISTRAL_E_NETWORK || rc == MISTRAL_E_CANCELLED);
    }
    assert_int_equal(fixture_server_mismatches(fs), 0);
    mistral_error_free(err);
    f.countdown = -1;
    mistral_client_free(c);
    fixture_server_stop(fs);
  }
  assert_true(succeeded);
  /* The call allocates a good many times (decoder, matrix, buffers,
   * transport, response): each failure was seen. */
  print_message("%s (%s): succeeded at allocation %ld\n", rel, *directives ? "in pieces" : "whole",
                n - 1);
  assert_true(n > 8);
}

static void test_out_of_memory(void **state) {
  (void)state;
  /* Whole, and in 7-byte pieces (tokens and base64 strings cut: their
   * buffers allocate too). */
  mistral_embeddings_request *req = two();
  oom_walk("embeddings/float-two.fixture", "", req);
  oom_walk("embeddings/float-two.fixture", "% chunk-bytes 7\n", req);
  mistral_embeddings_request_free(req);
  req = base64_request();
  oom_walk("embeddings/base64-float.fixture", "", req);
  oom_walk("embeddings/base64-float.fixture", "% chunk-bytes 7\n", req);
  mistral_embeddings_request_free(req);
}

/* ---- threads ---- */

typedef struct worker {
  mistral_client *client;
  const mistral_embeddings_request *req;
  int failures;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 10; i++) {
    mistral_embeddings_response *r = NULL;
    mistral_error *err = mistral_error_new();
    if (mistral_embeddings_create(&r, w->client, w->req, err) != MISTRAL_OK || r->rows != 2 ||
        r->cols != 8)
      w->failures++;
    mistral_embeddings_response_free(r);
    mistral_error_free(err);
  }
  return NULL;
}

static void test_threads_share_a_client(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/float-two.fixture", 40);
  mistral_client *c = tu_client(fs, ET_KEY, 1);
  mistral_embeddings_request *req = two();
  worker w[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker){c, req, 0};
    assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(w[i].failures, 0);
  }
  tu_assert_served(fs);
  mistral_embeddings_request_free(req);
  mistral_client_free(c);
  fixture_server_stop(fs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float_two),
      cmocka_unit_test(test_single_string),
      cmocka_unit_test(test_all_fields_int8),
      cmocka_unit_test(test_other_dtypes),
      cmocka_unit_test(test_base64_float),
      cmocka_unit_test(test_out_of_order),
      cmocka_unit_test(test_nulls),
      cmocka_unit_test(test_body_in_pieces),
      cmocka_unit_test(test_http_errors),
      cmocka_unit_test(test_bad_bodies),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_retry_starts_over),
      cmocka_unit_test(test_too_large),
      cmocka_unit_test(test_timeouts),
      cmocka_unit_test(test_cancel_flag),
      cmocka_unit_test(test_nothing_sent),
      cmocka_unit_test(test_out_of_memory),
      cmocka_unit_test(test_threads_share_a_client),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
