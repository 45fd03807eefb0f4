/* SPDX-License-Identifier: Apache-2.0 */
/* The Server-Sent Events parser (WHATWG HTML, "event stream
 * interpretation"), sans I/O.
 *
 * Complete lines are parsed where they lie in the caller's slice; only a
 * line cut by the end of a slice is copied (into p->line) until its line end
 * arrives. Line ends are found with memchr; the position of the next LF is
 * remembered and the CR search stops there, so each byte is scanned at most
 * once for each (no quadratic rescans on CR-only or LF-only streams).
 * Buffers are kept across events: in steady state nothing is allocated. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "sse/sse_internal.h"

/* A growable byte string, NUL-terminated after len once allocated. */
typedef struct sse_buf {
  char *p;
  size_t len, cap;
} sse_buf;

enum {
  /* p->bom: bytes of the byte order mark matched so far; BOM_DONE once the
   * first byte of the stream that is not part of it was seen. */
  BOM_DONE = 3,
  /* A line may exceed the event limit by the longest known field name, its
   * colon and one space ("retry: "). */
  FIELD_SLACK = 7
};

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

struct mistral_sse_parser {
  mistral_allocator alloc;
  size_t max_event; /* data + event type + id bytes of one event */
  size_t max_line;  /* max_event + FIELD_SLACK */
  sse_buf line;     /* a line cut by the end of a slice; never starts with ':' */
  sse_buf data;     /* the current event's data lines, joined with "\n" */
  sse_buf event;    /* the current event's type ("" = "message") */
  sse_buf id;       /* the last event id, committed at each blank line */
  sse_buf id_next;  /* an id: field's value waiting for the next blank line */
  long retry_event; /* this event's retry: field, or -1 */
  long retry_stream; /* the stream's last retry: field, or -1 */
  size_t consumed;  /* bytes of the last slice parsed */
  int failed;       /* sticky error: MISTRAL_E_STREAM or MISTRAL_E_NOMEM */
  unsigned char bom;
  unsigned char skip_lf;        /* the last line ended with CR: skip one LF */
  unsigned char in_comment;     /* skipping a comment line cut by a slice */
  unsigned char has_data;       /* the current event has a data line */
  unsigned char id_pending;     /* id_next holds a value to commit */
  unsigned char fields_pending; /* a field line since the last blank line */
  unsigned char in_callback;
};

/* ---- memory: every allocation of the parser goes through p->alloc ---- */

#if defined(__GNUC__)
#define SSE_NOINLINE __attribute__((noinline))
#define SSE_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define SSE_NOINLINE
#define SSE_LIKELY(x) (x)
#endif

static SSE_NOINLINE int buf_grow(mistral_sse_parser *p, sse_buf *b, size_t need) {
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *n = m_realloc(&p->alloc, b->p, cap);
  if (!n) return MISTRAL_E_NOMEM;
  b->p = n;
  b->cap = cap;
  return MISTRAL_OK;
}

/* Room for extra more bytes and a NUL. Callers have bounded extra by the
 * limits, so len + extra + 1 cannot overflow. */
static inline int buf_reserve(mistral_sse_parser *p, sse_buf *b, size_t extra) {
  size_t need = b->len + extra + 1;
  return SSE_LIKELY(need <= b->cap) ? MISTRAL_OK : buf_grow(p, b, need);
}

static inline int buf_append(mistral_sse_parser *p, sse_buf *b, const char *s, size_t n) {
  int rc = buf_reserve(p, b, n);
  if (rc) return rc;
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return MISTRAL_OK;
}

static int buf_set(mistral_sse_parser *p, sse_buf *b, const char *s, size_t n) {
  b->len = 0;
  return buf_append(p, b, s, n);
}

static void buf_free(mistral_sse_parser *p, sse_buf *b) {
  m_free(&p->alloc, b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* ---- fields ---- */

/* Bytes the current event holds against the limit. Always <= max_event:
 * every field that adds to it is checked first. */
static inline size_t event_bytes(const mistral_sse_parser *p) {
  return p->data.len + p->event.len + (p->id_pending ? p->id_next.len : p->id.len);
}

static int field_data(mistral_sse_parser *p, const char *v, size_t n) {
  size_t sep = p->has_data ? 1 : 0;
  size_t room = p->max_event - event_bytes(p);
  if (n > room || sep > room - n) return MISTRAL_E_STREAM;
  int rc = buf_reserve(p, &p->data, n + sep);
  if (rc) return rc;
  char *d = p->data.p + p->data.len;
  if (sep) *d++ = '\n';
  if (n) memcpy(d, v, n);
  p->data.len += n + sep;
  p->data.p[p->data.len] = '\0';
  p->has_data = 1;
  return MISTRAL_OK;
}

static int field_event(mistral_sse_parser *p, const char *v, size_t n) {
  /* Not in the spec: a type with NUL cannot be a C string, so it is ignored
   * as an id with NUL is. */
  if (memchr(v, '\0', n)) return MISTRAL_OK;
  if (n > p->max_event - (event_bytes(p) - p->event.len)) return MISTRAL_E_STREAM;
  return buf_set(p, &p->event, v, n);
}

static int field_id(mistral_sse_parser *p, const char *v, size_t n) {
  if (memchr(v, '\0', n)) return MISTRAL_OK; /* the spec ignores such an id */
  size_t id_len = p->id_pending ? p->id_next.len : p->id.len;
  if (n > p->max_event - (event_bytes(p) - id_len)) return MISTRAL_E_STREAM;
  int rc = buf_set(p, &p->id_next, v, n);
  if (rc) return rc;
  p->id_pending = 1;
  return MISTRAL_OK;
}

static void field_retry(mistral_sse_parser *p, const char *v, size_t n) {
  if (n == 0) return;
  for (size_t i = 0; i < n; i++)
    if (v[i] < '0' || v[i] > '9') return;
  long ms = 0;
  for (size_t i = 0; i < n; i++) {
    long digit = v[i] - '0';
    if (ms > (LONG_MAX - digit) / 10) {
      ms = LONG_MAX;
      break;
    }
    ms = ms * 10 + digit;
  }
  p->retry_event = p->retry_stream = ms;
}

/* A blank line: commit the id, then dispatch the event if it has data. */
static int dispatch(mistral_sse_parser *p, mistral_sse_event_fn cb, void *user_data) {
  if (p->id_pending) {
    sse_buf t = p->id;
    p->id = p->id_next;
    p->id_next = t;
    p->id_pending = 0;
  }
  p->fields_pending = 0;
  if (!p->has_data) {
    p->event.len = 0;
    p->retry_event = -1;
    return MISTRAL_OK;
  }
  mistral_sse_event ev;
  ev.event = p->event.len ? p->event.p : "message";
  ev.data = p->data.p;
  ev.data_len = p->data.len;
  ev.id = p->id.len ? p->id.p : NULL;
  ev.retry_ms = p->retry_event;
  p->in_callback = 1;
  int stop = cb(&ev, user_data);
  p->in_callback = 0;
  p->data.len = 0;
  p->event.len = 0;
  p->has_data = 0;
  p->retry_event = -1;
  return stop ? MISTRAL_E_CANCELLED : MISTRAL_OK;
}

/* One complete line, without its line end. */
static inline int process_line(mistral_sse_parser *p, const char *s, size_t n,
                               mistral_sse_event_fn cb, void *user_data) {
  if (n == 0) return dispatch(p, cb, user_data);
  if (s[0] == ':') return MISTRAL_OK; /* comment */
  if (n > p->max_line) return MISTRAL_E_STREAM;
  p->fields_pending = 1;
  /* The common case first: "data:" (colon at 4). */
  if (n >= 5 && memcmp(s, "data:", 5) == 0) {
    const char *v = s + 5;
    size_t vn = n - 5;
    if (vn && *v == ' ') v++, vn--;
    return field_data(p, v, vn);
  }
  const char *colon = memchr(s, ':', n);
  size_t name_len = colon ? (size_t)(colon - s) : n;
  const char *v = colon ? colon + 1 : s + n;
  size_t vn = n - name_len - (colon ? 1 : 0);
  if (vn && *v == ' ') v++, vn--;
  switch (name_len) {
  case 4:
    if (memcmp(s, "data", 4) == 0) return field_data(p, v, vn);
    break;
  case 5:
    if (memcmp(s, "event", 5) == 0) return field_event(p, v, vn);
    if (memcmp(s, "retry", 5) == 0) field_retry(p, v, vn);
    break;
  case 2:
    if (memcmp(s, "id", 2) == 0) return field_id(p, v, vn);
    break;
  default: break;
  }
  return MISTRAL_OK; /* unknown field: ignored */
}

/* ---- public API ---- */

int m_sse_parser_new(mistral_sse_parser **out, size_t max_event_bytes,
                     const mistral_allocator *alloc) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  if (!alloc || !alloc->malloc_fn || !alloc->realloc_fn || !alloc->free_fn)
    return MISTRAL_E_INVALID_ARG;
  mistral_sse_parser *p = m_malloc(alloc, sizeof *p);
  if (!p) return MISTRAL_E_NOMEM;
  memset(p, 0, sizeof *p);
  p->alloc = *alloc;
  if (max_event_bytes == 0) max_event_bytes = MISTRAL_SSE_DEFAULT_MAX_EVENT_BYTES;
  /* Keeps every length sum below far from overflowing. */
  if (max_event_bytes > SIZE_MAX / 4) max_event_bytes = SIZE_MAX / 4;
  p->max_event = max_event_bytes;
  p->max_line = max_event_bytes + FIELD_SLACK;
  p->retry_event = p->retry_stream = -1;
  *out = p;
  return MISTRAL_OK;
}

int mistral_sse_parser_new(mistral_sse_parser **out, size_t max_event_bytes) {
  return m_sse_parser_new(out, max_event_bytes, &mistral_default_allocator);
}

void mistral_sse_parser_free(mistral_sse_parser *p) {
  if (!p) return;
  buf_free(p, &p->line);
  buf_free(p, &p->data);
  buf_free(p, &p->event);
  buf_free(p, &p->id);
  buf_free(p, &p->id_next);
  mistral_allocator a = p->alloc;
  m_free(&a, p);
}

/* Forgets the stream in progress; keeps the last event id and retry. */
static void end_stream(mistral_sse_parser *p) {
  p->line.len = 0;
  p->data.len = 0;
  p->event.len = 0;
  p->id_next.len = 0;
  p->retry_event = -1;
  p->bom = 0;
  p->skip_lf = p->in_comment = p->has_data = p->id_pending = p->fields_pending = 0;
}

void mistral_sse_parser_reset(mistral_sse_parser *p) {
  if (!p) return;
  end_stream(p);
  p->id.len = 0;
  p->retry_stream = -1;
  p->consumed = 0;
  p->failed = 0;
}

static int fail(mistral_sse_parser *p, int rc) {
  p->failed = rc;
  return rc;
}

int mistral_sse_parser_feed(mistral_sse_parser *p, const char *data, size_t len,
                            mistral_sse_event_fn cb, void *user_data) {
  if (!p || !cb || (!data && len)) return MISTRAL_E_INVALID_ARG;
  if (p->in_callback) return MISTRAL_E_INVALID_ARG;
  p->consumed = 0;
  if (p->failed) return p->failed;
  if (len == 0) return MISTRAL_OK;

  const char *s = data, *const end = data + len;
  int rc;

  if (p->bom != BOM_DONE) {
    while (p->bom != BOM_DONE && s < end) {
      if ((unsigned char)*s == utf8_bom[p->bom]) {
        p->bom++;
        s++;
      } else {
        /* Not a BOM after all: the bytes matched so far start the first
         * line. */
        if (p->bom && (rc = buf_append(p, &p->line, (const char *)utf8_bom, p->bom)) != 0)
          return fail(p, rc);
        p->bom = BOM_DONE;
      }
    }
  }
  if (p->skip_lf && s < end) {
    p->skip_lf = 0;
    if (*s == '\n') s++;
  }

  /* lf: the next LF at or after s, or end. cr: the next CR at or after s
   * if it comes before lf, else lf. The CR search stops at lf, so both scans
   * cover the same (cache-hot) line and each byte is looked at once. */
  const char *lf = NULL, *cr = NULL;
  while (s < end) {
    if (!lf || lf < s) {
      lf = memchr(s, '\n', (size_t)(end - s));
      if (!lf) lf = end;
    }
    if (!cr || cr < s) {
      cr = memchr(s, '\r', (size_t)(lf - s));
      if (!cr) cr = lf;
    }
    const char *eol = cr;
    if (eol == end) break;
    size_t n = (size_t)(eol - s);

    if (SSE_LIKELY(!p->line.len && !p->in_comment)) {
      rc = process_line(p, s, n, cb, user_data);
    } else if (p->in_comment) {
      p->in_comment = 0;
      rc = MISTRAL_OK;
    } else if (n > p->max_line - p->line.len) {
      rc = MISTRAL_E_STREAM;
    } else if ((rc = buf_append(p, &p->line, s, n)) == 0) {
      rc = process_line(p, p->line.p, p->line.len, cb, user_data);
      p->line.len = 0;
    }

    s = eol + 1;
    if (*eol == '\r') {
      if (s < end) {
        if (*s == '\n') s++;
      } else {
        p->skip_lf = 1;
      }
    }
    if (rc) {
      p->consumed = (size_t)(s - data);
      return rc == MISTRAL_E_CANCELLED ? rc : fail(p, rc);
    }
  }

  /* A line cut by the end of the slice. */
  if (s < end && !p->in_comment) {
    size_t n = (size_t)(end - s);
    if (!p->line.len && *s == ':') {
      p->in_comment = 1;
    } else if (n > p->max_line - p->line.len) {
      p->consumed = len;
      return fail(p, MISTRAL_E_STREAM);
    } else if ((rc = buf_append(p, &p->line, s, n)) != 0) {
      return fail(p, rc);
    }
  }
  p->consumed = len;
  return MISTRAL_OK;
}

int mistral_sse_parser_finish(mistral_sse_parser *p, int *out_partial) {
  if (!p || p->in_callback) return MISTRAL_E_INVALID_ARG;
  if (p->failed) {
    if (out_partial) *out_partial = 1;
    return p->failed;
  }
  int partial = p->line.len || p->in_comment || p->fields_pending ||
                (p->bom != 0 && p->bom != BOM_DONE);
  if (out_partial) *out_partial = partial;
  end_stream(p);
  return MISTRAL_OK;
}

const char *mistral_sse_parser_last_event_id(const mistral_sse_parser *p) {
  return p && p->id.len ? p->id.p : NULL;
}

long mistral_sse_parser_retry_ms(const mistral_sse_parser *p) {
  return p ? p->retry_stream : -1;
}

size_t mistral_sse_parser_consumed(const mistral_sse_parser *p) {
  return p ? p->consumed : 0;
}
