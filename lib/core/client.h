/* SPDX-License-Identifier: Apache-2.0 */
/* The client's settings, as the layers below the public API read them. */
#ifndef MISTRAL_CORE_CLIENT_H
#define MISTRAL_CORE_CLIENT_H

#include <stddef.h>

#include "mistral/client.h"

struct m_pool; /* lib/http/pool.h: idle connections */

/* A retry policy with every field set: the client's own, or one resolved
 * for a call (lib/http/retry.h applies it). */
typedef struct m_retry_policy {
  int max_attempts;        /* >= 1; 1: no retries */
  long deadline_ms;        /* across every attempt and wait; 0: none */
  long initial_ms;         /* wait before the first retry */
  long max_interval_ms;    /* no computed wait is longer */
  double multiplier;       /* >= 1: growth of the wait per retry */
  double jitter;           /* 0..1: the wait is drawn from [w * (1 - jitter), w] */
  long retry_after_max_ms; /* cap on a server's Retry-After / Retry-After-Ms */
} m_retry_policy;

struct mistral_client {
  mistral_allocator alloc;
  char *api_key;    /* wiped on change and on free */
  char *server_url; /* no trailing slash */
  char *user_agent; /* "mistral-client-c/<version>[ <suffix>]" */
  char **headers;   /* extra "Name: value" lines */
  size_t header_count;
  char *proxy, *ca_file, *ca_path;
  char *ca_pem; size_t ca_pem_len; /* in-memory CA bundle (PEM), or NULL */
  long connect_timeout_ms, timeout_ms, stream_idle_timeout_ms;
  size_t max_response_bytes;
  m_retry_policy retry;
  mistral_log_fn log_fn;
  mistral_log_level log_level;
  void *log_user_data;
  struct m_pool *pool;
};

/* Formats and hands one line to the client's log callback, if any is set and
 * level passes its filter. Never pass the API key in the arguments. */
void m_log(const mistral_client *c, mistral_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* True when s holds no byte below 0x20 (other than tab) and no DEL: what a
 * header value or a single-line setting may contain. */
int m_is_single_line(const char *s);

#endif
