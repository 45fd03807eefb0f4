/* White-box tests of the moderation and classification decoders
 * (lib/api/moderation_decode.c): every allocation failing in turn returns
 * MISTRAL_E_NOMEM and leaks nothing; a response with thousands of category
 * names, in different orders in its two maps, merges by name in the order
 * first named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/moderation_internal.h"
#include "mt_util.h"

typedef int (*decode_fn)(void *out, const mistral_allocator *alloc, const char *body,
                         size_t len, mistral_error *err);

static int decode_mod(void *out, const mistral_allocator *alloc, const char *body, size_t len,
                      mistral_error *err) {
  return m_moderation_response_decode(out, alloc, body, len, NULL, err);
}

static int decode_cls(void *out, const mistral_allocator *alloc, const char *body, size_t len,
                      mistral_error *err) {
  return m_classification_response_decode(out, alloc, body, len, NULL, err);
}

static void free_mod(void *p) { mistral_moderation_response_free(p); }
static void free_cls(void *p) { mistral_classification_response_free(p); }

/* Fails allocation 1, 2, 3... until decoding succeeds; every failure is
 * MISTRAL_E_NOMEM with nothing left allocated. Returns how many
 * allocations a successful decode makes. */
static long oom_sweep(const char *rel, decode_fn decode, void (*free_fn)(void *)) {
  size_t len;
  char *body = tu_fixture_body(rel, &len);
  long n;
  for (n = 1;; n++) {
    mt_alloc_state st = {n, 0, 0};
    mistral_allocator a = mt_failing_allocator(&st);
    mistral_error *err = mistral_error_new();
    void *out = &st;
    int rc = decode(&out, &a, body, len, err);
    if (rc == MISTRAL_OK) {
      assert_non_null(out);
      free_fn(out);
      assert_int_equal(st.live, 0);
      mistral_error_free(err);
      break;
    }
    mt_assert_failed(rc, err, MISTRAL_E_NOMEM, "out of memory");
    assert_null(out);
    assert_int_equal(st.live, 0);
    mistral_error_free(err);
    assert_true(n < 10000);
  }
  free(body);
  return n;
}

static void test_oom_moderation(void **state) {
  (void)state;
  assert_true(oom_sweep("moderation/text-list.fixture", decode_mod, free_mod) > 1);
  assert_true(oom_sweep("moderation/chat-single.fixture", decode_mod, free_mod) > 1);
}

static void test_oom_classification(void **state) {
  (void)state;
  assert_true(oom_sweep("moderation/classify-text.fixture", decode_cls, free_cls) > 1);
  assert_true(oom_sweep("moderation/classify-chat-single.fixture", decode_cls, free_cls) > 1);
}

/* 3000 names: flags for the even ones in descending order, scores for all
 * in ascending order. Flags first, so the even names come first
 * (descending), then the odd ones (ascending). */
static void test_many_categories(void **state) {
  (void)state;
  enum { N = 3000 };
  size_t cap = (size_t)N * 64 + 256, n = 0;
  char *body = malloc(cap);
  assert_non_null(body);
  n += (size_t)snprintf(body + n, cap - n, "{\"id\":\"x\",\"results\":[{\"categories\":{");
  for (int i = N - 2, first = 1; i >= 0; i -= 2, first = 0)
    n += (size_t)snprintf(body + n, cap - n, "%s\"c%04d\":%s", first ? "" : ",", i,
                          i % 4 == 0 ? "true" : "false");
  n += (size_t)snprintf(body + n, cap - n, "},\"category_scores\":{");
  for (int i = 0; i < N; i++)
    n += (size_t)snprintf(body + n, cap - n, "%s\"c%04d\":%d.5", i ? "," : "", i, i);
  n += (size_t)snprintf(body + n, cap - n, "}}]}");
  assert_true(n < cap);

  mistral_moderation_response *resp = NULL;
  mistral_error *err = mistral_error_new();
  int rc = m_moderation_response_decode(&resp, &mistral_default_allocator, body, n, NULL, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_null(resp->request_id);
  const mistral_moderation_result *r = resp->results[0];
  assert_int_equal(r->category_count, N);
  assert_true(r->flagged);
  char want[16];
  for (size_t k = 0; k < N; k++) {
    int i = k < N / 2 ? N - 2 - 2 * (int)k : 2 * (int)(k - N / 2) + 1;
    snprintf(want, sizeof want, "c%04d", i);
    const mistral_moderation_category *c = r->categories[k];
    assert_string_equal(c->name, want);
    assert_int_equal(c->has_flag, i % 2 == 0);
    assert_int_equal(c->flagged, i % 4 == 0);
    assert_true(c->has_score);
    mt_assert_double(c->score, i + 0.5, 0.0);
  }
  assert_ptr_equal(mistral_moderation_result_category(r, "c1234"), r->categories[N / 2 - 1 - 617]);
  mistral_moderation_response_free(resp);
  mistral_error_free(err);
  free(body);
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oom_moderation),
      cmocka_unit_test(test_oom_classification),
      cmocka_unit_test(test_many_categories),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
