/* The embeddings request builder: every field and its body, set_null and
 * unset, and bad input (NULL, invalid UTF-8, out-of-range values, unknown
 * names), with setter errors sticking to the request. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emb_test_util.h"

static mistral_embeddings_request *base(void) {
  const char *in[] = {"a", "b"};
  return et_request("mistral-embed", in, 2);
}

/* Asserts that to_json fails with INVALID_ARG, naming needle. */
static void assert_refused_at(const mistral_embeddings_request *req, const char *needle,
                              const char *file, int line) {
  mistral_error *err = mistral_error_new();
  char *out = (char *)"sentinel";
  int rc = mistral_embeddings_request_to_json(&out, req, err);
  if (rc != MISTRAL_E_INVALID_ARG || !tu_contains(mistral_error_message(err), needle)) {
    print_error("want INVALID_ARG \"%s\", got %d \"%s\"\n", needle, rc,
                mistral_error_message(err));
    mistral_error_free(err);
    _fail(file, line);
  }
  _assert_true(out == NULL, "out", file, line);
  mistral_error_free(err);
}
#define assert_refused(req, needle) assert_refused_at((req), (needle), __FILE__, __LINE__)

static void test_minimal(void **state) {
  (void)state;
  mistral_embeddings_request *req = base();
  et_assert_body(req, "{\"model\":\"mistral-embed\",\"input\":[\"a\",\"b\"]}");
  assert_int_equal(mistral_embeddings_request_input_count(req), 2);
  /* Model and input come first in the text, whatever the order of setting. */
  char *json = NULL;
  assert_int_equal(mistral_embeddings_request_set_output_dimension(req, 4), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_to_json(&json, req, NULL), MISTRAL_OK);
  assert_string_equal(json, "{\"model\":\"mistral-embed\",\"input\":[\"a\",\"b\"],"
                            "\"output_dimension\":4}");
  mistral_free(json);
  mistral_embeddings_request_free(req);
  mistral_embeddings_request_free(NULL);
}

static void test_every_field(void **state) {
  (void)state;
  mistral_embeddings_request *req = base();
  assert_int_equal(mistral_embeddings_request_set_model(req, "codestral-embed"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_output_dimension(req, 256), MISTRAL_OK);
  assert_int_equal(
      mistral_embeddings_request_set_output_dtype(req, MISTRAL_EMBEDDINGS_DTYPE_UBINARY),
      MISTRAL_OK);
  assert_int_equal(
      mistral_embeddings_request_set_encoding_format(req, MISTRAL_EMBEDDINGS_ENCODING_BASE64),
      MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_metadata_json(req, "{\"k\":[1,{\"x\":null}]}"),
                   MISTRAL_OK);
  et_assert_body(req, "{\"model\":\"codestral-embed\",\"input\":[\"a\",\"b\"],"
                      "\"output_dimension\":256,\"output_dtype\":\"ubinary\","
                      "\"encoding_format\":\"base64\",\"metadata\":{\"k\":[1,{\"x\":null}]}}");
  /* Each dtype and encoding by name. */
  static const char *const names[] = {"float", "int8", "uint8", "binary", "ubinary"};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(mistral_embeddings_request_set_output_dtype(req, (mistral_embeddings_dtype)i),
                     MISTRAL_OK);
    char want[256];
    snprintf(want, sizeof want,
             "{\"model\":\"codestral-embed\",\"input\":[\"a\",\"b\"],\"output_dimension\":256,"
             "\"output_dtype\":\"%s\",\"encoding_format\":\"float\",\"metadata\":{\"k\":[1,{"
             "\"x\":null}]}}",
             names[i]);
    assert_int_equal(
        mistral_embeddings_request_set_encoding_format(req, MISTRAL_EMBEDDINGS_ENCODING_FLOAT),
        MISTRAL_OK);
    et_assert_body(req, want);
  }
  /* Replacing values. */
  assert_int_equal(mistral_embeddings_request_set_output_dimension(req, 1), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_metadata_json(req, "{}"), MISTRAL_OK);
  et_assert_body(req, "{\"model\":\"codestral-embed\",\"input\":[\"a\",\"b\"],"
                      "\"output_dimension\":1,\"output_dtype\":\"ubinary\","
                      "\"encoding_format\":\"float\",\"metadata\":{}}");
  mistral_embeddings_request_free(req);
}

static void test_inputs(void **state) {
  (void)state;
  mistral_embeddings_request *req = NULL;
  assert_int_equal(mistral_embeddings_request_new(&req, "mistral-embed"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_input_count(req), 0);
  assert_refused(req, "input: not set");
  assert_int_equal(mistral_embeddings_request_set_input(req, "caf\xc3\xa9 \xf0\x9f\x99\x82"),
                   MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_input_count(req), 1);
  et_assert_body(req, "{\"model\":\"mistral-embed\",\"input\":\"caf\\u00e9 \\ud83d\\ude42\"}");
  /* A list replaces the string, a string the list. */
  const char *in[] = {"", "x\ny\t\"z\"", "\xe2\x82\xac"};
  assert_int_equal(mistral_embeddings_request_set_inputs(req, in, 3), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_input_count(req), 3);
  et_assert_body(req, "{\"model\":\"mistral-embed\",\"input\":[\"\",\"x\\ny\\t\\\"z\\\"\","
                      "\"\\u20ac\"]}");
  assert_int_equal(mistral_embeddings_request_set_input(req, ""), MISTRAL_OK);
  et_assert_body(req, "{\"model\":\"mistral-embed\",\"input\":\"\"}");
  /* The list is copied. */
  char mutable_text[] = "first";
  const char *list[] = {mutable_text};
  assert_int_equal(mistral_embeddings_request_set_inputs(req, list, 1), MISTRAL_OK);
  mutable_text[0] = 'F';
  et_assert_body(req, "{\"model\":\"mistral-embed\",\"input\":[\"first\"]}");
  /* An empty list is kept but cannot be sent. */
  assert_int_equal(mistral_embeddings_request_set_inputs(req, NULL, 0), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_input_count(req), 0);
  assert_refused(req, "input: the list is empty");
  assert_int_equal(mistral_embeddings_request_input_count(NULL), 0);
  mistral_embeddings_request_free(req);
}

static void test_null_and_unset(void **state) {
  (void)state;
  mistral_embeddings_request *req = base();
  assert_int_equal(mistral_embeddings_request_set_null(req, "output_dimension"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_null(req, "metadata"), MISTRAL_OK);
  et_assert_body(req, "{\"model\":\"mistral-embed\",\"input\":[\"a\",\"b\"],"
                      "\"output_dimension\":null,\"metadata\":null}");
  static const char *const optional[] = {"output_dimension", "metadata", "output_dtype",
                                         "encoding_format"};
  assert_int_equal(
      mistral_embeddings_request_set_output_dtype(req, MISTRAL_EMBEDDINGS_DTYPE_INT8),
      MISTRAL_OK);
  assert_int_equal(
      mistral_embeddings_request_set_encoding_format(req, MISTRAL_EMBEDDINGS_ENCODING_BASE64),
      MISTRAL_OK);
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(mistral_embeddings_request_unset(req, optional[i]), MISTRAL_OK);
  et_assert_body(req, "{\"model\":\"mistral-embed\",\"input\":[\"a\",\"b\"]}");
  /* Unsetting what is not set is fine. */
  assert_int_equal(mistral_embeddings_request_unset(req, "metadata"), MISTRAL_OK);
  /* model and input can be unset (then the request cannot be sent). */
  assert_int_equal(mistral_embeddings_request_unset(req, "model"), MISTRAL_OK);
  assert_refused(req, "model: not set");
  assert_int_equal(mistral_embeddings_request_set_model(req, "m"), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_unset(req, "input"), MISTRAL_OK);
  assert_refused(req, "input: not set");
  mistral_embeddings_request_free(req);

  /* Non-nullable fields and unknown names mark the request. */
  static const char *const not_nullable[] = {"model", "input", "output_dtype", "encoding_format",
                                             "dimensions", "", "stream"};
  for (size_t i = 0; i < sizeof not_nullable / sizeof *not_nullable; i++) {
    req = base();
    assert_int_equal(mistral_embeddings_request_set_null(req, not_nullable[i]),
                     MISTRAL_E_INVALID_ARG);
    assert_refused(req, "is not a nullable field");
    mistral_embeddings_request_free(req);
  }
  req = base();
  assert_int_equal(mistral_embeddings_request_set_null(req, NULL), MISTRAL_E_INVALID_ARG);
  assert_refused(req, "(null)");
  mistral_embeddings_request_free(req);
  static const char *const unknown[] = {"dimensions", "user", "encoding", "\xff\xfe"};
  for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
    req = base();
    assert_int_equal(mistral_embeddings_request_unset(req, unknown[i]), MISTRAL_E_INVALID_ARG);
    assert_refused(req, "is not an optional field");
    mistral_embeddings_request_free(req);
  }
  req = base();
  assert_int_equal(mistral_embeddings_request_unset(req, NULL), MISTRAL_E_INVALID_ARG);
  assert_refused(req, "unset: field name is NULL");
  mistral_embeddings_request_free(req);
}

/* Each bad value: the setter fails, and the request keeps the error. */
static void test_bad_values(void **state) {
  (void)state;
  mistral_embeddings_request *req;
#define BAD(call, needle)                                            \
  do {                                                               \
    req = base();                                                    \
    assert_int_equal((call), MISTRAL_E_INVALID_ARG);                 \
    assert_refused(req, (needle));                                   \
    mistral_embeddings_request_free(req);                            \
  } while (0)
  BAD(mistral_embeddings_request_set_model(req, ""), "model: must not be empty");
  BAD(mistral_embeddings_request_set_model(req, NULL), "model: must not be NULL");
  BAD(mistral_embeddings_request_set_model(req, "mistral\xc3"), "model: invalid UTF-8");
  BAD(mistral_embeddings_request_set_input(req, NULL), "input: must not be NULL");
  BAD(mistral_embeddings_request_set_input(req, "ok\xed\xa0\x80"), "input: invalid UTF-8 at byte 2");
  const char *with_null[] = {"a", NULL, "c"};
  BAD(mistral_embeddings_request_set_inputs(req, with_null, 3), "input[1]: must not be NULL");
  const char *with_bad[] = {"a", "b", "\xc0\x80"};
  BAD(mistral_embeddings_request_set_inputs(req, with_bad, 3), "input[2]: invalid UTF-8");
  BAD(mistral_embeddings_request_set_inputs(req, NULL, 2), "input: list is NULL");
  BAD(mistral_embeddings_request_set_output_dimension(req, 0),
      "output_dimension: 0 is below the minimum 1");
  BAD(mistral_embeddings_request_set_output_dimension(req, -5), "output_dimension: -5");
  BAD(mistral_embeddings_request_set_output_dimension(req, INT64_MIN), "output_dimension");
  BAD(mistral_embeddings_request_set_output_dtype(req, (mistral_embeddings_dtype)5),
      "output_dtype: 5 is not a dtype");
  BAD(mistral_embeddings_request_set_output_dtype(req, (mistral_embeddings_dtype)-1),
      "output_dtype: -1 is not a dtype");
  BAD(mistral_embeddings_request_set_encoding_format(req, (mistral_embeddings_encoding)2),
      "encoding_format: 2 is not an encoding");
  BAD(mistral_embeddings_request_set_metadata_json(req, "[1]"), "metadata");
  BAD(mistral_embeddings_request_set_metadata_json(req, "{\"a\":"), "metadata");
  BAD(mistral_embeddings_request_set_metadata_json(req, NULL), "metadata");
  BAD(mistral_embeddings_request_set_metadata_json(req, "\"text\""), "metadata");
#undef BAD
  /* The first error is the one kept; later good setters do not clear it. */
  req = base();
  assert_int_equal(mistral_embeddings_request_set_output_dimension(req, 0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_model(req, ""), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_output_dimension(req, 8), MISTRAL_OK);
  assert_refused(req, "output_dimension: 0");
  mistral_embeddings_request_free(req);
}

static void test_null_arguments(void **state) {
  (void)state;
  assert_int_equal(mistral_embeddings_request_new(NULL, "m"), MISTRAL_E_INVALID_ARG);
  mistral_embeddings_request *req = (mistral_embeddings_request *)1;
  assert_int_equal(mistral_embeddings_request_new(&req, ""), MISTRAL_E_INVALID_ARG);
  assert_null(req);
  req = (mistral_embeddings_request *)1;
  assert_int_equal(mistral_embeddings_request_new(&req, "bad\xff"), MISTRAL_E_INVALID_ARG);
  assert_null(req);
  const char *in[] = {"x"};
  assert_int_equal(mistral_embeddings_request_set_model(NULL, "m"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_input(NULL, "x"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_inputs(NULL, in, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_output_dimension(NULL, 1),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_output_dtype(NULL, 0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_encoding_format(NULL, 0),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_metadata_json(NULL, "{}"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_null(NULL, "metadata"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_unset(NULL, "metadata"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_request_set_call_options(NULL, NULL),
                   MISTRAL_E_INVALID_ARG);
  mistral_error *err = mistral_error_new();
  char *out = (char *)"x";
  assert_int_equal(mistral_embeddings_request_to_json(&out, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(out);
  assert_true(tu_contains(mistral_error_message(err), "request is NULL"));
  req = base();
  assert_int_equal(mistral_embeddings_request_to_json(NULL, req, err), MISTRAL_E_INVALID_ARG);
  assert_true(tu_contains(mistral_error_message(err), "out is NULL"));
  /* err NULL is fine; a successful call clears err. */
  assert_int_equal(mistral_embeddings_request_to_json(&out, req, NULL), MISTRAL_OK);
  mistral_free(out);
  assert_int_equal(mistral_embeddings_request_to_json(&out, req, err), MISTRAL_OK);
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);
  mistral_free(out);
  mistral_embeddings_request_free(req);
  mistral_error_free(err);
}

static void test_call_options_not_in_body(void **state) {
  (void)state;
  mistral_embeddings_request *req = base();
  mistral_call_options *o = NULL;
  assert_int_equal(mistral_call_options_new(&o), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_timeout_ms(o, 1234), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_call_options(req, o), MISTRAL_OK);
  mistral_call_options_free(o); /* copied */
  et_assert_body(req, "{\"model\":\"mistral-embed\",\"input\":[\"a\",\"b\"]}");
  assert_int_equal(mistral_embeddings_request_set_call_options(req, NULL), MISTRAL_OK);
  mistral_embeddings_request_free(req);
}

/* Many inputs, long texts: the body holds them all, in order. */
static void test_large_input_list(void **state) {
  (void)state;
  size_t n = 2000;
  char **texts = malloc(n * sizeof *texts);
  assert_non_null(texts);
  for (size_t i = 0; i < n; i++) {
    texts[i] = malloc(32);
    assert_non_null(texts[i]);
    snprintf(texts[i], 32, "sentence number %zu", i);
  }
  mistral_embeddings_request *req = et_request("mistral-embed", (const char *const *)texts, n);
  assert_int_equal(mistral_embeddings_request_input_count(req), n);
  char *json = NULL;
  assert_int_equal(mistral_embeddings_request_to_json(&json, req, NULL), MISTRAL_OK);
  json_t *v = tu_parse(json);
  json_t *input = json_object_get(v, "input");
  assert_int_equal(json_array_size(input), n);
  assert_string_equal(json_string_value(json_array_get(input, 1999)), "sentence number 1999");
  json_decref(v);
  mistral_free(json);
  mistral_embeddings_request_free(req);
  for (size_t i = 0; i < n; i++) free(texts[i]);
  free(texts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal),
      cmocka_unit_test(test_every_field),
      cmocka_unit_test(test_inputs),
      cmocka_unit_test(test_null_and_unset),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_call_options_not_in_body),
      cmocka_unit_test(test_large_input_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
