/* SPDX-License-Identifier: Apache-2.0 */
#include "core/alloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(size_t size, void *ud) {
  (void)ud;
  return malloc(size);
}
static void *libc_realloc(void *ptr, size_t size, void *ud) {
  (void)ud;
  return realloc(ptr, size);
}
static void libc_free(void *ptr, void *ud) {
  (void)ud;
  free(ptr);
}

const mistral_allocator mistral_default_allocator = {libc_malloc, libc_realloc, libc_free,
                                                     NULL};

void *m_malloc(const mistral_allocator *a, size_t size) {
  return a->malloc_fn(size ? size : 1, a->user_data);
}

void *m_calloc(const mistral_allocator *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = m_malloc(a, n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void *m_realloc(const mistral_allocator *a, void *ptr, size_t size) {
  return a->realloc_fn(ptr, size ? size : 1, a->user_data);
}

void m_free(const mistral_allocator *a, void *ptr) {
  if (ptr) a->free_fn(ptr, a->user_data);
}

char *m_strndup(const mistral_allocator *a, const char *s, size_t n) {
  char *d = m_malloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *m_strdup(const mistral_allocator *a, const char *s) {
  return s ? m_strndup(a, s, strlen(s)) : NULL;
}

void m_secure_zero(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

void mistral_free(void *ptr) { free(ptr); }

/* ---- arena ---- */

struct m_arena_block {
  m_arena_block *next;
  size_t used, cap;
  alignas(max_align_t) unsigned char data[];
};

enum { ARENA_BLOCK = 16 * 1024 };

void m_arena_init(m_arena *ar, const mistral_allocator *alloc) {
  ar->alloc = *alloc;
  ar->head = NULL;
  ar->failed = 0;
}

void *m_arena_alloc(m_arena *ar, size_t size) {
  const size_t align = alignof(max_align_t);
  size = (size + align - 1) & ~(align - 1);
  if (size == 0) size = align;
  m_arena_block *b = ar->head;
  if (!b || b->cap - b->used < size) {
    size_t cap = size > ARENA_BLOCK / 2 ? size : ARENA_BLOCK;
    m_arena_block *nb = cap > SIZE_MAX - sizeof(m_arena_block)
                            ? NULL
                            : m_malloc(&ar->alloc, sizeof(m_arena_block) + cap);
    if (!nb) {
      ar->failed = 1;
      return NULL;
    }
    nb->cap = cap;
    nb->used = 0;
    /* A big allocation gets a block of its own behind the current one, so
     * the current block's free space is not wasted. */
    if (b && cap != ARENA_BLOCK) {
      nb->next = b->next;
      b->next = nb;
    } else {
      nb->next = b;
      ar->head = nb;
    }
    b = nb;
  }
  void *p = b->data + b->used;
  b->used += size;
  return p;
}

void *m_arena_calloc(m_arena *ar, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) {
    ar->failed = 1;
    return NULL;
  }
  void *p = m_arena_alloc(ar, n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

char *m_arena_strndup(m_arena *ar, const char *s, size_t n) {
  char *d = m_arena_alloc(ar, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *m_arena_strdup(m_arena *ar, const char *s) {
  return s ? m_arena_strndup(ar, s, strlen(s)) : NULL;
}

void m_arena_release(m_arena *ar) {
  m_arena_block *b = ar->head;
  while (b) {
    m_arena_block *next = b->next;
    m_free(&ar->alloc, b);
    b = next;
  }
  ar->head = NULL;
}

void m_arena_reset(m_arena *ar) {
  m_arena_block *keep = NULL, *b = ar->head;
  while (b) {
    m_arena_block *next = b->next;
    if (!keep && b->cap == ARENA_BLOCK) keep = b;
    else m_free(&ar->alloc, b);
    b = next;
  }
  if (keep) {
    keep->used = 0;
    keep->next = NULL;
  }
  ar->head = keep;
  ar->failed = 0;
}

void *m_arena_box_new(const mistral_allocator *alloc, size_t size, size_t arena_offset) {
  m_arena arena;
  m_arena_init(&arena, alloc);
  char *box = m_arena_calloc(&arena, 1, size);
  if (!box) {
    m_arena_release(&arena);
    return NULL;
  }
  memcpy(box + arena_offset, &arena, sizeof arena);
  return box;
}

void m_arena_box_free(void *box, size_t arena_offset) {
  if (!box) return;
  m_arena doomed;
  memcpy(&doomed, (char *)box + arena_offset, sizeof doomed);
  m_arena_release(&doomed);
}
