/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the models decoder (m_models_decode,
 * lib/api/models_decode.h): the input is a body, decoded as each of the six
 * kinds (list, card, fine-tuning card, delete, archive and unarchive
 * results). On success every field is read and checked against
 * mistral/models.h (id, capabilities, names, aliases and json never NULL;
 * every capability name answers mistral_model_card_has_capability(); every
 * card is found by mistral_model_list_find(); deprecation_time 0 without a
 * deprecation; raw_json is the body); on failure the status is
 * MISTRAL_E_BAD_RESPONSE with a message. One kind (the input's hash picks
 * it) is decoded again with an allocator that fails after a few
 * allocations: the same answer or MISTRAL_E_NOMEM, nothing leaked. The
 * date parser m_rfc3339_to_unix() also reads the input as a string.
 *
 *   fuzz_models -max_total_time=60 -dict=fuzz/json.dict <scratch> fuzz/corpus/models
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/models_decode.h"
#include "core/alloc.h"
#include "fuzz_util.h"
#include "http/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_card(const mistral_model_card *c) {
  FZ_CHECK(c != NULL && c->id != NULL);
  fz_str(c->id);
  fz_str(c->object);
  fz_str(c->owned_by);
  FZ_CHECK(c->type >= MISTRAL_MODEL_TYPE_UNKNOWN && c->type <= MISTRAL_MODEL_TYPE_FINE_TUNED);
  fz_str(c->type_raw);
  const mistral_model_capabilities *caps = c->capabilities;
  FZ_CHECK(caps != NULL && caps->names != NULL && caps->json != NULL);
  for (size_t i = 0; i < caps->name_count; i++) {
    FZ_CHECK(caps->names[i] != NULL);
    fz_str(caps->names[i]);
    FZ_CHECK(mistral_model_card_has_capability(c, caps->names[i]));
  }
  fz_str(caps->json);
  fz_str(c->name);
  fz_str(c->description);
  FZ_CHECK(c->aliases != NULL);
  for (size_t i = 0; i < c->alias_count; i++) {
    FZ_CHECK(c->aliases[i] != NULL);
    fz_str(c->aliases[i]);
  }
  fz_str(c->deprecation);
  if (!c->deprecation) FZ_CHECK(c->deprecation_time == 0);
  fz_str(c->deprecation_replacement_model);
  if (!c->has_default_model_temperature) FZ_CHECK(c->default_model_temperature == 0.0);
  fz_str(c->job);
  fz_str(c->root);
  fz_str(c->model_type);
  fz_str(c->workspace_id);
  fz_str(c->root_version);
  fz_str(c->classifier_targets_json);
  FZ_CHECK(c->json != NULL && c->json[0] == '{');
  fz_str(c->json);
  fz_str(c->request_id);
}

static void walk(void *out, m_models_kind kind, const char *body, size_t size) {
  switch (kind) {
  case M_MODELS_LIST: {
    const mistral_model_list *l = out;
    fz_str(l->object);
    if (l->model_count) FZ_CHECK(l->models != NULL);
    for (size_t i = 0; i < l->model_count; i++) {
      walk_card(l->models[i]);
      FZ_CHECK(l->models[i]->request_id == NULL);
      const mistral_model_card *found = mistral_model_list_find(l, l->models[i]->id);
      FZ_CHECK(found && strcmp(found->id, l->models[i]->id) == 0);
    }
    fz_str(l->request_id);
    FZ_CHECK(l->raw_json_len == size && memcmp(l->raw_json, body, size) == 0);
    FZ_CHECK(l->raw_json[size] == '\0');
    break;
  }
  case M_MODELS_CARD:
  case M_MODELS_FT_CARD: walk_card(out); break;
  case M_MODELS_DELETED:
  case M_MODELS_ARCHIVED:
  case M_MODELS_UNARCHIVED: {
    const mistral_model_result *r = out;
    FZ_CHECK(r->id != NULL);
    fz_str(r->id);
    fz_str(r->object);
    if (kind == M_MODELS_DELETED) FZ_CHECK(!r->archived);
    else FZ_CHECK(!r->deleted);
    fz_str(r->request_id);
    FZ_CHECK(r->raw_json_len == size && memcmp(r->raw_json, body, size) == 0);
    FZ_CHECK(r->raw_json[size] == '\0');
    break;
  }
  }
}

static void release(void *out, m_models_kind kind) {
  switch (kind) {
  case M_MODELS_LIST: mistral_model_list_free(out); break;
  case M_MODELS_CARD:
  case M_MODELS_FT_CARD: mistral_model_card_free(out); break;
  default: mistral_model_result_free(out); break;
  }
}

static int decode(m_models_kind kind, const mistral_allocator *a, const char *body, size_t size,
                  const m_http_response *http, size_t *count) {
  mistral_error *err = mistral_error_new();
  FZ_CHECK(err != NULL);
  void *out = NULL;
  int rc = m_models_decode(&out, kind, a, body, size, http, err);
  if (rc == MISTRAL_OK) {
    FZ_CHECK(out != NULL);
    walk(out, kind, body, size);
    *count = kind == M_MODELS_LIST ? ((mistral_model_list *)out)->model_count : 1;
    release(out, kind);
  } else {
    FZ_CHECK(out == NULL);
    fz_check_decode_failure(rc, err);
  }
  mistral_error_free(err);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *body = fz_copy(data, size, 1); /* room for a NUL, for the date parser */
  uint64_t h = fz_hash(data, size);

  char n_rid[] = "x-request-id", v_rid[] = "models-req-1";
  m_header header = {n_rid, v_rid};
  m_http_response http;
  m_http_response_init(&http, &mistral_default_allocator);
  http.headers = &header;
  http.header_count = 1;
  const m_http_response *hp = h & 2 ? &http : NULL;

  static const m_models_kind kinds[6] = {M_MODELS_LIST,     M_MODELS_CARD,
                                         M_MODELS_FT_CARD,  M_MODELS_DELETED,
                                         M_MODELS_ARCHIVED, M_MODELS_UNARCHIVED};
  int rcs[6];
  size_t counts[6] = {0};
  for (int k = 0; k < 6; k++) {
    rcs[k] = decode(kinds[k], &mistral_default_allocator, body, size, hp, &counts[k]);
    FZ_CHECK(rcs[k] != MISTRAL_E_NOMEM);
  }
  /* A card and a fine-tuning card accept the same bodies. */
  FZ_CHECK(rcs[1] == rcs[2]);

  int k = (int)((h >> 4) % 6);
  fz_alloc fa;
  fz_alloc_init(&fa, (long)((h >> 8) % 16));
  size_t count = 0;
  int frc = decode(kinds[k], &fa.a, body, size, hp, &count);
  FZ_CHECK(frc == rcs[k] || (frc == MISTRAL_E_NOMEM && fa.failures > 0));
  if (frc == MISTRAL_OK) FZ_CHECK(count == counts[k]);
  FZ_CHECK(fa.live == 0);

  /* The date parser on the input as a string. */
  body[size] = '\0';
  int64_t t = 0;
  if (m_rfc3339_to_unix(body, &t) == 0) {
    /* Years 0000 to 9999, offsets within a day. */
    FZ_CHECK(t >= -62167219200 - 86400 && t < 253402300800 + 86400);
  }

  http.headers = NULL;
  http.header_count = 0;
  m_http_response_free(&http);
  free(body);
  return 0;
}
