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
};

/* An options value with nothing set. */
#define M_CALL_OPTIONS_UNSET ((struct mistral_call_options){-1, -1, -1, NULL})

#endif
