/* SPDX-License-Identifier: Apache-2.0 */
/* The classifier request (ClassificationRequest, ChatModerationRequest,
 * ChatClassificationRequest in the spec) and the four calls that send it:
 * /v1/moderations, /v1/chat/moderations, /v1/classifications,
 * /v1/chat/classifications. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/chat_internal.h"
#include "api/completion.h"
#include "api/fields.h"
#include "api/moderation_internal.h"
#include "core/error.h"
#include "mistral/moderation.h"

/* What "input" holds. A single text or conversation is sent as itself, a
 * list as a list, as the caller chose. */
typedef enum input_kind {
  INPUT_NONE = 0,
  INPUT_TEXT,      /* input: a string */
  INPUT_TEXT_LIST, /* input: an array of strings */
  INPUT_CONV,      /* input: convs[0] */
  INPUT_CONV_LIST  /* input: every conversation */
} input_kind;

struct mistral_classifier_request {
  m_fields f;      /* "model", "metadata"; setter errors; call options */
  input_kind kind;
  json_t *input;   /* string, array of strings, or array of message arrays */
};

#define COUNT(list) (sizeof list / sizeof *list)

static const char *const nullable_fields[] = {"metadata"};
static const char *const other_optional_fields[] = {"model", "input"};

static const struct {
  const char *path;
  bool chat; /* takes conversations */
} endpoints[] = {{"/v1/moderations", false},
                 {"/v1/chat/moderations", true},
                 {"/v1/classifications", false},
                 {"/v1/chat/classifications", true}};

int mistral_classifier_request_new(mistral_classifier_request **out, const char *model) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  mistral_classifier_request *req = calloc(1, sizeof *req);
  if (!req) return MISTRAL_E_NOMEM;
  int rc = m_fields_init(&req->f);
  if (rc == MISTRAL_OK && model) rc = mistral_classifier_request_set_model(req, model);
  if (rc != MISTRAL_OK) {
    mistral_classifier_request_free(req);
    return rc;
  }
  *out = req;
  return MISTRAL_OK;
}

void mistral_classifier_request_free(mistral_classifier_request *req) {
  if (!req) return;
  json_decref(req->input);
  m_fields_free(&req->f);
  free(req);
}

int mistral_classifier_request_set_model(mistral_classifier_request *req, const char *model) {
  M_FIELDS(req);
  return m_fields_put_model(f, model);
}

/* Replaces the input with value (stolen). */
static void set_input(mistral_classifier_request *req, input_kind kind, json_t *value) {
  json_decref(req->input);
  req->input = value;
  req->kind = kind;
}

int mistral_classifier_request_set_input(mistral_classifier_request *req, const char *text) {
  M_FIELDS(req);
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *s = m_json_str(text, "input", &code, msg);
  if (!s) return m_fields_fail(f, code, msg);
  set_input(req, INPUT_TEXT, s);
  return MISTRAL_OK;
}

int mistral_classifier_request_set_inputs(mistral_classifier_request *req,
                                          const char *const *texts, size_t count) {
  M_FIELDS(req);
  if (count == 0) return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "input: the list is empty");
  if (!texts) return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "input: list is NULL");
  json_t *arr = json_array();
  if (!arr) return m_fields_fail(f, MISTRAL_E_NOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    int code = MISTRAL_OK;
    char field[32], msg[M_MSG_MAX];
    snprintf(field, sizeof field, "input[%zu]", i);
    json_t *s = m_json_str(texts[i], field, &code, msg);
    if (!s || json_array_append_new(arr, s) != 0) {
      json_decref(arr);
      return m_fields_fail(f, s ? MISTRAL_E_NOMEM : code, s ? "out of memory" : msg);
    }
  }
  set_input(req, INPUT_TEXT_LIST, arr);
  return MISTRAL_OK;
}

/* Turns a single text or conversation into a one-item list, so that an
 * add_* call can append to it. */
static int ensure_list(mistral_classifier_request *req, bool conversations) {
  input_kind single = conversations ? INPUT_CONV : INPUT_TEXT;
  input_kind list = conversations ? INPUT_CONV_LIST : INPUT_TEXT_LIST;
  if (req->kind == list) return MISTRAL_OK;
  if (req->kind == INPUT_CONV && conversations) { /* convs already a list of one */
    req->kind = list;
    return MISTRAL_OK;
  }
  if (req->kind != INPUT_NONE && req->kind != single)
    return m_fields_fail(&req->f, MISTRAL_E_INVALID_ARG,
                         conversations
                             ? "input: the request holds texts; replace them with "
                               "mistral_classifier_request_set_conversation()"
                             : "input: the request holds conversations; replace them with "
                               "mistral_classifier_request_set_input() or _set_inputs()");
  json_t *arr = json_array();
  if (!arr || (req->kind == INPUT_TEXT && json_array_append(arr, req->input) != 0)) {
    json_decref(arr);
    return m_fields_fail(&req->f, MISTRAL_E_NOMEM, "out of memory");
  }
  set_input(req, list, arr);
  return MISTRAL_OK;
}

int mistral_classifier_request_add_input(mistral_classifier_request *req, const char *text) {
  M_FIELDS(req);
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *s = m_json_str(text, "input", &code, msg);
  if (!s) return m_fields_fail(f, code, msg);
  int rc = ensure_list(req, false);
  if (rc == MISTRAL_OK && json_array_append_new(req->input, s) != 0)
    return m_fields_fail(f, MISTRAL_E_NOMEM, "out of memory");
  if (rc != MISTRAL_OK) json_decref(s);
  return rc;
}

/* ---- conversations ---- */

/* A copy of chat's messages as a JSON array, or NULL with the error
 * recorded on f and its code in *code. */
static json_t *conversation_from_chat(m_fields *f, const mistral_chat_request *chat, int *code) {
  if (!chat) {
    *code = m_fields_fail(f, MISTRAL_E_INVALID_ARG, "input: conversation is NULL");
    return NULL;
  }
  if (chat->f.error_code != MISTRAL_OK) {
    *code = m_fields_failf(f, chat->f.error_code, "input: the conversation carries an error: %s",
                           chat->f.error_msg);
    return NULL;
  }
  if (chat->message_count == 0) {
    *code = m_fields_fail(f, MISTRAL_E_INVALID_ARG, "input: the conversation has no messages");
    return NULL;
  }
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < chat->message_count; i++) {
    const mistral_message *m = chat->messages[i];
    if (m->role == MISTRAL_ROLE_SYSTEM && !json_object_get(m->obj, "content")) {
      json_decref(arr);
      *code = m_fields_failf(f, MISTRAL_E_INVALID_ARG,
                             "input: messages[%zu].content: a system message needs content", i);
      return NULL;
    }
    if (json_array_append_new(arr, json_deep_copy(m->obj)) != 0) {
      json_decref(arr);
      arr = NULL;
    }
  }
  if (!arr) *code = m_fields_fail(f, MISTRAL_E_NOMEM, "out of memory");
  return arr;
}

/* A message array from JSON text, or NULL as above. */
static json_t *conversation_from_json(m_fields *f, const char *text, int *code) {
  static const char *const roles[] = {"system", "user", "assistant", "tool"};
  char msg[M_MSG_MAX];
  json_t *arr = m_json_parse_text(text, JSON_ARRAY, "input", code, msg);
  if (!arr) {
    m_fields_fail(f, *code, msg);
    return NULL;
  }
  if (json_array_size(arr) == 0) {
    json_decref(arr);
    *code = m_fields_fail(f, MISTRAL_E_INVALID_ARG, "input: the conversation has no messages");
    return NULL;
  }
  for (size_t i = 0; i < json_array_size(arr); i++) {
    const char *role = json_string_value(json_object_get(json_array_get(arr, i), "role"));
    bool known = false;
    for (size_t k = 0; role && k < COUNT(roles); k++) known = known || strcmp(role, roles[k]) == 0;
    if (!known) {
      json_decref(arr);
      *code = m_fields_failf(f, MISTRAL_E_INVALID_ARG,
                             "input: messages[%zu]: not a message object with a \"role\" of "
                             "system, user, assistant or tool",
                             i);
      return NULL;
    }
  }
  return arr;
}

/* Stores conv (stolen) as the only conversation, or appends it. */
static int put_conversation(mistral_classifier_request *req, json_t *conv, bool append) {
  if (append) {
    int rc = ensure_list(req, true);
    if (rc != MISTRAL_OK) {
      json_decref(conv);
      return rc;
    }
    if (json_array_append_new(req->input, conv) != 0)
      return m_fields_fail(&req->f, MISTRAL_E_NOMEM, "out of memory");
    return MISTRAL_OK;
  }
  json_t *arr = json_array();
  if (!arr || json_array_append_new(arr, conv) != 0) {
    if (!arr) json_decref(conv);
    json_decref(arr);
    return m_fields_fail(&req->f, MISTRAL_E_NOMEM, "out of memory");
  }
  set_input(req, INPUT_CONV, arr);
  return MISTRAL_OK;
}

int mistral_classifier_request_set_conversation(mistral_classifier_request *req,
                                                const mistral_chat_request *chat) {
  M_FIELDS(req);
  int code = MISTRAL_OK;
  json_t *conv = conversation_from_chat(f, chat, &code);
  return conv ? put_conversation(req, conv, false) : code;
}

int mistral_classifier_request_add_conversation(mistral_classifier_request *req,
                                                const mistral_chat_request *chat) {
  M_FIELDS(req);
  int code = MISTRAL_OK;
  json_t *conv = conversation_from_chat(f, chat, &code);
  return conv ? put_conversation(req, conv, true) : code;
}

int mistral_classifier_request_set_conversation_json(mistral_classifier_request *req,
                                                     const char *messages_json) {
  M_FIELDS(req);
  int code = MISTRAL_OK;
  json_t *conv = conversation_from_json(f, messages_json, &code);
  return conv ? put_conversation(req, conv, false) : code;
}

int mistral_classifier_request_add_conversation_json(mistral_classifier_request *req,
                                                     const char *messages_json) {
  M_FIELDS(req);
  int code = MISTRAL_OK;
  json_t *conv = conversation_from_json(f, messages_json, &code);
  return conv ? put_conversation(req, conv, true) : code;
}

size_t mistral_classifier_request_input_count(const mistral_classifier_request *req) {
  if (!req) return 0;
  switch (req->kind) {
    case INPUT_TEXT:
    case INPUT_CONV:
      return 1;
    case INPUT_TEXT_LIST:
    case INPUT_CONV_LIST:
      return json_array_size(req->input);
    case INPUT_NONE:
      break;
  }
  return 0;
}

int mistral_classifier_request_set_metadata_json(mistral_classifier_request *req,
                                                 const char *json_object) {
  M_FIELDS(req);
  return m_fields_put_json_text(f, "metadata", json_object, JSON_OBJECT);
}

int mistral_classifier_request_set_null(mistral_classifier_request *req, const char *field) {
  M_FIELDS(req);
  return m_fields_set_null(f, field, nullable_fields, COUNT(nullable_fields));
}

int mistral_classifier_request_unset(mistral_classifier_request *req, const char *field) {
  M_FIELDS(req);
  int rc = m_fields_unset(f, field, nullable_fields, COUNT(nullable_fields),
                          other_optional_fields, COUNT(other_optional_fields));
  if (rc == MISTRAL_OK && strcmp(field, "input") == 0) set_input(req, INPUT_NONE, NULL);
  return rc;
}

int mistral_classifier_request_set_call_options(mistral_classifier_request *req,
                                                const mistral_call_options *opts) {
  M_FIELDS(req);
  f->options = opts ? *opts : M_CALL_OPTIONS_UNSET;
  return MISTRAL_OK;
}

/* ---- serialization ---- */

/* The "input" member for endpoint e (a new reference), or NULL when out of
 * memory. */
static json_t *wire_input(const mistral_classifier_request *req, mistral_classifier_endpoint e) {
  bool wrap = e == MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS; /* InstructRequest objects */
  if (req->kind == INPUT_TEXT || req->kind == INPUT_TEXT_LIST) return json_incref(req->input);
  if (req->kind == INPUT_CONV) {
    json_t *conv = json_array_get(req->input, 0);
    return wrap ? json_pack("{s:O}", "messages", conv) : json_incref(conv);
  }
  if (!wrap) return json_incref(req->input);
  json_t *list = json_array();
  for (size_t i = 0; list && i < json_array_size(req->input); i++)
    if (json_array_append_new(list, json_pack("{s:O}", "messages",
                                              json_array_get(req->input, i))) != 0) {
      json_decref(list);
      list = NULL;
    }
  return list;
}

static int classifier_body(char **out, size_t *len, const mistral_classifier_request *req,
                           mistral_classifier_endpoint e, mistral_error *err) {
  *out = NULL;
  int rc = m_fields_check(&req->f, err);
  if (rc != MISTRAL_OK) return rc;
  const char *path = endpoints[e].path;
  json_t *model = json_object_get(req->f.obj, "model");
  if (!json_is_string(model))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: model: not set");
  if (req->kind == INPUT_NONE)
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: input: not set");
  bool convs = req->kind == INPUT_CONV || req->kind == INPUT_CONV_LIST;
  if (endpoints[e].chat && !convs)
    return m_err_set(err, MISTRAL_E_INVALID_ARG,
                     "invalid request: input: %s takes conversations, not texts "
                     "(mistral_classifier_request_add_conversation())",
                     path);
  if (!endpoints[e].chat && convs)
    return m_err_set(err, MISTRAL_E_INVALID_ARG,
                     "invalid request: input: %s takes texts, not conversations "
                     "(use the chat endpoint)",
                     path);
  if (endpoints[e].chat && json_object_get(req->f.obj, "metadata"))
    return m_err_set(err, MISTRAL_E_INVALID_ARG,
                     "invalid request: metadata: %s does not accept it", path);

  json_t *input = wire_input(req, e);
  json_t *body = input ? json_pack("{s:O,s:o}", "model", model, "input", input) : NULL;
  rc = MISTRAL_E_NOMEM;
  if (body && json_object_update_missing(body, req->f.obj) == 0)
    rc = m_json_dump_malloc(out, len, body);
  json_decref(body);
  if (rc != MISTRAL_OK) m_err_set(err, rc, "out of memory while serializing the request");
  return rc;
}

int mistral_classifier_request_to_json(char **out, const mistral_classifier_request *req,
                                       mistral_classifier_endpoint endpoint,
                                       mistral_error *err) {
  mistral_error_clear(err);
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");
  if ((unsigned)endpoint >= COUNT(endpoints))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "unknown classifier endpoint %d",
                     (int)endpoint);
  return classifier_body(out, NULL, req, endpoint, err);
}

/* ---- calls ---- */

/* out is the caller's T ** as a void *. */
typedef int (*decode_fn)(void *out, const mistral_allocator *alloc, const char *body,
                         size_t len, const m_http_response *http, mistral_error *err);

static int decode_moderation(void *out, const mistral_allocator *alloc, const char *body,
                             size_t len, const m_http_response *http, mistral_error *err) {
  return m_moderation_response_decode((mistral_moderation_response **)out, alloc, body, len,
                                      http, err);
}

static int decode_classification(void *out, const mistral_allocator *alloc, const char *body,
                                 size_t len, const m_http_response *http, mistral_error *err) {
  return m_classification_response_decode((mistral_classification_response **)out, alloc, body,
                                          len, http, err);
}

static int classifier_call(void *out, mistral_client *client,
                           const mistral_classifier_request *req,
                           mistral_classifier_endpoint e, decode_fn decode, mistral_error *err) {
  int rc = m_completion_check_args(out, 1, client, req, err);
  char *body = NULL;
  size_t len = 0;
  if (rc == MISTRAL_OK) rc = classifier_body(&body, &len, req, e, err);
  if (rc != MISTRAL_OK) return rc;
  m_http_response resp;
  rc = m_api_call(client, "POST", endpoints[e].path, body, len, &req->f.options, &resp, err);
  free(body);
  if (rc == MISTRAL_OK) {
    rc = decode(out, &client->alloc, resp.body.data, resp.body.len, &resp, err);
    if (rc != MISTRAL_OK) m_api_mark_undecodable(client, &resp, err);
  }
  m_http_response_free(&resp);
  return rc;
}

int mistral_moderations_create(mistral_moderation_response **out, mistral_client *client,
                               const mistral_classifier_request *req, mistral_error *err) {
  return classifier_call(out, client, req, MISTRAL_CLASSIFIER_MODERATIONS,
                         decode_moderation, err);
}

int mistral_chat_moderations_create(mistral_moderation_response **out, mistral_client *client,
                                    const mistral_classifier_request *req,
                                    mistral_error *err) {
  return classifier_call(out, client, req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS,
                         decode_moderation, err);
}

int mistral_classifications_create(mistral_classification_response **out,
                                   mistral_client *client,
                                   const mistral_classifier_request *req, mistral_error *err) {
  return classifier_call(out, client, req, MISTRAL_CLASSIFIER_CLASSIFICATIONS,
                         decode_classification, err);
}

int mistral_chat_classifications_create(mistral_classification_response **out,
                                        mistral_client *client,
                                        const mistral_classifier_request *req,
                                        mistral_error *err) {
  return classifier_call(out, client, req, MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS,
                         decode_classification, err);
}
