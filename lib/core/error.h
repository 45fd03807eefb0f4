/* SPDX-License-Identifier: Apache-2.0 */
/* Filling the public error object from inside the library. Error objects use
 * the libc allocator: they outlive calls and belong to no client. When an
 * allocation fails while an error is being filled, the code is still set and
 * the message falls back to mistral_strerror(). */
#ifndef MISTRAL_CORE_ERROR_H
#define MISTRAL_CORE_ERROR_H

#include <stddef.h>

#include "mistral/error.h"

/* Sets code and a formatted message (replacing any previous error). Returns
 * code, so `return m_err_set(err, MISTRAL_E_INVALID_ARG, "...")` reads well.
 * err may be NULL. */
int m_err_set(mistral_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Replaces the message alone, keeping the code and every other field. */
void m_err_set_message(mistral_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The API-level fields, each copied (NULL or n == 0 leaves the field NULL). */
typedef enum m_err_field {
  M_ERR_API_MESSAGE,
  M_ERR_API_TYPE,
  M_ERR_API_CODE,
  M_ERR_API_PARAM,
  M_ERR_REQUEST_ID,
  M_ERR_BODY,
  M_ERR_TRANSPORT,
  M_ERR_FIELD_COUNT
} m_err_field;

void m_err_set_field(mistral_error *err, m_err_field field, const char *s, size_t n);
void m_err_set_http_status(mistral_error *err, int status);
void m_err_set_attempts(mistral_error *err, int attempts); /* mistral_error_attempts() */
void m_err_add_detail(mistral_error *err, const char *loc, const char *msg, const char *type);

/* Moves everything src holds into dst (dst's old content is dropped; src
 * ends empty). dst may be NULL: src is then just cleared. */
void m_err_move(mistral_error *dst, mistral_error *src);

/* Replaces every occurrence of secret in the error's strings with
 * "[REDACTED]": a last line of defence so that the API key can never leave
 * through an error, whatever a server echoes back. */
void m_err_redact(mistral_error *err, const char *secret);

#endif
