/* SPDX-License-Identifier: Apache-2.0 */
/* Writing one recorded exchange as a fixture file
 * (format: tests/fixtures/README.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define KEY_PLACEHOLDER "{{API_KEY}}"

/* The response headers worth keeping: what the library reads from a
 * response besides the body. */
static const char *const kept_headers[] = {
    "content-type",           "x-request-id", "mistral-correlation-id", "request-id",
    "x-model-deprecation-timestamp",
};

typedef struct text {
  char *data;
  size_t len;
  size_t cap;
  bool failed;
} text;

static void put(text *t, const char *p, size_t n) {
  if (t->failed) return;
  if (t->cap - t->len <= n) {
    size_t cap = t->cap ? t->cap : 1024;
    while (cap - t->len <= n) {
      if (cap > SIZE_MAX / 2) {
        t->failed = true;
        return;
      }
      cap *= 2;
    }
    char *grown = realloc(t->data, cap);
    if (!grown) {
      t->failed = true;
      return;
    }
    t->data = grown;
    t->cap = cap;
  }
  memcpy(t->data + t->len, p, n);
  t->len += n;
  t->data[t->len] = '\0';
}

static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

CLI_PRINTF(2, 3) static void putf(text *t, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) {
    t->failed = true;
    return;
  }
  put(t, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* A header value on one line (a fixture header cannot span lines). */
static void put_header(text *t, const char *name, const char *value) {
  puts_(t, name);
  puts_(t, ": ");
  for (const char *p = value; *p; p++) put(t, *p == '\r' || *p == '\n' ? " " : p, 1);
  puts_(t, "\n");
}

/* A JSON body pretty-printed, anything else as is. */
static void put_body(text *t, const char *body, size_t len) {
  char *pretty = cli_json_pretty(body, len);
  if (pretty) {
    puts_(t, pretty);
    free(pretty);
  } else {
    put(t, body, len);
  }
}

static const char *reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return NULL;
  }
}

/* The server URL without any "user:password@" part. */
static void put_server(text *t, const char *url) {
  const char *scheme_end = strstr(url, "://");
  const char *host = scheme_end ? scheme_end + 3 : url;
  const char *host_end = host + strcspn(host, "/?#");
  const char *at = NULL;
  for (const char *p = host; p < host_end; p++)
    if (*p == '@') at = p;
  if (!at) {
    puts_(t, url);
    return;
  }
  put(t, url, (size_t)(host - url));
  puts_(t, at + 1);
}

/* Replaces every occurrence of key in t by the placeholder. */
static void scrub(text *t, const char *key) {
  size_t klen = key ? strlen(key) : 0;
  if (!klen || t->failed || t->len < klen) return;
  text out = {0};
  size_t i = 0, last = 0;
  while (i + klen <= t->len) {
    if (t->data[i] == key[0] && memcmp(t->data + i, key, klen) == 0) {
      put(&out, t->data + last, i - last);
      puts_(&out, KEY_PLACEHOLDER);
      i += klen;
      last = i;
    } else {
      i++;
    }
  }
  if (last == 0) return; /* nothing to replace */
  put(&out, t->data + last, t->len - last);
  free(t->data);
  *t = out;
}

static void build(text *t, const cli_exchange *x) {
  const mistral_raw_response *r = x->response;
  char when[32] = "";
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);

  puts_(t, "# Recorded by `mistral record` (libmistral ");
  puts_(t, mistral_version());
  puts_(t, ") from ");
  put_server(t, x->server_url ? x->server_url : "?");
  putf(t, " on %s.\n", when);
  puts_(t, "# {{API_KEY}} stands for the key; the key itself is never recorded.\n");

  puts_(t, "=== request\n");
  putf(t, "%s ", x->method);
  puts_(t, x->target);
  puts_(t, "\n");
  if (x->body) put_header(t, "content-type", "application/json");
  put_header(t, "authorization", "Bearer " KEY_PLACEHOLDER);
  puts_(t, "\n");
  if (x->body) {
    put_body(t, x->body, strlen(x->body));
    puts_(t, "\n");
  }

  puts_(t, "=== response\n");
  int status = mistral_raw_response_status(r);
  const char *reason = reason_phrase(status);
  putf(t, "HTTP/1.1 %03d%s%s\n", status, reason ? " " : "", reason ? reason : "");
  for (size_t i = 0; i < sizeof kept_headers / sizeof *kept_headers; i++) {
    const char *value = mistral_raw_response_header(r, kept_headers[i]);
    if (value) put_header(t, kept_headers[i], value);
  }
  puts_(t, "\n");
  size_t len = 0;
  const char *body = mistral_raw_response_body(r, &len);
  put_body(t, body ? body : "", body ? len : 0);
  /* The reader drops one trailing newline, so the body stays exact. */
  puts_(t, "\n");

  scrub(t, x->api_key);
}

/* Writes data to path through a temporary file in the same directory. */
static int write_atomically(const char *path, const char *data, size_t len) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + sizeof ".tmp-XXXXXX");
  if (!tmp) {
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
  }
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
  int fd = mkstemp(tmp);
  if (fd < 0) {
    cli_error("cannot create %s: %s", tmp, strerror(errno));
    free(tmp);
    return CLI_EXIT_FAILURE;
  }
  /* mkstemp makes the file private; a fixture is an ordinary file. */
  mode_t mask = umask(0);
  umask(mask);
  int e = 0;
  if (fchmod(fd, 0666 & ~mask) != 0) e = errno;
  for (size_t off = 0; !e && off < len;) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0) {
      if (errno != EINTR) e = errno;
    } else {
      off += (size_t)n;
    }
  }
  if (!e && fsync(fd) != 0) e = errno;
  if (close(fd) != 0 && !e) e = errno;
  if (!e && rename(tmp, path) != 0) e = errno;
  if (e) {
    unlink(tmp);
    free(tmp);
    cli_error("cannot write %s: %s", path, strerror(e));
    return CLI_EXIT_FAILURE;
  }
  free(tmp);
  return CLI_EXIT_OK;
}

int cli_record_fixture(const char *path, const cli_exchange *x) {
  text t = {0};
  build(&t, x);
  if (t.failed) {
    free(t.data);
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
  }
  int status = write_atomically(path, t.data, t.len);
  free(t.data);
  return status;
}
