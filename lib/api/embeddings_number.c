/* SPDX-License-Identifier: Apache-2.0 */
/* The slow, always-right JSON number to float conversion (see
 * embeddings_number.h for the fast ones). */
#include "api/embeddings_number.h"

#include <errno.h>
#include <langinfo.h>
#include <math.h>
#include <stdlib.h>

#include "mistral/common.h"

int m_num_float_slow(const char *text, size_t len, const mistral_allocator *alloc,
                     float *out) {
  /* strtod reads the locale's decimal point: put it in place of '.'
   * (nl_langinfo writes no shared buffer, unlike localeconv). */
  char local[128], *buf = local;
  const char *point = nl_langinfo(RADIXCHAR);
  size_t pl = point && *point ? strlen(point) : 0;
  if (pl == 0) point = ".", pl = 1;
  if (len > (SIZE_MAX - 1) / (pl + 1)) return MISTRAL_E_NOMEM;
  size_t need = len * pl + 1;
  if (need > sizeof local && !(buf = m_malloc(alloc, need))) return MISTRAL_E_NOMEM;
  size_t w = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '.') {
      memcpy(buf + w, point, pl);
      w += pl;
    } else {
      buf[w++] = text[i];
    }
  }
  buf[w] = '\0';
  errno = 0;
  double d = strtod(buf, NULL);
  int overflow = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
  if (buf != local) m_free(alloc, buf);
  float f = (float)d;
  if (overflow || isinf(f)) return -1;
  *out = f;
  return 0;
}
