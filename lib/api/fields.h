/* SPDX-License-Identifier: Apache-2.0 */
/* What every typed request builder shares: its optional members kept as a
 * JSON object (so "unset" is "absent" and only setters can add a member:
 * the library cannot send a field the API does not know), the first error a
 * setter hit (the call that sends the request fails with it), and per-call
 * options. Every put_* checks its input and records failures. */
#ifndef MISTRAL_API_FIELDS_H
#define MISTRAL_API_FIELDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/options.h"
#include "json/json_util.h"
#include "mistral/error.h"

typedef struct m_fields {
  json_t *obj; /* the optional members, in set order */
  struct mistral_call_options options;
  int error_code;
  char error_msg[M_MSG_MAX];
} m_fields;

/* Starts a setter of a request that keeps its members in `f`: NULL is
 * refused, and `f` names its fields. */
#define M_FIELDS(req)                       \
  if (!(req)) return MISTRAL_E_INVALID_ARG; \
  m_fields *f = &(req)->f

/* MISTRAL_OK or MISTRAL_E_NOMEM. */
int m_fields_init(m_fields *f);
void m_fields_free(m_fields *f);

/* Records the first error (f may be NULL) and returns code. */
int m_fields_fail(m_fields *f, int code, const char *msg);
int m_fields_failf(m_fields *f, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Stores value (a new reference, stolen) as member key. value NULL means its
 * constructor failed, with code and msg saying why. */
int m_fields_put(m_fields *f, const char *key, json_t *value, int code, const char *msg);
/* value NULL here can only mean out of memory. */
int m_fields_put_new(m_fields *f, const char *key, json_t *value);
int m_fields_put_string(m_fields *f, const char *key, const char *text);
/* "model": not empty (NULL removes it, as for any string). */
int m_fields_put_model(m_fields *f, const char *model);
/* want_type: JSON_OBJECT, JSON_ARRAY or -1 for any value. */
int m_fields_put_json_text(m_fields *f, const char *key, const char *text, int want_type);
/* A finite number in [lo, hi] (lo excluded when lo_open). */
int m_fields_put_number(m_fields *f, const char *key, double v, double lo, int lo_open,
                        double hi);
int m_fields_put_int(m_fields *f, const char *key, int64_t v, int64_t min);
int m_fields_put_string_list(m_fields *f, const char *key, const char *const *items,
                             size_t count);

/* set_null / unset, given the request's lists of nullable and other
 * optional member names. */
int m_fields_set_null(m_fields *f, const char *field, const char *const *nullable,
                      size_t nullable_count);
int m_fields_unset(m_fields *f, const char *field, const char *const *nullable,
                   size_t nullable_count, const char *const *other, size_t other_count);

/* Fails with the recorded setter error, if any (filling err). */
int m_fields_check(const m_fields *f, mistral_error *err);

#endif
