/* SPDX-License-Identifier: Apache-2.0 */
/* The escape hatch: any method and path, JSON text in and out. */
#include "mistral/raw.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "http/transport.h"
#include "core/alloc.h"
#include "core/error.h"
#include "json/json_util.h"

struct mistral_raw_response {
  mistral_allocator alloc; /* a copy: the response may outlive its client */
  m_http_response http;
};

static int valid_method(const char *m) {
  static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
    if (strcmp(m, methods[i]) == 0) return 1;
  return 0;
}

int mistral_raw_call(mistral_raw_response **out, mistral_client *client, const char *method,
                     const char *path, const char *json_body, mistral_error *err) {
  mistral_error_clear(err);
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (!client) return m_err_set(err, MISTRAL_E_INVALID_ARG, "client is NULL");
  if (!method || !valid_method(method))
    return m_err_set(err, MISTRAL_E_INVALID_ARG,
                     "method must be GET, POST, PUT, PATCH or DELETE");
  if (!path) return m_err_set(err, MISTRAL_E_INVALID_ARG, "path is NULL");
  if (json_body) {
    int code = MISTRAL_OK;
    char msg[M_MSG_MAX];
    json_t *v = m_json_parse_text(json_body, -1, "body", &code, msg);
    if (!v) return m_err_set(err, code, "%s", msg);
    json_decref(v);
  }

  mistral_raw_response *r = m_malloc(&client->alloc, sizeof *r);
  if (!r) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  r->alloc = client->alloc;
  m_http_response_init(&r->http, &r->alloc);
  m_http_request req = {.method = method,
                        .path = path,
                        .body = json_body,
                        .body_len = json_body ? strlen(json_body) : 0};
  int rc = m_http_perform(client, &req, &r->http, err);
  /* A body is always a valid string for the getters. */
  if (rc == MISTRAL_OK && !r->http.body.data && m_buf_append(&r->http.body, "", 0) != MISTRAL_OK)
    rc = m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  if (rc != MISTRAL_OK) {
    /* Nothing complete was received: no response to hand over. */
    mistral_raw_response_free(r);
    m_err_redact(err, client->api_key);
    return rc;
  }
  /* A whole response arrived: hand it over, error statuses included. */
  rc = m_http_status_error(&r->http, err);
  m_err_redact(err, client->api_key);
  *out = r;
  return rc;
}

int mistral_raw_response_status(const mistral_raw_response *r) { return r ? r->http.status : 0; }

const char *mistral_raw_response_body(const mistral_raw_response *r, size_t *len) {
  if (len) *len = r ? r->http.body.len : 0;
  return r ? m_buf_str(&r->http.body) : NULL;
}

const char *mistral_raw_response_header(const mistral_raw_response *r, const char *name) {
  if (!r || !name) return NULL;
  for (size_t i = 0; i < r->http.header_count; i++)
    if (strcasecmp(r->http.headers[i].name, name) == 0) return r->http.headers[i].value;
  return NULL;
}

size_t mistral_raw_response_header_count(const mistral_raw_response *r) {
  return r ? r->http.header_count : 0;
}

const char *mistral_raw_response_header_name(const mistral_raw_response *r, size_t i) {
  return r && i < r->http.header_count ? r->http.headers[i].name : NULL;
}

const char *mistral_raw_response_header_value(const mistral_raw_response *r, size_t i) {
  return r && i < r->http.header_count ? r->http.headers[i].value : NULL;
}

void mistral_raw_response_free(mistral_raw_response *r) {
  if (!r) return;
  mistral_allocator copy = r->alloc;
  m_http_response_free(&r->http);
  m_free(&copy, r);
}
