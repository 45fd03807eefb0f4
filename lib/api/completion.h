/* SPDX-License-Identifier: Apache-2.0 */
/* The completion endpoints (chat, FIM, agents) share their whole life after
 * the body is built: POST it, decode a ChatCompletionResponse, or stream
 * chunks. Each area builds its body and hands over here. */
#ifndef MISTRAL_API_COMPLETION_H
#define MISTRAL_API_COMPLETION_H

#include <stddef.h>

#include "core/options.h"
#include "mistral/stream.h"

/* Checks the arguments every completion call shares (out may be NULL for a
 * streaming call that wants no final response) and clears err. */
int m_completion_check_args(void *out_ptr, int out_required, const mistral_client *client,
                            const void *req, mistral_error *err);

/* POSTs body (malloc'd, taken over) to path and decodes the response. */
int m_completion_call(mistral_chat_response **out, mistral_client *client, const char *path,
                      char *body, size_t body_len, const struct mistral_call_options *options,
                      mistral_error *err);

/* Streams body (malloc'd, taken over) from path, push style. */
int m_completion_push(mistral_chat_response **final_out, mistral_client *client,
                      const char *path, char *body, size_t body_len,
                      const struct mistral_call_options *options, mistral_chat_chunk_fn cb,
                      void *user_data, mistral_error *err);

#endif
