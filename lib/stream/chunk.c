/* SPDX-License-Identifier: Apache-2.0 */
#include "stream/chunk.h"

#include "api/chat_decode.h"
#include "json/json_util.h"

int m_chunk_decode(const mistral_chat_chunk **out, m_arena *ar, json_t *root, const char *raw,
                   size_t raw_len) {
  *out = NULL;
  json_t *choices = json_object_get(root, "choices");
  if (!json_is_array(choices)) return MISTRAL_E_STREAM;
  mistral_chat_chunk *c = m_arena_calloc(ar, 1, sizeof *c);
  if (!c) return MISTRAL_E_NOMEM;
  c->id = m_json_arena_str(ar, json_object_get(root, "id"));
  c->object = m_json_arena_str(ar, json_object_get(root, "object"));
  c->model = m_json_arena_str(ar, json_object_get(root, "model"));
  c->created = m_json_int(root, "created");
  json_t *usage = json_object_get(root, "usage");
  if (json_is_object(usage)) {
    mistral_usage *u = m_arena_alloc(ar, sizeof *u);
    if (!u || m_decode_usage(ar, usage, u) != MISTRAL_OK) return MISTRAL_E_NOMEM;
    c->usage = u;
  }
  size_t n = json_array_size(choices);
  mistral_chat_chunk_choice **cs = m_arena_calloc(ar, n ? n : 1, sizeof *cs);
  if (!cs) return MISTRAL_E_NOMEM;
  for (size_t i = 0; i < n; i++) {
    json_t *ch = json_array_get(choices, i);
    if (!json_is_object(ch)) return MISTRAL_E_STREAM;
    mistral_chat_chunk_choice *cc = m_arena_calloc(ar, 1, sizeof *cc);
    mistral_assistant_message *delta = m_arena_calloc(ar, 1, sizeof *delta);
    if (!cc || !delta) return MISTRAL_E_NOMEM;
    json_t *index = json_object_get(ch, "index");
    cc->index = json_is_integer(index) ? (int64_t)json_integer_value(index) : (int64_t)i;
    json_t *fr = json_object_get(ch, "finish_reason");
    cc->finish_reason_raw = m_json_arena_str(ar, fr);
    cc->finish_reason = m_finish_reason_from_string(json_string_value(fr));
    json_t *d = json_object_get(ch, "delta");
    if (m_decode_message(ar, json_is_object(d) ? d : NULL, delta, M_DECODE_DELTA) != MISTRAL_OK)
      return MISTRAL_E_NOMEM;
    cc->delta = delta;
    cs[i] = cc;
  }
  c->choices = (const mistral_chat_chunk_choice *const *)cs;
  c->choice_count = n;
  c->raw_json = m_arena_strndup(ar, raw, raw_len);
  c->raw_json_len = raw_len;
  if (ar->failed || !c->raw_json) return MISTRAL_E_NOMEM;
  *out = c;
  return MISTRAL_OK;
}
