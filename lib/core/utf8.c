/* SPDX-License-Identifier: Apache-2.0 */
#include "core/utf8.h"

/* Number of bytes of the sequence led by c, 0 for a byte that cannot lead. */
static unsigned seq_len(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

bool m_utf8_valid(const char *str, size_t n, size_t *bad_at) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    unsigned len = seq_len(c);
    if (len == 0 || i + len > n) goto bad;
    unsigned char c1 = s[i + 1];
    /* Second-byte ranges exclude overlongs (E0, F0), surrogates (ED) and
     * code points above U+10FFFF (F4). */
    unsigned char lo = 0x80, hi = 0xBF;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
    else if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    if (c1 < lo || c1 > hi) goto bad;
    for (unsigned k = 2; k < len; k++)
      if ((s[i + k] & 0xC0) != 0x80) goto bad;
    i += len;
  }
  return true;
bad:
  if (bad_at) *bad_at = i;
  return false;
}

size_t m_utf8_complete_prefix(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  /* Look back at most 3 bytes for the start of the last sequence. */
  size_t back = 0;
  while (back < n && back < 4) {
    unsigned char c = s[n - 1 - back];
    if ((c & 0xC0) != 0x80) {
      unsigned len = seq_len(c);
      if (len > back + 1) return n - 1 - back; /* incomplete: cut before it */
      return n;
    }
    back++;
  }
  return n;
}

void m_utf8_sanitize(char *s, size_t n) {
  size_t off = 0, bad;
  while (off < n && !m_utf8_valid(s + off, n - off, &bad)) {
    s[off + bad] = '?';
    off += bad + 1;
  }
}
