/* White-box tests of the OCR decoder (lib/api/ocr_decode.c): every
 * allocation failing in turn returns MISTRAL_E_NOMEM and leaks nothing, for
 * the richest recorded responses; and the decoder without HTTP headers (no
 * request id). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ocr_internal.h"
#include "mt_util.h"

static void oom_sweep(const char *rel) {
  size_t len;
  char *body = tu_fixture_body(rel, &len);
  long n;
  for (n = 1;; n++) {
    mt_alloc_state st = {n, 0, 0};
    mistral_allocator a = mt_failing_allocator(&st);
    mistral_error *err = mistral_error_new();
    mistral_ocr_response *out = (mistral_ocr_response *)(void *)&st;
    int rc = m_ocr_response_decode(&out, &a, body, len, NULL, err);
    if (rc == MISTRAL_OK) {
      assert_non_null(out);
      assert_null(out->request_id);
      assert_true(out->page_count > 0);
      mistral_ocr_response_free(out);
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
  assert_true(n > 1);
  free(body);
}

static void test_oom_all_fields(void **state) {
  (void)state;
  oom_sweep("ocr/all-fields.fixture");
}

static void test_oom_document_url(void **state) {
  (void)state;
  oom_sweep("ocr/document-url.fixture");
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oom_all_fields),
      cmocka_unit_test(test_oom_document_url),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
