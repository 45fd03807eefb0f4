/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/models.h
 * Models: list the models a key may use, read one model's card, and manage
 * fine-tuned models (delete, rename, archive, unarchive).
 *
 *     mistral_model_list *list;
 *     if (mistral_models_list(&list, client, NULL, err) == MISTRAL_OK) {
 *       for (size_t i = 0; i < list->model_count; i++) {
 *         const mistral_model_card *m = list->models[i];
 *         printf("%s %lld%s\n", m->id, (long long)m->max_context_length,
 *                m->capabilities->vision ? " vision" : "");
 *       }
 *       mistral_model_list_free(list);
 *     }
 *
 * | call                        | HTTP                                         |
 * |-----------------------------|----------------------------------------------|
 * | mistral_models_list()       | GET /v1/models                               |
 * | mistral_models_retrieve()   | GET /v1/models/{model_id}                    |
 * | mistral_models_delete()     | DELETE /v1/models/{model_id}                 |
 * | mistral_models_update()     | PATCH /v1/fine_tuning/models/{model_id}      |
 * | mistral_models_archive()    | POST /v1/fine_tuning/models/{model_id}/archive |
 * | mistral_models_unarchive()  | DELETE /v1/fine_tuning/models/{model_id}/archive |
 *
 * Model ids go into the URL percent-encoded: a fine-tuned model's id
 * ("ft:open-mistral-7b:587a6b29:20240514:7e773925") is sent as
 * "ft%3Aopen-mistral-7b%3A587a6b29%3A20240514%3A7e773925", and a '/' cannot
 * reach another path. An id that is NULL, empty, "." or "..", holds CR or
 * LF, or is not valid UTF-8 fails with MISTRAL_E_INVALID_ARG before
 * anything is sent.
 *
 * Decoding: the body must be a JSON object of the documented shape. A
 * member whose JSON type differs from the spec's (a string "id", an
 * integer "created", an object "capabilities", a boolean flag...) fails the
 * call with MISTRAL_E_BAD_RESPONSE naming it; a null member counts as
 * absent; members this release does not know are ignored, and every card
 * keeps its JSON text for them.
 *
 * Every call takes per-call options (timeouts, a cancel flag;
 * mistral/options.h), or NULL for the client's settings.
 *
 * Threads: any thread, many at once on one client. A list, card or result
 * belongs to one thread at a time.
 */
#ifndef MISTRAL_MODELS_H
#define MISTRAL_MODELS_H

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
/* Model cards                                                              */
/* ------------------------------------------------------------------------ */
/*
 * Lists, cards and results are each one allocation tree: every string and
 * array in them lives until their *_free(). Strings are NUL-terminated
 * UTF-8; absent or null members are NULL (strings), 0 or false. Arrays are
 * arrays of pointers, and sub-structs are reached through pointers, so that
 * later releases can append fields to these structs.
 */

/** A card's "type". */
typedef enum mistral_model_type {
  MISTRAL_MODEL_TYPE_UNKNOWN = 0,   /**< absent, or a newer value: see type_raw */
  MISTRAL_MODEL_TYPE_BASE = 1,      /**< "base": a model Mistral serves */
  MISTRAL_MODEL_TYPE_FINE_TUNED = 2 /**< "fine-tuned": one of your fine-tuned models */
} mistral_model_type;

/**
 * What a model can do ("capabilities"). Every flag the API documents as of
 * this release is a field (false when absent); flags added later are in
 * names[] and json, and mistral_model_card_has_capability() answers for any
 * name.
 */
typedef struct mistral_model_capabilities {
  bool completion_chat;              /**< chat completions */
  bool completion_fim;               /**< fill-in-the-middle (mistral/fim.h) */
  bool function_calling;             /**< tools */
  bool fine_tuning;                  /**< can be fine-tuned */
  bool vision;                       /**< image input */
  bool classification;               /**< classifiers */
  bool reasoning;                    /**< thinking / reasoning output */
  bool ocr;                          /**< document OCR */
  bool moderation;                   /**< moderation */
  bool audio;                        /**< audio input */
  bool audio_transcription;          /**< speech to text */
  bool audio_transcription_realtime; /**< realtime speech to text */
  bool audio_speech;                 /**< text to speech */
  bool unified_resources;            /**< "unified_resources" */
  /** The names of every member that is true, known or not, in the order the
   *  server sent them. */
  const char *const *names;
  size_t name_count;
  /** The whole capabilities object as compact JSON text; "{}" when absent. */
  const char *json;
} mistral_model_capabilities;

/**
 * One model (BaseModelCard or FTModelCard in the API spec; the fine-tuning
 * endpoints' CompletionFineTunedModel / ClassifierFineTunedModel for
 * mistral_models_update()).
 */
typedef struct mistral_model_card {
  const char *id;       /**< the id to send as "model" (never NULL) */
  const char *object;   /**< "model" */
  int64_t created;      /**< Unix time */
  const char *owned_by; /**< "mistralai", or your organisation */
  mistral_model_type type;
  const char *type_raw; /**< "type" as sent, or NULL when absent */
  /** Never NULL (all false when the server sent none). */
  const mistral_model_capabilities *capabilities;
  const char *name;
  const char *description;
  /** The context window in tokens; 0 when absent. */
  int64_t max_context_length;
  /** Other ids that name this model ("mistral-small-latest" for
   *  "mistral-small-2506" and vice versa). */
  const char *const *aliases;
  size_t alias_count;
  /** When the model will be retired: the RFC 3339 date-time text as sent
   *  ("2025-11-30T12:00:00Z"), or NULL when none is scheduled. */
  const char *deprecation;
  /** The same instant as Unix time (seconds); 0 when there is no
   *  deprecation or its text is not an RFC 3339 date-time. */
  int64_t deprecation_time;
  /** The model to move to before the deprecation date, or NULL. */
  const char *deprecation_replacement_model;
  /** Whether the card gives a default sampling temperature, and that
   *  temperature (0.0 when it does not). */
  bool has_default_model_temperature;
  double default_model_temperature;
  bool internal; /**< "internal" */
  /* Fine-tuned models. */
  const char *job;  /**< the fine-tuning job that made it, or NULL */
  const char *root; /**< the base model it was fine-tuned from, or NULL */
  bool archived;    /**< archived (mistral_models_archive()) */
  /* Only from the fine-tuning endpoints (mistral_models_update()). */
  const char *model_type;   /**< "completion" or "classifier", or NULL */
  const char *workspace_id; /**< or NULL */
  const char *root_version; /**< or NULL */
  /** A classifier's "classifier_targets" as compact JSON text, or NULL. */
  const char *classifier_targets_json;
  /** The whole card as compact JSON text (members of newer releases too). */
  const char *json;
  /** The server's request id, for a card returned by a call
   *  (retrieve, update); NULL for the cards of a list. */
  const char *request_id;
} mistral_model_card;

/** The answer of mistral_models_list() (ModelList). */
typedef struct mistral_model_list {
  const char *object; /**< "list" */
  size_t model_count;
  /** The cards ("data"), in the order the server sent them. Borrowed from
   *  the list: never free one of them. */
  const mistral_model_card *const *models;
  /** The server's request id (header), or NULL. */
  const char *request_id;
  /** The response body exactly as received. */
  const char *raw_json;
  size_t raw_json_len;
} mistral_model_list;

/**
 * The answer of mistral_models_delete() (DeleteModelResponse),
 * mistral_models_archive() (ArchiveModelResponse) and
 * mistral_models_unarchive() (UnarchiveModelResponse).
 */
typedef struct mistral_model_result {
  const char *id;     /**< the model's id (never NULL) */
  const char *object; /**< "model", or NULL when absent */
  /** delete: "deleted" (true when absent, the API's default); false for
   *  the other calls. */
  bool deleted;
  /** archive and unarchive: "archived" (when absent, true after archive
   *  and false after unarchive, the API's defaults); false after delete. */
  bool archived;
  /** The server's request id (header), or NULL. */
  const char *request_id;
  /** The response body exactly as received. */
  const char *raw_json;
  size_t raw_json_len;
} mistral_model_result;

/* ------------------------------------------------------------------------ */
/* Calls                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * Lists the models the API key may use (GET /v1/models).
 *
 * @param out receives the list on success (NULL on failure); free it with
 *        mistral_model_list_free().
 * @param options per-call settings, or NULL.
 * @param err optional; filled on failure.
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (out or client NULL);
 *         MISTRAL_E_NO_API_KEY; MISTRAL_E_NOMEM; transport errors
 *         (MISTRAL_E_CONNECT, _DNS, _TIMEOUT, _TLS, _NETWORK, _TRUNCATED,
 *         _TOO_LARGE, _CANCELLED); HTTP errors (MISTRAL_E_UNAUTHORIZED,
 *         _FORBIDDEN, _NOT_FOUND, _VALIDATION, _RATE_LIMITED, _SERVER,
 *         _HTTP); MISTRAL_E_BAD_RESPONSE (not a JSON object, no "data"
 *         array, a card that is not an object or lacks a string "id", a
 *         member of the wrong type).
 *
 * Threads: any thread; many at once on one client.
 */
MISTRAL_API int mistral_models_list(mistral_model_list **out, mistral_client *client,
                                    const mistral_call_options *options, mistral_error *err);

/**
 * Like mistral_models_list(), with the endpoint's query parameters
 * "provider" and "model" (each percent-encoded; NULL: not sent).
 * @return as mistral_models_list(); MISTRAL_E_INVALID_ARG also for a value
 *         that is not UTF-8 or holds CR or LF.
 */
MISTRAL_API int mistral_models_list_filtered(mistral_model_list **out, mistral_client *client,
                                             const char *provider, const char *model,
                                             const mistral_call_options *options,
                                             mistral_error *err);

/**
 * Reads one model's card (GET /v1/models/{model_id}). model_id may be an
 * alias or a fine-tuned model's id.
 *
 * @param out receives the card on success (NULL on failure); free it with
 *        mistral_model_card_free().
 * @return as mistral_models_list(); MISTRAL_E_INVALID_ARG also for a bad
 *         model_id (see the top of this header); MISTRAL_E_NOT_FOUND for a
 *         model that does not exist or that the key may not see;
 *         MISTRAL_E_BAD_RESPONSE (not a JSON object, no string "id", a
 *         member of the wrong type).
 */
MISTRAL_API int mistral_models_retrieve(mistral_model_card **out, mistral_client *client,
                                        const char *model_id,
                                        const mistral_call_options *options,
                                        mistral_error *err);

/**
 * Deletes a fine-tuned model (DELETE /v1/models/{model_id}).
 *
 * @param out optional: receives the server's answer on success (NULL on
 *        failure); free it with mistral_model_result_free(). Pass NULL when
 *        the status is enough.
 * @return as mistral_models_retrieve(); base models cannot be deleted (the
 *         server answers with an HTTP error).
 */
MISTRAL_API int mistral_models_delete(mistral_model_result **out, mistral_client *client,
                                      const char *model_id,
                                      const mistral_call_options *options, mistral_error *err);

/**
 * Renames or re-describes a fine-tuned model
 * (PATCH /v1/fine_tuning/models/{model_id} with {"name", "description"}).
 * A NULL name or description is not sent (the server keeps it); both NULL
 * send an empty object.
 *
 * @param out receives the updated card on success; its type is
 *        MISTRAL_MODEL_TYPE_FINE_TUNED when the server sends no "type" (the
 *        fine-tuning endpoints send "model_type" instead). Free it with
 *        mistral_model_card_free().
 * @return as mistral_models_retrieve(); MISTRAL_E_INVALID_ARG also for a
 *         name or description that is not valid UTF-8.
 */
MISTRAL_API int mistral_models_update(mistral_model_card **out, mistral_client *client,
                                      const char *model_id, const char *name,
                                      const char *description,
                                      const mistral_call_options *options, mistral_error *err);

/**
 * Archives a fine-tuned model (POST /v1/fine_tuning/models/{model_id}/archive):
 * it stays listed with archived set but can no longer be used.
 * @param out optional, as for mistral_models_delete().
 * @return as mistral_models_retrieve().
 */
MISTRAL_API int mistral_models_archive(mistral_model_result **out, mistral_client *client,
                                       const char *model_id,
                                       const mistral_call_options *options, mistral_error *err);

/**
 * Unarchives a fine-tuned model
 * (DELETE /v1/fine_tuning/models/{model_id}/archive).
 * @param out optional, as for mistral_models_delete().
 * @return as mistral_models_retrieve().
 */
MISTRAL_API int mistral_models_unarchive(mistral_model_result **out, mistral_client *client,
                                         const char *model_id,
                                         const mistral_call_options *options,
                                         mistral_error *err);

/* ------------------------------------------------------------------------ */
/* Helpers and freeing                                                      */
/* ------------------------------------------------------------------------ */

/**
 * The card in list whose id is id, or else the first card (in list order)
 * that has id among its aliases, or NULL. Exact, case-sensitive matches.
 * Borrowed from the list. Any thread that may read the list.
 */
MISTRAL_API const mistral_model_card *mistral_model_list_find(const mistral_model_list *list,
                                                              const char *id);

/**
 * Whether the card's capabilities object has the member name set to true,
 * for any name ("vision", or a flag newer than this release). False for a
 * NULL card or name.
 */
MISTRAL_API bool mistral_model_card_has_capability(const mistral_model_card *card,
                                                   const char *name);

/** Frees a list and every card in it. NULL is a no-op. */
MISTRAL_API void mistral_model_list_free(mistral_model_list *list);

/** Frees a card returned by mistral_models_retrieve() or
 *  mistral_models_update() (never one borrowed from a list). NULL is a
 *  no-op. */
MISTRAL_API void mistral_model_card_free(mistral_model_card *card);

/** Frees a result. NULL is a no-op. */
MISTRAL_API void mistral_model_result_free(mistral_model_result *result);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_MODELS_H */
