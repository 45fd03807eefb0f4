/* Helpers shared by the embeddings tests; see emb_test_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emb_test_util.h"

void et_assert_body_at(const mistral_embeddings_request *req, const char *want,
                       const char *file, int line) {
  mistral_error *err = mistral_error_new();
  _assert_true(err != NULL, "err", file, line);
  char *text = NULL;
  int rc = mistral_embeddings_request_to_json(&text, req, err);
  if (rc != MISTRAL_OK) {
    print_error("to_json failed: %d %s\n", rc, mistral_error_message(err));
    mistral_error_free(err);
    _fail(file, line);
  }
  mistral_error_free(err);
  json_t *got = tu_parse_at(text, file, line);
  mistral_free(text);
  tu_compare_at(got, tu_parse_at(want, file, line), file, line);
}

mistral_embeddings_request *et_request(const char *model, const char *const *inputs,
                                       size_t count) {
  mistral_embeddings_request *req = NULL;
  assert_int_equal(mistral_embeddings_request_new(&req, model), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_inputs(req, inputs, count), MISTRAL_OK);
  return req;
}

void et_assert_floats_at(const mistral_embeddings_response *resp, const float *want,
                         size_t rows, size_t cols, const char *file, int line) {
  _assert_true(resp != NULL, "resp", file, line);
  _assert_int_equal(resp->dtype, MISTRAL_EMBEDDINGS_DTYPE_FLOAT, file, line);
  _assert_int_equal(resp->rows, rows, file, line);
  _assert_int_equal(resp->cols, cols, file, line);
  _assert_int_equal(resp->row_bytes, cols * sizeof(float), file, line);
  const float *got = mistral_embeddings_f32(resp);
  _assert_true(got != NULL, "f32", file, line);
  for (size_t i = 0; i < rows * cols; i++)
    if (memcmp(&got[i], &want[i], sizeof(float)) != 0) {
      print_error("value %zu (row %zu, col %zu): got %.9g, want %.9g\n", i, i / cols,
                  i % cols, (double)got[i], (double)want[i]);
      _fail(file, line);
    }
}

static int b64_value(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* A plain base64 decoder (no checks beyond the alphabet). */
static size_t b64_decode(const char *s, unsigned char *out) {
  size_t n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (; *s && *s != '='; s++) {
    int v = b64_value((unsigned char)*s);
    assert_true(v >= 0);
    acc = acc << 6 | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (unsigned char)(acc >> bits);
    }
  }
  return n;
}

unsigned char *et_expected_matrix(const char *rel, mistral_embeddings_dtype dtype,
                                  size_t *rows, size_t *row_bytes) {
  size_t len;
  char *body = tu_fixture_body(rel, &len);
  json_error_t je;
  json_t *root = json_loadb(body, len, 0, &je);
  free(body);
  assert_non_null(root);
  json_t *data = json_object_get(root, "data");
  size_t n = json_array_size(data), rb = 0;
  unsigned char *m = NULL;
  for (size_t i = 0; i < n; i++) {
    json_t *item = json_array_get(data, i), *e = json_object_get(item, "embedding");
    size_t idx = (size_t)json_integer_value(json_object_get(item, "index"));
    unsigned char row[65536];
    size_t bytes = 0;
    if (json_is_string(e)) {
      assert_true(json_string_length(e) / 4 * 3 <= sizeof row);
      bytes = b64_decode(json_string_value(e), row);
    } else {
      for (size_t k = 0; k < json_array_size(e); k++) {
        json_t *v = json_array_get(e, k);
        if (dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT) {
          float f = (float)json_number_value(v);
          unsigned char le[4];
          uint32_t u;
          memcpy(&u, &f, 4);
          for (int b = 0; b < 4; b++) le[b] = (unsigned char)(u >> (8 * b));
          memcpy(row + bytes, le, 4);
          bytes += 4;
        } else {
          row[bytes++] = (unsigned char)(json_integer_value(v) & 0xff);
        }
      }
    }
    if (!m) {
      rb = bytes;
      m = calloc(n, rb);
      assert_non_null(m);
    }
    assert_int_equal(bytes, rb);
    assert_true(idx < n);
    if (dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT) /* little-endian bytes to host floats */
      for (size_t k = 0; k < bytes; k += 4) {
        uint32_t u = (uint32_t)row[k] | (uint32_t)row[k + 1] << 8 | (uint32_t)row[k + 2] << 16 |
                     (uint32_t)row[k + 3] << 24;
        memcpy(row + k, &u, 4);
      }
    memcpy(m + idx * rb, row, rb);
  }
  json_decref(root);
  *rows = n;
  *row_bytes = rb;
  return m;
}

void et_assert_matrix_at(const mistral_embeddings_response *resp, const char *rel,
                         const char *file, int line) {
  _assert_true(resp != NULL, "resp", file, line);
  size_t rows, rb;
  unsigned char *want = et_expected_matrix(rel, resp->dtype, &rows, &rb);
  _assert_int_equal(resp->rows, rows, file, line);
  _assert_int_equal(resp->row_bytes, rb, file, line);
  size_t cols = resp->dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT ? rb / 4
                : resp->dtype == MISTRAL_EMBEDDINGS_DTYPE_BINARY ||
                        resp->dtype == MISTRAL_EMBEDDINGS_DTYPE_UBINARY
                    ? rb * 8
                    : rb;
  _assert_int_equal(resp->cols, cols, file, line);
  if (memcmp(resp->data, want, rows * rb) != 0) {
    print_error("matrix differs from %s\n", rel);
    free(want);
    _fail(file, line);
  }
  free(want);
}
