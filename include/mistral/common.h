/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/common.h
 * Status codes, the allocator hook and the small types every area shares.
 *
 * Threads: the functions here (mistral_strerror(),
 * mistral_status_is_retryable(), mistral_free()) may run on any thread at
 * any time. An allocator's and a log callback's functions are called on
 * every thread that uses the client they were given to, possibly at the
 * same time: they must be thread-safe.
 */
#ifndef MISTRAL_COMMON_H
#define MISTRAL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "mistral/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Status codes. Every fallible call returns one: MISTRAL_OK (0) or a negative
 * error. The list is append-only: a value never changes meaning or number.
 * The error object (mistral/error.h) carries the detail.
 */
typedef enum mistral_status {
  MISTRAL_OK = 0,
  /** Bad input: NULL pointer, missing model, no messages, invalid UTF-8,
   *  invalid JSON text, CR/LF in a header value... Never reaches the network. */
  MISTRAL_E_INVALID_ARG = -1,
  /** An allocation failed. */
  MISTRAL_E_NOMEM = -2,
  /** No API key was given and MISTRAL_API_KEY is unset; nothing was sent. */
  MISTRAL_E_NO_API_KEY = -3,
  /** The server could not be reached (connection refused, unreachable). */
  MISTRAL_E_CONNECT = -4,
  /** The server's host name could not be resolved. */
  MISTRAL_E_DNS = -5,
  /** A connect, request or idle timeout expired. */
  MISTRAL_E_TIMEOUT = -6,
  /** TLS handshake or certificate verification failed. */
  MISTRAL_E_TLS = -7,
  /** Any other transport failure (connection reset, proxy failure...). */
  MISTRAL_E_NETWORK = -8,
  /** The response ended before it was complete (body cut short). */
  MISTRAL_E_TRUNCATED = -9,
  /** A success status but a body that is not what the API promises
   *  (malformed or empty JSON, wrong shape). */
  MISTRAL_E_BAD_RESPONSE = -10,
  /** HTTP 401: the API key was refused. */
  MISTRAL_E_UNAUTHORIZED = -11,
  /** HTTP 403: the key may not do this. */
  MISTRAL_E_FORBIDDEN = -12,
  /** HTTP 404: no such resource, model or path. */
  MISTRAL_E_NOT_FOUND = -13,
  /** HTTP 422: the server rejected the request's fields; see
   *  mistral_error_detail_count(). */
  MISTRAL_E_VALIDATION = -14,
  /** HTTP 429: rate limited. */
  MISTRAL_E_RATE_LIMITED = -15,
  /** HTTP 5xx: the server failed. */
  MISTRAL_E_SERVER = -16,
  /** Any other non-success HTTP status (400, 408, 409, 413...). */
  MISTRAL_E_HTTP = -17,
  /** The caller stopped the operation (a callback returned non-zero). */
  MISTRAL_E_CANCELLED = -18,
  /** The response exceeded the client's size limit
   *  (mistral_client_set_max_response_bytes()). */
  MISTRAL_E_TOO_LARGE = -19,
  /** A bug in libmistral or an unexpected libcurl/jansson failure. */
  MISTRAL_E_INTERNAL = -20,
  /** A malformed or oversized event stream (SSE), or an error event inside
   *  a stream that had started well. */
  MISTRAL_E_STREAM = -21
} mistral_status;

/**
 * A short, static, English description of a status code ("invalid
 * argument", "rate limited"...). Unknown codes give "unknown error".
 * Any thread.
 */
MISTRAL_API const char *mistral_strerror(int status);

/**
 * Non-zero when an operation that failed with this status may succeed if
 * tried again unchanged: network failures, timeouts, truncated responses,
 * 429 and 5xx. mistral_error_is_retryable() is more precise, as it also
 * looks at the HTTP status (408 and 409 are retryable). Any thread.
 */
MISTRAL_API int mistral_status_is_retryable(int status);

/**
 * A memory allocator. Give one to mistral_client_new_with_allocator() to
 * route the client's allocations (transport buffers, responses) through your
 * functions. All three functions are required and receive user_data. They
 * may be called from any thread that uses the client, concurrently when
 * several threads share it.
 */
typedef struct mistral_allocator {
  void *(*malloc_fn)(size_t size, void *user_data);
  void *(*realloc_fn)(void *ptr, size_t size, void *user_data);
  void (*free_fn)(void *ptr, void *user_data);
  void *user_data;
} mistral_allocator;

/**
 * Frees a string the library returned to you with malloc semantics
 * (mistral_chat_request_to_json(), ...). NULL is a no-op.
 */
MISTRAL_API void mistral_free(void *ptr);

/** Log levels for mistral_client_set_log_callback(). */
typedef enum mistral_log_level {
  MISTRAL_LOG_ERROR = 0,
  MISTRAL_LOG_WARN = 1,
  MISTRAL_LOG_INFO = 2,
  MISTRAL_LOG_DEBUG = 3
} mistral_log_level;

/**
 * A log sink. The library never prints; it hands one line (no trailing
 * newline, never containing the API key) to this function. Called on the
 * thread that runs the operation: with a client shared by threads, from
 * several threads at once.
 */
typedef void (*mistral_log_fn)(mistral_log_level level, const char *message,
                               void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_COMMON_H */
