/* SPDX-License-Identifier: Apache-2.0 */
/* The accumulator: chunks in, one merged chat response out. Pure: no I/O.
 *
 * The merged response is produced by writing the ChatCompletionResponse JSON
 * the server would have sent for a non-streaming call and decoding it with
 * the non-streaming decoder, so both paths give identical structs.
 *
 * The usage and the content chunks other than text and thinking are kept as
 * the compact JSON text the chunk decoder made of them and pasted into that
 * JSON verbatim, never re-parsed with jansson: jansson refuses some JSON the
 * decoder accepts (integers beyond int64), which would fail the stream. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_decode.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "json/json_util.h"
#include "mistral/stream.h"
#include "stream/accumulator.h"

typedef struct acc_tool {
  int64_t index;
  m_buf id, type, name, args;
  int completed;
} acc_tool;

/* A run of content: consecutive text deltas (or thinking deltas) merge into
 * one piece; any other chunk stays as it came. */
typedef struct acc_piece {
  mistral_chunk_type type;
  m_buf text; /* text and thinking */
  char *json; /* other chunk types: the chunk as compact JSON text */
} acc_piece;

typedef struct acc_choice {
  int64_t index;
  char *role;
  char *finish_reason;
  int content_is_list; /* the server sent chunk lists rather than strings */
  int has_content;
  acc_piece *pieces;
  size_t piece_count, piece_cap;
  acc_tool *tools;
  size_t tool_count, tool_cap;
} acc_choice;

/* A completed tool call, as handed out until the next add. */
typedef struct acc_done {
  mistral_tool_call call;
  size_t choice_pos, tool_pos; /* where the call lives in the accumulator */
} acc_done;

struct mistral_chat_accumulator {
  mistral_allocator alloc; /* every allocation of the accumulator and its responses */
  char *id, *model;
  int64_t created;
  char *usage; /* compact JSON text of the last usage, or NULL */
  acc_choice *choices;
  size_t choice_count, choice_cap;
  acc_done *done;
  size_t done_count, done_cap;
};

int m_chat_accumulator_new(mistral_chat_accumulator **out, const mistral_allocator *alloc) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = m_calloc(alloc, 1, sizeof **out);
  if (!*out) return MISTRAL_E_NOMEM;
  (*out)->alloc = *alloc;
  return MISTRAL_OK;
}

int mistral_chat_accumulator_new(mistral_chat_accumulator **out) {
  return m_chat_accumulator_new(out, &mistral_default_allocator);
}

static void free_choice(const mistral_allocator *A, acc_choice *c) {
  m_free(A, c->role);
  m_free(A, c->finish_reason);
  for (size_t i = 0; i < c->piece_count; i++) {
    m_buf_free(&c->pieces[i].text);
    m_free(A, c->pieces[i].json);
  }
  m_free(A, c->pieces);
  for (size_t i = 0; i < c->tool_count; i++) {
    m_buf_free(&c->tools[i].id);
    m_buf_free(&c->tools[i].type);
    m_buf_free(&c->tools[i].name);
    m_buf_free(&c->tools[i].args);
  }
  m_free(A, c->tools);
}

void mistral_chat_accumulator_free(mistral_chat_accumulator *acc) {
  if (!acc) return;
  const mistral_allocator *A = &acc->alloc;
  for (size_t i = 0; i < acc->choice_count; i++) free_choice(A, &acc->choices[i]);
  m_free(A, acc->choices);
  m_free(A, acc->done);
  m_free(A, acc->id);
  m_free(A, acc->model);
  m_free(A, acc->usage);
  mistral_allocator a = acc->alloc;
  m_free(&a, acc);
}

/* Grows an array of elem-sized items to hold one more; 0 or NOMEM. */
static int grow(const mistral_allocator *A, void **arr, size_t *cap, size_t count, size_t elem) {
  if (count < *cap) return 0;
  size_t ncap = *cap ? *cap * 2 : 4;
  void *g = m_realloc(A, *arr, ncap * elem);
  if (!g) return MISTRAL_E_NOMEM;
  *arr = g;
  *cap = ncap;
  return 0;
}

static int replace_str(const mistral_allocator *A, char **slot, const char *s) {
  if (!s) return 0;
  char *d = m_strdup(A, s);
  if (!d) return MISTRAL_E_NOMEM;
  m_free(A, *slot);
  *slot = d;
  return 0;
}

static acc_choice *find_choice(mistral_chat_accumulator *acc, int64_t index) {
  for (size_t i = 0; i < acc->choice_count; i++)
    if (acc->choices[i].index == index) return &acc->choices[i];
  if (grow(&acc->alloc, (void **)&acc->choices, &acc->choice_cap, acc->choice_count, sizeof(acc_choice)))
    return NULL;
  acc_choice *c = &acc->choices[acc->choice_count++];
  memset(c, 0, sizeof *c);
  c->index = index;
  return c;
}

static int mark_done(mistral_chat_accumulator *acc, acc_choice *c, acc_tool *t) {
  if (t->completed) return 0;
  if (grow(&acc->alloc, (void **)&acc->done, &acc->done_cap, acc->done_count, sizeof(acc_done)))
    return MISTRAL_E_NOMEM;
  t->completed = 1;
  acc_done *d = &acc->done[acc->done_count++];
  d->choice_pos = (size_t)(c - acc->choices);
  d->tool_pos = (size_t)(t - c->tools);
  return 0;
}

/* Points the completed calls at their buffers, once the add is over (a
 * buffer may still have moved while the chunk was being merged). */
static void publish_done(mistral_chat_accumulator *acc) {
  for (size_t i = 0; i < acc->done_count; i++) {
    acc_done *d = &acc->done[i];
    const acc_tool *t = &acc->choices[d->choice_pos].tools[d->tool_pos];
    d->call.id = t->id.data;
    d->call.type = t->type.data ? t->type.data : "function";
    d->call.index = t->index;
    d->call.name = t->name.data;
    /* A call whose fragments never carried arguments takes none: "{}"
     * keeps it valid JSON for the round trip. */
    d->call.arguments = t->args.len ? t->args.data : "{}";
  }
}

static int add_text(const mistral_allocator *A, acc_choice *c, mistral_chunk_type type, const char *text) {
  acc_piece *last = c->piece_count ? &c->pieces[c->piece_count - 1] : NULL;
  if (!last || last->type != type || last->json) {
    if (grow(A, (void **)&c->pieces, &c->piece_cap, c->piece_count, sizeof(acc_piece)))
      return MISTRAL_E_NOMEM;
    last = &c->pieces[c->piece_count++];
    memset(last, 0, sizeof *last);
    last->type = type;
    m_buf_init(&last->text, A);
  }
  return m_buf_append_str(&last->text, text ? text : "");
}

static int add_other(const mistral_allocator *A, acc_choice *c, const mistral_content_chunk *chunk) {
  if (grow(A, (void **)&c->pieces, &c->piece_cap, c->piece_count, sizeof(acc_piece)))
    return MISTRAL_E_NOMEM;
  acc_piece *p = &c->pieces[c->piece_count];
  memset(p, 0, sizeof *p);
  p->type = chunk->type;
  m_buf_init(&p->text, A);
  if (!(p->json = m_strdup(A, chunk->json))) return MISTRAL_E_NOMEM;
  c->piece_count++;
  return 0;
}

static int merge_tool(mistral_chat_accumulator *acc, acc_choice *c, const mistral_tool_call *tc) {
  const mistral_allocator *A = &acc->alloc;
  acc_tool *t = NULL;
  for (size_t i = 0; i < c->tool_count; i++)
    if (c->tools[i].index == tc->index) t = &c->tools[i];
  if (!t) {
    /* A new index starts: the calls before it in this choice are complete. */
    for (size_t i = 0; i < c->tool_count; i++)
      if (mark_done(acc, c, &c->tools[i])) return MISTRAL_E_NOMEM;
    if (grow(A, (void **)&c->tools, &c->tool_cap, c->tool_count, sizeof(acc_tool)))
      return MISTRAL_E_NOMEM;
    t = &c->tools[c->tool_count++];
    memset(t, 0, sizeof *t);
    t->index = tc->index;
    m_buf_init(&t->id, A);
    m_buf_init(&t->type, A);
    m_buf_init(&t->name, A);
    m_buf_init(&t->args, A);
  }
  /* id, type and name come whole (on the first fragment, or repeated);
   * arguments come in pieces. */
  if (tc->id && *tc->id && !t->id.len && m_buf_append_str(&t->id, tc->id)) return MISTRAL_E_NOMEM;
  if (tc->type && *tc->type && !t->type.len && m_buf_append_str(&t->type, tc->type))
    return MISTRAL_E_NOMEM;
  if (tc->name && *tc->name && !t->name.len && m_buf_append_str(&t->name, tc->name))
    return MISTRAL_E_NOMEM;
  if (tc->arguments && m_buf_append_str(&t->args, tc->arguments)) return MISTRAL_E_NOMEM;
  return 0;
}

static int merge_choice(mistral_chat_accumulator *acc, const mistral_chat_chunk_choice *cc) {
  const mistral_allocator *A = &acc->alloc;
  acc_choice *c = find_choice(acc, cc->index);
  if (!c) return MISTRAL_E_NOMEM;
  const mistral_assistant_message *d = cc->delta;
  if (d) {
    if (d->role && replace_str(A, &c->role, d->role)) return MISTRAL_E_NOMEM;
    if (d->chunk_count) {
      c->content_is_list = 1;
      c->has_content = 1;
      for (size_t i = 0; i < d->chunk_count; i++) {
        const mistral_content_chunk *ch = d->chunks[i];
        int rc = ch->type == MISTRAL_CHUNK_TEXT || ch->type == MISTRAL_CHUNK_THINKING
                     ? add_text(A, c, ch->type, ch->text)
                     : add_other(A, c, ch);
        if (rc) return rc;
      }
    } else if (d->content) {
      c->has_content = 1;
      if (add_text(A, c, MISTRAL_CHUNK_TEXT, d->content)) return MISTRAL_E_NOMEM;
    }
    for (size_t i = 0; i < d->tool_call_count; i++)
      if (merge_tool(acc, c, d->tool_calls[i])) return MISTRAL_E_NOMEM;
  }
  if (cc->finish_reason_raw) {
    if (replace_str(A, &c->finish_reason, cc->finish_reason_raw)) return MISTRAL_E_NOMEM;
    for (size_t i = 0; i < c->tool_count; i++)
      if (mark_done(acc, c, &c->tools[i])) return MISTRAL_E_NOMEM;
  }
  return 0;
}

int mistral_chat_accumulator_add(mistral_chat_accumulator *acc, const mistral_chat_chunk *chunk) {
  if (!acc || !chunk) return MISTRAL_E_INVALID_ARG;
  acc->done_count = 0;
  if (chunk->id && replace_str(&acc->alloc, &acc->id, chunk->id)) return MISTRAL_E_NOMEM;
  if (chunk->model && replace_str(&acc->alloc, &acc->model, chunk->model)) return MISTRAL_E_NOMEM;
  if (chunk->created) acc->created = chunk->created;
  if (chunk->usage && chunk->usage->json && replace_str(&acc->alloc, &acc->usage, chunk->usage->json))
    return MISTRAL_E_NOMEM;
  for (size_t i = 0; i < chunk->choice_count; i++)
    if (merge_choice(acc, chunk->choices[i])) return MISTRAL_E_NOMEM;
  publish_done(acc);
  return MISTRAL_OK;
}

int mistral_chat_accumulator_finish(mistral_chat_accumulator *acc) {
  if (!acc) return MISTRAL_E_INVALID_ARG;
  acc->done_count = 0;
  for (size_t i = 0; i < acc->choice_count; i++)
    for (size_t j = 0; j < acc->choices[i].tool_count; j++)
      if (mark_done(acc, &acc->choices[i], &acc->choices[i].tools[j])) return MISTRAL_E_NOMEM;
  publish_done(acc);
  return MISTRAL_OK;
}

size_t mistral_chat_accumulator_completed_count(const mistral_chat_accumulator *acc) {
  return acc ? acc->done_count : 0;
}

const mistral_tool_call *mistral_chat_accumulator_completed(const mistral_chat_accumulator *acc,
                                                            size_t i, int64_t *choice_index) {
  if (!acc || i >= acc->done_count) return NULL;
  if (choice_index) *choice_index = acc->choices[acc->done[i].choice_pos].index;
  return &acc->done[i].call;
}

/* ---- the merged response ---- */

/* The verbatim JSON texts of a response being written: a piece's JSON goes
 * into the jansson tree as a placeholder string, U+0000 and the text's
 * number, which no decoded string can hold (jv refuses \u0000), so that
 * its dump "\u0000<n>" is found and replaced after json_dumps(). */
typedef struct verbatim {
  const mistral_allocator *alloc;
  const char **texts;
  size_t count, cap;
} verbatim;

static json_t *placeholder(verbatim *v, const char *text) {
  if (grow(v->alloc, (void **)&v->texts, &v->cap, v->count, sizeof *v->texts)) return NULL;
  char mark[24];
  mark[0] = '\0';
  int n = snprintf(mark + 1, sizeof mark - 1, "%zu", v->count);
  v->texts[v->count++] = text;
  return json_stringn(mark, (size_t)n + 1);
}

/* The dump with every placeholder replaced by its text, and the usage text
 * (when there is one) added as the root's last member. */
static int paste(m_buf *out, const char *dump, const verbatim *v, const char *usage) {
  static const char mark[] = "\"\\u0000";
  const char *p = dump, *hit;
  while ((hit = strstr(p, mark))) {
    const char *num = hit + sizeof mark - 1;
    char *end;
    unsigned long long k = strtoull(num, &end, 10);
    if (end == num || *end != '"' || k >= v->count) return MISTRAL_E_INTERNAL;
    if (m_buf_append(out, p, (size_t)(hit - p)) || m_buf_append_str(out, v->texts[k]))
      return MISTRAL_E_NOMEM;
    p = end + 1;
  }
  size_t rest = strlen(p);
  if (usage) {
    /* The root object's closing brace ends the dump. */
    if (rest == 0 || p[rest - 1] != '}') return MISTRAL_E_INTERNAL;
    if (m_buf_append(out, p, rest - 1) || m_buf_append_str(out, ",\"usage\":") ||
        m_buf_append_str(out, usage) || m_buf_append(out, "}", 1))
      return MISTRAL_E_NOMEM;
  } else if (m_buf_append(out, p, rest)) {
    return MISTRAL_E_NOMEM;
  }
  return MISTRAL_OK;
}

static json_t *piece_json(const acc_piece *p, verbatim *v) {
  if (p->json) return placeholder(v, p->json);
  const char *text = m_buf_str(&p->text);
  if (p->type == MISTRAL_CHUNK_THINKING)
    return json_pack("{s:s,s:[{s:s,s:s%}]}", "type", "thinking", "thinking", "type", "text",
                     "text", text, p->text.len);
  return json_pack("{s:s,s:s%}", "type", "text", "text", text, p->text.len);
}

static json_t *choice_json(const acc_choice *c, verbatim *v) {
  json_t *msg = json_pack("{s:s}", "role", c->role ? c->role : "assistant");
  if (!msg) return NULL;
  json_t *content = json_null();
  if (c->content_is_list) {
    content = json_array();
    for (size_t i = 0; content && i < c->piece_count; i++)
      if (json_array_append_new(content, piece_json(&c->pieces[i], v)) != 0) {
        json_decref(content);
        content = NULL;
      }
  } else if (c->has_content) {
    m_buf all;
    m_buf_init(&all, v->alloc);
    int oom = 0;
    for (size_t i = 0; i < c->piece_count; i++)
      oom |= m_buf_append(&all, m_buf_str(&c->pieces[i].text), c->pieces[i].text.len);
    content = oom ? NULL : json_stringn(m_buf_str(&all), all.len);
    m_buf_free(&all);
  }
  if (!content || json_object_set_new(msg, "content", content) != 0) goto oom;
  if (c->tool_count) {
    json_t *calls = json_array();
    if (!calls || json_object_set_new(msg, "tool_calls", calls) != 0) goto oom;
    for (size_t i = 0; i < c->tool_count; i++) {
      const acc_tool *t = &c->tools[i];
      json_t *call = json_pack("{s:s?,s:s,s:I,s:{s:s,s:s}}", "id", t->id.len ? t->id.data : NULL,
                               "type", t->type.len ? t->type.data : "function", "index",
                               (json_int_t)t->index, "function", "name", m_buf_str(&t->name),
                               "arguments", t->args.len ? t->args.data : "{}");
      if (!call || json_array_append_new(calls, call) != 0) goto oom;
    }
  }
  json_t *choice = json_pack("{s:I,s:o,s:s?}", "index", (json_int_t)c->index, "message", msg,
                             "finish_reason", c->finish_reason);
  return choice;
oom:
  json_decref(msg);
  return NULL;
}

static int by_index(const void *a, const void *b) {
  const acc_choice *x = *(const acc_choice *const *)a, *y = *(const acc_choice *const *)b;
  return (x->index > y->index) - (x->index < y->index);
}

int mistral_chat_accumulator_response(mistral_chat_response **out,
                                      const mistral_chat_accumulator *acc) {
  return m_chat_accumulator_response(out, acc, NULL);
}

int m_chat_accumulator_response(mistral_chat_response **out, const mistral_chat_accumulator *acc,
                                const m_http_response *http) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  if (!acc) return MISTRAL_E_INVALID_ARG;
  int rc = MISTRAL_E_NOMEM;
  const mistral_allocator *A = &acc->alloc;
  verbatim v = {A, NULL, 0, 0};
  m_buf text;
  m_buf_init(&text, A);
  char *dump = NULL;
  const acc_choice **order = m_malloc(A, (acc->choice_count ? acc->choice_count : 1) * sizeof *order);
  json_t *root = json_pack("{s:s?,s:s,s:I,s:s?}", "id", acc->id, "object", "chat.completion",
                           "created", (json_int_t)acc->created, "model", acc->model);
  json_t *choices = json_array();
  if (!order || !root || !choices || json_object_set(root, "choices", choices) != 0) goto done;
  for (size_t i = 0; i < acc->choice_count; i++) order[i] = &acc->choices[i];
  qsort(order, acc->choice_count, sizeof *order, by_index);
  for (size_t i = 0; i < acc->choice_count; i++)
    if (json_array_append_new(choices, choice_json(order[i], &v)) != 0) goto done;
  if (m_json_dump_with(&dump, NULL, root, A) != MISTRAL_OK) goto done;
  if ((rc = paste(&text, dump, &v, acc->usage)) != MISTRAL_OK) goto done;
  rc = m_chat_response_decode(out, A, m_buf_str(&text), text.len, http, NULL);
done:
  m_free(A, dump);
  m_buf_free(&text);
  m_free(A, v.texts);
  m_free(A, order);
  json_decref(choices);
  json_decref(root);
  return rc;
}
