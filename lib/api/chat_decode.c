/* SPDX-License-Identifier: Apache-2.0 */
#include "api/chat_decode.h"

#include <stddef.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8.h"
#include "json/jv.h"

static const struct {
  const char *name;
  mistral_finish_reason value;
} finish_reasons[] = {{"stop", MISTRAL_FINISH_STOP},
                      {"length", MISTRAL_FINISH_LENGTH},
                      {"model_length", MISTRAL_FINISH_MODEL_LENGTH},
                      {"error", MISTRAL_FINISH_ERROR},
                      {"tool_calls", MISTRAL_FINISH_TOOL_CALLS}};

mistral_finish_reason m_finish_reason_from_string(const char *s) {
  if (!s) return MISTRAL_FINISH_NONE;
  for (size_t i = 0; i < sizeof finish_reasons / sizeof *finish_reasons; i++)
    if (strcmp(s, finish_reasons[i].name) == 0) return finish_reasons[i].value;
  return MISTRAL_FINISH_UNKNOWN;
}

static const struct {
  const char *name;
  mistral_chunk_type type;
} chunk_types[] = {{"text", MISTRAL_CHUNK_TEXT},
                   {"image_url", MISTRAL_CHUNK_IMAGE_URL},
                   {"document_url", MISTRAL_CHUNK_DOCUMENT_URL},
                   {"file", MISTRAL_CHUNK_FILE},
                   {"reference", MISTRAL_CHUNK_REFERENCE},
                   {"thinking", MISTRAL_CHUNK_THINKING},
                   {"input_audio", MISTRAL_CHUNK_INPUT_AUDIO},
                   {"tool_reference", MISTRAL_CHUNK_TOOL_REFERENCE}};

static mistral_chunk_type chunk_type(const char *s) {
  for (size_t i = 0; s && i < sizeof chunk_types / sizeof *chunk_types; i++)
    if (strcmp(s, chunk_types[i].name) == 0) return chunk_types[i].type;
  return MISTRAL_CHUNK_UNKNOWN;
}

/* A string member (borrowed from the tree, which lives in the arena). */
static const char *str(const m_jv *obj, const char *key) {
  return m_jv_string(m_jv_get(obj, key), NULL);
}

/* The text of a thinking chunk: its text parts, concatenated. */
static char *thinking_text(m_arena *ar, const m_jv *parts) {
  size_t total = 0, n = m_jv_len(parts);
  for (size_t i = 0; i < n; i++) {
    const m_jv *t = m_jv_get(m_jv_at(parts, i), "text");
    if (m_jv_is_string(t)) total += m_jv_len(t);
  }
  char *s = m_arena_alloc(ar, total + 1);
  if (!s) return NULL;
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len;
    const char *t = m_jv_string(m_jv_get(m_jv_at(parts, i), "text"), &len);
    if (!t) continue;
    memcpy(s + pos, t, len);
    pos += len;
  }
  s[pos] = '\0';
  return s;
}

mistral_content_chunk *m_decode_chunk(m_arena *ar, const m_jv *chunk) {
  mistral_content_chunk *c = m_arena_calloc(ar, 1, sizeof *c);
  if (!c) return NULL;
  c->type_name = str(chunk, "type");
  c->type = chunk_type(c->type_name);
  c->json = m_jv_arena_compact(ar, chunk, NULL);
  switch (c->type) {
  case MISTRAL_CHUNK_TEXT: c->text = str(chunk, "text"); break;
  case MISTRAL_CHUNK_IMAGE_URL: {
    const m_jv *iu = m_jv_get(chunk, "image_url");
    c->url = m_jv_is_object(iu) ? str(iu, "url") : m_jv_string(iu, NULL);
    if (m_jv_is_object(iu)) c->detail = str(iu, "detail");
    break;
  }
  case MISTRAL_CHUNK_DOCUMENT_URL:
    c->url = str(chunk, "document_url");
    c->name = str(chunk, "document_name");
    break;
  case MISTRAL_CHUNK_FILE: c->file_id = str(chunk, "file_id"); break;
  case MISTRAL_CHUNK_THINKING: {
    const m_jv *parts = m_jv_get(chunk, "thinking");
    if (m_jv_is_array(parts) && !(c->text = thinking_text(ar, parts))) return NULL;
    break;
  }
  case MISTRAL_CHUNK_INPUT_AUDIO: c->text = str(chunk, "input_audio"); break;
  case MISTRAL_CHUNK_TOOL_REFERENCE:
    c->url = str(chunk, "url");
    c->name = str(chunk, "title");
    break;
  case MISTRAL_CHUNK_REFERENCE:
  case MISTRAL_CHUNK_UNKNOWN: break;
  }
  /* chunk is never NULL here (an array item): a NULL json is no memory. */
  return c->json ? c : NULL;
}

static mistral_tool_call *decode_tool_call(m_arena *ar, const m_jv *tc, int64_t position,
                                           m_decode_mode mode) {
  mistral_tool_call *t = m_arena_calloc(ar, 1, sizeof *t);
  if (!t) return NULL;
  const m_jv *fn = m_jv_get(tc, "function");
  const m_jv *args = m_jv_get(fn, "arguments");
  t->id = str(tc, "id");
  t->type = str(tc, "type");
  if (!t->type && mode == M_DECODE_MESSAGE) t->type = "function";
  const m_jv *index = m_jv_get(tc, "index");
  t->index = m_jv_is_int(index) ? m_jv_int(index) : position;
  t->name = str(fn, "name");
  /* Arguments are JSON text for the caller whatever the server sent: a
   * string as is, an object (some models, the spec allows it) as compact
   * JSON text. */
  if (m_jv_is_string(args)) t->arguments = m_jv_string(args, NULL);
  else if (args && !m_jv_is_null(args)) t->arguments = m_jv_arena_compact(ar, args, NULL);
  else t->arguments = mode == M_DECODE_MESSAGE ? "{}" : "";
  return t->arguments ? t : NULL;
}

int m_decode_message(m_arena *ar, const m_jv *msg, mistral_assistant_message *out,
                     m_decode_mode mode) {
  memset(out, 0, sizeof *out);
  out->role = str(msg, "role");
  if (!out->role && mode == M_DECODE_MESSAGE) out->role = "assistant";
  out->prefix = m_jv_is_true(m_jv_get(msg, "prefix"));

  const m_jv *content = m_jv_get(msg, "content");
  if (m_jv_is_string(content)) {
    out->content = m_jv_string(content, NULL);
  } else if (m_jv_is_array(content)) {
    size_t n = m_jv_len(content), text_len = 0;
    mistral_content_chunk **chunks = m_arena_calloc(ar, n ? n : 1, sizeof *chunks);
    if (!chunks) return MISTRAL_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
      if (!(chunks[i] = m_decode_chunk(ar, m_jv_at(content, i)))) return MISTRAL_E_NOMEM;
      if (chunks[i]->type == MISTRAL_CHUNK_TEXT && chunks[i]->text)
        text_len += strlen(chunks[i]->text);
    }
    /* The text view of a chunk list: its text chunks, concatenated. */
    char *text = m_arena_alloc(ar, text_len + 1);
    if (!text) return MISTRAL_E_NOMEM;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
      if (chunks[i]->type != MISTRAL_CHUNK_TEXT || !chunks[i]->text) continue;
      size_t l = strlen(chunks[i]->text);
      memcpy(text + pos, chunks[i]->text, l);
      pos += l;
    }
    text[pos] = '\0';
    out->content = text;
    out->chunks = (const mistral_content_chunk *const *)chunks;
    out->chunk_count = n;
  }

  const m_jv *calls = m_jv_get(msg, "tool_calls");
  if (m_jv_is_array(calls) && m_jv_len(calls)) {
    size_t n = m_jv_len(calls);
    mistral_tool_call **tcs = m_arena_calloc(ar, n, sizeof *tcs);
    if (!tcs) return MISTRAL_E_NOMEM;
    for (size_t i = 0; i < n; i++)
      if (!(tcs[i] = decode_tool_call(ar, m_jv_at(calls, i), (int64_t)i, mode)))
        return MISTRAL_E_NOMEM;
    out->tool_calls = (const mistral_tool_call *const *)tcs;
    out->tool_call_count = n;
  }
  return MISTRAL_OK;
}

int m_decode_usage(m_arena *ar, const m_jv *usage, mistral_usage *out) {
  memset(out, 0, sizeof *out);
  if (!m_jv_is_object(usage)) {
    out->json = "{}";
    return MISTRAL_OK;
  }
  out->prompt_tokens = m_jv_int(m_jv_get(usage, "prompt_tokens"));
  out->completion_tokens = m_jv_int(m_jv_get(usage, "completion_tokens"));
  out->total_tokens = m_jv_int(m_jv_get(usage, "total_tokens"));
  out->json = m_jv_arena_compact(ar, usage, NULL);
  return out->json ? MISTRAL_OK : MISTRAL_E_NOMEM;
}

static int bad(mistral_error *err, const char *what) {
  return m_err_set(err, MISTRAL_E_BAD_RESPONSE, "malformed chat response: %s", what);
}

/* "invalid JSON at byte N: why near '<text>'": the text is the token that
 * failed, from its start to the bad byte, when it is short printable UTF-8
 * (whole, never cut: the API key redaction must see a key whole). */
static int bad_json(mistral_error *err, const char *body, size_t len, const m_jv_error *je) {
  size_t from = je->token, n = (je->offset < len ? je->offset + 1 : len) - from;
  int quote = n > 0 && n <= 64 && m_utf8_valid(body + from, n, NULL);
  for (size_t i = 0; quote && i < n; i++)
    if ((unsigned char)body[from + i] < 0x20 || body[from + i] == 0x7f) quote = 0;
  if (!quote)
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                     "malformed chat response: invalid JSON at byte %zu: %s", je->offset, je->msg);
  return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                   "malformed chat response: invalid JSON at byte %zu: %s near '%.*s'",
                   je->offset, je->msg, (int)n, body + from);
}

static int decode_root(m_chat_response_box *box, const m_jv *root, mistral_error *err) {
  m_arena *ar = &box->arena;
  mistral_chat_response *r = &box->pub;
  if (!m_jv_is_object(root)) return bad(err, "the body is not a JSON object");
  const m_jv *choices = m_jv_get(root, "choices");
  if (!m_jv_is_array(choices)) return bad(err, "no \"choices\" array");

  r->id = str(root, "id");
  r->object = str(root, "object");
  r->model = str(root, "model");
  r->created = m_jv_int(m_jv_get(root, "created"));
  mistral_usage *usage = m_arena_alloc(ar, sizeof *usage);
  if (!usage || m_decode_usage(ar, m_jv_get(root, "usage"), usage)) goto oom;
  r->usage = usage;

  size_t n = m_jv_len(choices);
  mistral_chat_choice **cs = m_arena_calloc(ar, n ? n : 1, sizeof *cs);
  if (!cs) goto oom;
  for (size_t i = 0; i < n; i++) {
    const m_jv *c = m_jv_at(choices, i);
    if (!m_jv_is_object(c)) return bad(err, "a choice is not an object");
    mistral_chat_choice *choice = m_arena_calloc(ar, 1, sizeof *choice);
    mistral_assistant_message *msg = m_arena_calloc(ar, 1, sizeof *msg);
    if (!choice || !msg) goto oom;
    const m_jv *index = m_jv_get(c, "index");
    choice->index = m_jv_is_int(index) ? m_jv_int(index) : (int64_t)i;
    choice->finish_reason_raw = str(c, "finish_reason");
    choice->finish_reason = m_finish_reason_from_string(choice->finish_reason_raw);
    const m_jv *m = m_jv_get(c, "message");
    if (m && !m_jv_is_object(m)) return bad(err, "a choice's message is not an object");
    if (m_decode_message(ar, m, msg, M_DECODE_MESSAGE)) goto oom;
    choice->message = msg;
    cs[i] = choice;
  }
  r->choices = (const mistral_chat_choice *const *)cs;
  r->choice_count = n;
  if (ar->failed) goto oom;
  return MISTRAL_OK;
oom:
  return m_err_set(err, MISTRAL_E_NOMEM, "out of memory while decoding the response");
}

int m_chat_response_decode(mistral_chat_response **out, const mistral_allocator *alloc,
                           const char *body, size_t len, const m_http_response *http,
                           mistral_error *err) {
  *out = NULL;
  if (len == 0) return bad(err, "empty body");
  /* The tree lives in the response's arena: its strings become the
   * response's strings without a copy. */
  m_chat_response_box *box =
      m_arena_box_new(alloc, sizeof *box, offsetof(m_chat_response_box, arena));
  if (!box) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  const m_jv *root;
  m_jv_error je;
  int rc = m_jv_parse(&root, &box->arena, body, len, &je);
  if (rc == MISTRAL_E_NOMEM)
    rc = m_err_set(err, MISTRAL_E_NOMEM, "out of memory while parsing the response");
  else if (rc != MISTRAL_OK)
    rc = bad_json(err, body, len, &je);
  else
    rc = decode_root(box, root, err);
  if (rc == MISTRAL_OK) {
    mistral_chat_response *r = &box->pub;
    if (!(r->raw_json = m_arena_strndup(&box->arena, body, len))) {
      rc = m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
    } else {
      r->raw_json_len = len;
      if (http) {
        const char *dep = m_http_response_header(http, "x-model-deprecation-timestamp");
        const char *rid = m_http_request_id(http);
        r->model_deprecation = dep ? m_arena_strdup(&box->arena, dep) : NULL;
        r->request_id = rid ? m_arena_strdup(&box->arena, rid) : NULL;
        if ((dep && !r->model_deprecation) || (rid && !r->request_id))
          rc = m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
      }
    }
  }
  if (rc != MISTRAL_OK) {
    m_arena_box_free(box, offsetof(m_chat_response_box, arena));
    return rc;
  }
  *out = &box->pub;
  return MISTRAL_OK;
}

void mistral_chat_response_free(mistral_chat_response *resp) {
  if (!resp) return;
  m_arena_box_free(resp, offsetof(m_chat_response_box, arena));
}

const char *mistral_chat_response_text(const mistral_chat_response *resp) {
  if (!resp || resp->choice_count == 0 || !resp->choices[0]->message) return NULL;
  return resp->choices[0]->message->content;
}
