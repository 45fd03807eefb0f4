/* SPDX-License-Identifier: Apache-2.0 */
/* A growable byte buffer, always NUL-terminated after its contents. */
#ifndef MISTRAL_CORE_BUF_H
#define MISTRAL_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "mistral/common.h"

typedef struct m_buf {
  const mistral_allocator *alloc;
  char *data; /* NULL until the first append */
  size_t len, cap;
} m_buf;

void m_buf_init(m_buf *b, const mistral_allocator *alloc);
/* 0 or MISTRAL_E_NOMEM. */
int m_buf_reserve(m_buf *b, size_t extra);
int m_buf_append(m_buf *b, const void *data, size_t n);
int m_buf_append_str(m_buf *b, const char *s);
int m_buf_printf(m_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int m_buf_vprintf(m_buf *b, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 0)))
#endif
    ;
/* The contents ("" when empty; never NULL). */
const char *m_buf_str(const m_buf *b);
void m_buf_reset(m_buf *b); /* empties, keeps memory */
/* Hands the memory to the caller (free with the buffer's allocator). */
char *m_buf_steal(m_buf *b);
void m_buf_free(m_buf *b);

#endif
