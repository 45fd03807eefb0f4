/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/chat/completions: blocking, push-streamed and pull-streamed. */
#include "api/chat_internal.h"
#include "api/completion.h"
#include "stream/stream_internal.h"

static const char chat_path[] = "/v1/chat/completions";

int mistral_chat_complete(mistral_chat_response **out, mistral_client *client,
                          const mistral_chat_request *req, mistral_error *err) {
  int rc = m_completion_check_args(out, 1, client, req, err);
  char *body;
  size_t len;
  if (rc == MISTRAL_OK) rc = m_chat_request_body(&body, &len, req, NULL, false, err);
  if (rc != MISTRAL_OK) return rc;
  return m_completion_call(out, client, chat_path, body, len, &req->f.options, err);
}

int mistral_chat_complete_streaming(mistral_chat_response **final_out, mistral_client *client,
                                    const mistral_chat_request *req, mistral_chat_chunk_fn cb,
                                    void *user_data, mistral_error *err) {
  int rc = m_completion_check_args(final_out, 0, client, req, err);
  char *body;
  size_t len;
  if (rc == MISTRAL_OK) rc = m_chat_request_body(&body, &len, req, NULL, true, err);
  if (rc != MISTRAL_OK) return rc;
  return m_completion_push(final_out, client, chat_path, body, len, &req->f.options, cb,
                           user_data, err);
}

int mistral_chat_stream_open(mistral_chat_stream **out, mistral_client *client,
                             const mistral_chat_request *req, mistral_error *err) {
  int rc = m_completion_check_args(out, 1, client, req, err);
  char *body;
  size_t len;
  if (rc == MISTRAL_OK) rc = m_chat_request_body(&body, &len, req, NULL, true, err);
  if (rc != MISTRAL_OK) return rc;
  return m_stream_open(out, client, chat_path, body, len, &req->f.options, NULL, NULL, 0, err);
}
