/* SPDX-License-Identifier: Apache-2.0 */
#include "api/fields.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8.h"

int m_fields_init(m_fields *f) {
  memset(f, 0, sizeof *f);
  f->options = M_CALL_OPTIONS_UNSET;
  f->obj = json_object();
  return f->obj ? MISTRAL_OK : MISTRAL_E_NOMEM;
}

void m_fields_free(m_fields *f) {
  json_decref(f->obj);
  f->obj = NULL;
}

/* Error messages are UTF-8 text, but some quote caller input (a field name
 * given to set_null or unset, an image path) that may not be, and a long
 * one may be cut inside a character: every byte that does not belong to a
 * valid sequence becomes '?'. */
static void utf8_scrub(char *s) {
  size_t n = strlen(s), at = 0, bad;
  while (at < n && !m_utf8_valid(s + at, n - at, &bad)) {
    s[at + bad] = '?';
    at += bad + 1;
  }
}

int m_fields_fail(m_fields *f, int code, const char *msg) {
  if (f && f->error_code == MISTRAL_OK) {
    f->error_code = code;
    snprintf(f->error_msg, sizeof f->error_msg, "%s", msg);
    utf8_scrub(f->error_msg);
  }
  return code;
}

int m_fields_failf(m_fields *f, int code, const char *fmt, ...) {
  char msg[M_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return m_fields_fail(f, code, msg);
}

int m_fields_put(m_fields *f, const char *key, json_t *value, int code, const char *msg) {
  if (!value) return m_fields_fail(f, code, msg);
  if (json_object_set_new(f->obj, key, value) != 0)
    return m_fields_fail(f, MISTRAL_E_NOMEM, "out of memory");
  return MISTRAL_OK;
}

int m_fields_put_new(m_fields *f, const char *key, json_t *value) {
  return m_fields_put(f, key, value, MISTRAL_E_NOMEM, "out of memory");
}

int m_fields_put_string(m_fields *f, const char *key, const char *text) {
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *s = m_json_str(text, key, &code, msg);
  return m_fields_put(f, key, s, code, msg);
}

int m_fields_put_model(m_fields *f, const char *model) {
  if (model && !*model) return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "model: must not be empty");
  return m_fields_put_string(f, "model", model);
}

int m_fields_put_json_text(m_fields *f, const char *key, const char *text, int want_type) {
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *v = m_json_parse_text(text, want_type, key, &code, msg);
  return m_fields_put(f, key, v, code, msg);
}

int m_fields_put_number(m_fields *f, const char *key, double v, double lo, int lo_open,
                        double hi) {
  if (!isfinite(v) || v < lo || (lo_open && v == lo) || v > hi)
    return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "%s: %g is outside %s%g, %g]", key, v,
                          lo_open ? "(" : "[", lo, hi);
  return m_fields_put_new(f, key, json_real(v));
}

int m_fields_put_int(m_fields *f, const char *key, int64_t v, int64_t min) {
  if (v < min)
    return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "%s: %lld is below the minimum %lld", key,
                          (long long)v, (long long)min);
  return m_fields_put_new(f, key, json_integer((json_int_t)v));
}

int m_fields_put_string_list(m_fields *f, const char *key, const char *const *items,
                             size_t count) {
  if (count && !items) return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "%s: list is NULL", key);
  json_t *arr = json_array();
  if (!arr) return m_fields_fail(f, MISTRAL_E_NOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    int code = MISTRAL_OK;
    char msg[M_MSG_MAX];
    json_t *s = m_json_str(items[i], key, &code, msg);
    if (!s || json_array_append_new(arr, s) != 0) {
      json_decref(arr);
      return m_fields_fail(f, s ? MISTRAL_E_NOMEM : code, s ? "out of memory" : msg);
    }
  }
  return m_fields_put_new(f, key, arr);
}

static int in_list(const char *name, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(name, list[i]) == 0) return 1;
  return 0;
}

int m_fields_set_null(m_fields *f, const char *field, const char *const *nullable,
                      size_t nullable_count) {
  if (!field || !in_list(field, nullable, nullable_count))
    return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "set_null: \"%s\" is not a nullable field",
                          field ? field : "(null)");
  return m_fields_put_new(f, field, json_null());
}

int m_fields_unset(m_fields *f, const char *field, const char *const *nullable,
                   size_t nullable_count, const char *const *other, size_t other_count) {
  if (!field) return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "unset: field name is NULL");
  if (!in_list(field, nullable, nullable_count) && !in_list(field, other, other_count))
    return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "unset: \"%s\" is not an optional field",
                          field);
  json_object_del(f->obj, field);
  return MISTRAL_OK;
}

int m_fields_check(const m_fields *f, mistral_error *err) {
  if (f->error_code != MISTRAL_OK)
    return m_err_set(err, f->error_code, "invalid request: %s", f->error_msg);
  return MISTRAL_OK;
}
