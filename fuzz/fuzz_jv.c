/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for jv, the read-only JSON parser (lib/json/jv.h).
 *
 * The input is the JSON text, parsed with and without M_JV_ALLOW_NUL.
 * Checks, any failure aborting:
 *  - the verdict is jansson's (json_loadb, JSON_DECODE_ANY, plus
 *    JSON_ALLOW_NUL when jv allows NUL), except for the documented
 *    differences: jv accepts integers beyond int64 (jansson: numeric
 *    overflow) and, allowing NUL, U+0000 in keys; it rejects nesting deeper
 *    than 512 (jansson allows 2048) and a NUL byte that jansson skips after
 *    a number;
 *  - accepted: the tree equals jansson's value (same types; integers,
 *    strings and reals bit for bit; an object's distinct keys are
 *    jansson's keys and m_jv_get() returns the value jansson kept);
 *  - rejected: MISTRAL_E_BAD_RESPONSE, an offset within the text, a token
 *    start at or before it, a message;
 *  - the strtod-only number path gives the same tree;
 *  - every span lies inside its parent's, in order, starts and ends with
 *    the right bytes, and the root's span parses to the same tree;
 *  - the compact copy parses to the same tree and is its own compact copy;
 *  - with the allocator failing after k allocations, the parse gives
 *    MISTRAL_OK or MISTRAL_E_NOMEM and leaks nothing.
 *
 *   fuzz_jv -max_total_time=60 fuzz/corpus/jv
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jv.h"
#include "mistral/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      fprintf(stderr, "fuzz_jv: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);       \
      abort();                                                                                 \
    }                                                                                          \
  } while (0)

/* jv tree == jansson value. */
static void same_as_jansson(const m_jv *v, const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_NULL: CHECK(m_jv_is_null(v)); break;
  case JSON_TRUE: CHECK(m_jv_is_true(v)); break;
  case JSON_FALSE: CHECK(m_jv_is_false(v)); break;
  case JSON_INTEGER:
    CHECK(m_jv_is_int(v));
    CHECK(m_jv_int(v) == (int64_t)json_integer_value(j));
    break;
  case JSON_REAL: {
    CHECK(m_jv_is_real(v));
    double a = m_jv_number(v), b = json_real_value(j);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    break;
  }
  case JSON_STRING: {
    size_t len;
    const char *s = m_jv_string(v, &len);
    CHECK(s != NULL && len == json_string_length(j));
    CHECK(memcmp(s, json_string_value(j), len) == 0 && s[len] == '\0');
    break;
  }
  case JSON_ARRAY:
    CHECK(m_jv_is_array(v) && m_jv_len(v) == json_array_size(j));
    for (size_t i = 0; i < m_jv_len(v); i++)
      same_as_jansson(m_jv_at(v, i), json_array_get(j, i));
    break;
  case JSON_OBJECT: {
    CHECK(m_jv_is_object(v));
    /* Distinct keys: jansson keeps one member per key, the last. */
    size_t distinct = 0;
    for (size_t i = 0; i < m_jv_len(v); i++) {
      size_t len;
      const char *k = m_jv_key_at(v, i, &len);
      if (m_jv_getn(v, k, len) == m_jv_value_at(v, i)) distinct++;
    }
    CHECK(distinct == json_object_size(j));
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)j, key, val) {
      const m_jv *mine = m_jv_get(v, key);
      CHECK(mine != NULL);
      same_as_jansson(mine, val);
    }
    break;
  }
  }
}

/* Two jv trees hold the same values (spans aside). */
static void same_tree(const m_jv *a, const m_jv *b) {
  CHECK(a->type == b->type && a->n == b->n);
  switch ((m_jv_type)a->type) {
  case M_JV_NULL:
  case M_JV_TRUE:
  case M_JV_FALSE: break;
  case M_JV_INT: CHECK(a->u.i == b->u.i); break;
  case M_JV_REAL: CHECK(memcmp(&a->u.d, &b->u.d, sizeof a->u.d) == 0); break;
  case M_JV_STRING: CHECK(memcmp(a->u.s, b->u.s, a->n + 1) == 0); break;
  case M_JV_ARRAY:
    for (size_t i = 0; i < a->n; i++) same_tree(&a->u.items[i], &b->u.items[i]);
    break;
  case M_JV_OBJECT:
    for (size_t i = 0; i < 2 * (size_t)a->n; i++) same_tree(&a->u.items[i], &b->u.items[i]);
    break;
  }
}

/* Spans: inside [lo, hi), the right first and last bytes, children in
 * order inside their parent. */
static void check_spans(const m_jv *v, const char *lo, const char *hi) {
  size_t len;
  const char *s = m_jv_span(v, &len);
  CHECK(s >= lo && len > 0 && len <= (size_t)(hi - s));
  char first = s[0], last = s[len - 1];
  switch ((m_jv_type)v->type) {
  case M_JV_NULL: CHECK(len == 4 && memcmp(s, "null", 4) == 0); break;
  case M_JV_TRUE: CHECK(len == 4 && memcmp(s, "true", 4) == 0); break;
  case M_JV_FALSE: CHECK(len == 5 && memcmp(s, "false", 5) == 0); break;
  case M_JV_INT:
  case M_JV_REAL: CHECK((first == '-' || (first >= '0' && first <= '9')) && last >= '0' &&
                        last <= '9');
    break;
  case M_JV_STRING: CHECK(len >= 2 && first == '"' && last == '"'); break;
  case M_JV_ARRAY:
  case M_JV_OBJECT: {
    CHECK(first == (v->type == M_JV_ARRAY ? '[' : '{'));
    CHECK(last == (v->type == M_JV_ARRAY ? ']' : '}'));
    size_t n = v->type == M_JV_ARRAY ? v->n : 2 * (size_t)v->n;
    const char *at = s + 1;
    for (size_t i = 0; i < n; i++) {
      const m_jv *c = &v->u.items[i];
      if (v->type == M_JV_OBJECT && i % 2 == 0) CHECK(c->type == M_JV_STRING);
      check_spans(c, at, s + len - 1);
      at = c->src + c->src_len;
    }
    break;
  }
  }
}

/* Counting, failing allocator. */
static long fail_after, live;
static void *f_malloc(size_t n, void *ud) {
  (void)ud;
  if (fail_after-- <= 0) return NULL;
  void *p = malloc(n);
  if (p) live++;
  return p;
}
static void *f_realloc(void *p, size_t n, void *ud) {
  (void)ud;
  if (fail_after-- <= 0) return NULL;
  void *q = realloc(p, n);
  if (q && !p) live++;
  return q;
}
static void f_free(void *p, void *ud) {
  (void)ud;
  if (p) live--;
  free(p);
}

/* One parse with these flags against jansson with its matching flags;
 * returns jv's status. */
static int check(const char *text, size_t size, unsigned flags) {
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  const m_jv *root;
  m_jv_error err;
  int rc = m_jv_parse_flags(&root, &ar, text, size, flags, &err);

  size_t jflags = JSON_DECODE_ANY | (flags & M_JV_ALLOW_NUL ? JSON_ALLOW_NUL : 0);
  json_error_t je;
  json_t *j = json_loadb(text, size, jflags, &je);

  if (rc == MISTRAL_OK) {
    CHECK(root != NULL);
    if (j) {
      same_as_jansson(root, j);
    } else {
      /* Documented: jansson refuses integers beyond int64, and U+0000 in a
       * key even with JSON_ALLOW_NUL. */
      CHECK(json_error_code(&je) == json_error_numeric_overflow ||
            json_error_code(&je) == json_error_null_byte_in_key);
    }
    const m_jv *slow;
    CHECK(m_jv_parse_flags(&slow, &ar, text, size, flags | M_JV_STRTOD, NULL) == MISTRAL_OK);
    same_tree(root, slow);

    check_spans(root, text, text + size);
    const m_jv *again;
    size_t span_len;
    const char *span = m_jv_span(root, &span_len);
    CHECK(m_jv_parse_flags(&again, &ar, span, span_len, flags, NULL) == MISTRAL_OK);
    same_tree(root, again);

    size_t clen, clen2;
    char *compact = m_jv_arena_compact(&ar, root, &clen);
    CHECK(compact != NULL && compact[clen] == '\0' && clen <= span_len);
    const m_jv *c;
    CHECK(m_jv_parse_flags(&c, &ar, compact, clen, flags, NULL) == MISTRAL_OK);
    same_tree(root, c);
    CHECK(c->src_len == clen);
    char *compact2 = m_jv_arena_compact(&ar, c, &clen2);
    CHECK(compact2 != NULL && clen2 == clen && memcmp(compact, compact2, clen) == 0);
  } else {
    CHECK(rc == MISTRAL_E_BAD_RESPONSE && root == NULL);
    CHECK(err.msg != NULL && err.offset <= size && err.token <= err.offset);
    if (j) {
      /* Documented: jv's depth limit is 512 (jansson's 2048), and jansson
       * skips a NUL byte after a number. */
      CHECK(strcmp(err.msg, "nesting too deep") == 0 || memchr(text, 0, size) != NULL);
    }
  }
  json_decref(j);
  m_arena_release(&ar);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* An exactly-sized copy: ASan sees any read past the end. */
  char *text = malloc(size ? size : 1);
  CHECK(text != NULL);
  if (size) memcpy(text, data, size);

  int rc = check(text, size, 0);
  int rc_nul = check(text, size, M_JV_ALLOW_NUL);
  CHECK(rc != MISTRAL_OK || rc_nul == MISTRAL_OK);

  /* Allocation failures at a point the input picks. */
  mistral_allocator fa = {f_malloc, f_realloc, f_free, NULL};
  m_arena ar;
  m_arena_init(&ar, &fa);
  live = 0;
  fail_after = size ? data[0] % 8 : 0;
  const m_jv *root;
  int frc = m_jv_parse(&root, &ar, text, size, NULL);
  CHECK(frc == rc || (frc == MISTRAL_E_NOMEM && ar.failed));
  m_arena_release(&ar);
  CHECK(live == 0);

  free(text);
  return 0;
}
