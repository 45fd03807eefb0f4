/* SPDX-License-Identifier: Apache-2.0 */
/* The stream decoder: SSE events in, typed chunks out. Pure: no I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "json/jv.h"
#include "mistral/sse.h"
#include "mistral/stream.h"
#include "sse/sse_internal.h"
#include "stream/chunk.h"
#include "stream/decoder.h"

/* Per-choice end tracking, to tell a cut stream from a finished one when
 * [DONE] never comes. */
typedef struct choice_state {
  int64_t index;
  int finished;
} choice_state;

struct mistral_stream_decoder {
  mistral_allocator alloc;
  mistral_sse_parser *sse;
  m_arena arena; /* one chunk's worth; reset before each chunk */
  int done;      /* [DONE] seen */
  int status;    /* the error the decoder failed with, or MISTRAL_OK */
  choice_state *choices;
  size_t choice_count, choice_cap;
  size_t chunks; /* decoded so far */
  /* For the event callback: where this feed's chunks go. */
  mistral_chat_chunk_fn cb;
  void *user_data;
  mistral_error *err;
};

int m_stream_decoder_new(mistral_stream_decoder **out, const mistral_allocator *alloc) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  mistral_stream_decoder *d = m_calloc(alloc, 1, sizeof *d);
  if (!d) return MISTRAL_E_NOMEM;
  d->alloc = *alloc;
  m_arena_init(&d->arena, &d->alloc);
  int rc = m_sse_parser_new(&d->sse, 0, &d->alloc);
  if (rc != MISTRAL_OK) {
    m_free(alloc, d);
    return rc;
  }
  *out = d;
  return MISTRAL_OK;
}

int mistral_stream_decoder_new(mistral_stream_decoder **out) {
  return m_stream_decoder_new(out, &mistral_default_allocator);
}

void mistral_stream_decoder_free(mistral_stream_decoder *d) {
  if (!d) return;
  mistral_sse_parser_free(d->sse);
  m_arena_release(&d->arena);
  m_free(&d->alloc, d->choices);
  mistral_allocator a = d->alloc;
  m_free(&a, d);
}

int mistral_stream_decoder_set_max_event_bytes(mistral_stream_decoder *d, size_t max) {
  if (!d) return MISTRAL_E_INVALID_ARG;
  /* The limit lives in the parser: make a new one with it. */
  mistral_sse_parser *p;
  int rc = m_sse_parser_new(&p, max, &d->alloc);
  if (rc != MISTRAL_OK) return rc;
  mistral_sse_parser_free(d->sse);
  d->sse = p;
  return MISTRAL_OK;
}

int mistral_stream_decoder_done(const mistral_stream_decoder *d) { return d ? d->done : 0; }

size_t m_stream_decoder_chunks(const mistral_stream_decoder *d) { return d->chunks; }

/* Sets the sticky failure, filling err with the raw text of the event. */
static int fail(mistral_stream_decoder *d, int code, const char *what, const char *raw,
                size_t raw_len) {
  d->status = code;
  if (d->err) {
    /* Quote the start of the raw text in the message, all of it in body. */
    int shown = raw_len > 200 ? 200 : (int)raw_len;
    if (raw)
      m_err_set(d->err, code, "stream: %s: %.*s%s", what, shown, raw, raw_len > 200 ? "..." : "");
    else
      m_err_set(d->err, code, "stream: %s", what);
    if (raw) m_err_set_field(d->err, M_ERR_BODY, raw, raw_len);
  }
  return code;
}

static choice_state *choice_slot(mistral_stream_decoder *d, int64_t index) {
  for (size_t i = 0; i < d->choice_count; i++)
    if (d->choices[i].index == index) return &d->choices[i];
  if (d->choice_count == d->choice_cap) {
    size_t cap = d->choice_cap ? d->choice_cap * 2 : 4;
    choice_state *g = m_realloc(&d->alloc, d->choices, cap * sizeof *g);
    if (!g) return NULL;
    d->choices = g;
    d->choice_cap = cap;
  }
  choice_state *s = &d->choices[d->choice_count++];
  s->index = index;
  s->finished = 0;
  return s;
}

/* An error frame: {"error": ...} or {"object": "error", "message": ...}. */
static int error_frame(mistral_stream_decoder *d, const m_jv *root, const char *raw, size_t n) {
  const m_jv *e = m_jv_get(root, "error");
  const m_jv *src = m_jv_is_object(e) ? e : root;
  fail(d, MISTRAL_E_STREAM, "error event", raw, n);
  size_t len;
  const char *s;
  if ((s = m_jv_string(m_jv_is_string(e) ? e : m_jv_get(src, "message"), &len)))
    m_err_set_field(d->err, M_ERR_API_MESSAGE, s, len);
  if ((s = m_jv_string(m_jv_get(src, "type"), &len)))
    m_err_set_field(d->err, M_ERR_API_TYPE, s, len);
  const m_jv *code = m_jv_get(src, "code");
  if ((s = m_jv_string(code, &len))) {
    m_err_set_field(d->err, M_ERR_API_CODE, s, len);
  } else if (m_jv_is_int(code)) {
    char buf[32];
    int blen = snprintf(buf, sizeof buf, "%lld", (long long)m_jv_int(code));
    m_err_set_field(d->err, M_ERR_API_CODE, buf, (size_t)blen);
  }
  return MISTRAL_E_STREAM;
}

static int on_event(const mistral_sse_event *ev, void *ud);

int m_stream_decoder_event(mistral_stream_decoder *d, const mistral_sse_event *ev,
                           mistral_chat_chunk_fn cb, void *user_data, mistral_error *err) {
  if (d->status != MISTRAL_OK) return d->status;
  d->cb = cb;
  d->user_data = user_data;
  d->err = err;
  on_event(ev, d);
  d->err = NULL;
  return d->status;
}

static int on_event(const mistral_sse_event *ev, void *ud) {
  mistral_stream_decoder *d = ud;
  if (d->done) return 0; /* nothing counts after [DONE] */
  if (ev->event && strcmp(ev->event, "error") == 0) {
    /* Raw text in the body; the API's fields too when it is a JSON error. */
    m_arena scratch;
    m_arena_init(&scratch, &d->alloc);
    const m_jv *root;
    if (m_jv_parse(&root, &scratch, ev->data, ev->data_len, NULL) == MISTRAL_OK &&
        m_jv_is_object(root))
      error_frame(d, root, ev->data, ev->data_len);
    else
      fail(d, MISTRAL_E_STREAM, "error event", ev->data, ev->data_len);
    m_arena_release(&scratch);
    return 1;
  }
  if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
    d->done = 1;
    return 0;
  }
  /* The tree lives in the chunk's arena: the chunk borrows its strings. */
  m_arena_reset(&d->arena);
  const m_jv *root;
  int rc = m_jv_parse(&root, &d->arena, ev->data, ev->data_len, NULL);
  if (rc == MISTRAL_E_NOMEM) return fail(d, MISTRAL_E_NOMEM, "out of memory", NULL, 0);
  if (rc != MISTRAL_OK)
    return fail(d, MISTRAL_E_STREAM, "data is not JSON", ev->data, ev->data_len);
  const char *object = m_jv_string(m_jv_get(root, "object"), NULL);
  if (!m_jv_is_object(root)) {
    rc = fail(d, MISTRAL_E_STREAM, "data is not a JSON object", ev->data, ev->data_len);
  } else if (m_jv_get(root, "error") || (object && strcmp(object, "error") == 0)) {
    rc = error_frame(d, root, ev->data, ev->data_len);
  } else {
    const mistral_chat_chunk *chunk;
    rc = m_chunk_decode(&chunk, &d->arena, root, ev->data, ev->data_len);
    if (rc == MISTRAL_E_STREAM) {
      fail(d, rc, "data is not a completion chunk", ev->data, ev->data_len);
    } else if (rc != MISTRAL_OK) {
      fail(d, rc, "out of memory", NULL, 0);
    } else {
      d->chunks++;
      for (size_t i = 0; i < chunk->choice_count; i++) {
        choice_state *s = choice_slot(d, chunk->choices[i]->index);
        if (!s) {
          rc = fail(d, MISTRAL_E_NOMEM, "out of memory", NULL, 0);
          break;
        }
        if (chunk->choices[i]->finish_reason != MISTRAL_FINISH_NONE) s->finished = 1;
      }
      if (rc == MISTRAL_OK && d->cb && d->cb(chunk, d->user_data) != 0) {
        d->status = MISTRAL_E_CANCELLED;
        if (d->err) m_err_set(d->err, MISTRAL_E_CANCELLED, "stream: stopped by the callback");
        rc = MISTRAL_E_CANCELLED;
      }
    }
  }
  return rc != MISTRAL_OK;
}

int mistral_stream_decoder_feed(mistral_stream_decoder *d, const char *data, size_t len,
                                mistral_chat_chunk_fn cb, void *user_data, mistral_error *err) {
  if (!d || (!data && len)) return m_err_set(err, MISTRAL_E_INVALID_ARG, "stream: NULL argument");
  if (d->status != MISTRAL_OK)
    return m_err_set(err, d->status, "stream: the decoder already failed (%s)",
                     mistral_strerror(d->status));
  d->cb = cb;
  d->user_data = user_data;
  d->err = err;
  int rc = mistral_sse_parser_feed(d->sse, data, len, on_event, d);
  d->err = NULL;
  if (d->status != MISTRAL_OK) return d->status;
  if (rc == MISTRAL_E_STREAM) {
    d->status = rc;
    return m_err_set(err, rc, "stream: an event exceeded the size limit (not truncated)");
  }
  if (rc != MISTRAL_OK) {
    d->status = rc;
    return m_err_set(err, rc, "stream: %s", mistral_strerror(rc));
  }
  return MISTRAL_OK;
}

int mistral_stream_decoder_finish(mistral_stream_decoder *d, mistral_error *err) {
  if (!d) return m_err_set(err, MISTRAL_E_INVALID_ARG, "stream: NULL decoder");
  if (d->status != MISTRAL_OK)
    return m_err_set(err, d->status, "stream: %s", mistral_strerror(d->status));
  if (d->done) return MISTRAL_OK;
  /* No [DONE]: fine only if every choice said it finished. */
  int all_finished = d->choice_count > 0;
  for (size_t i = 0; i < d->choice_count; i++)
    if (!d->choices[i].finished) all_finished = 0;
  if (all_finished) return MISTRAL_OK;
  d->status = MISTRAL_E_TRUNCATED;
  return m_err_set(err, MISTRAL_E_TRUNCATED,
                   "stream: the connection ended before the stream was complete (%zu chunks "
                   "received, no [DONE] and no finish reason)",
                   d->chunks);
}
