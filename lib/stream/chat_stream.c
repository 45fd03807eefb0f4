/* SPDX-License-Identifier: Apache-2.0 */
/* Streaming chat over the network: the push and pull APIs on one core.
 *
 * Both run the exchange through the non-blocking driver (http/transfer.h).
 * Push decodes in the transfer's body callback and calls the user at once;
 * pull cuts the bytes into events as they arrive, queues them, and decodes
 * one per mistral_chat_stream_next(), so a chunk stays valid until the next
 * call without copying decoded structs. */
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/alloc.h"
#include "core/error.h"
#include "http/retry.h"
#include "http/transfer.h"
#include "mistral/sse.h"
#include "mistral/stream.h"
#include "sse/sse_internal.h"
#include "stream/accumulator.h"
#include "stream/decoder.h"
#include "stream/stream_internal.h"

typedef struct queued_event {
  char *event; /* NULL for the default "message" */
  char *data;
  size_t len;
} queued_event;

struct mistral_chat_stream {
  mistral_client *client;
  char *body;
  m_http_request hreq; /* the transfer points at it: it lives here */
  struct mistral_call_options options;
  m_http_response resp;
  m_transfer *transfer;
  long idle_ms;   /* the stream's idle timeout, for every attempt */
  m_retry retry;  /* attempts so far; a retry only while nothing was delivered */
  mistral_stream_decoder *dec;
  mistral_chat_accumulator *acc;
  mistral_error *dec_err;  /* the error the stream failed with (status) */
  mistral_error *xfer_err; /* scratch: a transfer step's outcome, moved to
                              dec_err when it is what ended the stream */
  int status;             /* sticky outcome once the stream failed */
  int acc_failed;         /* push: the accumulator ran out of memory */
  int ended;              /* ended properly: next() returns NULL */
  /* push */
  mistral_chat_chunk_fn cb;
  void *user_data;
  /* pull */
  mistral_sse_parser *sse;
  queued_event *queue;
  size_t q_head, q_len, q_cap;
  const mistral_chat_chunk *current;
};

/* ---- push: decode inside the body callback ---- */

static int push_chunk(const mistral_chat_chunk *chunk, void *ud) {
  mistral_chat_stream *s = ud;
  if (mistral_chat_accumulator_add(s->acc, chunk) != MISTRAL_OK) {
    s->acc_failed = 1; /* the decoder reports a stop: push_sink says why */
    return 1;
  }
  return s->cb ? s->cb(chunk, s->user_data) : 0;
}

static int push_sink(const char *data, size_t n, void *ud) {
  mistral_chat_stream *s = ud;
  int rc = mistral_stream_decoder_feed(s->dec, data, n, push_chunk, s, s->dec_err);
  if (rc != MISTRAL_OK && s->acc_failed)
    rc = m_err_set(s->dec_err, MISTRAL_E_NOMEM, "out of memory while accumulating");
  if (rc != MISTRAL_OK && s->status == MISTRAL_OK) s->status = rc;
  return rc != MISTRAL_OK;
}

/* ---- pull: queue events as they arrive ---- */

static void drop_event(const mistral_chat_stream *s, queued_event *q) {
  m_free(&s->client->alloc, q->data);
  m_free(&s->client->alloc, q->event);
}

/* Drops every queued event (the queue itself stays). */
static void drop_queue(mistral_chat_stream *s) {
  for (; s->q_len > 0; s->q_head++, s->q_len--) drop_event(s, &s->queue[s->q_head]);
  s->q_head = 0;
}

static int enqueue(const mistral_sse_event *ev, void *ud) {
  mistral_chat_stream *s = ud;
  if (s->q_head + s->q_len == s->q_cap) {
    if (s->q_head > 0) { /* reclaim the consumed front */
      memmove(s->queue, s->queue + s->q_head, s->q_len * sizeof *s->queue);
      s->q_head = 0;
    } else {
      size_t cap = s->q_cap ? s->q_cap * 2 : 16;
      queued_event *g = m_realloc(&s->client->alloc, s->queue, cap * sizeof *g);
      if (!g) goto oom;
      s->queue = g;
      s->q_cap = cap;
    }
  }
  queued_event *q = &s->queue[s->q_head + s->q_len];
  q->data = m_malloc(&s->client->alloc, ev->data_len + 1);
  q->event = ev->event && strcmp(ev->event, "message") != 0 ? m_strdup(&s->client->alloc, ev->event)
                                                             : NULL;
  if (!q->data || (ev->event && strcmp(ev->event, "message") != 0 && !q->event)) {
    drop_event(s, q);
    goto oom;
  }
  memcpy(q->data, ev->data, ev->data_len);
  q->data[ev->data_len] = '\0';
  q->len = ev->data_len;
  s->q_len++;
  return 0;
oom:
  s->status = m_err_set(s->dec_err, MISTRAL_E_NOMEM, "out of memory while queueing events");
  return 1;
}

static int pull_sink(const char *data, size_t n, void *ud) {
  mistral_chat_stream *s = ud;
  int rc = mistral_sse_parser_feed(s->sse, data, n, enqueue, s);
  if (rc == MISTRAL_E_STREAM && s->status == MISTRAL_OK)
    s->status = m_err_set(s->dec_err, rc, "stream: an event exceeded the size limit (not truncated)");
  else if (rc != MISTRAL_OK && s->status == MISTRAL_OK)
    s->status = m_err_set(s->dec_err, rc, "stream: %s", mistral_strerror(rc));
  return rc != MISTRAL_OK;
}

static int queue_ready(void *ud) {
  const mistral_chat_stream *s = ud;
  return s->q_len > 0 || s->status != MISTRAL_OK;
}

static int headers_ready(void *ud) {
  const mistral_chat_stream *s = ud;
  return m_transfer_headers_done(s->transfer);
}

/* ---- shared ---- */

void mistral_chat_stream_free(mistral_chat_stream *s) {
  if (!s) return;
  m_transfer_free(s->transfer); /* aborts a running transfer */
  m_http_response_free(&s->resp);
  free(s->body);
  mistral_stream_decoder_free(s->dec);
  mistral_chat_accumulator_free(s->acc);
  mistral_error_free(s->dec_err);
  mistral_error_free(s->xfer_err);
  mistral_sse_parser_free(s->sse);
  drop_queue(s);
  m_free(&s->client->alloc, s->queue);
  m_free(&s->client->alloc, s);
}

/* Copies every part of src into dst (NULL: nothing). */
static void err_copy(mistral_error *dst, const mistral_error *src) {
  if (!dst || dst == src) return;
  m_err_set(dst, mistral_error_code(src), "%s", mistral_error_message(src));
  m_err_set_http_status(dst, mistral_error_http_status(src));
  const char *fields[M_ERR_FIELD_COUNT] = {
      [M_ERR_API_MESSAGE] = mistral_error_api_message(src),
      [M_ERR_API_TYPE] = mistral_error_api_type(src),
      [M_ERR_API_CODE] = mistral_error_api_code(src),
      [M_ERR_API_PARAM] = mistral_error_api_param(src),
      [M_ERR_REQUEST_ID] = mistral_error_request_id(src),
      [M_ERR_BODY] = mistral_error_body(src),
      [M_ERR_TRANSPORT] = mistral_error_transport_message(src)};
  for (int i = 0; i < M_ERR_FIELD_COUNT; i++)
    if (fields[i]) m_err_set_field(dst, (m_err_field)i, fields[i], strlen(fields[i]));
  for (size_t i = 0; i < mistral_error_detail_count(src); i++)
    m_err_add_detail(dst, mistral_error_detail_loc(src, i), mistral_error_detail_msg(src, i),
                     mistral_error_detail_type(src, i));
}

/* A transfer step's outcome: a failure ends the stream, unless the stream
 * had already failed (the decoder, or a queue out of memory, stopped the
 * transfer: that is the error to report, not the abort it caused). */
static void note_transfer(mistral_chat_stream *s, int rc) {
  if (rc != MISTRAL_OK && s->status == MISTRAL_OK) {
    s->status = rc;
    m_err_move(s->dec_err, s->xfer_err);
  }
  mistral_error_clear(s->xfer_err);
}

/* Records the stream's final failure in err: the error the stream failed
 * with when it has one (the decoder's, when it stopped the transfer), else
 * rc with err as the transport left it. The stream keeps a copy, so that
 * every later call reports the same error whole, with the attempts made
 * ("(after N attempts)" when there were several). */
static int fail_with(mistral_chat_stream *s, int rc, mistral_error *err) {
  if (s->status != MISTRAL_OK && mistral_error_code(s->dec_err) != MISTRAL_OK) {
    rc = s->status;
  } else {
    if (mistral_error_code(err) == MISTRAL_OK) m_err_set(err, rc, "%s", mistral_strerror(rc));
    if (err) err_copy(s->dec_err, err);
    else m_err_set(s->dec_err, rc, "%s", mistral_strerror(rc));
  }
  err_copy(err, s->dec_err);
  m_retry_note(&s->retry, err);
  m_err_redact(err, s->client->api_key);
  return s->status = rc;
}

/* A non-success HTTP status: its body was collected whole (the sink only
 * takes success bodies), to be reported as a non-streaming call would. */
static int http_error_status(const mistral_chat_stream *s) {
  return s->resp.status != 0 && (s->resp.status < 200 || s->resp.status >= 300);
}

/* ---- retries: only while nothing has reached the caller ---- */

/* Nothing has reached the caller (no chunk decoded, none queued, no end)
 * and the stream has not failed on its own (a decoder or queue failure is
 * not the network's): a failure now may be retried unseen. */
static int nothing_delivered(const mistral_chat_stream *s) {
  return s->status == MISTRAL_OK && !s->ended && s->q_len == 0 &&
         m_stream_decoder_chunks(s->dec) == 0 && !mistral_stream_decoder_done(s->dec);
}

/* Drops what the failed attempt left (its transfer, response, partial
 * events, decoder and accumulator state) and starts the next attempt with
 * the same request (the same body buffer). */
static int restart(mistral_chat_stream *s, mistral_error *err) {
  m_transfer_free(s->transfer);
  s->transfer = NULL;
  m_retry_reset_response(&s->resp);
  mistral_stream_decoder_free(s->dec);
  s->dec = NULL;
  mistral_chat_accumulator_free(s->acc);
  s->acc = NULL;
  if (s->sse) mistral_sse_parser_reset(s->sse);
  drop_queue(s);
  s->status = MISTRAL_OK;
  s->acc_failed = 0;
  s->current = NULL;
  mistral_error_clear(s->dec_err);
  mistral_error_clear(s->xfer_err);
  if (m_stream_decoder_new(&s->dec, &s->client->alloc) != MISTRAL_OK ||
      m_chat_accumulator_new(&s->acc, &s->client->alloc) != MISTRAL_OK)
    return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  return m_transfer_start(&s->transfer, s->client, &s->hreq, &s->resp, s->idle_ms, err);
}

/* Pull: runs the started attempt, and as many more as the retry policy
 * allows, until the stream begins (success headers) or fails for good.
 * Returns MISTRAL_OK once it has begun: a failure that came with its first
 * bytes is next()'s to report, after the chunks that arrived before it.
 * Otherwise returns the error, in err: an HTTP error read whole and
 * reported as a non-streaming call would, or the transport's failure. */
static int pull_begin(mistral_chat_stream *s, mistral_error *err) {
  for (;;) {
    int rc = m_transfer_run(s->transfer, headers_ready, s, s->xfer_err);
    int again;
    if (m_transfer_headers_done(s->transfer) && !http_error_status(s)) {
      m_retry_begun(&s->retry, &s->resp);
      if (rc == MISTRAL_OK || !nothing_delivered(s)) {
        note_transfer(s, rc);
        return MISTRAL_OK;
      }
      /* Failed right after the headers, before any event. */
      again = m_retry_next(&s->retry, rc, NULL, 1);
      if (!again && !s->retry.cancelled) {
        note_transfer(s, rc); /* next() reports it */
        return MISTRAL_OK;
      }
    } else {
      /* An HTTP error is read whole (the connection stays usable), or the
       * transfer failed before the headers. */
      if (rc == MISTRAL_OK) rc = m_transfer_run(s->transfer, NULL, NULL, s->xfer_err);
      again = m_retry_next(&s->retry, rc, &s->resp, 1);
      if (!again && !s->retry.cancelled) {
        if (rc == MISTRAL_OK) {
          s->resp.attempts = s->retry.attempts;
          rc = m_http_status_error(&s->resp, err);
          if (rc == MISTRAL_OK) rc = m_err_set(err, MISTRAL_E_BAD_RESPONSE, "no response status");
        } else {
          m_err_move(err, s->xfer_err);
          m_retry_note(&s->retry, err);
        }
        m_err_redact(err, s->client->api_key);
        return rc;
      }
    }
    if (s->retry.cancelled) {
      m_retry_cancelled_error(&s->retry, err);
      m_retry_note(&s->retry, err);
      return MISTRAL_E_CANCELLED;
    }
    int rrc = restart(s, err);
    if (rrc != MISTRAL_OK) return rrc;
  }
}

int m_stream_open(mistral_chat_stream **out, mistral_client *client, const char *path,
                  char *body, size_t body_len, const struct mistral_call_options *options,
                  mistral_chat_chunk_fn cb, void *user_data, int push, mistral_error *err) {
  *out = NULL;
  mistral_chat_stream *s = m_calloc(&client->alloc, 1, sizeof *s);
  if (!s) {
    free(body);
    return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  }
  s->client = client;
  s->cb = cb;
  s->user_data = user_data;
  s->body = body;
  if (options) s->options = *options;
  else s->options = M_CALL_OPTIONS_UNSET;
  m_http_response_init(&s->resp, &client->alloc);
  if (m_stream_decoder_new(&s->dec, &client->alloc) != MISTRAL_OK ||
      m_chat_accumulator_new(&s->acc, &client->alloc) != MISTRAL_OK ||
      !(s->dec_err = mistral_error_new()) || !(s->xfer_err = mistral_error_new()) ||
      (!push && m_sse_parser_new(&s->sse, 0, &client->alloc) != MISTRAL_OK)) {
    mistral_chat_stream_free(s);
    return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  }
  long idle = s->options.idle_timeout_ms >= 0 ? s->options.idle_timeout_ms
                                              : client->stream_idle_timeout_ms;
  s->hreq = (m_http_request){.method = "POST",
                             .path = path,
                             .body = s->body,
                             .body_len = body_len,
                             .accept = "text/event-stream",
                             .sink = push ? push_sink : pull_sink,
                             .sink_user_data = s,
                             .streaming = 1,
                             .options = &s->options};
  s->idle_ms = idle;
  m_retry_begin(&s->retry, client, &s->options, s->hreq.method, path);
  int rc = m_transfer_start(&s->transfer, client, &s->hreq, &s->resp, idle, err);
  if (rc != MISTRAL_OK) {
    mistral_chat_stream_free(s);
    return rc;
  }
  if (push) {
    /* m_stream_run_push runs it all: chunks may come with the headers, and
     * whatever then happens, final_out gets the answer so far. */
    *out = s;
    return MISTRAL_OK;
  }
  rc = pull_begin(s, err);
  if (rc != MISTRAL_OK) {
    mistral_chat_stream_free(s);
    return rc;
  }
  *out = s;
  return MISTRAL_OK;
}

/* The end of the bytes: was the stream complete? */
static int finish(mistral_chat_stream *s, mistral_error *err) {
  int rc = mistral_stream_decoder_finish(s->dec, s->dec_err);
  if (mistral_chat_accumulator_finish(s->acc) != MISTRAL_OK && rc == MISTRAL_OK)
    rc = m_err_set(s->dec_err, MISTRAL_E_NOMEM, "out of memory");
  if (rc != MISTRAL_OK) {
    s->status = rc;
    return fail_with(s, rc, err);
  }
  s->ended = 1;
  return MISTRAL_OK;
}

static int capture_chunk(const mistral_chat_chunk *chunk, void *ud) {
  mistral_chat_stream *s = ud;
  s->current = chunk;
  return 0;
}

int mistral_chat_stream_next(const mistral_chat_chunk **chunk, mistral_chat_stream *s,
                             mistral_error *err) {
  mistral_error_clear(err);
  if (!chunk) return m_err_set(err, MISTRAL_E_INVALID_ARG, "chunk is NULL");
  *chunk = NULL;
  if (!s) return m_err_set(err, MISTRAL_E_INVALID_ARG, "stream is NULL");
  for (;;) {
    if (s->status != MISTRAL_OK && s->q_len == 0) return fail_with(s, s->status, err);
    if (s->ended) return MISTRAL_OK;
    /* Deliver what already arrived before anything else, even when the
     * transfer has failed since: those chunks were whole. */
    if (s->q_len > 0) {
      queued_event q = s->queue[s->q_head];
      s->q_head++;
      s->q_len--;
      mistral_sse_event ev = {.event = q.event ? q.event : "message",
                              .data = q.data,
                              .data_len = q.len,
                              .id = NULL,
                              .retry_ms = -1};
      s->current = NULL;
      int rc = m_stream_decoder_event(s->dec, &ev, capture_chunk, s, s->dec_err);
      drop_event(s, &q);
      if (rc != MISTRAL_OK) {
        s->status = rc;
        /* Nothing after a broken event counts. */
        drop_queue(s);
        return fail_with(s, rc, err);
      }
      if (!s->current) continue; /* [DONE] or an ignored event */
      if (mistral_chat_accumulator_add(s->acc, s->current) != MISTRAL_OK) {
        s->status = m_err_set(s->dec_err, MISTRAL_E_NOMEM, "out of memory while accumulating");
        return fail_with(s, s->status, err);
      }
      *chunk = s->current;
      return MISTRAL_OK;
    }
    if (m_transfer_finished(s->transfer)) return finish(s, err);
    int rc = m_transfer_run(s->transfer, queue_ready, s, s->xfer_err);
    if (rc != MISTRAL_OK && nothing_delivered(s)) {
      /* The caller has seen nothing yet: another attempt is invisible. */
      if (m_retry_next(&s->retry, rc, NULL, 1)) {
        rc = restart(s, err);
        if (rc == MISTRAL_OK) rc = pull_begin(s, err);
        if (rc != MISTRAL_OK) return fail_with(s, rc, err);
        continue;
      }
      if (s->retry.cancelled) return fail_with(s, m_retry_cancelled_error(&s->retry, err), err);
      note_transfer(s, rc);
      continue;
    }
    if (rc != MISTRAL_OK && s->status == MISTRAL_OK) m_retry_next(&s->retry, rc, NULL, 0);
    note_transfer(s, rc);
  }
}

int mistral_chat_stream_response(mistral_chat_response **out, const mistral_chat_stream *s) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  if (!s) return MISTRAL_E_INVALID_ARG;
  return m_chat_accumulator_response(out, s->acc, &s->resp);
}

const mistral_chat_accumulator *mistral_chat_stream_accumulator(const mistral_chat_stream *s) {
  return s ? s->acc : NULL;
}

int m_stream_run_push(mistral_chat_response **final_out, mistral_chat_stream *s,
                      mistral_error *err) {
  /* The whole exchange; chunks reach the callback as they arrive. An HTTP
   * error, or a failure before the first chunk, may be retried: the
   * callback has seen nothing. */
  int rc;
  for (;;) {
    rc = m_transfer_run(s->transfer, NULL, NULL, err);
    int http_error = rc == MISTRAL_OK && http_error_status(s);
    int may_retry = http_error || (rc != MISTRAL_OK && nothing_delivered(s));
    if (!m_retry_next(&s->retry, rc, rc == MISTRAL_OK ? &s->resp : NULL, may_retry)) break;
    mistral_error_clear(err);
    if ((rc = restart(s, err)) != MISTRAL_OK) break;
  }
  s->resp.attempts = s->retry.attempts;
  if (s->retry.cancelled) {
    rc = fail_with(s, m_retry_cancelled_error(&s->retry, err), err);
  } else if (rc == MISTRAL_OK && http_error_status(s)) {
    /* Before the stream: as a non-streaming call reports it. */
    rc = m_http_status_error(&s->resp, err);
    m_err_redact(err, s->client->api_key);
  } else if (rc == MISTRAL_OK && s->status == MISTRAL_OK) {
    rc = finish(s, err);
  } else {
    rc = fail_with(s, rc, err);
  }
  /* The answer so far, also after a failure, when anything arrived. */
  if (final_out && s->dec && m_stream_decoder_chunks(s->dec) > 0) {
    int arc = m_chat_accumulator_response(final_out, s->acc, &s->resp);
    if (arc != MISTRAL_OK && rc == MISTRAL_OK) rc = m_err_set(err, arc, "out of memory");
  }
  mistral_chat_stream_free(s);
  return rc;
}
