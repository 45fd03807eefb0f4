/* SPDX-License-Identifier: Apache-2.0 */
/* The models endpoints: list, retrieve, delete, and the fine-tuned model
 * calls (update, archive, unarchive). */
#include "mistral/models.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/models_decode.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/utf8.h"
#include "http/url.h"
#include "json/json_util.h"

/* Clears err and *out (when out is not NULL); checks out (when required)
 * and client. */
static int check_args(void *out_ptr, int out_required, const mistral_client *client,
                      mistral_error *err) {
  mistral_error_clear(err);
  if (out_ptr) *(void **)out_ptr = NULL;
  if (out_required && !out_ptr) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  if (!client) return m_err_set(err, MISTRAL_E_INVALID_ARG, "client is NULL");
  return MISTRAL_OK;
}

/* Checks caller text that goes into the URL: NULL (when not allowed) and
 * UTF-8; the escaping refuses CR, LF and NUL. */
static int check_text(const char *s, const char *what, mistral_error *err) {
  if (!s) return m_err_set(err, MISTRAL_E_INVALID_ARG, "%s is NULL", what);
  size_t bad_at;
  if (!m_utf8_valid(s, strlen(s), &bad_at))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "%s: invalid UTF-8 at byte %zu", what, bad_at);
  return MISTRAL_OK;
}

/* prefix + the escaped model id + suffix, into b (initialised here; the
 * caller frees it whatever the outcome). */
static int model_path(m_buf *b, const mistral_client *client, const char *prefix,
                      const char *model_id, const char *suffix, mistral_error *err) {
  m_buf_init(b, &client->alloc);
  int rc = check_text(model_id, "model_id", err);
  if (rc != MISTRAL_OK) return rc;
  if (m_buf_append_str(b, prefix) != MISTRAL_OK) goto oom;
  if ((rc = m_url_append_segment(b, model_id, strlen(model_id), "model_id", err)) != MISTRAL_OK)
    return rc;
  if (m_buf_append_str(b, suffix) != MISTRAL_OK) goto oom;
  return MISTRAL_OK;
oom:
  return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
}

/* Performs the exchange and decodes a 2xx body as kind. out may be NULL:
 * the body is still checked. */
static int call_decode(void **out, m_models_kind kind, mistral_client *client,
                       const char *method, const char *path, const char *body, size_t body_len,
                       const mistral_call_options *options, mistral_error *err) {
  m_http_response resp;
  int rc = m_api_call(client, method, path, body, body_len, options, &resp, err);
  if (rc == MISTRAL_OK) {
    void *decoded = NULL;
    rc = m_models_decode(&decoded, kind, &client->alloc, resp.body.data, resp.body.len, &resp,
                         err);
    if (rc != MISTRAL_OK) {
      m_api_mark_undecodable(client, &resp, err);
    } else if (out) {
      *out = decoded;
    } else {
      m_arena_box_free(decoded, offsetof(m_models_box, arena));
    }
  }
  m_http_response_free(&resp);
  return rc;
}

/* ---- list ---- */

/* Appends "<sep>name=<escaped value>" when value is not NULL. */
static int add_query(m_buf *b, const char *name, const char *value, mistral_error *err) {
  if (!value) return MISTRAL_OK;
  int rc = check_text(value, name, err);
  if (rc != MISTRAL_OK) return rc;
  if (m_buf_printf(b, "%c%s=", strchr(m_buf_str(b), '?') ? '&' : '?', name) != MISTRAL_OK)
    return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  return m_url_append_escaped(b, value, strlen(value), name, err);
}

int mistral_models_list_filtered(mistral_model_list **out, mistral_client *client,
                                 const char *provider, const char *model,
                                 const mistral_call_options *options, mistral_error *err) {
  int rc = check_args(out, 1, client, err);
  if (rc != MISTRAL_OK) return rc;
  m_buf path;
  m_buf_init(&path, &client->alloc);
  if (m_buf_append_str(&path, "/v1/models") != MISTRAL_OK)
    rc = m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  if (rc == MISTRAL_OK) rc = add_query(&path, "provider", provider, err);
  if (rc == MISTRAL_OK) rc = add_query(&path, "model", model, err);
  if (rc == MISTRAL_OK)
    rc = call_decode((void **)out, M_MODELS_LIST, client, "GET", m_buf_str(&path), NULL, 0,
                     options, err);
  m_buf_free(&path);
  return rc;
}

int mistral_models_list(mistral_model_list **out, mistral_client *client,
                        const mistral_call_options *options, mistral_error *err) {
  return mistral_models_list_filtered(out, client, NULL, NULL, options, err);
}

/* ---- one model ---- */

/* The calls without a request body. */
static int model_call(void **out, int out_required, m_models_kind kind, mistral_client *client,
                      const char *method, const char *prefix, const char *model_id,
                      const char *suffix, const char *body, const mistral_call_options *options,
                      mistral_error *err) {
  int rc = check_args(out, out_required, client, err);
  if (rc != MISTRAL_OK) return rc;
  m_buf path;
  rc = model_path(&path, client, prefix, model_id, suffix, err);
  if (rc == MISTRAL_OK)
    rc = call_decode(out, kind, client, method, m_buf_str(&path), body, body ? strlen(body) : 0,
                     options, err);
  m_buf_free(&path);
  return rc;
}

int mistral_models_retrieve(mistral_model_card **out, mistral_client *client,
                            const char *model_id, const mistral_call_options *options,
                            mistral_error *err) {
  return model_call((void **)out, 1, M_MODELS_CARD, client, "GET", "/v1/models/", model_id, "",
                    NULL, options, err);
}

int mistral_models_delete(mistral_model_result **out, mistral_client *client,
                          const char *model_id, const mistral_call_options *options,
                          mistral_error *err) {
  return model_call((void **)out, 0, M_MODELS_DELETED, client, "DELETE", "/v1/models/",
                    model_id, "", NULL, options, err);
}

int mistral_models_archive(mistral_model_result **out, mistral_client *client,
                           const char *model_id, const mistral_call_options *options,
                           mistral_error *err) {
  /* No body: the transport still sends "Content-Length: 0" for a POST. */
  return model_call((void **)out, 0, M_MODELS_ARCHIVED, client, "POST",
                    "/v1/fine_tuning/models/", model_id, "/archive", NULL, options, err);
}

int mistral_models_unarchive(mistral_model_result **out, mistral_client *client,
                             const char *model_id, const mistral_call_options *options,
                             mistral_error *err) {
  return model_call((void **)out, 0, M_MODELS_UNARCHIVED, client, "DELETE",
                    "/v1/fine_tuning/models/", model_id, "/archive", NULL, options, err);
}

/* {"name": ..., "description": ...} with the members given; malloc'd. */
static int update_body(char **out, size_t *len, const char *name, const char *description,
                       mistral_error *err) {
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *body = json_object();
  if (!body) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  const char *keys[2] = {"name", "description"};
  const char *values[2] = {name, description};
  for (size_t i = 0; i < 2; i++) {
    if (!values[i]) continue;
    json_t *v = m_json_str(values[i], keys[i], &code, msg);
    if (!v) {
      json_decref(body);
      return m_err_set(err, code, "%s", msg);
    }
    if (json_object_set_new(body, keys[i], v) != 0) {
      json_decref(body);
      return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
    }
  }
  int rc = m_json_dump_malloc(out, len, body);
  json_decref(body);
  return rc == MISTRAL_OK ? MISTRAL_OK
                          : m_err_set(err, rc, "out of memory while serializing the request");
}

int mistral_models_update(mistral_model_card **out, mistral_client *client,
                          const char *model_id, const char *name, const char *description,
                          const mistral_call_options *options, mistral_error *err) {
  int rc = check_args(out, 1, client, err);
  if (rc != MISTRAL_OK) return rc;
  m_buf path;
  char *body = NULL;
  size_t len = 0;
  rc = model_path(&path, client, "/v1/fine_tuning/models/", model_id, "", err);
  if (rc == MISTRAL_OK) rc = update_body(&body, &len, name, description, err);
  if (rc == MISTRAL_OK)
    rc = call_decode((void **)out, M_MODELS_FT_CARD, client, "PATCH", m_buf_str(&path), body,
                     len, options, err);
  free(body);
  m_buf_free(&path);
  return rc;
}

/* ---- helpers ---- */

const mistral_model_card *mistral_model_list_find(const mistral_model_list *list,
                                                  const char *id) {
  if (!list || !id) return NULL;
  for (size_t i = 0; i < list->model_count; i++)
    if (strcmp(list->models[i]->id, id) == 0) return list->models[i];
  for (size_t i = 0; i < list->model_count; i++)
    for (size_t k = 0; k < list->models[i]->alias_count; k++)
      if (strcmp(list->models[i]->aliases[k], id) == 0) return list->models[i];
  return NULL;
}

bool mistral_model_card_has_capability(const mistral_model_card *card, const char *name) {
  if (!card || !name || !card->capabilities) return false;
  for (size_t i = 0; i < card->capabilities->name_count; i++)
    if (strcmp(card->capabilities->names[i], name) == 0) return true;
  return false;
}

static void box_free(void *pub) {
  if (!pub) return;
  m_arena_box_free(pub, offsetof(m_models_box, arena));
}

void mistral_model_list_free(mistral_model_list *list) { box_free(list); }

void mistral_model_card_free(mistral_model_card *card) { box_free(card); }

void mistral_model_result_free(mistral_model_result *result) { box_free(result); }
