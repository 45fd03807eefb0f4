/* SPDX-License-Identifier: Apache-2.0 */
#include "api/chat_decode.h"

#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "json/json_util.h"

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

/* The text of a thinking chunk: its text parts, concatenated. */
static char *thinking_text(m_arena *ar, json_t *parts, int *oom) {
  m_buf b;
  m_buf_init(&b, &ar->alloc);
  size_t i;
  json_t *part;
  json_array_foreach(parts, i, part) {
    json_t *t = json_object_get(part, "text");
    if (json_is_string(t) && m_buf_append(&b, json_string_value(t), json_string_length(t))) {
      *oom = 1;
      break;
    }
  }
  char *s = *oom ? NULL : m_arena_strndup(ar, m_buf_str(&b), b.len);
  if (!s) *oom = 1;
  m_buf_free(&b);
  return s;
}

mistral_content_chunk *m_decode_chunk(m_arena *ar, json_t *chunk) {
  mistral_content_chunk *c = m_arena_calloc(ar, 1, sizeof *c);
  if (!c) return NULL;
  int oom = 0;
  json_t *type = json_object_get(chunk, "type");
  c->type_name = m_json_arena_str(ar, type);
  c->type = chunk_type(json_string_value(type));
  c->json = m_json_arena_dump(ar, chunk, &oom);
  switch (c->type) {
  case MISTRAL_CHUNK_TEXT: c->text = m_json_arena_str(ar, json_object_get(chunk, "text")); break;
  case MISTRAL_CHUNK_IMAGE_URL: {
    json_t *iu = json_object_get(chunk, "image_url");
    c->url = m_json_arena_str(ar, json_is_object(iu) ? json_object_get(iu, "url") : iu);
    if (json_is_object(iu)) c->detail = m_json_arena_str(ar, json_object_get(iu, "detail"));
    break;
  }
  case MISTRAL_CHUNK_DOCUMENT_URL:
    c->url = m_json_arena_str(ar, json_object_get(chunk, "document_url"));
    c->name = m_json_arena_str(ar, json_object_get(chunk, "document_name"));
    break;
  case MISTRAL_CHUNK_FILE: c->file_id = m_json_arena_str(ar, json_object_get(chunk, "file_id")); break;
  case MISTRAL_CHUNK_THINKING: {
    json_t *parts = json_object_get(chunk, "thinking");
    if (json_is_array(parts)) c->text = thinking_text(ar, parts, &oom);
    break;
  }
  case MISTRAL_CHUNK_INPUT_AUDIO:
    c->text = m_json_arena_str(ar, json_object_get(chunk, "input_audio"));
    break;
  case MISTRAL_CHUNK_TOOL_REFERENCE:
    c->url = m_json_arena_str(ar, json_object_get(chunk, "url"));
    c->name = m_json_arena_str(ar, json_object_get(chunk, "title"));
    break;
  case MISTRAL_CHUNK_REFERENCE:
  case MISTRAL_CHUNK_UNKNOWN: break;
  }
  /* A NULL from m_json_arena_str is either "absent" or "no memory"; the
   * arena only fails when the system is out of memory, which the dump of
   * the whole chunk (always present) detects. */
  return oom || !c->json ? NULL : c;
}

static mistral_tool_call *decode_tool_call(m_arena *ar, json_t *tc, int64_t position,
                                           m_decode_mode mode) {
  mistral_tool_call *t = m_arena_calloc(ar, 1, sizeof *t);
  if (!t) return NULL;
  json_t *fn = json_object_get(tc, "function");
  json_t *args = json_object_get(fn, "arguments");
  int oom = 0;
  t->id = m_json_arena_str(ar, json_object_get(tc, "id"));
  t->type = m_json_arena_str(ar, json_object_get(tc, "type"));
  if (!t->type && mode == M_DECODE_MESSAGE) t->type = "function";
  json_t *index = json_object_get(tc, "index");
  t->index = json_is_integer(index) ? (int64_t)json_integer_value(index) : position;
  t->name = m_json_arena_str(ar, json_object_get(fn, "name"));
  /* Arguments are JSON text for the caller whatever the server sent: a
   * string as is, an object (some models, the spec allows it) as JSON. */
  if (json_is_string(args)) t->arguments = m_json_arena_str(ar, args);
  else if (args && !json_is_null(args)) t->arguments = m_json_arena_dump(ar, args, &oom);
  else t->arguments = mode == M_DECODE_MESSAGE ? "{}" : "";
  return oom || !t->arguments ? NULL : t;
}

int m_decode_message(m_arena *ar, json_t *msg, mistral_assistant_message *out,
                     m_decode_mode mode) {
  memset(out, 0, sizeof *out);
  out->role = m_json_arena_str(ar, json_object_get(msg, "role"));
  if (!out->role && mode == M_DECODE_MESSAGE) out->role = "assistant";
  out->prefix = json_is_true(json_object_get(msg, "prefix"));

  json_t *content = json_object_get(msg, "content");
  if (json_is_string(content)) {
    if (!(out->content = m_json_arena_str(ar, content))) return MISTRAL_E_NOMEM;
  } else if (json_is_array(content)) {
    size_t n = json_array_size(content), text_len = 0;
    mistral_content_chunk **chunks = m_arena_calloc(ar, n ? n : 1, sizeof *chunks);
    if (!chunks) return MISTRAL_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
      if (!(chunks[i] = m_decode_chunk(ar, json_array_get(content, i)))) return MISTRAL_E_NOMEM;
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

  json_t *calls = json_object_get(msg, "tool_calls");
  if (json_is_array(calls) && json_array_size(calls)) {
    size_t n = json_array_size(calls);
    mistral_tool_call **tcs = m_arena_calloc(ar, n, sizeof *tcs);
    if (!tcs) return MISTRAL_E_NOMEM;
    for (size_t i = 0; i < n; i++)
      if (!(tcs[i] = decode_tool_call(ar, json_array_get(calls, i), (int64_t)i, mode)))
        return MISTRAL_E_NOMEM;
    out->tool_calls = (const mistral_tool_call *const *)tcs;
    out->tool_call_count = n;
  }
  return MISTRAL_OK;
}

int m_decode_usage(m_arena *ar, json_t *usage, mistral_usage *out) {
  memset(out, 0, sizeof *out);
  int oom = 0;
  if (json_is_object(usage)) {
    out->prompt_tokens = m_json_int(usage, "prompt_tokens");
    out->completion_tokens = m_json_int(usage, "completion_tokens");
    out->total_tokens = m_json_int(usage, "total_tokens");
    out->json = m_json_arena_dump(ar, usage, &oom);
  } else {
    out->json = "{}";
  }
  return oom ? MISTRAL_E_NOMEM : MISTRAL_OK;
}

static int bad(mistral_error *err, const char *what) {
  return m_err_set(err, MISTRAL_E_BAD_RESPONSE, "malformed chat response: %s", what);
}

static int decode_root(m_chat_response_box *box, json_t *root, mistral_error *err) {
  m_arena *ar = &box->arena;
  mistral_chat_response *r = &box->pub;
  if (!json_is_object(root)) return bad(err, "the body is not a JSON object");
  json_t *choices = json_object_get(root, "choices");
  if (!json_is_array(choices)) return bad(err, "no \"choices\" array");

  r->id = m_json_arena_str(ar, json_object_get(root, "id"));
  r->object = m_json_arena_str(ar, json_object_get(root, "object"));
  r->model = m_json_arena_str(ar, json_object_get(root, "model"));
  r->created = m_json_int(root, "created");
  mistral_usage *usage = m_arena_alloc(ar, sizeof *usage);
  if (!usage || m_decode_usage(ar, json_object_get(root, "usage"), usage)) goto oom;
  r->usage = usage;

  size_t n = json_array_size(choices);
  mistral_chat_choice **cs = m_arena_calloc(ar, n ? n : 1, sizeof *cs);
  if (!cs) goto oom;
  for (size_t i = 0; i < n; i++) {
    json_t *c = json_array_get(choices, i);
    if (!json_is_object(c)) return bad(err, "a choice is not an object");
    mistral_chat_choice *choice = m_arena_calloc(ar, 1, sizeof *choice);
    mistral_assistant_message *msg = m_arena_calloc(ar, 1, sizeof *msg);
    if (!choice || !msg) goto oom;
    json_t *index = json_object_get(c, "index");
    choice->index = json_is_integer(index) ? (int64_t)json_integer_value(index) : (int64_t)i;
    json_t *fr = json_object_get(c, "finish_reason");
    choice->finish_reason_raw = m_json_arena_str(ar, fr);
    choice->finish_reason = m_finish_reason_from_string(json_string_value(fr));
    json_t *m = json_object_get(c, "message");
    if (m && !json_is_object(m)) return bad(err, "a choice's message is not an object");
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
  json_error_t je;
  json_t *root = json_loadb(body, len, 0, &je);
  if (!root) {
    if (json_error_code(&je) == json_error_out_of_memory)
      return m_err_set(err, MISTRAL_E_NOMEM, "out of memory while parsing the response");
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                     "malformed chat response: invalid JSON at line %d, column %d: %s", je.line,
                     je.column, je.text);
  }
  m_arena arena;
  m_arena_init(&arena, alloc);
  m_chat_response_box *box = m_arena_calloc(&arena, 1, sizeof *box);
  int rc = box ? MISTRAL_OK : m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  if (box) {
    box->arena = arena;
    rc = decode_root(box, root, err);
  }
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
  json_decref(root);
  if (rc != MISTRAL_OK) {
    /* The box lives in its own arena: release through a copy. */
    m_arena doomed = box ? box->arena : arena;
    m_arena_release(&doomed);
    return rc;
  }
  *out = &box->pub;
  return MISTRAL_OK;
}

void mistral_chat_response_free(mistral_chat_response *resp) {
  if (!resp) return;
  m_chat_response_box *box = (m_chat_response_box *)resp;
  m_arena doomed = box->arena;
  m_arena_release(&doomed);
}

const char *mistral_chat_response_text(const mistral_chat_response *resp) {
  if (!resp || resp->choice_count == 0 || !resp->choices[0]->message) return NULL;
  return resp->choices[0]->message->content;
}
