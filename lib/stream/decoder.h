/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MISTRAL_STREAM_DECODER_H
#define MISTRAL_STREAM_DECODER_H

#include "mistral/sse.h"
#include "mistral/stream.h"

/* mistral_stream_decoder_new() with every allocation (the decoder, its
 * SSE parser, its chunk arena) going through alloc (copied). */
int m_stream_decoder_new(mistral_stream_decoder **out, const mistral_allocator *alloc);

/* Chunks decoded so far (for messages and for "retry only if nothing was
 * delivered"). */
size_t m_stream_decoder_chunks(const mistral_stream_decoder *d);

/* Decodes one event already cut out of the stream (the pull API queues
 * events and decodes them one at a time). Returns the decoder's status. */
int m_stream_decoder_event(mistral_stream_decoder *d, const mistral_sse_event *ev,
                           mistral_chat_chunk_fn cb, void *user_data, mistral_error *err);

#endif
