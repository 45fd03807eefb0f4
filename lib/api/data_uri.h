/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MISTRAL_API_DATA_URI_H
#define MISTRAL_API_DATA_URI_H

/* Largest image file turned into a data: URI (the API's own limit is lower). */
#define M_IMAGE_FILE_MAX ((long)64 * 1024 * 1024)

#include <stddef.h>

/* Reads the whole file at path (at most max bytes) into *data (malloc'd,
 * one spare byte at the end; the caller frees it), its size in *len. On
 * failure returns MISTRAL_E_INVALID_ARG (cannot open or read it, too large)
 * or MISTRAL_E_NOMEM, with a message "<what> <path>: ..." in msg
 * (M_MSG_MAX bytes). */
int m_read_file(const char *path, const char *what, long max, unsigned char **data,
                size_t *len, char *msg);

/* Reads an image file and builds "data:<mime>;base64,<data>" (malloc'd, the
 * caller frees it). The type comes from the file's magic bytes: PNG, JPEG,
 * GIF or WebP. On failure returns MISTRAL_E_INVALID_ARG or MISTRAL_E_NOMEM
 * with a message naming the path in msg (M_MSG_MAX bytes). */
int m_data_uri_from_image_file(char **out, const char *path, char *msg);

#endif
