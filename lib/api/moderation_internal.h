/* SPDX-License-Identifier: Apache-2.0 */
/* Moderation and classifier responses: decoding ModerationResponse and
 * ClassificationResponse bodies (json/jv.h trees) into the public structs,
 * every string and array in one arena per response. */
#ifndef MISTRAL_API_MODERATION_INTERNAL_H
#define MISTRAL_API_MODERATION_INTERNAL_H

#include <stddef.h>

#include "core/alloc.h"
#include "http/transport.h"
#include "mistral/moderation.h"

/* A response and the arena that holds it (the *_free() functions find the
 * arena from the public pointer). */
typedef struct m_moderation_box {
  mistral_moderation_response pub;
  m_arena arena;
} m_moderation_box;

typedef struct m_classification_box {
  mistral_classification_response pub;
  m_arena arena;
} m_classification_box;

/* Decode a whole body. http (may be NULL) supplies the request id. On
 * failure *out is NULL and err says why (MISTRAL_E_BAD_RESPONSE,
 * MISTRAL_E_NOMEM). Allocations go through alloc. */
int m_moderation_response_decode(mistral_moderation_response **out,
                                 const mistral_allocator *alloc, const char *body, size_t len,
                                 const m_http_response *http, mistral_error *err);
int m_classification_response_decode(mistral_classification_response **out,
                                     const mistral_allocator *alloc, const char *body,
                                     size_t len, const m_http_response *http,
                                     mistral_error *err);

#endif
