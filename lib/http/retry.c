/* SPDX-License-Identifier: Apache-2.0 */
#include "http/retry.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/alloc.h"
#include "core/error.h"

/* ---- policy ---- */

void m_retry_policy_default(m_retry_policy *p) {
  p->max_attempts = MISTRAL_DEFAULT_MAX_ATTEMPTS;
  p->deadline_ms = MISTRAL_DEFAULT_DEADLINE_MS;
  p->initial_ms = MISTRAL_DEFAULT_RETRY_INITIAL_MS;
  p->max_interval_ms = MISTRAL_DEFAULT_RETRY_MAX_INTERVAL_MS;
  p->multiplier = MISTRAL_DEFAULT_RETRY_MULTIPLIER;
  p->jitter = MISTRAL_DEFAULT_RETRY_JITTER;
  p->retry_after_max_ms = MISTRAL_DEFAULT_RETRY_AFTER_MAX_MS;
}

void m_retry_policy_resolve(m_retry_policy *out, const mistral_client *c,
                            const struct mistral_call_options *o) {
  *out = c->retry;
  if (!o) return;
  if (o->max_attempts > 0) out->max_attempts = o->max_attempts;
  if (o->deadline_ms >= 0) out->deadline_ms = o->deadline_ms;
  if (o->retry_initial_ms >= 0) {
    /* The four backoff settings are set together. */
    out->initial_ms = o->retry_initial_ms;
    out->max_interval_ms = o->retry_max_interval_ms;
    out->multiplier = o->retry_multiplier;
    out->jitter = o->retry_jitter;
  }
  if (o->retry_after_max_ms >= 0) out->retry_after_max_ms = o->retry_after_max_ms;
}

int m_retry_backoff_valid(long initial_ms, long max_interval_ms, double multiplier,
                          double jitter) {
  return initial_ms >= 0 && max_interval_ms >= initial_ms && isfinite(multiplier) &&
         multiplier >= 1.0 && jitter >= 0.0 && jitter <= 1.0;
}

int m_retry_http_status(int s) {
  return s == 408 || s == 409 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

int m_retry_transport_status(int status) {
  switch (status) {
  case MISTRAL_E_CONNECT:
  case MISTRAL_E_DNS:
  case MISTRAL_E_NETWORK:
  case MISTRAL_E_TRUNCATED:
  case MISTRAL_E_TIMEOUT: return 1;
  default: return 0;
  }
}

/* ---- waits ---- */

long m_retry_backoff_ms(const m_retry_policy *p, int retry, double u) {
  if (retry < 1) retry = 1;
  double max = (double)p->max_interval_ms;
  double w = (double)p->initial_ms;
  if (w > 0.0 && p->multiplier > 1.0) {
    w *= pow(p->multiplier, (double)(retry - 1)); /* may overflow to inf: capped below */
    if (!(w <= max)) w = max;
  }
  if (w > max) w = max;
  if (!(u >= 0.0)) u = 0.0; /* also NaN */
  if (u >= 1.0) u = nextafter(1.0, 0.0);
  double j = p->jitter < 0.0 ? 0.0 : p->jitter > 1.0 ? 1.0 : p->jitter;
  w -= w * j * u;
  if (w <= 0.0) return 0;
  w = ceil(w);
  return w >= (double)LONG_MAX ? LONG_MAX : (long)w;
}

static const char *skip_ws(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

/* Saturating ms from seconds. */
static long seconds_to_ms(double seconds) {
  if (seconds <= 0.0) return 0;
  double ms = seconds * 1000.0;
  return ms >= (double)LONG_MAX ? LONG_MAX : (long)ms;
}

int m_retry_parse_after(const char *value, time_t now, long *ms) {
  if (!value) return 0;
  const char *s = skip_ws(value);
  if (isdigit((unsigned char)*s)) {
    /* delta-seconds: 1*DIGIT */
    const char *p = s;
    double secs = 0.0;
    while (isdigit((unsigned char)*p)) secs = secs * 10.0 + (*p++ - '0');
    if (*skip_ws(p) != '\0') return 0;
    *ms = seconds_to_ms(secs);
    return 1;
  }
  /* An HTTP-date (RFC 9110 section 5.6.7), read by libcurl's date parser,
   * which takes the three forms and a few lenient variants (a missing or
   * "UTC" zone, a one-digit day); the wait is capped by the caller anyway. */
  time_t when = curl_getdate(s, NULL);
  if (when == (time_t)-1) return 0;
  *ms = seconds_to_ms(difftime(when, now));
  return 1;
}

int m_retry_parse_after_ms(const char *value, long *ms) {
  if (!value) return 0;
  const char *s = skip_ws(value);
  if (!isdigit((unsigned char)*s)) return 0; /* no sign, no "inf", no "nan" */
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *skip_ws(end) != '\0' || !isfinite(v) || v < 0.0) return 0;
  /* strtod accepts hexadecimal and exponents: only plain decimals here. */
  for (const char *p = s; p < end; p++)
    if (!isdigit((unsigned char)*p) && *p != '.') return 0;
  v = ceil(v);
  *ms = v >= (double)LONG_MAX ? LONG_MAX : (long)v;
  return 1;
}

long m_retry_wait_ms(const m_retry_policy *p, int retry, double u, const m_http_response *resp,
                     time_t now, int *from_server) {
  long ms = 0;
  int server = 0;
  if (resp) {
    server = m_retry_parse_after_ms(m_http_response_header(resp, "retry-after-ms"), &ms) ||
             m_retry_parse_after(m_http_response_header(resp, "retry-after"), now, &ms);
  }
  if (from_server) *from_server = server;
  if (!server) return m_retry_backoff_ms(p, retry, u);
  return ms > p->retry_after_max_ms ? p->retry_after_max_ms : ms;
}

/* ---- the loop ---- */

static double elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - since->tv_sec) * 1e3 +
         (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

/* splitmix64: jitter needs spread, not secrecy. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static double next_unit(uint64_t *state) {
  return (double)(next_random(state) >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
}

void m_retry_begin(m_retry *r, const mistral_client *c, const struct mistral_call_options *o,
                   const char *method, const char *path) {
  memset(r, 0, sizeof *r);
  m_retry_policy_resolve(&r->policy, c, o);
  r->client = c;
  r->cancel = o ? o->cancel : NULL;
  r->method = method;
  r->path = path;
  clock_gettime(CLOCK_MONOTONIC, &r->started);
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  r->rng = (uint64_t)r->started.tv_nsec ^ ((uint64_t)wall.tv_sec << 20) ^
           (uint64_t)wall.tv_nsec ^ (uint64_t)(uintptr_t)r;
}

long m_retry_time_left_ms(const m_retry *r) {
  if (r->policy.deadline_ms <= 0) return 0;
  double left = (double)r->policy.deadline_ms - elapsed_ms(&r->started);
  /* Rounded up: an attempt cut at the deadline must not end a fraction of
   * a millisecond before it, leaving room for a pointless last retry. */
  return left < 1.0 ? 1 : (long)ceil(left);
}

/* Sleeps ms, looking at the cancel flag every 50 ms at most. Returns 0, or
 * 1 when the flag went up. */
static int wait_ms(const volatile int *cancel, long ms) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (cancel && *cancel) return 1;
    double left = (double)ms - elapsed_ms(&start);
    if (left <= 0.0) return 0;
    double slice = cancel && left > 50.0 ? 50.0 : left;
    struct timespec ts = {(time_t)(slice / 1000.0), 0};
    ts.tv_nsec = (long)((slice - (double)ts.tv_sec * 1000.0) * 1e6);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    nanosleep(&ts, NULL); /* an interrupted sleep just loops */
  }
}

/* "HTTP 503" or "could not connect to the server". */
static void describe(char *buf, size_t n, int status, const m_http_response *resp) {
  if (status == MISTRAL_OK && resp) snprintf(buf, n, "HTTP %d", resp->status);
  else snprintf(buf, n, "%s", mistral_strerror(status));
}

void m_retry_begun(m_retry *r, const m_http_response *resp) {
  r->attempts++;
  r->begun = 1;
  m_log(r->client, MISTRAL_LOG_INFO, "%s %s: attempt %d/%d: HTTP %d, stream begun", r->method,
        r->path, r->attempts, r->policy.max_attempts, resp->status);
}

int m_retry_next(m_retry *r, int status, const m_http_response *resp, int may_retry) {
  if (!r->begun) r->attempts++;
  r->begun = 0;
  const m_retry_policy *p = &r->policy;
  char what[96];
  describe(what, sizeof what, status, resp);
  int worth = may_retry && (status == MISTRAL_OK ? resp && m_retry_http_status(resp->status)
                                                 : m_retry_transport_status(status));
  double spent = elapsed_ms(&r->started);
  if (!worth) {
    m_log(r->client, MISTRAL_LOG_INFO, "%s %s: attempt %d/%d: %s (%.0f ms in all)", r->method,
          r->path, r->attempts, p->max_attempts, what, spent);
    return 0;
  }
  if (r->attempts >= p->max_attempts) {
    m_log(r->client, MISTRAL_LOG_WARN, "%s %s: attempt %d/%d: %s; no attempts left", r->method,
          r->path, r->attempts, p->max_attempts, what);
    return 0;
  }
  int from_server = 0;
  long wait = m_retry_wait_ms(p, r->attempts, next_unit(&r->rng),
                              status == MISTRAL_OK ? resp : NULL, time(NULL), &from_server);
  if (p->deadline_ms > 0 && spent + (double)wait >= (double)p->deadline_ms) {
    m_log(r->client, MISTRAL_LOG_WARN,
          "%s %s: attempt %d/%d: %s; no retry: waiting %ld ms would pass the %ld ms deadline",
          r->method, r->path, r->attempts, p->max_attempts, what, wait, p->deadline_ms);
    return 0;
  }
  m_log(r->client, MISTRAL_LOG_WARN, "%s %s: attempt %d/%d: %s; retrying in %ld ms%s", r->method,
        r->path, r->attempts, p->max_attempts, what, wait,
        from_server ? " (as the server asked)" : "");
  if (wait_ms(r->cancel, wait)) {
    r->cancelled = 1;
    m_log(r->client, MISTRAL_LOG_INFO, "%s %s: cancelled while waiting to retry", r->method,
          r->path);
    return 0;
  }
  return 1;
}

void m_retry_note_attempts(int attempts, mistral_error *err) {
  if (!err || mistral_error_code(err) == MISTRAL_OK) return;
  m_err_set_attempts(err, attempts);
  if (attempts <= 1) return;
  const char *msg = mistral_error_message(err);
  size_t n = strlen(msg);
  char suffix[48];
  int sn = snprintf(suffix, sizeof suffix, " (after %d attempts)", attempts);
  if (sn > 0 && n >= (size_t)sn && strcmp(msg + n - (size_t)sn, suffix) == 0) return; /* noted */
  char *copy = malloc(n + 1);
  if (!copy) return;
  memcpy(copy, msg, n + 1);
  m_err_set_message(err, "%s (after %d attempts)", copy, attempts);
  free(copy);
}

void m_retry_note(const m_retry *r, mistral_error *err) { m_retry_note_attempts(r->attempts, err); }

int m_retry_cancelled_error(const m_retry *r, mistral_error *err) {
  return m_err_set(err, MISTRAL_E_CANCELLED,
                   "%s %s: cancelled by the caller while waiting to retry", r->method, r->path);
}

void m_retry_reset_response(m_http_response *resp) {
  for (size_t i = 0; i < resp->header_count; i++) {
    m_free(resp->body.alloc, resp->headers[i].name);
    m_free(resp->body.alloc, resp->headers[i].value);
  }
  resp->header_count = 0;
  resp->status = 0;
  m_buf_reset(&resp->body);
}
