/* SPDX-License-Identifier: Apache-2.0 */
#include "api/call.h"

#include <string.h>

#include "core/error.h"
#include "http/retry.h"

int m_api_call(mistral_client *client, const char *method, const char *path, const char *body,
               size_t body_len, const struct mistral_call_options *options,
               m_http_response *resp, mistral_error *err) {
  m_http_response_init(resp, &client->alloc);
  m_http_request req = {.method = method, .path = path, .body = body, .body_len = body_len,
                        .options = options};
  int rc = m_http_perform(client, &req, resp, err);
  if (rc == MISTRAL_OK) rc = m_http_status_error(resp, err);
  if (rc != MISTRAL_OK) {
    m_err_redact(err, client->api_key);
    m_log(client, MISTRAL_LOG_INFO, "%s %s failed: %s", method, path, mistral_error_message(err));
  }
  return rc;
}

void m_api_mark_undecodable(const mistral_client *client, const m_http_response *resp,
                            mistral_error *err) {
  const char *rid = m_http_request_id(resp);
  m_err_set_http_status(err, resp->status);
  if (rid) m_err_set_field(err, M_ERR_REQUEST_ID, rid, strlen(rid));
  /* A request was sent (maybe several, the last answering): say how many. */
  m_retry_note_attempts(resp->attempts, err);
  m_err_redact(err, client->api_key);
}
