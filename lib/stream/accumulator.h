/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MISTRAL_STREAM_ACCUMULATOR_H
#define MISTRAL_STREAM_ACCUMULATOR_H

#include "mistral/common.h"
#include "mistral/stream.h"

/* mistral_chat_accumulator_new() with every allocation (the accumulator,
 * its buffers, the responses it makes) going through alloc (copied). */
int m_chat_accumulator_new(mistral_chat_accumulator **out, const mistral_allocator *alloc);

#endif
