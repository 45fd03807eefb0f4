/* SPDX-License-Identifier: Apache-2.0 */
/* The chat request builder: one setter per field of ChatCompletionRequest
 * (see ../shared/spec/mistral-openapi.yaml), each checking its input. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_internal.h"
#include "core/error.h"

int m_chat_fail(mistral_chat_request *req, int code, const char *msg) {
  return req ? m_fields_fail(&req->f, code, msg) : code;
}

/* The builder's setters, guarded against a NULL request. */
#define REQ_OR_FAIL(req)                     \
  do {                                       \
    if (!(req)) return MISTRAL_E_INVALID_ARG; \
  } while (0)

static int put_new(mistral_chat_request *req, const char *key, json_t *value) {
  if (!req) {
    json_decref(value);
    return MISTRAL_E_INVALID_ARG;
  }
  return m_fields_put_new(&req->f, key, value);
}

static int put_string(mistral_chat_request *req, const char *key, const char *text) {
  REQ_OR_FAIL(req);
  return m_fields_put_string(&req->f, key, text);
}

static int put_json_text(mistral_chat_request *req, const char *key, const char *text,
                         int want_type) {
  REQ_OR_FAIL(req);
  return m_fields_put_json_text(&req->f, key, text, want_type);
}

static int put_number(mistral_chat_request *req, const char *key, double v, double lo,
                      int lo_open, double hi) {
  REQ_OR_FAIL(req);
  return m_fields_put_number(&req->f, key, v, lo, lo_open, hi);
}

static int put_int(mistral_chat_request *req, const char *key, int64_t v, int64_t min) {
  REQ_OR_FAIL(req);
  return m_fields_put_int(&req->f, key, v, min);
}

/* ---- lifecycle ---- */

int mistral_chat_request_new(mistral_chat_request **out, const char *model) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  mistral_chat_request *req = calloc(1, sizeof *req);
  if (!req) return MISTRAL_E_NOMEM;
  if (m_fields_init(&req->f) != MISTRAL_OK) {
    free(req);
    return MISTRAL_E_NOMEM;
  }
  if (model) {
    int rc = mistral_chat_request_set_model(req, model);
    if (rc != MISTRAL_OK) {
      mistral_chat_request_free(req);
      return rc;
    }
  }
  *out = req;
  return MISTRAL_OK;
}

void mistral_chat_request_free(mistral_chat_request *req) {
  if (!req) return;
  for (size_t i = 0; i < req->message_count; i++) {
    json_decref(req->messages[i]->obj);
    free(req->messages[i]);
  }
  free(req->messages);
  m_fields_free(&req->f);
  json_decref(req->model);
  free(req);
}

/* ---- scalar fields ---- */

int mistral_chat_request_set_model(mistral_chat_request *req, const char *model) {
  if (!req) return MISTRAL_E_INVALID_ARG;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *s = m_json_str(model, "model", &code, msg);
  if (!s) return m_chat_fail(req, code, msg);
  if (json_string_length(s) == 0) {
    json_decref(s);
    return m_chat_fail(req, MISTRAL_E_INVALID_ARG, "model: must not be empty");
  }
  json_decref(req->model);
  req->model = s;
  return MISTRAL_OK;
}

int mistral_chat_request_set_temperature(mistral_chat_request *req, double t) {
  return put_number(req, "temperature", t, 0.0, 0, 1.5);
}

int mistral_chat_request_set_top_p(mistral_chat_request *req, double top_p) {
  return put_number(req, "top_p", top_p, 0.0, 1, 1.0);
}

int mistral_chat_request_set_max_tokens(mistral_chat_request *req, int64_t max_tokens) {
  return put_int(req, "max_tokens", max_tokens, 0);
}

int mistral_chat_request_set_stop(mistral_chat_request *req, const char *stop) {
  return put_string(req, "stop", stop);
}

int mistral_chat_request_set_stop_list(mistral_chat_request *req, const char *const *stops,
                                       size_t count) {
  REQ_OR_FAIL(req);
  return m_fields_put_string_list(&req->f, "stop", stops, count);
}

int mistral_chat_request_set_random_seed(mistral_chat_request *req, int64_t seed) {
  return put_int(req, "random_seed", seed, 0);
}

int mistral_chat_request_set_metadata_json(mistral_chat_request *req, const char *json) {
  return put_json_text(req, "metadata", json, JSON_OBJECT);
}

int mistral_chat_request_set_presence_penalty(mistral_chat_request *req, double p) {
  return put_number(req, "presence_penalty", p, -2.0, 0, 2.0);
}

int mistral_chat_request_set_frequency_penalty(mistral_chat_request *req, double p) {
  return put_number(req, "frequency_penalty", p, -2.0, 0, 2.0);
}

int mistral_chat_request_set_n(mistral_chat_request *req, int64_t n) {
  return put_int(req, "n", n, 1);
}

int mistral_chat_request_set_prediction(mistral_chat_request *req, const char *content) {
  if (!req) return MISTRAL_E_INVALID_ARG;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *s = m_json_str(content, "prediction", &code, msg);
  if (!s) return m_chat_fail(req, code, msg);
  return put_new(req, "prediction", json_pack("{s:s,s:o}", "type", "content", "content", s));
}

int mistral_chat_request_set_parallel_tool_calls(mistral_chat_request *req, bool enabled) {
  return put_new(req, "parallel_tool_calls", json_boolean(enabled));
}

int mistral_chat_request_set_reasoning_effort(mistral_chat_request *req, const char *effort) {
  return put_string(req, "reasoning_effort", effort);
}

int mistral_chat_request_set_prompt_mode(mistral_chat_request *req, const char *mode) {
  return put_string(req, "prompt_mode", mode);
}

int mistral_chat_request_set_guardrails_json(mistral_chat_request *req, const char *json) {
  return put_json_text(req, "guardrails", json, JSON_ARRAY);
}

int mistral_chat_request_set_prompt_cache_key(mistral_chat_request *req, const char *key) {
  return put_string(req, "prompt_cache_key", key);
}

int mistral_chat_request_set_service_tier(mistral_chat_request *req, const char *tier) {
  return put_string(req, "service_tier", tier);
}

int mistral_chat_request_set_safe_prompt(mistral_chat_request *req, bool enabled) {
  return put_new(req, "safe_prompt", json_boolean(enabled));
}

int mistral_chat_request_set_call_options(mistral_chat_request *req,
                                          const mistral_call_options *opts) {
  if (!req) return MISTRAL_E_INVALID_ARG;
  req->f.options = opts ? *opts : M_CALL_OPTIONS_UNSET;
  return MISTRAL_OK;
}

/* ---- null and unset ---- */

/* Fields the spec types as anyOf [..., null]. */
static const char *const nullable_fields[] = {
    "temperature", "top_p",    "max_tokens",        "stop",
    "random_seed", "metadata", "tools",             "presence_penalty",
    "frequency_penalty", "n",  "reasoning_effort",  "prompt_mode",
    "guardrails",  "prompt_cache_key", "service_tier"};

/* The remaining optional fields: they can be unset but not null. */
static const char *const other_optional_fields[] = {
    "response_format", "tool_choice", "prediction", "parallel_tool_calls", "safe_prompt"};

#define COUNT(list) (sizeof list / sizeof *list)

int mistral_chat_request_set_null(mistral_chat_request *req, const char *field) {
  REQ_OR_FAIL(req);
  return m_fields_set_null(&req->f, field, nullable_fields, COUNT(nullable_fields));
}

int mistral_chat_request_unset(mistral_chat_request *req, const char *field) {
  REQ_OR_FAIL(req);
  return m_fields_unset(&req->f, field, nullable_fields, COUNT(nullable_fields),
                        other_optional_fields, COUNT(other_optional_fields));
}

/* ---- JSON mode ---- */

int mistral_chat_request_set_response_format(mistral_chat_request *req,
                                             mistral_response_format format) {
  if (!req) return MISTRAL_E_INVALID_ARG;
  const char *type = format == MISTRAL_RESPONSE_FORMAT_TEXT          ? "text"
                     : format == MISTRAL_RESPONSE_FORMAT_JSON_OBJECT ? "json_object"
                                                                     : NULL;
  if (!type)
    return m_chat_fail(req, MISTRAL_E_INVALID_ARG,
                       "response_format: use mistral_chat_request_set_json_schema() for "
                       "json_schema, or TEXT / JSON_OBJECT");
  return put_new(req, "response_format", json_pack("{s:s}", "type", type));
}

int mistral_chat_request_set_json_schema(mistral_chat_request *req, const char *name,
                                         const char *description, const char *schema_json,
                                         bool strict) {
  if (!req) return MISTRAL_E_INVALID_ARG;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *js = json_object();
  json_t *n = m_json_str(name, "response_format.json_schema.name", &code, msg);
  /* Checked in argument order, so the message names the first bad one. */
  json_t *d = description && n ? m_json_str(description,
                                            "response_format.json_schema.description", &code,
                                            msg)
                               : NULL;
  json_t *s = (n && (d || !description))
                  ? m_json_parse_text(schema_json, JSON_OBJECT,
                                      "response_format.json_schema.schema", &code, msg)
                  : NULL;
  if (!js || !n || (description && !d) || !s) {
    json_decref(js);
    json_decref(n);
    json_decref(d);
    json_decref(s);
    return m_chat_fail(req, js ? code : MISTRAL_E_NOMEM, js ? msg : "out of memory");
  }
  json_object_set_new(js, "name", n);
  if (d) json_object_set_new(js, "description", d);
  json_object_set_new(js, "schema", s);
  if (strict) json_object_set_new(js, "strict", json_true());
  return put_new(req, "response_format",
                 json_pack("{s:s,s:o}", "type", "json_schema", "json_schema", js));
}

/* ---- tools ---- */

static int append_tool(mistral_chat_request *req, json_t *tool) {
  if (!tool) return m_chat_fail(req, MISTRAL_E_NOMEM, "out of memory");
  json_t *tools = json_object_get(req->f.obj, "tools");
  if (!json_is_array(tools)) {
    tools = json_array();
    if (!tools || json_object_set_new(req->f.obj, "tools", tools) != 0) {
      json_decref(tool);
      return m_chat_fail(req, MISTRAL_E_NOMEM, "out of memory");
    }
  }
  if (json_array_append_new(tools, tool) != 0)
    return m_chat_fail(req, MISTRAL_E_NOMEM, "out of memory");
  return MISTRAL_OK;
}

int mistral_chat_request_add_function_tool(mistral_chat_request *req, const char *name,
                                           const char *description,
                                           const char *parameters_json, bool strict) {
  if (!req) return MISTRAL_E_INVALID_ARG;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *fn = json_object();
  json_t *n = m_json_str(name, "tools.function.name", &code, msg);
  json_t *d = description && n
                  ? m_json_str(description, "tools.function.description", &code, msg)
                  : NULL;
  json_t *p = NULL;
  if (n && (d || !description))
    p = parameters_json ? m_json_parse_text(parameters_json, JSON_OBJECT,
                                            "tools.function.parameters", &code, msg)
                        : json_pack("{s:s,s:{}}", "type", "object", "properties");
  if (!fn || !n || (description && !d) || !p) {
    json_decref(fn);
    json_decref(n);
    json_decref(d);
    json_decref(p);
    return m_chat_fail(req, fn ? code : MISTRAL_E_NOMEM, fn ? msg : "out of memory");
  }
  if (json_string_length(n) == 0) {
    json_decref(fn);
    json_decref(n);
    json_decref(d);
    json_decref(p);
    return m_chat_fail(req, MISTRAL_E_INVALID_ARG, "tools.function.name: must not be empty");
  }
  json_object_set_new(fn, "name", n);
  if (d) json_object_set_new(fn, "description", d);
  json_object_set_new(fn, "parameters", p);
  if (strict) json_object_set_new(fn, "strict", json_true());
  return append_tool(req, json_pack("{s:s,s:o}", "type", "function", "function", fn));
}

int mistral_chat_request_add_builtin_tool(mistral_chat_request *req, const char *type,
                                          const char *config_json) {
  if (!req) return MISTRAL_E_INVALID_ARG;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *t = m_json_str(type, "tools.type", &code, msg);
  if (!t) return m_chat_fail(req, code, msg);
  if (json_string_length(t) == 0 || strcmp(json_string_value(t), "function") == 0) {
    json_decref(t);
    return m_chat_fail(req, MISTRAL_E_INVALID_ARG,
                       "tools.type: must name a built-in tool (use "
                       "mistral_chat_request_add_function_tool() for functions)");
  }
  json_t *tool = config_json ? m_json_parse_text(config_json, JSON_OBJECT, "tools.config",
                                                 &code, msg)
                             : json_object();
  if (!tool) {
    json_decref(t);
    return m_chat_fail(req, config_json ? code : MISTRAL_E_NOMEM, config_json ? msg : "out of memory");
  }
  if (json_object_get(tool, "type")) {
    json_decref(t);
    json_decref(tool);
    return m_chat_fail(req, MISTRAL_E_INVALID_ARG,
                       "tools.config: must not set \"type\" (pass it as the type argument)");
  }
  /* "type" first, for a readable body. */
  json_t *ordered = json_object();
  if (!ordered || json_object_set_new(ordered, "type", t) != 0 ||
      json_object_update(ordered, tool) != 0) {
    json_decref(ordered);
    json_decref(tool);
    return m_chat_fail(req, MISTRAL_E_NOMEM, "out of memory");
  }
  json_decref(tool);
  return append_tool(req, ordered);
}

int mistral_chat_request_set_tool_choice(mistral_chat_request *req,
                                         mistral_tool_choice choice) {
  static const char *const names[] = {"auto", "none", "any", "required"};
  if (!req) return MISTRAL_E_INVALID_ARG;
  if ((unsigned)choice >= sizeof names / sizeof *names)
    return m_chat_fail(req, MISTRAL_E_INVALID_ARG, "tool_choice: unknown value");
  return put_new(req, "tool_choice", json_string(names[choice]));
}

int mistral_chat_request_set_tool_choice_function(mistral_chat_request *req,
                                                  const char *name) {
  if (!req) return MISTRAL_E_INVALID_ARG;
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *n = m_json_str(name, "tool_choice.function.name", &code, msg);
  if (!n) return m_chat_fail(req, code, msg);
  return put_new(req, "tool_choice",
                 json_pack("{s:s,s:{s:o}}", "type", "function", "function", "name", n));
}

/* ---- serialization ---- */

/* Members of ChatCompletionRequest that AgentsCompletionRequest lacks (the
 * agent brings its own model and sampling settings). */
static const char *const chat_only_fields[] = {"temperature", "top_p", "safe_prompt"};

int m_chat_request_body(char **out, size_t *out_len, const mistral_chat_request *req,
                        const char *agent_id, bool stream, mistral_error *err) {
  *out = NULL;
  int rc = m_fields_check(&req->f, err);
  if (rc != MISTRAL_OK) return rc;
  if (!agent_id && !req->model)
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: model: not set");
  if (req->message_count == 0)
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: messages: none added");
  if (agent_id) {
    for (size_t i = 0; i < COUNT(chat_only_fields); i++)
      if (json_object_get(req->f.obj, chat_only_fields[i]))
        return m_err_set(err, MISTRAL_E_INVALID_ARG,
                         "invalid request: %s: the agents endpoint does not accept it",
                         chat_only_fields[i]);
  }

  rc = MISTRAL_E_NOMEM;
  json_t *body = json_object();
  json_t *msgs = json_array();
  json_t *head = agent_id ? json_string(agent_id) : json_incref(req->model);
  if (!body || !msgs || !head || json_object_set(body, agent_id ? "agent_id" : "model", head) != 0)
    goto done;
  for (size_t i = 0; i < req->message_count; i++) {
    const mistral_message *m = req->messages[i];
    if (m->role == MISTRAL_ROLE_SYSTEM && !json_object_get(m->obj, "content")) {
      rc = m_err_set(err, MISTRAL_E_INVALID_ARG,
                     "invalid request: messages[%zu].content: a system message needs content", i);
      goto done;
    }
    if (json_array_append(msgs, m->obj) != 0) goto done;
  }
  if (json_object_set(body, "messages", msgs) != 0) goto done;
  if (json_object_update(body, req->f.obj) != 0) goto done;
  if (stream && json_object_set_new(body, "stream", json_true()) != 0) goto done;
  rc = m_json_dump_malloc(out, out_len, body);
done:
  json_decref(head);
  json_decref(msgs);
  json_decref(body);
  if (rc == MISTRAL_E_NOMEM) m_err_set(err, rc, "out of memory while serializing the request");
  return rc;
}

static int to_json(char **out, const mistral_chat_request *req, bool stream,
                   mistral_error *err) {
  mistral_error_clear(err);
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");
  return m_chat_request_body(out, NULL, req, NULL, stream, err);
}

int mistral_chat_request_to_json(char **out, const mistral_chat_request *req,
                                 mistral_error *err) {
  return to_json(out, req, false, err);
}

int mistral_chat_request_to_stream_json(char **out, const mistral_chat_request *req,
                                        mistral_error *err) {
  return to_json(out, req, true, err);
}
