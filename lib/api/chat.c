/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/chat/completions, non-streaming. */
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/chat_decode.h"
#include "api/chat_internal.h"
#include "core/error.h"

int mistral_chat_complete(mistral_chat_response **out, mistral_client *client,
                          const mistral_chat_request *req, mistral_error *err) {
  mistral_error_clear(err);
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (!client) return m_err_set(err, MISTRAL_E_INVALID_ARG, "client is NULL");
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");

  char *body = NULL;
  size_t body_len = 0;
  int rc = m_chat_request_body(&body, &body_len, req, NULL, false, err);
  if (rc != MISTRAL_OK) return rc;

  m_http_response resp;
  rc = m_api_call(client, "POST", "/v1/chat/completions", body, body_len, &req->f.options,
                  &resp, err);
  free(body);
  if (rc == MISTRAL_OK) {
    rc = m_chat_response_decode(out, &client->alloc, resp.body.data, resp.body.len, &resp, err);
    if (rc != MISTRAL_OK) {
      /* A response arrived but cannot be used: keep its status and request
       * id (for support), and redact, as jansson's message may quote the
       * body and the body may echo the key. */
      const char *rid = m_http_request_id(&resp);
      m_err_set_http_status(err, resp.status);
      if (rid) m_err_set_field(err, M_ERR_REQUEST_ID, rid, strlen(rid));
      m_err_redact(err, client->api_key);
    }
  }
  m_http_response_free(&resp);
  return rc;
}
