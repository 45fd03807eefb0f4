/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding chat responses and stream chunks from jv trees (json/jv.h) into
 * the public structs, every string and array in one arena.
 *
 * The strings of the structs are the tree's own decoded strings (no copy):
 * the tree given to these functions must live in the same arena ar (or at
 * least as long). "Compact JSON text" fields are compact copies of the
 * values' source spans: the parsed text must still be alive during the
 * call (not after). */
#ifndef MISTRAL_API_CHAT_DECODE_H
#define MISTRAL_API_CHAT_DECODE_H

#include "core/alloc.h"
#include "http/transport.h"
#include "json/jv.h"
#include "mistral/chat.h"

/* A response and the arena that holds it: mistral_chat_response_free()
 * finds the arena from the public pointer. */
typedef struct m_chat_response_box {
  mistral_chat_response pub;
  m_arena arena;
} m_chat_response_box;

mistral_finish_reason m_finish_reason_from_string(const char *s);

/* Decodes one content chunk. Returns NULL when out of memory. */
mistral_content_chunk *m_decode_chunk(m_arena *ar, const m_jv *chunk);

/* How to read a message: a whole one from a response, or a stream delta,
 * where absent parts stay absent (no default role, type or arguments: a
 * tool-call fragment may carry none). */
typedef enum m_decode_mode { M_DECODE_MESSAGE, M_DECODE_DELTA } m_decode_mode;

/* Decodes a message object (AssistantMessage / DeltaMessage shape; msg may
 * be NULL) into *out. MISTRAL_OK or MISTRAL_E_NOMEM. */
int m_decode_message(m_arena *ar, const m_jv *msg, mistral_assistant_message *out,
                     m_decode_mode mode);

/* Decodes a usage object (NULL gives zeros and "{}"). */
int m_decode_usage(m_arena *ar, const m_jv *usage, mistral_usage *out);

/* Decodes a whole ChatCompletionResponse body. http (may be NULL) supplies
 * the headers surfaced in the response. On failure *out is NULL and err
 * says why (MISTRAL_E_BAD_RESPONSE, MISTRAL_E_NOMEM). */
int m_chat_response_decode(mistral_chat_response **out, const mistral_allocator *alloc,
                           const char *body, size_t len, const m_http_response *http,
                           mistral_error *err);

#endif
