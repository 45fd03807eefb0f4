/* SPDX-License-Identifier: Apache-2.0 */
/* From a non-success HTTP response to an error object. The Mistral API
 * answers errors in three shapes, all handled here:
 *   {"object":"error","message":..., "type":..., "param":..., "code":...}
 *   {"detail":[{"loc":[...],"msg":...,"type":...}, ...]}   (FastAPI 422)
 *   {"detail":"text"}
 * and gateways in front of it add {"message":..., "request_id":...} (401) or
 * plain text and HTML (502). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "http/transport.h"
#include "json/json_util.h"

static const char *const request_id_headers[] = {"x-request-id", "mistral-correlation-id",
                                                 "x-kong-request-id"};

const char *m_http_request_id(const m_http_response *resp) {
  for (size_t i = 0; i < sizeof request_id_headers / sizeof *request_id_headers; i++) {
    const char *v = m_http_response_header(resp, request_id_headers[i]);
    if (v && *v) return v;
  }
  return NULL;
}

static int status_code(int http) {
  switch (http) {
  case 401: return MISTRAL_E_UNAUTHORIZED;
  case 403: return MISTRAL_E_FORBIDDEN;
  case 404: return MISTRAL_E_NOT_FOUND;
  case 422: return MISTRAL_E_VALIDATION;
  case 429: return MISTRAL_E_RATE_LIMITED;
  default: return http >= 500 && http < 600 ? MISTRAL_E_SERVER : MISTRAL_E_HTTP;
  }
}

/* Sets an error field from a JSON value: strings as they are, numbers and
 * structures as compact JSON text. */
static void set_from_json(mistral_error *err, m_err_field f, json_t *v) {
  if (!v || json_is_null(v)) return;
  if (json_is_string(v)) {
    m_err_set_field(err, f, json_string_value(v), json_string_length(v));
    return;
  }
  char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (text) m_err_set_field(err, f, text, strlen(text));
  free(text);
}

/* "loc": ["body", "messages", 0, "content"] -> "body.messages.0.content" */
static void loc_path(json_t *loc, m_buf *out) {
  size_t i;
  json_t *part;
  json_array_foreach(loc, i, part) {
    if (i) m_buf_append(out, ".", 1);
    if (json_is_string(part)) m_buf_append_str(out, json_string_value(part));
    else if (json_is_integer(part)) m_buf_printf(out, "%lld", (long long)json_integer_value(part));
  }
}

static void read_details(mistral_error *err, json_t *detail) {
  size_t i;
  json_t *d;
  json_array_foreach(detail, i, d) {
    m_buf loc;
    m_buf_init(&loc, &mistral_default_allocator);
    json_t *l = json_object_get(d, "loc");
    if (json_is_array(l)) loc_path(l, &loc);
    m_err_add_detail(err, m_buf_str(&loc), json_string_value(json_object_get(d, "msg")),
                     json_string_value(json_object_get(d, "type")));
    m_buf_free(&loc);
  }
}

/* The one-line summary: "HTTP 422 (request rejected by validation): <what>". */
static void compose_message(mistral_error *err, int code, int http, json_t *root) {
  m_buf msg;
  m_buf_init(&msg, &mistral_default_allocator);
  const char *api = mistral_error_api_message(err);
  size_t nd = mistral_error_detail_count(err);
  if (nd) {
    for (size_t i = 0; i < nd && i < 3; i++)
      m_buf_printf(&msg, "%s%s: %s", i ? "; " : "", mistral_error_detail_loc(err, i),
                   mistral_error_detail_msg(err, i) ? mistral_error_detail_msg(err, i) : "?");
    if (nd > 3) m_buf_printf(&msg, "; and %zu more", nd - 3);
  } else if (api) {
    m_buf_append_str(&msg, api);
  } else if (!root) {
    m_buf_append_str(&msg, mistral_error_body(err) ? "the body is not JSON" : "empty body");
  } else {
    m_buf_append_str(&msg, "no error message in the body");
  }
  const char *rid = mistral_error_request_id(err);
  if (rid) m_buf_printf(&msg, " [request id %s]", rid);
  m_err_set_message(err, "HTTP %d (%s): %s", http, mistral_strerror(code), m_buf_str(&msg));
  m_buf_free(&msg);
}

int m_http_status_error(const m_http_response *resp, mistral_error *err) {
  int http = resp->status;
  if (http >= 200 && http < 300) return MISTRAL_OK;
  int code = status_code(http);
  if (!err) return code;
  m_err_set(err, code, "HTTP %d", http);
  m_err_set_http_status(err, http);
  m_err_set_field(err, M_ERR_BODY, resp->body.data, resp->body.len);

  json_t *root = json_loadb(m_buf_str(&resp->body), resp->body.len, 0, NULL);
  json_t *obj = json_is_object(root) ? root : NULL;
  if (obj) {
    /* Some gateways nest the error: {"error": {"message": ...}}. */
    json_t *nested = json_object_get(obj, "error");
    json_t *src = json_is_object(nested) ? nested : obj;
    set_from_json(err, M_ERR_API_MESSAGE, json_object_get(src, "message"));
    set_from_json(err, M_ERR_API_TYPE, json_object_get(src, "type"));
    set_from_json(err, M_ERR_API_CODE, json_object_get(src, "code"));
    set_from_json(err, M_ERR_API_PARAM, json_object_get(src, "param"));
    json_t *detail = json_object_get(obj, "detail");
    if (json_is_array(detail)) read_details(err, detail);
    else if (json_is_string(detail) && !mistral_error_api_message(err))
      set_from_json(err, M_ERR_API_MESSAGE, detail);
    json_t *rid = json_object_get(obj, "request_id");
    if (json_is_string(rid)) set_from_json(err, M_ERR_REQUEST_ID, rid);
  }
  const char *hid = m_http_request_id(resp);
  if (hid) m_err_set_field(err, M_ERR_REQUEST_ID, hid, strlen(hid));
  compose_message(err, code, http, obj);
  json_decref(root);
  return code;
}
