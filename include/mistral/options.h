/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/options.h
 * Per-call settings that override the client's for one request: attach them
 * to a request (mistral_chat_request_set_call_options()). Unset values fall
 * back to the client's.
 *
 * Threads: an options object belongs to one thread at a time; requests copy
 * it.
 */
#ifndef MISTRAL_OPTIONS_H
#define MISTRAL_OPTIONS_H

#include "mistral/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mistral_call_options mistral_call_options;

/** A new options object with nothing set. */
MISTRAL_API int mistral_call_options_new(mistral_call_options **out);

/** Frees it. NULL is a no-op. */
MISTRAL_API void mistral_call_options_free(mistral_call_options *opts);

/** Total time for a non-streaming call, in ms; 0 means no limit.
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (negative). */
MISTRAL_API int mistral_call_options_set_timeout_ms(mistral_call_options *opts, long ms);

/** Connect timeout, in ms (> 0). */
MISTRAL_API int mistral_call_options_set_connect_timeout_ms(mistral_call_options *opts,
                                                            long ms);

/** Idle timeout of a stream: the longest wait for the next byte, in ms;
 *  0 means no limit. */
MISTRAL_API int mistral_call_options_set_idle_timeout_ms(mistral_call_options *opts, long ms);

/**
 * A flag that cancels the call: when *flag becomes non-zero (a signal
 * handler may set it, e.g. on Ctrl-C), the call stops within about 100 ms,
 * closes its connection and returns MISTRAL_E_CANCELLED; this includes a
 * wait between two attempts. The flag is only
 * read; it must outlive the calls using these options. NULL removes it.
 */
MISTRAL_API int mistral_call_options_set_cancel_flag(mistral_call_options *opts,
                                                     const volatile int *flag);

/**
 * Attempts for this call, the first included (1: no retries), overriding
 * the client's (mistral_client_set_max_attempts(); the "Retry defaults" in
 * mistral/client.h say which failures are retried).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL, attempts < 1 or
 *         > MISTRAL_MAX_ATTEMPTS_LIMIT).
 */
MISTRAL_API int mistral_call_options_set_max_attempts(mistral_call_options *opts, int attempts);

/**
 * Overall deadline of this call in ms, across every attempt and every wait
 * between them; 0 means none. Overrides mistral_client_set_deadline_ms().
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL, negative).
 */
MISTRAL_API int mistral_call_options_set_deadline_ms(mistral_call_options *opts, long ms);

/**
 * The backoff between this call's attempts (all four values together), as
 * mistral_client_set_retry_backoff() describes; overrides the client's.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL, initial_ms < 0,
 *         max_interval_ms < initial_ms, multiplier < 1 or not finite,
 *         jitter outside [0, 1]).
 */
MISTRAL_API int mistral_call_options_set_retry_backoff(mistral_call_options *opts,
                                                       long initial_ms, long max_interval_ms,
                                                       double multiplier, double jitter);

/**
 * The longest wait this call grants a server's `Retry-After-Ms` or
 * `Retry-After`, in ms; overrides mistral_client_set_retry_after_max_ms().
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL, negative).
 */
MISTRAL_API int mistral_call_options_set_retry_after_max_ms(mistral_call_options *opts,
                                                            long ms);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_OPTIONS_H */
