/* SPDX-License-Identifier: Apache-2.0 */
/* Per-call settings as the transport reads them. */
#ifndef MISTRAL_CORE_OPTIONS_H
#define MISTRAL_CORE_OPTIONS_H

#include "mistral/options.h"

/* -1 means "not set: use the client's". */
struct mistral_call_options {
  long timeout_ms;
  long connect_timeout_ms;
  long idle_timeout_ms;
  const volatile int *cancel; /* NULL: none */
  /* Retries (lib/http/retry.h). The four backoff fields are set together:
   * retry_initial_ms >= 0 says they are. */
  int max_attempts;
  long deadline_ms;
  long retry_initial_ms, retry_max_interval_ms;
  double retry_multiplier, retry_jitter;
  long retry_after_max_ms;
};

/* An options value with nothing set. */
#define M_CALL_OPTIONS_UNSET                                                                   \
  ((struct mistral_call_options){.timeout_ms = -1,                                           \
                                 .connect_timeout_ms = -1,                                   \
                                 .idle_timeout_ms = -1,                                      \
                                 .cancel = NULL,                                             \
                                 .max_attempts = -1,                                         \
                                 .deadline_ms = -1,                                          \
                                 .retry_initial_ms = -1,                                     \
                                 .retry_max_interval_ms = -1,                                \
                                 .retry_multiplier = -1.0,                                   \
                                 .retry_jitter = -1.0,                                       \
                                 .retry_after_max_ms = -1})

#endif
