/* SPDX-License-Identifier: Apache-2.0 */
/* The client's settings, as the layers below the public API read them. */
#ifndef MISTRAL_CORE_CLIENT_H
#define MISTRAL_CORE_CLIENT_H

#include <stddef.h>

#include "mistral/client.h"

struct m_pool; /* lib/http/pool.h: idle connections */

struct mistral_client {
  mistral_allocator alloc;
  char *api_key;    /* wiped on change and on free */
  char *server_url; /* no trailing slash */
  char *user_agent; /* "mistral-client-c/<version>[ <suffix>]" */
  char **headers;   /* extra "Name: value" lines */
  size_t header_count;
  char *proxy, *ca_file, *ca_path;
  long connect_timeout_ms, timeout_ms, stream_idle_timeout_ms;
  size_t max_response_bytes;
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
