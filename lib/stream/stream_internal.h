/* SPDX-License-Identifier: Apache-2.0 */
/* One streaming core for every completion endpoint (chat, FIM, agents):
 * the API areas build the body, this runs it. */
#ifndef MISTRAL_STREAM_INTERNAL_H
#define MISTRAL_STREAM_INTERNAL_H

#include <stddef.h>

#include "core/options.h"
#include "mistral/stream.h"

/* Opens a stream: POST body (a malloc'd string, taken over in every case)
 * to path, waits for the response headers; an HTTP error status fails here.
 * push: chunks go to cb from inside the transfer (finish with
 * m_stream_run_push); otherwise the stream is pulled with
 * mistral_chat_stream_next(). */
int m_stream_open(mistral_chat_stream **out, mistral_client *client, const char *path,
                  char *body, size_t body_len, const struct mistral_call_options *options,
                  mistral_chat_chunk_fn cb, void *user_data, int push, mistral_error *err);

/* Runs a push stream to its end, hands the accumulated response to
 * final_out (may be NULL), frees the stream. */
int m_stream_run_push(mistral_chat_response **final_out, mistral_chat_stream *s,
                      mistral_error *err);

#endif
