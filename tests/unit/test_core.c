/* SPDX-License-Identifier: Apache-2.0 */
/* The core helpers every layer leans on: UTF-8 checks, the arena, buffers,
 * error objects and status codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/utf8.h"
#include "mistral/mistral.h"

static void utf8_accepts_valid_text(void **state) {
  (void)state;
  const char *ok[] = {"", "plain ascii", "caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87",
                      "\xf0\x9f\x98\x80", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    assert_true(m_utf8_valid(ok[i], strlen(ok[i]), NULL));
}

static void utf8_rejects_each_kind_of_bad_sequence(void **state) {
  (void)state;
  struct {
    const char *s;
    size_t bad_at;
  } bad[] = {
      {"a\xff", 1},              /* never valid */
      {"\xc0\xaf", 0},           /* overlong '/' */
      {"\xe0\x80\xaf", 0},       /* overlong 3-byte */
      {"ab\xed\xa0\x80", 2},     /* UTF-16 surrogate */
      {"\xf4\x90\x80\x80", 0},   /* above U+10FFFF */
      {"x\xe4\xb8", 1},          /* truncated */
      {"\xc3(", 0},              /* bad continuation */
      {"\x80", 0},               /* lone continuation */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    size_t at = 999;
    assert_false(m_utf8_valid(bad[i].s, strlen(bad[i].s), &at));
    assert_int_equal(at, bad[i].bad_at);
  }
}

static void utf8_complete_prefix_never_splits_a_code_point(void **state) {
  (void)state;
  const char *s = "a\xf0\x9f\x98\x80"; /* 'a' + 4-byte emoji */
  assert_int_equal(m_utf8_complete_prefix(s, 5), 5);
  assert_int_equal(m_utf8_complete_prefix(s, 4), 1);
  assert_int_equal(m_utf8_complete_prefix(s, 3), 1);
  assert_int_equal(m_utf8_complete_prefix(s, 2), 1);
  assert_int_equal(m_utf8_complete_prefix(s, 1), 1);
  assert_int_equal(m_utf8_complete_prefix("\xc3\xa9", 1), 0);
}

static void utf8_sanitize_replaces_only_bad_bytes(void **state) {
  (void)state;
  char s[] = "ok \xc3\xa9 \xff\xfe cut \xe2\x82";
  m_utf8_sanitize(s, strlen(s));
  assert_string_equal(s, "ok \xc3\xa9 ?? cut ??");
  assert_true(m_utf8_valid(s, strlen(s), NULL));
}

/* An error message quoting bytes from the wire is valid UTF-8; the body
 * keeps the exact bytes. */
static void error_message_quoting_bad_bytes_is_utf8(void **state) {
  (void)state;
  mistral_stream_decoder *d = NULL;
  assert_int_equal(mistral_stream_decoder_new(&d), MISTRAL_OK);
  mistral_error *err = mistral_error_new();
  static const char ev[] = "data: {\"id\": \"\xff\xc3\"\n\n";
  assert_int_equal(mistral_stream_decoder_feed(d, ev, sizeof ev - 1, NULL, NULL, err),
                   MISTRAL_E_STREAM);
  const char *msg = mistral_error_message(err);
  assert_true(m_utf8_valid(msg, strlen(msg), NULL));
  assert_non_null(strstr(msg, "{\"id\": \"??"));
  assert_string_equal(mistral_error_body(err), "{\"id\": \"\xff\xc3\"");
  mistral_error_free(err);
  mistral_stream_decoder_free(d);
}

static void arena_serves_aligned_blocks_small_and_large(void **state) {
  (void)state;
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  for (int i = 0; i < 1000; i++) {
    void *p = m_arena_alloc(&ar, (size_t)(i % 37) + 1);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
  }
  char *big = m_arena_alloc(&ar, 1u << 20);
  assert_non_null(big);
  memset(big, 'x', 1u << 20);
  char *s = m_arena_strndup(&ar, "hello world", 5);
  assert_string_equal(s, "hello");
  assert_false(ar.failed);
  m_arena_release(&ar);
}

static int fail_after;
static void *failing_malloc(size_t n, void *ud) {
  (void)ud;
  return fail_after-- > 0 ? malloc(n) : NULL;
}
static void *failing_realloc(void *p, size_t n, void *ud) {
  (void)ud;
  return fail_after-- > 0 ? realloc(p, n) : NULL;
}
static void plain_free(void *p, void *ud) {
  (void)ud;
  free(p);
}

static void arena_records_allocation_failure(void **state) {
  (void)state;
  mistral_allocator a = {failing_malloc, failing_realloc, plain_free, NULL};
  m_arena ar;
  m_arena_init(&ar, &a);
  fail_after = 1;
  assert_non_null(m_arena_alloc(&ar, 10));
  assert_null(m_arena_alloc(&ar, 1u << 20));
  assert_true(ar.failed);
  m_arena_release(&ar);
}

static void buf_grows_and_formats(void **state) {
  (void)state;
  m_buf b;
  m_buf_init(&b, &mistral_default_allocator);
  assert_string_equal(m_buf_str(&b), "");
  for (int i = 0; i < 1000; i++) assert_int_equal(m_buf_printf(&b, "%d,", i), 0);
  assert_true(strncmp(m_buf_str(&b), "0,1,2,", 6) == 0);
  assert_int_equal(b.len, strlen(b.data));
  m_buf_reset(&b);
  assert_int_equal(b.len, 0);
  m_buf_free(&b);
}

static void error_object_holds_fields_and_redacts_secret(void **state) {
  (void)state;
  mistral_error *e = mistral_error_new();
  assert_non_null(e);
  assert_string_equal(mistral_error_message(e), "");
  m_err_set(e, MISTRAL_E_UNAUTHORIZED, "bad key sk-SECRET-123 refused");
  m_err_set_http_status(e, 401);
  m_err_set_field(e, M_ERR_API_MESSAGE, "key sk-SECRET-123 twice sk-SECRET-123", 37);
  m_err_add_detail(e, "body.model", "Field required sk-SECRET-123", "missing");
  m_err_redact(e, "sk-SECRET-123");
  assert_int_equal(mistral_error_code(e), MISTRAL_E_UNAUTHORIZED);
  assert_int_equal(mistral_error_http_status(e), 401);
  assert_string_equal(mistral_error_message(e), "bad key [REDACTED] refused");
  assert_string_equal(mistral_error_api_message(e), "key [REDACTED] twice [REDACTED]");
  assert_int_equal(mistral_error_detail_count(e), 1);
  assert_string_equal(mistral_error_detail_loc(e, 0), "body.model");
  assert_string_equal(mistral_error_detail_msg(e, 0), "Field required [REDACTED]");
  assert_null(mistral_error_detail_loc(e, 1));
  mistral_error_clear(e);
  assert_int_equal(mistral_error_code(e), MISTRAL_OK);
  assert_null(mistral_error_api_message(e));
  mistral_error_free(e);
  mistral_error_free(NULL);
}

static void status_codes_have_names_and_retry_rules(void **state) {
  (void)state;
  for (int code = MISTRAL_OK; code >= MISTRAL_E_STREAM; code--)
    assert_string_not_equal(mistral_strerror(code), "unknown error");
  assert_string_equal(mistral_strerror(-9999), "unknown error");
  assert_true(mistral_status_is_retryable(MISTRAL_E_RATE_LIMITED));
  assert_true(mistral_status_is_retryable(MISTRAL_E_SERVER));
  assert_true(mistral_status_is_retryable(MISTRAL_E_TIMEOUT));
  assert_false(mistral_status_is_retryable(MISTRAL_E_INVALID_ARG));
  assert_false(mistral_status_is_retryable(MISTRAL_E_UNAUTHORIZED));
  assert_false(mistral_status_is_retryable(MISTRAL_E_VALIDATION));
  mistral_error *e = mistral_error_new();
  m_err_set(e, MISTRAL_E_HTTP, "x");
  m_err_set_http_status(e, 408);
  assert_true(mistral_error_is_retryable(e));
  m_err_set_http_status(e, 400);
  assert_false(mistral_error_is_retryable(e));
  mistral_error_free(e);
}

static void version_macros_match_runtime(void **state) {
  (void)state;
  assert_string_equal(mistral_version(), MISTRAL_VERSION_STRING);
  assert_int_equal(mistral_version_num(), MISTRAL_VERSION_NUM);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(utf8_accepts_valid_text),
      cmocka_unit_test(utf8_rejects_each_kind_of_bad_sequence),
      cmocka_unit_test(utf8_complete_prefix_never_splits_a_code_point),
      cmocka_unit_test(utf8_sanitize_replaces_only_bad_bytes),
      cmocka_unit_test(error_message_quoting_bad_bytes_is_utf8),
      cmocka_unit_test(arena_serves_aligned_blocks_small_and_large),
      cmocka_unit_test(arena_records_allocation_failure),
      cmocka_unit_test(buf_grows_and_formats),
      cmocka_unit_test(error_object_holds_fields_and_redacts_secret),
      cmocka_unit_test(status_codes_have_names_and_retry_rules),
      cmocka_unit_test(version_macros_match_runtime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
