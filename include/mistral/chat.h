/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/chat.h
 * Chat completions (POST /v1/chat/completions): build a request, send it,
 * read the typed response.
 *
 *     mistral_chat_request *req;
 *     mistral_chat_request_new(&req, "mistral-small-latest");
 *     mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hello!");
 *     mistral_chat_response *resp;
 *     if (mistral_chat_complete(&resp, client, req, err) == MISTRAL_OK) {
 *       puts(mistral_chat_response_text(resp));
 *       mistral_chat_response_free(resp);
 *     }
 *     mistral_chat_request_free(req);
 *
 * Request fields you do not set are not sent, so the server's defaults
 * apply. Setters copy their arguments and check them at once (UTF-8, JSON
 * text, ranges); a setter that fails also marks the request, so the call that
 * sends it fails with the same error and a message naming the field, even if
 * you ignored the setter's return value. Only the first such error is kept,
 * and it stays: build a new request after one (unknown names given to
 * _set_null() or _unset() mark the request too).
 *
 * Threads: a request or a response belongs to one thread at a time.
 */
#ifndef MISTRAL_CHAT_H
#define MISTRAL_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mistral/client.h"
#include "mistral/common.h"
#include "mistral/error.h"
#include "mistral/options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct mistral_chat_request mistral_chat_request;

/** A message inside a request; borrowed from its request. */
typedef struct mistral_message mistral_message;

/** Who speaks a message. */
typedef enum mistral_role {
  MISTRAL_ROLE_SYSTEM = 0,
  MISTRAL_ROLE_USER = 1,
  MISTRAL_ROLE_ASSISTANT = 2,
  MISTRAL_ROLE_TOOL = 3
} mistral_role;

/**
 * Creates an empty request. model may be NULL and set later; a request
 * without a model fails when sent.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (out NULL, model not UTF-8),
 *         MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_chat_request_new(mistral_chat_request **out, const char *model);

/** Frees the request and its messages. NULL is a no-op. */
MISTRAL_API void mistral_chat_request_free(mistral_chat_request *req);

/** "model": the model id, e.g. "mistral-small-latest". */
MISTRAL_API int mistral_chat_request_set_model(mistral_chat_request *req, const char *model);

/** "temperature", 0.0 to 1.5 (MISTRAL_E_INVALID_ARG outside). */
MISTRAL_API int mistral_chat_request_set_temperature(mistral_chat_request *req, double t);

/** "top_p", greater than 0.0 and at most 1.0. */
MISTRAL_API int mistral_chat_request_set_top_p(mistral_chat_request *req, double top_p);

/** "max_tokens", at least 0. */
MISTRAL_API int mistral_chat_request_set_max_tokens(mistral_chat_request *req,
                                                    int64_t max_tokens);

/** "stop" as one string. */
MISTRAL_API int mistral_chat_request_set_stop(mistral_chat_request *req, const char *stop);

/** "stop" as a list of count strings (count may be 0: an empty list). */
MISTRAL_API int mistral_chat_request_set_stop_list(mistral_chat_request *req,
                                                   const char *const *stops, size_t count);

/** "random_seed", at least 0. */
MISTRAL_API int mistral_chat_request_set_random_seed(mistral_chat_request *req, int64_t seed);

/** "metadata": JSON text of an object, e.g. "{\"user\":\"42\"}". */
MISTRAL_API int mistral_chat_request_set_metadata_json(mistral_chat_request *req,
                                                       const char *json_object);

/** "presence_penalty", -2.0 to 2.0. */
MISTRAL_API int mistral_chat_request_set_presence_penalty(mistral_chat_request *req, double p);

/** "frequency_penalty", -2.0 to 2.0. */
MISTRAL_API int mistral_chat_request_set_frequency_penalty(mistral_chat_request *req,
                                                           double p);

/** "n": how many choices to generate, at least 1. */
MISTRAL_API int mistral_chat_request_set_n(mistral_chat_request *req, int64_t n);

/** "prediction": expected output text, {"type":"content","content":...}. */
MISTRAL_API int mistral_chat_request_set_prediction(mistral_chat_request *req,
                                                    const char *content);

/** "parallel_tool_calls". */
MISTRAL_API int mistral_chat_request_set_parallel_tool_calls(mistral_chat_request *req,
                                                             bool enabled);

/** "reasoning_effort": "none", "minimal", "low", "medium", "high", "xhigh"
 *  as of this release. Passed through unchecked but for UTF-8, so newer
 *  values work without a library update. */
MISTRAL_API int mistral_chat_request_set_reasoning_effort(mistral_chat_request *req,
                                                          const char *effort);

/** "prompt_mode": "reasoning" as of this release (passed through). */
MISTRAL_API int mistral_chat_request_set_prompt_mode(mistral_chat_request *req,
                                                     const char *mode);

/** "guardrails": JSON text of an array of guardrail configurations. */
MISTRAL_API int mistral_chat_request_set_guardrails_json(mistral_chat_request *req,
                                                         const char *json_array);

/** "prompt_cache_key". */
MISTRAL_API int mistral_chat_request_set_prompt_cache_key(mistral_chat_request *req,
                                                          const char *key);

/** "service_tier": "auto" or "standard_only" as of this release (passed
 *  through). */
MISTRAL_API int mistral_chat_request_set_service_tier(mistral_chat_request *req,
                                                      const char *tier);

/** "safe_prompt": prepend Mistral's safety prompt. */
MISTRAL_API int mistral_chat_request_set_safe_prompt(mistral_chat_request *req, bool enabled);

/**
 * Sends an explicit JSON null for a field, where the API allows one:
 * temperature, top_p, max_tokens, stop, random_seed, metadata, tools,
 * presence_penalty, frequency_penalty, n, reasoning_effort, prompt_mode,
 * guardrails, prompt_cache_key, service_tier.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (unknown or non-nullable field).
 */
MISTRAL_API int mistral_chat_request_set_null(mistral_chat_request *req, const char *field);

/**
 * Forgets a field so that it is not sent (the server default applies).
 * Works for every optional field named like its setter ("temperature",
 * "tools", "response_format"...). Unknown names are MISTRAL_E_INVALID_ARG;
 * "model" and "messages" cannot be unset.
 */
MISTRAL_API int mistral_chat_request_unset(mistral_chat_request *req, const char *field);

/**
 * Per-call settings (timeouts) for calls sending this request, overriding
 * the client's; copied. NULL clears them. Not part of the request body.
 */
MISTRAL_API int mistral_chat_request_set_call_options(mistral_chat_request *req,
                                                      const mistral_call_options *opts);

/* --- JSON mode ---------------------------------------------------------- */

/** The kinds of "response_format". */
typedef enum mistral_response_format {
  MISTRAL_RESPONSE_FORMAT_TEXT = 0,
  MISTRAL_RESPONSE_FORMAT_JSON_OBJECT = 1,
  MISTRAL_RESPONSE_FORMAT_JSON_SCHEMA = 2
} mistral_response_format;

/**
 * "response_format": {"type": "text"} or {"type": "json_object"} (JSON
 * mode: the answer is a JSON object; say so in the prompt too). For
 * JSON_SCHEMA use mistral_chat_request_set_json_schema().
 */
MISTRAL_API int mistral_chat_request_set_response_format(mistral_chat_request *req,
                                                         mistral_response_format format);

/**
 * "response_format": {"type": "json_schema", "json_schema": {name,
 * description, schema, strict}}. The answer follows schema_json (JSON text of
 * a JSON Schema object). description may be NULL (not sent).
 */
MISTRAL_API int mistral_chat_request_set_json_schema(mistral_chat_request *req,
                                                     const char *name,
                                                     const char *description,
                                                     const char *schema_json, bool strict);

/* --- Tools -------------------------------------------------------------- */

/**
 * Adds a function tool: {"type": "function", "function": {name,
 * description, parameters, strict}}. description may be NULL (not sent).
 * parameters_json is JSON text of a JSON Schema object; NULL means "no
 * arguments" and sends {"type":"object","properties":{}} (the API requires
 * the field). strict is sent only when true.
 */
MISTRAL_API int mistral_chat_request_add_function_tool(mistral_chat_request *req,
                                                       const char *name,
                                                       const char *description,
                                                       const char *parameters_json,
                                                       bool strict);

/**
 * Adds a built-in tool by type: "web_search", "web_search_premium",
 * "code_interpreter", "image_generation", "document_library", "connector",
 * or a newer type. config_json, when not NULL, is JSON text of an object
 * whose members are added to the tool next to "type", e.g.
 * "{\"library_ids\":[\"lib-1\"]}" for document_library or
 * "{\"connector_id\":\"c1\"}" for a connector.
 * @return MISTRAL_E_INVALID_ARG for invalid JSON, a non-object, or a
 *         config that sets "type" itself.
 */
MISTRAL_API int mistral_chat_request_add_builtin_tool(mistral_chat_request *req,
                                                      const char *type,
                                                      const char *config_json);

/** The fixed values of "tool_choice". */
typedef enum mistral_tool_choice {
  MISTRAL_TOOL_CHOICE_AUTO = 0,
  MISTRAL_TOOL_CHOICE_NONE = 1,
  MISTRAL_TOOL_CHOICE_ANY = 2,
  MISTRAL_TOOL_CHOICE_REQUIRED = 3
} mistral_tool_choice;

/** "tool_choice": "auto", "none", "any" or "required". */
MISTRAL_API int mistral_chat_request_set_tool_choice(mistral_chat_request *req,
                                                     mistral_tool_choice choice);

/** "tool_choice": {"type": "function", "function": {"name": name}}: the
 *  model must call this function. */
MISTRAL_API int mistral_chat_request_set_tool_choice_function(mistral_chat_request *req,
                                                              const char *name);

/* --- Messages ----------------------------------------------------------- */

/**
 * Appends a message. text, when not NULL, is its content as a plain string;
 * when NULL the message starts without content and chunks can be added with
 * mistral_message_add_*(). Left without any, a user or tool message sends
 * "content": null, an assistant message sends no content (fine next to
 * tool calls), and a system message fails when sent (it needs content).
 *
 * @param out when not NULL, receives the message, borrowed from req (valid
 *        until req is freed).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL req, unknown role, text
 *         not UTF-8), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_chat_request_add_message(mistral_message **out,
                                                 mistral_chat_request *req,
                                                 mistral_role role, const char *text);

/**
 * Appends a tool message answering the tool call tool_call_id: role "tool",
 * content text (required), tool_call_id, and name (the function's name; may
 * be NULL).
 */
MISTRAL_API int mistral_chat_request_add_tool_result(mistral_message **out,
                                                     mistral_chat_request *req,
                                                     const char *tool_call_id,
                                                     const char *name, const char *text);

struct mistral_assistant_message;

/**
 * Appends an assistant message copied from a response (content, chunks,
 * tool calls), to continue a conversation: the usual step between getting
 * tool calls and sending their results.
 */
MISTRAL_API int mistral_chat_request_add_assistant_message(
    mistral_message **out, mistral_chat_request *req,
    const struct mistral_assistant_message *message);

/** Number of messages in the request. */
MISTRAL_API size_t mistral_chat_request_message_count(const mistral_chat_request *req);

/**
 * Adds a text chunk ({"type":"text","text":...}). If the message's content
 * was a plain string, that string becomes the first text chunk.
 * Chunk adders return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL argument,
 * invalid UTF-8, a chunk type the role does not allow: system messages take
 * text and thinking chunks only), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_message_add_text(mistral_message *msg, const char *text);

/**
 * Adds an image_url chunk. With detail NULL the URL is sent as a string
 * ({"image_url": "https://..."}); with detail ("low", "auto", "high") as
 * {"url": ..., "detail": ...}. url may be a data: URI.
 */
MISTRAL_API int mistral_message_add_image_url(mistral_message *msg, const char *url,
                                              const char *detail);

/**
 * Adds an image_url chunk holding a local image file as a base64 data: URI.
 * The type (PNG, JPEG, GIF, WebP) is recognised from the file's first bytes.
 * @return also MISTRAL_E_INVALID_ARG when the file cannot be read or is not
 *         one of these image types (the message names the path).
 */
MISTRAL_API int mistral_message_add_image_file(mistral_message *msg, const char *path,
                                               const char *detail);

/** Adds a document_url chunk; name may be NULL (not sent). */
MISTRAL_API int mistral_message_add_document_url(mistral_message *msg, const char *url,
                                                 const char *name);

/** Adds a file chunk referring to an uploaded file's id. */
MISTRAL_API int mistral_message_add_file(mistral_message *msg, const char *file_id);

/** Adds a reference chunk with count reference ids. */
MISTRAL_API int mistral_message_add_reference(mistral_message *msg, const int64_t *ids,
                                              size_t count);

/**
 * Adds a thinking chunk: {"type":"thinking","thinking":[{"type":"text",
 * "text": text}]}, with "signature" when not NULL.
 */
MISTRAL_API int mistral_message_add_thinking(mistral_message *msg, const char *text,
                                             const char *signature);

/** Adds an input_audio chunk; data is base64-encoded audio or a URL. */
MISTRAL_API int mistral_message_add_input_audio(mistral_message *msg, const char *data);

/**
 * Adds any chunk given as JSON text of an object with a "type" member, for
 * chunk kinds this release does not model.
 */
MISTRAL_API int mistral_message_add_chunk_json(mistral_message *msg, const char *chunk_json);

/**
 * Adds a tool call to an assistant message: {"id", "type": "function",
 * "function": {"name", "arguments"}}. arguments_json is JSON text (sent as
 * a string, as the API expects); NULL sends "{}". id may be NULL (not sent).
 * @return also MISTRAL_E_INVALID_ARG when the message is not an assistant
 *         message.
 */
MISTRAL_API int mistral_message_add_tool_call(mistral_message *msg, const char *id,
                                              const char *name, const char *arguments_json);

/** "prefix" of an assistant message: the answer continues this text. */
MISTRAL_API int mistral_message_set_prefix(mistral_message *msg, bool prefix);

/** "tool_call_id" of a tool message. */
MISTRAL_API int mistral_message_set_tool_call_id(mistral_message *msg, const char *id);

/** "name" of a tool message. */
MISTRAL_API int mistral_message_set_name(mistral_message *msg, const char *name);

/**
 * The request body as JSON text exactly as it would be sent (compact). The
 * caller frees it with mistral_free(). For logging and debugging.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (also: the error a setter left
 *         on the request, missing model or messages), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_chat_request_to_json(char **out, const mistral_chat_request *req,
                                             mistral_error *err);

/**
 * The body of a streaming call ("stream": true added), for callers who
 * bring their own transport and feed the answer to the stream decoder
 * (mistral/stream.h). Same contract as mistral_chat_request_to_json().
 */
MISTRAL_API int mistral_chat_request_to_stream_json(char **out, const mistral_chat_request *req,
                                                    mistral_error *err);

/* ------------------------------------------------------------------------ */
/* Responses                                                                */
/* ------------------------------------------------------------------------ */
/*
 * A response is one allocation tree: every string and array below lives
 * until mistral_chat_response_free(). Strings are NUL-terminated UTF-8;
 * absent fields are NULL (strings) or 0, except that a response's usage, a
 * choice's message and a tool call's arguments and type are never NULL. Arrays are arrays of pointers, so
 * that later releases can append fields to these structs without breaking
 * programs built against this header.
 */

/** Why a choice stopped. */
typedef enum mistral_finish_reason {
  MISTRAL_FINISH_NONE = 0,         /**< null or absent (not finished) */
  MISTRAL_FINISH_STOP = 1,         /**< natural end or a stop sequence */
  MISTRAL_FINISH_LENGTH = 2,       /**< max_tokens reached */
  MISTRAL_FINISH_MODEL_LENGTH = 3, /**< the model's context is full */
  MISTRAL_FINISH_ERROR = 4,        /**< generation failed */
  MISTRAL_FINISH_TOOL_CALLS = 5,   /**< the model called tools */
  MISTRAL_FINISH_UNKNOWN = 6       /**< a newer value: see finish_reason_raw */
} mistral_finish_reason;

/** Kinds of content chunk. */
typedef enum mistral_chunk_type {
  MISTRAL_CHUNK_TEXT = 0,
  MISTRAL_CHUNK_IMAGE_URL = 1,
  MISTRAL_CHUNK_DOCUMENT_URL = 2,
  MISTRAL_CHUNK_FILE = 3,
  MISTRAL_CHUNK_REFERENCE = 4,
  MISTRAL_CHUNK_THINKING = 5,
  MISTRAL_CHUNK_INPUT_AUDIO = 6,
  MISTRAL_CHUNK_TOOL_REFERENCE = 7,
  MISTRAL_CHUNK_UNKNOWN = 8 /**< a newer type: see type_name and json */
} mistral_chunk_type;

/** One content chunk of a message the server sent as a list. */
typedef struct mistral_content_chunk {
  mistral_chunk_type type;
  const char *type_name; /**< the raw "type" string */
  /** text: the text; thinking: the text of its text parts, concatenated;
   *  input_audio: the data; otherwise NULL. */
  const char *text;
  /** image_url, document_url and tool_reference: the URL; otherwise NULL. */
  const char *url;
  const char *detail;  /**< image_url detail, or NULL */
  const char *name;    /**< document_url's document_name, tool_reference's
                            title, or NULL */
  const char *file_id; /**< file chunks */
  const char *json;    /**< the whole chunk as compact JSON text */
} mistral_content_chunk;

/** A tool call the model asks you to make. */
typedef struct mistral_tool_call {
  const char *id;        /**< pass back with mistral_chat_request_add_tool_result() */
  const char *type;      /**< "function" */
  int64_t index;
  const char *name;      /**< the function's name */
  const char *arguments; /**< JSON text, even when the server sent an object */
} mistral_tool_call;

/** The message of a choice. */
typedef struct mistral_assistant_message {
  const char *role; /**< "assistant" */
  /** The text: the string the server sent, or the text of its text chunks
   *  concatenated; NULL when content was null or absent. */
  const char *content;
  size_t chunk_count; /**< non-zero only when the server sent a chunk list */
  const mistral_content_chunk *const *chunks;
  size_t tool_call_count;
  const mistral_tool_call *const *tool_calls;
  bool prefix;
} mistral_assistant_message;

/** One answer; there are n of them when the request set "n". */
typedef struct mistral_chat_choice {
  int64_t index;
  mistral_finish_reason finish_reason;
  const char *finish_reason_raw; /**< the string as sent, or NULL */
  const mistral_assistant_message *message;
} mistral_chat_choice;

/** Token accounting. */
typedef struct mistral_usage {
  int64_t prompt_tokens;
  int64_t completion_tokens;
  int64_t total_tokens;
  /** The whole usage object as compact JSON text, for fields beyond the
   *  three above (prompt_audio_seconds, ...); "{}" when absent. */
  const char *json;
} mistral_usage;

/** A chat completion. */
typedef struct mistral_chat_response {
  const char *id;
  const char *object; /**< "chat.completion" */
  const char *model;
  int64_t created;    /**< Unix time */
  const mistral_usage *usage;
  size_t choice_count;
  const mistral_chat_choice *const *choices;
  /** The x-model-deprecation-timestamp response header, when the model is
   *  scheduled for retirement; NULL otherwise. */
  const char *model_deprecation;
  /** The server's request id (header), or NULL. */
  const char *request_id;
  /** The response body exactly as received. */
  const char *raw_json;
  size_t raw_json_len;
} mistral_chat_response;

/**
 * Sends a chat completion request and waits for the answer.
 *
 * @param out receives the response on success (NULL on failure); free it
 *        with mistral_chat_response_free().
 * @param err optional; filled on failure.
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (NULL argument, no model, no
 *         messages, an error left by a setter); MISTRAL_E_NO_API_KEY;
 *         MISTRAL_E_NOMEM; transport errors (MISTRAL_E_CONNECT, _DNS,
 *         _TIMEOUT, _TLS, _NETWORK, _TRUNCATED, _TOO_LARGE); HTTP errors
 *         (MISTRAL_E_UNAUTHORIZED, _FORBIDDEN, _NOT_FOUND, _VALIDATION,
 *         _RATE_LIMITED, _SERVER, _HTTP); MISTRAL_E_BAD_RESPONSE.
 *
 * Threads: any thread; many at once on one client.
 */
MISTRAL_API int mistral_chat_complete(mistral_chat_response **out, mistral_client *client,
                                      const mistral_chat_request *req, mistral_error *err);

/** The first choice's text, or NULL if there is none. Borrowed. */
MISTRAL_API const char *mistral_chat_response_text(const mistral_chat_response *resp);

/** Frees a response and everything in it. NULL is a no-op. */
MISTRAL_API void mistral_chat_response_free(mistral_chat_response *resp);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_CHAT_H */
