/* SPDX-License-Identifier: Apache-2.0 */
#include "core/options.h"

#include <stdlib.h>

#include "http/retry.h"

int mistral_call_options_new(mistral_call_options **out) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = malloc(sizeof **out);
  if (!*out) return MISTRAL_E_NOMEM;
  **out = M_CALL_OPTIONS_UNSET;
  return MISTRAL_OK;
}

void mistral_call_options_free(mistral_call_options *o) { free(o); }

int mistral_call_options_set_timeout_ms(mistral_call_options *o, long ms) {
  if (!o || ms < 0) return MISTRAL_E_INVALID_ARG;
  o->timeout_ms = ms;
  return MISTRAL_OK;
}

int mistral_call_options_set_connect_timeout_ms(mistral_call_options *o, long ms) {
  if (!o || ms <= 0) return MISTRAL_E_INVALID_ARG;
  o->connect_timeout_ms = ms;
  return MISTRAL_OK;
}

int mistral_call_options_set_idle_timeout_ms(mistral_call_options *o, long ms) {
  if (!o || ms < 0) return MISTRAL_E_INVALID_ARG;
  o->idle_timeout_ms = ms;
  return MISTRAL_OK;
}

int mistral_call_options_set_cancel_flag(mistral_call_options *o, const volatile int *flag) {
  if (!o) return MISTRAL_E_INVALID_ARG;
  o->cancel = flag;
  return MISTRAL_OK;
}

int mistral_call_options_set_max_attempts(mistral_call_options *o, int attempts) {
  if (!o || attempts < 1 || attempts > MISTRAL_MAX_ATTEMPTS_LIMIT) return MISTRAL_E_INVALID_ARG;
  o->max_attempts = attempts;
  return MISTRAL_OK;
}

int mistral_call_options_set_deadline_ms(mistral_call_options *o, long ms) {
  if (!o || ms < 0) return MISTRAL_E_INVALID_ARG;
  o->deadline_ms = ms;
  return MISTRAL_OK;
}

int mistral_call_options_set_retry_backoff(mistral_call_options *o, long initial_ms,
                                           long max_interval_ms, double multiplier,
                                           double jitter) {
  if (!o || !m_retry_backoff_valid(initial_ms, max_interval_ms, multiplier, jitter))
    return MISTRAL_E_INVALID_ARG;
  o->retry_initial_ms = initial_ms;
  o->retry_max_interval_ms = max_interval_ms;
  o->retry_multiplier = multiplier;
  o->retry_jitter = jitter;
  return MISTRAL_OK;
}

int mistral_call_options_set_retry_after_max_ms(mistral_call_options *o, long ms) {
  if (!o || ms < 0) return MISTRAL_E_INVALID_ARG;
  o->retry_after_max_ms = ms;
  return MISTRAL_OK;
}
