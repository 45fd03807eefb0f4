/* Helpers shared by the moderation and OCR tests; see mt_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt_util.h"

void mt_clean_env(void) {
  unsetenv("MISTRAL_API_KEY");
  unsetenv("MISTRAL_SERVER_URL");
}

int mt_utf8_valid(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  while (*s) {
    uint32_t cp;
    int extra;
    if (s[0] < 0x80) {
      s++;
      continue;
    } else if ((s[0] & 0xE0) == 0xC0) {
      cp = s[0] & 0x1Fu;
      extra = 1;
    } else if ((s[0] & 0xF0) == 0xE0) {
      cp = s[0] & 0x0Fu;
      extra = 2;
    } else if ((s[0] & 0xF8) == 0xF0) {
      cp = s[0] & 0x07u;
      extra = 3;
    } else {
      return 0;
    }
    for (int k = 1; k <= extra; k++) {
      if ((s[k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    s += extra + 1;
  }
  return 1;
}

json_t *mt_parse_at(const char *text, const char *file, int line) {
  json_error_t je;
  json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
  if (!v) {
    print_error("bad JSON (%s): %s\n", je.text, text);
    _fail(file, line);
  }
  return v;
}

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

void mt_compare_at(json_t *got, json_t *want, const char *file, int line) {
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

void mt_assert_json_at(const char *got, const char *want, const char *file, int line) {
  _assert_true(got != NULL, "got", file, line);
  mt_compare_at(mt_parse_at(got, file, line), mt_parse_at(want, file, line), file, line);
}

void mt_assert_double_at(double got, double want, double eps, const char *file, int line) {
  double d = got > want ? got - want : want - got;
  if (d <= eps) return;
  print_error("%.17g != %.17g (epsilon %g)\n", got, want, eps);
  _fail(file, line);
}

char *mt_fixture_path(const char *rel) {
  const char *dir = getenv("MISTRAL_FIXTURES");
  assert_non_null(dir);
  size_t n = strlen(dir) + strlen(rel) + 2;
  char *p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "%s/%s", dir, rel);
  return p;
}

char *mt_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) print_error("cannot open %s\n", path);
  assert_non_null(f);
  size_t cap = 4096, n = 0, got;
  char *buf = malloc(cap);
  assert_non_null(buf);
  while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
  }
  fclose(f);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

void mt_expect(fixture_server *fs, const char *rel, unsigned repeat) {
  char *path = mt_fixture_path(rel);
  int rc = fixture_server_expect(fs, path, repeat);
  if (rc != 0) print_error("cannot queue %s\n", path);
  free(path);
  assert_int_equal(rc, 0);
}

fixture_server *mt_server_start(const char *fixture, ...) {
  fixture_server *fs = fixture_server_start(MT_KEY);
  assert_non_null(fs);
  va_list ap;
  va_start(ap, fixture);
  for (const char *rel = fixture; rel; rel = va_arg(ap, const char *)) mt_expect(fs, rel, 1);
  va_end(ap);
  return fs;
}

mistral_client *mt_client(const fixture_server *fs) {
  mistral_client *c = NULL;
  assert_int_equal(mistral_client_new(&c), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(c, fixture_server_url(fs)), MISTRAL_OK);
  assert_int_equal(mistral_client_set_api_key(c, MT_KEY), MISTRAL_OK);
  /* One attempt per call (retries are tested in tests/retry). */
  assert_int_equal(mistral_client_set_max_attempts(c, 1), MISTRAL_OK);
  return c;
}

void mt_assert_server_done_at(const fixture_server *fs, const char *file, int line) {
  if (fixture_server_mismatches(fs) != 0) {
    char buf[4096];
    fixture_server_last_mismatch(fs, buf, sizeof buf);
    print_error("fixture mismatch: %s\n", buf);
  }
  _assert_int_equal(fixture_server_mismatches(fs), 0, file, line);
  _assert_int_equal(fixture_server_pending(fs), 0, file, line);
}

json_t *mt_received_body_at(const fixture_server *fs, size_t i, const char *file, int line) {
  char *raw = fixture_server_received(fs, i);
  _assert_true(raw != NULL, "no such request", file, line);
  const char *body = strstr(raw, "\r\n\r\n");
  _assert_true(body != NULL, "request without a header end", file, line);
  json_error_t je;
  json_t *v = json_loads(body + 4, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(v)) {
    print_error("request body is not a JSON object (%s): %s\n", je.text, body + 4);
    json_decref(v);
    free(raw);
    _fail(file, line);
  }
  free(raw);
  return v;
}

char *mt_fixture_text(const char *head, const char *method, const char *path,
                      const char *request_body, const char *status, const char *response_body) {
  size_t n = strlen(head) + strlen(method) + strlen(path) + strlen(request_body) +
             strlen(status) + strlen(response_body) + 256;
  char *text = malloc(n);
  assert_non_null(text);
  snprintf(text, n,
           "%s=== request\n%s %s\nauthorization: Bearer {{API_KEY}}\n\n%s\n=== response\n"
           "HTTP/1.1 %s\ncontent-type: application/json\nx-request-id: req-mt-0001\n\n%s\n",
           head, method, path, request_body, status, response_body);
  return text;
}

void mt_assert_failed_at(int rc, const mistral_error *err, int want, const char *needle,
                         const char *file, int line) {
  const char *msg = mistral_error_message(err);
  if (rc != want || mistral_error_code(err) != want) {
    print_error("want status %d, got %d (error code %d, \"%s\")\n", want, rc,
                mistral_error_code(err), msg);
    _fail(file, line);
  }
  if (!mt_utf8_valid(msg)) {
    print_error("the error message is not valid UTF-8\n");
    _fail(file, line);
  }
  if (needle && !strstr(msg, needle)) {
    print_error("error message \"%s\" does not contain \"%s\"\n", msg, needle);
    _fail(file, line);
  }
}

/* ---- a failing allocator ---- */

static void *fa_malloc(size_t size, void *user_data) {
  mt_alloc_state *st = user_data;
  if (++st->count == st->fail_at) return NULL;
  void *p = malloc(size ? size : 1);
  if (p) st->live++;
  return p;
}

static void *fa_realloc(void *ptr, size_t size, void *user_data) {
  mt_alloc_state *st = user_data;
  if (++st->count == st->fail_at) return NULL;
  void *p = realloc(ptr, size ? size : 1);
  if (p && !ptr) st->live++;
  return p;
}

static void fa_free(void *ptr, void *user_data) {
  mt_alloc_state *st = user_data;
  if (ptr) st->live--;
  free(ptr);
}

mistral_allocator mt_failing_allocator(mt_alloc_state *st) {
  mistral_allocator a = {fa_malloc, fa_realloc, fa_free, st};
  return a;
}

/* ---- jansson allocations failing ---- */

static long js_fail_at, js_count;
static int js_paused;

static void *js_malloc(size_t size) {
  if (!js_paused && ++js_count == js_fail_at) return NULL;
  return malloc(size);
}

void mt_jansson_fail_at(long n) {
  js_fail_at = n;
  js_count = 0;
  json_set_alloc_funcs(js_malloc, free);
}

int mt_jansson_failed(void) { return js_count >= js_fail_at; }

void mt_jansson_pause(int on) { js_paused = on; }

void mt_jansson_restore(void) {
  js_paused = 0;
  json_set_alloc_funcs(malloc, free);
  js_fail_at = 0;
}
