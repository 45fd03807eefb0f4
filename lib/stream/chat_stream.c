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
#include "http/transfer.h"
#include "mistral/sse.h"
#include "mistral/stream.h"
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
  mistral_stream_decoder *dec;
  mistral_chat_accumulator *acc;
  mistral_error *dec_err; /* what the decoder (or the user's side) failed with */
  int status;             /* sticky outcome once the stream failed */
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
    s->status = m_err_set(s->dec_err, MISTRAL_E_NOMEM, "out of memory while accumulating");
    return 1;
  }
  return s->cb ? s->cb(chunk, s->user_data) : 0;
}

static int push_sink(const char *data, size_t n, void *ud) {
  mistral_chat_stream *s = ud;
  int rc = mistral_stream_decoder_feed(s->dec, data, n, push_chunk, s, s->dec_err);
  if (rc != MISTRAL_OK && s->status == MISTRAL_OK) s->status = rc;
  return rc != MISTRAL_OK;
}

/* ---- pull: queue events as they arrive ---- */

static int enqueue(const mistral_sse_event *ev, void *ud) {
  mistral_chat_stream *s = ud;
  if (s->q_head + s->q_len == s->q_cap) {
    if (s->q_head > 0) { /* reclaim the consumed front */
      memmove(s->queue, s->queue + s->q_head, s->q_len * sizeof *s->queue);
      s->q_head = 0;
    } else {
      size_t cap = s->q_cap ? s->q_cap * 2 : 16;
      queued_event *g = realloc(s->queue, cap * sizeof *g);
      if (!g) goto oom;
      s->queue = g;
      s->q_cap = cap;
    }
  }
  queued_event *q = &s->queue[s->q_head + s->q_len];
  q->data = malloc(ev->data_len + 1);
  q->event = ev->event && strcmp(ev->event, "message") != 0 ? strdup(ev->event) : NULL;
  if (!q->data || (ev->event && strcmp(ev->event, "message") != 0 && !q->event)) {
    free(q->data);
    free(q->event);
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
  mistral_sse_parser_free(s->sse);
  for (size_t i = s->q_head; i < s->q_head + s->q_len; i++) {
    free(s->queue[i].data);
    free(s->queue[i].event);
  }
  free(s->queue);
  free(s);
}

/* Records the stream's final failure in err (the decoder's error when it
 * stopped the transfer, else the transport's). */
static int fail_with(mistral_chat_stream *s, int rc, mistral_error *err) {
  if (s->status != MISTRAL_OK && mistral_error_code(s->dec_err) != MISTRAL_OK) {
    rc = s->status;
    m_err_move(err, s->dec_err);
    m_err_set(s->dec_err, rc, "%s", mistral_error_message(err));
  } else if (s->status == MISTRAL_OK) {
    s->status = rc;
  }
  m_err_redact(err, s->client->api_key);
  return s->status = rc;
}

int m_stream_open(mistral_chat_stream **out, mistral_client *client, const char *path,
                  char *body, size_t body_len, const struct mistral_call_options *options,
                  mistral_chat_chunk_fn cb, void *user_data, int push, mistral_error *err) {
  *out = NULL;
  mistral_chat_stream *s = calloc(1, sizeof *s);
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
  if (mistral_stream_decoder_new(&s->dec) != MISTRAL_OK ||
      mistral_chat_accumulator_new(&s->acc) != MISTRAL_OK || !(s->dec_err = mistral_error_new()) ||
      (!push && mistral_sse_parser_new(&s->sse, 0) != MISTRAL_OK)) {
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
                             .options = &s->options};
  int rc = m_transfer_start(&s->transfer, client, &s->hreq, &s->resp, idle, err);
  if (rc != MISTRAL_OK) {
    mistral_chat_stream_free(s);
    return rc;
  }
  /* Wait for the status. An HTTP error is read whole (the sink only takes
   * success bodies) and reported as a non-streaming call would. */
  rc = m_transfer_run(s->transfer, headers_ready, s, err);
  if (rc == MISTRAL_OK && s->resp.status != 0 && (s->resp.status < 200 || s->resp.status >= 300)) {
    rc = m_transfer_run(s->transfer, NULL, NULL, err);
    if (rc == MISTRAL_OK) rc = m_http_status_error(&s->resp, err);
  }
  if (rc != MISTRAL_OK) {
    rc = fail_with(s, rc, err);
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
    if (s->status != MISTRAL_OK && s->q_len == 0) {
      if (err) m_err_set(err, s->status, "%s", mistral_error_message(s->dec_err));
      return s->status;
    }
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
      free(q.data);
      free(q.event);
      if (rc != MISTRAL_OK) {
        s->status = rc;
        s->q_len = 0; /* nothing after a broken event counts */
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
    int rc = m_transfer_run(s->transfer, queue_ready, s, s->dec_err);
    if (rc != MISTRAL_OK && s->status == MISTRAL_OK) s->status = rc;
  }
}

int mistral_chat_stream_response(mistral_chat_response **out, const mistral_chat_stream *s) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  if (!s) return MISTRAL_E_INVALID_ARG;
  return mistral_chat_accumulator_response(out, s->acc);
}

const mistral_chat_accumulator *mistral_chat_stream_accumulator(const mistral_chat_stream *s) {
  return s ? s->acc : NULL;
}

int m_stream_run_push(mistral_chat_response **final_out, mistral_chat_stream *s,
                      mistral_error *err) {
  int rc = m_transfer_run(s->transfer, NULL, NULL, err);
  rc = rc == MISTRAL_OK && s->status == MISTRAL_OK ? finish(s, err) : fail_with(s, rc, err);
  /* The answer so far, also after a failure, when anything arrived. */
  if (final_out && m_stream_decoder_chunks(s->dec) > 0) {
    int arc = mistral_chat_accumulator_response(final_out, s->acc);
    if (arc != MISTRAL_OK && rc == MISTRAL_OK) rc = m_err_set(err, arc, "out of memory");
  }
  mistral_chat_stream_free(s);
  return rc;
}
