/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding one CompletionChunk (the data of one stream event). */
#ifndef MISTRAL_STREAM_CHUNK_H
#define MISTRAL_STREAM_CHUNK_H

#include "core/alloc.h"
#include "json/jv.h"
#include "mistral/stream.h"

/* Decodes root (a JSON object, its tree in ar: the chunk borrows its
 * strings) into a chunk allocated in ar; raw is the event's data, the text
 * root was parsed from. MISTRAL_OK, MISTRAL_E_NOMEM, or MISTRAL_E_STREAM
 * when the object is not a chunk (no "choices" array, a choice that is not
 * an object). */
int m_chunk_decode(const mistral_chat_chunk **out, m_arena *ar, const m_jv *root,
                   const char *raw, size_t raw_len);

#endif
