/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding the bodies of the models endpoints (mistral/models.h) from jv
 * trees into the public structs, every string and array in one arena. */
#ifndef MISTRAL_API_MODELS_DECODE_H
#define MISTRAL_API_MODELS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "http/transport.h"
#include "mistral/models.h"

/* A list, card or result and the arena that holds it: the *_free()
 * functions find the arena from the public pointer (the union comes
 * first). */
typedef struct m_models_box {
  union {
    mistral_model_list list;
    mistral_model_card card;
    mistral_model_result result;
  } pub;
  m_arena arena;
} m_models_box;

/* What a body is decoded as. */
typedef enum m_models_kind {
  M_MODELS_LIST,      /* ModelList -> mistral_model_list */
  M_MODELS_CARD,      /* BaseModelCard | FTModelCard -> mistral_model_card */
  M_MODELS_FT_CARD,   /* the fine-tuning endpoints' model: a card, type
                         FINE_TUNED unless "type" says otherwise */
  M_MODELS_DELETED,   /* DeleteModelResponse -> mistral_model_result */
  M_MODELS_ARCHIVED,  /* ArchiveModelResponse */
  M_MODELS_UNARCHIVED /* UnarchiveModelResponse */
} m_models_kind;

/* Decodes body[0..len) as kind into a new box; *out gets the public struct
 * (a mistral_model_list *, mistral_model_card * or mistral_model_result *).
 * http (may be NULL) supplies the request id. On failure *out is NULL and
 * err says why (MISTRAL_E_BAD_RESPONSE, MISTRAL_E_NOMEM). */
int m_models_decode(void **out, m_models_kind kind, const mistral_allocator *alloc,
                    const char *body, size_t len, const m_http_response *http,
                    mistral_error *err);

/* Parses an RFC 3339 date-time ("2025-11-30T12:00:00Z", "...T12:00:00.5+02:00";
 * 't' and 'z' accepted, fractions dropped) into Unix seconds. Returns 0 on
 * success, -1 when s is not such a date-time (out of range fields
 * included: month 13, Feb 30, hour 24, second 61). */
int m_rfc3339_to_unix(const char *s, int64_t *out);

#endif
