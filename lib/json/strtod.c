/* SPDX-License-Identifier: Apache-2.0 */
#include "json/strtod.h"

#include <errno.h>
#include <langinfo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mistral/common.h"

int m_json_strtod(const char *text, size_t len, const mistral_allocator *alloc, double *out) {
  char local[128], *buf = local;
  const char *point = nl_langinfo(RADIXCHAR);
  size_t pl = point && *point ? strlen(point) : 0;
  if (pl == 0) point = ".", pl = 1;
  if (len > (SIZE_MAX - 1) / (pl + 1)) return MISTRAL_E_NOMEM;
  size_t need = len * pl + 1; /* room for every byte being a point */
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
  char *stop;
  errno = 0;
  double d = strtod(buf, &stop);
  int overflow = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
  int partial = stop != buf + w;
  if (buf != local) m_free(alloc, buf);
  if (overflow) return M_STRTOD_RANGE;
  if (partial) return M_STRTOD_INVALID;
  *out = d;
  return M_STRTOD_OK;
}
