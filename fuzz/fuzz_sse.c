/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the SSE parser (mistral/sse.h).
 *
 * The input is the stream. Its first bytes also pick the event size limit
 * and the slicing. The stream is parsed whole, then again cut in two, in
 * pseudo-random slices, byte by byte (short inputs), and in slices with the
 * callback stopping the parser every k events and the parse resuming from
 * mistral_sse_parser_consumed(). Every way must give the same events, the
 * same final status, the same finish() answer, last event id and retry.
 * Each event is checked on its own too (NUL-terminated data, no truncation
 * past the limit...). Any difference aborts.
 *
 *   fuzz_sse -max_total_time=60 fuzz/corpus/sse
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mistral/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "fuzz_sse: %s:%d: check failed: %s\n", __FILE__,   \
              __LINE__, #cond);                                           \
      abort();                                                            \
    }                                                                     \
  } while (0)

/* Everything a parse produced, serialised for comparison. */
typedef struct outcome {
  unsigned char *log;
  size_t len, cap;
  size_t events;
  size_t stop_every; /* the callback stops after every stop_every-th event */
  size_t max_event;
  int rc;            /* first non-OK status of feed, or MISTRAL_OK */
  int finish_rc;
  int partial;
  char id[64];       /* last event id (prefix), or "(null)" */
  size_t id_len;
  long retry;
} outcome;

static void put(outcome *o, const void *d, size_t n) {
  if (o->cap - o->len < n) {
    size_t cap = o->cap ? o->cap : 1024;
    while (cap - o->len < n) cap *= 2;
    o->log = realloc(o->log, cap);
    CHECK(o->log != NULL);
    o->cap = cap;
  }
  memcpy(o->log + o->len, d, n);
  o->len += n;
}

static int on_event(const mistral_sse_event *ev, void *ud) {
  outcome *o = ud;
  CHECK(ev->event != NULL && ev->event[0] != '\0');
  CHECK(ev->data != NULL && ev->data[ev->data_len] == '\0');
  CHECK(ev->retry_ms >= -1);
  size_t id_len = 0;
  if (ev->id) {
    id_len = strlen(ev->id);
    CHECK(id_len > 0);
  }
  size_t ev_len = strlen(ev->event);
  /* "message" may be the default (0 bytes) or given (7 bytes). */
  CHECK(ev->data_len + id_len + (strcmp(ev->event, "message") ? ev_len : 0) <= o->max_event);
  put(o, &ev_len, sizeof ev_len);
  put(o, ev->event, ev_len);
  put(o, &ev->data_len, sizeof ev->data_len);
  put(o, ev->data, ev->data_len);
  unsigned char has_id = ev->id != NULL;
  put(o, &has_id, 1);
  put(o, &id_len, sizeof id_len);
  if (ev->id) put(o, ev->id, id_len);
  put(o, &ev->retry_ms, sizeof ev->retry_ms);
  o->events++;
  return o->stop_every && o->events % o->stop_every == 0;
}

static uint64_t rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

enum { WHOLE, CUT_ONCE, RANDOM, BYTES };

/* Parses the stream with the given slicing into o, with parser p (fresh or
 * reset). */
static void parse(mistral_sse_parser *p, const uint8_t *data, size_t size, int mode,
                  uint64_t seed, size_t cut, outcome *o) {
  const char *s = (const char *)data;
  size_t off = 0;
  o->rc = MISTRAL_OK;
  while (off < size) {
    size_t n = size - off;
    if (mode == CUT_ONCE) {
      if (off < cut) n = cut - off;
    } else if (mode == RANDOM) {
      uint64_t r = rng(&seed);
      size_t want = (r & 7) == 0 ? (size_t)(r >> 16) % 512 + 1 : (size_t)(r >> 16) % 16 + 1;
      if (want < n) n = want;
    } else if (mode == BYTES) {
      n = 1;
    }
    const char *slice = s + off;
    size_t left = n;
    for (;;) {
      size_t before = o->events;
      int rc = mistral_sse_parser_feed(p, slice, left, on_event, o);
      if (o->rc != MISTRAL_OK) { /* failed earlier: stays failed, says nothing */
        CHECK(rc == o->rc);
        CHECK(o->events == before);
        break;
      }
      if (rc == MISTRAL_E_CANCELLED) {
        CHECK(o->stop_every && o->events > before && o->events % o->stop_every == 0);
        size_t used = mistral_sse_parser_consumed(p);
        CHECK(used >= 1 && used <= left);
        slice += used;
        left -= used;
        if (left) continue;
        break;
      }
      CHECK(rc == MISTRAL_OK || rc == MISTRAL_E_STREAM);
      if (rc == MISTRAL_OK) CHECK(mistral_sse_parser_consumed(p) == left);
      o->rc = rc;
      break;
    }
    off += n;
  }
  const char *id = mistral_sse_parser_last_event_id(p);
  if (id) {
    CHECK(id[0] != '\0');
    o->id_len = strlen(id);
    snprintf(o->id, sizeof o->id, "%s", id);
  } else {
    snprintf(o->id, sizeof o->id, "(null)");
    o->id_len = 0;
  }
  o->retry = mistral_sse_parser_retry_ms(p);
  o->partial = -1;
  o->finish_rc = mistral_sse_parser_finish(p, &o->partial);
  CHECK(o->finish_rc == o->rc);
  CHECK(o->partial == 0 || o->partial == 1);
  if (o->rc != MISTRAL_OK) CHECK(o->partial == 1);
}

static void same(const outcome *a, const outcome *b) {
  CHECK(a->rc == b->rc);
  CHECK(a->events == b->events);
  CHECK(a->len == b->len && (a->len == 0 || memcmp(a->log, b->log, a->len) == 0));
  CHECK(a->partial == b->partial);
  CHECK(a->id_len == b->id_len && strcmp(a->id, b->id) == 0);
  CHECK(a->retry == b->retry);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t c[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < 4 && i < size; i++) c[i] = data[i];
  static const size_t limits[4] = {0, 8, 64, 1024};
  size_t max = limits[c[0] & 3];
  uint64_t seed = ((uint64_t)c[1] << 24 | (uint64_t)c[2] << 8 | c[3]) * 0x9E3779B97F4A7C15u | 1;
  size_t cut = size ? ((size_t)c[1] << 8 | c[2]) % (size + 1) : 0;

  mistral_sse_parser *p = NULL;
  if (mistral_sse_parser_new(&p, max) != MISTRAL_OK) return 0;

  outcome whole = {0};
  whole.max_event = max ? max : MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES;
  parse(p, data, size, WHOLE, 0, 0, &whole);

  /* The same parser, reset: nothing of the first parse may leak into the
   * next ones. */
  for (int run = 0; run < 5; run++) {
    outcome o = {0};
    o.max_event = whole.max_event;
    int mode = run == 0 ? CUT_ONCE : run <= 2 ? RANDOM : BYTES;
    if (mode == BYTES && size > 4096) continue;
    if (run == 2 || run == 4) o.stop_every = (size_t)(c[3] % 3) + 1;
    mistral_sse_parser_reset(p);
    parse(p, data, size, mode, seed + (uint64_t)run, cut, &o);
    same(&whole, &o);
    free(o.log);
  }

  /* After finish() the parser takes a new stream, keeping the last event
   * id: when there is none, parsing the same bytes again gives exactly the
   * same outcome. */
  outcome again = {0};
  again.max_event = whole.max_event;
  if (whole.rc == MISTRAL_OK && whole.id_len == 0) {
    parse(p, data, size, WHOLE, 0, 0, &again);
    same(&whole, &again);
  }
  free(again.log);
  free(whole.log);
  mistral_sse_parser_free(p);
  return 0;
}
