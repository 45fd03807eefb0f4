/* SPDX-License-Identifier: Apache-2.0 */
#include "core/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/utf8.h"
#include "http/pool.h"
#include "http/retry.h"
#include "mistral/version.h"

#define USER_AGENT_BASE "mistral-client-c/" MISTRAL_VERSION_STRING

int m_is_single_line(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7F) return 0;
  return 1;
}

/* A setting string must be valid UTF-8 on one line. */
static int valid_setting(const char *s) {
  return s && m_utf8_valid(s, strlen(s), NULL) && m_is_single_line(s);
}

/* Replaces *slot with a copy of value (NULL clears it). */
static int replace_string(mistral_client *c, char **slot, const char *value) {
  char *copy = NULL;
  if (value && !(copy = m_strdup(&c->alloc, value))) return MISTRAL_E_NOMEM;
  m_free(&c->alloc, *slot);
  *slot = copy;
  return MISTRAL_OK;
}

static void wipe_key(mistral_client *c) {
  if (c->api_key) {
    m_secure_zero(c->api_key, strlen(c->api_key));
    m_free(&c->alloc, c->api_key);
    c->api_key = NULL;
  }
}

int mistral_client_new(mistral_client **out) {
  return mistral_client_new_with_allocator(out, &mistral_default_allocator);
}

int mistral_client_new_with_allocator(mistral_client **out, const mistral_allocator *alloc) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  if (!alloc || !alloc->malloc_fn || !alloc->realloc_fn || !alloc->free_fn)
    return MISTRAL_E_INVALID_ARG;
  if (m_http_global_init() != MISTRAL_OK) return MISTRAL_E_INTERNAL;

  mistral_client *c = alloc->malloc_fn(sizeof *c, alloc->user_data);
  if (!c) return MISTRAL_E_NOMEM;
  memset(c, 0, sizeof *c);
  c->alloc = *alloc;
  c->connect_timeout_ms = MISTRAL_DEFAULT_CONNECT_TIMEOUT_MS;
  c->timeout_ms = MISTRAL_DEFAULT_TIMEOUT_MS;
  c->stream_idle_timeout_ms = MISTRAL_DEFAULT_STREAM_IDLE_TIMEOUT_MS;
  c->max_response_bytes = MISTRAL_DEFAULT_MAX_RESPONSE_BYTES;
  m_retry_policy_default(&c->retry);

  int rc = MISTRAL_E_NOMEM;
  if (!(c->user_agent = m_strdup(&c->alloc, USER_AGENT_BASE))) goto fail;
  if (!(c->pool = m_pool_new(&c->alloc))) goto fail;

  const char *env_key = getenv("MISTRAL_API_KEY");
  if (env_key && *env_key && (rc = mistral_client_set_api_key(c, env_key)) != MISTRAL_OK)
    goto fail;
  const char *env_url = getenv("MISTRAL_SERVER_URL");
  rc = mistral_client_set_server_url(c, env_url && *env_url ? env_url : NULL);
  if (rc != MISTRAL_OK) goto fail;

  *out = c;
  return MISTRAL_OK;
fail:
  mistral_client_free(c);
  return rc;
}

void mistral_client_free(mistral_client *c) {
  if (!c) return;
  m_pool_free(c->pool);
  wipe_key(c);
  m_free(&c->alloc, c->server_url);
  m_free(&c->alloc, c->user_agent);
  for (size_t i = 0; i < c->header_count; i++) m_free(&c->alloc, c->headers[i]);
  m_free(&c->alloc, c->headers);
  m_free(&c->alloc, c->proxy);
  m_free(&c->alloc, c->ca_file);
  m_free(&c->alloc, c->ca_path);
  m_free(&c->alloc, c->ca_pem);
  mistral_allocator a = c->alloc;
  m_free(&a, c);
}

int mistral_client_set_api_key(mistral_client *c, const char *key) {
  if (!c) return MISTRAL_E_INVALID_ARG;
  if (key && (!*key || !valid_setting(key) || strpbrk(key, " \t")))
    return MISTRAL_E_INVALID_ARG;
  char *copy = NULL;
  if (key && !(copy = m_strdup(&c->alloc, key))) return MISTRAL_E_NOMEM;
  wipe_key(c);
  c->api_key = copy;
  return MISTRAL_OK;
}

int mistral_client_set_server_url(mistral_client *c, const char *url) {
  if (!c) return MISTRAL_E_INVALID_ARG;
  if (!url) url = MISTRAL_DEFAULT_SERVER_URL;
  if (!valid_setting(url) || strchr(url, ' ')) return MISTRAL_E_INVALID_ARG;
  if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
    return MISTRAL_E_INVALID_ARG;
  size_t n = strlen(url);
  while (n > 0 && url[n - 1] == '/') n--;
  if (n <= strlen("https://") - (url[4] == ':' ? 1 : 0)) return MISTRAL_E_INVALID_ARG;
  char *copy = m_strndup(&c->alloc, url, n);
  if (!copy) return MISTRAL_E_NOMEM;
  m_free(&c->alloc, c->server_url);
  c->server_url = copy;
  return MISTRAL_OK;
}

const char *mistral_client_server_url(const mistral_client *c) {
  return c ? c->server_url : NULL;
}

int mistral_client_set_connect_timeout_ms(mistral_client *c, long ms) {
  if (!c || ms < 0) return MISTRAL_E_INVALID_ARG;
  c->connect_timeout_ms = ms ? ms : MISTRAL_DEFAULT_CONNECT_TIMEOUT_MS;
  return MISTRAL_OK;
}

int mistral_client_set_timeout_ms(mistral_client *c, long ms) {
  if (!c || ms < 0) return MISTRAL_E_INVALID_ARG;
  c->timeout_ms = ms;
  return MISTRAL_OK;
}

int mistral_client_set_stream_idle_timeout_ms(mistral_client *c, long ms) {
  if (!c || ms < 0) return MISTRAL_E_INVALID_ARG;
  c->stream_idle_timeout_ms = ms;
  return MISTRAL_OK;
}

int mistral_client_set_max_response_bytes(mistral_client *c, size_t max) {
  if (!c) return MISTRAL_E_INVALID_ARG;
  c->max_response_bytes = max ? max : MISTRAL_DEFAULT_MAX_RESPONSE_BYTES;
  return MISTRAL_OK;
}

int mistral_client_set_max_attempts(mistral_client *c, int attempts) {
  if (!c || attempts < 1 || attempts > MISTRAL_MAX_ATTEMPTS_LIMIT) return MISTRAL_E_INVALID_ARG;
  c->retry.max_attempts = attempts;
  return MISTRAL_OK;
}

int mistral_client_set_deadline_ms(mistral_client *c, long ms) {
  if (!c || ms < 0) return MISTRAL_E_INVALID_ARG;
  c->retry.deadline_ms = ms;
  return MISTRAL_OK;
}

int mistral_client_set_retry_backoff(mistral_client *c, long initial_ms, long max_interval_ms,
                                     double multiplier, double jitter) {
  if (!c || !m_retry_backoff_valid(initial_ms, max_interval_ms, multiplier, jitter))
    return MISTRAL_E_INVALID_ARG;
  c->retry.initial_ms = initial_ms;
  c->retry.max_interval_ms = max_interval_ms;
  c->retry.multiplier = multiplier;
  c->retry.jitter = jitter;
  return MISTRAL_OK;
}

int mistral_client_set_retry_after_max_ms(mistral_client *c, long ms) {
  if (!c || ms < 0) return MISTRAL_E_INVALID_ARG;
  c->retry.retry_after_max_ms = ms;
  return MISTRAL_OK;
}

int mistral_client_set_user_agent_suffix(mistral_client *c, const char *suffix) {
  if (!c) return MISTRAL_E_INVALID_ARG;
  if (suffix && !valid_setting(suffix)) return MISTRAL_E_INVALID_ARG;
  size_t n = strlen(USER_AGENT_BASE) + (suffix ? 1 + strlen(suffix) : 0);
  char *ua = m_malloc(&c->alloc, n + 1);
  if (!ua) return MISTRAL_E_NOMEM;
  snprintf(ua, n + 1, "%s%s%s", USER_AGENT_BASE, suffix ? " " : "", suffix ? suffix : "");
  m_free(&c->alloc, c->user_agent);
  c->user_agent = ua;
  return MISTRAL_OK;
}

/* RFC 9110 token characters. */
static int valid_header_name(const char *s) {
  if (!*s) return 0;
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch <= 0x20 || ch >= 0x7F || strchr("\"(),/:;<=>?@[\\]{}", ch)) return 0;
  }
  return 1;
}

static int reserved_header(const char *name) {
  static const char *const reserved[] = {"authorization", "content-type", "accept",
                                         "user-agent",    "content-length", "host",
                                         "transfer-encoding", "connection", "expect"};
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
    if (strcasecmp(name, reserved[i]) == 0) return 1;
  return 0;
}

int mistral_client_add_header(mistral_client *c, const char *name, const char *value) {
  if (!c || !name || !value || !valid_header_name(name) || reserved_header(name) ||
      !valid_setting(value))
    return MISTRAL_E_INVALID_ARG;
  size_t nlen = strlen(name), n = nlen + 2 + strlen(value);
  char *line = m_malloc(&c->alloc, n + 1);
  if (!line) return MISTRAL_E_NOMEM;
  snprintf(line, n + 1, "%s: %s", name, value);
  for (size_t i = 0; i < c->header_count; i++) {
    if (strncasecmp(c->headers[i], name, nlen) == 0 && c->headers[i][nlen] == ':') {
      m_free(&c->alloc, c->headers[i]);
      c->headers[i] = line;
      return MISTRAL_OK;
    }
  }
  char **grown = m_realloc(&c->alloc, c->headers, (c->header_count + 1) * sizeof *grown);
  if (!grown) {
    m_free(&c->alloc, line);
    return MISTRAL_E_NOMEM;
  }
  c->headers = grown;
  c->headers[c->header_count++] = line;
  return MISTRAL_OK;
}

int mistral_client_set_proxy(mistral_client *c, const char *proxy) {
  if (!c || (proxy && !valid_setting(proxy))) return MISTRAL_E_INVALID_ARG;
  return replace_string(c, &c->proxy, proxy);
}

int mistral_client_set_ca_file(mistral_client *c, const char *path) {
  if (!c || (path && !valid_setting(path))) return MISTRAL_E_INVALID_ARG;
  return replace_string(c, &c->ca_file, path);
}

int mistral_client_set_ca_path(mistral_client *c, const char *dir) {
  if (!c || (dir && !valid_setting(dir))) return MISTRAL_E_INVALID_ARG;
  return replace_string(c, &c->ca_path, dir);
}

/* Non-zero when the n bytes at s contain needle. */
static int contains(const char *s, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; k <= n && i <= n - k; i++)
    if (memcmp(s + i, needle, k) == 0) return 1;
  return 0;
}

int mistral_client_set_ca_pem(mistral_client *c, const char *pem, size_t len) {
  if (!c) return MISTRAL_E_INVALID_ARG;
  char *copy = NULL;
  if (pem) {
    if (len == 0 || !contains(pem, len, "-----BEGIN CERTIFICATE-----"))
      return MISTRAL_E_INVALID_ARG;
    if (!(copy = m_malloc(&c->alloc, len + 1))) return MISTRAL_E_NOMEM;
    memcpy(copy, pem, len);
    copy[len] = '\0';
  }
  m_free(&c->alloc, c->ca_pem);
  c->ca_pem = copy;
  c->ca_pem_len = pem ? len : 0;
  return MISTRAL_OK;
}

int mistral_client_set_log_callback(mistral_client *c, mistral_log_fn fn,
                                    mistral_log_level min_level, void *user_data) {
  if (!c || min_level < MISTRAL_LOG_ERROR || min_level > MISTRAL_LOG_DEBUG)
    return MISTRAL_E_INVALID_ARG;
  c->log_fn = fn;
  c->log_level = min_level;
  c->log_user_data = user_data;
  return MISTRAL_OK;
}

void m_log(const mistral_client *c, mistral_log_level level, const char *fmt, ...) {
  if (!c || !c->log_fn || level > c->log_level) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  c->log_fn(level, line, c->log_user_data);
}
