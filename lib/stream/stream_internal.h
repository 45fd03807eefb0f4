/* SPDX-License-Identifier: Apache-2.0 */
/* One streaming core for every completion endpoint (chat, FIM, agents):
 * the API areas build the body, this runs it. */
#ifndef MISTRAL_STREAM_INTERNAL_H
#define MISTRAL_STREAM_INTERNAL_H

#include <stddef.h>

#include "core/options.h"
#include "mistral/stream.h"

/* Opens a stream: POST body (a malloc'd string, taken over in every case)
 * to path. Pull: waits for the response headers (an HTTP error status, or
 * a transport failure before the headers, fails here); the stream is then
 * pulled with mistral_chat_stream_next(). Push: only starts the transfer;
 * m_stream_run_push() runs it (chunks go to cb from inside the transfer,
 * possibly together with the headers) and reports every outcome. */
int m_stream_open(mistral_chat_stream **out, mistral_client *client, const char *path,
                  char *body, size_t body_len, const struct mistral_call_options *options,
                  mistral_chat_chunk_fn cb, void *user_data, int push, mistral_error *err);

/* Runs a push stream to its end, hands the accumulated response to
 * final_out (may be NULL), frees the stream. */
int m_stream_run_push(mistral_chat_response **final_out, mistral_chat_stream *s,
                      mistral_error *err);

#endif
