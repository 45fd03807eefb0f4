/* SPDX-License-Identifier: Apache-2.0 */
#include "api/data_uri.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_util.h"
#include "mistral/common.h"

static const char *sniff_image(const unsigned char *p, size_t n) {
  if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return "image/png";
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return "image/jpeg";
  if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
    return "image/gif";
  if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
    return "image/webp";
  return NULL;
}

int m_read_file(const char *path, const char *what, long max, unsigned char **data,
                size_t *len, char *msg) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(msg, M_MSG_MAX, "%s %s: %s", what, path, strerror(errno));
    return MISTRAL_E_INVALID_ARG;
  }
  int rc = MISTRAL_E_INVALID_ARG;
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
    snprintf(msg, M_MSG_MAX, "%s %s: cannot determine its size", what, path);
    goto out;
  }
  if (size > max) {
    snprintf(msg, M_MSG_MAX, "%s %s: larger than %ld bytes", what, path, max);
    goto out;
  }
  *data = malloc((size_t)size + 1);
  if (!*data) {
    snprintf(msg, M_MSG_MAX, "%s %s: out of memory", what, path);
    rc = MISTRAL_E_NOMEM;
    goto out;
  }
  if (fread(*data, 1, (size_t)size, f) != (size_t)size) {
    snprintf(msg, M_MSG_MAX, "%s %s: read error", what, path);
    free(*data);
    *data = NULL;
    goto out;
  }
  *len = (size_t)size;
  rc = MISTRAL_OK;
out:
  fclose(f);
  return rc;
}

int m_data_uri_from_image_file(char **out, const char *path, char *msg) {
  *out = NULL;
  if (!path) {
    snprintf(msg, M_MSG_MAX, "image file: path is NULL");
    return MISTRAL_E_INVALID_ARG;
  }
  unsigned char *data = NULL;
  size_t len = 0;
  int rc = m_read_file(path, "image file", M_IMAGE_FILE_MAX, &data, &len, msg);
  if (rc != MISTRAL_OK) return rc;
  const char *mime = sniff_image(data, len);
  if (!mime) {
    snprintf(msg, M_MSG_MAX, "image file %s: not a PNG, JPEG, GIF or WebP image", path);
    free(data);
    return MISTRAL_E_INVALID_ARG;
  }
  /* "data:" mime ";base64," then 4 output bytes per 3 input bytes + NUL. */
  size_t prefix = strlen("data:") + strlen(mime) + strlen(";base64,");
  size_t b64 = 4 * ((len + 2) / 3);
  char *uri = malloc(prefix + b64 + 1);
  if (!uri) {
    free(data);
    snprintf(msg, M_MSG_MAX, "image file %s: out of memory", path);
    return MISTRAL_E_NOMEM;
  }
  snprintf(uri, prefix + 1, "data:%s;base64,", mime);
  /* EVP_EncodeBlock takes an int length: encode in slices (a multiple of 3
   * bytes, so no padding appears mid-stream). */
  size_t in = 0, outpos = prefix;
  while (in < len) {
    size_t slice = len - in > 3u * (1u << 20) ? 3u * (1u << 20) : len - in;
    outpos += (size_t)EVP_EncodeBlock((unsigned char *)uri + outpos, data + in, (int)slice);
    in += slice;
  }
  uri[outpos] = '\0';
  free(data);
  *out = uri;
  return MISTRAL_OK;
}
