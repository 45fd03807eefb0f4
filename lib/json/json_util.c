/* SPDX-License-Identifier: Apache-2.0 */
#include "json/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "mistral/common.h"

json_t *m_json_str(const char *text, const char *field, int *code, char *msg) {
  if (!text) {
    *code = MISTRAL_E_INVALID_ARG;
    snprintf(msg, M_MSG_MAX, "%s: must not be NULL", field);
    return NULL;
  }
  size_t n = strlen(text), bad;
  if (!m_utf8_valid(text, n, &bad)) {
    *code = MISTRAL_E_INVALID_ARG;
    snprintf(msg, M_MSG_MAX, "%s: invalid UTF-8 at byte %zu", field, bad);
    return NULL;
  }
  json_t *s = json_stringn_nocheck(text, n);
  if (!s) {
    *code = MISTRAL_E_NOMEM;
    snprintf(msg, M_MSG_MAX, "%s: out of memory", field);
  }
  return s;
}

static const char *type_name(int t) {
  return t == JSON_OBJECT ? "an object" : t == JSON_ARRAY ? "an array" : "a value";
}

json_t *m_json_parse_text(const char *text, int want_type, const char *field, int *code,
                          char *msg) {
  if (!text) {
    *code = MISTRAL_E_INVALID_ARG;
    snprintf(msg, M_MSG_MAX, "%s: must not be NULL", field);
    return NULL;
  }
  json_error_t je;
  memset(&je, 0, sizeof je); /* jansson may fail on memory before filling it */
  json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
  if (!v) {
    *code = json_error_code(&je) == json_error_out_of_memory ? MISTRAL_E_NOMEM
                                                              : MISTRAL_E_INVALID_ARG;
    snprintf(msg, M_MSG_MAX, "%s: invalid JSON at line %d, column %d: %s", field, je.line,
             je.column, je.text);
    return NULL;
  }
  if (want_type >= 0 && (int)json_typeof(v) != want_type) {
    *code = MISTRAL_E_INVALID_ARG;
    snprintf(msg, M_MSG_MAX, "%s: must be JSON text of %s", field, type_name(want_type));
    json_decref(v);
    return NULL;
  }
  return v;
}

int m_json_dump_malloc(char **out, size_t *len, const json_t *v) {
  return m_json_dump_with(out, len, v, &mistral_default_allocator);
}

int m_json_dump_with(char **out, size_t *len, const json_t *v, const mistral_allocator *a) {
  *out = NULL;
  size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
  char *text = n ? m_malloc(a, n + 1) : NULL;
  if (!text || json_dumpb(v, text, n, JSON_COMPACT) != n) {
    m_free(a, text);
    return MISTRAL_E_NOMEM;
  }
  text[n] = '\0';
  *out = text;
  if (len) *len = n;
  return MISTRAL_OK;
}
