/* The pure parts of lib/http/retry.h (white-box): the backoff computation
 * (growth, cap, jitter range), Retry-After and Retry-After-Ms parsing
 * (delta-seconds, the three HTTP-date forms, garbage), the choice between
 * the server's wait and the computed one, which outcomes are retryable,
 * and how a call's options override the client's policy. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/options.h"
#include "http/retry.h"
#include "http/transport.h"

static m_retry_policy policy(long initial, long max, double mult, double jitter) {
  m_retry_policy p;
  m_retry_policy_default(&p);
  p.initial_ms = initial;
  p.max_interval_ms = max;
  p.multiplier = mult;
  p.jitter = jitter;
  return p;
}

static void test_defaults(void **state) {
  (void)state;
  m_retry_policy p;
  m_retry_policy_default(&p);
  assert_int_equal(p.max_attempts, 3); /* two retries */
  assert_int_equal(p.max_attempts, MISTRAL_DEFAULT_MAX_ATTEMPTS);
  assert_int_equal(p.deadline_ms, 0);
  assert_int_equal(p.initial_ms, MISTRAL_DEFAULT_RETRY_INITIAL_MS);
  assert_int_equal(p.max_interval_ms, MISTRAL_DEFAULT_RETRY_MAX_INTERVAL_MS);
  assert_true(p.multiplier == MISTRAL_DEFAULT_RETRY_MULTIPLIER);
  assert_true(p.jitter == MISTRAL_DEFAULT_RETRY_JITTER);
  assert_int_equal(p.retry_after_max_ms, 60000);
  assert_true(m_retry_backoff_valid(p.initial_ms, p.max_interval_ms, p.multiplier, p.jitter));
}

static void test_backoff_grows_and_caps(void **state) {
  (void)state;
  m_retry_policy p = policy(100, 1000, 2.0, 0.0);
  assert_int_equal(m_retry_backoff_ms(&p, 1, 0.0), 100);
  assert_int_equal(m_retry_backoff_ms(&p, 2, 0.0), 200);
  assert_int_equal(m_retry_backoff_ms(&p, 3, 0.0), 400);
  assert_int_equal(m_retry_backoff_ms(&p, 4, 0.0), 800);
  assert_int_equal(m_retry_backoff_ms(&p, 5, 0.0), 1000); /* capped */
  assert_int_equal(m_retry_backoff_ms(&p, 99, 0.0), 1000);
  assert_int_equal(m_retry_backoff_ms(&p, INT_MAX, 0.0), 1000); /* no overflow, no long loop */
  assert_int_equal(m_retry_backoff_ms(&p, 0, 0.0), 100);        /* below 1: as the first */
  /* Without jitter u changes nothing. */
  assert_int_equal(m_retry_backoff_ms(&p, 2, 0.999), 200);
  /* Multiplier 1: constant. */
  p = policy(250, 5000, 1.0, 0.0);
  for (int r = 1; r < 10; r++) assert_int_equal(m_retry_backoff_ms(&p, r, 0.5), 250);
  /* Fractional growth rounds up to whole ms. */
  p = policy(10, 1000, 1.5, 0.0);
  assert_int_equal(m_retry_backoff_ms(&p, 2, 0.0), 15);
  assert_int_equal(m_retry_backoff_ms(&p, 3, 0.0), 23); /* 22.5 */
  /* Zero initial: immediate retries. */
  p = policy(0, 0, 2.0, 0.5);
  assert_int_equal(m_retry_backoff_ms(&p, 3, 0.7), 0);
  /* Huge values saturate instead of overflowing. */
  p = policy(LONG_MAX / 2, LONG_MAX, 4.0, 0.0);
  assert_true(m_retry_backoff_ms(&p, 60, 0.0) > 0);
}

static void test_backoff_jitter_range(void **state) {
  (void)state;
  m_retry_policy p = policy(1000, 8000, 2.0, 0.25);
  /* u = 0: the full wait; u -> 1: a quarter less. */
  assert_int_equal(m_retry_backoff_ms(&p, 1, 0.0), 1000);
  assert_int_equal(m_retry_backoff_ms(&p, 1, 0.5), 875);
  long low = m_retry_backoff_ms(&p, 1, 0.999999);
  assert_true(low >= 750 && low <= 751);
  /* Out-of-range u is clamped into [0, 1). */
  assert_int_equal(m_retry_backoff_ms(&p, 1, -3.0), 1000);
  assert_int_equal(m_retry_backoff_ms(&p, 1, NAN), 1000);
  long top = m_retry_backoff_ms(&p, 1, 7.0);
  assert_true(top >= 750 && top <= 751);
  /* Every u in [0, 1) lands in [w * (1 - jitter), w], capped waits too. */
  for (int r = 1; r <= 6; r++) {
    long w = m_retry_backoff_ms(&p, r, 0.0);
    assert_true(w <= 8000);
    for (int i = 0; i < 1000; i++) {
      double u = (double)i / 1000.0;
      long v = m_retry_backoff_ms(&p, r, u);
      assert_true(v <= w);
      assert_true((double)v >= floor((double)w * 0.75));
    }
  }
  /* Jitter 1 ("full jitter"): anywhere from 0 to the wait. */
  p = policy(400, 400, 2.0, 1.0);
  assert_int_equal(m_retry_backoff_ms(&p, 1, 0.0), 400);
  assert_int_equal(m_retry_backoff_ms(&p, 1, 0.5), 200);
  assert_true(m_retry_backoff_ms(&p, 1, 0.9999999) <= 1);
}

static void test_backoff_valid(void **state) {
  (void)state;
  assert_true(m_retry_backoff_valid(0, 0, 1.0, 0.0));
  assert_true(m_retry_backoff_valid(1, 1, 1.0, 1.0));
  assert_false(m_retry_backoff_valid(-1, 10, 2.0, 0.0));
  assert_false(m_retry_backoff_valid(10, 9, 2.0, 0.0));
  assert_false(m_retry_backoff_valid(1, 10, 0.999, 0.0));
  assert_false(m_retry_backoff_valid(1, 10, INFINITY, 0.0));
  assert_false(m_retry_backoff_valid(1, 10, NAN, 0.0));
  assert_false(m_retry_backoff_valid(1, 10, 2.0, -0.01));
  assert_false(m_retry_backoff_valid(1, 10, 2.0, 1.01));
  assert_false(m_retry_backoff_valid(1, 10, 2.0, NAN));
}

static void test_retry_after_seconds(void **state) {
  (void)state;
  long ms = -1;
  assert_true(m_retry_parse_after("0", 0, &ms));
  assert_int_equal(ms, 0);
  assert_true(m_retry_parse_after("2", 0, &ms));
  assert_int_equal(ms, 2000);
  assert_true(m_retry_parse_after("  120 ", 0, &ms));
  assert_int_equal(ms, 120000);
  assert_true(m_retry_parse_after("007", 0, &ms));
  assert_int_equal(ms, 7000);
  /* Far too many seconds saturate. */
  assert_true(m_retry_parse_after("99999999999999999999999999999999", 0, &ms));
  assert_int_equal(ms, LONG_MAX);
}

static void test_retry_after_http_date(void **state) {
  (void)state;
  /* 1994-11-06 08:49:37 UTC */
  const time_t when = 784111777;
  long ms = -1;
  assert_true(m_retry_parse_after("Sun, 06 Nov 1994 08:49:37 GMT", when - 30, &ms));
  assert_int_equal(ms, 30000);
  assert_true(m_retry_parse_after("Sunday, 06-Nov-94 08:49:37 GMT", when - 5, &ms));
  assert_int_equal(ms, 5000);
  assert_true(m_retry_parse_after("Sun Nov  6 08:49:37 1994", when - 1, &ms));
  assert_int_equal(ms, 1000);
  /* In the past: no wait. */
  assert_true(m_retry_parse_after("Sun, 06 Nov 1994 08:49:37 GMT", when + 3600, &ms));
  assert_int_equal(ms, 0);
  /* Leap day, end of year, a 21st-century RFC 850 year. */
  assert_true(m_retry_parse_after("Thu, 29 Feb 2024 00:00:00 GMT", 1709164800 - 2, &ms));
  assert_int_equal(ms, 2000);
  assert_true(m_retry_parse_after("Tue, 31 Dec 2024 23:59:59 GMT", 1735689599 - 10, &ms));
  assert_int_equal(ms, 10000);
  assert_true(m_retry_parse_after("Wednesday, 01-Jan-25 00:00:00 GMT", 1735689600 - 4, &ms));
  assert_int_equal(ms, 4000);
}

static void test_retry_after_garbage(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",
      "   ",
      "-1",
      "+5",
      "1.5",
      "5s",
      "5 seconds",
      "0x10",
      "soon",
      "Sun, 06 Foo 1994 08:49:37 GMT",     /* no such month */
      "Sun, 06 Nov 1994 25:49:37 GMT",     /* no such hour */
      "Sun, 06 Nov 1994 08:61:37 GMT",     /* no such minute */
      "Sun, 32 Nov 1994 08:49:37 GMT",     /* no such day */
      "Xyz, 06 Nov 1994 08:49:37 GMT",     /* no such day name */
      "Sun Nov  6 08:49:37",               /* no year */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    long ms = 12345;
    if (m_retry_parse_after(bad[i], 0, &ms)) fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(ms, 12345);
  }
  long ms = 12345;
  assert_false(m_retry_parse_after(NULL, 0, &ms));
  /* libcurl's date parser is lenient where a strict one would refuse; the
   * date it reads is the one meant, and the wait is capped anyway. */
  static const char *const lenient[] = {
      "Sun, 06 Nov 1994 08:49:37",        /* no zone: GMT */
      "Sun, 06 Nov 1994 08:49:37 UTC",    /* UTC for GMT */
      "Sun, 6 Nov 1994 08:49:37 GMT",     /* one-digit day */
      "Sunday, 06-Nov-1994 08:49:37 GMT", /* RFC 850 with a four-digit year */
      "Sun Nov 6 08:49:37 1994",          /* asctime without the padding */
  };
  for (size_t i = 0; i < sizeof lenient / sizeof *lenient; i++) {
    if (!m_retry_parse_after(lenient[i], 784111777 - 7, &ms)) fail_msg("refused \"%s\"", lenient[i]);
    assert_int_equal(ms, 7000);
  }
}

static void test_retry_after_ms(void **state) {
  (void)state;
  long ms = -1;
  assert_true(m_retry_parse_after_ms("50", &ms));
  assert_int_equal(ms, 50);
  assert_true(m_retry_parse_after_ms("0", &ms));
  assert_int_equal(ms, 0);
  assert_true(m_retry_parse_after_ms(" 1500.2 ", &ms));
  assert_int_equal(ms, 1501); /* rounded up */
  assert_true(m_retry_parse_after_ms("1e999", &ms) == 0);
  static const char *const bad[] = {"", "-5", "+5", "abc", "5ms", "inf", "nan", "0x20", "1e3",
                                    ".5", NULL};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ms = 777;
    if (m_retry_parse_after_ms(bad[i], &ms)) fail_msg("accepted \"%s\"", bad[i] ? bad[i] : "NULL");
    assert_int_equal(ms, 777);
  }
}

static void add_header(m_http_response *r, const char *name, const char *value) {
  m_header *h = realloc(r->headers, (r->header_count + 1) * sizeof *h);
  assert_non_null(h);
  r->headers = h;
  r->header_cap = r->header_count + 1;
  h[r->header_count].name = strdup(name);
  h[r->header_count].value = strdup(value);
  r->header_count++;
}

static void test_wait_choice(void **state) {
  (void)state;
  m_retry_policy p = policy(100, 1000, 2.0, 0.0);
  p.retry_after_max_ms = 5000;
  m_http_response r;
  m_http_response_init(&r, &mistral_default_allocator);
  int server = -1;
  /* No header: the computed backoff. */
  assert_int_equal(m_retry_wait_ms(&p, 2, 0.0, &r, 0, &server), 200);
  assert_int_equal(server, 0);
  assert_int_equal(m_retry_wait_ms(&p, 2, 0.0, NULL, 0, &server), 200);
  assert_int_equal(server, 0);
  /* Retry-After in seconds, not jittered, and not capped by the backoff's
   * maximum. */
  add_header(&r, "retry-after", "3");
  p.jitter = 0.5;
  assert_int_equal(m_retry_wait_ms(&p, 1, 0.9, &r, 0, &server), 3000);
  assert_int_equal(server, 1);
  /* ... but by retry_after_max_ms. */
  p.retry_after_max_ms = 1200;
  assert_int_equal(m_retry_wait_ms(&p, 1, 0.9, &r, 0, NULL), 1200);
  /* Retry-After-Ms wins over Retry-After. */
  add_header(&r, "retry-after-ms", "40");
  assert_int_equal(m_retry_wait_ms(&p, 1, 0.9, &r, 0, &server), 40);
  assert_int_equal(server, 1);
  m_http_response_free(&r);

  /* Garbage in both: the computed backoff. */
  m_http_response_init(&r, &mistral_default_allocator);
  add_header(&r, "retry-after-ms", "soon");
  add_header(&r, "retry-after", "later");
  p.jitter = 0.0;
  assert_int_equal(m_retry_wait_ms(&p, 3, 0.0, &r, 0, &server), 400);
  assert_int_equal(server, 0);
  m_http_response_free(&r);
}

static void test_what_is_retryable(void **state) {
  (void)state;
  static const int yes[] = {408, 409, 429, 500, 502, 503, 504};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) assert_true(m_retry_http_status(yes[i]));
  static const int no[] = {0, 100, 200, 201, 204, 301, 304, 400, 401, 402, 403, 404, 405,
                           410, 411, 413, 415, 422, 428, 431, 451, 499, 501, 505, 507, 511, 599};
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    if (m_retry_http_status(no[i])) fail_msg("HTTP %d retried", no[i]);

  static const int retried[] = {MISTRAL_E_CONNECT, MISTRAL_E_DNS, MISTRAL_E_NETWORK,
                                MISTRAL_E_TRUNCATED, MISTRAL_E_TIMEOUT};
  for (size_t i = 0; i < sizeof retried / sizeof *retried; i++)
    assert_true(m_retry_transport_status(retried[i]));
  static const int kept[] = {MISTRAL_OK,           MISTRAL_E_INVALID_ARG, MISTRAL_E_NO_API_KEY,
                             MISTRAL_E_CANCELLED,  MISTRAL_E_TOO_LARGE,   MISTRAL_E_BAD_RESPONSE,
                             MISTRAL_E_NOMEM,      MISTRAL_E_TLS,         MISTRAL_E_INTERNAL,
                             MISTRAL_E_STREAM,     MISTRAL_E_HTTP,        MISTRAL_E_SERVER,
                             MISTRAL_E_RATE_LIMITED};
  for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
    if (m_retry_transport_status(kept[i])) fail_msg("status %d retried", kept[i]);
}

static void test_policy_resolve(void **state) {
  (void)state;
  mistral_client *c = NULL;
  assert_int_equal(mistral_client_new(&c), MISTRAL_OK);
  assert_int_equal(mistral_client_set_max_attempts(c, 4), MISTRAL_OK);
  assert_int_equal(mistral_client_set_deadline_ms(c, 9000), MISTRAL_OK);
  assert_int_equal(mistral_client_set_retry_backoff(c, 10, 90, 3.0, 0.1), MISTRAL_OK);
  assert_int_equal(mistral_client_set_retry_after_max_ms(c, 700), MISTRAL_OK);

  m_retry_policy p;
  m_retry_policy_resolve(&p, c, NULL);
  assert_int_equal(p.max_attempts, 4);
  assert_int_equal(p.deadline_ms, 9000);
  assert_int_equal(p.initial_ms, 10);
  assert_int_equal(p.max_interval_ms, 90);
  assert_true(p.multiplier == 3.0);
  assert_true(p.jitter == 0.1);
  assert_int_equal(p.retry_after_max_ms, 700);

  /* Nothing set on the call: the client's. */
  struct mistral_call_options o = M_CALL_OPTIONS_UNSET;
  m_retry_policy_resolve(&p, c, &o);
  assert_int_equal(p.max_attempts, 4);
  assert_int_equal(p.initial_ms, 10);

  /* Each setting overrides on its own; the backoff as a whole. */
  assert_int_equal(mistral_call_options_set_max_attempts(&o, 1), MISTRAL_OK);
  m_retry_policy_resolve(&p, c, &o);
  assert_int_equal(p.max_attempts, 1);
  assert_int_equal(p.deadline_ms, 9000);
  assert_int_equal(mistral_call_options_set_deadline_ms(&o, 0), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_retry_backoff(&o, 5, 6, 1.5, 0.0), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_retry_after_max_ms(&o, 0), MISTRAL_OK);
  m_retry_policy_resolve(&p, c, &o);
  assert_int_equal(p.deadline_ms, 0);
  assert_int_equal(p.initial_ms, 5);
  assert_int_equal(p.max_interval_ms, 6);
  assert_true(p.multiplier == 1.5);
  assert_true(p.jitter == 0.0);
  assert_int_equal(p.retry_after_max_ms, 0);
  mistral_client_free(c);
}

/* The "(after N attempts)" note: only after more than one, counted always,
 * never on an empty error. */
static void test_attempt_note(void **state) {
  (void)state;
  mistral_error *err = mistral_error_new();
  assert_non_null(err);
  m_retry_note_attempts(3, err); /* no error: nothing */
  assert_int_equal(mistral_error_attempts(err), 0);
  assert_string_equal(mistral_error_message(err), "");

  mistral_error *e2 = mistral_error_new();
  assert_non_null(e2);
  m_retry_note_attempts(1, NULL); /* NULL: no-op */
  mistral_error_free(e2);

  mistral_error_clear(err);
  m_http_response r;
  m_http_response_init(&r, &mistral_default_allocator);
  r.status = 503;
  r.attempts = 1;
  assert_int_equal(m_http_status_error(&r, err), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(err), 1);
  assert_null(strstr(mistral_error_message(err), "attempt"));
  r.attempts = 4;
  assert_int_equal(m_http_status_error(&r, err), MISTRAL_E_SERVER);
  assert_int_equal(mistral_error_attempts(err), 4);
  assert_string_equal(mistral_error_message(err),
                      "HTTP 503 (server error): empty body (after 4 attempts)");
  mistral_error_clear(err);
  assert_int_equal(mistral_error_attempts(err), 0);
  m_http_response_free(&r);
  mistral_error_free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_backoff_grows_and_caps),
      cmocka_unit_test(test_backoff_jitter_range),
      cmocka_unit_test(test_backoff_valid),
      cmocka_unit_test(test_retry_after_seconds),
      cmocka_unit_test(test_retry_after_http_date),
      cmocka_unit_test(test_retry_after_garbage),
      cmocka_unit_test(test_retry_after_ms),
      cmocka_unit_test(test_wait_choice),
      cmocka_unit_test(test_what_is_retryable),
      cmocka_unit_test(test_policy_resolve),
      cmocka_unit_test(test_attempt_note),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
