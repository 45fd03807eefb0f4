/* SPDX-License-Identifier: Apache-2.0 */
/* From a non-success HTTP response to an error object. The Mistral API
 * answers errors in three shapes, all handled here:
 *   {"object":"error","message":..., "type":..., "param":..., "code":...}
 *   {"detail":[{"loc":[...],"msg":...,"type":...}, ...]}   (FastAPI 422)
 *   {"detail":"text"}
 * and gateways in front of it add {"message":..., "request_id":...} (401) or
 * plain text and HTML (502). */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "http/retry.h"
#include "http/transport.h"
#include "json/jv.h"

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
 * structures as compact JSON text (ar holds the copy). */
static void set_from_json(mistral_error *err, m_err_field f, const m_jv *v, m_arena *ar) {
  if (!v || m_jv_is_null(v)) return;
  size_t len;
  const char *s = m_jv_string(v, &len);
  if (!s) s = m_jv_arena_compact(ar, v, &len);
  if (s) m_err_set_field(err, f, s, len);
}

/* "loc": ["body", "messages", 0, "content"] -> "body.messages.0.content" */
static void loc_path(const m_jv *loc, m_buf *out) {
  for (size_t i = 0; i < m_jv_len(loc); i++) {
    const m_jv *part = m_jv_at(loc, i);
    if (i) m_buf_append(out, ".", 1);
    if (m_jv_is_string(part)) m_buf_append_str(out, m_jv_string(part, NULL));
    else if (m_jv_is_int(part)) m_buf_printf(out, "%lld", (long long)m_jv_int(part));
  }
}

static void read_details(mistral_error *err, const m_jv *detail) {
  for (size_t i = 0; i < m_jv_len(detail); i++) {
    const m_jv *d = m_jv_at(detail, i);
    m_buf loc;
    m_buf_init(&loc, &mistral_default_allocator);
    const m_jv *l = m_jv_get(d, "loc");
    if (m_jv_is_array(l)) loc_path(l, &loc);
    m_err_add_detail(err, m_buf_str(&loc), m_jv_string(m_jv_get(d, "msg"), NULL),
                     m_jv_string(m_jv_get(d, "type"), NULL));
    m_buf_free(&loc);
  }
}

/* The one-line summary: "HTTP 422 (request rejected by validation): <what>". */
static void compose_message(mistral_error *err, int code, int http, const m_jv *root) {
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

  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  const m_jv *root = NULL;
  if (m_jv_parse(&root, &ar, m_buf_str(&resp->body), resp->body.len, NULL) != MISTRAL_OK)
    root = NULL;
  const m_jv *obj = m_jv_is_object(root) ? root : NULL;
  if (obj) {
    /* Some gateways nest the error: {"error": {"message": ...}}. */
    const m_jv *nested = m_jv_get(obj, "error");
    const m_jv *src = m_jv_is_object(nested) ? nested : obj;
    set_from_json(err, M_ERR_API_MESSAGE, m_jv_get(src, "message"), &ar);
    set_from_json(err, M_ERR_API_TYPE, m_jv_get(src, "type"), &ar);
    set_from_json(err, M_ERR_API_CODE, m_jv_get(src, "code"), &ar);
    set_from_json(err, M_ERR_API_PARAM, m_jv_get(src, "param"), &ar);
    const m_jv *detail = m_jv_get(obj, "detail");
    if (m_jv_is_array(detail)) read_details(err, detail);
    else if (m_jv_is_string(detail) && !mistral_error_api_message(err))
      set_from_json(err, M_ERR_API_MESSAGE, detail, &ar);
    const m_jv *rid = m_jv_get(obj, "request_id");
    if (m_jv_is_string(rid)) set_from_json(err, M_ERR_REQUEST_ID, rid, &ar);
  }
  const char *hid = m_http_request_id(resp);
  if (hid) m_err_set_field(err, M_ERR_REQUEST_ID, hid, strlen(hid));
  compose_message(err, code, http, obj);
  m_retry_note_attempts(resp->attempts, err); /* "... (after 3 attempts)" */
  m_arena_release(&ar);
  return code;
}
