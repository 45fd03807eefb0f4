/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MISTRAL_STREAM_ACCUMULATOR_H
#define MISTRAL_STREAM_ACCUMULATOR_H

#include "mistral/common.h"
#include "mistral/stream.h"

/* mistral_chat_accumulator_new() with every allocation (the accumulator,
 * its buffers, the responses it makes) going through alloc (copied). */
int m_chat_accumulator_new(mistral_chat_accumulator **out, const mistral_allocator *alloc);

struct m_http_response;
/* mistral_chat_accumulator_response(), with what the stream's HTTP
 * response headers tell (request id, model deprecation) when http is not
 * NULL. */
int m_chat_accumulator_response(mistral_chat_response **out, const mistral_chat_accumulator *acc,
                                const struct m_http_response *http);

#endif
