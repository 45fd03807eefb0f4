/* SPDX-License-Identifier: Apache-2.0 */
#include "api/completion.h"

#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/chat_decode.h"
#include "core/error.h"
#include "stream/stream_internal.h"

int m_completion_check_args(void *out_ptr, int out_required, const mistral_client *client,
                            const void *req, mistral_error *err) {
  mistral_error_clear(err);
  if (out_ptr) *(void **)out_ptr = NULL;
  if (out_required && !out_ptr) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  if (!client) return m_err_set(err, MISTRAL_E_INVALID_ARG, "client is NULL");
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");
  return MISTRAL_OK;
}

int m_completion_call(mistral_chat_response **out, mistral_client *client, const char *path,
                      char *body, size_t body_len, const struct mistral_call_options *options,
                      mistral_error *err) {
  m_http_response resp;
  int rc = m_api_call(client, "POST", path, body, body_len, options, &resp, err);
  free(body);
  if (rc == MISTRAL_OK) {
    rc = m_chat_response_decode(out, &client->alloc, resp.body.data, resp.body.len, &resp, err);
    if (rc != MISTRAL_OK) m_api_mark_undecodable(client, &resp, err);
  }
  m_http_response_free(&resp);
  return rc;
}

int m_completion_push(mistral_chat_response **final_out, mistral_client *client,
                      const char *path, char *body, size_t body_len,
                      const struct mistral_call_options *options, mistral_chat_chunk_fn cb,
                      void *user_data, mistral_error *err) {
  mistral_chat_stream *s;
  int rc = m_stream_open(&s, client, path, body, body_len, options, cb, user_data, 1, err);
  return rc == MISTRAL_OK ? m_stream_run_push(final_out, s, err) : rc;
}
