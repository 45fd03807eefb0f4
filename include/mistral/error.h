/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/error.h
 * The error object: everything known about why a call failed.
 *
 * Create one with mistral_error_new(), pass it to calls as their last
 * argument (or pass NULL if the status code is enough), and read it after a
 * failure. A call clears it on entry, so one object can serve many calls.
 *
 *     mistral_error *err = mistral_error_new();
 *     if (mistral_chat_complete(&resp, client, req, err) != MISTRAL_OK)
 *       fprintf(stderr, "chat failed: %s\n", mistral_error_message(err));
 *     mistral_error_free(err);
 *
 * Threads: an error object belongs to one thread at a time.
 * Strings returned by the getters live until the object is cleared, reused
 * by another call, or freed. The API key never appears in any of them.
 */
#ifndef MISTRAL_ERROR_H
#define MISTRAL_ERROR_H

#include <stddef.h>

#include "mistral/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mistral_error mistral_error;

/** A new, empty error object (code MISTRAL_OK), or NULL when out of memory. */
MISTRAL_API mistral_error *mistral_error_new(void);

/** Frees the object. NULL is a no-op. */
MISTRAL_API void mistral_error_free(mistral_error *err);

/** Resets the object to MISTRAL_OK and drops every detail. NULL is a no-op. */
MISTRAL_API void mistral_error_clear(mistral_error *err);

/** The status code of the failure (MISTRAL_OK when none). */
MISTRAL_API int mistral_error_code(const mistral_error *err);

/**
 * One line for a person: what failed and why, including the HTTP status and
 * the API's own message when there was one, e.g.
 * "HTTP 401 (unauthorized (API key refused)): Unauthorized [request id 7d1...]".
 * Never NULL ("" when there is no error). Always valid UTF-8: bytes from the
 * wire that it quotes and that are not UTF-8 show as '?' (the exact bytes
 * are in mistral_error_body()).
 */
MISTRAL_API const char *mistral_error_message(const mistral_error *err);

/** The HTTP status of the response that caused the error; 0 when no response
 *  was received (bad argument, network failure). */
MISTRAL_API int mistral_error_http_status(const mistral_error *err);

/** The message the API gave in its error body, or NULL. */
MISTRAL_API const char *mistral_error_api_message(const mistral_error *err);

/** The API's error type (e.g. "invalid_request_error"), or NULL. */
MISTRAL_API const char *mistral_error_api_type(const mistral_error *err);

/** The API's error code as text (e.g. "3051"), or NULL. */
MISTRAL_API const char *mistral_error_api_code(const mistral_error *err);

/** The request parameter the API blamed ("param"), or NULL. */
MISTRAL_API const char *mistral_error_api_param(const mistral_error *err);

/** The request id the server assigned (from the x-request-id or
 *  mistral-correlation-id header, or the body), or NULL. Quote it in
 *  support requests. */
MISTRAL_API const char *mistral_error_request_id(const mistral_error *err);

/** The raw body of an HTTP error response (may be HTML from a proxy), or
 *  NULL. */
MISTRAL_API const char *mistral_error_body(const mistral_error *err);

/** libcurl's own message for a transport failure, or NULL. */
MISTRAL_API const char *mistral_error_transport_message(const mistral_error *err);

/**
 * Number of validation details (HTTP 422 with a FastAPI `detail` list).
 * A 422 whose `detail` is a plain string has no details; its text is the
 * API message.
 */
MISTRAL_API size_t mistral_error_detail_count(const mistral_error *err);

/** The location of detail i as a dotted path ("body.messages.0.content"),
 *  or NULL when i is out of range. */
MISTRAL_API const char *mistral_error_detail_loc(const mistral_error *err, size_t i);

/** The message of detail i ("Field required"), or NULL. */
MISTRAL_API const char *mistral_error_detail_msg(const mistral_error *err, size_t i);

/** The type of detail i ("missing"), or NULL. */
MISTRAL_API const char *mistral_error_detail_type(const mistral_error *err, size_t i);

/**
 * How many attempts the failed call made (see "Retry defaults" in
 * mistral/client.h): 1 when it was not retried, more when it was (the
 * message then ends with "(after N attempts)"), 0 when no request was sent
 * (a bad argument, a missing key) or err is NULL.
 */
MISTRAL_API int mistral_error_attempts(const mistral_error *err);

/**
 * Non-zero when the failed operation may succeed if tried again unchanged:
 * network failures, timeouts, truncated responses, HTTP 408, 409, 429 and
 * 5xx. Never for bad arguments, a missing key or other 4xx.
 */
MISTRAL_API int mistral_error_is_retryable(const mistral_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_ERROR_H */
