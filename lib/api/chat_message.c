/* SPDX-License-Identifier: Apache-2.0 */
/* Messages of a chat request and their content chunks (SystemMessage,
 * UserMessage, AssistantMessage, ToolMessage and ContentChunk in the spec). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_internal.h"
#include "api/data_uri.h"

static const char *const role_names[] = {"system", "user", "assistant", "tool"};

static int fail_msg(mistral_message *m, int code, const char *msg) {
  return m_chat_fail(m ? m->req : NULL, code, msg);
}

int mistral_chat_request_add_message(mistral_message **out, mistral_chat_request *req,
                                     mistral_role role, const char *text) {
  if (out) *out = NULL;
  if (!req) return MISTRAL_E_INVALID_ARG;
  if ((unsigned)role >= sizeof role_names / sizeof *role_names)
    return m_chat_fail(req, MISTRAL_E_INVALID_ARG, "messages: unknown role");
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *content = NULL;
  if (text && !(content = m_json_str(text, "messages.content", &code, msg)))
    return m_chat_fail(req, code, msg);

  if (req->message_count == req->message_cap) {
    size_t cap = req->message_cap ? req->message_cap * 2 : 8;
    mistral_message **grown = realloc(req->messages, cap * sizeof *grown);
    if (!grown) {
      json_decref(content);
      return m_chat_fail(req, MISTRAL_E_NOMEM, "out of memory");
    }
    req->messages = grown;
    req->message_cap = cap;
  }
  /* User and tool messages require "content": without text it starts as
   * null until a chunk is added. */
  if (!content && (role == MISTRAL_ROLE_USER || role == MISTRAL_ROLE_TOOL))
    content = json_null();
  mistral_message *m = calloc(1, sizeof *m);
  json_t *obj = m ? json_pack("{s:s}", "role", role_names[role]) : NULL;
  int set_failed = obj && content && json_object_set_new(obj, "content", content) != 0;
  if (!obj || set_failed) {
    if (!obj) json_decref(content); /* json_object_set_new consumed it otherwise */
    free(m);
    json_decref(obj);
    return m_chat_fail(req, MISTRAL_E_NOMEM, "out of memory");
  }
  m->req = req;
  m->role = role;
  m->obj = obj;
  req->messages[req->message_count++] = m;
  if (out) *out = m;
  return MISTRAL_OK;
}

size_t mistral_chat_request_message_count(const mistral_chat_request *req) {
  return req ? req->message_count : 0;
}

/* Sets a string member of the message. */
static int set_member(mistral_message *m, const char *key, const char *text, const char *field) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *s = m_json_str(text, field, &code, msg);
  if (!s) return fail_msg(m, code, msg);
  if (json_object_set_new(m->obj, key, s) != 0) return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
  return MISTRAL_OK;
}

int mistral_chat_request_add_tool_result(mistral_message **out, mistral_chat_request *req,
                                         const char *tool_call_id, const char *name,
                                         const char *text) {
  mistral_message *m;
  if (out) *out = NULL;
  if (!req) return MISTRAL_E_INVALID_ARG;
  if (!text) return m_chat_fail(req, MISTRAL_E_INVALID_ARG, "messages.content: tool result text is NULL");
  int rc = mistral_chat_request_add_message(&m, req, MISTRAL_ROLE_TOOL, text);
  if (rc == MISTRAL_OK && tool_call_id) rc = mistral_message_set_tool_call_id(m, tool_call_id);
  if (rc == MISTRAL_OK && name) rc = mistral_message_set_name(m, name);
  if (rc == MISTRAL_OK && out) *out = m;
  return rc;
}

/* ---- chunks ---- */

/* The chunk types each role may carry (the spec's SystemMessageContentChunks
 * allows text and thinking only). */
static int role_allows(mistral_role role, const char *type) {
  if (role != MISTRAL_ROLE_SYSTEM) return 1;
  return strcmp(type, "text") == 0 || strcmp(type, "thinking") == 0;
}

/* Appends chunk (stolen) to the message's content list, turning a plain
 * string content into a first text chunk. */
static int append_chunk(mistral_message *m, json_t *chunk) {
  if (!chunk) return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
  const char *type = json_string_value(json_object_get(chunk, "type"));
  if (!type || !role_allows(m->role, type)) {
    char msg[M_MSG_MAX];
    snprintf(msg, sizeof msg, "messages.content: a %s message cannot hold a \"%s\" chunk",
             role_names[m->role], type ? type : "(untyped)");
    json_decref(chunk);
    return fail_msg(m, MISTRAL_E_INVALID_ARG, msg);
  }
  json_t *content = json_object_get(m->obj, "content");
  if (!json_is_array(content)) {
    json_t *list = json_array();
    if (!list) goto oom;
    if (json_is_string(content) &&
        json_array_append_new(list, json_pack("{s:s,s:O}", "type", "text", "text", content)) != 0) {
      json_decref(list);
      goto oom;
    }
    if (json_object_set_new(m->obj, "content", list) != 0) goto oom;
    content = list;
  }
  if (json_array_append_new(content, chunk) != 0) return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
  return MISTRAL_OK;
oom:
  json_decref(chunk);
  return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
}

/* A new string for a chunk field; on failure records the error on the
 * request and sets *rc to this failure's code (not to an earlier error the
 * request may already hold). */
static json_t *chunk_str(mistral_message *m, const char *text, const char *field, int *rc) {
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *s = m_json_str(text, field, &code, msg);
  if (!s) *rc = fail_msg(m, code, msg);
  return s;
}

int mistral_message_add_text(mistral_message *m, const char *text) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = MISTRAL_OK;
  json_t *s = chunk_str(m, text, "messages.content.text", &rc);
  if (!s) return rc;
  return append_chunk(m, json_pack("{s:s,s:o}", "type", "text", "text", s));
}

int mistral_message_add_image_url(mistral_message *m, const char *url, const char *detail) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = MISTRAL_OK;
  json_t *u = chunk_str(m, url, "messages.content.image_url", &rc);
  if (!u) return rc;
  json_t *image = u;
  if (detail) {
    json_t *d = chunk_str(m, detail, "messages.content.image_url.detail", &rc);
    if (!d) {
      json_decref(u);
      return rc;
    }
    image = json_pack("{s:o,s:o}", "url", u, "detail", d);
  }
  if (!image) return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
  return append_chunk(m, json_pack("{s:s,s:o}", "type", "image_url", "image_url", image));
}

int mistral_message_add_image_file(mistral_message *m, const char *path, const char *detail) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  char msg[M_MSG_MAX];
  char *uri = NULL;
  int rc = m_data_uri_from_image_file(&uri, path, msg);
  if (rc != MISTRAL_OK) return fail_msg(m, rc, msg);
  rc = mistral_message_add_image_url(m, uri, detail);
  free(uri);
  return rc;
}

int mistral_message_add_document_url(mistral_message *m, const char *url, const char *name) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = MISTRAL_OK;
  json_t *u = chunk_str(m, url, "messages.content.document_url", &rc);
  if (!u) return rc;
  json_t *chunk = json_pack("{s:s,s:o}", "type", "document_url", "document_url", u);
  if (chunk && name) {
    json_t *n = chunk_str(m, name, "messages.content.document_name", &rc);
    if (!n) {
      json_decref(chunk);
      return rc;
    }
    json_object_set_new(chunk, "document_name", n);
  }
  return append_chunk(m, chunk);
}

int mistral_message_add_file(mistral_message *m, const char *file_id) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = MISTRAL_OK;
  json_t *id = chunk_str(m, file_id, "messages.content.file_id", &rc);
  if (!id) return rc;
  return append_chunk(m, json_pack("{s:s,s:o}", "type", "file", "file_id", id));
}

int mistral_message_add_reference(mistral_message *m, const int64_t *ids, size_t count) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  if (count && !ids)
    return fail_msg(m, MISTRAL_E_INVALID_ARG, "messages.content.reference_ids: list is NULL");
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < count; i++)
    if (json_array_append_new(arr, json_integer((json_int_t)ids[i])) != 0) {
      json_decref(arr);
      arr = NULL;
    }
  if (!arr) return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
  return append_chunk(m, json_pack("{s:s,s:o}", "type", "reference", "reference_ids", arr));
}

int mistral_message_add_thinking(mistral_message *m, const char *text, const char *signature) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = MISTRAL_OK;
  json_t *t = chunk_str(m, text, "messages.content.thinking", &rc);
  if (!t) return rc;
  json_t *chunk = json_pack("{s:s,s:[{s:s,s:o}]}", "type", "thinking", "thinking", "type",
                            "text", "text", t);
  if (chunk && signature) {
    json_t *s = chunk_str(m, signature, "messages.content.signature", &rc);
    if (!s) {
      json_decref(chunk);
      return rc;
    }
    json_object_set_new(chunk, "signature", s);
  }
  return append_chunk(m, chunk);
}

int mistral_message_add_input_audio(mistral_message *m, const char *data) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = MISTRAL_OK;
  json_t *d = chunk_str(m, data, "messages.content.input_audio", &rc);
  if (!d) return rc;
  return append_chunk(m, json_pack("{s:s,s:o}", "type", "input_audio", "input_audio", d));
}

int mistral_message_add_chunk_json(mistral_message *m, const char *chunk_json) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *chunk = m_json_parse_text(chunk_json, JSON_OBJECT, "messages.content", &code, msg);
  if (!chunk) return fail_msg(m, code, msg);
  if (!json_is_string(json_object_get(chunk, "type"))) {
    json_decref(chunk);
    return fail_msg(m, MISTRAL_E_INVALID_ARG,
                    "messages.content: a chunk needs a string \"type\" member");
  }
  return append_chunk(m, chunk);
}

/* ---- role-specific members ---- */

static int require_role(mistral_message *m, mistral_role role, const char *field) {
  if (m->role == role) return MISTRAL_OK;
  char msg[M_MSG_MAX];
  snprintf(msg, sizeof msg, "messages.%s: only %s messages have it", field, role_names[role]);
  return fail_msg(m, MISTRAL_E_INVALID_ARG, msg);
}

int mistral_message_add_tool_call(mistral_message *m, const char *id, const char *name,
                                  const char *arguments_json) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = require_role(m, MISTRAL_ROLE_ASSISTANT, "tool_calls");
  if (rc) return rc;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  /* Validate the arguments, then send them as the text given: the API takes
   * arguments as a JSON string. */
  if (arguments_json) {
    json_t *parsed = m_json_parse_text(arguments_json, -1, "messages.tool_calls.arguments",
                                       &code, msg);
    if (!parsed) return fail_msg(m, code, msg);
    json_decref(parsed);
  }
  json_t *n = chunk_str(m, name, "messages.tool_calls.function.name", &rc);
  if (!n) return rc;
  json_t *i = id ? chunk_str(m, id, "messages.tool_calls.id", &rc) : NULL;
  if (id && !i) {
    json_decref(n);
    return rc;
  }
  json_t *call = json_object();
  json_t *fn = json_pack("{s:o,s:s}", "name", n, "arguments", arguments_json ? arguments_json : "{}");
  if (!call || !fn) {
    json_decref(call);
    json_decref(fn);
    json_decref(i);
    return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
  }
  if (i) json_object_set_new(call, "id", i);
  json_object_set_new(call, "type", json_string("function"));
  json_object_set_new(call, "function", fn);
  json_t *calls = json_object_get(m->obj, "tool_calls");
  if (!json_is_array(calls)) {
    calls = json_array();
    if (!calls || json_object_set_new(m->obj, "tool_calls", calls) != 0) {
      json_decref(call);
      return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
    }
  }
  if (json_array_append_new(calls, call) != 0) return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
  return MISTRAL_OK;
}

int mistral_message_set_prefix(mistral_message *m, bool prefix) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = require_role(m, MISTRAL_ROLE_ASSISTANT, "prefix");
  if (rc) return rc;
  if (json_object_set_new(m->obj, "prefix", json_boolean(prefix)) != 0)
    return fail_msg(m, MISTRAL_E_NOMEM, "out of memory");
  return MISTRAL_OK;
}

int mistral_message_set_tool_call_id(mistral_message *m, const char *id) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = require_role(m, MISTRAL_ROLE_TOOL, "tool_call_id");
  return rc ? rc : set_member(m, "tool_call_id", id, "messages.tool_call_id");
}

int mistral_message_set_name(mistral_message *m, const char *name) {
  if (!m) return MISTRAL_E_INVALID_ARG;
  int rc = require_role(m, MISTRAL_ROLE_TOOL, "name");
  return rc ? rc : set_member(m, "name", name, "messages.name");
}

/* ---- continuing a conversation ---- */

int mistral_chat_request_add_assistant_message(mistral_message **out,
                                               mistral_chat_request *req,
                                               const mistral_assistant_message *src) {
  if (out) *out = NULL;
  if (!req) return MISTRAL_E_INVALID_ARG;
  if (!src) return m_chat_fail(req, MISTRAL_E_INVALID_ARG, "messages: assistant message is NULL");
  mistral_message *m;
  /* A chunk list is copied as chunks; otherwise the text (or null). */
  int rc = mistral_chat_request_add_message(&m, req, MISTRAL_ROLE_ASSISTANT,
                                            src->chunk_count ? NULL : src->content);
  for (size_t i = 0; rc == MISTRAL_OK && i < src->chunk_count; i++)
    rc = mistral_message_add_chunk_json(m, src->chunks[i]->json);
  for (size_t i = 0; rc == MISTRAL_OK && i < src->tool_call_count; i++) {
    const mistral_tool_call *tc = src->tool_calls[i];
    rc = mistral_message_add_tool_call(m, tc->id, tc->name, tc->arguments);
  }
  if (rc == MISTRAL_OK && src->prefix) rc = mistral_message_set_prefix(m, true);
  if (rc == MISTRAL_OK && out) *out = m;
  return rc;
}
