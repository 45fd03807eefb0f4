/* SPDX-License-Identifier: Apache-2.0 */
/* OCRResponse bodies into the public structs (see ocr_internal.h), and the
 * base64 data of extracted images back into bytes. Structure is checked
 * (objects, arrays, member types); absent or null members take their
 * documented defaults; unknown members are ignored (and kept in the raw
 * JSON). */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ocr_internal.h"
#include "core/error.h"
#include "json/jv.h"

static int oom(mistral_error *err) {
  return m_err_set(err, MISTRAL_E_NOMEM, "out of memory while decoding the response");
}

/* Where a member sits, for error messages:
 * pages[page].list[item].sub.member (page < 0: at the top level; list and
 * sub NULL when not inside one). */
typedef struct where {
  long page;
  const char *list;
  size_t item;
  const char *sub;
} where;

static int bad(mistral_error *err, const where *w, const char *name, const char *what) {
  char path[128] = "";
  size_t n = 0;
  if (w->page >= 0) n += (size_t)snprintf(path, sizeof path, "pages[%ld]", w->page);
  if (w->list && n < sizeof path)
    n += (size_t)snprintf(path + n, sizeof path - n, ".%s[%zu]", w->list, w->item);
  if (w->sub && n < sizeof path)
    n += (size_t)snprintf(path + n, sizeof path - n, "%s%s", n ? "." : "", w->sub);
  if (name && n < sizeof path) snprintf(path + n, sizeof path - n, "%s%s", n ? "." : "", name);
  return m_err_set(err, MISTRAL_E_BAD_RESPONSE, "malformed OCR response: %s is not %s", path,
                   what);
}

/* A member that must be absent, null, or of one type: *out receives it
 * (NULL when absent or null); false when it has another type. */
static bool member(const m_jv *obj, const char *key, m_jv_type type, const m_jv **out) {
  const m_jv *v = m_jv_get(obj, key);
  *out = NULL;
  if (!v || m_jv_is_null(v)) return true;
  if (!m_jv_is(v, type)) return false;
  *out = v;
  return true;
}

/* An optional string member: NULL when absent or null. Uses err and w. */
#define STRING(obj, key, dst)                                                \
  do {                                                                       \
    const m_jv *v_;                                                          \
    if (!member((obj), (key), M_JV_STRING, &v_)) return bad(err, w, (key), "a string"); \
    (dst) = m_jv_string(v_, NULL);                                           \
  } while (0)

/* An optional integer member: dflt when absent or null. */
#define INTEGER(obj, key, dst, dflt)                                          \
  do {                                                                        \
    const m_jv *v_;                                                           \
    if (!member((obj), (key), M_JV_INT, &v_)) return bad(err, w, (key), "an integer"); \
    (dst) = v_ ? m_jv_int(v_) : (dflt);                                       \
  } while (0)

static int decode_image(m_arena *ar, const m_jv *img, const where *w, mistral_ocr_image **out,
                        mistral_error *err) {
  if (!m_jv_is_object(img)) return bad(err, w, NULL, "an object");
  mistral_ocr_image *im = m_arena_calloc(ar, 1, sizeof *im);
  if (!im) return oom(err);
  STRING(img, "id", im->id);
  INTEGER(img, "top_left_x", im->top_left_x, -1);
  INTEGER(img, "top_left_y", im->top_left_y, -1);
  INTEGER(img, "bottom_right_x", im->bottom_right_x, -1);
  INTEGER(img, "bottom_right_y", im->bottom_right_y, -1);
  STRING(img, "image_base64", im->image_base64);
  STRING(img, "image_annotation", im->image_annotation);
  *out = im;
  return MISTRAL_OK;
}

static int decode_table(m_arena *ar, const m_jv *tab, const where *w, mistral_ocr_table **out,
                        mistral_error *err) {
  if (!m_jv_is_object(tab)) return bad(err, w, NULL, "an object");
  mistral_ocr_table *t = m_arena_calloc(ar, 1, sizeof *t);
  if (!t) return oom(err);
  STRING(tab, "id", t->id);
  STRING(tab, "content", t->content);
  STRING(tab, "format", t->format);
  *out = t;
  return MISTRAL_OK;
}

/* Optional JSON text of a member (NULL when absent or null). */
static int json_member(m_arena *ar, const m_jv *obj, const char *key, const char **out,
                       mistral_error *err) {
  const m_jv *v = m_jv_get(obj, key);
  *out = NULL;
  if (!v || m_jv_is_null(v)) return MISTRAL_OK;
  return (*out = m_jv_arena_compact(ar, v, NULL)) ? MISTRAL_OK : oom(err);
}

/* An optional array member of the page: its items (absent or null: none). */
static int page_list(const m_jv *pg, const char *key, const where *w, const m_jv **list,
                     size_t *n, mistral_error *err) {
  if (!member(pg, key, M_JV_ARRAY, list)) return bad(err, w, key, "an array");
  *n = m_jv_len(*list);
  return MISTRAL_OK;
}

static int decode_page(m_arena *ar, const m_jv *pg, size_t p, mistral_ocr_page **out,
                       mistral_error *err) {
  where at = {(long)p, NULL, 0, NULL};
  const where *w = &at;
  if (!m_jv_is_object(pg)) return bad(err, w, NULL, "an object");
  mistral_ocr_page *page = m_arena_calloc(ar, 1, sizeof *page);
  if (!page) return oom(err);
  INTEGER(pg, "index", page->index, (int64_t)p);
  STRING(pg, "markdown", page->markdown);
  if (!page->markdown) page->markdown = "";
  STRING(pg, "header", page->header);
  STRING(pg, "footer", page->footer);

  const m_jv *list = NULL;
  size_t n = 0;
  int rc = page_list(pg, "images", w, &list, &n, err);
  if (rc != MISTRAL_OK) return rc;
  mistral_ocr_image **images = m_arena_calloc(ar, n ? n : 1, sizeof *images);
  if (!images) return oom(err);
  for (size_t k = 0; k < n; k++) {
    where item = {(long)p, "images", k, NULL};
    if ((rc = decode_image(ar, m_jv_at(list, k), &item, &images[k], err)) != MISTRAL_OK) return rc;
  }
  page->images = (const mistral_ocr_image *const *)images;
  page->image_count = n;

  if ((rc = page_list(pg, "tables", w, &list, &n, err)) != MISTRAL_OK) return rc;
  mistral_ocr_table **tables = m_arena_calloc(ar, n ? n : 1, sizeof *tables);
  if (!tables) return oom(err);
  for (size_t k = 0; k < n; k++) {
    where item = {(long)p, "tables", k, NULL};
    if ((rc = decode_table(ar, m_jv_at(list, k), &item, &tables[k], err)) != MISTRAL_OK) return rc;
  }
  page->tables = (const mistral_ocr_table *const *)tables;
  page->table_count = n;

  if ((rc = page_list(pg, "hyperlinks", w, &list, &n, err)) != MISTRAL_OK) return rc;
  const char **links = m_arena_calloc(ar, n ? n : 1, sizeof *links);
  if (!links) return oom(err);
  for (size_t k = 0; k < n; k++) {
    where item = {(long)p, "hyperlinks", k, NULL};
    if (!(links[k] = m_jv_string(m_jv_at(list, k), NULL))) return bad(err, &item, NULL, "a string");
  }
  page->hyperlinks = links;
  page->hyperlink_count = n;

  const m_jv *dims;
  if (!member(pg, "dimensions", M_JV_OBJECT, &dims)) return bad(err, w, "dimensions", "an object");
  if (dims) {
    where in_dims = {(long)p, NULL, 0, "dimensions"};
    mistral_ocr_dimensions *d = m_arena_calloc(ar, 1, sizeof *d);
    if (!d) return oom(err);
    w = &in_dims;
    INTEGER(dims, "dpi", d->dpi, 0);
    INTEGER(dims, "height", d->height, 0);
    INTEGER(dims, "width", d->width, 0);
    page->dimensions = d;
  }
  if ((rc = json_member(ar, pg, "blocks", &page->blocks_json, err)) != MISTRAL_OK) return rc;
  if ((rc = json_member(ar, pg, "confidence_scores", &page->confidence_scores_json, err)) !=
      MISTRAL_OK)
    return rc;
  *out = page;
  return MISTRAL_OK;
}

static int decode_root(mistral_ocr_response *r, m_arena *ar, const m_jv *root,
                       mistral_error *err) {
  where top = {-1, NULL, 0, NULL};
  const where *w = &top;
  const m_jv *pages = m_jv_get(root, "pages");
  if (!m_jv_is_array(pages))
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE, "malformed OCR response: no \"pages\" array");
  STRING(root, "model", r->model);
  STRING(root, "document_annotation", r->document_annotation);

  const m_jv *u;
  if (!member(root, "usage_info", M_JV_OBJECT, &u)) return bad(err, w, "usage_info", "an object");
  mistral_ocr_usage *usage = m_arena_calloc(ar, 1, sizeof *usage);
  if (!usage) return oom(err);
  where in_usage = {-1, NULL, 0, "usage_info"};
  w = &in_usage;
  INTEGER(u, "pages_processed", usage->pages_processed, 0);
  INTEGER(u, "doc_size_bytes", usage->doc_size_bytes, -1);
  usage->json = u ? m_jv_arena_compact(ar, u, NULL) : "{}";
  if (!usage->json) return oom(err);
  r->usage_info = usage;

  size_t n = m_jv_len(pages);
  mistral_ocr_page **ps = m_arena_calloc(ar, n ? n : 1, sizeof *ps);
  if (!ps) return oom(err);
  for (size_t i = 0; i < n; i++) {
    int rc = decode_page(ar, m_jv_at(pages, i), i, &ps[i], err);
    if (rc != MISTRAL_OK) return rc;
  }
  r->pages = (const mistral_ocr_page *const *)ps;
  r->page_count = n;
  return ar->failed ? oom(err) : MISTRAL_OK;
}

int m_ocr_response_decode(mistral_ocr_response **out, const mistral_allocator *alloc,
                          const char *body, size_t len, const m_http_response *http,
                          mistral_error *err) {
  *out = NULL;
  if (len == 0)
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE, "malformed OCR response: empty body");
  m_ocr_box *box = m_arena_box_new(alloc, sizeof *box, offsetof(m_ocr_box, arena));
  if (!box) return oom(err);
  m_arena *ar = &box->arena;
  mistral_ocr_response *r = &box->pub;
  const m_jv *root = NULL;
  m_jv_error je;
  int rc = m_jv_parse(&root, ar, body, len, &je);
  if (rc == MISTRAL_E_NOMEM) {
    rc = oom(err);
  } else if (rc != MISTRAL_OK) {
    /* The message never quotes the body (it may echo the API key). */
    rc = m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                   "malformed OCR response: invalid JSON at byte %zu: %s", je.offset, je.msg);
  } else if (!m_jv_is_object(root)) {
    rc = m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                   "malformed OCR response: the body is not a JSON object");
  } else {
    rc = decode_root(r, ar, root, err);
  }
  if (rc == MISTRAL_OK) {
    const char *rid = http ? m_http_request_id(http) : NULL;
    r->raw_json_len = len;
    if (!(r->raw_json = m_arena_strndup(ar, body, len)) ||
        (rid && !(r->request_id = m_arena_strdup(ar, rid))))
      rc = oom(err);
  }
  if (rc != MISTRAL_OK) {
    m_arena_box_free(box, offsetof(m_ocr_box, arena));
    return rc;
  }
  *out = r;
  return MISTRAL_OK;
}

void mistral_ocr_response_free(mistral_ocr_response *resp) {
  if (!resp) return;
  m_arena_box_free(resp, offsetof(m_ocr_box, arena));
}

/* ---- image data ---- */

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int mistral_ocr_image_decode(unsigned char **out, size_t *len, char **mime,
                             const mistral_ocr_image *image, mistral_error *err) {
  mistral_error_clear(err);
  if (out) *out = NULL;
  if (len) *len = 0;
  if (mime) *mime = NULL;
  if (!out || !len) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out or len is NULL");
  if (!image) return m_err_set(err, MISTRAL_E_INVALID_ARG, "image is NULL");
  const char *data = image->image_base64;
  if (!data)
    return m_err_set(err, MISTRAL_E_INVALID_ARG,
                     "image %s has no data (set include_image_base64 on the request)",
                     image->id ? image->id : "(no id)");
  const char *type = NULL;
  size_t type_len = 0;
  if (strncmp(data, "data:", 5) == 0) {
    const char *comma = strchr(data, ',');
    const char *semi = strchr(data, ';');
    if (!comma || !semi || semi > comma || strncmp(semi, ";base64,", 8) != 0)
      return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                       "image %s: a data: URI without base64 data", image->id ? image->id : "");
    type = data + 5;
    type_len = (size_t)(semi - type);
    data = comma + 1;
  }
  /* Strict base64: the alphabet, '=' padding only at the end, length a
   * multiple of 4 (EVP_DecodeBlock alone would skip blanks and miscount
   * padding). */
  size_t n = strlen(data), pad = 0;
  if (n % 4 != 0) goto invalid;
  while (pad < 2 && pad < n && data[n - 1 - pad] == '=') pad++;
  for (size_t i = 0; i < n - pad; i++)
    if (b64_value((unsigned char)data[i]) < 0) goto invalid;

  size_t bytes = n / 4 * 3 - pad;
  unsigned char *buf = malloc(n / 4 * 3 + 1);
  char *m = NULL;
  if (!buf || (mime && type && !(m = malloc(type_len + 1)))) {
    free(buf);
    return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  }
  /* EVP_DecodeBlock takes an int length: decode in slices of whole
   * quantums. */
  size_t in = 0, at = 0;
  while (in < n) {
    size_t slice = n - in > ((size_t)1 << 22) ? ((size_t)1 << 22) : n - in;
    int got = EVP_DecodeBlock(buf + at, (const unsigned char *)data + in, (int)slice);
    if (got < 0) {
      free(buf);
      free(m);
      goto invalid;
    }
    at += (size_t)got;
    in += slice;
  }
  if (m) {
    memcpy(m, type, type_len);
    m[type_len] = '\0';
    *mime = m;
  }
  *out = buf;
  *len = bytes;
  return MISTRAL_OK;
invalid:
  return m_err_set(err, MISTRAL_E_BAD_RESPONSE, "image %s: invalid base64 data",
                   image->id ? image->id : "(no id)");
}
