/* SPDX-License-Identifier: Apache-2.0 */
/* The chat request as the builder, the serializer and (later) the streaming
 * code share it. The request keeps its fields as a JSON object, so "unset"
 * is simply "absent" and only the setters can put a member there: the
 * library cannot send a field the API does not know. */
#ifndef MISTRAL_API_CHAT_INTERNAL_H
#define MISTRAL_API_CHAT_INTERNAL_H

#include <jansson.h>

#include "api/fields.h"
#include "mistral/chat.h"

struct mistral_message {
  mistral_chat_request *req;
  mistral_role role;
  json_t *obj; /* {"role": ..., "content": ...} */
};

struct mistral_chat_request {
  m_fields f;    /* every member but "model" and "messages"; setter errors */
  json_t *model; /* string, or NULL when unset */
  mistral_message **messages;
  size_t message_count, message_cap;
};

/* Records the first argument error on the request and returns code. */
int m_chat_fail(mistral_chat_request *req, int code, const char *msg);

/* The JSON body to send (compact; the caller frees *out with free()):
 * for /v1/chat/completions, or with agent_id for /v1/agents/completions
 * ("agent_id" instead of "model"; chat-only fields refused), with
 * "stream": true when stream. Checks the setter error, model and messages
 * first. */
int m_chat_request_body(char **out, size_t *out_len, const mistral_chat_request *req,
                        const char *agent_id, bool stream, mistral_error *err);

#endif
