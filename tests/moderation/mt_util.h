/* Helpers shared by the moderation/classifier and OCR tests
 * (tests/moderation/, tests/ocr/).
 *
 * What every area shares (the fixture server, a client, JSON
 * comparisons) is in tests/support/test_util.h. Every helper fails the
 * running cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_MT_UTIL_H
#define LIBMISTRAL_TEST_MT_UTIL_H

#include <stddef.h>

#include <jansson.h>
#include <mistral/mistral.h>

#include "test_util.h"

/* The API key the tests give the client and the fixture server. */
#define MT_KEY "test-key"

/* |got - want| <= eps (eps 0: exactly equal), printing both at full
 * precision otherwise. */
void mt_assert_double_at(double got, double want, double eps, const char *file, int line);
#define mt_assert_double(got, want, eps) \
  mt_assert_double_at((got), (want), (eps), __FILE__, __LINE__)

/* A fixture text answering method path with status line `status` (e.g.
 * "200 OK") and body, for any request body ("% " directives may go in
 * head, "" for none). malloc'd. */
char *mt_fixture_text(const char *head, const char *method, const char *path,
                      const char *request_body, const char *status, const char *response_body);

/* Asserts a failed call: rc and the error's code are want, the message is
 * valid UTF-8 and contains needle (when not NULL). */
void mt_assert_failed_at(int rc, const mistral_error *err, int want, const char *needle,
                         const char *file, int line);
#define mt_assert_failed(rc, err, want, needle) \
  mt_assert_failed_at((rc), (err), (want), (needle), __FILE__, __LINE__)

/* ---- a failing allocator (for white-box out-of-memory tests) ---- */

typedef struct mt_alloc_state {
  long fail_at;   /* the 1-based allocation that fails; 0: none */
  long count;     /* allocations so far */
  long live;      /* blocks not yet freed */
} mt_alloc_state;

/* An allocator counting into st and failing its fail_at-th allocation
 * (malloc or realloc). */
mistral_allocator mt_failing_allocator(mt_alloc_state *st);

/* ---- jansson allocations failing (request builders build JSON with
 * jansson, whose allocator is global) ---- */

/* From now on the n-th jansson allocation fails (n >= 1; counting restarts
 * here). */
void mt_jansson_fail_at(long n);
/* Whether the allocation meant to fail has been reached. */
int mt_jansson_failed(void);
/* Back to malloc/free. */
void mt_jansson_restore(void);
/* While paused (on != 0), jansson allocations are neither counted nor
 * failed. The request tests pause around JSON-text setters (MT_PAUSED):
 * jansson 2.14 reports most allocation failures inside json_loads() as
 * syntax errors, which the library can only pass on as
 * MISTRAL_E_INVALID_ARG, so that path cannot be walked. */
void mt_jansson_pause(int on);

/* For the out-of-memory walks of the request tests (a `long n`, the
 * failing allocation's number, in scope): MT_STEP fails the test unless
 * call gives MISTRAL_OK or MISTRAL_E_NOMEM; MT_PAUSED runs MT_STEP with
 * jansson's allocations paused. */
#define MT_STEP(call)                                                        \
  do {                                                                       \
    int rc_ = (call);                                                        \
    if (rc_ != MISTRAL_OK && rc_ != MISTRAL_E_NOMEM)                         \
      fail_msg("n=%ld: %s gave %d", n, #call, rc_);                          \
  } while (0)
#define MT_PAUSED(call)       \
  do {                        \
    mt_jansson_pause(1);      \
    MT_STEP(call);            \
    mt_jansson_pause(0);      \
  } while (0)

#endif
