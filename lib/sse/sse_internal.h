/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the SSE parser that the library's own layers and white-box
 * tests may use; not part of the public API. */
#ifndef MISTRAL_SSE_INTERNAL_H
#define MISTRAL_SSE_INTERNAL_H

#include <stddef.h>

#include "mistral/common.h"
#include "mistral/sse.h"

/* mistral_sse_parser_new() with a caller's allocator (copied; every buffer
 * of the parser goes through it). The streaming layer passes the client's
 * allocator; tests pass one that fails on demand. */
int m_sse_parser_new(mistral_sse_parser **out, size_t max_event_bytes,
                     const mistral_allocator *alloc);

#endif
