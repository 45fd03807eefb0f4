/* SPDX-License-Identifier: Apache-2.0 */
#include "http/transport.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/options.h"
#include "http/pool.h"
#include "http/retry.h"

struct m_exchange {
  mistral_client *client;
  const m_http_request *req;
  m_http_response *resp;
  CURL *h;
  struct curl_slist *headers;
  char *url;
  int too_large;     /* the body passed max_response_bytes */
  int cancelled;     /* the sink asked to stop */
  int oom;           /* a buffer could not grow */
  int headers_done;  /* the final response's headers are all in */
  struct timespec started;
  struct timespec last_activity; /* last byte received, for idle timeouts */
  char errbuf[CURL_ERROR_SIZE];
};

/* ---- response ---- */

void m_http_response_init(m_http_response *r, const mistral_allocator *alloc) {
  memset(r, 0, sizeof *r);
  m_buf_init(&r->body, alloc);
}

static void clear_headers(m_http_response *r) {
  for (size_t i = 0; i < r->header_count; i++) {
    m_free(r->body.alloc, r->headers[i].name);
    m_free(r->body.alloc, r->headers[i].value);
  }
  r->header_count = 0;
}

void m_http_response_free(m_http_response *r) {
  clear_headers(r);
  m_free(r->body.alloc, r->headers);
  r->headers = NULL;
  r->header_cap = 0;
  m_buf_free(&r->body);
}

const char *m_http_response_header(const m_http_response *r, const char *name) {
  for (size_t i = 0; i < r->header_count; i++)
    if (strcmp(r->headers[i].name, name) == 0) return r->headers[i].value;
  return NULL;
}

static int add_header(m_http_response *r, const char *name, size_t nlen, const char *value,
                      size_t vlen) {
  const mistral_allocator *a = r->body.alloc;
  if (r->header_count == r->header_cap) {
    size_t cap = r->header_cap ? r->header_cap * 2 : 16;
    m_header *grown = m_realloc(a, r->headers, cap * sizeof *grown);
    if (!grown) return MISTRAL_E_NOMEM;
    r->headers = grown;
    r->header_cap = cap;
  }
  char *n = m_strndup(a, name, nlen);
  char *v = m_strndup(a, value, vlen);
  if (!n || !v) {
    m_free(a, n);
    m_free(a, v);
    return MISTRAL_E_NOMEM;
  }
  for (char *p = n; *p; p++) *p = (char)tolower((unsigned char)*p);
  r->headers[r->header_count].name = n;
  r->headers[r->header_count].value = v;
  r->header_count++;
  return MISTRAL_OK;
}

/* ---- libcurl callbacks ---- */

static int is_success(long status) { return status >= 200 && status < 300; }

static void touch(m_exchange *x) { clock_gettime(CLOCK_MONOTONIC, &x->last_activity); }

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
  m_exchange *x = ud;
  size_t n = size * nmemb;
  touch(x);
  if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* A new response begins (after a 100 Continue, say): forget the last. */
    clear_headers(x->resp);
    long status = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    x->resp->status = (int)status;
    return n;
  }
  const char *colon = memchr(data, ':', n);
  if (!colon) {
    /* The blank line that ends a header block; 1xx blocks are not final. */
    if (x->resp->status >= 200) x->headers_done = 1;
    return n;
  }
  size_t nlen = (size_t)(colon - data);
  const char *v = colon + 1, *end = data + n;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
  if (add_header(x->resp, data, nlen, v, (size_t)(end - v)) != MISTRAL_OK) {
    x->oom = 1;
    return 0;
  }
  return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  m_exchange *x = ud;
  size_t n = size * nmemb;
  touch(x);
  long status = 0;
  curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
  if (x->req->sink && is_success(status)) {
    if (x->req->sink(data, n, x->req->sink_user_data) != 0) {
      x->cancelled = 1;
      return 0;
    }
    return n;
  }
  m_buf *b = &x->resp->body;
  if (n > x->client->max_response_bytes - b->len) {
    x->too_large = 1;
    return 0;
  }
  if (m_buf_append(b, data, n) != MISTRAL_OK) {
    x->oom = 1;
    return 0;
  }
  return n;
}

/* Called by libcurl many times a second during a transfer: stops it when
 * the caller's cancel flag is up. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  (void)dltotal;
  (void)dlnow;
  (void)ultotal;
  (void)ulnow;
  m_exchange *x = ud;
  if (*x->req->options->cancel) {
    x->cancelled = 1;
    return 1;
  }
  return 0;
}

/* ---- setup ---- */

/* A path must start with '/' and hold only characters allowed in a URL
 * (RFC 3986); anything else (spaces, CR, LF, quotes, non-ASCII) must be
 * percent-encoded by the caller. */
static int valid_path(const char *p) {
  if (!p || p[0] != '/') return 0;
  for (; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if (isalnum(ch) || strchr("-._~:/?#[]@!$&'()*+,;=%", ch)) continue;
    return 0;
  }
  return 1;
}

static int append_header_line(struct curl_slist **list, const char *line) {
  struct curl_slist *n = curl_slist_append(*list, line);
  if (!n) return MISTRAL_E_NOMEM;
  *list = n;
  return MISTRAL_OK;
}

/* A bodiless POST, PUT or PATCH still says "Content-Length: 0" (some
 * proxies refuse one without), and carries no Content-Type. */
static int sends_body(const m_http_request *req) {
  return req->body || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
         strcmp(req->method, "PATCH") == 0;
}

static int build_headers(m_exchange *x) {
  mistral_client *c = x->client;
  int rc;
  size_t klen = strlen(c->api_key);
  char *auth = m_malloc(&c->alloc, klen + sizeof "Authorization: Bearer ");
  if (!auth) return MISTRAL_E_NOMEM;
  memcpy(auth, "Authorization: Bearer ", sizeof "Authorization: Bearer " - 1);
  memcpy(auth + sizeof "Authorization: Bearer " - 1, c->api_key, klen + 1);
  rc = append_header_line(&x->headers, auth);
  m_secure_zero(auth, klen + sizeof "Authorization: Bearer ");
  m_free(&c->alloc, auth);
  if (rc) return rc;

  const char *accept = x->req->accept ? x->req->accept : "application/json";
  char line[128];
  snprintf(line, sizeof line, "Accept: %s", accept);
  if ((rc = append_header_line(&x->headers, line))) return rc;
  /* No body: an empty "Content-Type:" stops libcurl adding its form type. */
  const char *type = x->req->body ? "Content-Type: application/json"
                     : sends_body(x->req) ? "Content-Type:"
                                          : NULL;
  if (type && (rc = append_header_line(&x->headers, type))) return rc;
  /* No "Expect: 100-continue" round trip before large bodies. */
  if ((rc = append_header_line(&x->headers, "Expect:"))) return rc;
  for (size_t i = 0; i < c->header_count; i++)
    if ((rc = append_header_line(&x->headers, c->headers[i]))) return rc;
  return MISTRAL_OK;
}

/* Frees the header list, wiping the Authorization line first: the key must
 * not linger in freed memory. */
static void free_headers(struct curl_slist *list) {
  for (struct curl_slist *l = list; l; l = l->next)
    if (strncmp(l->data, "Authorization:", 14) == 0) m_secure_zero(l->data, strlen(l->data));
  curl_slist_free_all(list);
}

static int set_method(CURL *h, const m_http_request *req) {
  CURLcode rc;
  int with_body = sends_body(req);
  if (with_body) {
    rc = curl_easy_setopt(h, CURLOPT_POST, 1L);
    if (!rc) rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    if (!rc) rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
  } else {
    rc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  if (!rc)
    rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                          strcmp(req->method, with_body ? "POST" : "GET") == 0 ? NULL
                                                                              : req->method);
  return rc == CURLE_OK ? MISTRAL_OK : MISTRAL_E_INTERNAL;
}

static int configure(m_exchange *x) {
  mistral_client *c = x->client;
  CURL *h = x->h;
  int rc = build_headers(x);
  if (rc) return rc;
  size_t ulen = strlen(c->server_url) + strlen(x->req->path);
  if (!(x->url = m_malloc(&c->alloc, ulen + 1))) return MISTRAL_E_NOMEM;
  snprintf(x->url, ulen + 1, "%s%s", c->server_url, x->req->path);

  CURLcode cc = CURLE_OK;
#define SET(opt, val)                                    \
  do {                                                   \
    if (cc == CURLE_OK) cc = curl_easy_setopt(h, opt, val); \
  } while (0)
  SET(CURLOPT_URL, x->url);
  SET(CURLOPT_HTTPHEADER, x->headers);
  SET(CURLOPT_USERAGENT, c->user_agent);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  SET(CURLOPT_TCP_NODELAY, 1L);
  SET(CURLOPT_FOLLOWLOCATION, 0L); /* the API never redirects; a redirect
                                      must not carry the key elsewhere */
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  /* Trust the CAs the client was given, or else libcurl's built-in system
   * store. Setting CURLOPT_CAINFO/CAPATH to NULL would load no CA at all,
   * and a pooled handle keeps the last call's values: set all three. */
  char *ca_file = c->ca_file, *ca_path = c->ca_path;
  if (!c->ca_file && !c->ca_path && !c->ca_pem) {
    curl_easy_getinfo(h, CURLINFO_CAINFO, &ca_file);
    curl_easy_getinfo(h, CURLINFO_CAPATH, &ca_path);
  }
  struct curl_blob ca_blob = {c->ca_pem, c->ca_pem_len, CURL_BLOB_COPY};
  SET(CURLOPT_CAINFO, ca_file);
  /* Room in the shared connection cache for every thread's connection
   * (libcurl's default keeps 5 and closes the rest). */
  SET(CURLOPT_MAXCONNECTS, 32L);
  SET(CURLOPT_CAPATH, ca_path);
  SET(CURLOPT_CAINFO_BLOB, c->ca_pem ? &ca_blob : NULL);
  SET(CURLOPT_PROXY, c->proxy);
  SET(CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl can decode */
  const struct mistral_call_options *o = x->req->options;
  long connect_ms = o && o->connect_timeout_ms >= 0 ? o->connect_timeout_ms : c->connect_timeout_ms;
  long total_ms = o && o->timeout_ms >= 0 ? o->timeout_ms : c->timeout_ms;
  SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  /* A stream has no total limit: its idle timeout guards it instead. */
  SET(CURLOPT_TIMEOUT_MS, x->req->streaming ? 0L : total_ms);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, x);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, x);
  SET(CURLOPT_ERRORBUFFER, x->errbuf);
  int cancellable = o && o->cancel;
  SET(CURLOPT_NOPROGRESS, cancellable ? 0L : 1L);
  SET(CURLOPT_XFERINFOFUNCTION, cancellable ? on_progress : NULL);
  SET(CURLOPT_XFERINFODATA, x);
#undef SET
  if (cc == CURLE_OUT_OF_MEMORY) return MISTRAL_E_NOMEM;
  if (cc != CURLE_OK) return MISTRAL_E_INTERNAL;
  return set_method(h, x->req);
}

static void exchange_free(m_exchange *x, int keep_handle) {
  mistral_client *c = x->client;
  if (x->h) {
    /* Drop pointers into memory we are about to free. */
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, NULL);
    m_pool_release(c->pool, x->h, keep_handle);
  }
  free_headers(x->headers);
  m_free(&c->alloc, x->url);
  m_free(&c->alloc, x);
}

int m_exchange_begin(m_exchange **out, mistral_client *c, const m_http_request *req,
                     m_http_response *resp, mistral_error *err) {
  *out = NULL;
  if (!c->api_key)
    return m_err_set(err, MISTRAL_E_NO_API_KEY,
                     "no API key: set MISTRAL_API_KEY or call mistral_client_set_api_key()");
  if (!valid_path(req->path))
    return m_err_set(err, MISTRAL_E_INVALID_ARG,
                     "path must start with '/' and contain only URL characters "
                     "(percent-encode the rest)");
  m_exchange *x = m_calloc(&c->alloc, 1, sizeof *x);
  if (!x) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  x->client = c;
  x->req = req;
  x->resp = resp;
  if (!(x->h = m_pool_acquire(c->pool))) {
    exchange_free(x, 0);
    return m_err_set(err, MISTRAL_E_NOMEM, "out of memory (curl handle)");
  }
  int rc = configure(x);
  if (rc != MISTRAL_OK) {
    exchange_free(x, 0);
    return m_err_set(err, rc, "%s while preparing the request", mistral_strerror(rc));
  }
  clock_gettime(CLOCK_MONOTONIC, &x->started);
  x->last_activity = x->started;
  *out = x;
  return MISTRAL_OK;
}

CURL *m_exchange_handle(m_exchange *x) { return x->h; }

int m_exchange_headers_done(const m_exchange *x) { return x->headers_done; }

static int map_curl_code(CURLcode cc) {
  switch (cc) {
  case CURLE_OK: return MISTRAL_OK;
  case CURLE_COULDNT_CONNECT: return MISTRAL_E_CONNECT;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY: return MISTRAL_E_DNS;
  case CURLE_OPERATION_TIMEDOUT: return MISTRAL_E_TIMEOUT;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_USE_SSL_FAILED: return MISTRAL_E_TLS;
  case CURLE_PARTIAL_FILE: return MISTRAL_E_TRUNCATED;
  case CURLE_BAD_CONTENT_ENCODING: return MISTRAL_E_BAD_RESPONSE;
  case CURLE_OUT_OF_MEMORY: return MISTRAL_E_NOMEM;
  case CURLE_ABORTED_BY_CALLBACK: return MISTRAL_E_CANCELLED;
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT: return MISTRAL_E_INVALID_ARG;
  default: return MISTRAL_E_NETWORK;
  }
}

static double elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - since->tv_sec) * 1e3 +
         (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

double m_exchange_idle_ms(const m_exchange *x) { return elapsed_ms(&x->last_activity); }

int m_exchange_end(m_exchange *x, CURLcode cc, mistral_error *err) {
  mistral_client *c = x->client;
  int rc = map_curl_code(cc);
  if (x->too_large) rc = MISTRAL_E_TOO_LARGE;
  else if (x->cancelled) rc = MISTRAL_E_CANCELLED;
  else if (x->oom) rc = MISTRAL_E_NOMEM;

  double ms = elapsed_ms(&x->started);
  if (rc == MISTRAL_OK) {
    m_log(c, MISTRAL_LOG_DEBUG, "%s %s -> HTTP %d (%.1f ms, %zu bytes)", x->req->method,
          x->req->path, x->resp->status, ms, x->resp->body.len);
  } else {
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);
    if (rc == MISTRAL_E_TOO_LARGE)
      m_err_set(err, rc, "%s %s: response larger than the %zu-byte limit", x->req->method,
                x->req->path, c->max_response_bytes);
    else if (rc == MISTRAL_E_CANCELLED)
      m_err_set(err, rc, "%s %s: cancelled by the caller", x->req->method, x->req->path);
    else
      m_err_set(err, rc, "%s %s: %s: %s", x->req->method, x->req->path, mistral_strerror(rc),
                detail);
    m_err_set_field(err, M_ERR_TRANSPORT, detail, strlen(detail));
    m_err_set_http_status(err, x->resp->status);
    m_err_redact(err, c->api_key);
    m_log(c, MISTRAL_LOG_WARN, "%s %s failed after %.1f ms: %s", x->req->method, x->req->path,
          ms, mistral_strerror(rc));
  }
  /* A connection that ended in a transport failure or an abort is not
   * worth keeping: discard the handle and its connection. */
  exchange_free(x, rc == MISTRAL_OK);
  return rc;
}

/* One attempt: begin, curl_easy_perform, end. time_left_ms > 0 (the
 * deadline) shortens the attempt's time limit. */
static int perform_once(mistral_client *c, const m_http_request *req, m_http_response *resp,
                        long time_left_ms, mistral_error *err) {
  m_exchange *x = NULL;
  int rc = m_exchange_begin(&x, c, req, resp, err);
  if (rc != MISTRAL_OK) return rc;
  if (!x) return MISTRAL_E_INTERNAL; /* cannot happen; tells the optimiser so */
  if (time_left_ms > 0 && !req->streaming) {
    const struct mistral_call_options *o = req->options;
    long total_ms = o && o->timeout_ms >= 0 ? o->timeout_ms : c->timeout_ms;
    if (total_ms == 0 || time_left_ms < total_ms)
      curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, time_left_ms);
  }
  CURLcode cc = curl_easy_perform(m_exchange_handle(x));
  return m_exchange_end(x, cc, err);
}

int m_http_perform(mistral_client *c, const m_http_request *req, m_http_response *resp,
                   mistral_error *err) {
  m_retry r;
  m_retry_begin(&r, c, req->options, req->method, req->path);
  int rc;
  for (;;) {
    if (r.attempts > 0) {
      /* The failed response was read whole (or its connection dropped);
       * the next attempt sends the same request body again. */
      m_retry_reset_response(resp);
      if (req->sink_reset) req->sink_reset(req->sink_user_data);
      mistral_error_clear(err);
    }
    rc = perform_once(c, req, resp, m_retry_time_left_ms(&r), err);
    if (rc == MISTRAL_E_INVALID_ARG || rc == MISTRAL_E_NO_API_KEY || rc == MISTRAL_E_NOMEM ||
        rc == MISTRAL_E_INTERNAL) {
      /* Refused before anything was sent (or no memory): not an attempt. */
      if (r.attempts == 0) return rc;
    }
    if (!m_retry_next(&r, rc, resp, 1)) break;
  }
  resp->attempts = r.attempts;
  if (r.cancelled) rc = m_retry_cancelled_error(&r, err);
  if (rc != MISTRAL_OK) m_retry_note(&r, err);
  return rc;
}
