/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/sse.h
 * A Server-Sent Events parser that does no I/O: you feed it bytes, it calls
 * you back with events. The streaming calls sit on it; use it directly to
 * replay a recorded stream or to read one from your own transport.
 *
 *     mistral_sse_parser *p;
 *     if (mistral_sse_parser_new(&p, 0) != MISTRAL_OK) ...
 *     while ((n = read_some(buf, sizeof buf)) > 0)
 *       if ((rc = mistral_sse_parser_feed(p, buf, n, on_event, ctx)) != MISTRAL_OK)
 *         break;
 *     int cut;
 *     mistral_sse_parser_finish(p, &cut);   // cut != 0: the stream stopped mid-event
 *     mistral_sse_parser_free(p);
 *
 * It follows the WHATWG HTML "event stream interpretation": LF, CR and CRLF
 * line ends (a CRLF may be split across two feeds); one UTF-8 byte order
 * mark at the very start is skipped; lines starting with ':' are comments;
 * `field:value` loses one space after the colon; a line without a colon is
 * a field with an empty value; `data` lines are joined with "\n"; a blank
 * line dispatches the event, unless it had no `data` line; `id` values
 * containing NUL are ignored; `retry` is used only when it is all ASCII
 * digits; other fields are ignored; field names are case-sensitive; a line
 * not ended by a line end when the stream ends is dropped, and so is an
 * event not ended by a blank line. One departure: an `event` value
 * containing NUL is ignored too, as it could not be a C string.
 *
 * The bytes are not decoded: what the stream says is handed on unchanged
 * (the stream is meant to be UTF-8; the layer that reads the data, e.g. a
 * JSON parser, checks it). In particular a NUL byte inside data is kept and
 * counted in data_len.
 *
 * Nothing is ever truncated: an event larger than the parser's limit fails
 * the stream with MISTRAL_E_STREAM.
 *
 * Threads: a parser belongs to one thread at a time; separate parsers are
 * independent (there is no global state).
 */
#ifndef MISTRAL_SSE_H
#define MISTRAL_SSE_H

#include <stddef.h>

#include "mistral/common.h"
#include "mistral/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The event size limit used when mistral_sse_parser_new() is given 0. */
#define MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES ((size_t)8 * 1024 * 1024)

/** An SSE parser (opaque). */
typedef struct mistral_sse_parser mistral_sse_parser;

/**
 * One dispatched event. The parser fills it; the struct and every string in
 * it are valid during the callback only (copy what you keep). Fields may be
 * appended in later versions, so do not rely on sizeof.
 */
typedef struct mistral_sse_event {
  /** The event type: the last `event:` field of the event, or "message"
   *  when there was none (or it was empty). Never NULL. */
  const char *event;
  /** The `data:` lines joined with "\n", NUL-terminated after data_len
   *  bytes. Never NULL; "" for a single empty `data:` line. */
  const char *data;
  /** Bytes in data, not counting the terminating NUL. */
  size_t data_len;
  /** The last event id of the stream when this event was dispatched (it
   *  carries over from earlier events), or NULL when there is none: never
   *  set, or cleared by an empty `id:` field. */
  const char *id;
  /** The value of this event's `retry:` field in milliseconds, or -1 when
   *  it had none (or none made only of ASCII digits). Saturates at
   *  LONG_MAX. */
  long retry_ms;
} mistral_sse_event;

/**
 * Called once per dispatched event, in stream order, synchronously from
 * mistral_sse_parser_feed() on the caller's thread. Return 0 to go on,
 * non-zero to stop (feed then returns MISTRAL_E_CANCELLED). It must not
 * call feed, finish, reset or free on the same parser.
 */
typedef int (*mistral_sse_event_fn)(const mistral_sse_event *ev, void *user_data);

/**
 * Makes a parser. max_event_bytes bounds one event: the bytes of its data
 * (joining "\n" included), its event type and its id; 0 means
 * MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES (8 MiB). So that memory stays bounded
 * even for lines the parser would ignore, any line longer than
 * max_event_bytes + 7 bytes (room for "retry: ") fails too, except comment
 * lines, which are skipped without being kept. Free with
 * mistral_sse_parser_free(). Any thread.
 *
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (out is NULL);
 *         MISTRAL_E_NOMEM (*out is then NULL).
 */
MISTRAL_API int mistral_sse_parser_new(mistral_sse_parser **out, size_t max_event_bytes);

/** Frees a parser and its buffers. NULL is a no-op. */
MISTRAL_API void mistral_sse_parser_free(mistral_sse_parser *p);

/**
 * Parses the next slice of the stream, of any size (1 byte, a network
 * read, the whole stream); data need not end at a line or event boundary.
 * cb is called for each event completed by this slice, in order, before
 * feed returns. Events do not depend on how the stream is sliced.
 *
 * @return MISTRAL_OK: the whole slice was parsed.
 *         MISTRAL_E_CANCELLED: cb returned non-zero. The parser stays usable
 *         and stands just after that event:
 *         mistral_sse_parser_consumed() tells how many bytes of this slice
 *         were parsed; feed the rest (data + consumed) to go on, or reset.
 *         MISTRAL_E_STREAM: an event or line exceeded the limit (see
 *         mistral_sse_parser_new()); nothing of that event was delivered.
 *         MISTRAL_E_NOMEM: a buffer could not grow.
 *         After MISTRAL_E_STREAM or MISTRAL_E_NOMEM the parser has failed:
 *         feed and finish return the same code until
 *         mistral_sse_parser_reset().
 *         MISTRAL_E_INVALID_ARG: p or cb is NULL, data is NULL with len > 0,
 *         or feed was called from this parser's own callback.
 */
MISTRAL_API int mistral_sse_parser_feed(mistral_sse_parser *p, const char *data, size_t len,
                                        mistral_sse_event_fn cb, void *user_data);

/**
 * Ends the stream. Per the SSE rules nothing is dispatched: an event not
 * ended by a blank line, or a last line with no line end, is dropped.
 * *out_partial (if out_partial is not NULL) is set to 1 when something was
 * dropped that way, i.e. the stream was cut inside an event (or inside a
 * line, or inside the byte order mark), and to 0 when it ended cleanly
 * between events (comment lines do not count).
 *
 * The parser is then ready for the next stream (a reconnection: a byte
 * order mark is skipped again). The last event id and the retry time are
 * kept, as an EventSource keeps them across reconnections; use
 * mistral_sse_parser_reset() to forget them.
 *
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (p is NULL, or called from the
 *         parser's callback); or, when the parser had failed, that failure
 *         (MISTRAL_E_STREAM, MISTRAL_E_NOMEM) with *out_partial set to 1.
 */
MISTRAL_API int mistral_sse_parser_finish(mistral_sse_parser *p, int *out_partial);

/**
 * Makes the parser as new (same limit), keeping its buffers' memory:
 * pending data, the last event id, the retry time and any failure are
 * forgotten. NULL is a no-op.
 */
MISTRAL_API void mistral_sse_parser_reset(mistral_sse_parser *p);

/**
 * The stream's last event id: the value of the last `id:` field in the
 * blocks a blank line has ended so far, dispatched or not (an `id:` in an
 * event still in progress does not count yet). It is what an EventSource
 * sends back in a Last-Event-ID header when it reconnects. NULL when there
 * is none (never set, or cleared by an empty `id:`), or p is NULL. Valid
 * until the next feed, finish, reset or free of the parser.
 */
MISTRAL_API const char *mistral_sse_parser_last_event_id(const mistral_sse_parser *p);

/**
 * The reconnection time the stream asked for: the last valid `retry:`
 * field seen (it takes effect at once, even in an event that is never
 * dispatched), in milliseconds, or -1 when none (or p is NULL).
 */
MISTRAL_API long mistral_sse_parser_retry_ms(const mistral_sse_parser *p);

/**
 * How many bytes of the last mistral_sse_parser_feed() slice were parsed:
 * all of them after MISTRAL_OK; after MISTRAL_E_CANCELLED, the bytes up to
 * and including the line end that completed the event whose callback
 * stopped. 0 for NULL.
 */
MISTRAL_API size_t mistral_sse_parser_consumed(const mistral_sse_parser *p);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_SSE_H */
