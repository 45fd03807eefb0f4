/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_fail(const char *file, int line, const char *what) {
  fprintf(stderr, "fuzz: %s:%d: check failed: %s\n", file, line, what);
  abort();
}

/* ---- the failing allocator ---- */

static int fz_take(fz_alloc *fa) {
  if (fa->budget == 0) {
    fa->failures++;
    return 0;
  }
  if (fa->budget > 0) fa->budget--;
  return 1;
}

static void *fz_malloc(size_t n, void *ud) {
  fz_alloc *fa = ud;
  if (!fz_take(fa)) return NULL;
  void *p = malloc(n ? n : 1);
  if (p) fa->live++;
  return p;
}

static void *fz_realloc(void *p, size_t n, void *ud) {
  fz_alloc *fa = ud;
  if (!fz_take(fa)) return NULL;
  void *q = realloc(p, n ? n : 1);
  if (q && !p) fa->live++;
  return q;
}

static void fz_free(void *p, void *ud) {
  fz_alloc *fa = ud;
  if (p) fa->live--;
  free(p);
}

void fz_alloc_init(fz_alloc *fa, long budget) {
  fa->a.malloc_fn = fz_malloc;
  fa->a.realloc_fn = fz_realloc;
  fa->a.free_fn = fz_free;
  fa->a.user_data = fa;
  fa->budget = budget;
  fa->live = 0;
  fa->failures = 0;
}

/* ---- input-derived choices ---- */

uint64_t fz_hash(const uint8_t *data, size_t size) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < size; i++) {
    h ^= data[i];
    h *= 0x100000001b3u;
  }
  return h | 1;
}

uint64_t fz_rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* ---- walkers ---- */

/* Every byte read lands here, so that no read is optimised away. */
static volatile unsigned fz_sink;

size_t fz_str(const char *s) {
  if (!s) return 0;
  size_t n = strlen(s);
  unsigned sum = 0;
  for (size_t i = 0; i < n; i++) sum += (unsigned char)s[i];
  fz_sink += sum;
  return n;
}

void fz_walk_usage(const mistral_usage *u) {
  FZ_CHECK(u != NULL);
  FZ_CHECK(u->json != NULL && u->json[0] == '{');
  fz_str(u->json);
  /* Unsigned: token counts are any int64 the server sent (no overflow). */
  fz_sink += (unsigned)((uint64_t)u->prompt_tokens + (uint64_t)u->completion_tokens +
                        (uint64_t)u->total_tokens);
}

static void walk_content_chunk(const mistral_content_chunk *c) {
  FZ_CHECK(c != NULL);
  FZ_CHECK(c->type >= MISTRAL_CHUNK_TEXT && c->type <= MISTRAL_CHUNK_UNKNOWN);
  FZ_CHECK(c->json != NULL && c->json[0] != '\0');
  if (c->type != MISTRAL_CHUNK_UNKNOWN) FZ_CHECK(c->type_name != NULL);
  fz_str(c->type_name);
  fz_str(c->text);
  fz_str(c->url);
  fz_str(c->detail);
  fz_str(c->name);
  fz_str(c->file_id);
  fz_str(c->json);
}

static void walk_tool_call(const mistral_tool_call *t, int delta) {
  FZ_CHECK(t != NULL);
  FZ_CHECK(t->arguments != NULL);
  if (!delta) FZ_CHECK(t->type != NULL);
  fz_str(t->id);
  fz_str(t->type);
  fz_str(t->name);
  fz_str(t->arguments);
  fz_sink += (unsigned)t->index;
}

void fz_walk_message(const mistral_assistant_message *m, int delta) {
  FZ_CHECK(m != NULL);
  if (!delta) FZ_CHECK(m->role != NULL);
  fz_str(m->role);
  size_t content_len = fz_str(m->content);
  if (m->chunk_count) {
    FZ_CHECK(m->chunks != NULL && m->content != NULL);
    /* The text view is the text chunks' texts, concatenated. */
    size_t text = 0;
    for (size_t i = 0; i < m->chunk_count; i++) {
      walk_content_chunk(m->chunks[i]);
      if (m->chunks[i]->type == MISTRAL_CHUNK_TEXT) text += fz_str(m->chunks[i]->text);
    }
    FZ_CHECK(text == content_len);
  }
  if (m->tool_call_count) FZ_CHECK(m->tool_calls != NULL);
  for (size_t i = 0; i < m->tool_call_count; i++) walk_tool_call(m->tool_calls[i], delta);
  fz_sink += m->prefix;
}

void fz_walk_chat_response(const mistral_chat_response *r) {
  FZ_CHECK(r != NULL);
  fz_str(r->id);
  fz_str(r->object);
  fz_str(r->model);
  fz_sink += (unsigned)r->created;
  fz_walk_usage(r->usage);
  if (r->choice_count) FZ_CHECK(r->choices != NULL);
  for (size_t i = 0; i < r->choice_count; i++) {
    const mistral_chat_choice *c = r->choices[i];
    FZ_CHECK(c != NULL);
    FZ_CHECK(c->finish_reason >= MISTRAL_FINISH_NONE &&
             c->finish_reason <= MISTRAL_FINISH_UNKNOWN);
    FZ_CHECK((c->finish_reason == MISTRAL_FINISH_NONE) == (c->finish_reason_raw == NULL));
    fz_str(c->finish_reason_raw);
    fz_walk_message(c->message, 0);
    fz_sink += (unsigned)c->index;
  }
  fz_str(r->model_deprecation);
  fz_str(r->request_id);
  FZ_CHECK(r->raw_json != NULL && r->raw_json[r->raw_json_len] == '\0');
  fz_str(r->raw_json);
  /* The convenience view agrees with the struct. */
  const char *text = mistral_chat_response_text(r);
  FZ_CHECK(text == (r->choice_count ? r->choices[0]->message->content : NULL));
}

void fz_walk_chunk(const mistral_chat_chunk *c) {
  FZ_CHECK(c != NULL);
  fz_str(c->id);
  fz_str(c->object);
  fz_str(c->model);
  fz_sink += (unsigned)c->created;
  if (c->usage) fz_walk_usage(c->usage);
  if (c->choice_count) FZ_CHECK(c->choices != NULL);
  for (size_t i = 0; i < c->choice_count; i++) {
    const mistral_chat_chunk_choice *ch = c->choices[i];
    FZ_CHECK(ch != NULL);
    FZ_CHECK(ch->finish_reason >= MISTRAL_FINISH_NONE &&
             ch->finish_reason <= MISTRAL_FINISH_UNKNOWN);
    FZ_CHECK((ch->finish_reason == MISTRAL_FINISH_NONE) == (ch->finish_reason_raw == NULL));
    fz_str(ch->finish_reason_raw);
    fz_walk_message(ch->delta, 1);
    fz_sink += (unsigned)ch->index;
  }
  FZ_CHECK(c->raw_json != NULL && c->raw_json[c->raw_json_len] == '\0');
}

void fz_walk_error(const mistral_error *err) {
  FZ_CHECK(err != NULL);
  FZ_CHECK(mistral_error_message(err) != NULL);
  fz_str(mistral_error_message(err));
  fz_str(mistral_error_api_message(err));
  fz_str(mistral_error_api_type(err));
  fz_str(mistral_error_api_code(err));
  fz_str(mistral_error_api_param(err));
  fz_str(mistral_error_request_id(err));
  fz_str(mistral_error_body(err));
  fz_str(mistral_error_transport_message(err));
  size_t n = mistral_error_detail_count(err);
  for (size_t i = 0; i < n; i++) {
    FZ_CHECK(mistral_error_detail_loc(err, i) != NULL);
    fz_str(mistral_error_detail_loc(err, i));
    fz_str(mistral_error_detail_msg(err, i));
    fz_str(mistral_error_detail_type(err, i));
  }
  FZ_CHECK(mistral_error_detail_loc(err, n) == NULL);
  fz_sink += (unsigned)mistral_error_http_status(err) + (unsigned)mistral_error_is_retryable(err);
}

char *fz_copy(const uint8_t *data, size_t size, size_t room) {
  char *copy = malloc(size + room ? size + room : 1);
  FZ_CHECK(copy != NULL);
  if (size) memcpy(copy, data, size);
  return copy;
}

void fz_check_decode_failure(int rc, const mistral_error *err) {
  FZ_CHECK(rc == MISTRAL_E_BAD_RESPONSE || rc == MISTRAL_E_NOMEM);
  FZ_CHECK(mistral_error_code(err) == rc);
  fz_walk_error(err);
  FZ_CHECK(mistral_error_message(err)[0] != '\0');
}
