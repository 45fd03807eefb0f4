/* SPDX-License-Identifier: Apache-2.0 */
/* Retries: which outcomes are worth another attempt, how long to wait
 * before it, and the loop state that the blocking driver (m_http_perform)
 * and the stream opener share.
 *
 * The decisions are pure functions (policy in, number out) so that tests
 * can check them without a network or a clock: m_retry_backoff_ms,
 * m_retry_parse_after, m_retry_parse_after_ms, m_retry_wait_ms. */
#ifndef MISTRAL_HTTP_RETRY_H
#define MISTRAL_HTTP_RETRY_H

#include <stdint.h>
#include <time.h>

#include "core/client.h"
#include "core/options.h"
#include "http/transport.h"

/* m_retry_policy (the resolved policy: every field set) is defined in
 * core/client.h, where the client keeps its own. */

/* The library's defaults (MISTRAL_DEFAULT_* in mistral/client.h). */
void m_retry_policy_default(m_retry_policy *p);

/* The client's policy with the call's overrides applied (o may be NULL). */
void m_retry_policy_resolve(m_retry_policy *out, const mistral_client *c,
                            const struct mistral_call_options *o);

/* Whether backoff settings are acceptable (what the setters check):
 * initial_ms >= 0, max_interval_ms >= initial_ms, multiplier finite and
 * >= 1, jitter in [0, 1]. */
int m_retry_backoff_valid(long initial_ms, long max_interval_ms, double multiplier,
                          double jitter);

/* Whether an HTTP status is worth retrying: 408, 409, 429, 500, 502, 503,
 * 504. */
int m_retry_http_status(int http_status);

/* Whether a transport outcome is worth retrying: connect, DNS, network,
 * truncated, timeout. Never bad arguments, a missing key, cancellation,
 * an oversized or malformed response, TLS or memory failures. */
int m_retry_transport_status(int status);

/* The computed wait before retry number `retry` (1: after the first
 * attempt), in ms: initial * multiplier^(retry-1), at most max_interval,
 * then reduced by jitter: the result lies in [w * (1 - jitter), w], u in
 * [0, 1) picking the point (u = 0 gives w). */
long m_retry_backoff_ms(const m_retry_policy *p, int retry, double u);

/* A Retry-After value (RFC 9110: delta-seconds or an HTTP-date, read by
 * libcurl's curl_getdate(), which takes the IMF-fixdate, RFC 850 and
 * asctime forms and a few lenient variants) as a wait in ms from now (a
 * date in the past gives 0; huge values saturate at LONG_MAX). Returns 1
 * and sets *ms, or 0 when the value is not one of those forms. */
int m_retry_parse_after(const char *value, time_t now, long *ms);

/* A Retry-After-Ms value: a non-negative decimal number of milliseconds
 * (a fraction is rounded up). Returns 1 and sets *ms, or 0. */
int m_retry_parse_after_ms(const char *value, long *ms);

/* The wait before retry number `retry` after this response (NULL: none):
 * the server's Retry-After-Ms, else its Retry-After, capped at
 * retry_after_max_ms; else the computed backoff. *from_server tells which
 * (may be NULL). */
long m_retry_wait_ms(const m_retry_policy *p, int retry, double u, const m_http_response *resp,
                     time_t now, int *from_server);

/* ---- the loop ---- */

typedef struct m_retry {
  m_retry_policy policy;
  const mistral_client *client;
  const volatile int *cancel; /* NULL: none */
  const char *method, *path;  /* for log lines; borrowed */
  struct timespec started;
  int attempts; /* attempts made so far (m_retry_next counts them) */
  int begun;     /* the last attempt was counted by m_retry_begun */
  int cancelled; /* the cancel flag stopped a wait */
  uint64_t rng;
} m_retry;

/* Starts a sequence of attempts now. o may be NULL. */
void m_retry_begin(m_retry *r, const mistral_client *c, const struct mistral_call_options *o,
                   const char *method, const char *path);

/* Milliseconds left before the deadline (at least 1), or 0 when there is no
 * deadline. */
long m_retry_time_left_ms(const m_retry *r);

/* Call after every attempt, whatever its outcome: status is the transport's
 * (MISTRAL_OK when a response arrived) and resp the response (its status
 * and headers; NULL when none counts). Counts and logs the attempt. Returns
 * 1 when another attempt should be made (the wait before it is over), 0
 * when the outcome stands: a success, a failure not worth retrying,
 * may_retry == 0 (a stream that delivered something), no attempts or time
 * left, or the cancel flag went up while waiting (r->cancelled is then
 * set). */
int m_retry_next(m_retry *r, int status, const m_http_response *resp, int may_retry);

/* A stream's attempt got its success headers: counts and logs it now. If
 * it then fails before delivering anything, m_retry_next decides about it
 * without counting it again. */
void m_retry_begun(m_retry *r, const m_http_response *resp);

/* Records r->attempts on err and, after more than one, appends
 * " (after N attempts)" to its message (once: a message that already ends
 * so is left alone). Nothing when err holds no error. */
void m_retry_note(const m_retry *r, mistral_error *err);

/* The same for a count kept elsewhere (a response's attempts). */
void m_retry_note_attempts(int attempts, mistral_error *err);

/* Sets err to MISTRAL_E_CANCELLED for a wait the cancel flag cut short
 * (without the attempt count: m_retry_note adds it). */
int m_retry_cancelled_error(const m_retry *r, mistral_error *err);

/* Empties resp for the next attempt (status, headers, body). */
void m_retry_reset_response(m_http_response *resp);

#endif
