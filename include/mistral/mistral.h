/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/mistral.h
 * libmistral: a C client for the Mistral AI API. Include this one header.
 *
 * How to use it, top to bottom:
 *
 * 1. A client holds the API key, the server URL and a pool of kept-alive
 *    connections (mistral/client.h). Make one and share it.
 *
 *        mistral_client *client;
 *        mistral_client_new(&client);  // reads MISTRAL_API_KEY
 *
 * 2. Every call that can fail returns a status (MISTRAL_OK == 0, errors
 *    negative; mistral/common.h) and fills an optional error object with
 *    the detail: HTTP status, the API's message, request id, validation
 *    details (mistral/error.h).
 *
 *        mistral_error *err = mistral_error_new();
 *
 * 3. Build a request with typed setters; only what you set is sent
 *    (mistral/chat.h). Send it; read the typed response; free it with one
 *    call.
 *
 *        mistral_chat_request *req;
 *        mistral_chat_request_new(&req, "mistral-small-latest");
 *        mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hi");
 *        mistral_chat_response *resp;
 *        if (mistral_chat_complete(&resp, client, req, err) == MISTRAL_OK) {
 *          printf("%s\n", mistral_chat_response_text(resp));
 *          mistral_chat_response_free(resp);
 *        } else {
 *          fprintf(stderr, "%s\n", mistral_error_message(err));
 *        }
 *
 * 4. To show tokens as they arrive, stream (mistral/stream.h): push,
 *    mistral_chat_complete_streaming() calls your function per chunk and
 *    can hand back the whole answer; pull, mistral_chat_stream_open() /
 *    _next() / _free(). The sans-I/O pieces under it (SSE parser
 *    mistral/sse.h, stream decoder, accumulator) are public too.
 *
 * 5. The other completion endpoints reuse the same types: fill-in-the-
 *    middle code completion (mistral/fim.h) and agents (mistral/agents.h).
 *
 * 6. For an endpoint without a typed call yet, mistral_raw_call() sends
 *    JSON text to any path with the same authentication and error handling
 *    (mistral/raw.h). Also: embeddings, moderation, OCR and models
 *    (mistral/embeddings.h, moderation.h, ocr.h, models.h).
 *
 * 7. Bad days are handled for you: a call that fails in a way that may
 *    pass (a dropped connection, a timeout, HTTP 408, 409, 429, 5xx) is
 *    retried, 3 attempts in all by default, honouring Retry-After; the
 *    error then says how many attempts were made. Attempts, backoff, an
 *    overall deadline and timeouts are set on the client ("Retry
 *    defaults" in mistral/client.h) or per call (mistral/options.h).
 *
 * 8. Free what you made: mistral_chat_request_free(), mistral_error_free(),
 *    mistral_client_free(). Every *_free(NULL) is a no-op.
 *
 * Ownership: what a call returns through `T **out` is yours to free with the
 * matching *_free(). Pointers inside a response are borrowed from it.
 * Inputs are copied.
 *
 * Threads: a client may be shared by threads once configured; requests,
 * responses and error objects belong to one thread at a time.
 *
 * No curl, jansson or OpenSSL header is needed to use this one; JSON crosses
 * the API as UTF-8 text.
 */
#ifndef MISTRAL_MISTRAL_H
#define MISTRAL_MISTRAL_H

#include "mistral/export.h"
#include "mistral/version.h"
#include "mistral/common.h"
#include "mistral/error.h"
#include "mistral/client.h"
#include "mistral/options.h"
#include "mistral/chat.h"
#include "mistral/stream.h"
#include "mistral/sse.h"
#include "mistral/fim.h"
#include "mistral/agents.h"
#include "mistral/embeddings.h"
#include "mistral/moderation.h"
#include "mistral/ocr.h"
#include "mistral/models.h"
#include "mistral/raw.h"

#endif /* MISTRAL_MISTRAL_H */
