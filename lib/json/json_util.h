/* SPDX-License-Identifier: Apache-2.0 */
/* jansson helpers for building request bodies: turning caller text into
 * JSON values with errors that name the field, and dumping a body.
 * (Responses are decoded with json/jv.h.) */
#ifndef MISTRAL_JSON_UTIL_H
#define MISTRAL_JSON_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

/* Room for one argument-error message. */
#define M_MSG_MAX 256

/* A JSON string from caller text: NULL text, invalid UTF-8 or no memory give
 * NULL and a message naming field in msg (M_MSG_MAX bytes), *code set to
 * MISTRAL_E_INVALID_ARG or MISTRAL_E_NOMEM. */
json_t *m_json_str(const char *text, const char *field, int *code, char *msg);

/* Parses caller JSON text. want_type is JSON_OBJECT, JSON_ARRAY, or -1 for
 * any value. Errors as m_json_str, the message giving jansson's position. */
json_t *m_json_parse_text(const char *text, int want_type, const char *field, int *code,
                          char *msg);

/* v as compact JSON text in a malloc'd string (*len may be NULL).
 * MISTRAL_OK or MISTRAL_E_NOMEM. */
int m_json_dump_malloc(char **out, size_t *len, const json_t *v);
/* The same, the string allocated with a (free it with m_free(a, ...)). */
int m_json_dump_with(char **out, size_t *len, const json_t *v, const mistral_allocator *a);

#endif
