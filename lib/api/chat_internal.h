/* SPDX-License-Identifier: Apache-2.0 */
/* The chat request as the builder, the serializer and (later) the streaming
 * code share it. The request keeps its fields as a JSON object, so "unset"
 * is simply "absent" and only the setters can put a member there: the
 * library cannot send a field the API does not know. */
#ifndef MISTRAL_API_CHAT_INTERNAL_H
#define MISTRAL_API_CHAT_INTERNAL_H

#include <jansson.h>

#include "core/options.h"
#include "json/json_util.h"
#include "mistral/chat.h"

struct mistral_message {
  mistral_chat_request *req;
  mistral_role role;
  json_t *obj; /* {"role": ..., "content": ...} */
};

struct mistral_chat_request {
  json_t *fields; /* every member but "model" and "messages", in set order */
  json_t *model;  /* string, or NULL when unset */
  mistral_message **messages;
  size_t message_count, message_cap;
  struct mistral_call_options options; /* per-call overrides */
  /* The first error a setter hit; the call that sends the request fails
   * with it. */
  int error_code;
  char error_msg[M_MSG_MAX];
};

/* Records the first argument error on the request and returns code. */
int m_chat_fail(mistral_chat_request *req, int code, const char *msg);

/* The JSON body to send; extra_fields (may be NULL) are added last (the
 * streaming code adds "stream": true). Checks model, messages and the
 * sticky error first. The caller frees *out with free(). */
int m_chat_request_body(char **out, size_t *out_len, const mistral_chat_request *req,
                        const char *const *extra_keys, json_t *const *extra_values,
                        size_t extra_count, mistral_error *err);

#endif
