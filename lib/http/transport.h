/* SPDX-License-Identifier: Apache-2.0 */
/* One HTTP exchange with the API: the request/response core that every call
 * (typed, raw, and later streaming and non-blocking) sits on. It knows
 * nothing of chat or embeddings.
 *
 * An exchange is prepared (m_exchange_begin: an easy handle from the pool,
 * every option set), driven by a driver (m_http_perform here drives it with
 * curl_easy_perform; a curl multi driver can drive the same handle), and
 * finished (m_exchange_end: the outcome mapped to a status, the handle back
 * in the pool). */
#ifndef MISTRAL_HTTP_TRANSPORT_H
#define MISTRAL_HTTP_TRANSPORT_H

#include <curl/curl.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/client.h"
#include "mistral/error.h"

/* Called with body bytes as they arrive, once the status is known to be a
 * success; non-zero stops the transfer (MISTRAL_E_CANCELLED, or the status
 * the callback stored in *status_out when it set one). */
typedef int (*m_body_sink)(const char *data, size_t n, void *user_data);

typedef struct m_http_request {
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* "/v1/chat/completions", already percent-encoded */
  const char *body;   /* NULL: no body */
  size_t body_len;
  const char *accept; /* NULL: "application/json" */
  m_body_sink sink;   /* NULL: collect the body into the response */
  void *sink_user_data;
  /* Called before each retry (m_http_perform) so that the sink starts
   * over; NULL: nothing to reset. */
  void (*sink_reset)(void *sink_user_data);
  /* A stream: no total time limit (the idle timeout guards it instead). */
  int streaming;
  /* Per-call overrides of the client's settings; NULL: none. */
  const struct mistral_call_options *options;
} m_http_request;

typedef struct m_header {
  char *name; /* lower-case */
  char *value;
} m_header;

typedef struct m_http_response {
  int status;
  m_buf body; /* the body, unless a sink took it (error bodies always land here) */
  m_header *headers;
  size_t header_count, header_cap;
  int attempts; /* attempts that led to this response (m_http_perform, streams) */
} m_http_response;

void m_http_response_init(m_http_response *resp, const mistral_allocator *alloc);
void m_http_response_free(m_http_response *resp);
/* First header with this (lower-case) name, or NULL. */
const char *m_http_response_header(const m_http_response *resp, const char *name);

typedef struct m_exchange m_exchange;

/* Checks what can be checked before any traffic (API key, method, path),
 * takes an easy handle and sets it up. On failure returns the status, fills
 * err and leaves *out NULL. */
int m_exchange_begin(m_exchange **out, mistral_client *c, const m_http_request *req,
                     m_http_response *resp, mistral_error *err);
CURL *m_exchange_handle(m_exchange *x);
/* Non-zero once the final response's headers have all arrived. */
int m_exchange_headers_done(const m_exchange *x);
/* Milliseconds since the last byte arrived (or since the start). */
double m_exchange_idle_ms(const m_exchange *x);
/* Maps the transfer's outcome to a status (transport errors only: an HTTP
 * error status is still MISTRAL_OK here), fills err, and frees x. */
int m_exchange_end(m_exchange *x, CURLcode result, mistral_error *err);

/* The blocking driver: begin, curl_easy_perform, end. The non-blocking
 * driver is lib/http/transfer.h. */
int m_http_perform(mistral_client *c, const m_http_request *req, m_http_response *resp,
                   mistral_error *err);

/* Turns a non-success HTTP status into the matching error, reading the API's
 * error body (message, type, code, param, FastAPI validation details) and
 * the request id. Returns MISTRAL_OK for 2xx. */
int m_http_status_error(const m_http_response *resp, mistral_error *err);

/* The server's request id from the usual headers, or NULL. */
const char *m_http_request_id(const m_http_response *resp);

#endif
