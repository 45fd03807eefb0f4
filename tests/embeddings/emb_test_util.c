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

void et_clean_env(void) {
  unsetenv("MISTRAL_API_KEY");
  unsetenv("MISTRAL_SERVER_URL");
}

char *et_fixture_path(const char *rel) {
  const char *dir = getenv("MISTRAL_FIXTURES");
  assert_non_null(dir);
  size_t n = strlen(dir) + strlen(rel) + 2;
  char *p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "%s/%s", dir, rel);
  return p;
}

char *et_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) print_error("cannot open %s\n", path);
  assert_non_null(f);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  for (;;) {
    if (cap - n < 2) {
      buf = realloc(buf, cap *= 2);
      assert_non_null(buf);
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    if (got == 0) break;
    n += got;
  }
  fclose(f);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

char *et_fixture_body(const char *rel, size_t *len) {
  char *path = et_fixture_path(rel);
  size_t n;
  char *text = et_read_file(path, &n);
  free(path);
  const char *resp = strstr(text, "\n=== response\n");
  assert_non_null(resp);
  const char *body = strstr(resp + 1, "\n\n");
  assert_non_null(body);
  body += 2;
  size_t blen = n - (size_t)(body - text);
  if (blen > 0 && body[blen - 1] == '\n') blen--; /* the one dropped LF */
  char *out = malloc(blen + 1);
  assert_non_null(out);
  memcpy(out, body, blen);
  out[blen] = '\0';
  free(text);
  if (len) *len = blen;
  return out;
}

fixture_server *et_server(void) {
  fixture_server *fs = fixture_server_start(ET_KEY);
  assert_non_null(fs);
  return fs;
}

void et_expect_with(fixture_server *fs, const char *rel, const char *directives,
                    unsigned repeat) {
  char *path = et_fixture_path(rel);
  size_t len;
  char *text = et_read_file(path, &len);
  size_t n = strlen(directives) + len + 1;
  char *all = malloc(n);
  assert_non_null(all);
  snprintf(all, n, "%s%s", directives, text);
  int rc = fixture_server_expect_text(fs, all, repeat);
  if (rc != 0) print_error("cannot queue %s with \"%s\"\n", path, directives);
  free(all);
  free(text);
  free(path);
  assert_int_equal(rc, 0);
}

void et_expect(fixture_server *fs, const char *rel, unsigned repeat) {
  et_expect_with(fs, rel, "", repeat);
}

mistral_client *et_client(const fixture_server *fs) {
  et_clean_env();
  mistral_client *c = NULL;
  assert_int_equal(mistral_client_new(&c), MISTRAL_OK);
  assert_int_equal(mistral_client_set_api_key(c, ET_KEY), MISTRAL_OK);
  if (fs) assert_int_equal(mistral_client_set_server_url(c, fixture_server_url(fs)), MISTRAL_OK);
  /* One attempt per call: these tests map single responses to errors
   * (retries: test_wire.c's test_retry_*, and tests/retry). */
  assert_int_equal(mistral_client_set_max_attempts(c, 1), MISTRAL_OK);
  return c;
}

void et_assert_done_at(const fixture_server *fs, const char *file, int line) {
  if (fixture_server_mismatches(fs) != 0) {
    char buf[1024];
    fixture_server_last_mismatch(fs, buf, sizeof buf);
    print_error("fixture mismatch: %s\n", buf);
    _fail(file, line);
  }
  if (fixture_server_pending(fs) != 0) {
    print_error("%zu exchange(s) not served\n", fixture_server_pending(fs));
    _fail(file, line);
  }
}

json_t *et_parse_at(const char *text, const char *file, int line) {
  json_error_t je;
  json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
  if (!v) {
    print_error("bad JSON (%s): %s\n", je.text, text);
    _fail(file, line);
  }
  return v;
}

/* json_equal, except that numbers compare by value (1 equals 1.0). */
static int same(const json_t *a, const json_t *b) {
  if (json_is_number(a) && json_is_number(b))
    return json_is_integer(a) && json_is_integer(b)
               ? json_integer_value(a) == json_integer_value(b)
               : json_number_value(a) == json_number_value(b);
  if (json_typeof(a) != json_typeof(b)) return 0;
  if (json_is_array(a)) {
    if (json_array_size(a) != json_array_size(b)) return 0;
    for (size_t i = 0; i < json_array_size(a); i++)
      if (!same(json_array_get(a, i), json_array_get(b, i))) return 0;
    return 1;
  }
  if (json_is_object(a)) {
    if (json_object_size(a) != json_object_size(b)) return 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)a, key, v) {
      const json_t *w = json_object_get(b, key);
      if (!w || !same(v, w)) return 0;
    }
    return 1;
  }
  return json_equal(a, b);
}

void et_compare_at(json_t *got, json_t *want, const char *file, int line) {
  if (got && want && same(got, want)) {
    json_decref(got);
    json_decref(want);
    return;
  }
  char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
  char *w = json_dumps(want, JSON_SORT_KEYS | JSON_ENCODE_ANY);
  print_error("JSON differs\n  got:  %s\n  want: %s\n", g ? g : "(none)", w ? w : "(none)");
  free(g);
  free(w);
  json_decref(got);
  json_decref(want);
  _fail(file, line);
}

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
  json_t *got = et_parse_at(text, file, line);
  mistral_free(text);
  et_compare_at(got, et_parse_at(want, file, line), file, line);
}

mistral_embeddings_request *et_request(const char *model, const char *const *inputs,
                                       size_t count) {
  mistral_embeddings_request *req = NULL;
  assert_int_equal(mistral_embeddings_request_new(&req, model), MISTRAL_OK);
  assert_int_equal(mistral_embeddings_request_set_inputs(req, inputs, count), MISTRAL_OK);
  return req;
}

int et_contains(const char *haystack, const char *needle) {
  return haystack && strstr(haystack, needle) != NULL;
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
  char *body = et_fixture_body(rel, &len);
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
