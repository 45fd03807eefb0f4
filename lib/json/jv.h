/* SPDX-License-Identifier: Apache-2.0 */
/* jv: a strict, read-only JSON parser for decoding API responses. One call
 * turns JSON text (RFC 8259, UTF-8) into a tree of m_jv values allocated in
 * an m_arena; nothing is freed but the arena. jansson stays for building
 * request bodies and for checking caller JSON text.
 *
 * What it accepts: exactly RFC 8259 JSON text, any value at the top
 * (surrounding whitespace allowed), with these limits and choices:
 *  - nesting deeper than M_JV_MAX_DEPTH arrays/objects is an error;
 *  - invalid UTF-8 anywhere, raw control characters in strings, bad escapes,
 *    \u escapes of lone surrogates, leading zeros, NaN/Infinity, trailing
 *    text: errors;
 *  - a number is an integer (M_JV_INT, int64) when its literal has no
 *    fraction and no exponent and fits int64; otherwise a real (double,
 *    correctly rounded). A real whose magnitude overflows a double (1e400)
 *    is an error; one that underflows becomes 0 or a subnormal;
 *  - \u0000 is an error unless the M_JV_ALLOW_NUL flag is given (strings
 *    are NUL-terminated and carry their length);
 *  - documents are limited to 4 GiB - 1 bytes (lengths are 32-bit).
 * Where jansson (json_loadb with JSON_DECODE_ANY) decides otherwise: jansson
 * rejects integers beyond int64 (and, with JSON_ALLOW_NUL, \u0000 in keys),
 * allows nesting to 2048, and skips a NUL byte that follows a number.
 *
 * Objects keep their members in source order, duplicates included;
 * m_jv_get() returns the LAST member with the key, as jansson does (it keeps
 * the last), so values read through jv agree with any jansson parse of the
 * same text (the stream accumulator re-reads chunk JSON with jansson).
 *
 * Every value records its source span: a pointer into the parsed text and a
 * length, valid as long as that text is. Strings are decoded into the arena
 * (valid as long as the arena).
 *
 * Thread-safety: a tree is immutable; parse calls share nothing. */
#ifndef MISTRAL_JSON_JV_H
#define MISTRAL_JSON_JV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

#define M_JV_MAX_DEPTH 512

typedef enum m_jv_type {
  M_JV_NULL = 0,
  M_JV_FALSE,
  M_JV_TRUE,
  M_JV_INT,
  M_JV_REAL,
  M_JV_STRING,
  M_JV_ARRAY,
  M_JV_OBJECT
} m_jv_type;

/* One value. Read it through the functions below; the layout is here only
 * so that they can be inline. An object of n members has 2n items: key
 * (a string value), value, key, value... */
typedef struct m_jv {
  const char *src;  /* span: the value's text inside the parsed text */
  uint32_t src_len;
  uint32_t n;       /* string: decoded bytes; array: items; object: members */
  union {
    int64_t i;
    double d;
    const char *s; /* NUL-terminated, in the arena */
    const struct m_jv *items;
  } u;
  unsigned char type; /* m_jv_type */
} m_jv;

/* Where and why a parse failed: offset is the byte at which the text stops
 * being valid JSON (len for a premature end); token (<= offset) where the
 * token holding that byte starts (a string's opening quote, a number's
 * first byte; offset itself between tokens); msg is static English text. */
typedef struct m_jv_error {
  size_t offset;
  size_t token;
  const char *msg;
} m_jv_error;

/* m_jv_parse_flags() flags. */
enum {
  /* Accept \u0000 in strings and keys (they are NUL-terminated and carry
   * their length, so the text is not lost). Without it \u0000 is an error,
   * as in jansson: the decoders hand out C strings, which U+0000 would cut. */
  M_JV_ALLOW_NUL = 1u << 0,
  /* Convert every real with strtod instead of the exact fast path (for
   * tests and benchmarks: results are identical). */
  M_JV_STRTOD = 1u << 1
};

/* Parses text[0..len) into a tree in ar. *out gets the root on success,
 * NULL otherwise. err (may be NULL) is filled on failure.
 * MISTRAL_OK; MISTRAL_E_BAD_RESPONSE (not valid JSON, too deep, too big);
 * MISTRAL_E_NOMEM (an arena allocation failed: ar->failed is then set). */
int m_jv_parse(const m_jv **out, m_arena *ar, const char *text, size_t len, m_jv_error *err);
int m_jv_parse_flags(const m_jv **out, m_arena *ar, const char *text, size_t len,
                     unsigned flags, m_jv_error *err);

/* Predicates: all take NULL (an absent value) and answer false. */
static inline bool m_jv_is(const m_jv *v, m_jv_type t) { return v && v->type == t; }
static inline bool m_jv_is_null(const m_jv *v) { return m_jv_is(v, M_JV_NULL); }
static inline bool m_jv_is_true(const m_jv *v) { return m_jv_is(v, M_JV_TRUE); }
static inline bool m_jv_is_false(const m_jv *v) { return m_jv_is(v, M_JV_FALSE); }
static inline bool m_jv_is_bool(const m_jv *v) {
  return v && (v->type == M_JV_TRUE || v->type == M_JV_FALSE);
}
static inline bool m_jv_is_int(const m_jv *v) { return m_jv_is(v, M_JV_INT); }
static inline bool m_jv_is_real(const m_jv *v) { return m_jv_is(v, M_JV_REAL); }
static inline bool m_jv_is_number(const m_jv *v) {
  return v && (v->type == M_JV_INT || v->type == M_JV_REAL);
}
static inline bool m_jv_is_string(const m_jv *v) { return m_jv_is(v, M_JV_STRING); }
static inline bool m_jv_is_array(const m_jv *v) { return m_jv_is(v, M_JV_ARRAY); }
static inline bool m_jv_is_object(const m_jv *v) { return m_jv_is(v, M_JV_OBJECT); }

/* Items of an array, members of an object, bytes of a string; 0 otherwise. */
static inline size_t m_jv_len(const m_jv *v) {
  return v && v->type >= M_JV_STRING ? v->n : 0;
}

/* The i-th item of an array; NULL when v is not an array or i too big. */
static inline const m_jv *m_jv_at(const m_jv *arr, size_t i) {
  return m_jv_is_array(arr) && i < arr->n ? &arr->u.items[i] : NULL;
}

/* The i-th member of an object: its key (NUL-terminated, length in *len
 * when len is not NULL) and its value; NULL when out of range. */
static inline const char *m_jv_key_at(const m_jv *obj, size_t i, size_t *len) {
  if (!m_jv_is_object(obj) || i >= obj->n) return NULL;
  if (len) *len = obj->u.items[2 * i].n;
  return obj->u.items[2 * i].u.s;
}
static inline const m_jv *m_jv_value_at(const m_jv *obj, size_t i) {
  return m_jv_is_object(obj) && i < obj->n ? &obj->u.items[2 * i + 1] : NULL;
}

/* The value of the last member named key (a NUL-terminated key, or len
 * bytes); NULL when absent or obj is not an object. */
const m_jv *m_jv_get(const m_jv *obj, const char *key);
const m_jv *m_jv_getn(const m_jv *obj, const char *key, size_t len);

/* A string's decoded bytes, NUL-terminated, in the arena (*len, when len is
 * not NULL, gets the length: the string may hold U+0000). NULL when v is not
 * a string. */
static inline const char *m_jv_string(const m_jv *v, size_t *len) {
  if (!m_jv_is_string(v)) return NULL;
  if (len) *len = v->n;
  return v->u.s;
}

/* An integer's value; 0 when v is not an integer (reals included). */
static inline int64_t m_jv_int(const m_jv *v) { return m_jv_is_int(v) ? v->u.i : 0; }

/* A number's value as a double (integers converted); 0 otherwise. */
static inline double m_jv_number(const m_jv *v) {
  return m_jv_is_int(v) ? (double)v->u.i : m_jv_is_real(v) ? v->u.d : 0.0;
}

/* The value's source text; NULL for NULL. */
static inline const char *m_jv_span(const m_jv *v, size_t *len) {
  if (!v) return NULL;
  if (len) *len = v->src_len;
  return v->src;
}

/* Copies of a string value into ar (NULL when v is not a string, or on
 * failure: ar->failed tells). */
char *m_jv_arena_str(m_arena *ar, const m_jv *v);

/* The value as compact JSON text in ar: its source span with the whitespace
 * between tokens removed (strings and numbers are kept as written). NULL
 * when v is NULL, or on failure (ar->failed set). *len may be NULL. */
char *m_jv_arena_compact(m_arena *ar, const m_jv *v, size_t *len);

/* The compacting step alone: copies n bytes of valid JSON text from src to
 * dst (room for n bytes) without the whitespace outside strings; returns the
 * bytes written. No NUL is added. */
size_t m_jv_compact(char *dst, const char *src, size_t n);

#endif
