/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/raw.h
 * The escape hatch: call any endpoint of the API with JSON text in and out,
 * with the client's authentication, timeouts and error handling. Use it for
 * operations this release has no typed call for.
 *
 *     mistral_raw_response *r;
 *     int rc = mistral_raw_call(&r, client, "GET", "/v1/models", NULL, err);
 *     if (r) {
 *       printf("%d %s\n", mistral_raw_response_status(r),
 *              mistral_raw_response_body(r, NULL));
 *       mistral_raw_response_free(r);
 *     }
 *
 * Threads: any thread; a response belongs to one thread at a time.
 */
#ifndef MISTRAL_RAW_H
#define MISTRAL_RAW_H

#include <stddef.h>

#include "mistral/client.h"
#include "mistral/common.h"
#include "mistral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mistral_raw_response mistral_raw_response;

/**
 * Sends METHOD path with an optional JSON body and waits for the response.
 *
 * @param out receives the response whenever one was received, also for an
 *        HTTP error status (then the return value is the matching error and
 *        err is filled as for a typed call); NULL when nothing was received.
 * @param method "GET", "POST", "PUT", "PATCH" or "DELETE".
 * @param path the path and query, starting with "/" ("/v1/models"); path
 *        parameters must already be percent-encoded. CR, LF, NUL, spaces and
 *        other characters not allowed in a URL are rejected.
 * @param json_body JSON text sent with Content-Type: application/json, or
 *        NULL for no body. It is validated first (MISTRAL_E_INVALID_ARG).
 * @return as mistral_chat_complete(), except that a success status with any
 *         body is MISTRAL_OK.
 */
MISTRAL_API int mistral_raw_call(mistral_raw_response **out, mistral_client *client,
                                 const char *method, const char *path,
                                 const char *json_body, mistral_error *err);

/** The HTTP status code. */
MISTRAL_API int mistral_raw_response_status(const mistral_raw_response *resp);

/**
 * The body (NUL-terminated; may contain other NULs if the server sent
 * binary data); its length goes to *len when len is not NULL. Borrowed.
 */
MISTRAL_API const char *mistral_raw_response_body(const mistral_raw_response *resp,
                                                  size_t *len);

/** The value of the first response header with this name (case-insensitive),
 *  or NULL. Borrowed. */
MISTRAL_API const char *mistral_raw_response_header(const mistral_raw_response *resp,
                                                    const char *name);

/** Number of response headers, for iterating with the two getters below. */
MISTRAL_API size_t mistral_raw_response_header_count(const mistral_raw_response *resp);

/** Name of header i (lower-case), or NULL when out of range. */
MISTRAL_API const char *mistral_raw_response_header_name(const mistral_raw_response *resp,
                                                         size_t i);

/** Value of header i, or NULL when out of range. */
MISTRAL_API const char *mistral_raw_response_header_value(const mistral_raw_response *resp,
                                                          size_t i);

/** Frees the response. NULL is a no-op. */
MISTRAL_API void mistral_raw_response_free(mistral_raw_response *resp);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_RAW_H */
