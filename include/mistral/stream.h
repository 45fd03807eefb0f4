/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/stream.h
 * Streaming chat completions: tokens as they are generated.
 *
 * The server sends Server-Sent Events, each holding one chunk (a
 * CompletionChunk: a delta per choice), and ends with `data: [DONE]`. Three
 * layers, each usable alone:
 *
 * - The stream decoder (sans-I/O): feed it bytes in slices of any size, it
 *   hands out typed chunks; it never reads a socket, so fixture replays and
 *   fuzzers drive it exactly like the network path does.
 * - The accumulator (sans-I/O): merges chunks into a complete
 *   mistral_chat_response (content per choice, tool calls merged by index,
 *   finish reasons, usage) and says when a tool call has just completed.
 * - Two ways to run a stream over the network, on one core:
 *   push: mistral_chat_complete_streaming() calls your function per chunk and can hand
 *   back the accumulated response ("show tokens live, keep the answer");
 *   pull: mistral_chat_stream_open() / _next() / _free(), no threads.
 *
 * Guarantees: a chunk's text is always whole UTF-8 (a code point is never
 * split between chunks); `[DONE]` is never parsed as JSON; an error event,
 * a `data: {"error": ...}` frame or a data line that is not JSON is an
 * error (MISTRAL_E_STREAM, the raw text in mistral_error_body()), never
 * mistaken for success; a stream that ends without `[DONE]` and without a
 * finish reason is MISTRAL_E_TRUNCATED (chunks delivered stay delivered,
 * the partial response stays available); an HTTP error before the stream
 * starts fills the error object exactly as a non-streaming call does.
 *
 * Timeouts: a stream has no total time limit by default (a long generation
 * must not be cut); it fails with MISTRAL_E_TIMEOUT when no byte arrives for
 * the idle timeout (mistral_client_set_stream_idle_timeout_ms(), per call
 * mistral_call_options_set_idle_timeout_ms()). The connect timeout applies as
 * usual.
 *
 * Threads: a decoder, accumulator or stream belongs to one thread at a time;
 * callbacks run on the calling thread.
 */
#ifndef MISTRAL_STREAM_H
#define MISTRAL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "mistral/chat.h"
#include "mistral/client.h"
#include "mistral/common.h"
#include "mistral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Chunks                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * One choice's part of a chunk. The delta has the shape of a message: role
 * (usually on the first chunk only), content (this chunk's text, or NULL),
 * chunks (when the server sent a content list) and tool calls. In a delta a
 * tool call may be a fragment: id, type and name may be NULL on
 * continuations and arguments is the next piece of JSON text ("" when the
 * fragment carries none); the accumulator merges fragments by index.
 */
typedef struct mistral_chat_chunk_choice {
  int64_t index;
  const mistral_assistant_message *delta;
  mistral_finish_reason finish_reason; /**< MISTRAL_FINISH_NONE until the last */
  const char *finish_reason_raw;
} mistral_chat_chunk_choice;

/** One streamed chunk. Borrowed: valid during the callback, or until the
 *  next mistral_chat_stream_next() / decoder feed. */
typedef struct mistral_chat_chunk {
  const char *id;
  const char *object; /**< "chat.completion.chunk" */
  const char *model;
  int64_t created;
  const mistral_usage *usage; /**< NULL on chunks without usage (all but the last, usually) */
  size_t choice_count;
  const mistral_chat_chunk_choice *const *choices;
  const char *raw_json; /**< the event's data exactly as received */
  size_t raw_json_len;
} mistral_chat_chunk;

/** Receives each chunk. Return 0 to go on, non-zero to stop (the call then
 *  returns MISTRAL_E_CANCELLED). */
typedef int (*mistral_chat_chunk_fn)(const mistral_chat_chunk *chunk, void *user_data);

/* ------------------------------------------------------------------------ */
/* Decoder (sans-I/O)                                                       */
/* ------------------------------------------------------------------------ */

typedef struct mistral_stream_decoder mistral_stream_decoder;

/** A new decoder. @return MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM. */
MISTRAL_API int mistral_stream_decoder_new(mistral_stream_decoder **out);

/** Frees the decoder. NULL is a no-op. */
MISTRAL_API void mistral_stream_decoder_free(mistral_stream_decoder *dec);

/**
 * Largest event accepted, in bytes (default 8 MiB); a larger one fails with
 * MISTRAL_E_STREAM rather than being truncated.
 */
MISTRAL_API int mistral_stream_decoder_set_max_event_bytes(mistral_stream_decoder *dec,
                                                           size_t max);

/**
 * Feeds the next slice of the event stream (any size, split anywhere);
 * calls cb (may be NULL) for every chunk completed by it, in order.
 * @return MISTRAL_OK; MISTRAL_E_CANCELLED (cb returned non-zero; the rest of
 *         the slice is dropped); MISTRAL_E_STREAM (an error event, an error
 *         frame, data that is not a JSON chunk, an oversized event; err
 *         carries the raw text); MISTRAL_E_NOMEM. After an error the decoder
 *         keeps failing with it.
 */
MISTRAL_API int mistral_stream_decoder_feed(mistral_stream_decoder *dec, const char *data,
                                            size_t len, mistral_chat_chunk_fn cb,
                                            void *user_data, mistral_error *err);

/**
 * Ends the input. @return MISTRAL_OK when the stream ended properly
 * (`[DONE]`, or every choice seen has a finish reason), MISTRAL_E_TRUNCATED
 * otherwise, or the error the decoder already failed with.
 */
MISTRAL_API int mistral_stream_decoder_finish(mistral_stream_decoder *dec, mistral_error *err);

/** Non-zero once `data: [DONE]` has been decoded. */
MISTRAL_API int mistral_stream_decoder_done(const mistral_stream_decoder *dec);

/* ------------------------------------------------------------------------ */
/* Accumulator (sans-I/O)                                                   */
/* ------------------------------------------------------------------------ */

typedef struct mistral_chat_accumulator mistral_chat_accumulator;

/** A new, empty accumulator. */
MISTRAL_API int mistral_chat_accumulator_new(mistral_chat_accumulator **out);

/** Frees it. NULL is a no-op. */
MISTRAL_API void mistral_chat_accumulator_free(mistral_chat_accumulator *acc);

/**
 * Merges a chunk: appends content per choice, merges tool-call fragments by
 * (choice, index) (a missing id or name on a continuation is fine; a whole
 * call in one delta is fine), records finish reasons and usage.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_chat_accumulator_add(mistral_chat_accumulator *acc,
                                             const mistral_chat_chunk *chunk);

/**
 * Tool calls that the last mistral_chat_accumulator_add() (or _finish())
 * completed: a call is complete when its choice gets a finish reason, when
 * a later call of the same choice starts, or at the end of the stream.
 * Valid until the next add.
 */
MISTRAL_API size_t mistral_chat_accumulator_completed_count(const mistral_chat_accumulator *acc);

/** Completed tool call i (see above), or NULL; *choice_index (may be NULL)
 *  receives its choice. Borrowed until the next add. */
MISTRAL_API const mistral_tool_call *mistral_chat_accumulator_completed(
    const mistral_chat_accumulator *acc, size_t i, int64_t *choice_index);

/** Marks the end of the stream: completes every pending tool call. */
MISTRAL_API int mistral_chat_accumulator_finish(mistral_chat_accumulator *acc);

/**
 * The merged response so far, as a new response the caller frees with
 * mistral_chat_response_free() (choices ordered by index; object
 * "chat.completion"). Can be called at any time, also on a partial stream.
 */
MISTRAL_API int mistral_chat_accumulator_response(mistral_chat_response **out,
                                                  const mistral_chat_accumulator *acc);

/* ------------------------------------------------------------------------ */
/* Push: one call                                                            */
/* ------------------------------------------------------------------------ */

/**
 * Sends req with "stream": true and calls cb for every chunk as it arrives.
 *
 * @param final_out when not NULL, receives the accumulated response when the
 *        stream ends, also when it ends in error after chunks arrived (the
 *        partial answer); NULL when nothing arrived. It carries the request
 *        id of the stream's HTTP headers. Free it with
 *        mistral_chat_response_free().
 * @param cb may be NULL (then only final_out is filled).
 * @return as mistral_chat_complete(), plus MISTRAL_E_CANCELLED (cb stopped
 *         the stream: the connection is closed at once), MISTRAL_E_STREAM and
 *         MISTRAL_E_TRUNCATED.
 *
 * Threads: any thread; cb runs on the calling thread.
 */
MISTRAL_API int mistral_chat_complete_streaming(mistral_chat_response **final_out,
                                                mistral_client *client,
                                                const mistral_chat_request *req,
                                                mistral_chat_chunk_fn cb, void *user_data,
                                                mistral_error *err);

/* ------------------------------------------------------------------------ */
/* Pull: an iterator                                                         */
/* ------------------------------------------------------------------------ */

typedef struct mistral_chat_stream mistral_chat_stream;

/**
 * Sends req with "stream": true and waits for the response headers. An HTTP
 * error status fails here, with the same error as mistral_chat_complete().
 * @param out receives the stream; free it with mistral_chat_stream_free().
 */
MISTRAL_API int mistral_chat_stream_open(mistral_chat_stream **out, mistral_client *client,
                                         const mistral_chat_request *req, mistral_error *err);

/**
 * Waits for the next chunk. On MISTRAL_OK, *chunk is the chunk (borrowed
 * until the next call), or NULL when the stream has ended properly.
 * @return MISTRAL_OK, or the error that ended the stream (then every later
 *         call returns it again).
 */
MISTRAL_API int mistral_chat_stream_next(const mistral_chat_chunk **chunk,
                                         mistral_chat_stream *stream, mistral_error *err);

/** The response accumulated from the chunks received so far (see
 *  mistral_chat_accumulator_response()), with the request id and model
 *  deprecation of the stream's HTTP headers. */
MISTRAL_API int mistral_chat_stream_response(mistral_chat_response **out,
                                             const mistral_chat_stream *stream);

/** Tool calls completed by the last chunk returned by _next() (see
 *  mistral_chat_accumulator_completed()). */
MISTRAL_API const mistral_chat_accumulator *mistral_chat_stream_accumulator(
    const mistral_chat_stream *stream);

/** Closes the stream (aborting the transfer if it is still running) and
 *  frees it. Safe at any time. NULL is a no-op. */
MISTRAL_API void mistral_chat_stream_free(mistral_chat_stream *stream);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_STREAM_H */
