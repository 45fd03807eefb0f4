/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 validation (RFC 3629: no overlongs, no surrogates, max U+10FFFF). */
#ifndef MISTRAL_CORE_UTF8_H
#define MISTRAL_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is valid UTF-8. On failure, *bad_at (if not NULL)
 * receives the offset of the first invalid byte. */
bool m_utf8_valid(const char *s, size_t n, size_t *bad_at);

/* The length of the longest prefix of s[0..n) that does not end inside a
 * multi-byte sequence (the streaming code uses it to never split a code
 * point between two deliveries). */
size_t m_utf8_complete_prefix(const char *s, size_t n);

/* Replaces, in place, every byte of s[0..n) that is not part of a valid
 * UTF-8 sequence with '?', so that text quoting untrusted bytes (an error
 * message citing a server's body) is always valid UTF-8. */
void m_utf8_sanitize(char *s, size_t n);

/* Writes code point cp (at most U+10FFFF, not a surrogate) as UTF-8 at w
 * (room for 4 bytes); returns the bytes written. Inline: the JSON
 * decoders call it for every \u escape. */
static inline size_t m_utf8_put(char *w, unsigned cp) {
  if (cp < 0x80) {
    w[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    w[0] = (char)(0xC0 | cp >> 6);
    w[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    w[0] = (char)(0xE0 | cp >> 12);
    w[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    w[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  w[0] = (char)(0xF0 | cp >> 18);
  w[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  w[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  w[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

#endif
