/* SPDX-License-Identifier: Apache-2.0 */
/* jv (lib/json/jv.h): what it accepts and rejects (each verdict compared
 * with jansson's, with the documented differences), string escapes and
 * UTF-8, numbers against strtod, the nesting limit, duplicate keys, spans,
 * compact copies, error offsets and allocation failures. Every text is
 * parsed from an exactly-sized heap copy, so that a read past its end shows
 * under ASan and valgrind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <locale.h>
#include <math.h>

#include "json/jv.h"
#include "mistral/common.h"

typedef struct text {
  const char *s;
  size_t len;
} text;
#define T(lit) {lit, sizeof(lit) - 1}

/* Parses len bytes of s from a copy of exactly that size. */
static int parse_exact(const m_jv **out, m_arena *ar, const char *s, size_t len, unsigned flags,
                       m_jv_error *err) {
  char *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  if (len) memcpy(copy, s, len);
  int rc = m_jv_parse_flags(out, ar, copy, len, flags, err);
  free(copy);
  return rc;
}

/* ---- verdicts ---- */

static const text accepted[] = {
    T("[]"), T("{}"), T("[[]]"), T("[{}]"), T("  [1]  "), T("\t\r\n[\n1\n]\r\n"), T("0"),
    T("-0"), T("1"), T("-1"), T("123"), T("1.5"), T("-1.5e10"), T("1E5"), T("1e+5"),
    T("1e-5"), T("0.0"), T("0e0"), T("0E+0"), T("1.0e-0"), T("-0.0"), T("1e0001"),
    T("true"), T("false"), T("null"), T(" null "), T("\"\""), T("\"abc\""), T("[1,2,3]"),
    T("{\"a\":1,\"b\":[true,false,null]}"), T("{\"\":0}"), T("{ \"a\" : 1 , \"b\" : 2 }"),
    T("[ 1 , [ 2 , [ 3 ] ] ]"), T("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), T("\"\\u00e9\""),
    T("\"\\u00E9\""), T("\"\\uD83D\\uDE00\""), T("\"\\ud83d\\ude00\""), T("\"\\uFFFF\""),
    T("\"\\uDBFF\\uDFFF\""), T("\"\\u0041\\u0042\""), T("\"\xc3\xa9\""),
    T("\"\xf0\x9f\x98\x80\""), T("\"\xef\xbf\xbf\""), T("\"\xf4\x8f\xbf\xbf\""),
    T("\"\xe0\xa0\x80\""), T("\"\xed\x9f\xbf\""), T("\"\xee\x80\x80\""), T("\"\x7f\""),
    T("\"a b\""), T("[1e308]"), T("[1e-400]"), T("[-1e-400]"), T("[2.2250738585072014e-308]"),
    T("[4.9e-324]"), T("[1.7976931348623157e308]"), T("[-9223372036854775808]"),
    T("[9223372036854775807]"), T("{\"a\":1,\"a\":2}"), T("[\"\\/\"]"),
    T("{\"a\":{\"b\":{\"c\":[{}]}}}"),
    T("[0.000000000000000000000000000000000000000000000000000000000001]"),
    T("[123456789012345678.5e-3]"),
};

/* \u0000: rejected unless M_JV_ALLOW_NUL, as in jansson (JSON_ALLOW_NUL). */
static const text nul_escapes[] = {
    T("\"\\u0000\""), T("[\"a\\u0000b\"]"), T("{\"a\":\"\\u0000\"}"), T("\"\\u0000\\u0000\""),
};

/* Accepted by jv, rejected by jansson: documented (jv.h). */
static const text accepted_not_jansson[] = {
    T("[123456789012345678901234567890]"), T("[9223372036854775808]"),
    T("[-9223372036854775809]"), T("-18446744073709551616"),
};

static const text rejected[] = {
    T(""), T(" "), T("\n\t"), T("["), T("]"), T("[1,]"), T("[,1]"), T("[1 2]"), T("[1,,2]"),
    T("{"), T("}"), T("{\"a\"}"), T("{\"a\":}"), T("{\"a\":1,}"), T("{a:1}"), T("{'a':1}"),
    T("{\"a\" 1}"), T("{\"a\":1 \"b\":2}"), T("{,}"), T("{1:1}"), T("[1]x"), T("[1] [2]"),
    T("1 2"), T("{\"a\":1}}"), T("[1]]"), T("[[1]"), T("01"), T("-01"), T("00"), T("-"),
    T("+1"), T(".5"), T("1."), T("1.e5"), T("1e"), T("1e+"), T("1e-"), T("-.5"), T("0x10"),
    T("1_000"), T("NaN"), T("Infinity"), T("-Infinity"), T("[NaN]"), T("[-nan]"), T("tru"),
    T("nul"), T("True"), T("NULL"), T("nulll"), T("truefalse"), T("\"abc"), T("\""),
    T("\"\\\""), T("\"\\"), T("\"\\x\""), T("\"\\u12\""), T("\"\\u12G4\""), T("\"\\U0041\""),
    T("\"\\'\""), T("\"\\a\""), T("\"\\0\""), T("\"\x01\""), T("\"\x1f\""), T("\"a\nb\""),
    T("\"\t\""), T("\"\\uD800\""), T("\"\\uDC00\""), T("\"\\uDFFF\\uD800\""),
    T("\"\\uD800\\u0041\""), T("\"\\uD800x\""), T("\"\\uDBFF\\uDBFF\""), T("\"\\uD800\\\""),
    T("\"\\uD800\\u\""), T("\"\xc0\x80\""), T("\"\xc1\xbf\""), T("\"\xe0\x9f\xbf\""),
    T("\"\xed\xa0\x80\""), T("\"\xed\xbf\xbf\""), T("\"\xf0\x8f\xbf\xbf\""),
    T("\"\xf4\x90\x80\x80\""), T("\"\xf5\x80\x80\x80\""), T("\"\xe2\x82\""), T("\"\xe2\x82"),
    T("\"\x80\""), T("\"\xbf\""), T("\"\xff\""), T("\"\xfe\""), T("\"\xf8\x88\x80\x80\x80\""),
    T("\"\xc3\""), T("\"\xc3\x28\""), T("[\xc3\xa9]"), T("\xef\xbb\xbf[]"), T("[1e400]"),
    T("[-1e400]"), T("[1e999999999999999999]"), T("/* c */ []"), T("[] // c"), T("[1,\n]"),
    T("[\"a\",]"), T("\x00"), T("[1]\x00"), T("\"a\x00" "b\""), T("[\x00]"), T("{\"a\":\"x\"\x00}"),
    T("[1,2"), T("{\"a\":[1,{\"b\":2}"), T("[\"\\u00e\"]"), T("{\"a\"::1}"), T("[-]"),
    T("[- 1]"), T("[1.5e]"), T("[\"\\uDE00\\uD83D\"]"), T("\f[]"), T("\v[]"),
    T("[\xa0]"), T("'a'"),
};

static const text rejected_not_jansson[] = {
    T("{\"a\":1\x00}"), T("[1\x00]"), T("[1,2\x00]"), T("[-5\x00]"),
};

static int jansson_accepts(const text *t) {
  json_t *v = json_loadb(t->s, t->len, JSON_DECODE_ANY, NULL);
  json_decref(v);
  return v != NULL;
}

static void accepts_valid_texts(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
    m_arena ar;
    m_arena_init(&ar, &mistral_default_allocator);
    const m_jv *v;
    m_jv_error e;
    int rc = parse_exact(&v, &ar, accepted[i].s, accepted[i].len, 0, &e);
    if (rc != MISTRAL_OK)
      print_error("rejected [%zu] %.*s: %s at %zu\n", i, (int)accepted[i].len, accepted[i].s,
                  e.msg, e.offset);
    assert_int_equal(rc, MISTRAL_OK);
    assert_non_null(v);
    assert_true(jansson_accepts(&accepted[i]));
    m_arena_release(&ar);
  }
  for (size_t i = 0; i < sizeof accepted_not_jansson / sizeof *accepted_not_jansson; i++) {
    m_arena ar;
    m_arena_init(&ar, &mistral_default_allocator);
    const m_jv *v;
    assert_int_equal(parse_exact(&v, &ar, accepted_not_jansson[i].s, accepted_not_jansson[i].len,
                                 0, NULL),
                     MISTRAL_OK);
    assert_false(jansson_accepts(&accepted_not_jansson[i]));
    m_arena_release(&ar);
  }
  for (size_t i = 0; i < sizeof nul_escapes / sizeof *nul_escapes; i++) {
    m_arena ar;
    m_arena_init(&ar, &mistral_default_allocator);
    const m_jv *v;
    m_jv_error e;
    const text *t = &nul_escapes[i];
    assert_int_equal(parse_exact(&v, &ar, t->s, t->len, 0, &e), MISTRAL_E_BAD_RESPONSE);
    assert_non_null(strstr(e.msg, "\\u0000"));
    assert_false(jansson_accepts(t));
    assert_int_equal(parse_exact(&v, &ar, t->s, t->len, M_JV_ALLOW_NUL, NULL), MISTRAL_OK);
    json_t *j = json_loadb(t->s, t->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_non_null(j);
    json_decref(j);
    m_arena_release(&ar);
  }
  /* With JSON_ALLOW_NUL jansson still refuses U+0000 in a key; jv takes it. */
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  const m_jv *v;
  assert_int_equal(m_jv_parse_flags(&v, &ar, "{\"\\u0000\":1}", 12, M_JV_ALLOW_NUL, NULL),
                   MISTRAL_OK);
  assert_int_equal(m_jv_int(m_jv_getn(v, "", 1)), 1);
  assert_null(json_loadb("{\"\\u0000\":1}", 12, JSON_ALLOW_NUL, NULL));
  m_arena_release(&ar);
}

static void rejects_invalid_texts(void **state) {
  (void)state;
  int jansson_disagrees = 0;
  for (size_t i = 0; i < sizeof rejected / sizeof *rejected; i++) {
    m_arena ar;
    m_arena_init(&ar, &mistral_default_allocator);
    static const m_jv dummy;
    const m_jv *v = &dummy; /* must be reset to NULL */
    m_jv_error e = {12345, 12345, NULL};
    int rc = parse_exact(&v, &ar, rejected[i].s, rejected[i].len, 0, &e);
    if (rc != MISTRAL_E_BAD_RESPONSE)
      print_error("accepted [%zu] %.*s\n", i, (int)rejected[i].len, rejected[i].s);
    assert_int_equal(rc, MISTRAL_E_BAD_RESPONSE);
    assert_null(v);
    assert_non_null(e.msg);
    assert_true(e.offset <= rejected[i].len);
    assert_true(e.token <= e.offset);
    assert_false(ar.failed);
    if (jansson_accepts(&rejected[i])) {
      print_error("jansson accepts [%zu] %.*s\n", i, (int)rejected[i].len, rejected[i].s);
      jansson_disagrees++;
    }
    m_arena_release(&ar);
  }
  assert_int_equal(jansson_disagrees, 0);
  /* jansson ends a number at a NUL byte and then skips the NUL: jv sees a
   * byte that cannot be JSON. */
  for (size_t i = 0; i < sizeof rejected_not_jansson / sizeof *rejected_not_jansson; i++) {
    m_arena ar;
    m_arena_init(&ar, &mistral_default_allocator);
    const m_jv *v;
    assert_int_equal(parse_exact(&v, &ar, rejected_not_jansson[i].s, rejected_not_jansson[i].len,
                                 0, NULL),
                     MISTRAL_E_BAD_RESPONSE);
    assert_true(jansson_accepts(&rejected_not_jansson[i]));
    m_arena_release(&ar);
  }
}

/* Errors point at the first byte that cannot be JSON. */
static void error_offsets(void **state) {
  (void)state;
  static const struct {
    text t;
    size_t offset, token;
    const char *needle;
  } cases[] = {
      {T("[1,2,x]"), 5, 5, "value"},
      {T("{\"a\" 1}"), 5, 5, "':'"},
      {T("\"abc"), 4, 0, "unterminated"},
      {T("1 2"), 2, 2, "trailing"},
      {T("[1,]"), 3, 3, "value"},
      {T(""), 0, 0, "end"},
      {T("  [1,2"), 6, 6, "end"},
      {T("\"ab\x01\""), 3, 0, "control"},
      {T("[\"\xc3\x28\"]"), 2, 1, "UTF-8"},
      {T("[\"x\\q\"]"), 3, 1, "escape"},
      {T("[\"\\uD800\"]"), 2, 1, "surrogate"},
      {T("[01]"), 2, 1, "leading zero"},
      {T("[-1.e5]"), 4, 1, "digit expected"},
      {T("[1e400]"), 5, 1, "range"},
      {T("{\"a\":1,2}"), 7, 7, "member name"},
      {T("[1}"), 2, 2, "']'"},
      {T("[nul]"), 1, 1, "literal"},
      {T("[\"ab\\u0000\"]"), 4, 1, "\\u0000"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    m_arena ar;
    m_arena_init(&ar, &mistral_default_allocator);
    const m_jv *v;
    m_jv_error e;
    assert_int_equal(parse_exact(&v, &ar, cases[i].t.s, cases[i].t.len, 0, &e),
                     MISTRAL_E_BAD_RESPONSE);
    if (e.offset != cases[i].offset || !strstr(e.msg, cases[i].needle))
      print_error("[%zu]: offset %zu, message \"%s\"\n", i, e.offset, e.msg);
    assert_int_equal(e.offset, cases[i].offset);
    assert_int_equal(e.token, cases[i].token);
    assert_non_null(strstr(e.msg, cases[i].needle));
    m_arena_release(&ar);
  }
  /* err may be NULL; bad arguments are refused. */
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  const m_jv *v;
  assert_int_equal(m_jv_parse(&v, &ar, "[", 1, NULL), MISTRAL_E_BAD_RESPONSE);
  assert_int_equal(m_jv_parse(NULL, &ar, "[]", 2, NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(m_jv_parse(&v, NULL, "[]", 2, NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(m_jv_parse(&v, &ar, NULL, 2, NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(m_jv_parse(&v, &ar, NULL, 0, NULL), MISTRAL_E_BAD_RESPONSE);
  m_arena_release(&ar);
}

/* ---- strings ---- */

/* Parses s in place (spans point into s), \u0000 allowed. */
static const m_jv *parse_ok(m_arena *ar, const char *s) {
  const m_jv *v = NULL;
  m_jv_error e;
  int rc = m_jv_parse_flags(&v, ar, s, strlen(s), M_JV_ALLOW_NUL, &e);
  if (rc != MISTRAL_OK) print_error("%s: %s at %zu\n", s, e.msg, e.offset);
  assert_int_equal(rc, MISTRAL_OK);
  return v;
}

static void assert_string_value(m_arena *ar, const char *json, const char *want, size_t want_len) {
  const m_jv *v = parse_ok(ar, json);
  size_t len = 99;
  const char *s = m_jv_string(v, &len);
  assert_non_null(s);
  assert_int_equal(len, want_len);
  assert_int_equal(m_jv_len(v), want_len);
  assert_memory_equal(s, want, want_len);
  assert_int_equal(s[len], '\0');
}

static void decodes_every_escape(void **state) {
  (void)state;
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  assert_string_value(&ar, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
  assert_string_value(&ar, "\"a\\u0000b\"", "a\0b", 3);
  assert_string_value(&ar, "\"\\u0041\\u007f\"", "A\x7f", 2);
  assert_string_value(&ar, "\"\\u0080\\u07ff\"", "\xc2\x80\xdf\xbf", 4);
  assert_string_value(&ar, "\"\\u0800\\uffff\\uFFFE\"", "\xe0\xa0\x80\xef\xbf\xbf\xef\xbf\xbe", 9);
  assert_string_value(&ar, "\"caf\\u00e9 caf\\u00C9\"", "caf\xc3\xa9 caf\xc3\x89", 11);
  assert_string_value(&ar, "\"\\u20ac\"", "\xe2\x82\xac", 3);
  assert_string_value(&ar, "\"\\ud7ff\\ue000\"", "\xed\x9f\xbf\xee\x80\x80", 6);
  /* Surrogate pairs: the first and last code points above the BMP, an
   * emoji, mixed case. */
  assert_string_value(&ar, "\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80", 4);
  assert_string_value(&ar, "\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);
  assert_string_value(&ar, "\"x\\ud83d\\uDE00y\"", "x\xf0\x9f\x98\x80y", 6);
  /* Raw UTF-8 passes through; escapes and raw text mix. */
  assert_string_value(&ar, "\"\xf0\x9f\x98\x80\\n\xc3\xa9\"", "\xf0\x9f\x98\x80\n\xc3\xa9", 7);
  assert_string_value(&ar, "\"\"", "", 0);
  /* Long runs (the 8-byte scan) with a stop at every position. */
  for (size_t at = 0; at < 39; at++) {
    char json[64], want[64];
    memset(want, 'a', sizeof want);
    json[0] = '"';
    memset(json + 1, 'a', 40);
    memcpy(json + 41, "\"", 2);
    memcpy(json + 1 + at, "\\n", 2);
    want[at] = '\n';
    assert_string_value(&ar, json, want, 39);
    memcpy(json + 1 + at, "\xc3\xa9", 2);
    want[at] = '\xc3';
    want[at + 1] = '\xa9';
    assert_string_value(&ar, json, want, 40);
    json[1 + at] = '\x1f';
    json[2 + at] = 'a';
    const m_jv *v;
    m_jv_error e;
    assert_int_equal(parse_exact(&v, &ar, json, strlen(json), 0, &e), MISTRAL_E_BAD_RESPONSE);
    assert_int_equal(e.offset, 1 + at);
  }
  m_arena_release(&ar);
}

/* ---- numbers ---- */

static void assert_same_double(double got, double want, const char *lit) {
  if (memcmp(&got, &want, sizeof got) != 0)
    print_error("%s: got %.17g, want %.17g\n", lit, got, want);
  assert_memory_equal(&got, &want, sizeof got);
}

static void assert_int_literal(m_arena *ar, const char *lit, int64_t want) {
  const m_jv *v = parse_ok(ar, lit);
  assert_true(m_jv_is_int(v));
  assert_true(m_jv_is_number(v));
  assert_false(m_jv_is_real(v));
  assert_true(m_jv_int(v) == want);
  assert_true(m_jv_number(v) == (double)want);
}

/* A real literal: jv's value (fast path and strtod path) is strtod's. */
static void assert_real_literal(m_arena *ar, const char *lit) {
  for (unsigned flags = 0; flags <= M_JV_STRTOD; flags += M_JV_STRTOD) {
    const m_jv *v = NULL;
    m_jv_error e;
    int rc = parse_exact(&v, ar, lit, strlen(lit), flags, &e);
    if (rc != MISTRAL_OK) print_error("%s: %s\n", lit, e.msg);
    assert_int_equal(rc, MISTRAL_OK);
    if (!m_jv_is_real(v)) print_error("%s: not a real\n", lit);
    assert_true(m_jv_is_real(v));
    assert_int_equal(m_jv_int(v), 0);
    assert_same_double(m_jv_number(v), strtod(lit, NULL), lit);
  }
}

static void numbers(void **state) {
  (void)state;
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  assert_int_literal(&ar, "0", 0);
  assert_int_literal(&ar, "-0", 0);
  assert_int_literal(&ar, "7", 7);
  assert_int_literal(&ar, "-42", -42);
  assert_int_literal(&ar, "1764230400", 1764230400);
  assert_int_literal(&ar, "9223372036854775807", INT64_MAX);
  assert_int_literal(&ar, "-9223372036854775808", INT64_MIN);
  assert_int_literal(&ar, "999999999999999999", 999999999999999999);
  assert_int_literal(&ar, "1000000000000000000", 1000000000000000000);
  assert_int_literal(&ar, "9007199254740993", INT64_C(9007199254740993));
  assert_int_literal(&ar, "-1234567890123456789", INT64_C(-1234567890123456789));
  assert_int_literal(&ar, "12345678", 12345678);
  assert_int_literal(&ar, "1234567890123456", INT64_C(1234567890123456));
  /* Beyond int64, or with a fraction or exponent: reals. */
  static const char *const reals[] = {
      "9223372036854775808", "-9223372036854775809", "9999999999999999999", "-1e2",
      "18446744073709551616", "123456789012345678901234567890", "1.0", "1e0", "1E2", "-0.0",
      "0.0", "0e0", "-0e-5", "0.1", "0.2", "0.3", "-0.0123456789", "1e308", "-1e308",
      "1.7976931348623157e308", "1.7976931348623158e308", "2.2250738585072014e-308",
      "2.2250738585072011e-308", "4.9e-324", "2.4703282292062328e-324", "1e-324", "1e-400",
      "-1e-400", "9007199254740993e0", "9007199254740993.0", "9007199254740992.0",
      "9007199254740991.0", "1e22", "1e23", "1e-22", "1e-23", "123456789e-22", "3.14159",
      "0.30000000000000004", "-0.016586303710937500", "0.0165863037109375",
      "89255.0e-22", "1.00000000000000011102230246251565404236316680908203125",
      "1.00000000000000011102230246251565404236316680908203124",
      "1.00000000000000011102230246251565404236316680908203126",
      "0.000000000000000000000000000000000000000000000001e48",
      "1234567890123456789012345678901234567890e-40", "7.2057594037927933e16",
      /* eight digits at a time, leading zeros of the fraction in a block */
      "0.000000001234567", "0.00000000000000001234", "-0.0000000012345678901234567",
      "0.00000000", "0.0000000000000000", "0.000000000000000000000000001",
      "0.1000000000000000055511151231257827", "12345678.12345678", "1234567812345678.5",
      "0.12345678123456781234", "0.000000010000000100000001",
      ("100000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000.5e-150"),
  };
  for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) assert_real_literal(&ar, reals[i]);
  /* -0.0 keeps its sign; 1e-400 underflows to +0. */
  const m_jv *v = parse_ok(&ar, "-0.0");
  assert_true(signbit(m_jv_number(v)));
  v = parse_ok(&ar, "-0");
  assert_true(m_jv_is_int(v));
  assert_true(m_jv_number(parse_ok(&ar, "1e-400")) == 0.0);
  /* 0.1 parses to exactly strtod's nearest double. */
  assert_true(m_jv_number(parse_ok(&ar, "0.1")) == strtod("0.1", NULL));
  assert_true(m_jv_number(parse_ok(&ar, "1e308")) == 1e308);
  m_arena_release(&ar);
}

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Random decimals of every shape: the fast path agrees with strtod bit for
 * bit (Clinger's conditions, checked on 200,000 literals). */
static void random_reals_match_strtod(void **state) {
  (void)state;
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  char lit[96];
  for (int i = 0; i < 200000; i++) {
    size_t n = 0;
    if (rng() & 1) lit[n++] = '-';
    unsigned int_digits = (unsigned)(rng() % 4), frac_digits = (unsigned)(rng() % 21);
    if (rng() % 4 == 0) int_digits = (unsigned)(rng() % 22);
    if (int_digits == 0) {
      lit[n++] = '0';
    } else {
      lit[n++] = (char)('1' + rng() % 9);
      for (unsigned k = 1; k < int_digits; k++) lit[n++] = (char)('0' + rng() % 10);
    }
    if (frac_digits || int_digits == 0) {
      lit[n++] = '.';
      if (!frac_digits) frac_digits = 1;
      for (unsigned k = 0; k < frac_digits; k++) lit[n++] = (char)('0' + rng() % 10);
    }
    if (rng() % 3 == 0) {
      int e = (int)(rng() % 61) - 30;
      if (rng() % 8 == 0) e = (int)(rng() % 700) - 350;
      n += (size_t)snprintf(lit + n, sizeof lit - n, "e%d", e);
    }
    lit[n] = '\0';
    if (!strchr(lit, '.') && !strchr(lit, 'e')) continue; /* an integer */
    double want = strtod(lit, NULL);
    if (isinf(want)) continue;
    const m_jv *fast, *slow;
    assert_int_equal(m_jv_parse(&fast, &ar, lit, n, NULL), MISTRAL_OK);
    assert_int_equal(m_jv_parse_flags(&slow, &ar, lit, n, M_JV_STRTOD, NULL), MISTRAL_OK);
    assert_same_double(m_jv_number(fast), want, lit);
    assert_same_double(m_jv_number(slow), want, lit);
    if (i % 1000 == 0) m_arena_reset(&ar);
  }
  m_arena_release(&ar);
}

/* strtod follows LC_NUMERIC: the slow path must still read '.' as the
 * decimal point under a locale that writes ',' (skipped when no such locale
 * is installed; LOCPATH can point at one made with localedef). */
static void reals_under_a_comma_locale(void **state) {
  (void)state;
  static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
  const char *set = NULL;
  for (size_t i = 0; i < sizeof names / sizeof *names && !set; i++)
    set = setlocale(LC_NUMERIC, names[i]);
  if (!set || strtod("0,5", NULL) != 0.5) {
    setlocale(LC_NUMERIC, "C");
    skip();
  }
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  static const char *const lits[] = {"0.1", "1.7976931348623157e308", "3.14159265358979323846",
                                     "-2.5e-300", "123456789012345678901234.5"};
  static const double want[] = {0.1, 1.7976931348623157e308, 3.14159265358979323846, -2.5e-300,
                                123456789012345678901234.5};
  for (size_t i = 0; i < sizeof lits / sizeof *lits; i++) {
    for (unsigned flags = 0; flags <= M_JV_STRTOD; flags += M_JV_STRTOD) {
      const m_jv *v;
      assert_int_equal(m_jv_parse_flags(&v, &ar, lits[i], strlen(lits[i]), flags, NULL),
                       MISTRAL_OK);
      assert_same_double(m_jv_number(v), want[i], lits[i]);
    }
  }
  /* ',' stays a syntax error. */
  const m_jv *v;
  assert_int_equal(m_jv_parse(&v, &ar, "0,5", 3, NULL), MISTRAL_E_BAD_RESPONSE);
  m_arena_release(&ar);
  setlocale(LC_NUMERIC, "C");
}

/* ---- structure ---- */

static void nesting_limit(void **state) {
  (void)state;
  enum { BIG = 1000000 };
  char *buf = malloc(2 * BIG + 16);
  assert_non_null(buf);
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  const m_jv *v;
  m_jv_error e;
  /* Exactly M_JV_MAX_DEPTH arrays: fine; one more: an error at the
   * bracket that goes too deep. */
  for (int extra = 0; extra <= 1; extra++) {
    size_t d = M_JV_MAX_DEPTH + (size_t)extra;
    memset(buf, '[', d);
    memset(buf + d, ']', d);
    int rc = parse_exact(&v, &ar, buf, 2 * d, 0, &e);
    if (!extra) {
      assert_int_equal(rc, MISTRAL_OK);
      const m_jv *x = v;
      for (size_t k = 1; k < d; k++) x = m_jv_at(x, 0);
      assert_true(m_jv_is_array(x));
      assert_int_equal(m_jv_len(x), 0);
    } else {
      assert_int_equal(rc, MISTRAL_E_BAD_RESPONSE);
      assert_int_equal(e.offset, M_JV_MAX_DEPTH);
      assert_non_null(strstr(e.msg, "deep"));
    }
  }
  /* Objects count the same. */
  for (int extra = 0; extra <= 1; extra++) {
    size_t d = M_JV_MAX_DEPTH + (size_t)extra, n = 0;
    for (size_t k = 0; k < d; k++) n += (size_t)sprintf(buf + n, k + 1 < d ? "{\"a\":" : "{}");
    for (size_t k = 1; k < d; k++) buf[n++] = '}';
    assert_int_equal(parse_exact(&v, &ar, buf, n, 0, NULL),
                     extra ? MISTRAL_E_BAD_RESPONSE : MISTRAL_OK);
  }
  /* A million open brackets: an error, not a stack overflow. */
  memset(buf, '[', BIG);
  assert_int_equal(parse_exact(&v, &ar, buf, BIG, 0, &e), MISTRAL_E_BAD_RESPONSE);
  assert_int_equal(e.offset, M_JV_MAX_DEPTH);
  /* Deep but balanced alternation well inside the limit. */
  size_t n = 0;
  for (int k = 0; k < 200; k++) n += (size_t)sprintf(buf + n, "[{\"k\":");
  buf[n++] = '1';
  for (int k = 0; k < 200; k++) n += (size_t)sprintf(buf + n, "}]");
  assert_int_equal(parse_exact(&v, &ar, buf, n, 0, NULL), MISTRAL_OK);
  m_arena_release(&ar);
  free(buf);
}

static void objects_and_duplicate_keys(void **state) {
  (void)state;
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  const m_jv *o = parse_ok(&ar, "{\"a\":1,\"b\":{\"x\":true},\"a\":\"two\",\"\":null,\"a\\u0000\":3}");
  assert_true(m_jv_is_object(o));
  assert_int_equal(m_jv_len(o), 5);
  /* Lookup returns the last member with the key, as jansson keeps it. */
  assert_string_equal(m_jv_string(m_jv_get(o, "a"), NULL), "two");
  json_t *j = json_loads("{\"a\":1,\"a\":\"two\"}", 0, NULL);
  assert_string_equal(json_string_value(json_object_get(j, "a")), "two");
  json_decref(j);
  assert_true(m_jv_is_true(m_jv_get(m_jv_get(o, "b"), "x")));
  assert_true(m_jv_is_null(m_jv_get(o, "")));
  assert_null(m_jv_get(o, "c"));
  assert_null(m_jv_get(o, NULL));
  assert_int_equal(m_jv_int(m_jv_getn(o, "a\0", 2)), 3);
  /* Iteration sees every member in source order, duplicates included. */
  static const char *const keys[] = {"a", "b", "a", "", "a"};
  for (size_t i = 0; i < 5; i++) {
    size_t len;
    assert_string_equal(m_jv_key_at(o, i, &len), keys[i]);
    assert_int_equal(len, i == 4 ? 2 : strlen(keys[i]));
    assert_non_null(m_jv_value_at(o, i));
  }
  assert_int_equal(m_jv_int(m_jv_value_at(o, 0)), 1);
  assert_null(m_jv_key_at(o, 5, NULL));
  assert_null(m_jv_value_at(o, 5));
  /* Arrays. */
  const m_jv *a = parse_ok(&ar, "[10, \"s\", [], {}, null, false, 2.5]");
  assert_int_equal(m_jv_len(a), 7);
  assert_int_equal(m_jv_int(m_jv_at(a, 0)), 10);
  assert_true(m_jv_is_string(m_jv_at(a, 1)));
  assert_true(m_jv_is_array(m_jv_at(a, 2)));
  assert_int_equal(m_jv_len(m_jv_at(a, 2)), 0);
  assert_null(m_jv_at(m_jv_at(a, 2), 0));
  assert_true(m_jv_is_object(m_jv_at(a, 3)));
  assert_null(m_jv_get(m_jv_at(a, 3), "a"));
  assert_true(m_jv_is_null(m_jv_at(a, 4)));
  assert_true(m_jv_is_false(m_jv_at(a, 5)));
  assert_true(m_jv_is_bool(m_jv_at(a, 5)));
  assert_true(m_jv_number(m_jv_at(a, 6)) == 2.5);
  assert_null(m_jv_at(a, 7));
  /* Wrong-type and NULL reads answer "absent". */
  assert_null(m_jv_get(a, "a"));
  assert_null(m_jv_at(o, 0));
  assert_null(m_jv_string(m_jv_at(a, 0), NULL));
  assert_int_equal(m_jv_int(m_jv_at(a, 6)), 0);
  assert_int_equal(m_jv_len(m_jv_at(a, 0)), 0);
  assert_false(m_jv_is_null(NULL));
  assert_false(m_jv_is_true(NULL));
  assert_false(m_jv_is_bool(NULL));
  assert_false(m_jv_is_number(NULL));
  assert_false(m_jv_is_object(NULL));
  assert_int_equal(m_jv_len(NULL), 0);
  assert_null(m_jv_at(NULL, 0));
  assert_null(m_jv_get(NULL, "a"));
  assert_null(m_jv_key_at(NULL, 0, NULL));
  assert_null(m_jv_span(NULL, NULL));
  assert_null(m_jv_arena_str(&ar, m_jv_at(a, 0)));
  assert_null(m_jv_arena_compact(&ar, NULL, NULL));
  m_arena_release(&ar);
}

/* Each value's span is its exact source text. */
static void spans(void **state) {
  (void)state;
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  const char *doc = " \n{ \"a\" : [ 1 , -2.5e3 , \"x\\\"y\" , true , null , { } ] ,"
                    "\"b\":{\"c\":\"\\u00e9\"},\"d\":false}\t ";
  const m_jv *v = parse_ok(&ar, doc);
  size_t len;
  const char *s = m_jv_span(v, &len);
  assert_int_equal(s - doc, 2);
  assert_int_equal(len, strlen(doc) - 4);
  static const struct {
    const char *path, *text;
  } want[] = {
      {"a", "[ 1 , -2.5e3 , \"x\\\"y\" , true , null , { } ]"},
      {"a0", "1"},
      {"a1", "-2.5e3"},
      {"a2", "\"x\\\"y\""},
      {"a3", "true"},
      {"a4", "null"},
      {"a5", "{ }"},
      {"b", "{\"c\":\"\\u00e9\"}"},
      {"bc", "\"\\u00e9\""},
      {"d", "false"},
  };
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    const char *p = want[i].path;
    char key[2] = {p[0], 0};
    const m_jv *x = m_jv_get(v, key);
    if (p[1] == 'c') x = m_jv_get(x, "c");
    else if (p[1]) x = m_jv_at(x, (size_t)(p[1] - '0'));
    assert_non_null(x);
    s = m_jv_span(x, &len);
    assert_true(s >= doc && s + len <= doc + strlen(doc));
    assert_int_equal(len, strlen(want[i].text));
    assert_memory_equal(s, want[i].text, len);
  }
  /* Keys have spans too (with their quotes). */
  assert_memory_equal(m_jv_span(&v->u.items[0], &len), "\"a\"", 3);
  assert_int_equal(len, 3);
  /* Only len bytes are read: the text need not end with NUL. */
  const m_jv *w;
  assert_int_equal(m_jv_parse(&w, &ar, "12345", 3, NULL), MISTRAL_OK);
  assert_int_equal(m_jv_int(w), 123);
  assert_int_equal(m_jv_parse(&w, &ar, "[1,2]xyz", 5, NULL), MISTRAL_OK);
  assert_int_equal(m_jv_parse(&w, &ar, "\"ab\"", 3, NULL), MISTRAL_E_BAD_RESPONSE);
  assert_int_equal(m_jv_parse(&w, &ar, "truex", 4, NULL), MISTRAL_OK);
  m_arena_release(&ar);
}

static void compact_copies(void **state) {
  (void)state;
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  static const struct {
    const char *in, *out;
  } cases[] = {
      {" { \"a\" : [ 1 , \"x y\\\" \\\\\" ,\n\t{ } ] }\r\n", "{\"a\":[1,\"x y\\\" \\\\\",{}]}"},
      {"{\"prompt_tokens\": 5, \"completion_tokens\": 9}",
       "{\"prompt_tokens\":5,\"completion_tokens\":9}"},
      {"\"  spaced  \\\\\"", "\"  spaced  \\\\\""},
      {"[ -1.5E+3 , true , false , null ]", "[-1.5E+3,true,false,null]"},
      {"{\"k\\\"\" : \"\\u00e9 \\\" }\"}", "{\"k\\\"\":\"\\u00e9 \\\" }\"}"},
      {"[]", "[]"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const m_jv *v = parse_ok(&ar, cases[i].in);
    size_t len;
    char *c = m_jv_arena_compact(&ar, v, &len);
    assert_string_equal(c, cases[i].out);
    assert_int_equal(len, strlen(cases[i].out));
    /* The compact text parses to the same JSON as the original. */
    json_t *a = json_loads(cases[i].in, JSON_DECODE_ANY, NULL);
    json_t *b = json_loads(c, JSON_DECODE_ANY, NULL);
    assert_non_null(a);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
  }
  const m_jv *v = parse_ok(&ar, "{\"s\":\"a\\u0000b\"}");
  char *copy = m_jv_arena_str(&ar, m_jv_get(v, "s"));
  assert_memory_equal(copy, "a\0b", 4);
  m_arena_release(&ar);
}

/* ---- allocation failures ---- */

static long fail_after, live;
static void *failing_malloc(size_t n, void *ud) {
  (void)ud;
  if (fail_after-- <= 0) return NULL;
  void *p = malloc(n);
  if (p) live++;
  return p;
}
static void *failing_realloc(void *p, size_t n, void *ud) {
  (void)ud;
  if (fail_after-- <= 0) return NULL;
  void *q = realloc(p, n);
  if (q && !p) live++;
  return q;
}
static void counting_free(void *p, void *ud) {
  (void)ud;
  if (p) live--;
  free(p);
}

/* Fails the 1st, 2nd... allocation: each run ends in MISTRAL_E_NOMEM with
 * ar->failed set, or succeeds; nothing leaks (valgrind/ASan check too). The
 * document needs the heap scratch stack (many values), a big arena block
 * (a long string) and a heap strtod copy (a long number). */
static void allocation_failures(void **state) {
  (void)state;
  size_t cap = 64 * 1024, n = 0;
  char *doc = malloc(cap);
  assert_non_null(doc);
  n += (size_t)sprintf(doc + n, "{\"items\":[");
  for (int i = 0; i < 300; i++) n += (size_t)sprintf(doc + n, "%s[%d,\"s%d\"]", i ? "," : "", i, i);
  n += (size_t)sprintf(doc + n, "],\"long\":\"");
  memset(doc + n, 'x', 20000);
  n += 20000;
  n += (size_t)sprintf(doc + n, "\",\"num\":1.");
  memset(doc + n, '3', 100);
  n += 100;
  n += (size_t)sprintf(doc + n, "e-5}");
  mistral_allocator fa = {failing_malloc, failing_realloc, counting_free, NULL};
  int succeeded = 0;
  for (long k = 0; k < 1000 && !succeeded; k++) {
    m_arena ar;
    m_arena_init(&ar, &fa);
    fail_after = k;
    live = 0;
    const m_jv *v;
    m_jv_error e;
    int rc = m_jv_parse(&v, &ar, doc, n, &e);
    if (rc == MISTRAL_OK) {
      succeeded = 1;
      assert_int_equal(m_jv_len(m_jv_get(v, "items")), 300);
      assert_int_equal(m_jv_len(m_jv_get(v, "long")), 20000);
      assert_true(m_jv_is_real(m_jv_get(v, "num")));
    } else {
      assert_int_equal(rc, MISTRAL_E_NOMEM);
      assert_null(v);
      assert_true(ar.failed);
      assert_string_equal(e.msg, "out of memory");
    }
    m_arena_release(&ar);
    assert_int_equal(live, 0);
  }
  assert_true(succeeded);
  /* The compact copy and string copy report failure through the arena. */
  m_arena ar;
  m_arena_init(&ar, &fa);
  fail_after = 1000;
  n = (size_t)sprintf(doc, "{\"a\": \"");
  memset(doc + n, 'y', 10000);
  n += 10000;
  n += (size_t)sprintf(doc + n, "\"}");
  const m_jv *v;
  assert_int_equal(m_jv_parse(&v, &ar, doc, n, NULL), MISTRAL_OK);
  fail_after = 0;
  assert_null(m_jv_arena_compact(&ar, m_jv_get(v, "a"), NULL));
  assert_true(ar.failed);
  m_arena_release(&ar);
  free(doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accepts_valid_texts),
      cmocka_unit_test(rejects_invalid_texts),
      cmocka_unit_test(error_offsets),
      cmocka_unit_test(decodes_every_escape),
      cmocka_unit_test(numbers),
      cmocka_unit_test(random_reals_match_strtod),
      cmocka_unit_test(reals_under_a_comma_locale),
      cmocka_unit_test(nesting_limit),
      cmocka_unit_test(objects_and_duplicate_keys),
      cmocka_unit_test(spans),
      cmocka_unit_test(compact_copies),
      cmocka_unit_test(allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
