/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/agents/completions: a chat request sent to an agent. */
#include <string.h>

#include "api/chat_internal.h"
#include "api/completion.h"
#include "core/error.h"
#include "core/utf8.h"
#include "mistral/agents.h"
#include "stream/stream_internal.h"

static const char agents_path[] = "/v1/agents/completions";

/* The shared argument checks, plus the agent id; then the body. */
static int agents_body(char **body, size_t *len, void *out, int out_required,
                       mistral_client *client, const char *agent_id,
                       const mistral_chat_request *req, int stream, mistral_error *err) {
  int rc = m_completion_check_args(out, out_required, client, req, err);
  if (rc != MISTRAL_OK) return rc;
  if (!agent_id || !*agent_id || !m_utf8_valid(agent_id, strlen(agent_id), NULL))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "agent_id: must be a non-empty UTF-8 string");
  return m_chat_request_body(body, len, req, agent_id, stream, err);
}

int mistral_agents_complete(mistral_chat_response **out, mistral_client *client,
                            const char *agent_id, const mistral_chat_request *req,
                            mistral_error *err) {
  char *body;
  size_t len;
  int rc = agents_body(&body, &len, out, 1, client, agent_id, req, 0, err);
  if (rc != MISTRAL_OK) return rc;
  return m_completion_call(out, client, agents_path, body, len, &req->f.options, err);
}

int mistral_agents_complete_streaming(mistral_chat_response **final_out,
                                      mistral_client *client, const char *agent_id,
                                      const mistral_chat_request *req,
                                      mistral_chat_chunk_fn cb, void *user_data,
                                      mistral_error *err) {
  char *body;
  size_t len;
  int rc = agents_body(&body, &len, final_out, 0, client, agent_id, req, 1, err);
  if (rc != MISTRAL_OK) return rc;
  return m_completion_push(final_out, client, agents_path, body, len, &req->f.options, cb,
                           user_data, err);
}

int mistral_agents_stream_open(mistral_chat_stream **out, mistral_client *client,
                               const char *agent_id, const mistral_chat_request *req,
                               mistral_error *err) {
  char *body;
  size_t len;
  int rc = agents_body(&body, &len, out, 1, client, agent_id, req, 1, err);
  if (rc != MISTRAL_OK) return rc;
  return m_stream_open(out, client, agents_path, body, len, &req->f.options, NULL, NULL, 0,
                       err);
}
