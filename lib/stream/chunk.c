/* SPDX-License-Identifier: Apache-2.0 */
#include "stream/chunk.h"

#include "api/chat_decode.h"

int m_chunk_decode(const mistral_chat_chunk **out, m_arena *ar, const m_jv *root,
                   const char *raw, size_t raw_len) {
  *out = NULL;
  const m_jv *choices = m_jv_get(root, "choices");
  if (!m_jv_is_array(choices)) return MISTRAL_E_STREAM;
  mistral_chat_chunk *c = m_arena_calloc(ar, 1, sizeof *c);
  if (!c) return MISTRAL_E_NOMEM;
  c->id = m_jv_string(m_jv_get(root, "id"), NULL);
  c->object = m_jv_string(m_jv_get(root, "object"), NULL);
  c->model = m_jv_string(m_jv_get(root, "model"), NULL);
  c->created = m_jv_int(m_jv_get(root, "created"));
  const m_jv *usage = m_jv_get(root, "usage");
  if (m_jv_is_object(usage)) {
    mistral_usage *u = m_arena_alloc(ar, sizeof *u);
    if (!u || m_decode_usage(ar, usage, u) != MISTRAL_OK) return MISTRAL_E_NOMEM;
    c->usage = u;
  }
  size_t n = m_jv_len(choices);
  mistral_chat_chunk_choice **cs = m_arena_calloc(ar, n ? n : 1, sizeof *cs);
  if (!cs) return MISTRAL_E_NOMEM;
  for (size_t i = 0; i < n; i++) {
    const m_jv *ch = m_jv_at(choices, i);
    if (!m_jv_is_object(ch)) return MISTRAL_E_STREAM;
    mistral_chat_chunk_choice *cc = m_arena_calloc(ar, 1, sizeof *cc);
    mistral_assistant_message *delta = m_arena_calloc(ar, 1, sizeof *delta);
    if (!cc || !delta) return MISTRAL_E_NOMEM;
    const m_jv *index = m_jv_get(ch, "index");
    cc->index = m_jv_is_int(index) ? m_jv_int(index) : (int64_t)i;
    cc->finish_reason_raw = m_jv_string(m_jv_get(ch, "finish_reason"), NULL);
    cc->finish_reason = m_finish_reason_from_string(cc->finish_reason_raw);
    const m_jv *d = m_jv_get(ch, "delta");
    if (m_decode_message(ar, m_jv_is_object(d) ? d : NULL, delta, M_DECODE_DELTA) != MISTRAL_OK)
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
