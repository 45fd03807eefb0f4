/* SPDX-License-Identifier: Apache-2.0 */
/* JSON numbers for the embeddings decoder: a scanner that checks the
 * RFC 8259 grammar and collects up to 19 significant digits, and the
 * conversion to float.
 *
 * The float is the one nearest to the double nearest to the decimal text
 * (exactly what strtod() and a cast give). Three ways there, fastest first:
 *  1. Clinger's fast path, for integers times 10^k (k from 0 to 22, at most
 *     2^53 as mantissa): the double is one correctly rounded product of two
 *     exact doubles; the cast rounds it to float.
 *  2. Any 19-digit mantissa times 10^k, k from -44 to 22 (every number of an
 *     embedding, in practice): the double is computed by multiplications
 *     within a few units in its last place of the correctly rounded one.
 *     Rounding it to float gives the same float unless it lies that close
 *     to a midpoint between two floats, which is checked on its bits (about
 *     one number in 15 million fails the check and takes way 3). The exact
 *     Clinger division for negative k is not needed: only the float must be
 *     right, and the multiply is several times cheaper.
 *  3. Everything else (those near-midpoints, longer mantissas, exponents
 *     outside the range, subnormal floats): strtod() on a copy. */
#ifndef MISTRAL_API_EMBEDDINGS_NUMBER_H
#define MISTRAL_API_EMBEDDINGS_NUMBER_H

#include <float.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

typedef struct m_num {
  uint64_t m;   /* the first (up to) 19 significant digits */
  int64_t e10;  /* value = m * 10^e10 (when not truncated) */
  int neg;
  int is_int;    /* no fraction, no exponent */
  int truncated; /* more than 19 significant digits */
} m_num;

enum {
  M_NUM_OK = 0,
  M_NUM_BAD = -1,  /* not a JSON number */
  M_NUM_MORE = -2  /* reached the end of the text: may go on in the next
                      bytes (only when not final) */
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define M_NUM_SWAR 1
#else
#define M_NUM_SWAR 0
#endif

#if defined(__GNUC__)
#define M_NUM_INLINE static inline __attribute__((always_inline))
#else
#define M_NUM_INLINE static inline
#endif

static inline int m_num_digit(unsigned char c) { return (unsigned)(c - '0') < 10u; }

/* The value of eight ASCII digits read as a little-endian word
 * (fast_float's trick). */
static inline uint64_t m_num_eight_value(uint64_t x) {
  const uint64_t mask = UINT64_C(0x000000FF000000FF);
  const uint64_t mul1 = UINT64_C(0x000F424000000064); /* 100 + (1000000 << 32) */
  const uint64_t mul2 = UINT64_C(0x0000271000000001); /* 1 + (10000 << 32) */
  x -= UINT64_C(0x3030303030303030);
  x = x * 10 + (x >> 8);
  return (((x & mask) * mul1) + (((x >> 16) & mask) * mul2)) >> 32;
}

static const uint64_t m_num_pow10[9] = {1,       10,       100,       1000,     10000,
                                         100000,  1000000,  10000000,  100000000};

/* Reads the run of digits at *pp into *m, eight bytes at a time, while
 * fewer than 12 significant digits are in (so that 8 more fit in 19), and
 * returns how many it read. It stops at the first non-digit (then *pp is
 * there), or leaves the rest to a digit-by-digit loop (near end, or at 12
 * digits and more). */
M_NUM_INLINE int m_num_run(const char **pp, const char *end, uint64_t *m, int *digits) {
  const char *p = *pp;
  int n = 0;
#if M_NUM_SWAR && defined(__GNUC__)
  while (*digits + n <= 11 && end - p >= 8) {
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t nd = ((x + UINT64_C(0x4646464646464646)) | (x - UINT64_C(0x3030303030303030))) &
                  UINT64_C(0x8080808080808080);
    if (nd == 0) {
      *m = *m * 100000000 + m_num_eight_value(x);
      n += 8;
      p += 8;
      continue;
    }
    /* The digits before the first non-digit byte (borrows and carries of
     * the test only move towards later bytes), moved to the end of the
     * word behind '0' bytes. */
    int k = __builtin_ctzll(nd) >> 3;
    if (k) {
      uint64_t y = x << (8 * (8 - k)) | UINT64_C(0x3030303030303030) >> (8 * k);
      *m = *m * m_num_pow10[k] + m_num_eight_value(y);
      n += k;
      p += k;
    }
    break;
  }
#else
  (void)end;
  (void)m;
#endif
  *digits += n;
  *pp = p;
  return n;
}

/* Scans the number at *pp (*pp < end). On M_NUM_OK, *pp is past it and
 * *o holds it; the byte after it is not checked (the caller's grammar
 * decides). final: the text ends at end for sure (else reaching end gives
 * M_NUM_MORE). */
M_NUM_INLINE int m_num_scan(const char **pp, const char *end, int final, m_num *o) {
  const char *p = *pp;
  uint64_t m = 0;
  int64_t e10 = 0;
  int digits = 0, truncated = 0, is_int = 1, neg = 0;
  if (*p == '-') {
    neg = 1;
    if (++p == end) return final ? M_NUM_BAD : M_NUM_MORE;
  }
  if (*p == '0') {
    p++;
    if (p < end && m_num_digit((unsigned char)*p)) return M_NUM_BAD; /* leading zero */
  } else if (m_num_digit((unsigned char)*p)) {
    m_num_run(&p, end, &m, &digits);
    for (; p < end && m_num_digit((unsigned char)*p); p++) {
      if (digits < 19) {
        m = m * 10 + (unsigned)(*p - '0');
        digits++;
      } else {
        truncated = 1;
        e10++;
      }
    }
  } else {
    return M_NUM_BAD;
  }
  if (p == end) goto at_end;
  if (*p == '.') {
    is_int = 0;
    if (++p == end) return final ? M_NUM_BAD : M_NUM_MORE;
    if (!m_num_digit((unsigned char)*p)) return M_NUM_BAD;
    if (m == 0) /* leading zeros of a number below 1: not significant */
      while (*p == '0') {
        e10--;
        if (++p == end) goto at_end;
      }
    e10 -= m_num_run(&p, end, &m, &digits);
    for (; p < end && m_num_digit((unsigned char)*p); p++) {
      if (digits < 19) {
        m = m * 10 + (unsigned)(*p - '0');
        digits++;
        e10--;
      } else {
        truncated = 1;
      }
    }
    if (p == end) goto at_end;
  }
  if (*p == 'e' || *p == 'E') {
    is_int = 0;
    if (++p == end) return final ? M_NUM_BAD : M_NUM_MORE;
    int eneg = 0;
    if (*p == '+' || *p == '-') {
      eneg = *p == '-';
      if (++p == end) return final ? M_NUM_BAD : M_NUM_MORE;
    }
    if (!m_num_digit((unsigned char)*p)) return M_NUM_BAD;
    int64_t ev = 0;
    do {
      if (ev < 100000) ev = ev * 10 + (*p - '0'); /* saturates: strtod decides */
      p++;
    } while (p < end && m_num_digit((unsigned char)*p));
    e10 += eneg ? -ev : ev;
    if (p == end) goto at_end;
  }
done:
  o->m = m;
  o->e10 = e10;
  o->neg = neg;
  o->is_int = is_int;
  o->truncated = truncated;
  *pp = p;
  return M_NUM_OK;
at_end:
  if (!final) return M_NUM_MORE;
  goto done;
}

/* The slow conversion (way 3): text[0..len) is the number's whole literal.
 * 0, -1 when out of float range, MISTRAL_E_NOMEM when a long literal
 * cannot be copied. */
int m_num_float_slow(const char *text, size_t len, const mistral_allocator *alloc, float *out);

/* The number n (scanned from text[0..len)) as a float. 0, -1 when it is out
 * of float range (beyond FLT_MAX once rounded), MISTRAL_E_NOMEM. */
M_NUM_INLINE int m_num_to_float(const m_num *n, const char *text, size_t len,
                                const mistral_allocator *alloc, float *out) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  /* The doubles nearest to 10^-k: not exact, hence way 2 for them. */
  static const double n10[] = {1e0,   1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,
                               1e-8,  1e-9,  1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15,
                               1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22};
  if (n->m == 0) {
    *out = n->neg ? -0.0f : 0.0f;
    return 0;
  }
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
  int64_t e = n->e10;
  if (e >= 0 && e <= 22 && !n->truncated && n->m <= UINT64_C(1) << 53) {
    /* Way 1. At most 2^53 * 10^22 < FLT_MAX: never infinite. */
    float f = (float)((double)n->m * p10[e]);
    *out = n->neg ? -f : f;
    return 0;
  }
  if (e >= -44 && e <= 22) {
    /* Way 2: at most three roundings, each within half a unit (a multiply
     * by the nearest double to 10^-k instead of a divide by 10^k, which
     * is what the exact way 1 would need and costs several times more). */
    double d = (double)n->m;
    if (e >= 0) d *= p10[e];
    else if (e >= -22) d *= n10[-e];
    else d = d * 1e-22 * n10[-22 - e];
    if (d >= 0x1p-125 && d < 0x1p127) {
      /* Within normal float range, a double is a midpoint between two
       * floats when its 29 low mantissa bits are exactly 1 << 28. */
      uint64_t bits;
      memcpy(&bits, &d, sizeof bits);
      uint64_t low = bits & ((UINT64_C(1) << 29) - 1), mid = UINT64_C(1) << 28;
      if ((low > mid ? low - mid : mid - low) > 16) {
        float f = (float)d;
        *out = n->neg ? -f : f;
        return 0;
      }
    }
  }
#endif
  return m_num_float_slow(text, len, alloc, out);
}

#endif
