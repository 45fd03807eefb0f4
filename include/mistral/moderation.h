/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/moderation.h
 * Moderation and classifiers: four endpoints, one request type.
 *
 * | call                                  | endpoint                     | input          | answer                          |
 * |---------------------------------------|------------------------------|----------------|---------------------------------|
 * | mistral_moderations_create()          | POST /v1/moderations         | text(s)        | mistral_moderation_response     |
 * | mistral_chat_moderations_create()     | POST /v1/chat/moderations    | conversation(s)| mistral_moderation_response     |
 * | mistral_classifications_create()      | POST /v1/classifications     | text(s)        | mistral_classification_response |
 * | mistral_chat_classifications_create() | POST /v1/chat/classifications| conversation(s)| mistral_classification_response |
 *
 *     mistral_classifier_request *req;
 *     mistral_classifier_request_new(&req, "mistral-moderation-latest");
 *     mistral_classifier_request_add_input(req, "first text");
 *     mistral_classifier_request_add_input(req, "second text");
 *     mistral_moderation_response *resp;
 *     if (mistral_moderations_create(&resp, client, req, err) == MISTRAL_OK) {
 *       for (size_t i = 0; i < resp->result_count; i++) {
 *         const mistral_moderation_result *r = resp->results[i];
 *         for (size_t j = 0; j < r->category_count; j++)
 *           if (r->categories[j]->flagged)
 *             printf("%zu: %s %.3f\n", i, r->categories[j]->name,
 *                    r->categories[j]->score);
 *       }
 *       mistral_moderation_response_free(resp);
 *     }
 *     mistral_classifier_request_free(req);
 *
 * Conversations (the chat endpoints) are built with the chat request builder
 * (mistral/chat.h): add messages to a mistral_chat_request as for a chat
 * completion, then hand it to mistral_classifier_request_add_conversation(),
 * which copies its messages (and nothing else: the chat request's model and
 * sampling fields play no part). One builder for messages means every
 * message and chunk kind, and a conversation just had with a model
 * (mistral_chat_request_add_assistant_message()), can be moderated as is.
 * Conversations can also be given as JSON text of a message array.
 *
 * As with every request builder, fields you do not set are not sent, and a
 * setter that fails also marks the request: the call that sends it fails
 * with the same error and a message naming the field (mistral/chat.h).
 *
 * Category and target names are not a fixed list: the API adds categories
 * and fine-tuned classifiers have labels of their own. Results list every
 * name the server sent, in its order; look one up with
 * mistral_moderation_result_category() or
 * mistral_classification_result_target().
 *
 * Threads: a request or a response belongs to one thread at a time; calls
 * may run on many threads at once on one client.
 */
#ifndef MISTRAL_MODERATION_H
#define MISTRAL_MODERATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mistral/chat.h"
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

/** A request for any of the four endpoints (ClassificationRequest,
 *  ChatModerationRequest and ChatClassificationRequest in the spec). */
typedef struct mistral_classifier_request mistral_classifier_request;

/** The four endpoints, for mistral_classifier_request_to_json(). */
typedef enum mistral_classifier_endpoint {
  MISTRAL_CLASSIFIER_MODERATIONS = 0,      /**< POST /v1/moderations */
  MISTRAL_CLASSIFIER_CHAT_MODERATIONS = 1, /**< POST /v1/chat/moderations */
  MISTRAL_CLASSIFIER_CLASSIFICATIONS = 2,  /**< POST /v1/classifications */
  MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS = 3 /**< POST /v1/chat/classifications */
} mistral_classifier_endpoint;

/**
 * Creates an empty request. model may be NULL and set later; it is required
 * when the request is sent ("mistral-moderation-latest" for moderation, the
 * id of a fine-tuned classifier for classifications).
 * @param out receives the request; free it with
 *        mistral_classifier_request_free().
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (out NULL, model empty or not
 *         UTF-8), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_classifier_request_new(mistral_classifier_request **out,
                                               const char *model);

/** Frees the request. NULL is a no-op. */
MISTRAL_API void mistral_classifier_request_free(mistral_classifier_request *req);

/**
 * "model": a non-empty model id.
 * Setters return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL request, NULL or
 * invalid UTF-8 text, a value out of range: the request is marked, except
 * for a NULL request) or MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_classifier_request_set_model(mistral_classifier_request *req,
                                                     const char *model);

/**
 * "input" as one string (the text endpoints; one result comes back).
 * Replaces any input set before, texts or conversations.
 */
MISTRAL_API int mistral_classifier_request_set_input(mistral_classifier_request *req,
                                                     const char *text);

/**
 * "input" as a list of count strings (count >= 1; one result per string, in
 * this order). Replaces any input set before.
 */
MISTRAL_API int mistral_classifier_request_set_inputs(mistral_classifier_request *req,
                                                      const char *const *texts, size_t count);

/**
 * Appends one string to the "input" list (a single string set with
 * _set_input() becomes the list's first item).
 * @return also MISTRAL_E_INVALID_ARG when the request holds conversations
 *         (replace them with _set_input() or _set_inputs()).
 */
MISTRAL_API int mistral_classifier_request_add_input(mistral_classifier_request *req,
                                                     const char *text);

/**
 * "input" as one conversation (the chat endpoints): the messages of chat,
 * copied now (later changes to chat are not seen). Only the messages are
 * used; chat's model and other fields are ignored. Replaces any input set
 * before.
 * @return also MISTRAL_E_INVALID_ARG when chat is NULL, has no messages,
 *         has a system message without content, or carries a setter error
 *         of its own (the message quotes it).
 */
MISTRAL_API int mistral_classifier_request_set_conversation(mistral_classifier_request *req,
                                                            const mistral_chat_request *chat);

/**
 * Appends a conversation (copied as for _set_conversation()) to the list of
 * conversations; a single conversation set before becomes the list's first
 * item. One result per conversation, in this order.
 * @return also MISTRAL_E_INVALID_ARG when the request holds texts.
 */
MISTRAL_API int mistral_classifier_request_add_conversation(mistral_classifier_request *req,
                                                            const mistral_chat_request *chat);

/**
 * Like _set_conversation(), from JSON text of a non-empty array of message
 * objects, each with a "role" of "system", "user", "assistant" or "tool",
 * e.g. "[{\"role\":\"user\",\"content\":\"Hi\"}]". The messages are sent as
 * given (the server checks them further).
 */
MISTRAL_API int mistral_classifier_request_set_conversation_json(
    mistral_classifier_request *req, const char *messages_json);

/** Like _add_conversation(), from JSON text as for
 *  _set_conversation_json(). */
MISTRAL_API int mistral_classifier_request_add_conversation_json(
    mistral_classifier_request *req, const char *messages_json);

/** Number of inputs: texts or conversations (a single one counts 1); 0
 *  when none is set or req is NULL. */
MISTRAL_API size_t mistral_classifier_request_input_count(const mistral_classifier_request *req);

/** "metadata": JSON text of an object. The text endpoints only: sending a
 *  request with metadata to a chat endpoint fails. */
MISTRAL_API int mistral_classifier_request_set_metadata_json(mistral_classifier_request *req,
                                                             const char *json_object);

/** Sends "metadata": null.
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG for any other field name. */
MISTRAL_API int mistral_classifier_request_set_null(mistral_classifier_request *req,
                                                    const char *field);

/** Forgets "metadata", "model" or "input" (the last two are required when
 *  the request is sent). Other names: MISTRAL_E_INVALID_ARG. */
MISTRAL_API int mistral_classifier_request_unset(mistral_classifier_request *req,
                                                 const char *field);

/** Per-call settings (timeouts, cancel flag), copied; NULL clears them. */
MISTRAL_API int mistral_classifier_request_set_call_options(mistral_classifier_request *req,
                                                            const mistral_call_options *opts);

/**
 * The body the request would send to endpoint, as compact JSON text; the
 * caller frees it with mistral_free(). The chat classification endpoint
 * wraps each conversation as {"messages": [...]}, the chat moderation
 * endpoint sends the message arrays themselves.
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (NULL argument, unknown
 *         endpoint, an error a setter left, no model, no input, texts for a
 *         chat endpoint or conversations for a text endpoint, metadata for
 *         a chat endpoint); MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_classifier_request_to_json(char **out,
                                                   const mistral_classifier_request *req,
                                                   mistral_classifier_endpoint endpoint,
                                                   mistral_error *err);

/* ------------------------------------------------------------------------ */
/* Moderation responses                                                     */
/* ------------------------------------------------------------------------ */
/*
 * A response is one allocation tree: every string and array below lives
 * until mistral_moderation_response_free(). Arrays are arrays of pointers,
 * so that later releases can append fields to these structs.
 */

/** One category of one input: its flag ("categories") and its score
 *  ("category_scores"), merged by name. */
typedef struct mistral_moderation_category {
  const char *name;  /**< e.g. "violence_and_threats", or a newer name */
  bool flagged;      /**< the flag; false when the server sent none */
  double score;      /**< the score, usually 0 to 1; 0 when none was sent */
  bool has_flag;     /**< the name had a flag in "categories" */
  bool has_score;    /**< the name had a score in "category_scores" */
} mistral_moderation_category;

/** The verdict on one input (one text or one conversation). */
typedef struct mistral_moderation_result {
  bool flagged; /**< at least one category is flagged */
  /** Every category named in "categories" or "category_scores", each
   *  once, in the order the server first named them ("categories" first). */
  size_t category_count;
  const mistral_moderation_category *const *categories;
  const char *json; /**< the result object as compact JSON text */
} mistral_moderation_result;

/** The answer of the moderation endpoints (ModerationResponse). */
typedef struct mistral_moderation_response {
  const char *id;
  const char *model;
  /** Token accounting; never NULL (zeros and json "{}" when the server sent
   *  none). */
  const mistral_usage *usage;
  size_t result_count; /**< one per input, in input order */
  const mistral_moderation_result *const *results;
  const char *request_id; /**< the server's request id (header), or NULL */
  const char *raw_json;   /**< the body exactly as received */
  size_t raw_json_len;
} mistral_moderation_response;

/**
 * Moderates texts: POST /v1/moderations with the request's model, text
 * input and metadata. Waits for the answer.
 *
 * @param out receives the response on success (NULL on failure); free it
 *        with mistral_moderation_response_free().
 * @param err optional; filled on failure.
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (as
 *         mistral_classifier_request_to_json(); nothing is sent);
 *         MISTRAL_E_NO_API_KEY; MISTRAL_E_NOMEM; transport errors
 *         (MISTRAL_E_CONNECT, _DNS, _TIMEOUT, _TLS, _NETWORK, _TRUNCATED,
 *         _TOO_LARGE, _CANCELLED); HTTP errors (MISTRAL_E_UNAUTHORIZED,
 *         _FORBIDDEN, _NOT_FOUND, _VALIDATION, _RATE_LIMITED, _SERVER,
 *         _HTTP); MISTRAL_E_BAD_RESPONSE (not JSON, no "results" array, a
 *         result that is not an object, a flag that is not a boolean or a
 *         score that is not a number).
 *
 * Threads: any thread; many at once on one client.
 */
MISTRAL_API int mistral_moderations_create(mistral_moderation_response **out,
                                           mistral_client *client,
                                           const mistral_classifier_request *req,
                                           mistral_error *err);

/** Moderates conversations: POST /v1/chat/moderations with the request's
 *  model and conversations. As mistral_moderations_create(). */
MISTRAL_API int mistral_chat_moderations_create(mistral_moderation_response **out,
                                                mistral_client *client,
                                                const mistral_classifier_request *req,
                                                mistral_error *err);

/** The category of result named name, or NULL (also for NULL arguments).
 *  Borrowed from the response. */
MISTRAL_API const mistral_moderation_category *mistral_moderation_result_category(
    const mistral_moderation_result *result, const char *name);

/** Frees a response and everything in it. NULL is a no-op. */
MISTRAL_API void mistral_moderation_response_free(mistral_moderation_response *resp);

/* ------------------------------------------------------------------------ */
/* Classification responses                                                 */
/* ------------------------------------------------------------------------ */
/*
 * A classifier (a fine-tuned classifier model) has one or more targets
 * (e.g. "sentiment", "topic"); each target gives a score to each of its
 * labels (e.g. "positive": 0.91, "negative": 0.09). The spec's
 * ClassificationResponse: results[i] = {target: {"scores": {label: score}}}.
 */

/** One label's score. */
typedef struct mistral_classification_score {
  const char *label;
  double score;
} mistral_classification_score;

/** One target of one input. */
typedef struct mistral_classification_target {
  const char *name;
  size_t score_count; /**< labels in the order the server sent them */
  const mistral_classification_score *const *scores;
  const char *json; /**< the target's object as compact JSON text */
} mistral_classification_target;

/** The classification of one input. */
typedef struct mistral_classification_result {
  size_t target_count; /**< targets in the order the server sent them */
  const mistral_classification_target *const *targets;
  const char *json; /**< the result object as compact JSON text */
} mistral_classification_result;

/** The answer of the classification endpoints (ClassificationResponse). */
typedef struct mistral_classification_response {
  const char *id;
  const char *model;
  const mistral_usage *usage; /**< never NULL, as for moderation */
  size_t result_count;        /**< one per input, in input order */
  const mistral_classification_result *const *results;
  const char *request_id;
  const char *raw_json;
  size_t raw_json_len;
} mistral_classification_response;

/**
 * Classifies texts: POST /v1/classifications with the request's model, text
 * input and metadata.
 * @param out receives the response on success; free it with
 *        mistral_classification_response_free().
 * @return as mistral_moderations_create(); MISTRAL_E_BAD_RESPONSE also for
 *         a target that is not an object or a score that is not a number.
 */
MISTRAL_API int mistral_classifications_create(mistral_classification_response **out,
                                               mistral_client *client,
                                               const mistral_classifier_request *req,
                                               mistral_error *err);

/** Classifies conversations: POST /v1/chat/classifications. As
 *  mistral_classifications_create(). */
MISTRAL_API int mistral_chat_classifications_create(mistral_classification_response **out,
                                                    mistral_client *client,
                                                    const mistral_classifier_request *req,
                                                    mistral_error *err);

/** The target of result named name (the last one if the server repeated
 *  it), or NULL. Borrowed. */
MISTRAL_API const mistral_classification_target *mistral_classification_result_target(
    const mistral_classification_result *result, const char *name);

/** The score of target's label (the last one if repeated), or NULL. */
MISTRAL_API const mistral_classification_score *mistral_classification_target_score(
    const mistral_classification_target *target, const char *label);

/** The label with the highest score (the first of equals), or NULL when the
 *  target has no scores. */
MISTRAL_API const mistral_classification_score *mistral_classification_target_top(
    const mistral_classification_target *target);

/** Frees a response and everything in it. NULL is a no-op. */
MISTRAL_API void mistral_classification_response_free(mistral_classification_response *resp);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_MODERATION_H */
