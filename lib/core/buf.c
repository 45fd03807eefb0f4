/* SPDX-License-Identifier: Apache-2.0 */
#include "core/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

void m_buf_init(m_buf *b, const mistral_allocator *alloc) {
  b->alloc = alloc;
  b->data = NULL;
  b->len = b->cap = 0;
}

int m_buf_reserve(m_buf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len - 1) return MISTRAL_E_NOMEM;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *p = m_realloc(b->alloc, b->data, cap);
  if (!p) return MISTRAL_E_NOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int m_buf_append(m_buf *b, const void *data, size_t n) {
  if (m_buf_reserve(b, n)) return MISTRAL_E_NOMEM;
  if (n) memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int m_buf_append_str(m_buf *b, const char *s) { return m_buf_append(b, s, strlen(s)); }

int m_buf_vprintf(m_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return MISTRAL_E_INTERNAL;
  if (m_buf_reserve(b, (size_t)n)) return MISTRAL_E_NOMEM;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int m_buf_printf(m_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = m_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

const char *m_buf_str(const m_buf *b) { return b->data ? b->data : ""; }

void m_buf_reset(m_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

char *m_buf_steal(m_buf *b) {
  char *p = b->data;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void m_buf_free(m_buf *b) {
  m_free(b->alloc, b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
