/* SPDX-License-Identifier: Apache-2.0 */
/* Percent-encoding of caller text that goes into a request's URL: path
 * parameters (model ids, file ids...) and query values. */
#ifndef MISTRAL_HTTP_URL_H
#define MISTRAL_HTTP_URL_H

#include <stddef.h>

#include "core/buf.h"
#include "mistral/error.h"

/* Appends s[0..len) to b percent-encoded (RFC 3986): every byte but the
 * unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex),
 * so '/', ':', '?', '#', '%', spaces and non-ASCII bytes cannot change the
 * URL's structure. what names the value in error messages ("model_id").
 * Refused with MISTRAL_E_INVALID_ARG (err filled, b unchanged): CR, LF or
 * NUL bytes anywhere (they have no place in an id, and a lenient server
 * could decode them into a header or log line). Returns MISTRAL_OK or
 * MISTRAL_E_NOMEM. */
int m_url_append_escaped(m_buf *b, const char *s, size_t len, const char *what,
                         mistral_error *err);

/* The same for one path segment: also refuses an empty value and the dot
 * segments "." and "..", which libcurl and servers resolve (a request for
 * /v1/models/.. would go to /v1/). */
int m_url_append_segment(m_buf *b, const char *s, size_t len, const char *what,
                         mistral_error *err);

#endif
