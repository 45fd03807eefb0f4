/* SPDX-License-Identifier: Apache-2.0 */
/* The SSE parser (mistral/sse.h): every stream below must give the same
 * events however it is sliced (whole, byte by byte, cut in two at every
 * offset, random slices, and with the callback stopping the parser and the
 * caller resuming from mistral_sse_parser_consumed()); plus the size limit,
 * end of stream, reset, bad arguments, allocation failures and buffer
 * reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mistral/mistral.h"
#include "mistral/sse.h"
#include "sse/sse_internal.h"

/* A string literal and its length (it may contain NUL bytes). */
#define S(lit) lit, sizeof(lit) - 1

/* ---- recording events ---- */

typedef struct rec_event {
  char *event, *data, *id;
  size_t data_len;
  long retry;
} rec_event;

typedef struct recorder {
  rec_event *ev;
  size_t n, cap;
  size_t stop_every; /* the callback returns 1 after every stop_every-th event */
  size_t max_event;  /* checked against each event's size */
} recorder;

static char *dup_bytes(const char *s, size_t n) {
  char *d = malloc(n + 1);
  assert_non_null(d);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static int record_cb(const mistral_sse_event *ev, void *ud) {
  recorder *r = ud;
  /* Invariants of every event. */
  assert_non_null(ev->event);
  assert_true(ev->event[0] != '\0');
  assert_non_null(ev->data);
  assert_int_equal(ev->data[ev->data_len], '\0');
  if (ev->id) assert_true(ev->id[0] != '\0');
  assert_true(ev->retry_ms >= -1);
  size_t size = ev->data_len + (ev->id ? strlen(ev->id) : 0) +
                (strcmp(ev->event, "message") ? strlen(ev->event) : 0);
  assert_true(size <= r->max_event);

  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 8;
    r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
    assert_non_null(r->ev);
  }
  rec_event *e = &r->ev[r->n++];
  e->event = dup_bytes(ev->event, strlen(ev->event));
  e->data = dup_bytes(ev->data, ev->data_len);
  e->data_len = ev->data_len;
  e->id = ev->id ? dup_bytes(ev->id, strlen(ev->id)) : NULL;
  e->retry = ev->retry_ms;
  return r->stop_every && r->n % r->stop_every == 0;
}

static void recorder_clear(recorder *r) {
  for (size_t i = 0; i < r->n; i++) {
    free(r->ev[i].event);
    free(r->ev[i].data);
    free(r->ev[i].id);
  }
  free(r->ev);
  r->ev = NULL;
  r->n = r->cap = 0;
}

/* ---- the streams ---- */

typedef struct exp_event {
  const char *event;
  const char *data;
  size_t data_len;
  const char *id;
  long retry;
} exp_event;

typedef struct stream_case {
  const char *name;
  const char *bytes;
  size_t len;
  const exp_event *ev;
  size_t n_ev;
  int partial;          /* finish() reports a cut stream */
  const char *last_id;  /* mistral_sse_parser_last_event_id() at the end */
  long retry;           /* mistral_sse_parser_retry_ms() at the end */
} stream_case;

#define CHUNK1                                                                                \
  "{\"id\":\"cmpl-e5cc70bb28c444948073e77776eb30ef\",\"object\":\"chat.completion.chunk\","    \
  "\"created\":1764230400,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"      \
  "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}"
#define CHUNK2                                                                                \
  "{\"id\":\"cmpl-e5cc70bb28c444948073e77776eb30ef\",\"object\":\"chat.completion.chunk\","    \
  "\"created\":1764230400,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"      \
  "\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}"
#define CHUNK3                                                                                \
  "{\"id\":\"cmpl-e5cc70bb28c444948073e77776eb30ef\",\"object\":\"chat.completion.chunk\","    \
  "\"created\":1764230400,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"      \
  "\"delta\":{\"content\":\"!\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":7,"  \
  "\"completion_tokens\":2,\"total_tokens\":9}}"
#define ERROR_JSON                                                                            \
  "{\"object\":\"error\",\"message\":\"Service unavailable.\",\"type\":\"internal_server_error\"," \
  "\"param\":null,\"code\":\"1000\"}"
#define UTF8_JSON "{\"content\":\"caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80\"}"

#define EV(data) {"message", S(data), NULL, -1}

static const exp_event plain_ev[] = {EV(CHUNK1), EV(CHUNK2), EV(CHUNK3), EV("[DONE]")};
static const exp_event multiline_ev[] = {EV("line one\nline two\n\n  indented")};
static const exp_event crlf_ev[] = {{"delta", S("{\"a\":1}\n{\"b\":2}"), NULL, -1},
                                    EV("second")};
static const exp_event cr_only_ev[] = {EV("one"), EV("two\nthree")};
static const exp_event mixed_ev[] = {EV("a"), EV("b"), EV("c"), EV("d"),
                                     EV("e"), EV("f"), EV("g")};
static const exp_event bom_ev[] = {EV("after bom"), EV("end")};
static const exp_event y_ev[] = {EV("y")};
static const exp_event z_ev[] = {EV("z")};
static const exp_event comments_ev[] = {EV("a\nb")};
static const exp_event error_ev[] = {{"error", S(ERROR_JSON), NULL, -1}};
static const exp_event id_retry_ev[] = {
    {"message", S("a"), "1", -1},     {"message", S("b"), "1", -1},
    {"message", S("c"), NULL, -1},    {"message", S("d"), NULL, -1},
    {"message", S("e"), "5", 1500},   {"message", S("f"), "5", -1},
    {"message", S("g"), "5", -1},     {"message", S("h"), "5", LONG_MAX},
    {"message", S("i"), "9", -1},
};
static const exp_event done_ev[] = {EV(CHUNK2), EV("[DONE]")};
static const exp_event utf8_ev[] = {EV(UTF8_JSON), {"caf\xc3\xa9", S("\xf0\x9f\x98\x80"), NULL, -1}};
static const exp_event empty_data_ev[] = {EV(""), EV(""), EV("\n"), EV("")};
static const exp_event no_colon_ev[] = {EV(""), EV("x")};
static const exp_event spaces_ev[] = {EV(" two"), EV("nospace"), {" spaced", S("y"), NULL, -1}};
static const exp_event no_data_ev[] = {EV("after"), {"message", S("z"), "3", -1}};
static const exp_event nul_ev[] = {EV("a\0b"), EV("c")};
static const exp_event unterminated_ev[] = {EV("a")};
static const exp_event unknown_ev[] = {EV("x")};
static const exp_event event_nul_ev[] = {EV("x"), {"ok", S("y"), NULL, -1}};

#define CASE(name, bytes, ev, partial, id, retry) \
  {name, S(bytes), ev, sizeof ev / sizeof *ev, partial, id, retry}

static const stream_case cases[] = {
    CASE("plain",
         "data: " CHUNK1 "\n\n"
         "data: " CHUNK2 "\n\n"
         "data: " CHUNK3 "\n\n"
         "data: [DONE]\n\n",
         plain_ev, 0, NULL, -1),
    CASE("multiline", "data: line one\ndata: line two\ndata:\ndata:   indented\n\n", multiline_ev,
         0, NULL, -1),
    CASE("crlf",
         "event: delta\r\ndata: {\"a\":1}\r\ndata: {\"b\":2}\r\n\r\n: ping\r\n\r\n"
         "data: second\r\n\r\n",
         crlf_ev, 0, NULL, -1),
    CASE("cr_only", "data: one\r\rdata: two\rdata: three\r\r", cr_only_ev, 0, NULL, -1),
    /* LF+CRLF, LF+LF... "\n\r" is two line ends, "\r\n" one. */
    CASE("mixed_endings",
         "data: a\r\n\ndata: b\n\r\ndata: c\r\r\ndata: d\n\rdata: e\r\n\r\n\r\n"
         "data: f\n\rdata: g\n\n",
         mixed_ev, 0, NULL, -1),
    /* Only the first BOM of the stream is skipped; a later one is part of
     * the field name, which is then unknown. */
    CASE("bom",
         "\xEF\xBB\xBF"
         "data: after bom\n\n\xEF\xBB\xBF"
         "data: not skipped\n\ndata: end\n\n",
         bom_ev, 0, NULL, -1),
    CASE("double_bom", "\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\ndata: y\n\n", y_ev, 0, NULL, -1),
    CASE("half_bom", "\xEF\xBB" "data: x\n\ndata: y\n\n", y_ev, 0, NULL, -1),
    CASE("bom_then_comment", "\xEF\xBB\xBF: hello\ndata: z\n\n", z_ev, 0, NULL, -1),
    CASE("comments", ": keep-alive\n\ndata: a\n: inside an event\ndata: b\n\n:\n\n:no space\n\n",
         comments_ev, 0, NULL, -1),
    CASE("error_event", "event: error\ndata: " ERROR_JSON "\n\n", error_ev, 0, NULL, -1),
    CASE("id_retry",
         "id: 1\ndata: a\n\n"
         "data: b\n\n"
         "id\ndata: c\n\n"         /* an empty id clears it */
         "id: 4\0x\ndata: d\n\n"   /* an id with NUL is ignored */
         "id: 5\n\n"               /* no data: no event, but the id is set */
         "retry: 1500\ndata: e\n\n"
         "retry: 12a\ndata: f\n\n"
         "retry:\ndata: g\n\n"
         "retry: 99999999999999999999999\ndata: h\n\n"
         "retry: 7\n\n"
         "data: i\nid: 9\n\n"
         "id: 10\n",               /* never ended by a blank line */
         id_retry_ev, 1, "9", 7),
    CASE("done", "data: " CHUNK2 "\n\ndata: [DONE]\n\n", done_ev, 0, NULL, -1),
    CASE("utf8", "data: " UTF8_JSON "\n\nevent: caf\xc3\xa9\ndata: \xf0\x9f\x98\x80\n\n", utf8_ev, 0,
         NULL, -1),
    CASE("empty_data", "data:\n\ndata\n\ndata:\ndata:\n\ndata: \n\n", empty_data_ev, 0, NULL, -1),
    CASE("field_without_colon", "event\ndata\n\nfoo\n\nevent:\ndata: x\n\n", no_colon_ev, 0, NULL,
         -1),
    CASE("spaces",
         "data:  two\n\ndata:nospace\n\ndata :x\n\nDATA: x\n\nevent:  spaced\ndata: y\n\n",
         spaces_ev, 0, NULL, -1),
    CASE("no_data_no_event",
         "event: ping\n\ndata: after\n\nevent: x\nid: 3\nretry: 10\n\ndata: z\n\n", no_data_ev, 0,
         "3", 10),
    CASE("nul_in_data", "data: a\0b\n\ndata: c\n\n", nul_ev, 0, NULL, -1),
    CASE("unterminated_event", "data: a\n\ndata: b\n", unterminated_ev, 1, NULL, -1),
    CASE("unterminated_line", "data: a\n\ndata: b", unterminated_ev, 1, NULL, -1),
    CASE("unknown_fields", "foo: bar\ndata: x\nbaz\n: c\n\n", unknown_ev, 0, NULL, -1),
    /* An event type with NUL is ignored (it cannot be a C string). */
    CASE("event_with_nul", "event: a\0b\ndata: x\n\nevent: ok\nevent: \0\ndata: y\n\n", event_nul_ev,
         0, NULL, -1),
};

/* ---- slicing ---- */

/* Gives the size of the next slice (1..remaining). */
typedef size_t (*slicer_fn)(void *st, size_t remaining);

static size_t slice_whole(void *st, size_t remaining) {
  (void)st;
  return remaining;
}

static size_t slice_bytes(void *st, size_t remaining) {
  (void)st;
  (void)remaining;
  return 1;
}

/* Cuts once at *(size_t *)st bytes (0 = no cut). */
static size_t slice_at(void *st, size_t remaining) {
  size_t *at = st;
  size_t n = *at && *at < remaining ? *at : remaining;
  *at = 0;
  return n;
}

static uint64_t rng_next(uint64_t *s) { /* xorshift64 */
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static size_t slice_random(void *st, size_t remaining) {
  uint64_t r = rng_next(st);
  /* Mostly small slices, sometimes larger ones. */
  size_t n = (r & 3) ? (size_t)(r >> 8) % 8 + 1 : (size_t)(r >> 8) % 64 + 1;
  return n < remaining ? n : remaining;
}

/* Feeds the stream in slices, resuming after each MISTRAL_E_CANCELLED from
 * where the parser stopped. Returns MISTRAL_OK or the first error; after an
 * error, checks that the remaining slices give the same error and no
 * event. */
static int feed_sliced(mistral_sse_parser *p, const char *bytes, size_t len, slicer_fn slicer,
                       void *st, recorder *r) {
  size_t off = 0;
  int err = MISTRAL_OK;
  while (off < len) {
    size_t n = slicer(st, len - off);
    const char *s = bytes + off;
    size_t left = n;
    for (;;) {
      size_t before = r->n;
      int rc = mistral_sse_parser_feed(p, s, left, record_cb, r);
      if (err != MISTRAL_OK) {
        assert_int_equal(rc, err);
        assert_int_equal(r->n, before);
        break;
      }
      if (rc == MISTRAL_E_CANCELLED) {
        assert_true(r->stop_every && r->n > before && r->n % r->stop_every == 0);
        size_t used = mistral_sse_parser_consumed(p);
        assert_true(used >= 1 && used <= left);
        s += used;
        left -= used;
        if (left == 0) break;
        continue;
      }
      if (rc == MISTRAL_OK) assert_int_equal(mistral_sse_parser_consumed(p), left);
      err = rc;
      break;
    }
    off += n;
  }
  return err;
}

static int events_match(const stream_case *sc, const recorder *r, const char *how) {
  int ok = r->n == sc->n_ev;
  for (size_t i = 0; ok && i < r->n; i++) {
    const rec_event *g = &r->ev[i];
    const exp_event *e = &sc->ev[i];
    ok = strcmp(g->event, e->event) == 0 && g->data_len == e->data_len &&
         memcmp(g->data, e->data, e->data_len) == 0 && g->retry == e->retry &&
         ((!g->id && !e->id) || (g->id && e->id && strcmp(g->id, e->id) == 0));
    if (!ok) print_error("stream %s (%s): event %zu differs: got event=%s data=%s id=%s retry=%ld\n",
                         sc->name, how, i, g->event, g->data, g->id ? g->id : "(null)", g->retry);
  }
  if (r->n != sc->n_ev)
    print_error("stream %s (%s): %zu events, expected %zu\n", sc->name, how, r->n, sc->n_ev);
  return ok;
}

/* One parse of a stream case with a given slicing; checks everything. */
static void check_case(mistral_sse_parser *p, const stream_case *sc, slicer_fn slicer, void *st,
                       size_t stop_every, const char *how) {
  recorder r = {0};
  r.stop_every = stop_every;
  r.max_event = MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES;
  assert_int_equal(feed_sliced(p, sc->bytes, sc->len, slicer, st, &r), MISTRAL_OK);
  int partial = -1;
  assert_int_equal(mistral_sse_parser_finish(p, &partial), MISTRAL_OK);
  assert_true(events_match(sc, &r, how));
  assert_int_equal(r.n, sc->n_ev); /* finish() dispatched nothing */
  assert_int_equal(partial, sc->partial);
  const char *id = mistral_sse_parser_last_event_id(p);
  if (sc->last_id) {
    assert_non_null(id);
    assert_string_equal(id, sc->last_id);
  } else {
    assert_null(id);
  }
  assert_int_equal(mistral_sse_parser_retry_ms(p), sc->retry);
  recorder_clear(&r);
}

static mistral_sse_parser *new_parser(size_t max) {
  mistral_sse_parser *p = NULL;
  assert_int_equal(mistral_sse_parser_new(&p, max), MISTRAL_OK);
  assert_non_null(p);
  return p;
}

#define N_CASES (sizeof cases / sizeof *cases)

static void streams_fed_whole(void **state) {
  (void)state;
  for (size_t i = 0; i < N_CASES; i++) {
    mistral_sse_parser *p = new_parser(0);
    check_case(p, &cases[i], slice_whole, NULL, 0, "whole");
    mistral_sse_parser_free(p);
  }
}

static void streams_fed_byte_by_byte(void **state) {
  (void)state;
  for (size_t i = 0; i < N_CASES; i++) {
    mistral_sse_parser *p = new_parser(0);
    check_case(p, &cases[i], slice_bytes, NULL, 0, "byte by byte");
    mistral_sse_parser_free(p);
  }
}

static void streams_cut_in_two_at_every_offset(void **state) {
  (void)state;
  for (size_t i = 0; i < N_CASES; i++) {
    for (size_t at = 0; at <= cases[i].len; at++) {
      mistral_sse_parser *p = new_parser(0);
      size_t cut = at;
      char how[64];
      snprintf(how, sizeof how, "cut at %zu", at);
      check_case(p, &cases[i], slice_at, &cut, 0, how);
      mistral_sse_parser_free(p);
    }
  }
}

static void streams_fed_in_random_slices(void **state) {
  (void)state;
  uint64_t seed = 0x9E3779B97F4A7C15u; /* fixed: the run is reproducible */
  for (size_t i = 0; i < N_CASES; i++) {
    /* One parser, reset between runs: reset must leave nothing behind. */
    mistral_sse_parser *p = new_parser(0);
    for (int run = 0; run < 200; run++) {
      char how[64];
      snprintf(how, sizeof how, "random run %d", run);
      check_case(p, &cases[i], slice_random, &seed, 0, how);
      mistral_sse_parser_reset(p);
    }
    mistral_sse_parser_free(p);
  }
}

/* The callback stops after every k-th event; the caller resumes with the
 * rest of the slice. The events are the same as without stopping. */
static void cancel_from_callback_then_resume(void **state) {
  (void)state;
  uint64_t seed = 42;
  for (size_t i = 0; i < N_CASES; i++) {
    for (size_t k = 1; k <= 3; k++) {
      mistral_sse_parser *p = new_parser(0);
      check_case(p, &cases[i], slice_whole, NULL, k, "whole, stopping");
      mistral_sse_parser_reset(p);
      check_case(p, &cases[i], slice_bytes, NULL, k, "bytes, stopping");
      mistral_sse_parser_reset(p);
      check_case(p, &cases[i], slice_random, &seed, k, "random, stopping");
      mistral_sse_parser_free(p);
    }
  }
}

static void cancel_returns_cancelled_and_parses_no_further(void **state) {
  (void)state;
  static const char stream[] = "data: one\r\n\r\ndata: two\n\n";
  mistral_sse_parser *p = new_parser(0);
  recorder r = {0};
  r.stop_every = 1;
  r.max_event = MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES;
  assert_int_equal(mistral_sse_parser_feed(p, S(stream), record_cb, &r), MISTRAL_E_CANCELLED);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.ev[0].data, "one");
  /* Stopped right after the blank line's CRLF. */
  assert_int_equal(mistral_sse_parser_consumed(p), strlen("data: one\r\n\r\n"));
  /* Cut the stopping slice right after the CR: the LF that follows in the
   * next slice still belongs to that line end. */
  recorder_clear(&r);
  r.stop_every = 1;
  mistral_sse_parser_reset(p);
  assert_int_equal(mistral_sse_parser_feed(p, S("data: one\r\n\r"), record_cb, &r),
                   MISTRAL_E_CANCELLED);
  assert_int_equal(mistral_sse_parser_consumed(p), strlen("data: one\r\n\r"));
  r.stop_every = 0;
  assert_int_equal(mistral_sse_parser_feed(p, S("\ndata: two\n\n"), record_cb, &r), MISTRAL_OK);
  assert_int_equal(r.n, 2);
  assert_string_equal(r.ev[1].data, "two");
  recorder_clear(&r);
  mistral_sse_parser_free(p);
}

/* ---- the size limit ---- */

typedef struct limit_case {
  const char *name;
  const char *bytes;
  size_t len;
  int rc;        /* MISTRAL_OK or MISTRAL_E_STREAM */
  size_t n_ev;   /* events delivered before the failure */
} limit_case;

#define X10 "xxxxxxxxxx"
#define X32 X10 X10 X10 "xx"
#define D10 "0123456789"
static const limit_case limits[] = { /* max_event_bytes = 32, lines up to 39 */
    {"data at the limit", S("data: " X32 "\n\n"), MISTRAL_OK, 1},
    {"data over the limit", S("data: ok\n\ndata: " X32 "x\n\ndata: never\n\n"), MISTRAL_E_STREAM, 1},
    {"data lines at the limit", S("data: " X10 "xxxxxx\ndata: " X10 "xxxxx\n\n"), MISTRAL_OK, 1},
    {"data lines over the limit", S("data: " X10 "xxxxxx\ndata: " X10 "xxxxxx\n\n"),
     MISTRAL_E_STREAM, 0},
    {"event + id + data at the limit", S("event: ab\nid: cd\ndata: " X10 X10 "xxxxxxxx\n\n"),
     MISTRAL_OK, 1},
    {"event + data over the limit", S("event: " X10 X10 "\ndata: " X10 "xxx\n\n"),
     MISTRAL_E_STREAM, 0},
    {"carried id + data over the limit", S("id: " X10 X10 "\n\ndata: " X10 "xxx\n\n"),
     MISTRAL_E_STREAM, 0},
    {"long event name", S("data: a\n\nevent: " X32 "x\ndata: b\n\n"), MISTRAL_E_STREAM, 1},
    {"long id", S("id: " X32 "x\ndata: b\n\n"), MISTRAL_E_STREAM, 0},
    {"unknown field line at 39 bytes", S("foo: " X32 "xx\ndata: ok\n\n"), MISTRAL_OK, 1},
    {"unknown field line at 40 bytes", S("foo: " X32 "xxx\ndata: ok\n\n"), MISTRAL_E_STREAM, 0},
    {"unterminated long line", S("data: ok\n\ndata: " X32 X32), MISTRAL_E_STREAM, 1},
    {"long comment", S(": " X32 X32 X32 X32 "\r\ndata: fine\n\n"), MISTRAL_OK, 1},
    {"long retry", S("retry: 1" D10 D10 D10 "12\ndata: ok\n\n"), MISTRAL_E_STREAM, 0},
};

static void run_limit(const limit_case *lc, slicer_fn slicer, void *st, size_t stop_every) {
  mistral_sse_parser *p = new_parser(32);
  recorder r = {0};
  r.max_event = 32;
  r.stop_every = stop_every;
  int rc = feed_sliced(p, lc->bytes, lc->len, slicer, st, &r);
  if (rc != lc->rc || r.n != lc->n_ev)
    print_error("limit case '%s': rc %d, %zu events\n", lc->name, rc, r.n);
  assert_int_equal(rc, lc->rc);
  assert_int_equal(r.n, lc->n_ev);
  /* The oversized parts are made of 'x' or digits: none was delivered,
   * whole or in part, when the stream failed. */
  for (size_t i = 0; rc != MISTRAL_OK && i < r.n; i++)
    assert_null(strpbrk(r.ev[i].data, "x0123456789"));
  if (rc == MISTRAL_E_STREAM) {
    /* Failed for good: feed and finish keep saying so. */
    size_t before = r.n;
    assert_int_equal(mistral_sse_parser_feed(p, S("data: x\n\n"), record_cb, &r),
                     MISTRAL_E_STREAM);
    assert_int_equal(r.n, before);
    int partial = 0;
    assert_int_equal(mistral_sse_parser_finish(p, &partial), MISTRAL_E_STREAM);
    assert_int_equal(partial, 1);
    /* Until reset. */
    mistral_sse_parser_reset(p);
    r.stop_every = 0;
    assert_int_equal(mistral_sse_parser_feed(p, S("data: x\n\n"), record_cb, &r), MISTRAL_OK);
    assert_int_equal(r.n, before + 1);
    assert_string_equal(r.ev[before].data, "x");
  }
  recorder_clear(&r);
  mistral_sse_parser_free(p);
}

static void oversized_events_fail_and_nothing_truncated_is_delivered(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
    run_limit(&limits[i], slice_whole, NULL, 0);
    run_limit(&limits[i], slice_bytes, NULL, 0);
    run_limit(&limits[i], slice_whole, NULL, 1);
    for (size_t at = 1; at < limits[i].len; at++) {
      size_t cut = at;
      run_limit(&limits[i], slice_at, &cut, 0);
    }
  }
}

static void limit_exceeded_by_data_lines_delivers_no_part(void **state) {
  (void)state;
  /* 1 KiB limit, 3 data lines of 400 bytes: the third one overflows. */
  char stream[1400];
  size_t n = 0;
  for (int line = 0; line < 3; line++) {
    n += (size_t)sprintf(stream + n, "data: ");
    memset(stream + n, 'a' + line, 400);
    n += 400;
    stream[n++] = '\n';
  }
  stream[n++] = '\n';
  mistral_sse_parser *p = new_parser(1024);
  recorder r = {0};
  r.max_event = 1024;
  assert_int_equal(mistral_sse_parser_feed(p, stream, n, record_cb, &r), MISTRAL_E_STREAM);
  assert_int_equal(r.n, 0);
  mistral_sse_parser_free(p);
}

/* ---- end of stream ---- */

static void finish_tells_a_cut_stream(void **state) {
  (void)state;
  static const struct {
    const char *bytes;
    size_t len;
    int partial;
    size_t n_ev;
  } ends[] = {
      {S(""), 0, 0},
      {S("data: a\n\n"), 0, 1},
      {S("data: a\n\n: keep-alive\n"), 0, 1},
      {S("data: a\n\n: keep-alive"), 1, 1},
      {S("data: a\n"), 1, 0},
      {S("data: a"), 1, 0},
      {S("data: a\n\ndata: b\ndata: c\n"), 1, 1},
      {S("id: 1\n"), 1, 0},
      {S("foo\n"), 1, 0},
      {S("retry: 5\n"), 1, 0},
      {S("\xEF\xBB"), 1, 0},
      {S("\xEF\xBB\xBF"), 0, 0},
      {S("data: a\n\r"), 0, 1},
      {S("data: a\r\n\r"), 0, 1},
      {S("data: a\r\r"), 0, 1},
      {S("data: a\r"), 1, 0},
  };
  for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
    for (int bytewise = 0; bytewise < 2; bytewise++) {
      mistral_sse_parser *p = new_parser(0);
      recorder r = {0};
      r.max_event = MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES;
      assert_int_equal(feed_sliced(p, ends[i].bytes, ends[i].len,
                                   bytewise ? slice_bytes : slice_whole, NULL, &r),
                       MISTRAL_OK);
      int partial = -1;
      assert_int_equal(mistral_sse_parser_finish(p, &partial), MISTRAL_OK);
      if (partial != ends[i].partial) print_error("end case %zu\n", i);
      assert_int_equal(partial, ends[i].partial);
      assert_int_equal(r.n, ends[i].n_ev);
      /* finish() twice: nothing pending any more. */
      assert_int_equal(mistral_sse_parser_finish(p, &partial), MISTRAL_OK);
      assert_int_equal(partial, 0);
      assert_int_equal(mistral_sse_parser_finish(p, NULL), MISTRAL_OK);
      recorder_clear(&r);
      mistral_sse_parser_free(p);
    }
  }
}

static void finish_starts_a_new_stream_keeping_id_and_retry(void **state) {
  (void)state;
  mistral_sse_parser *p = new_parser(0);
  recorder r = {0};
  r.max_event = MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES;
  assert_int_equal(mistral_sse_parser_feed(p, S("retry: 2000\nid: 42\ndata: a\n\ndata: cut"),
                                           record_cb, &r),
                   MISTRAL_OK);
  int partial = 0;
  assert_int_equal(mistral_sse_parser_finish(p, &partial), MISTRAL_OK);
  assert_int_equal(partial, 1);
  assert_int_equal(r.n, 1);
  assert_string_equal(mistral_sse_parser_last_event_id(p), "42");
  assert_int_equal(mistral_sse_parser_retry_ms(p), 2000);
  /* The reconnected stream: its BOM is skipped, the cut line is gone, the
   * id carries over. */
  assert_int_equal(mistral_sse_parser_feed(p, S("\xEF\xBB\xBF" "data: b\n\n"), record_cb, &r),
                   MISTRAL_OK);
  assert_int_equal(r.n, 2);
  assert_string_equal(r.ev[1].data, "b");
  assert_string_equal(r.ev[1].id, "42");
  assert_int_equal(r.ev[1].retry, -1);
  recorder_clear(&r);
  mistral_sse_parser_free(p);
}

static void reset_forgets_everything(void **state) {
  (void)state;
  mistral_sse_parser *p = new_parser(16);
  recorder r = {0};
  r.max_event = 16;
  assert_int_equal(mistral_sse_parser_feed(p, S("id: 7\nretry: 100\n\nevent: e\ndata: partial"),
                                           record_cb, &r),
                   MISTRAL_OK);
  assert_string_equal(mistral_sse_parser_last_event_id(p), "7");
  assert_int_equal(mistral_sse_parser_retry_ms(p), 100);
  mistral_sse_parser_reset(p);
  assert_null(mistral_sse_parser_last_event_id(p));
  assert_int_equal(mistral_sse_parser_retry_ms(p), -1);
  assert_int_equal(mistral_sse_parser_consumed(p), 0);
  int partial = 1;
  assert_int_equal(mistral_sse_parser_finish(p, &partial), MISTRAL_OK);
  assert_int_equal(partial, 0);
  /* A new stream: BOM skipped, no event type, id or data left over. */
  assert_int_equal(mistral_sse_parser_feed(p, S("\xEF\xBB\xBF" "data: x\n\n"), record_cb, &r),
                   MISTRAL_OK);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.ev[0].event, "message");
  assert_string_equal(r.ev[0].data, "x");
  assert_null(r.ev[0].id);
  /* The limit survives a reset. */
  assert_int_equal(mistral_sse_parser_feed(p, S("data: 0123456789abcdefg\n\n"), record_cb, &r),
                   MISTRAL_E_STREAM);
  mistral_sse_parser_reset(p);
  assert_int_equal(mistral_sse_parser_feed(p, S("data: 0123456789abcdef\n\n"), record_cb, &r),
                   MISTRAL_OK);
  assert_int_equal(r.n, 2);
  recorder_clear(&r);
  mistral_sse_parser_free(p);
}

/* ---- arguments and re-entry ---- */

static int count_cb(const mistral_sse_event *ev, void *ud) {
  (void)ev;
  ++*(int *)ud;
  return 0;
}

static void null_arguments_are_refused(void **state) {
  (void)state;
  assert_int_equal(mistral_sse_parser_new(NULL, 0), MISTRAL_E_INVALID_ARG);
  mistral_sse_parser *p = new_parser(0);
  int n = 0;
  assert_int_equal(mistral_sse_parser_feed(NULL, S("data: x\n\n"), count_cb, &n),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_sse_parser_feed(p, NULL, 5, count_cb, &n), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_sse_parser_feed(p, S("data: x\n\n"), NULL, &n), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_sse_parser_feed(p, NULL, 0, count_cb, &n), MISTRAL_OK);
  assert_int_equal(mistral_sse_parser_feed(p, "", 0, count_cb, &n), MISTRAL_OK);
  /* user_data may be NULL: it is only handed to the callback. */
  assert_int_equal(mistral_sse_parser_feed(p, S(": c\n"), count_cb, NULL), MISTRAL_OK);
  assert_int_equal(n, 0);
  /* The refused calls did not disturb the parser. */
  assert_int_equal(mistral_sse_parser_feed(p, S("data: x\n\n"), count_cb, &n), MISTRAL_OK);
  assert_int_equal(n, 1);
  int partial = 7;
  assert_int_equal(mistral_sse_parser_finish(NULL, &partial), MISTRAL_E_INVALID_ARG);
  assert_int_equal(partial, 7);
  assert_int_equal(mistral_sse_parser_finish(p, NULL), MISTRAL_OK);
  assert_null(mistral_sse_parser_last_event_id(NULL));
  assert_int_equal(mistral_sse_parser_retry_ms(NULL), -1);
  assert_int_equal(mistral_sse_parser_consumed(NULL), 0);
  mistral_sse_parser_reset(NULL);
  mistral_sse_parser_free(NULL);
  mistral_sse_parser_free(p);
  assert_int_equal(m_sse_parser_new(&p, 0, NULL), MISTRAL_E_INVALID_ARG);
  assert_null(p);
}

typedef struct reentry {
  mistral_sse_parser *p;
  int feed_rc, finish_rc, calls;
} reentry;

static int reentering_cb(const mistral_sse_event *ev, void *ud) {
  (void)ev;
  reentry *re = ud;
  re->calls++;
  re->feed_rc = mistral_sse_parser_feed(re->p, S("data: inner\n\n"), count_cb, &re->calls);
  re->finish_rc = mistral_sse_parser_finish(re->p, NULL);
  return 0;
}

static void feed_and_finish_from_the_callback_are_refused(void **state) {
  (void)state;
  reentry re = {new_parser(0), 0, 0, 0};
  assert_int_equal(mistral_sse_parser_feed(re.p, S("data: a\n\ndata: b\n\n"), reentering_cb, &re),
                   MISTRAL_OK);
  assert_int_equal(re.calls, 2); /* the inner feed delivered nothing */
  assert_int_equal(re.feed_rc, MISTRAL_E_INVALID_ARG);
  assert_int_equal(re.finish_rc, MISTRAL_E_INVALID_ARG);
  mistral_sse_parser_free(re.p);
}

static void status_has_a_description(void **state) {
  (void)state;
  assert_int_equal(MISTRAL_E_STREAM, -21);
  assert_string_not_equal(mistral_strerror(MISTRAL_E_STREAM), "unknown error");
}

/* ---- memory ---- */

typedef struct test_alloc {
  long calls;   /* malloc + realloc calls so far */
  long fail_at; /* the call that fails (1-based); 0 = none */
  long live;    /* blocks not yet freed */
} test_alloc;

static void *ta_malloc(size_t n, void *ud) {
  test_alloc *t = ud;
  if (++t->calls == t->fail_at) return NULL;
  void *q = malloc(n);
  if (q) t->live++;
  return q;
}

static void *ta_realloc(void *ptr, size_t n, void *ud) {
  test_alloc *t = ud;
  if (++t->calls == t->fail_at) return NULL;
  void *q = realloc(ptr, n);
  if (q && !ptr) t->live++;
  return q;
}

static void ta_free(void *ptr, void *ud) {
  test_alloc *t = ud;
  if (ptr) t->live--;
  free(ptr);
}

static void every_allocation_failure_is_reported_and_leaks_nothing(void **state) {
  (void)state;
  /* A stream that makes the parser grow every buffer, fed byte by byte so
   * the cut-line buffer is used too. */
  static const char stream[] = "\xEF\xBB" "x: y\n\nid: 12\nevent: e\ndata: " CHUNK1 "\n"
                               "data: " CHUNK3 "\n\nid: 13\n\n";
  int completed = 0;
  long k;
  for (k = 1; !completed; k++) {
    completed = 1; /* until a run meets the failing allocation */
    for (int bytewise = 0; bytewise < 2; bytewise++) {
      test_alloc t = {0, k, 0};
      mistral_allocator a = {ta_malloc, ta_realloc, ta_free, &t};
      mistral_sse_parser *p = NULL;
      int rc = m_sse_parser_new(&p, 0, &a);
      if (rc != MISTRAL_OK) {
        assert_int_equal(rc, MISTRAL_E_NOMEM);
        assert_null(p);
        assert_int_equal(t.live, 0);
        completed = 0;
        continue;
      }
      recorder r = {0};
      r.max_event = MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES;
      rc = feed_sliced(p, S(stream), bytewise ? slice_bytes : slice_whole, NULL, &r);
      if (t.calls < k) { /* no allocation failed: the run is complete */
        assert_int_equal(rc, MISTRAL_OK);
        assert_int_equal(r.n, 1);
      } else {
        completed = 0;
        assert_int_equal(rc, MISTRAL_E_NOMEM);
        assert_true(r.n <= 1);
        int partial = 0;
        assert_int_equal(mistral_sse_parser_finish(p, &partial), MISTRAL_E_NOMEM);
        /* Reset clears the failure; the allocator works again. */
        mistral_sse_parser_reset(p);
        assert_int_equal(mistral_sse_parser_feed(p, S("data: again\n\n"), record_cb, &r),
                         MISTRAL_OK);
      }
      recorder_clear(&r);
      mistral_sse_parser_free(p);
      assert_int_equal(t.live, 0);
    }
  }
  assert_true(k > 5); /* the stream did make the parser allocate */
}

static void steady_state_allocates_nothing(void **state) {
  (void)state;
  test_alloc t = {0, 0, 0};
  mistral_allocator a = {ta_malloc, ta_realloc, ta_free, &t};
  mistral_sse_parser *p = NULL;
  assert_int_equal(m_sse_parser_new(&p, 0, &a), MISTRAL_OK);
  static const char events[] = "id: 1\nevent: delta\ndata: " CHUNK1 "\n\n"
                               "data: " CHUNK2 "\n\n"
                               ": keep-alive\n\n"
                               "data: " CHUNK3 "\n\n";
  recorder r = {0};
  r.max_event = MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES;
  uint64_t seed = 7;
  /* Warm up with every slicing used below. */
  assert_int_equal(feed_sliced(p, S(events), slice_whole, NULL, &r), MISTRAL_OK);
  assert_int_equal(feed_sliced(p, S(events), slice_bytes, NULL, &r), MISTRAL_OK);
  recorder_clear(&r);
  long calls = t.calls;
  int n = 0;
  for (int i = 0; i < 300; i++) {
    assert_int_equal(mistral_sse_parser_feed(p, S(events), count_cb, &n), MISTRAL_OK);
    for (size_t off = 0; off < sizeof events - 1;) {
      size_t len = slice_random(&seed, sizeof events - 1 - off);
      assert_int_equal(mistral_sse_parser_feed(p, events + off, len, count_cb, &n), MISTRAL_OK);
      off += len;
    }
  }
  assert_int_equal(n, 300 * 2 * 3);
  assert_int_equal(t.calls, calls);
  mistral_sse_parser_free(p);
  assert_int_equal(t.live, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(streams_fed_whole),
      cmocka_unit_test(streams_fed_byte_by_byte),
      cmocka_unit_test(streams_cut_in_two_at_every_offset),
      cmocka_unit_test(streams_fed_in_random_slices),
      cmocka_unit_test(cancel_from_callback_then_resume),
      cmocka_unit_test(cancel_returns_cancelled_and_parses_no_further),
      cmocka_unit_test(oversized_events_fail_and_nothing_truncated_is_delivered),
      cmocka_unit_test(limit_exceeded_by_data_lines_delivers_no_part),
      cmocka_unit_test(finish_tells_a_cut_stream),
      cmocka_unit_test(finish_starts_a_new_stream_keeping_id_and_retry),
      cmocka_unit_test(reset_forgets_everything),
      cmocka_unit_test(null_arguments_are_refused),
      cmocka_unit_test(feed_and_finish_from_the_callback_are_refused),
      cmocka_unit_test(status_has_a_description),
      cmocka_unit_test(every_allocation_failure_is_reported_and_leaks_nothing),
      cmocka_unit_test(steady_state_allocates_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
