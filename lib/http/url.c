/* SPDX-License-Identifier: Apache-2.0 */
#include "http/url.h"

#include <curl/curl.h>
#include <limits.h>
#include <string.h>

#include "core/error.h"

int m_url_append_escaped(m_buf *b, const char *s, size_t len, const char *what,
                         mistral_error *err) {
  for (size_t i = 0; i < len; i++)
    if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
      return m_err_set(err, MISTRAL_E_INVALID_ARG, "%s: contains %s", what,
                       s[i] == '\r' ? "a CR" : s[i] == '\n' ? "an LF" : "a NUL byte");
  if (len == 0) return MISTRAL_OK; /* curl_easy_escape would take 0 as "use strlen" */
  if (len > INT_MAX) return m_err_set(err, MISTRAL_E_INVALID_ARG, "%s: too long", what);
  /* libcurl >= 7.82 ignores the handle. Only A-Z a-z 0-9 - . _ ~ are kept. */
  char *escaped = curl_easy_escape(NULL, s, (int)len);
  if (!escaped) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  int rc = m_buf_append_str(b, escaped);
  curl_free(escaped);
  return rc == MISTRAL_OK ? MISTRAL_OK : m_err_set(err, rc, "out of memory");
}

int m_url_append_segment(m_buf *b, const char *s, size_t len, const char *what,
                         mistral_error *err) {
  if (len == 0) return m_err_set(err, MISTRAL_E_INVALID_ARG, "%s: must not be empty", what);
  if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "%s: \"%.*s\" is not a valid path segment",
                     what, (int)len, s);
  return m_url_append_escaped(b, s, len, what, err);
}
