/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding one CompletionChunk (the data of one stream event). */
#ifndef MISTRAL_STREAM_CHUNK_H
#define MISTRAL_STREAM_CHUNK_H

#include <jansson.h>

#include "core/alloc.h"
#include "mistral/stream.h"

/* Decodes root (a JSON object) into a chunk allocated in ar; raw is the
 * event's data. MISTRAL_OK, MISTRAL_E_NOMEM, or MISTRAL_E_STREAM when the
 * object is not a chunk (no "choices" array). */
int m_chunk_decode(const mistral_chat_chunk **out, m_arena *ar, json_t *root, const char *raw,
                   size_t raw_len);

#endif
