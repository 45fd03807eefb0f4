/* SPDX-License-Identifier: Apache-2.0 */
/* The slow, always-right conversion of a JSON number to a double, whatever
 * the locale. The fast paths (json/jv.c, api/embeddings_number.h) fall back
 * to it, and the embeddings decoder checks a number's range with it. */
#ifndef MISTRAL_JSON_STRTOD_H
#define MISTRAL_JSON_STRTOD_H

#include <stddef.h>

#include "core/alloc.h"

enum {
  M_STRTOD_OK = 0,
  M_STRTOD_RANGE = 1,  /* beyond double range (underflow is not: 0 or a subnormal) */
  M_STRTOD_INVALID = 2 /* strtod stopped before the end of the text */
};

/* Converts text[0..len) with strtod on a NUL-terminated copy (on the stack
 * when short, else from alloc), the locale's decimal point in place of
 * '.': strtod reads the locale's, and nl_langinfo, unlike localeconv,
 * writes no shared buffer, so this is safe from any thread in glibc.
 * M_STRTOD_OK with *out set, M_STRTOD_RANGE, M_STRTOD_INVALID, or
 * MISTRAL_E_NOMEM when a long literal cannot be copied. */
int m_json_strtod(const char *text, size_t len, const mistral_allocator *alloc, double *out);

#endif
