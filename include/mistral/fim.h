/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/fim.h
 * Fill-in-the-middle code completion (POST /v1/fim/completions): the model
 * writes what goes between a prompt (the code before the cursor) and a
 * suffix (the code after it). The answer is a mistral_chat_response (its
 * first choice's text is the completion); streaming works as for chat and
 * yields mistral_chat_chunk values.
 *
 *     mistral_fim_request *req;
 *     mistral_fim_request_new(&req, "codestral-latest", "def fib(n):\n    ");
 *     mistral_fim_request_set_suffix(req, "\nprint(fib(10))\n");
 *     mistral_chat_response *resp;
 *     if (mistral_fim_complete(&resp, client, req, err) == MISTRAL_OK)
 *       fputs(mistral_chat_response_text(resp), stdout);
 *
 * Unset fields are not sent; setters check their input and mark the request
 * on failure, as chat setters do (mistral/chat.h).
 * Threads: a request or a response belongs to one thread at a time; calls
 * may run on many threads at once on one client.
 */
#ifndef MISTRAL_FIM_H
#define MISTRAL_FIM_H

#include <stddef.h>
#include <stdint.h>

#include "mistral/chat.h"
#include "mistral/client.h"
#include "mistral/common.h"
#include "mistral/error.h"
#include "mistral/options.h"
#include "mistral/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mistral_fim_request mistral_fim_request;

/**
 * A new request. model and prompt may be NULL and set later; both are
 * required when it is sent.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_fim_request_new(mistral_fim_request **out, const char *model,
                                        const char *prompt);

/** Frees the request. NULL is a no-op. */
MISTRAL_API void mistral_fim_request_free(mistral_fim_request *req);

/** "model", e.g. "codestral-latest". */
MISTRAL_API int mistral_fim_request_set_model(mistral_fim_request *req, const char *model);
/** "prompt": the text before the gap. */
MISTRAL_API int mistral_fim_request_set_prompt(mistral_fim_request *req, const char *prompt);
/** "suffix": the text after the gap. */
MISTRAL_API int mistral_fim_request_set_suffix(mistral_fim_request *req, const char *suffix);
/** "temperature", 0.0 to 1.5. */
MISTRAL_API int mistral_fim_request_set_temperature(mistral_fim_request *req, double t);
/** "top_p", greater than 0.0 and at most 1.0. */
MISTRAL_API int mistral_fim_request_set_top_p(mistral_fim_request *req, double top_p);
/** "max_tokens", at least 0. */
MISTRAL_API int mistral_fim_request_set_max_tokens(mistral_fim_request *req, int64_t n);
/** "min_tokens", at least 0. */
MISTRAL_API int mistral_fim_request_set_min_tokens(mistral_fim_request *req, int64_t n);
/** "stop" as one string. */
MISTRAL_API int mistral_fim_request_set_stop(mistral_fim_request *req, const char *stop);
/** "stop" as a list of count strings. */
MISTRAL_API int mistral_fim_request_set_stop_list(mistral_fim_request *req,
                                                  const char *const *stops, size_t count);
/** "random_seed", at least 0. */
MISTRAL_API int mistral_fim_request_set_random_seed(mistral_fim_request *req, int64_t seed);
/** "metadata": JSON text of an object. */
MISTRAL_API int mistral_fim_request_set_metadata_json(mistral_fim_request *req,
                                                      const char *json_object);
/** "prompt_cache_key". */
MISTRAL_API int mistral_fim_request_set_prompt_cache_key(mistral_fim_request *req,
                                                         const char *key);
/** Explicit JSON null for a nullable field: temperature, top_p, max_tokens,
 *  min_tokens, stop, random_seed, metadata, suffix, prompt_cache_key. */
MISTRAL_API int mistral_fim_request_set_null(mistral_fim_request *req, const char *field);
/** Forgets an optional field (named like its setter). */
MISTRAL_API int mistral_fim_request_unset(mistral_fim_request *req, const char *field);
/** Per-call settings (timeouts), copied; NULL clears. */
MISTRAL_API int mistral_fim_request_set_call_options(mistral_fim_request *req,
                                                     const mistral_call_options *opts);

/** The body as it would be sent (compact JSON; free with mistral_free()). */
MISTRAL_API int mistral_fim_request_to_json(char **out, const mistral_fim_request *req,
                                            mistral_error *err);

/**
 * Sends the request and waits for the completion.
 * @return as mistral_chat_complete().
 */
MISTRAL_API int mistral_fim_complete(mistral_chat_response **out, mistral_client *client,
                                     const mistral_fim_request *req, mistral_error *err);

/** Streams the completion to cb; see mistral_chat_complete_streaming(). */
MISTRAL_API int mistral_fim_complete_streaming(mistral_chat_response **final_out,
                                               mistral_client *client,
                                               const mistral_fim_request *req,
                                               mistral_chat_chunk_fn cb, void *user_data,
                                               mistral_error *err);

/** Opens a pull stream; see mistral_chat_stream_open(). */
MISTRAL_API int mistral_fim_stream_open(mistral_chat_stream **out, mistral_client *client,
                                        const mistral_fim_request *req, mistral_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_FIM_H */
