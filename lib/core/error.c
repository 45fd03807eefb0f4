/* SPDX-License-Identifier: Apache-2.0 */
#include "core/error.h"

#include "core/alloc.h"
#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct m_detail {
  char *loc, *msg, *type;
} m_detail;

struct mistral_error {
  int code;
  int http_status;
  int attempts;
  char *message;
  char *fields[M_ERR_FIELD_COUNT];
  m_detail *details;
  size_t detail_count;
};

mistral_error *mistral_error_new(void) { return calloc(1, sizeof(mistral_error)); }

void mistral_error_clear(mistral_error *err) {
  if (!err) return;
  free(err->message);
  for (int i = 0; i < M_ERR_FIELD_COUNT; i++) free(err->fields[i]);
  for (size_t i = 0; i < err->detail_count; i++) {
    free(err->details[i].loc);
    free(err->details[i].msg);
    free(err->details[i].type);
  }
  free(err->details);
  memset(err, 0, sizeof *err);
}

void mistral_error_free(mistral_error *err) {
  mistral_error_clear(err);
  free(err);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 0)))
#endif
static void set_message_v(mistral_error *err, const char *fmt, va_list ap) {
  free(err->message);
  err->message = NULL;
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return;
  err->message = malloc((size_t)n + 1);
  if (!err->message) return;
  vsnprintf(err->message, (size_t)n + 1, fmt, ap);
  /* Messages may quote bytes from the wire (a body cut at 200 bytes, a
   * stream event): the message is always valid UTF-8; the exact bytes stay
   * in the error's body. */
  m_utf8_sanitize(err->message, (size_t)n);
}

void m_err_move(mistral_error *dst, mistral_error *src) {
  if (!src || dst == src) return;
  if (!dst) {
    mistral_error_clear(src);
    return;
  }
  mistral_error_clear(dst);
  *dst = *src;
  memset(src, 0, sizeof *src);
}

int m_err_set(mistral_error *err, int code, const char *fmt, ...) {
  if (!err) return code;
  mistral_error_clear(err);
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  set_message_v(err, fmt, ap);
  va_end(ap);
  return code;
}

void m_err_set_message(mistral_error *err, const char *fmt, ...) {
  if (!err) return;
  va_list ap;
  va_start(ap, fmt);
  set_message_v(err, fmt, ap);
  va_end(ap);
}

void m_err_set_field(mistral_error *err, m_err_field field, const char *s, size_t n) {
  if (!err || field < 0 || field >= M_ERR_FIELD_COUNT) return;
  free(err->fields[field]);
  err->fields[field] = NULL;
  if (!s) return;
  char *d = malloc(n + 1);
  if (!d) return;
  memcpy(d, s, n);
  d[n] = '\0';
  err->fields[field] = d;
}

void m_err_set_http_status(mistral_error *err, int status) {
  if (err) err->http_status = status;
}

void m_err_set_attempts(mistral_error *err, int attempts) {
  if (err) err->attempts = attempts;
}

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

void m_err_add_detail(mistral_error *err, const char *loc, const char *msg, const char *type) {
  if (!err) return;
  m_detail *nd = realloc(err->details, (err->detail_count + 1) * sizeof *nd);
  if (!nd) return;
  err->details = nd;
  m_detail *d = &nd[err->detail_count++];
  d->loc = dup_or_null(loc);
  d->msg = dup_or_null(msg);
  d->type = dup_or_null(type);
}

/* Rewrites *slot with every occurrence of secret replaced. */
static void redact_one(char **slot, const char *secret, size_t slen) {
  static const char mask[] = "[REDACTED]";
  char *s = *slot;
  if (!s || !strstr(s, secret)) return;
  size_t count = 0;
  for (const char *p = s; (p = strstr(p, secret)) != NULL; p += slen) count++;
  size_t out_len = strlen(s) - count * slen + count * (sizeof mask - 1);
  char *out = malloc(out_len + 1);
  if (!out) {
    /* Cannot rebuild the string: drop it rather than leak the secret. */
    m_secure_zero(s, strlen(s));
    free(s);
    *slot = NULL;
    return;
  }
  char *w = out;
  const char *p = s, *hit;
  while ((hit = strstr(p, secret)) != NULL) {
    memcpy(w, p, (size_t)(hit - p));
    w += hit - p;
    memcpy(w, mask, sizeof mask - 1);
    w += sizeof mask - 1;
    p = hit + slen;
  }
  strcpy(w, p);
  m_secure_zero(s, strlen(s)); /* the unredacted text held the secret */
  free(s);
  *slot = out;
}

void m_err_redact(mistral_error *err, const char *secret) {
  if (!err || !secret || !*secret) return;
  size_t slen = strlen(secret);
  redact_one(&err->message, secret, slen);
  for (int i = 0; i < M_ERR_FIELD_COUNT; i++) redact_one(&err->fields[i], secret, slen);
  for (size_t i = 0; i < err->detail_count; i++) {
    redact_one(&err->details[i].loc, secret, slen);
    redact_one(&err->details[i].msg, secret, slen);
    redact_one(&err->details[i].type, secret, slen);
  }
}

int mistral_error_code(const mistral_error *err) { return err ? err->code : MISTRAL_OK; }

const char *mistral_error_message(const mistral_error *err) {
  if (!err || err->code == MISTRAL_OK) return "";
  return err->message ? err->message : mistral_strerror(err->code);
}

int mistral_error_http_status(const mistral_error *err) { return err ? err->http_status : 0; }

int mistral_error_attempts(const mistral_error *err) { return err ? err->attempts : 0; }

static const char *field(const mistral_error *err, m_err_field f) {
  return err ? err->fields[f] : NULL;
}

const char *mistral_error_api_message(const mistral_error *err) {
  return field(err, M_ERR_API_MESSAGE);
}
const char *mistral_error_api_type(const mistral_error *err) {
  return field(err, M_ERR_API_TYPE);
}
const char *mistral_error_api_code(const mistral_error *err) {
  return field(err, M_ERR_API_CODE);
}
const char *mistral_error_api_param(const mistral_error *err) {
  return field(err, M_ERR_API_PARAM);
}
const char *mistral_error_request_id(const mistral_error *err) {
  return field(err, M_ERR_REQUEST_ID);
}
const char *mistral_error_body(const mistral_error *err) { return field(err, M_ERR_BODY); }
const char *mistral_error_transport_message(const mistral_error *err) {
  return field(err, M_ERR_TRANSPORT);
}

size_t mistral_error_detail_count(const mistral_error *err) {
  return err ? err->detail_count : 0;
}

static const m_detail *detail(const mistral_error *err, size_t i) {
  return err && i < err->detail_count ? &err->details[i] : NULL;
}
const char *mistral_error_detail_loc(const mistral_error *err, size_t i) {
  const m_detail *d = detail(err, i);
  return d ? d->loc : NULL;
}
const char *mistral_error_detail_msg(const mistral_error *err, size_t i) {
  const m_detail *d = detail(err, i);
  return d ? d->msg : NULL;
}
const char *mistral_error_detail_type(const mistral_error *err, size_t i) {
  const m_detail *d = detail(err, i);
  return d ? d->type : NULL;
}

int mistral_error_is_retryable(const mistral_error *err) {
  if (!err) return 0;
  if (err->code == MISTRAL_E_HTTP)
    return err->http_status == 408 || err->http_status == 409;
  return mistral_status_is_retryable(err->code);
}

const char *mistral_strerror(int status) {
  switch ((mistral_status)status) {
  case MISTRAL_OK: return "success";
  case MISTRAL_E_INVALID_ARG: return "invalid argument";
  case MISTRAL_E_NOMEM: return "out of memory";
  case MISTRAL_E_NO_API_KEY: return "no API key (set MISTRAL_API_KEY)";
  case MISTRAL_E_CONNECT: return "could not connect to the server";
  case MISTRAL_E_DNS: return "could not resolve the server's host name";
  case MISTRAL_E_TIMEOUT: return "timed out";
  case MISTRAL_E_TLS: return "TLS failure";
  case MISTRAL_E_NETWORK: return "network failure";
  case MISTRAL_E_TRUNCATED: return "response cut short";
  case MISTRAL_E_BAD_RESPONSE: return "malformed response from the server";
  case MISTRAL_E_UNAUTHORIZED: return "unauthorized (API key refused)";
  case MISTRAL_E_FORBIDDEN: return "forbidden";
  case MISTRAL_E_NOT_FOUND: return "not found";
  case MISTRAL_E_VALIDATION: return "request rejected by validation";
  case MISTRAL_E_RATE_LIMITED: return "rate limited";
  case MISTRAL_E_SERVER: return "server error";
  case MISTRAL_E_HTTP: return "HTTP error";
  case MISTRAL_E_CANCELLED: return "cancelled";
  case MISTRAL_E_TOO_LARGE: return "response too large";
  case MISTRAL_E_INTERNAL: return "internal error";
  case MISTRAL_E_STREAM: return "malformed event stream";
  }
  return "unknown error";
}

int mistral_status_is_retryable(int status) {
  switch (status) {
  case MISTRAL_E_CONNECT:
  case MISTRAL_E_DNS:
  case MISTRAL_E_TIMEOUT:
  case MISTRAL_E_NETWORK:
  case MISTRAL_E_TRUNCATED:
  case MISTRAL_E_RATE_LIMITED:
  case MISTRAL_E_SERVER: return 1;
  default: return 0;
  }
}
