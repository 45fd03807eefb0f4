/* SPDX-License-Identifier: Apache-2.0 */
/* A local document or image as a base64 data: URI for the OCR endpoint
 * (uploading files is another API; the OCR endpoint takes data: URIs in
 * document_url and image_url). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/data_uri.h"
#include "api/ocr_internal.h"
#include "json/json_util.h"

typedef struct file_type {
  const char *mime;
  m_ocr_file_kind kind;
} file_type;

static const char docx_mime[] =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
static const char pptx_mime[] =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n > k && strcasecmp(s + n - k, suffix) == 0;
}

/* The type from the first bytes (and the extension for ZIP containers). */
static int sniff(const unsigned char *p, size_t n, const char *path, file_type *t) {
  static const struct {
    const char *magic;
    size_t len;
    size_t at;
    const char *mime;
    m_ocr_file_kind kind;
  } magics[] = {
      {"%PDF-", 5, 0, "application/pdf", M_OCR_FILE_DOCUMENT},
      {"\x89PNG\r\n\x1a\n", 8, 0, "image/png", M_OCR_FILE_IMAGE},
      {"\xff\xd8\xff", 3, 0, "image/jpeg", M_OCR_FILE_IMAGE},
      {"GIF87a", 6, 0, "image/gif", M_OCR_FILE_IMAGE},
      {"GIF89a", 6, 0, "image/gif", M_OCR_FILE_IMAGE},
      {"II*\0", 4, 0, "image/tiff", M_OCR_FILE_IMAGE},
      {"MM\0*", 4, 0, "image/tiff", M_OCR_FILE_IMAGE},
      {"ftypavif", 8, 4, "image/avif", M_OCR_FILE_IMAGE},
      {"ftypavis", 8, 4, "image/avif", M_OCR_FILE_IMAGE},
  };
  for (size_t i = 0; i < sizeof magics / sizeof *magics; i++)
    if (n >= magics[i].at + magics[i].len &&
        memcmp(p + magics[i].at, magics[i].magic, magics[i].len) == 0) {
      t->mime = magics[i].mime;
      t->kind = magics[i].kind;
      return 1;
    }
  if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) {
    t->mime = "image/webp";
    t->kind = M_OCR_FILE_IMAGE;
    return 1;
  }
  if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) {
    t->kind = M_OCR_FILE_DOCUMENT;
    if (ends_with(path, ".docx")) t->mime = docx_mime;
    else if (ends_with(path, ".pptx")) t->mime = pptx_mime;
    else return 0;
    return 1;
  }
  return 0;
}

static char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *b = slash ? slash + 1 : path;
  size_t n = strlen(b);
  char *copy = malloc(n + 1);
  if (copy) memcpy(copy, b, n + 1);
  return copy;
}

int m_ocr_file_data_uri(char **uri_out, char **name, m_ocr_file_kind *kind, const char *path,
                        char *msg) {
  *uri_out = NULL;
  *name = NULL;
  if (!path) {
    snprintf(msg, M_MSG_MAX, "document file: path is NULL");
    return MISTRAL_E_INVALID_ARG;
  }
  unsigned char *data = NULL;
  size_t len = 0;
  int rc = m_read_file(path, "document file", MISTRAL_OCR_FILE_MAX, &data, &len, msg);
  if (rc != MISTRAL_OK) return rc;
  file_type t;
  if (!sniff(data, len, path, &t)) {
    snprintf(msg, M_MSG_MAX,
             "document file %s: not a PDF, DOCX, PPTX or PNG, JPEG, GIF, WebP, TIFF or AVIF "
             "image",
             path);
    free(data);
    return MISTRAL_E_INVALID_ARG;
  }
  size_t prefix = strlen("data:") + strlen(t.mime) + strlen(";base64,");
  size_t b64 = 4 * ((len + 2) / 3);
  char *uri = malloc(prefix + b64 + 1);
  char *base = t.kind == M_OCR_FILE_DOCUMENT ? base_name(path) : NULL;
  if (!uri || (t.kind == M_OCR_FILE_DOCUMENT && !base)) {
    free(uri);
    free(base);
    free(data);
    snprintf(msg, M_MSG_MAX, "document file %s: out of memory", path);
    return MISTRAL_E_NOMEM;
  }
  snprintf(uri, prefix + 1, "data:%s;base64,", t.mime);
  /* EVP_EncodeBlock takes an int length: encode in slices that are a
   * multiple of 3 bytes, so that no padding appears mid-stream. */
  size_t in = 0, at = prefix;
  while (in < len) {
    size_t slice = len - in > 3u * (1u << 20) ? 3u * (1u << 20) : len - in;
    at += (size_t)EVP_EncodeBlock((unsigned char *)uri + at, data + in, (int)slice);
    in += slice;
  }
  uri[at] = '\0';
  free(data);
  *uri_out = uri;
  *name = base;
  *kind = t.kind;
  return MISTRAL_OK;
}
