/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/fim/completions: one setter per field of FIMCompletionRequest. */
#include <stdlib.h>

#include "api/completion.h"
#include "api/fields.h"
#include "core/error.h"
#include "mistral/fim.h"
#include "stream/stream_internal.h"

static const char fim_path[] = "/v1/fim/completions";

struct mistral_fim_request {
  m_fields f; /* every member, model and prompt included */
};

#define COUNT(list) (sizeof list / sizeof *list)

/* Fields the spec types as anyOf [..., null]. */
static const char *const nullable_fields[] = {
    "temperature", "top_p",    "max_tokens", "min_tokens",      "stop",
    "random_seed", "metadata", "suffix",     "prompt_cache_key"};
static const char *const other_optional_fields[] = {"model", "prompt"};

int mistral_fim_request_new(mistral_fim_request **out, const char *model, const char *prompt) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  mistral_fim_request *req = calloc(1, sizeof *req);
  if (!req) return MISTRAL_E_NOMEM;
  int rc = m_fields_init(&req->f);
  if (rc == MISTRAL_OK && model) rc = mistral_fim_request_set_model(req, model);
  if (rc == MISTRAL_OK && prompt) rc = mistral_fim_request_set_prompt(req, prompt);
  if (rc != MISTRAL_OK) {
    mistral_fim_request_free(req);
    return rc;
  }
  *out = req;
  return MISTRAL_OK;
}

void mistral_fim_request_free(mistral_fim_request *req) {
  if (!req) return;
  m_fields_free(&req->f);
  free(req);
}

int mistral_fim_request_set_model(mistral_fim_request *req, const char *model) {
  M_FIELDS(req);
  return m_fields_put_model(f, model);
}

int mistral_fim_request_set_prompt(mistral_fim_request *req, const char *prompt) {
  M_FIELDS(req);
  return m_fields_put_string(f, "prompt", prompt);
}

int mistral_fim_request_set_suffix(mistral_fim_request *req, const char *suffix) {
  M_FIELDS(req);
  return m_fields_put_string(f, "suffix", suffix);
}

int mistral_fim_request_set_temperature(mistral_fim_request *req, double t) {
  M_FIELDS(req);
  return m_fields_put_number(f, "temperature", t, 0.0, 0, 1.5);
}

int mistral_fim_request_set_top_p(mistral_fim_request *req, double top_p) {
  M_FIELDS(req);
  return m_fields_put_number(f, "top_p", top_p, 0.0, 1, 1.0);
}

int mistral_fim_request_set_max_tokens(mistral_fim_request *req, int64_t n) {
  M_FIELDS(req);
  return m_fields_put_int(f, "max_tokens", n, 0);
}

int mistral_fim_request_set_min_tokens(mistral_fim_request *req, int64_t n) {
  M_FIELDS(req);
  return m_fields_put_int(f, "min_tokens", n, 0);
}

int mistral_fim_request_set_stop(mistral_fim_request *req, const char *stop) {
  M_FIELDS(req);
  return m_fields_put_string(f, "stop", stop);
}

int mistral_fim_request_set_stop_list(mistral_fim_request *req, const char *const *stops,
                                      size_t count) {
  M_FIELDS(req);
  return m_fields_put_string_list(f, "stop", stops, count);
}

int mistral_fim_request_set_random_seed(mistral_fim_request *req, int64_t seed) {
  M_FIELDS(req);
  return m_fields_put_int(f, "random_seed", seed, 0);
}

int mistral_fim_request_set_metadata_json(mistral_fim_request *req, const char *json) {
  M_FIELDS(req);
  return m_fields_put_json_text(f, "metadata", json, JSON_OBJECT);
}

int mistral_fim_request_set_prompt_cache_key(mistral_fim_request *req, const char *key) {
  M_FIELDS(req);
  return m_fields_put_string(f, "prompt_cache_key", key);
}

int mistral_fim_request_set_null(mistral_fim_request *req, const char *field) {
  M_FIELDS(req);
  return m_fields_set_null(f, field, nullable_fields, COUNT(nullable_fields));
}

int mistral_fim_request_unset(mistral_fim_request *req, const char *field) {
  M_FIELDS(req);
  return m_fields_unset(f, field, nullable_fields, COUNT(nullable_fields),
                        other_optional_fields, COUNT(other_optional_fields));
}

int mistral_fim_request_set_call_options(mistral_fim_request *req,
                                         const mistral_call_options *opts) {
  M_FIELDS(req);
  f->options = opts ? *opts : M_CALL_OPTIONS_UNSET;
  return MISTRAL_OK;
}

/* model and prompt first, for a readable body, then the rest in set order. */
static int fim_body(char **out, size_t *len, const mistral_fim_request *req, int stream,
                    mistral_error *err) {
  *out = NULL;
  int rc = m_fields_check(&req->f, err);
  if (rc != MISTRAL_OK) return rc;
  json_t *model = json_object_get(req->f.obj, "model");
  json_t *prompt = json_object_get(req->f.obj, "prompt");
  if (!json_is_string(model))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: model: not set");
  if (!json_is_string(prompt))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: prompt: not set");
  json_t *body = json_pack("{s:O,s:O}", "model", model, "prompt", prompt);
  rc = MISTRAL_E_NOMEM;
  if (body && json_object_update(body, req->f.obj) == 0 &&
      (!stream || json_object_set_new(body, "stream", json_true()) == 0))
    rc = m_json_dump_malloc(out, len, body);
  json_decref(body);
  if (rc != MISTRAL_OK) m_err_set(err, rc, "out of memory while serializing the request");
  return rc;
}

int mistral_fim_request_to_json(char **out, const mistral_fim_request *req,
                                mistral_error *err) {
  mistral_error_clear(err);
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");
  return fim_body(out, NULL, req, 0, err);
}

int mistral_fim_complete(mistral_chat_response **out, mistral_client *client,
                         const mistral_fim_request *req, mistral_error *err) {
  int rc = m_completion_check_args(out, 1, client, req, err);
  char *body;
  size_t len;
  if (rc == MISTRAL_OK) rc = fim_body(&body, &len, req, 0, err);
  if (rc != MISTRAL_OK) return rc;
  return m_completion_call(out, client, fim_path, body, len, &req->f.options, err);
}

int mistral_fim_complete_streaming(mistral_chat_response **final_out, mistral_client *client,
                                   const mistral_fim_request *req, mistral_chat_chunk_fn cb,
                                   void *user_data, mistral_error *err) {
  int rc = m_completion_check_args(final_out, 0, client, req, err);
  char *body;
  size_t len;
  if (rc == MISTRAL_OK) rc = fim_body(&body, &len, req, 1, err);
  if (rc != MISTRAL_OK) return rc;
  return m_completion_push(final_out, client, fim_path, body, len, &req->f.options, cb,
                           user_data, err);
}

int mistral_fim_stream_open(mistral_chat_stream **out, mistral_client *client,
                            const mistral_fim_request *req, mistral_error *err) {
  int rc = m_completion_check_args(out, 1, client, req, err);
  char *body;
  size_t len;
  if (rc == MISTRAL_OK) rc = fim_body(&body, &len, req, 1, err);
  if (rc != MISTRAL_OK) return rc;
  return m_stream_open(out, client, fim_path, body, len, &req->f.options, NULL, NULL, 0, err);
}
