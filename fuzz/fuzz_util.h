/* SPDX-License-Identifier: Apache-2.0 */
/* What the decoder fuzz targets share (fuzz_util.c): a check that aborts,
 * a counting allocator that fails on request, a hash of the input for
 * input-derived choices, and walkers that read every field of a decoded
 * struct (every string to its NUL, every array to its count), checking the
 * invariants the public headers promise. */
#ifndef MISTRAL_FUZZ_UTIL_H
#define MISTRAL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mistral/chat.h"
#include "mistral/common.h"
#include "mistral/error.h"
#include "mistral/stream.h"

#define FZ_CHECK(cond)                                                                         \
  do {                                                                                         \
    if (!(cond)) fz_fail(__FILE__, __LINE__, #cond);                                           \
  } while (0)

_Noreturn void fz_fail(const char *file, int line, const char *what);

/* A mistral_allocator over malloc that fails every request once `budget`
 * requests have succeeded (budget < 0: never fails), counting the blocks
 * still live. */
typedef struct fz_alloc {
  mistral_allocator a; /* a.user_data points back here */
  long budget;
  long live;
  long failures;
} fz_alloc;

void fz_alloc_init(fz_alloc *fa, long budget);

/* FNV-1a of the input: choices (slicing, limits) that depend on the whole
 * input, so that seeds taken verbatim from fixtures need no control
 * prefix. */
uint64_t fz_hash(const uint8_t *data, size_t size);
uint64_t fz_rng(uint64_t *state);

/* The input copied into a block of exactly size + room bytes (at least 1),
 * so that ASan sees any read past the input's end; free() it. */
char *fz_copy(const uint8_t *data, size_t size, size_t room);

/* A decode that failed: MISTRAL_E_BAD_RESPONSE (or MISTRAL_E_NOMEM under a
 * failing allocator), which err repeats, with a message; err is walked. */
void fz_check_decode_failure(int rc, const mistral_error *err);

/* Reads s to its NUL (NULL allowed); returns its length. */
size_t fz_str(const char *s);

/* Every field of a usage, a message (delta: a stream delta, whose role,
 * type and arguments may be absent), a response, a chunk, an error. */
void fz_walk_usage(const mistral_usage *u);
void fz_walk_message(const mistral_assistant_message *m, int delta);
void fz_walk_chat_response(const mistral_chat_response *r);
void fz_walk_chunk(const mistral_chat_chunk *c);
void fz_walk_error(const mistral_error *err);

#endif
