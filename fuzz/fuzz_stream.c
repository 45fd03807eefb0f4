/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the stream decoder and the accumulator
 * (mistral/stream.h) together with the SSE parser under them: the input is
 * the body of a streaming response (fuzz_sse covers the parser alone).
 *
 * The stream is decoded whole, then again in pseudo-random slices, byte by
 * byte (short inputs), and with the callback stopping the decoder at the
 * k-th chunk; the input's hash picks the slicing and the event size limit.
 * Every way must deliver the same chunks (same raw data), the same feed and
 * finish statuses and, merged by an accumulator, the same response. Each
 * chunk, each completed tool call and each accumulated response (a partial
 * one mid-stream, the final one) has every field read and checked. The
 * merged text of a choice is the concatenation of its deltas' texts.
 *
 *   fuzz_stream -max_total_time=60 -dict=<build>/fuzz/stream.dict <scratch> fuzz/corpus/stream
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "mistral/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Per-choice texts, as the deltas gave them (the first few choices). */
#define TRACKED 4
typedef struct text_track {
  int64_t index;
  int used, list; /* list: some delta carried a chunk list */
  char *text;
  size_t len;
} text_track;

typedef struct run {
  mistral_chat_accumulator *acc;
  unsigned char *log; /* every chunk's raw data, length-prefixed */
  size_t len, cap;
  size_t chunks;
  size_t stop_at;    /* the callback stops at this chunk (0: never) */
  size_t partial_at; /* read the accumulated response after this chunk */
  text_track track[TRACKED];
} run;

static void put(run *r, const void *d, size_t n) {
  if (r->cap - r->len < n) {
    size_t cap = r->cap ? r->cap : 1024;
    while (cap - r->len < n) cap *= 2;
    r->log = realloc(r->log, cap);
    FZ_CHECK(r->log != NULL);
    r->cap = cap;
  }
  memcpy(r->log + r->len, d, n);
  r->len += n;
}

static void track_text(run *r, const mistral_chat_chunk_choice *ch) {
  text_track *t = NULL;
  for (int i = 0; i < TRACKED && !t; i++)
    if (r->track[i].used && r->track[i].index == ch->index) t = &r->track[i];
  for (int i = 0; i < TRACKED && !t; i++)
    if (!r->track[i].used) {
      t = &r->track[i];
      t->used = 1;
      t->index = ch->index;
    }
  if (!t) return;
  if (ch->delta->chunk_count) t->list = 1;
  if (t->list || !ch->delta->content) return;
  size_t n = strlen(ch->delta->content);
  t->text = realloc(t->text, t->len + n + 1);
  FZ_CHECK(t->text != NULL);
  memcpy(t->text + t->len, ch->delta->content, n + 1);
  t->len += n;
}

static void check_response(const run *r, const mistral_chat_response *resp) {
  fz_walk_chat_response(resp);
  for (int i = 0; i < TRACKED; i++) {
    const text_track *t = &r->track[i];
    if (!t->used || t->list) continue;
    const mistral_chat_choice *c = NULL;
    for (size_t j = 0; j < resp->choice_count; j++)
      if (resp->choices[j]->index == t->index) c = resp->choices[j];
    FZ_CHECK(c != NULL);
    const char *content = c->message->content;
    if (!t->text) {
      FZ_CHECK(content == NULL);
      continue;
    }
    FZ_CHECK(content && strlen(content) == t->len && memcmp(content, t->text, t->len) == 0);
  }
}

static int on_chunk(const mistral_chat_chunk *c, void *ud) {
  run *r = ud;
  fz_walk_chunk(c);
  put(r, &c->raw_json_len, sizeof c->raw_json_len);
  put(r, c->raw_json, c->raw_json_len);
  r->chunks++;
  for (size_t i = 0; i < c->choice_count; i++) track_text(r, c->choices[i]);

  FZ_CHECK(mistral_chat_accumulator_add(r->acc, c) == MISTRAL_OK);
  size_t n = mistral_chat_accumulator_completed_count(r->acc);
  for (size_t i = 0; i < n; i++) {
    int64_t choice = -1;
    const mistral_tool_call *t = mistral_chat_accumulator_completed(r->acc, i, &choice);
    FZ_CHECK(t != NULL && t->type != NULL && t->arguments != NULL);
    fz_str(t->id);
    fz_str(t->name);
    fz_str(t->arguments);
  }
  FZ_CHECK(mistral_chat_accumulator_completed(r->acc, n, NULL) == NULL);
  if (r->chunks == r->partial_at) {
    mistral_chat_response *resp = NULL;
    FZ_CHECK(mistral_chat_accumulator_response(&resp, r->acc) == MISTRAL_OK);
    check_response(r, resp);
    mistral_chat_response_free(resp);
  }
  return r->stop_at && r->chunks == r->stop_at;
}

enum { WHOLE, RANDOM, BYTES };

typedef struct outcome {
  int feed_rc, finish_rc, done;
  char *final_json; /* the accumulated response's raw JSON */
} outcome;

static void decode(run *r, outcome *o, const uint8_t *data, size_t size, int mode, uint64_t seed,
                   size_t max_event) {
  mistral_stream_decoder *dec = NULL;
  FZ_CHECK(mistral_stream_decoder_new(&dec) == MISTRAL_OK);
  if (max_event) FZ_CHECK(mistral_stream_decoder_set_max_event_bytes(dec, max_event) == MISTRAL_OK);
  FZ_CHECK(mistral_chat_accumulator_new(&r->acc) == MISTRAL_OK);
  mistral_error *err = mistral_error_new();
  FZ_CHECK(err != NULL);

  const char *s = (const char *)data;
  size_t off = 0;
  o->feed_rc = MISTRAL_OK;
  while (off < size) {
    size_t n = size - off;
    if (mode == RANDOM) {
      uint64_t x = fz_rng(&seed);
      size_t want = (x & 7) == 0 ? (size_t)(x >> 16) % 512 + 1 : (size_t)(x >> 16) % 16 + 1;
      if (want < n) n = want;
    } else if (mode == BYTES) {
      n = 1;
    }
    size_t before = r->chunks;
    int rc = mistral_stream_decoder_feed(dec, s + off, n, on_chunk, r, err);
    FZ_CHECK(rc == MISTRAL_OK || rc == MISTRAL_E_STREAM || rc == MISTRAL_E_CANCELLED);
    FZ_CHECK(mistral_error_code(err) == rc);
    if (rc != MISTRAL_OK) fz_walk_error(err);
    if (o->feed_rc != MISTRAL_OK) {
      /* Failed earlier: stays failed, delivers nothing. */
      FZ_CHECK(rc == o->feed_rc && r->chunks == before);
    }
    if (rc == MISTRAL_E_CANCELLED) FZ_CHECK(r->stop_at && r->chunks == r->stop_at);
    o->feed_rc = rc;
    mistral_error_clear(err);
    off += n;
  }
  o->done = mistral_stream_decoder_done(dec);
  o->finish_rc = mistral_stream_decoder_finish(dec, err);
  FZ_CHECK(mistral_error_code(err) == o->finish_rc);
  if (o->feed_rc != MISTRAL_OK) FZ_CHECK(o->finish_rc == o->feed_rc);
  else if (o->done) FZ_CHECK(o->finish_rc == MISTRAL_OK);
  else FZ_CHECK(o->finish_rc == MISTRAL_OK || o->finish_rc == MISTRAL_E_TRUNCATED);
  fz_walk_error(err);

  FZ_CHECK(mistral_chat_accumulator_finish(r->acc) == MISTRAL_OK);
  mistral_chat_response *resp = NULL;
  FZ_CHECK(mistral_chat_accumulator_response(&resp, r->acc) == MISTRAL_OK);
  check_response(r, resp);
  o->final_json = strdup(resp->raw_json);
  FZ_CHECK(o->final_json != NULL);
  mistral_chat_response_free(resp);

  mistral_error_free(err);
  mistral_chat_accumulator_free(r->acc);
  r->acc = NULL;
  mistral_stream_decoder_free(dec);
}

static void run_free(run *r) {
  free(r->log);
  for (int i = 0; i < TRACKED; i++) free(r->track[i].text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t h = fz_hash(data, size);
  static const size_t limits[4] = {0, 64, 1024, 65536};
  size_t max_event = limits[(h >> 3) & 3];

  run whole = {0};
  whole.partial_at = (size_t)(h >> 5) % 4;
  outcome ow = {0};
  decode(&whole, &ow, data, size, WHOLE, 0, max_event);

  for (int mode = RANDOM; mode <= BYTES; mode++) {
    if (mode == BYTES && size > 2048) continue;
    run r = {0};
    outcome o = {0};
    decode(&r, &o, data, size, mode, h + (uint64_t)mode, max_event);
    FZ_CHECK(o.feed_rc == ow.feed_rc && o.finish_rc == ow.finish_rc && o.done == ow.done);
    FZ_CHECK(r.chunks == whole.chunks && r.len == whole.len);
    FZ_CHECK(r.len == 0 || memcmp(r.log, whole.log, r.len) == 0);
    FZ_CHECK(strcmp(o.final_json, ow.final_json) == 0);
    free(o.final_json);
    run_free(&r);
  }

  /* The callback stops the stream at chunk k: k chunks, then
   * MISTRAL_E_CANCELLED for good. */
  size_t k = (size_t)(h >> 9) % 3 + 1;
  if (whole.chunks >= k) {
    run r = {0};
    r.stop_at = k;
    outcome o = {0};
    decode(&r, &o, data, size, RANDOM, h, max_event);
    FZ_CHECK(r.chunks == k && o.feed_rc == MISTRAL_E_CANCELLED);
    FZ_CHECK(r.len <= whole.len && memcmp(r.log, whole.log, r.len) == 0);
    free(o.final_json);
    run_free(&r);
  }

  free(ow.final_json);
  run_free(&whole);
  return 0;
}
