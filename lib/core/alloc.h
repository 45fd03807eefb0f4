/* SPDX-License-Identifier: Apache-2.0 */
/* The allocator every client-owned allocation goes through, and an arena
 * that keeps one response's strings and arrays in a few big blocks. */
#ifndef MISTRAL_CORE_ALLOC_H
#define MISTRAL_CORE_ALLOC_H

#include <stddef.h>

#include "mistral/common.h"

/* The libc allocator wrapped as a mistral_allocator. */
extern const mistral_allocator mistral_default_allocator;

void *m_malloc(const mistral_allocator *a, size_t size);
void *m_calloc(const mistral_allocator *a, size_t n, size_t size);
void *m_realloc(const mistral_allocator *a, void *ptr, size_t size);
void m_free(const mistral_allocator *a, void *ptr);
/* Copies s (NULL gives NULL without failing: check s first). */
char *m_strdup(const mistral_allocator *a, const char *s);
char *m_strndup(const mistral_allocator *a, const char *s, size_t n);

/* Overwrites memory the compiler may not optimise away (for the API key). */
void m_secure_zero(void *p, size_t n);

typedef struct m_arena_block m_arena_block;

/* An arena: allocations are never freed one by one, only all at once. The
 * struct itself may live inside its first block (see m_arena_box_new). */
typedef struct m_arena {
  mistral_allocator alloc;
  m_arena_block *head;
  int failed; /* set by any allocation that failed: decoders check it once
                 at the end instead of after every string copy */
} m_arena;

void m_arena_init(m_arena *ar, const mistral_allocator *alloc);
/* Aligned for any type; NULL when out of memory. size 0 gives a valid
 * pointer. */
void *m_arena_alloc(m_arena *ar, size_t size);
void *m_arena_calloc(m_arena *ar, size_t n, size_t size);
char *m_arena_strndup(m_arena *ar, const char *s, size_t n);
char *m_arena_strdup(m_arena *ar, const char *s);
void m_arena_release(m_arena *ar);
/* Forgets every allocation but keeps one standard block for reuse, so a
 * decoder that resets per item allocates nothing in steady state. */
void m_arena_reset(m_arena *ar);

/* A zeroed struct of `size` bytes that lives in an arena of its own, kept
 * inside it at arena_offset (offsetof(type, arena)): a response and the
 * strings it points to, freed together by m_arena_box_free(). NULL when
 * out of memory. */
void *m_arena_box_new(const mistral_allocator *alloc, size_t size, size_t arena_offset);
/* Releases a box's arena, and with it the box (through a copy of the arena,
 * since the arena lives in what it frees). NULL is a no-op. */
void m_arena_box_free(void *box, size_t arena_offset);

#endif
