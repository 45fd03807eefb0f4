/* SPDX-License-Identifier: Apache-2.0 */
/* The slow, always-right JSON number to float conversion (see
 * embeddings_number.h for the fast ones). */
#include "api/embeddings_number.h"

#include <math.h>

#include "json/strtod.h"
#include "mistral/common.h"

int m_num_float_slow(const char *text, size_t len, const mistral_allocator *alloc,
                     float *out) {
  double d;
  int rc = m_json_strtod(text, len, alloc, &d);
  if (rc == MISTRAL_E_NOMEM) return rc;
  if (rc != M_STRTOD_OK) return -1;
  float f = (float)d;
  if (isinf(f)) return -1;
  *out = f;
  return 0;
}
