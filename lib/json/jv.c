/* SPDX-License-Identifier: Apache-2.0 */
/* jv: see jv.h. The parser is iterative: open containers live on a scratch
 * stack of values (their children are pushed above them), so nesting costs
 * no C stack. When a container closes, its children are copied into the
 * arena as one array and the container takes their place on the stack as a
 * finished value of its parent. */
#include "json/jv.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "core/utf8.h"
#include "json/strtod.h"
#include "mistral/common.h"

typedef const unsigned char *ptr;

/* Values on the C stack before the scratch stack moves to the heap: enough
 * for a typical stream chunk (about 25 values). */
enum { LOCAL_STACK = 48 };

/* While a container is open, its placeholder's u.i holds the index of the
 * enclosing container's placeholder (NO_FRAME at the top). */
#define NO_FRAME INT64_C(-1)

typedef struct parser {
  ptr begin, end;
  m_arena *ar;
  m_jv *stack; /* scratch: open containers and their children so far */
  size_t top, cap;
  unsigned flags;
  int code;     /* MISTRAL_OK until the first failure */
  ptr err_at, err_tok;
  const char *err_msg;
} parser;

/* Records the first failure: at, the byte that cannot be JSON; tok, the
 * start of the token it belongs to. */
static ptr fail_in(parser *P, ptr tok, ptr at, const char *msg) {
  if (P->code == MISTRAL_OK) {
    P->code = MISTRAL_E_BAD_RESPONSE;
    P->err_tok = tok;
    P->err_at = at;
    P->err_msg = msg;
  }
  return NULL;
}

static ptr fail(parser *P, ptr at, const char *msg) { return fail_in(P, at, at, msg); }

/* fail() for the parse loop, which answers 1 (go on) or 0 (failed). */
static int stop(parser *P, ptr at, const char *msg) {
  fail(P, at, msg);
  return 0;
}

static ptr oom(parser *P, ptr at) {
  P->ar->failed = 1;
  P->code = MISTRAL_E_NOMEM;
  P->err_at = P->err_tok = at;
  P->err_msg = "out of memory";
  return NULL;
}

static inline ptr skip_ws(ptr p, ptr end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  return p;
}

static inline int is_digit(unsigned c) { return c - '0' < 10u; }

/* A free slot on the scratch stack, or NULL (out of memory). */
static m_jv *slot(parser *P, m_jv *local, ptr at) {
  if (P->top == P->cap) {
    size_t cap = P->cap * 2;
    m_jv *s = NULL;
    if (cap <= SIZE_MAX / sizeof *s) {
      if (P->stack == local) {
        s = m_malloc(&P->ar->alloc, cap * sizeof *s);
        if (s) memcpy(s, local, P->top * sizeof *s);
      } else {
        s = m_realloc(&P->ar->alloc, P->stack, cap * sizeof *s);
      }
    }
    if (!s) {
      oom(P, at);
      return NULL;
    }
    P->stack = s;
    P->cap = cap;
  }
  return &P->stack[P->top++];
}

/* ---- strings ---- */

/* Bytes that end a plain run inside a string: '"', '\\', controls, and
 * non-ASCII (checked as UTF-8). */
static const unsigned char str_stop[256] = {
#define R16(b)                                                                                 \
  [b] = 1, [b + 1] = 1, [b + 2] = 1, [b + 3] = 1, [b + 4] = 1, [b + 5] = 1, [b + 6] = 1,       \
  [b + 7] = 1, [b + 8] = 1, [b + 9] = 1, [b + 10] = 1, [b + 11] = 1, [b + 12] = 1,             \
  [b + 13] = 1, [b + 14] = 1, [b + 15] = 1
    R16(0x00), R16(0x10), ['"'] = 1,  ['\\'] = 1, R16(0x80), R16(0x90),
    R16(0xA0), R16(0xB0), R16(0xC0),  R16(0xD0),    R16(0xE0), R16(0xF0),
#undef R16
};

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Non-zero when any of the 8 bytes in x would stop a plain run. */
static inline uint64_t stops8(uint64_t x) {
  uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
  return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x) | x) & HIGHS;
}

/* Length of the valid UTF-8 sequence at s (lead byte >= 0x80), 0 if none:
 * no overlongs, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(ptr s, ptr end) {
  unsigned c = s[0], lo = 0x80, hi = 0xBF;
  size_t len;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if ((size_t)(end - s) < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t k = 2; k < len; k++)
    if ((s[k] & 0xC0) != 0x80) return 0;
  return len;
}

static int hex4(ptr p, ptr end, unsigned *out) {
  if (end - p < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i], d;
    if (c - '0' < 10u) d = c - '0';
    else if ((c | 0x20) - 'a' < 6u) d = (c | 0x20) - 'a' + 10;
    else return -1;
    v = v << 4 | d;
  }
  *out = v;
  return 0;
}

static size_t bad_escape(parser *P, ptr tok, ptr at, const char *msg) {
  fail_in(P, tok, at, msg);
  return (size_t)-1;
}

/* Decodes the escapes of the string body [q, close) into w; returns the
 * bytes written, or (size_t)-1 after fail(). Decoded text is never longer
 * than its source. */
static size_t unescape(parser *P, ptr q, ptr close, char *w) {
  ptr tok = q - 1; /* the opening quote */
  char *w0 = w;
  while (q < close) {
    ptr bs = memchr(q, '\\', (size_t)(close - q));
    if (!bs) bs = close;
    memcpy(w, q, (size_t)(bs - q));
    w += bs - q;
    if (bs == close) break;
    /* The scan guaranteed a byte after every backslash before close. */
    unsigned cp;
    q = bs + 2;
    switch (bs[1]) {
    case '"': *w++ = '"'; break;
    case '\\': *w++ = '\\'; break;
    case '/': *w++ = '/'; break;
    case 'b': *w++ = '\b'; break;
    case 'f': *w++ = '\f'; break;
    case 'n': *w++ = '\n'; break;
    case 'r': *w++ = '\r'; break;
    case 't': *w++ = '\t'; break;
    case 'u':
      if (hex4(q, close, &cp)) return bad_escape(P, tok, bs, "invalid \\u escape");
      q += 4;
      if (cp >= 0xDC00 && cp <= 0xDFFF)
        return bad_escape(P, tok, bs, "invalid \\u escape: lone low surrogate");
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned lo;
        if (close - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, close, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
          return bad_escape(P, tok, bs, "invalid \\u escape: lone high surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        q += 6;
      }
      if (cp == 0 && !(P->flags & M_JV_ALLOW_NUL))
        return bad_escape(P, tok, bs, "\\u0000 in a string");
      w += m_utf8_put(w, cp);
      break;
    default: return bad_escape(P, tok, bs, "invalid escape in string");
    }
  }
  return (size_t)(w - w0);
}

/* The string at p (on its opening quote) into *out; returns the byte after
 * the closing quote, or NULL. */
static ptr parse_string(parser *P, ptr p, m_jv *out) {
  ptr s = p + 1, end = P->end;
  int escapes = 0;
  for (;;) {
    while (end - s >= 8) {
      uint64_t x;
      memcpy(&x, s, 8);
      if (stops8(x)) break;
      s += 8;
    }
    while (s < end && !str_stop[*s]) s++;
    if (s == end) return fail_in(P, p, end, "unterminated string");
    unsigned c = *s;
    if (c == '"') break;
    if (c == '\\') {
      if (end - s < 2) return fail_in(P, p, end, "unterminated string");
      escapes = 1;
      s += 2;
    } else if (c < 0x20) {
      return fail_in(P, p, s, "control character in string");
    } else {
      size_t k = utf8_seq(s, end);
      if (!k) return fail_in(P, p, s, "invalid UTF-8 in string");
      s += k;
    }
  }
  size_t raw = (size_t)(s - p - 1);
  char *d = m_arena_alloc(P->ar, raw + 1);
  if (!d) return oom(P, p);
  size_t n = raw;
  if (!escapes) memcpy(d, p + 1, raw);
  else if ((n = unescape(P, p + 1, s, d)) == (size_t)-1) return NULL;
  d[n] = '\0';
  out->type = M_JV_STRING;
  out->src = (const char *)p;
  out->src_len = (uint32_t)(s + 1 - p);
  out->n = (uint32_t)n;
  out->u.s = d;
  return s + 1;
}

/* ---- numbers ---- */

/* Exact powers of ten as doubles (10^22 is the last one). */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The slow, always-right conversion (json/strtod.h). */
static ptr real_strtod(parser *P, ptr s, size_t n, m_jv *out) {
  switch (m_json_strtod((const char *)s, n, &P->ar->alloc, &out->u.d)) {
  case M_STRTOD_OK: return s + n;
  /* Known only at the end of the literal: point there, the token at its
   * start. */
  case M_STRTOD_RANGE: return fail_in(P, s, s + n - 1, "number out of range");
  case M_STRTOD_INVALID: return fail(P, s, "invalid number");
  default: return oom(P, s);
  }
}

/* Eight digits at once (the load is little-endian: elsewhere, one by one).
 * From fast_float (Lemire et al.). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_DIGITS 1
#else
#define SWAR_DIGITS 0
#endif

static inline int eight_digits(ptr p, ptr end, uint64_t *x) {
  if (!SWAR_DIGITS || end - p < 8) return 0;
  memcpy(x, p, 8);
  return !(((*x + UINT64_C(0x4646464646464646)) | (*x - UINT64_C(0x3030303030303030))) &
           UINT64_C(0x8080808080808080));
}

static inline uint64_t eight_digits_value(uint64_t x) {
  const uint64_t mask = UINT64_C(0x000000FF000000FF);
  const uint64_t mul1 = UINT64_C(0x000F424000000064); /* 100 + (1000000 << 32) */
  const uint64_t mul2 = UINT64_C(0x0000271000000001); /* 1 + (10000 << 32) */
  x -= UINT64_C(0x3030303030303030);
  x = x * 10 + (x >> 8);
  return (((x & mask) * mul1) + (((x >> 16) & mask) * mul2)) >> 32;
}

/* The number at p (a '-' or a digit) into *out. Grammar first, collecting
 * up to 19 significant digits; then an integer when the literal is one and
 * fits int64, else a real: exact when the digits fit 53 bits and the power
 * of ten is exact (one correctly rounded IEEE operation: Clinger's fast
 * path), strtod otherwise. A faster general conversion (Eisel-Lemire) can
 * replace real_strtod without touching the rest. */
static ptr parse_number(parser *P, ptr p, m_jv *out) {
  ptr q = p, end = P->end;
  int neg = *q == '-', is_int = 1, digits = 0, truncated = 0;
  uint64_t m = 0;
  int64_t e10 = 0;
  if (neg) q++;
  if (q == end || !is_digit(*q)) return fail_in(P, p, q, "invalid number");
  if (*q == '0') {
    q++;
    if (q < end && is_digit(*q)) return fail_in(P, p, q, "invalid number: leading zero");
  } else {
    uint64_t x;
    do {
      if (digits <= 11 && eight_digits(q, end, &x)) {
        m = m * 100000000 + eight_digits_value(x);
        digits += 8;
        q += 8;
        continue;
      }
      if (digits < 19) {
        m = m * 10 + (unsigned)(*q - '0');
        digits++;
      } else {
        truncated = 1;
        e10++;
      }
      q++;
    } while (q < end && is_digit(*q));
  }
  if (q < end && *q == '.') {
    is_int = 0;
    q++;
    if (q == end || !is_digit(*q))
      return fail_in(P, p, q, "invalid number: digit expected after '.'");
    uint64_t x;
    do {
      /* Eight at a time; while m is 0, only the digits from the first
       * non-zero one count as significant. */
      if (digits <= 11 && eight_digits(q, end, &x)) {
        uint64_t v = eight_digits_value(x);
        if (m == 0)
          digits += (v >= 1) + (v >= 10) + (v >= 100) + (v >= 1000) + (v >= 10000) +
                    (v >= 100000) + (v >= 1000000) + (v >= 10000000);
        else
          digits += 8;
        m = m * 100000000 + v;
        e10 -= 8;
        q += 8;
        continue;
      }
      unsigned d = (unsigned)(*q - '0');
      if (m == 0 && d == 0) {
        e10--; /* a leading zero of the fraction: not significant */
      } else if (digits < 19) {
        m = m * 10 + d;
        digits++;
        e10--;
      } else {
        truncated = 1;
      }
      q++;
    } while (q < end && is_digit(*q));
  }
  if (q < end && (*q == 'e' || *q == 'E')) {
    is_int = 0;
    q++;
    int eneg = 0;
    if (q < end && (*q == '+' || *q == '-')) eneg = *q++ == '-';
    if (q == end || !is_digit(*q))
      return fail_in(P, p, q, "invalid number: digit expected in exponent");
    int64_t ev = 0;
    do {
      if (ev < 1000000) ev = ev * 10 + (*q - '0'); /* saturates: strtod decides */
      q++;
    } while (q < end && is_digit(*q));
    e10 += eneg ? -ev : ev;
  }
  out->src = (const char *)p;
  out->src_len = (uint32_t)(q - p);
  out->n = 0;
  if (is_int && !truncated) {
    if (!neg && m <= (uint64_t)INT64_MAX) {
      out->type = M_JV_INT;
      out->u.i = (int64_t)m;
      return q;
    }
    if (neg && m <= (uint64_t)INT64_MAX + 1) {
      out->type = M_JV_INT;
      out->u.i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
      return q;
    }
  }
  out->type = M_JV_REAL;
  if (m == 0) { /* every digit was a zero: the exponent does not matter */
    out->u.d = neg ? -0.0 : 0.0;
    return q;
  }
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
  if (!(P->flags & M_JV_STRTOD) && !truncated && m <= UINT64_C(1) << 53 && e10 >= -22 &&
      e10 <= 22) {
    double d = (double)m;
    d = e10 < 0 ? d / pow10_exact[-e10] : d * pow10_exact[e10];
    out->u.d = neg ? -d : d;
    return q;
  }
#endif
  return real_strtod(P, p, (size_t)(q - p), out);
}

/* ---- the parse loop ---- */

static ptr literal(parser *P, ptr p, const char *word, size_t n, m_jv_type t, m_jv *out) {
  if ((size_t)(P->end - p) < n || memcmp(p, word, n) != 0) return fail(P, p, "invalid literal");
  out->type = (unsigned char)t;
  out->src = (const char *)p;
  out->src_len = (uint32_t)n;
  out->n = 0;
  out->u.i = 0;
  return p + n;
}

/* Closes the container whose placeholder is at index frame: its children
 * (everything above it) move into the arena. Returns the parent's index. */
static int64_t close_container(parser *P, size_t frame, ptr after, int *ok) {
  m_jv *c = &P->stack[frame];
  size_t n = P->top - frame - 1;
  int64_t parent = c->u.i;
  m_jv *items = NULL;
  if (n) {
    items = m_arena_alloc(P->ar, n * sizeof *items);
    if (!items) {
      oom(P, after);
      *ok = 0;
      return parent;
    }
    memcpy(items, c + 1, n * sizeof *items);
  }
  c->u.items = items;
  c->n = (uint32_t)(c->type == M_JV_OBJECT ? n / 2 : n);
  c->src_len = (uint32_t)((const char *)after - c->src);
  P->top = frame + 1;
  return parent;
}

static int parse(parser *P, m_jv *local) {
  ptr p = skip_ws(P->begin, P->end), end = P->end;
  int64_t frame = NO_FRAME; /* the innermost open container */
  unsigned depth = 0;
  int ok = 1;
  m_jv *v;

value: /* p: at a value (whitespace skipped) */
  if (p == end) return stop(P, p, "unexpected end of text: a value was expected");
  if (!(v = slot(P, local, p))) return 0;
  switch (*p) {
  case '[':
  case '{':
    if (++depth > M_JV_MAX_DEPTH) return stop(P, p, "nesting too deep");
    v->type = *p == '[' ? M_JV_ARRAY : M_JV_OBJECT;
    v->src = (const char *)p;
    v->u.i = frame;
    frame = (int64_t)(P->top - 1);
    p = skip_ws(p + 1, end);
    if (p < end && *p == (v->type == M_JV_ARRAY ? ']' : '}')) goto close;
    if (v->type == M_JV_OBJECT) goto key;
    goto value;
  case '"': p = parse_string(P, p, v); break;
  case 't': p = literal(P, p, "true", 4, M_JV_TRUE, v); break;
  case 'f': p = literal(P, p, "false", 5, M_JV_FALSE, v); break;
  case 'n': p = literal(P, p, "null", 4, M_JV_NULL, v); break;
  default:
    if (*p == '-' || is_digit(*p)) p = parse_number(P, p, v);
    else p = fail(P, p, "unexpected character: a value was expected");
    break;
  }
  if (!p) return 0;

next: /* after a value: the next member or item, or the end of the container */
  if (frame == NO_FRAME) {
    p = skip_ws(p, end);
    if (p != end) return stop(P, p, "trailing characters after the JSON value");
    return 1;
  }
  p = skip_ws(p, end);
  if (p == end) return stop(P, p, "unexpected end of text in an array or object");
  if (P->stack[frame].type == M_JV_ARRAY) {
    if (*p == ',') {
      p = skip_ws(p + 1, end);
      goto value;
    }
    if (*p == ']') goto close;
    return stop(P, p, "',' or ']' expected");
  }
  if (*p == ',') {
    p = skip_ws(p + 1, end);
    goto key;
  }
  if (*p == '}') goto close;
  return stop(P, p, "',' or '}' expected");

key: /* p: at an object member's key (whitespace skipped) */
  if (p == end || *p != '"') return stop(P, p, "a string (member name) expected");
  if (!(v = slot(P, local, p)) || !(p = parse_string(P, p, v))) return 0;
  p = skip_ws(p, end);
  if (p == end || *p != ':') return stop(P, p, "':' expected after a member name");
  p = skip_ws(p + 1, end);
  goto value;

close: /* p: at the closing bracket of the innermost container */
  p++;
  depth--;
  frame = close_container(P, (size_t)frame, p, &ok);
  if (!ok) return 0;
  goto next;
}

int m_jv_parse_flags(const m_jv **out, m_arena *ar, const char *text, size_t len,
                     unsigned flags, m_jv_error *err) {
  if (out) *out = NULL;
  if (err) {
    err->offset = err->token = 0;
    err->msg = NULL;
  }
  if (!out || !ar || (!text && len)) {
    if (err) err->msg = "invalid argument";
    return MISTRAL_E_INVALID_ARG;
  }
  if (len > UINT32_MAX) {
    if (err) err->msg = "document too large (4 GiB limit)";
    return MISTRAL_E_BAD_RESPONSE;
  }
  if (!text) text = "";
  m_jv local[LOCAL_STACK];
  parser P = {(ptr)text, (ptr)text + len, ar, local, 0, LOCAL_STACK, flags, MISTRAL_OK,
              NULL, NULL, NULL};
  int ok = parse(&P, local);
  m_jv *root = NULL;
  if (ok && !(root = m_arena_alloc(ar, sizeof *root))) {
    P.code = MISTRAL_E_NOMEM;
    P.err_at = P.err_tok = P.end;
    P.err_msg = "out of memory";
  }
  if (root) *root = P.stack[0];
  if (P.stack != local) m_free(&ar->alloc, P.stack);
  if (P.code != MISTRAL_OK) {
    if (err) {
      err->offset = (size_t)(P.err_at - P.begin);
      err->token = (size_t)(P.err_tok - P.begin);
      err->msg = P.err_msg;
    }
    return P.code;
  }
  *out = root;
  return MISTRAL_OK;
}

int m_jv_parse(const m_jv **out, m_arena *ar, const char *text, size_t len, m_jv_error *err) {
  return m_jv_parse_flags(out, ar, text, len, 0, err);
}

/* ---- reading ---- */

const m_jv *m_jv_getn(const m_jv *obj, const char *key, size_t len) {
  if (!m_jv_is_object(obj) || !key) return NULL;
  /* The last member with the key wins (as in jansson): scan backwards. */
  for (size_t i = obj->n; i-- > 0;) {
    const m_jv *k = &obj->u.items[2 * i];
    if (k->n == len && memcmp(k->u.s, key, len) == 0) return k + 1;
  }
  return NULL;
}

const m_jv *m_jv_get(const m_jv *obj, const char *key) {
  return key ? m_jv_getn(obj, key, strlen(key)) : NULL;
}

char *m_jv_arena_str(m_arena *ar, const m_jv *v) {
  return m_jv_is_string(v) ? m_arena_strndup(ar, v->u.s, v->n) : NULL;
}

size_t m_jv_compact(char *dst, const char *src, size_t n) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    char c = src[i];
    if (c == '"') {
      /* Copy the whole string, escapes included. */
      size_t j = i + 1;
      while (j < n && src[j] != '"') j += src[j] == '\\' ? 2 : 1;
      if (j >= n) j = n - 1;
      memcpy(dst + w, src + i, j - i + 1);
      w += j - i + 1;
      i = j;
    } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      dst[w++] = c;
    }
  }
  return w;
}

char *m_jv_arena_compact(m_arena *ar, const m_jv *v, size_t *len) {
  if (!v) return NULL;
  char *d = m_arena_alloc(ar, (size_t)v->src_len + 1);
  if (!d) return NULL;
  size_t n = m_jv_compact(d, v->src, v->src_len);
  d[n] = '\0';
  if (len) *len = n;
  return d;
}
