/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/embeddings, the call: the body goes out, the answer's bytes go
 * into the incremental decoder as libcurl hands them over (the transport's
 * body sink), so the JSON body is never held whole. Also the response's
 * life (box, accessors) and the public face of the decoder. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/embeddings_internal.h"
#include "core/client.h"
#include "core/error.h"
#include "http/retry.h"
#include "http/transport.h"

static const char emb_path[] = "/v1/embeddings";

/* ---- responses ---- */

m_emb_response_box *m_emb_box_new(const mistral_allocator *alloc) {
  m_emb_response_box *box =
      m_arena_box_new(alloc, sizeof *box, offsetof(m_emb_response_box, arena));
  if (!box) return NULL;
  box->usage.json = "{}";
  box->pub.usage = &box->usage;
  return box;
}

void m_emb_box_free(m_emb_response_box *box) {
  if (!box) return;
  /* The box lives in its own arena: release through a copy. */
  m_arena doomed = box->arena;
  m_free(&doomed.alloc, box->matrix);
  m_arena_release(&doomed);
}

void mistral_embeddings_response_free(mistral_embeddings_response *resp) {
  m_emb_box_free((m_emb_response_box *)resp);
}

const float *mistral_embeddings_f32(const mistral_embeddings_response *resp) {
  return resp && resp->rows && resp->dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT
             ? (const float *)resp->data
             : NULL;
}

const int8_t *mistral_embeddings_i8(const mistral_embeddings_response *resp) {
  return resp && resp->rows &&
                 (resp->dtype == MISTRAL_EMBEDDINGS_DTYPE_INT8 ||
                  resp->dtype == MISTRAL_EMBEDDINGS_DTYPE_BINARY)
             ? (const int8_t *)resp->data
             : NULL;
}

const uint8_t *mistral_embeddings_u8(const mistral_embeddings_response *resp) {
  return resp && resp->rows &&
                 (resp->dtype == MISTRAL_EMBEDDINGS_DTYPE_UINT8 ||
                  resp->dtype == MISTRAL_EMBEDDINGS_DTYPE_UBINARY)
             ? (const uint8_t *)resp->data
             : NULL;
}

const void *mistral_embeddings_row(const mistral_embeddings_response *resp, size_t i) {
  if (!resp || i >= resp->rows || !resp->data) return NULL;
  return (const unsigned char *)resp->data + i * resp->row_bytes;
}

/* ---- the decoder, public face ---- */

int mistral_embeddings_decoder_new(mistral_embeddings_decoder **out,
                                   mistral_embeddings_dtype dtype, size_t expected_rows) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  return m_emb_decoder_new(out, &mistral_default_allocator, dtype, expected_rows, 0);
}

static int decoder_error(const mistral_embeddings_decoder *d, mistral_error *err) {
  return m_err_set(err, m_emb_decoder_status(d), "%s", m_emb_decoder_message(d));
}

int mistral_embeddings_decoder_feed(mistral_embeddings_decoder *d, const char *data,
                                    size_t len, mistral_error *err) {
  mistral_error_clear(err);
  if (!d) return m_err_set(err, MISTRAL_E_INVALID_ARG, "decoder is NULL");
  if (!data && len) return m_err_set(err, MISTRAL_E_INVALID_ARG, "data is NULL");
  if (m_emb_decoder_status(d) == MISTRAL_OK && m_emb_decoder_finished(d))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "the decoder has finished");
  if (m_emb_decoder_feed(d, data ? data : "", len) != MISTRAL_OK) return decoder_error(d, err);
  return MISTRAL_OK;
}

int mistral_embeddings_decoder_finish(mistral_embeddings_response **out,
                                      mistral_embeddings_decoder *d, mistral_error *err) {
  mistral_error_clear(err);
  if (out) *out = NULL;
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  if (!d) return m_err_set(err, MISTRAL_E_INVALID_ARG, "decoder is NULL");
  if (m_emb_decoder_status(d) == MISTRAL_OK && m_emb_decoder_finished(d))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "the decoder has finished");
  if (m_emb_decoder_end(out, d) != MISTRAL_OK) return decoder_error(d, err);
  return MISTRAL_OK;
}

int mistral_embeddings_response_parse(mistral_embeddings_response **out, const char *json,
                                      size_t len, mistral_embeddings_dtype dtype,
                                      size_t expected_rows, mistral_error *err) {
  mistral_error_clear(err);
  if (out) *out = NULL;
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  if (!json && len) return m_err_set(err, MISTRAL_E_INVALID_ARG, "json is NULL");
  mistral_embeddings_decoder *d;
  int rc = m_emb_decoder_new(&d, &mistral_default_allocator, dtype, expected_rows, 0);
  if (rc != MISTRAL_OK)
    return m_err_set(err, rc, rc == MISTRAL_E_NOMEM ? "out of memory" : "not a dtype");
  if (m_emb_decoder_feed(d, json ? json : "", len) != MISTRAL_OK ||
      m_emb_decoder_end(out, d) != MISTRAL_OK)
    rc = decoder_error(d, err);
  mistral_embeddings_decoder_free(d);
  return rc;
}

/* ---- the call ---- */

/* The sink's state: the decoder of the current attempt. A retry starts
 * over with a fresh decoder (sink_reset), so a failed attempt's rows never
 * mix with the next one's. */
typedef struct emb_sink {
  mistral_embeddings_decoder *d; /* NULL: a reset ran out of memory */
  const mistral_allocator *alloc;
  mistral_embeddings_dtype dtype;
  size_t rows, limit;
} emb_sink;

static int sink(const char *data, size_t n, void *user_data) {
  emb_sink *s = user_data;
  return !s->d || m_emb_decoder_feed(s->d, data, n) != MISTRAL_OK;
}

static void sink_reset(void *user_data) {
  emb_sink *s = user_data;
  mistral_embeddings_decoder_free(s->d);
  if (m_emb_decoder_new(&s->d, s->alloc, s->dtype, s->rows, s->limit) != MISTRAL_OK) s->d = NULL;
}

int m_emb_call(mistral_embeddings_response **out, mistral_client *client, const char *body,
               size_t len, mistral_embeddings_dtype dtype, size_t rows,
               const struct mistral_call_options *options, mistral_error *err) {
  *out = NULL;
  emb_sink s = {NULL, &client->alloc, dtype, rows, client->max_response_bytes};
  int rc = m_emb_decoder_new(&s.d, s.alloc, dtype, rows, s.limit);
  if (rc != MISTRAL_OK) return m_err_set(err, rc, "out of memory");
  m_http_response resp;
  m_http_response_init(&resp, &client->alloc);
  m_http_request hr = {.method = "POST", .path = emb_path, .body = body, .body_len = len,
                       .sink = sink, .sink_user_data = &s, .sink_reset = sink_reset,
                       .options = options};
  rc = m_http_perform(client, &hr, &resp, err);
  if (!s.d) {
    rc = m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  } else if (m_emb_decoder_status(s.d) != MISTRAL_OK) {
    /* The sink stopped the transfer: the decoder says why. */
    rc = m_err_set(err, m_emb_decoder_status(s.d), "%s", m_emb_decoder_message(s.d));
    m_retry_note_attempts(resp.attempts, err);
  }
  if (rc == MISTRAL_OK) rc = m_http_status_error(&resp, err);
  if (rc == MISTRAL_OK && m_emb_decoder_end(out, s.d) != MISTRAL_OK) {
    rc = m_err_set(err, m_emb_decoder_status(s.d), "%s", m_emb_decoder_message(s.d));
    m_retry_note_attempts(resp.attempts, err);
  }
  if (rc == MISTRAL_OK) {
    const char *rid = m_http_request_id(&resp);
    m_emb_response_box *box = (m_emb_response_box *)*out;
    if (rid && !(box->pub.request_id = m_arena_strdup(&box->arena, rid))) {
      mistral_embeddings_response_free(*out);
      *out = NULL;
      rc = m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
    }
  } else if (resp.status >= 200 && resp.status < 300) {
    /* An answer arrived but cannot be used: its status and request id
     * stay on err (for support). */
    m_api_mark_undecodable(client, &resp, err);
  }
  if (rc != MISTRAL_OK) {
    /* The decoder's messages may quote the body, which may echo the key. */
    m_err_redact(err, client->api_key);
    m_log(client, MISTRAL_LOG_INFO, "POST %s failed: %s", emb_path, mistral_error_message(err));
  }
  m_http_response_free(&resp);
  mistral_embeddings_decoder_free(s.d);
  return rc;
}

int mistral_embeddings_create(mistral_embeddings_response **out, mistral_client *client,
                              const mistral_embeddings_request *req, mistral_error *err) {
  mistral_error_clear(err);
  if (out) *out = NULL;
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  if (!client) return m_err_set(err, MISTRAL_E_INVALID_ARG, "client is NULL");
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");
  char *body;
  size_t len;
  int rc = m_emb_request_body(&body, &len, req, 0, 0, 0, err);
  if (rc != MISTRAL_OK) return rc;
  rc = m_emb_call(out, client, body, len, m_emb_request_dtype(req),
                  mistral_embeddings_request_input_count(req), m_emb_request_options(req), err);
  free(body);
  return rc;
}
