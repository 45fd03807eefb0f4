/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/agents.h
 * Agent completions (POST /v1/agents/completions): a chat with an agent made
 * on the platform, which brings its own model, instructions and tools.
 *
 * The request is a mistral_chat_request (mistral/chat.h) whose model is
 * ignored; the agent's id takes its place. The agents endpoint does not take
 * temperature, top_p or safe_prompt: a request with any of them set fails
 * with MISTRAL_E_INVALID_ARG before anything is sent.
 *
 * Threads: as for chat calls: a request or a response belongs to one thread
 * at a time; calls may run on many threads at once on one client.
 */
#ifndef MISTRAL_AGENTS_H
#define MISTRAL_AGENTS_H

#include "mistral/chat.h"
#include "mistral/client.h"
#include "mistral/common.h"
#include "mistral/error.h"
#include "mistral/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Sends req to the agent agent_id and waits for the answer.
 * @return as mistral_chat_complete(); MISTRAL_E_INVALID_ARG also for a NULL
 *         or non-UTF-8 agent_id and for chat-only fields.
 */
MISTRAL_API int mistral_agents_complete(mistral_chat_response **out, mistral_client *client,
                                        const char *agent_id, const mistral_chat_request *req,
                                        mistral_error *err);

/** Streams the agent's answer to cb; see mistral_chat_complete_streaming(). */
MISTRAL_API int mistral_agents_complete_streaming(mistral_chat_response **final_out,
                                                  mistral_client *client, const char *agent_id,
                                                  const mistral_chat_request *req,
                                                  mistral_chat_chunk_fn cb, void *user_data,
                                                  mistral_error *err);

/** Opens a pull stream on the agent; see mistral_chat_stream_open(). */
MISTRAL_API int mistral_agents_stream_open(mistral_chat_stream **out, mistral_client *client,
                                           const char *agent_id,
                                           const mistral_chat_request *req, mistral_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_AGENTS_H */
