/* SPDX-License-Identifier: Apache-2.0 */
/* The incremental EmbeddingResponse decoder.
 *
 * Fed the body in pieces split anywhere, it checks the whole text as strict
 * JSON (the rules of json/jv.h: UTF-8, escapes and surrogates, \u0000
 * refused, numbers' grammar and range, nesting at most M_JV_MAX_DEPTH) and
 * recognises the shape
 *   {"id":..., "object":..., "model":..., "usage":{...},
 *    "data":[{"object":"embedding", "embedding":[numbers] or "base64",
 *             "index":N}, ...]}
 * in any member order, skipping every other member whatever it holds.
 *
 * Each number of an "embedding" array is converted where it lies in the
 * piece and stored straight into the matrix; a base64 string is decoded
 * straight from the piece into the matrix (OpenSSL's EVP_DecodeBlock).
 * Only a token cut by the end of a piece is copied (to `tok`, or to `b64`
 * for a base64 string). id, object, model and usage are kept as their JSON
 * text (at most CAPTURE_MAX bytes each) and parsed with jv at the end.
 *
 * Rows are stored in arrival order, each with the "index" of its item; the
 * matrix grows by doubling (up to the expected row count, when known: then
 * it ends exactly that size). finish checks the indices (each present once,
 * in range) and puts the rows in index order in place, swapping each
 * misplaced row into its place (at most one swap per row; none when the
 * server kept the order). Memory: the matrix, one index per row, and small
 * buffers, never the body. */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/chat_decode.h"
#include "api/embeddings_internal.h"
#include "api/embeddings_number.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/utf8.h"
#include "json/jv.h"
#include "json/strtod.h"

#define MAX_DEPTH M_JV_MAX_DEPTH
#define CAPTURE_MAX 65536
#define FIRST_ROWS 64 /* initial matrix capacity */

enum state {
  ST_VALUE,       /* a value is expected */
  ST_FIRST_VALUE, /* after '[': a value or ']' */
  ST_FIRST_KEY,   /* after '{': a key or '}' */
  ST_KEY,         /* after ',' in an object: a key */
  ST_COLON,       /* after a key */
  ST_AFTER,       /* after a value: ',' or the closer */
  ST_STRING,      /* inside a string */
  ST_TOKEN,       /* inside a number or literal cut by a piece's end */
  ST_DONE         /* the root value is closed: only whitespace may follow */
};

/* What a container is in the expected shape. */
enum role { R_SKIP, R_ROOT, R_DATA, R_ITEM, R_EMB };

/* Which member of the root or of an item a value belongs to. */
enum member { M_OTHER, M_ID, M_OBJECT, M_MODEL, M_USAGE, M_DATA, M_EMBEDDING, M_INDEX };

enum { CAP_ID, CAP_OBJECT, CAP_MODEL, CAP_USAGE, CAP_COUNT };
static const char *const cap_names[CAP_COUNT] = {"id", "object", "model", "usage"};

/* What a string's decoded bytes are for. */
enum purpose { P_SKIP, P_KEY, P_B64 };

struct mistral_embeddings_decoder {
  mistral_allocator alloc;
  mistral_embeddings_dtype dtype;
  size_t elem;     /* bytes per element */
  size_t expected; /* rows expected; 0: any */
  size_t limit;    /* largest body accepted; 0: any */
  size_t offset;   /* body bytes before the current piece */
  const char *piece;
  int status;
  int finished;
  char msg[256];

  /* grammar */
  unsigned char state;
  unsigned depth;
  unsigned char stack[MAX_DEPTH + 1]; /* role << 1 | is_object, per level */
  unsigned char root_member, item_member;

  /* the string being read */
  unsigned char purpose, is_key;
  unsigned char esc;  /* 0; 1 after '\'; 2 + hex digits read in \uXXXX */
  unsigned char need; /* UTF-8 continuation bytes still expected */
  unsigned char lo, hi; /* the range of the next continuation byte */
  unsigned cp;        /* \u code unit being read */
  unsigned high;      /* a high surrogate waiting for its low half */
  char key[16];
  size_t key_len;

  m_buf tok; /* a number or literal cut by a piece's end */
  m_buf b64; /* a base64 string cut by a piece's end, or escaped */

  /* captures of root members */
  int cap;            /* CAP_* being captured, or -1 */
  const char *cap_from;
  m_buf capbuf[CAP_COUNT];
  int cap_set[CAP_COUNT];

  /* data items */
  int has_data;
  size_t items; /* items closed */
  int item_has_emb, item_has_index;
  size_t item_index;

  /* rows */
  unsigned char *matrix;
  size_t cap_rows, rows; /* rows stored */
  size_t *slot_index;    /* the index of the row in each slot */
  size_t row_bytes, cols; /* 0 until the first row is complete */
  unsigned char *row;     /* the row being written */
  size_t row_len, row_cap; /* elements */
  unsigned char *row0;    /* the first row, before its length is known */
  size_t row0_cap;        /* bytes */
};

/* ---- errors ---- */

static size_t at(const mistral_embeddings_decoder *d, const char *p) {
  return d->offset + (size_t)(p - d->piece);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int failf(mistral_embeddings_decoder *d, int code, const char *fmt, ...) {
  if (d->status != MISTRAL_OK) return d->status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->msg, sizeof d->msg, fmt, ap);
  va_end(ap);
  d->status = code;
  return code;
}

/* Invalid JSON or a wrong shape at byte p of the piece. */
static int bad_at(mistral_embeddings_decoder *d, const char *p, const char *why) {
  return failf(d, MISTRAL_E_BAD_RESPONSE, "malformed embeddings response: %s at byte %zu", why,
               at(d, p));
}

static int bad(mistral_embeddings_decoder *d, const char *why) {
  return failf(d, MISTRAL_E_BAD_RESPONSE, "malformed embeddings response: %s", why);
}

static int oom(mistral_embeddings_decoder *d) {
  return failf(d, MISTRAL_E_NOMEM, "out of memory while decoding the embeddings response");
}

/* ---- byte classes ---- */

/* A byte a string may hold as it is: printable ASCII but '"' and '\'. */
static inline int is_plain(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static inline int is_alnum(unsigned char c) {
  return (unsigned)(c - '0') < 10u || (unsigned)((c | 0x20) - 'a') < 26u;
}

/* A byte of a number or literal. */
static inline int is_tokchar(unsigned char c) {
  return is_alnum(c) || c == '.' || c == '+' || c == '-';
}

/* A byte of the base64 alphabet ('=' aside). */
static inline int is_b64char(unsigned char c) { return is_alnum(c) || c == '+' || c == '/'; }

static inline int is_ws(unsigned char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline unsigned top_role(const mistral_embeddings_decoder *d) {
  return d->stack[d->depth] >> 1;
}
static inline int top_is_object(const mistral_embeddings_decoder *d) {
  return d->stack[d->depth] & 1;
}

/* ---- setup ---- */

size_t m_emb_elem_size(mistral_embeddings_dtype dtype) {
  return dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT ? 4 : 1;
}

int m_emb_dtype_valid(int dtype) {
  return dtype >= MISTRAL_EMBEDDINGS_DTYPE_FLOAT && dtype <= MISTRAL_EMBEDDINGS_DTYPE_UBINARY;
}

int m_emb_decoder_new(mistral_embeddings_decoder **out, const mistral_allocator *alloc,
                      mistral_embeddings_dtype dtype, size_t expected_rows, size_t limit) {
  *out = NULL;
  if (!m_emb_dtype_valid((int)dtype)) return MISTRAL_E_INVALID_ARG;
  mistral_embeddings_decoder *d = m_calloc(alloc, 1, sizeof *d);
  if (!d) return MISTRAL_E_NOMEM;
  d->alloc = *alloc;
  d->dtype = dtype;
  d->elem = m_emb_elem_size(dtype);
  d->expected = expected_rows;
  d->limit = limit;
  d->state = ST_VALUE;
  d->cap = -1;
  m_buf_init(&d->tok, &d->alloc);
  m_buf_init(&d->b64, &d->alloc);
  for (int i = 0; i < CAP_COUNT; i++) m_buf_init(&d->capbuf[i], &d->alloc);
  *out = d;
  return MISTRAL_OK;
}

void mistral_embeddings_decoder_free(mistral_embeddings_decoder *d) {
  if (!d) return;
  m_buf_free(&d->tok);
  m_buf_free(&d->b64);
  for (int i = 0; i < CAP_COUNT; i++) m_buf_free(&d->capbuf[i]);
  m_free(&d->alloc, d->matrix);
  m_free(&d->alloc, d->slot_index);
  m_free(&d->alloc, d->row0);
  mistral_allocator a = d->alloc;
  m_free(&a, d);
}

int m_emb_decoder_status(const mistral_embeddings_decoder *d) { return d->status; }
const char *m_emb_decoder_message(const mistral_embeddings_decoder *d) { return d->msg; }
int m_emb_decoder_finished(const mistral_embeddings_decoder *d) { return d->finished; }

/* ---- rows ---- */

/* Makes room for one more row in the matrix. */
static int grow_matrix(mistral_embeddings_decoder *d) {
  if (d->expected && d->rows >= d->expected)
    return failf(d, MISTRAL_E_BAD_RESPONSE,
                 "malformed embeddings response: more embeddings than the %zu input%s",
                 d->expected, d->expected == 1 ? "" : "s");
  size_t cap = d->cap_rows ? d->cap_rows * 2 : FIRST_ROWS;
  if (d->expected && cap > d->expected) cap = d->expected;
  if (cap > SIZE_MAX / d->row_bytes || cap > SIZE_MAX / sizeof *d->slot_index) return oom(d);
  unsigned char *m = m_realloc(&d->alloc, d->matrix, cap * d->row_bytes);
  if (!m) return oom(d);
  d->matrix = m;
  size_t *s = m_realloc(&d->alloc, d->slot_index, cap * sizeof *s);
  if (!s) return oom(d);
  d->slot_index = s;
  d->cap_rows = cap;
  return MISTRAL_OK;
}

static int begin_row(mistral_embeddings_decoder *d) {
  d->row_len = 0;
  if (d->row_bytes == 0) { /* the first row: its length is not known yet */
    d->row = d->row0;
    d->row_cap = d->row0_cap / d->elem;
    return MISTRAL_OK;
  }
  if (d->rows == d->cap_rows && grow_matrix(d) != MISTRAL_OK) return d->status;
  d->row = d->matrix + d->rows * d->row_bytes;
  d->row_cap = d->row_bytes / d->elem;
  return MISTRAL_OK;
}

/* Grows the first row's buffer to at least bytes. */
static int grow_row0(mistral_embeddings_decoder *d, size_t bytes) {
  size_t cap = d->row0_cap ? d->row0_cap : 4096;
  while (cap < bytes) {
    if (cap > SIZE_MAX / 2) return oom(d);
    cap *= 2;
  }
  unsigned char *r = m_realloc(&d->alloc, d->row0, cap);
  if (!r) return oom(d);
  d->row0 = d->row = r;
  d->row0_cap = cap;
  d->row_cap = cap / d->elem;
  return MISTRAL_OK;
}

/* No room for one more element in the row. */
static int row_full(mistral_embeddings_decoder *d, const char *p) {
  if (d->row_bytes == 0) return grow_row0(d, d->row0_cap + 1);
  char why[96];
  snprintf(why, sizeof why, "embedding %zu is longer than the first (%zu values)", d->rows,
           d->row_cap);
  return bad_at(d, p, why);
}

static int end_row(mistral_embeddings_decoder *d, const char *p) {
  if (d->row_bytes == 0) {
    if (d->row_len == 0) return bad_at(d, p, "an embedding is empty");
    d->row_bytes = d->row_len * d->elem;
    d->cols = d->dtype == MISTRAL_EMBEDDINGS_DTYPE_BINARY ||
                      d->dtype == MISTRAL_EMBEDDINGS_DTYPE_UBINARY
                  ? d->row_len * 8
                  : d->row_len;
    if (grow_matrix(d) != MISTRAL_OK) return d->status;
    memcpy(d->matrix, d->row0, d->row_bytes);
    m_free(&d->alloc, d->row0);
    d->row0 = NULL;
    d->row0_cap = 0;
  } else if (d->row_len != d->row_cap) {
    char why[112];
    snprintf(why, sizeof why, "embedding %zu has %zu values, the first has %zu", d->rows,
             d->row_len, d->row_cap);
    return bad_at(d, p, why);
  }
  d->rows++;
  d->row = NULL;
  return MISTRAL_OK;
}

/* Stores one number of an embedding array. */
M_NUM_INLINE int store(mistral_embeddings_decoder *d, const m_num *n, const char *s,
                        const char *e, const char *where) {
  if (d->row_len == d->row_cap && row_full(d, where) != MISTRAL_OK) return d->status;
  if (d->dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT) {
    float f;
    int rc = m_num_to_float(n, s, (size_t)(e - s), &d->alloc, &f);
    if (rc != 0)
      return rc == MISTRAL_E_NOMEM ? oom(d) : bad_at(d, where, "a value is out of float32 range");
    memcpy(d->row + 4 * d->row_len++, &f, 4);
    return MISTRAL_OK;
  }
  int is_signed =
      d->dtype == MISTRAL_EMBEDDINGS_DTYPE_INT8 || d->dtype == MISTRAL_EMBEDDINGS_DTYPE_BINARY;
  if (!n->is_int || n->truncated || n->m > (n->neg ? 128u : is_signed ? 127u : 255u) ||
      (n->neg && !is_signed && n->m != 0))
    return bad_at(d, where,
                  is_signed ? "a value is not an integer from -128 to 127 (output_dtype int8 "
                              "or binary)"
                            : "a value is not an integer from 0 to 255 (output_dtype uint8 "
                              "or ubinary)");
  int v = n->neg ? -(int)n->m : (int)n->m;
  d->row[d->row_len++] = (unsigned char)(v & 0xff);
  return MISTRAL_OK;
}

/* ---- base64 rows ---- */

/* Decodes one base64 vector s[0..len) into a new row. */
static int b64_row(mistral_embeddings_decoder *d, const unsigned char *s, size_t len,
                   const char *p) {
  if (len == 0 || len % 4)
    return bad_at(d, p, "a base64 embedding's length is not a multiple of 4");
  const unsigned char *last = s + len - 4;
  if (!is_b64char(last[0]) || !is_b64char(last[1]) || !(is_b64char(last[2]) || last[2] == '=') ||
      !(is_b64char(last[3]) || last[3] == '=') || (last[2] == '=' && last[3] != '='))
    return bad_at(d, p, "invalid base64 in an embedding");
  size_t pad = (size_t)(last[2] == '=') + (last[3] == '='), body = len - 4;
  size_t nbytes = body / 4 * 3 + 3 - pad;
  /* EVP_DecodeBlock accepts '=' anywhere and trims whitespace at both
   * ends (its result is then shorter): '=' is looked for here, trimming
   * shows in the length. */
  if (body && memchr(s, '=', body)) return bad_at(d, p, "invalid base64 in an embedding");
  if (begin_row(d) != MISTRAL_OK) return d->status;
  if (d->row_bytes == 0) {
    if (nbytes > d->row0_cap && grow_row0(d, nbytes) != MISTRAL_OK) return d->status;
  } else if (nbytes != d->row_bytes) {
    char why[128];
    snprintf(why, sizeof why, "base64 embedding %zu has %zu bytes, the first has %zu", d->rows,
             nbytes, d->row_bytes);
    return bad_at(d, p, why);
  }
  for (size_t off = 0; off < body;) {
    size_t n = body - off > 0x3ffffffc ? 0x3ffffffc : body - off;
    if (EVP_DecodeBlock(d->row + off / 4 * 3, s + off, (int)n) != (int)(n / 4 * 3))
      return bad_at(d, p, "invalid base64 in an embedding");
    off += n;
  }
  unsigned char group[4], tail[3];
  memcpy(group, last, 4);
  if (pad) group[3] = 'A';
  if (pad == 2) group[2] = 'A';
  if (EVP_DecodeBlock(tail, group, 4) != 3) return bad_at(d, p, "invalid base64 in an embedding");
  memcpy(d->row + body / 4 * 3, tail, 3 - pad);
  if (nbytes % d->elem)
    return bad_at(d, p, "a base64 embedding is not a whole number of float32 values");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  if (d->dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT)
    for (size_t i = 0; i < nbytes; i += 4) {
      unsigned char t = d->row[i];
      d->row[i] = d->row[i + 3];
      d->row[i + 3] = t;
      t = d->row[i + 1];
      d->row[i + 1] = d->row[i + 2];
      d->row[i + 2] = t;
    }
#endif
  d->row_len = nbytes / d->elem;
  if (d->row_bytes == 0) d->row_cap = d->row_len;
  return end_row(d, p);
}

/* ---- captures ---- */

static int capture_append(mistral_embeddings_decoder *d, const char *from, const char *to) {
  m_buf *b = &d->capbuf[d->cap];
  size_t n = (size_t)(to - from);
  if (n > CAPTURE_MAX - b->len) {
    return failf(d, MISTRAL_E_BAD_RESPONSE,
                 "malformed embeddings response: \"%s\" is longer than %d bytes",
                 cap_names[d->cap], CAPTURE_MAX);
  }
  if (m_buf_append(b, from, n) != MISTRAL_OK) return oom(d);
  return MISTRAL_OK;
}

/* ---- grammar ---- */

static int push(mistral_embeddings_decoder *d, const char *p, unsigned role, int is_object) {
  if (d->depth == MAX_DEPTH) return bad_at(d, p, "nesting too deep");
  d->stack[++d->depth] = (unsigned char)(role << 1 | (is_object ? 1 : 0));
  d->state = is_object ? ST_FIRST_KEY : ST_FIRST_VALUE;
  return MISTRAL_OK;
}

/* A value just ended before p: the container on top goes on. */
static int value_done(mistral_embeddings_decoder *d, const char *p) {
  if (d->cap >= 0 && d->depth == 1) {
    if (capture_append(d, d->cap_from, p) != MISTRAL_OK) return d->status;
    d->cap_set[d->cap] = 1;
    d->cap = -1;
  }
  d->state = d->depth == 0 ? ST_DONE : ST_AFTER;
  return MISTRAL_OK;
}

static int end_item(mistral_embeddings_decoder *d, const char *p) {
  if (!d->item_has_emb) return bad_at(d, p, "an item of \"data\" has no \"embedding\"");
  size_t index = d->item_has_index ? d->item_index : d->items;
  if (d->expected && index >= d->expected) {
    char why[96];
    snprintf(why, sizeof why, "index %zu is out of range (%zu input%s)", index, d->expected,
             d->expected == 1 ? "" : "s");
    return bad_at(d, p, why);
  }
  d->slot_index[d->items++] = index;
  return MISTRAL_OK;
}

/* The closer at p ends the container on top. */
static int close_container(mistral_embeddings_decoder *d, const char *p) {
  unsigned role = top_role(d);
  d->depth--;
  if (role == R_EMB && end_row(d, p) != MISTRAL_OK) return d->status;
  if (role == R_ITEM && end_item(d, p) != MISTRAL_OK) return d->status;
  return value_done(d, p + 1);
}

/* A key just ended: which member it names. */
static void key_done(mistral_embeddings_decoder *d) {
  static const struct {
    const char *name;
    unsigned char member;
  } root_keys[] = {{"id", M_ID},       {"object", M_OBJECT}, {"model", M_MODEL},
                   {"usage", M_USAGE}, {"data", M_DATA}},
    item_keys[] = {{"embedding", M_EMBEDDING}, {"index", M_INDEX}};
  unsigned role = top_role(d);
  unsigned char member = M_OTHER;
  if (role == R_ROOT) {
    for (size_t i = 0; i < sizeof root_keys / sizeof *root_keys; i++)
      if (d->key_len == strlen(root_keys[i].name) &&
          memcmp(d->key, root_keys[i].name, d->key_len) == 0)
        member = root_keys[i].member;
    d->root_member = member;
  } else if (role == R_ITEM) {
    for (size_t i = 0; i < sizeof item_keys / sizeof *item_keys; i++)
      if (d->key_len == strlen(item_keys[i].name) &&
          memcmp(d->key, item_keys[i].name, d->key_len) == 0)
        member = item_keys[i].member;
    d->item_member = member;
  }
}

/* A key's or a base64 string's decoded bytes. */
static int emit(mistral_embeddings_decoder *d, const char *s, size_t n) {
  if (d->purpose == P_KEY) {
    size_t room = sizeof d->key - d->key_len;
    /* Longer keys are none of the known ones: keep a prefix that fails
     * every comparison (the length tells). */
    memcpy(d->key + d->key_len, s, n < room ? n : room);
    d->key_len = d->key_len + n < sizeof d->key ? d->key_len + n : sizeof d->key;
    return MISTRAL_OK;
  }
  if (d->purpose == P_B64 && m_buf_append(&d->b64, s, n) != MISTRAL_OK) return oom(d);
  return MISTRAL_OK;
}

/* The string ends at p (its closing quote). */
static int string_done(mistral_embeddings_decoder *d, const char *p) {
  if (d->is_key) {
    key_done(d);
    d->state = ST_COLON;
    return MISTRAL_OK;
  }
  if (d->purpose == P_B64) {
    if (b64_row(d, (const unsigned char *)d->b64.data, d->b64.len, p) != MISTRAL_OK)
      return d->status;
    m_buf_reset(&d->b64);
  }
  return value_done(d, p + 1);
}

static void start_string(mistral_embeddings_decoder *d, unsigned purpose, int is_key) {
  d->purpose = (unsigned char)purpose;
  d->is_key = (unsigned char)is_key;
  d->esc = 0;
  d->need = 0;
  d->high = 0;
  d->key_len = 0;
  d->state = ST_STRING;
}

/* One byte of an escape sequence (d->esc > 0). */
static int escape_byte(mistral_embeddings_decoder *d, const char *p) {
  unsigned char c = (unsigned char)*p;
  if (d->esc == 1) {
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (c == 'u') {
      d->esc = 2;
      d->cp = 0;
      return MISTRAL_OK;
    }
    if (d->high) return bad_at(d, p, "a lone surrogate in a \\u escape");
    const char *hit = c ? strchr(from, c) : NULL;
    if (!hit) return bad_at(d, p, "invalid escape in a string");
    d->esc = 0;
    return emit(d, &to[hit - from], 1);
  }
  unsigned v;
  if (c >= '0' && c <= '9') v = c - '0';
  else if (c >= 'a' && c <= 'f') v = c - 'a' + 10u;
  else if (c >= 'A' && c <= 'F') v = c - 'A' + 10u;
  else return bad_at(d, p, "invalid \\u escape in a string");
  d->cp = d->cp << 4 | v;
  if (++d->esc < 6) return MISTRAL_OK;
  d->esc = 0;
  unsigned cu = d->cp;
  if (d->high) {
    if (cu < 0xDC00 || cu > 0xDFFF) return bad_at(d, p, "a lone surrogate in a \\u escape");
    cu = 0x10000 + ((d->high - 0xD800) << 10) + (cu - 0xDC00);
    d->high = 0;
  } else if (cu >= 0xD800 && cu <= 0xDBFF) {
    d->high = cu;
    return MISTRAL_OK;
  } else if (cu >= 0xDC00 && cu <= 0xDFFF) {
    return bad_at(d, p, "a lone surrogate in a \\u escape");
  }
  if (cu == 0) return bad_at(d, p, "\\u0000 in a string");
  char buf[4];
  return emit(d, buf, m_utf8_put(buf, cu));
}

/* Reads string bytes from p; returns where it stopped (after the closing
 * quote, or end). */
static const char *scan_string(mistral_embeddings_decoder *d, const char *p, const char *end) {
  if (d->purpose == P_B64 && !d->esc && !d->need && !d->high) {
    /* A base64 vector cut by a piece's end: its bytes in big runs (any
     * byte that is not base64 fails the decoding, at the end). */
    const char *q = memchr(p, '"', (size_t)(end - p)), *stop = q ? q : end;
    if (!memchr(p, '\\', (size_t)(stop - p))) {
      if (m_buf_append(&d->b64, p, (size_t)(stop - p)) != MISTRAL_OK) {
        oom(d);
        return NULL;
      }
      if (!q) return end;
      return string_done(d, q) == MISTRAL_OK ? q + 1 : NULL;
    }
  }
  while (p < end) {
    unsigned char c = (unsigned char)*p;
    if (d->esc) {
      if (escape_byte(d, p) != MISTRAL_OK) return NULL;
      p++;
      continue;
    }
    if (d->need) { /* a UTF-8 continuation byte */
      if (c < d->lo || c > d->hi) {
        bad_at(d, p, "invalid UTF-8 in a string");
        return NULL;
      }
      d->lo = 0x80;
      d->hi = 0xBF;
      d->need--;
      if (emit(d, (const char *)p, 1) != MISTRAL_OK) return NULL;
      p++;
      continue;
    }
    if (d->high && c != '\\') {
      bad_at(d, p, "a lone surrogate in a \\u escape");
      return NULL;
    }
    const char *run = p;
    while (p < end && is_plain((unsigned char)*p)) p++;
    if (p > run) {
      if (d->purpose != P_SKIP && emit(d, run, (size_t)(p - run)) != MISTRAL_OK) return NULL;
      continue;
    }
    if (c == '"') {
      if (string_done(d, p) != MISTRAL_OK) return NULL;
      return p + 1;
    }
    if (c == '\\') {
      d->esc = 1;
      p++;
      continue;
    }
    if (c < 0x20) {
      bad_at(d, p, "a control character in a string");
      return NULL;
    }
    /* A UTF-8 lead byte (RFC 3629: no overlongs, no surrogates, at most
     * U+10FFFF). */
    if (c >= 0xC2 && c <= 0xDF) {
      d->need = 1;
      d->lo = 0x80, d->hi = 0xBF;
    } else if (c >= 0xE0 && c <= 0xEF) {
      d->need = 2;
      d->lo = c == 0xE0 ? 0xA0 : 0x80;
      d->hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      d->need = 3;
      d->lo = c == 0xF0 ? 0x90 : 0x80;
      d->hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
      bad_at(d, p, "invalid UTF-8 in a string");
      return NULL;
    }
    if (emit(d, (const char *)p, 1) != MISTRAL_OK) return NULL;
    p++;
  }
  return p;
}

/* A whole number or literal s[0..n) (the byte after it is a delimiter or
 * the end of the body); p: where it starts in the piece, for messages. */
static int token(mistral_embeddings_decoder *d, const char *s, size_t n, const char *p) {
  unsigned role = top_role(d);
  int is_index = role == R_ITEM && d->item_member == M_INDEX;
  if (*s == '-' || m_num_digit((unsigned char)*s)) {
    m_num num;
    const char *q = s;
    if (m_num_scan(&q, s + n, 1, &num) != M_NUM_OK || q != s + n)
      return bad_at(d, p, "invalid number");
    if (role == R_EMB) return store(d, &num, s, s + n, p);
    /* Beyond double range, as jv refuses it. m < 10^19, so below 10^289
     * it is in range for sure: strtod only decides the rare others. */
    if (num.m && num.e10 > 308 - 19) {
      double v;
      int rc = m_json_strtod(s, n, &d->alloc, &v);
      if (rc == MISTRAL_E_NOMEM) return oom(d);
      if (rc != M_STRTOD_OK) return bad_at(d, p, "number out of range");
    }
    if (is_index) {
      if (!num.is_int || num.truncated || (num.neg && num.m) || num.m > SIZE_MAX / 2)
        return bad_at(d, p, "\"index\" is not a non-negative integer");
      d->item_index = (size_t)num.m;
    }
    return MISTRAL_OK;
  }
  if (!((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
        (n == 4 && memcmp(s, "null", 4) == 0)))
    return bad_at(d, p, "invalid literal");
  if (role == R_EMB) return bad_at(d, p, "an embedding value is not a number");
  if (is_index) return bad_at(d, p, "\"index\" is not a non-negative integer");
  return MISTRAL_OK;
}

/* The value starting at p (whitespace skipped; not in an embedding array).
 * Returns where reading goes on, or NULL on failure. */
static const char *begin_value(mistral_embeddings_decoder *d, const char *p, const char *end) {
  unsigned role = d->depth ? top_role(d) : R_SKIP;
  unsigned char c = (unsigned char)*p;
  unsigned member = role == R_ROOT ? d->root_member : role == R_ITEM ? d->item_member : M_OTHER;
  if (d->depth == 0) {
    if (c != '{') {
      bad_at(d, p, "the body is not a JSON object");
      return NULL;
    }
    return push(d, p, R_ROOT, 1) == MISTRAL_OK ? p + 1 : NULL;
  }
  if (role == R_ROOT && member >= M_ID && member <= M_USAGE) {
    d->cap = (int)(member - M_ID);
    d->cap_from = p;
    m_buf_reset(&d->capbuf[d->cap]);
    d->cap_set[d->cap] = 0;
  } else if (role == R_ROOT && member == M_DATA) {
    if (c != '[') {
      bad_at(d, p, "\"data\" is not an array");
      return NULL;
    }
    d->has_data = 1;
    return push(d, p, R_DATA, 0) == MISTRAL_OK ? p + 1 : NULL;
  } else if (role == R_DATA) {
    if (c != '{') {
      bad_at(d, p, "an item of \"data\" is not an object");
      return NULL;
    }
    d->item_has_emb = d->item_has_index = 0;
    d->item_member = M_OTHER;
    return push(d, p, R_ITEM, 1) == MISTRAL_OK ? p + 1 : NULL;
  } else if (role == R_ITEM && member == M_EMBEDDING) {
    if (c == '[') {
      if (push(d, p, R_EMB, 0) != MISTRAL_OK || begin_row(d) != MISTRAL_OK) return NULL;
      return p + 1;
    }
    if (c != '"') {
      bad_at(d, p, "\"embedding\" is neither an array nor a base64 string");
      return NULL;
    }
    /* A base64 vector: straight from the piece when it is all there and
     * holds no escape. */
    const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
    if (close && !memchr(p + 1, '\\', (size_t)(close - p - 1))) {
      if (b64_row(d, (const unsigned char *)p + 1, (size_t)(close - p - 1), p) != MISTRAL_OK ||
          value_done(d, close + 1) != MISTRAL_OK)
        return NULL;
      return close + 1;
    }
    m_buf_reset(&d->b64);
    start_string(d, P_B64, 0);
    return p + 1;
  } else if (role == R_ITEM && member == M_INDEX && !is_tokchar(c)) {
    bad_at(d, p, "\"index\" is not a non-negative integer");
    return NULL;
  }
  switch (c) {
  case '{': return push(d, p, R_SKIP, 1) == MISTRAL_OK ? p + 1 : NULL;
  case '[': return push(d, p, R_SKIP, 0) == MISTRAL_OK ? p + 1 : NULL;
  case '"': start_string(d, P_SKIP, 0); return p + 1;
  default: break;
  }
  if (!(c == '-' || m_num_digit(c) || (c >= 'a' && c <= 'z'))) {
    bad_at(d, p, "a value is expected");
    return NULL;
  }
  const char *q = p;
  while (q < end && is_tokchar((unsigned char)*q)) q++;
  if (q == end) { /* perhaps cut: keep it for the next piece */
    m_buf_reset(&d->tok);
    if (m_buf_append(&d->tok, p, (size_t)(q - p)) != MISTRAL_OK) {
      oom(d);
      return NULL;
    }
    d->state = ST_TOKEN;
    return q;
  }
  if (token(d, p, (size_t)(q - p), p) != MISTRAL_OK || value_done(d, q) != MISTRAL_OK) return NULL;
  return q;
}

/* The hot loop: the values of an embedding array, from p. Leaves on the
 * array's end (or the piece's), or on failure (NULL). */
static const char *embedding_values(mistral_embeddings_decoder *d, const char *p,
                                    const char *end) {
  unsigned char st = d->state;
  for (;;) {
    while (p < end && is_ws((unsigned char)*p)) p++;
    if (p == end) break;
    if (st == ST_AFTER) {
      if (*p == ',') {
        p++;
        st = ST_VALUE;
        continue;
      }
      if (*p != ']') {
        bad_at(d, p, "',' or ']' expected");
        return NULL;
      }
      return close_container(d, p) == MISTRAL_OK ? p + 1 : NULL;
    }
    if (*p == ']' && st == ST_FIRST_VALUE) {
      return close_container(d, p) == MISTRAL_OK ? p + 1 : NULL;
    }
    m_num n;
    const char *s = p;
    int rc = m_num_scan(&p, end, 0, &n);
    if (rc == M_NUM_OK) {
      if (is_tokchar((unsigned char)*p)) { /* "1.5x", "1-2": as a cut token would */
        bad_at(d, s, "invalid number");
        return NULL;
      }
      if (store(d, &n, s, p, s) != MISTRAL_OK) return NULL;
      st = ST_AFTER;
      continue;
    }
    if (rc == M_NUM_MORE) { /* cut by the piece's end */
      m_buf_reset(&d->tok);
      if (m_buf_append(&d->tok, s, (size_t)(end - s)) != MISTRAL_OK) {
        oom(d);
        return NULL;
      }
      d->state = ST_TOKEN;
      return end;
    }
    if (*s == '-' || m_num_digit((unsigned char)*s)) bad_at(d, s, "invalid number");
    else bad_at(d, s, "an embedding value is not a number");
    return NULL;
  }
  d->state = st;
  return p;
}

static const char *step(mistral_embeddings_decoder *d, const char *p, const char *end) {
  unsigned char c;
  switch (d->state) {
  case ST_STRING: return scan_string(d, p, end);
  case ST_TOKEN: {
    const char *q = p;
    while (q < end && is_tokchar((unsigned char)*q)) q++;
    if (m_buf_append(&d->tok, p, (size_t)(q - p)) != MISTRAL_OK) {
      oom(d);
      return NULL;
    }
    if (q == end) return q;
    if (token(d, d->tok.data, d->tok.len, p) != MISTRAL_OK || value_done(d, q) != MISTRAL_OK)
      return NULL;
    m_buf_reset(&d->tok);
    return q;
  }
  default: break;
  }
  while (p < end && is_ws((unsigned char)*p)) p++;
  if (p == end) return p;
  c = (unsigned char)*p;
  switch (d->state) {
  case ST_FIRST_VALUE:
  case ST_VALUE:
    if (c == ']' && d->state == ST_FIRST_VALUE)
      return close_container(d, p) == MISTRAL_OK ? p + 1 : NULL;
    return begin_value(d, p, end);
  case ST_FIRST_KEY:
  case ST_KEY: {
    if (c == '}' && d->state == ST_FIRST_KEY)
      return close_container(d, p) == MISTRAL_OK ? p + 1 : NULL;
    if (c != '"') {
      bad_at(d, p, "a member name is expected");
      return NULL;
    }
    unsigned role = top_role(d);
    int named = role == R_ROOT || role == R_ITEM;
    start_string(d, named ? P_KEY : P_SKIP, 1);
    return p + 1;
  }
  case ST_COLON: {
    if (c != ':') {
      bad_at(d, p, "':' expected");
      return NULL;
    }
    unsigned role = top_role(d);
    if (role == R_ROOT && d->root_member == M_DATA && d->has_data) {
      bad_at(d, p, "\"data\" appears twice");
      return NULL;
    }
    if (role == R_ITEM && d->item_member == M_EMBEDDING) {
      if (d->item_has_emb) {
        bad_at(d, p, "an item has two \"embedding\" members");
        return NULL;
      }
      d->item_has_emb = 1;
    }
    if (role == R_ITEM && d->item_member == M_INDEX) {
      if (d->item_has_index) {
        bad_at(d, p, "an item has two \"index\" members");
        return NULL;
      }
      d->item_has_index = 1;
    }
    d->state = ST_VALUE;
    return p + 1;
  }
  case ST_AFTER:
    if (c == ',') {
      d->state = top_is_object(d) ? ST_KEY : ST_VALUE;
      return p + 1;
    }
    if (c == (top_is_object(d) ? '}' : ']'))
      return close_container(d, p) == MISTRAL_OK ? p + 1 : NULL;
    bad_at(d, p, top_is_object(d) ? "',' or '}' expected" : "',' or ']' expected");
    return NULL;
  case ST_DONE: bad_at(d, p, "text after the JSON value"); return NULL;
  default: bad_at(d, p, "internal decoder state"); return NULL;
  }
}

int m_emb_decoder_feed(mistral_embeddings_decoder *d, const char *data, size_t len) {
  if (d->status != MISTRAL_OK) return d->status;
  if (d->limit && len > d->limit - d->offset)
    return failf(d, MISTRAL_E_TOO_LARGE,
                 "POST /v1/embeddings: response larger than the %zu-byte limit", d->limit);
  const char *p = data, *end = data + len;
  d->piece = data;
  if (d->cap >= 0) d->cap_from = data;
  while (p && p < end) {
    unsigned st = d->state;
    if ((st == ST_FIRST_VALUE || st == ST_VALUE || st == ST_AFTER) && d->depth &&
        top_role(d) == R_EMB)
      p = embedding_values(d, p, end);
    else
      p = step(d, p, end);
  }
  if (p && d->cap >= 0) capture_append(d, d->cap_from, end);
  d->offset += len;
  return d->status;
}

/* ---- the end ---- */

/* Checks the indices and puts each row at its index. */
static int order_rows(mistral_embeddings_decoder *d) {
  size_t n = d->rows;
  if (n == 0) return MISTRAL_OK;
  unsigned char *seen = m_calloc(&d->alloc, n, 1);
  if (!seen) return oom(d);
  for (size_t s = 0; s < n; s++) {
    size_t i = d->slot_index[s];
    if (i >= n || seen[i]) {
      m_free(&d->alloc, seen);
      return failf(d, MISTRAL_E_BAD_RESPONSE,
                   i >= n ? "malformed embeddings response: index %zu is out of range (%zu "
                            "embeddings)"
                          : "malformed embeddings response: index %zu appears twice (%zu "
                            "embeddings)",
                   i, n);
    }
    seen[i] = 1;
  }
  m_free(&d->alloc, seen);
  /* Swap each misplaced row into its place: every swap settles at least
   * one row, so at most n swaps. */
  unsigned char *tmp = NULL;
  size_t rb = d->row_bytes;
  for (size_t s = 0; s < n; s++) {
    while (d->slot_index[s] != s) {
      size_t t = d->slot_index[s];
      if (!tmp && !(tmp = m_malloc(&d->alloc, rb))) return oom(d);
      memcpy(tmp, d->matrix + t * rb, rb);
      memcpy(d->matrix + t * rb, d->matrix + s * rb, rb);
      memcpy(d->matrix + s * rb, tmp, rb);
      d->slot_index[s] = d->slot_index[t];
      d->slot_index[t] = t;
    }
  }
  m_free(&d->alloc, tmp);
  return MISTRAL_OK;
}

int m_emb_decoder_end(mistral_embeddings_response **out, mistral_embeddings_decoder *d) {
  *out = NULL;
  if (d->status != MISTRAL_OK) return d->status;
  if (d->state != ST_DONE) {
    if (d->offset == 0) return bad(d, "empty body");
    return failf(d, MISTRAL_E_BAD_RESPONSE,
                 "malformed embeddings response: the JSON ends early (at byte %zu)", d->offset);
  }
  if (!d->has_data) return bad(d, "no \"data\" array");
  if (d->expected && d->rows != d->expected)
    return failf(d, MISTRAL_E_BAD_RESPONSE,
                 "malformed embeddings response: %zu embedding%s for %zu input%s", d->rows,
                 d->rows == 1 ? "" : "s", d->expected, d->expected == 1 ? "" : "s");
  if (order_rows(d) != MISTRAL_OK) return d->status;
  if (!d->expected && d->rows && d->rows < d->cap_rows) {
    unsigned char *m = m_realloc(&d->alloc, d->matrix, d->rows * d->row_bytes);
    if (m) d->matrix = m; /* a failed shrink keeps the bigger block */
  }

  m_emb_response_box *box = m_emb_box_new(&d->alloc);
  if (!box) return oom(d);
  m_arena *ar = &box->arena;
  const char *strings[3] = {NULL, NULL, NULL};
  for (int i = 0; i < CAP_COUNT; i++) {
    if (!d->cap_set[i]) continue;
    const m_jv *v;
    /* The text was checked as it arrived, by jv's rules: only memory
     * should fail here, but a failure is reported for what it is. */
    m_jv_error je;
    int jrc = m_jv_parse(&v, ar, d->capbuf[i].data, d->capbuf[i].len, &je);
    if (jrc != MISTRAL_OK) {
      m_emb_box_free(box);
      if (jrc == MISTRAL_E_NOMEM) return oom(d);
      return failf(d, MISTRAL_E_BAD_RESPONSE, "malformed embeddings response: \"%s\": %s",
                   cap_names[i], je.msg);
    }
    if (i == CAP_USAGE) {
      if (m_jv_is_object(v) && m_decode_usage(ar, v, &box->usage) != MISTRAL_OK) {
        m_emb_box_free(box);
        return oom(d);
      }
    } else {
      strings[i] = m_jv_string(v, NULL);
    }
  }
  mistral_embeddings_response *r = &box->pub;
  r->id = strings[CAP_ID];
  r->object = strings[CAP_OBJECT];
  r->model = strings[CAP_MODEL];
  r->dtype = d->dtype;
  r->rows = d->rows;
  r->cols = d->cols;
  r->row_bytes = d->row_bytes;
  if (d->rows) {
    box->matrix = d->matrix;
    r->data = d->matrix;
    d->matrix = NULL;
  }
  d->finished = 1;
  *out = r;
  return MISTRAL_OK;
}
