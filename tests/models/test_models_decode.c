/* SPDX-License-Identifier: Apache-2.0 */
/* White-box tests of the models area: the decoders with an allocator that
 * fails the Nth allocation (every N, every kind of body: each failure is
 * MISTRAL_E_NOMEM, leaks nothing, and the next N succeeds eventually),
 * RFC 3339 dates, and the percent-encoding helper (lib/http/url.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/models_decode.h"
#include "core/buf.h"
#include "http/url.h"
#include "test_util.h"

/* ---- an allocator that fails the Nth allocation ---- */

typedef struct fail_state {
  long countdown; /* allocations left before the failure; < 0: never fail */
  long allocations;
  long live;
} fail_state;

static void *f_malloc(size_t n, void *ud) {
  fail_state *s = ud;
  if (s->countdown == 0) return NULL;
  if (s->countdown > 0) s->countdown--;
  void *p = malloc(n);
  if (p) {
    s->allocations++;
    s->live++;
  }
  return p;
}

static void *f_realloc(void *ptr, size_t n, void *ud) {
  fail_state *s = ud;
  if (!ptr) return f_malloc(n, ud);
  if (s->countdown == 0) return NULL;
  if (s->countdown > 0) s->countdown--;
  return realloc(ptr, n);
}

static void f_free(void *ptr, void *ud) {
  fail_state *s = ud;
  if (ptr) s->live--;
  free(ptr);
}

static void free_decoded(m_models_kind kind, void *out) {
  switch (kind) {
  case M_MODELS_LIST: mistral_model_list_free(out); break;
  case M_MODELS_CARD:
  case M_MODELS_FT_CARD: mistral_model_card_free(out); break;
  default: mistral_model_result_free(out); break;
  }
}

/* Decodes the fixture's body with the Nth allocation failing, for every N
 * until it succeeds. */
static void decode_under_failures(const char *rel, m_models_kind kind) {
  size_t len;
  char *body = tu_fixture_body(rel, &len);
  fail_state st = {-1, 0, 0};
  mistral_allocator a = {f_malloc, f_realloc, f_free, &st};
  mistral_error *err = mistral_error_new();
  assert_non_null(err);

  /* Unconstrained first: how many allocations a success takes. */
  void *out = NULL;
  assert_int_equal(m_models_decode(&out, kind, &a, body, len, NULL, err), MISTRAL_OK);
  assert_non_null(out);
  free_decoded(kind, out);
  assert_int_equal(st.live, 0);
  long needed = st.allocations;
  assert_true(needed > 0);

  int succeeded = 0;
  for (long n = 0; n <= needed && !succeeded; n++) {
    st.countdown = n;
    st.allocations = 0;
    out = (void *)1;
    int rc = m_models_decode(&out, kind, &a, body, len, NULL, err);
    if (rc == MISTRAL_OK) {
      assert_non_null(out);
      free_decoded(kind, out);
      succeeded = 1;
    } else {
      if (rc != MISTRAL_E_NOMEM)
        fail_msg("%s: failing allocation %ld gave %d (%s)", rel, n, rc,
                 mistral_error_message(err));
      assert_null(out);
      assert_int_equal(mistral_error_code(err), MISTRAL_E_NOMEM);
    }
    assert_int_equal(st.live, 0);
  }
  assert_true(succeeded);
  mistral_error_free(err);
  free(body);
}

static void test_decode_oom_every_allocation(void **state) {
  (void)state;
  decode_under_failures("models/list.fixture", M_MODELS_LIST);
  decode_under_failures("models/list-newer.fixture", M_MODELS_LIST);
  decode_under_failures("models/list-empty.fixture", M_MODELS_LIST);
  decode_under_failures("models/retrieve-ft.fixture", M_MODELS_CARD);
  decode_under_failures("models/update-classifier.fixture", M_MODELS_FT_CARD);
  decode_under_failures("models/delete.fixture", M_MODELS_DELETED);
  decode_under_failures("models/archive.fixture", M_MODELS_ARCHIVED);
  decode_under_failures("models/unarchive.fixture", M_MODELS_UNARCHIVED);
}

/* A card alone, without a response: no request id; the same tree as the
 * public tests see. */
static void test_decode_direct(void **state) {
  (void)state;
  static const char body[] = " {\"id\" : \"m\", \"aliases\": [ \"a\" ] } ";
  void *out = NULL;
  mistral_error *err = mistral_error_new();
  assert_int_equal(m_models_decode(&out, M_MODELS_FT_CARD, &mistral_default_allocator, body,
                                   sizeof body - 1, NULL, err),
                   MISTRAL_OK);
  mistral_model_card *c = out;
  assert_string_equal(c->id, "m");
  assert_int_equal(c->type, MISTRAL_MODEL_TYPE_FINE_TUNED);
  assert_string_equal(c->json, "{\"id\":\"m\",\"aliases\":[\"a\"]}");
  assert_null(c->request_id);
  mistral_model_card_free(c);
  /* A NUL inside the body is invalid JSON, and so is \u0000. */
  static const char nul[] = "{\"id\":\"m\"}\0";
  assert_int_equal(m_models_decode(&out, M_MODELS_CARD, &mistral_default_allocator, nul,
                                   sizeof nul - 1, NULL, err),
                   MISTRAL_E_BAD_RESPONSE);
  assert_null(out);
  static const char esc[] = "{\"id\":\"m\\u0000x\"}";
  assert_int_equal(m_models_decode(&out, M_MODELS_CARD, &mistral_default_allocator, esc,
                                   sizeof esc - 1, NULL, err),
                   MISTRAL_E_BAD_RESPONSE);
  assert_null(out);
  assert_int_equal(m_models_decode(&out, M_MODELS_LIST, &mistral_default_allocator, NULL, 0,
                                   NULL, err),
                   MISTRAL_E_BAD_RESPONSE);
  assert_string_equal(mistral_error_message(err), "malformed models response: empty body");
  mistral_error_free(err);
}

/* ---- dates ---- */

static void test_rfc3339(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int64_t unix_time;
  } good[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2025-11-30T12:00:00Z", 1764504000},
      {"2025-11-30t12:00:00z", 1764504000},
      {"2025-11-30T12:00:00.123456Z", 1764504000},
      {"2026-07-01T09:30:15.250+02:00", 1782891015},
      {"2025-11-30T07:00:00-05:00", 1764504000},
      {"2024-02-29T23:59:59Z", 1709251199},
      {"2000-02-29T00:00:00Z", 951782400},
      {"1969-12-31T23:59:59Z", -1},
      {"2016-12-31T23:59:60Z", 1483228800}, /* a leap second */
      {"9999-12-31T23:59:59Z", 253402300799},
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    int64_t t = 42;
    if (m_rfc3339_to_unix(good[i].text, &t) != 0) fail_msg("refused %s", good[i].text);
    if (t != good[i].unix_time)
      fail_msg("%s: %lld, want %lld", good[i].text, (long long)t, (long long)good[i].unix_time);
  }
  static const char *const bad[] = {
      NULL,
      "",
      "2025-11-30",
      "2025-11-30T12:00:00",        /* no offset */
      "2025-11-30 12:00:00Z",       /* space */
      "2025-13-01T00:00:00Z",       /* month 13 */
      "2025-00-01T00:00:00Z",
      "2025-02-29T00:00:00Z",       /* not a leap year */
      "1900-02-29T00:00:00Z",       /* nor is 1900 */
      "2025-04-31T00:00:00Z",
      "2025-11-00T00:00:00Z",
      "2025-11-30T24:00:00Z",
      "2025-11-30T12:60:00Z",
      "2025-11-30T12:00:61Z",
      "2025-11-30T12:00:00.Z",      /* empty fraction */
      "2025-11-30T12:00:00+0200",   /* offset without ':' */
      "2025-11-30T12:00:00+24:00",
      "2025-11-30T12:00:00+02:60",
      "2025-11-30T12:00:00Zjunk",
      "2025-11-30T12:00:00+02:00x",
      "+2025-11-30T12:00:00Z",
      "2025-1a-30T12:00:00Z",
      "next spring, maybe later",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int64_t t = 42;
    if (m_rfc3339_to_unix(bad[i], &t) == 0) fail_msg("accepted %s", bad[i]);
    assert_int_equal(t, 42);
  }
}

/* ---- percent-encoding ---- */

static void assert_escaped(const char *in, size_t len, const char *want) {
  m_buf b;
  m_buf_init(&b, &mistral_default_allocator);
  assert_int_equal(m_buf_append_str(&b, "/x/"), MISTRAL_OK);
  assert_int_equal(m_url_append_segment(&b, in, len, "id", NULL), MISTRAL_OK);
  assert_string_equal(m_buf_str(&b) + 3, want);
  m_buf_free(&b);
}

static void test_url_escaping(void **state) {
  (void)state;
  assert_escaped("mistral-small-latest", 20, "mistral-small-latest");
  assert_escaped("AZaz09-._~", 10, "AZaz09-._~");
  assert_escaped("ft:open-mistral-7b:587a6b29:20240514:7e773925", 45,
                 "ft%3Aopen-mistral-7b%3A587a6b29%3A20240514%3A7e773925");
  assert_escaped("a/b c?d#e%f&g=h+i", 17, "a%2Fb%20c%3Fd%23e%25f%26g%3Dh%2Bi");
  assert_escaped("caf\xc3\xa9", 5, "caf%C3%A9");
  assert_escaped("\t\x7f", 2, "%09%7F");
  assert_escaped("...", 3, "...");
  assert_escaped("a..", 3, "a..");
  assert_escaped("%2F", 3, "%252F"); /* no double meaning: '%' itself is encoded */
  /* Only len bytes are read. */
  assert_escaped("abcdef", 3, "abc");

  mistral_error *err = mistral_error_new();
  m_buf b;
  m_buf_init(&b, &mistral_default_allocator);
  assert_int_equal(m_buf_append_str(&b, "/v1/"), MISTRAL_OK);
  static const struct {
    const char *s;
    size_t len;
    const char *msg;
  } refused[] = {
      {"", 0, "id: must not be empty"},
      {".", 1, "id: \".\" is not a valid path segment"},
      {"..", 2, "id: \"..\" is not a valid path segment"},
      {"a\rb", 3, "id: contains a CR"},
      {"a\nb", 3, "id: contains an LF"},
      {"a\0b", 3, "id: contains a NUL byte"},
      {"ab\0", 3, "id: contains a NUL byte"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    assert_int_equal(m_url_append_segment(&b, refused[i].s, refused[i].len, "id", err),
                     MISTRAL_E_INVALID_ARG);
    assert_string_equal(mistral_error_message(err), refused[i].msg);
    assert_string_equal(m_buf_str(&b), "/v1/"); /* unchanged */
  }
  /* As a query value, empty is fine and dots are plain text. */
  assert_int_equal(m_url_append_escaped(&b, "", 0, "q", err), MISTRAL_OK);
  assert_int_equal(m_url_append_escaped(&b, "..", 2, "q", err), MISTRAL_OK);
  assert_string_equal(m_buf_str(&b), "/v1/..");
  assert_int_equal(m_url_append_escaped(&b, "x\n", 2, "q", err), MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "q: contains an LF");
  m_buf_free(&b);
  mistral_error_free(err);
}

/* The helper's own allocation failing. */
static void test_url_escaping_oom(void **state) {
  (void)state;
  fail_state st = {0, 0, 0};
  mistral_allocator a = {f_malloc, f_realloc, f_free, &st};
  m_buf b;
  m_buf_init(&b, &a);
  mistral_error *err = mistral_error_new();
  assert_int_equal(m_url_append_segment(&b, "ft:x", 4, "id", err), MISTRAL_E_NOMEM);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_NOMEM);
  st.countdown = -1;
  assert_int_equal(m_url_append_segment(&b, "ft:x", 4, "id", err), MISTRAL_OK);
  assert_string_equal(m_buf_str(&b), "ft%3Ax");
  m_buf_free(&b);
  assert_int_equal(st.live, 0);
  mistral_error_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode_oom_every_allocation),
      cmocka_unit_test(test_decode_direct),
      cmocka_unit_test(test_rfc3339),
      cmocka_unit_test(test_url_escaping),
      cmocka_unit_test(test_url_escaping_oom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
