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

void mt_assert_double_at(double got, double want, double eps, const char *file, int line) {
  double d = got > want ? got - want : want - got;
  if (d <= eps) return;
  print_error("%.17g != %.17g (epsilon %g)\n", got, want, eps);
  _fail(file, line);
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
  tu_assert_message_at("the call", msg, needle, NULL, file, line);
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
