/* SPDX-License-Identifier: Apache-2.0 */
/* OCR internals: decoding an OCRResponse body (json/jv.h tree) into the
 * public structs, and reading a local document into a data: URI. */
#ifndef MISTRAL_API_OCR_INTERNAL_H
#define MISTRAL_API_OCR_INTERNAL_H

#include <stddef.h>

#include "core/alloc.h"
#include "http/transport.h"
#include "mistral/ocr.h"

/* A response and the arena that holds it. */
typedef struct m_ocr_box {
  mistral_ocr_response pub;
  m_arena arena;
} m_ocr_box;

/* Decodes a whole body; http (may be NULL) supplies the request id. On
 * failure *out is NULL and err says why (MISTRAL_E_BAD_RESPONSE,
 * MISTRAL_E_NOMEM). */
int m_ocr_response_decode(mistral_ocr_response **out, const mistral_allocator *alloc,
                          const char *body, size_t len, const m_http_response *http,
                          mistral_error *err);

/* How a local file goes to the OCR endpoint. */
typedef enum m_ocr_file_kind { M_OCR_FILE_DOCUMENT, M_OCR_FILE_IMAGE } m_ocr_file_kind;

/* Reads the file at path (at most MISTRAL_OCR_FILE_MAX bytes) and builds
 * "data:<mime>;base64,<data>" (malloc'd, the caller frees it). The type
 * comes from the first bytes (PDF, PNG, JPEG, GIF, WebP, TIFF, AVIF) or, for
 * ZIP archives, from the extension (.docx, .pptx). *name receives a
 * malloc'd copy of the base name (documents only; NULL for images). On
 * failure returns MISTRAL_E_INVALID_ARG or MISTRAL_E_NOMEM with a message
 * naming the path in msg (M_MSG_MAX bytes). */
int m_ocr_file_data_uri(char **uri, char **name, m_ocr_file_kind *kind, const char *path,
                        char *msg);

#endif
