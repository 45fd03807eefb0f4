/* SPDX-License-Identifier: Apache-2.0 */
/* ModerationResponse and ClassificationResponse bodies into the public
 * structs (see moderation_internal.h). Structure is checked (objects,
 * arrays, flag and score types); absent members take their documented
 * defaults; unknown members are ignored (and kept in the raw JSON). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_decode.h"
#include "api/moderation_internal.h"
#include "core/error.h"
#include "core/utf8.h"
#include "json/jv.h"

static int oom(mistral_error *err) {
  return m_err_set(err, MISTRAL_E_NOMEM, "out of memory while decoding the response");
}

/* Parses body into ar. what names the response in messages. The message
 * never quotes the body (it may echo the API key). */
static int parse_body(const m_jv **root, m_arena *ar, const char *body, size_t len,
                      const char *what, mistral_error *err) {
  if (len == 0) return m_err_set(err, MISTRAL_E_BAD_RESPONSE, "malformed %s response: empty body", what);
  m_jv_error je;
  int rc = m_jv_parse(root, ar, body, len, &je);
  if (rc == MISTRAL_E_NOMEM) return oom(err);
  if (rc != MISTRAL_OK)
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                     "malformed %s response: invalid JSON at byte %zu: %s", what, je.offset,
                     je.msg);
  if (!m_jv_is_object(*root))
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                     "malformed %s response: the body is not a JSON object", what);
  return MISTRAL_OK;
}

/* The raw body and the request id, copied into the arena. */
static int finish(m_arena *ar, const char **raw, size_t *raw_len, const char **request_id,
                  const char *body, size_t len, const m_http_response *http,
                  mistral_error *err) {
  if (!(*raw = m_arena_strndup(ar, body, len))) return oom(err);
  *raw_len = len;
  const char *rid = http ? m_http_request_id(http) : NULL;
  if (rid && !(*request_id = m_arena_strdup(ar, rid))) return oom(err);
  return MISTRAL_OK;
}

/* How much of a server-sent name an error message quotes: at most 64
 * bytes, never cutting a UTF-8 sequence. */
static int quote_len(const char *name) {
  size_t n = strlen(name);
  return (int)m_utf8_complete_prefix(name, n > 64 ? 64 : n);
}

static const char *str(const m_jv *obj, const char *key) {
  return m_jv_string(m_jv_get(obj, key), NULL);
}

/* ------------------------------------------------------------------------ */
/* Moderation                                                               */

/* One name seen in "categories" (from 0) or "category_scores" (from 1).
 * seq orders them: categories first, then scores, each in source order. */
typedef struct cat_entry {
  const char *name;
  size_t len;
  size_t seq;
  int from;
  const m_jv *value;
} cat_entry;

static int by_name_then_seq(const void *a, const void *b) {
  const cat_entry *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->name, y->name, n);
  if (c) return c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Merged categories keep the seq of their first mention. */
typedef struct merged_cat {
  mistral_moderation_category *cat;
  size_t seq;
} merged_cat;

static int by_seq(const void *a, const void *b) {
  const merged_cat *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int bad_mod(mistral_error *err, size_t i, const char *what, const char *name) {
  if (name)
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                     "malformed moderation response: results[%zu].%s \"%.*s\" is not a %s", i,
                     what, quote_len(name), name,
                     strcmp(what, "categories") == 0 ? "boolean" : "number");
  return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                   "malformed moderation response: results[%zu].%s is not an object", i, what);
}

/* Merges "categories" and "category_scores" by name in O(n log n): a
 * response with many names cannot make decoding quadratic. A repeated name
 * takes its last value (as m_jv_get() and jansson do). */
static int decode_mod_result(m_arena *ar, const m_jv *res, size_t index,
                             mistral_moderation_result *out, mistral_error *err) {
  const m_jv *flags = m_jv_get(res, "categories");
  const m_jv *scores = m_jv_get(res, "category_scores");
  if (m_jv_is_null(flags)) flags = NULL;
  if (m_jv_is_null(scores)) scores = NULL;
  if (flags && !m_jv_is_object(flags)) return bad_mod(err, index, "categories", NULL);
  if (scores && !m_jv_is_object(scores)) return bad_mod(err, index, "category_scores", NULL);
  size_t nf = m_jv_len(flags), ns = m_jv_len(scores), n = nf + ns;

  cat_entry *e = m_arena_calloc(ar, n ? n : 1, sizeof *e);
  if (!e) return oom(err);
  for (size_t i = 0; i < n; i++) {
    const m_jv *obj = i < nf ? flags : scores;
    size_t k = i < nf ? i : i - nf;
    e[i].name = m_jv_key_at(obj, k, &e[i].len);
    e[i].value = m_jv_value_at(obj, k);
    e[i].from = i < nf ? 0 : 1;
    e[i].seq = i;
    if (m_jv_is_null(e[i].value)) continue;
    if (e[i].from == 0 && !m_jv_is_bool(e[i].value))
      return bad_mod(err, index, "categories", e[i].name);
    if (e[i].from == 1 && !m_jv_is_number(e[i].value))
      return bad_mod(err, index, "category_scores", e[i].name);
  }
  if (n > 1) qsort(e, n, sizeof *e, by_name_then_seq);

  merged_cat *m = m_arena_calloc(ar, n ? n : 1, sizeof *m);
  if (!m) return oom(err);
  size_t count = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    mistral_moderation_category *c = m_arena_calloc(ar, 1, sizeof *c);
    if (!c) return oom(err);
    c->name = e[i].name;
    /* Within a name, entries are in seq order: the last one wins. */
    for (; j < n && e[j].len == e[i].len && memcmp(e[j].name, e[i].name, e[i].len) == 0; j++) {
      if (m_jv_is_null(e[j].value)) continue;
      if (e[j].from == 0) {
        c->has_flag = true;
        c->flagged = m_jv_is_true(e[j].value);
      } else {
        c->has_score = true;
        c->score = m_jv_number(e[j].value);
      }
    }
    if (c->flagged) out->flagged = true;
    m[count].cat = c;
    m[count].seq = e[i].seq;
    count++;
    i = j;
  }
  if (count > 1) qsort(m, count, sizeof *m, by_seq);
  mistral_moderation_category **cats = m_arena_calloc(ar, count ? count : 1, sizeof *cats);
  if (!cats) return oom(err);
  for (size_t i = 0; i < count; i++) cats[i] = m[i].cat;
  out->categories = (const mistral_moderation_category *const *)cats;
  out->category_count = count;
  if (!(out->json = m_jv_arena_compact(ar, res, NULL))) return oom(err);
  return MISTRAL_OK;
}

static int decode_usage(m_arena *ar, const m_jv *root, const mistral_usage **out,
                        mistral_error *err) {
  mistral_usage *usage = m_arena_alloc(ar, sizeof *usage);
  if (!usage || m_decode_usage(ar, m_jv_get(root, "usage"), usage) != MISTRAL_OK)
    return oom(err);
  *out = usage;
  return MISTRAL_OK;
}

static int decode_moderation(mistral_moderation_response *r, m_arena *ar, const m_jv *root,
                             mistral_error *err) {
  const m_jv *results = m_jv_get(root, "results");
  if (!m_jv_is_array(results))
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                     "malformed moderation response: no \"results\" array");
  r->id = str(root, "id");
  r->model = str(root, "model");
  int rc = decode_usage(ar, root, &r->usage, err);
  if (rc != MISTRAL_OK) return rc;
  size_t n = m_jv_len(results);
  mistral_moderation_result **rs = m_arena_calloc(ar, n ? n : 1, sizeof *rs);
  if (!rs) return oom(err);
  for (size_t i = 0; i < n; i++) {
    const m_jv *res = m_jv_at(results, i);
    if (!m_jv_is_object(res))
      return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                       "malformed moderation response: results[%zu] is not an object", i);
    if (!(rs[i] = m_arena_calloc(ar, 1, sizeof *rs[i]))) return oom(err);
    if ((rc = decode_mod_result(ar, res, i, rs[i], err)) != MISTRAL_OK) return rc;
  }
  r->results = (const mistral_moderation_result *const *)rs;
  r->result_count = n;
  return ar->failed ? oom(err) : MISTRAL_OK;
}

int m_moderation_response_decode(mistral_moderation_response **out,
                                 const mistral_allocator *alloc, const char *body, size_t len,
                                 const m_http_response *http, mistral_error *err) {
  *out = NULL;
  m_moderation_box *box = m_arena_box_new(alloc, sizeof *box, offsetof(m_moderation_box, arena));
  if (!box) return oom(err);
  mistral_moderation_response *r = &box->pub;
  const m_jv *root = NULL;
  int rc = parse_body(&root, &box->arena, body, len, "moderation", err);
  if (rc == MISTRAL_OK) rc = decode_moderation(r, &box->arena, root, err);
  if (rc == MISTRAL_OK)
    rc = finish(&box->arena, &r->raw_json, &r->raw_json_len, &r->request_id, body, len, http,
                err);
  if (rc != MISTRAL_OK) {
    m_arena_box_free(box, offsetof(m_moderation_box, arena));
    return rc;
  }
  *out = r;
  return MISTRAL_OK;
}

void mistral_moderation_response_free(mistral_moderation_response *resp) {
  if (!resp) return;
  m_arena_box_free(resp, offsetof(m_moderation_box, arena));
}

const mistral_moderation_category *mistral_moderation_result_category(
    const mistral_moderation_result *result, const char *name) {
  if (!result || !name) return NULL;
  for (size_t i = 0; i < result->category_count; i++)
    if (strcmp(result->categories[i]->name, name) == 0) return result->categories[i];
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Classification                                                           */

/* "results[i].<name><what> is not an object". */
static int bad_cls_object(mistral_error *err, size_t i, const char *name, const char *what) {
  return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                   "malformed classification response: results[%zu].%.*s%s is not an object",
                   i, quote_len(name), name, what);
}

static int bad_cls_score(mistral_error *err, size_t i, const char *name, const char *label) {
  return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                   "malformed classification response: results[%zu].%.*s.scores.%.*s is not a "
                   "number",
                   i, quote_len(name), name, quote_len(label), label);
}

static int decode_target(m_arena *ar, const char *name, const m_jv *t, size_t index,
                         mistral_classification_target *out, mistral_error *err) {
  if (!m_jv_is_object(t)) return bad_cls_object(err, index, name, "");
  out->name = name;
  const m_jv *scores = m_jv_get(t, "scores");
  if (m_jv_is_null(scores)) scores = NULL;
  if (scores && !m_jv_is_object(scores)) return bad_cls_object(err, index, name, ".scores");
  size_t n = m_jv_len(scores);
  mistral_classification_score **ss = m_arena_calloc(ar, n ? n : 1, sizeof *ss);
  if (!ss) return oom(err);
  for (size_t i = 0; i < n; i++) {
    const char *label = m_jv_key_at(scores, i, NULL);
    const m_jv *v = m_jv_value_at(scores, i);
    if (!m_jv_is_number(v)) return bad_cls_score(err, index, name, label);
    if (!(ss[i] = m_arena_alloc(ar, sizeof *ss[i]))) return oom(err);
    ss[i]->label = label;
    ss[i]->score = m_jv_number(v);
  }
  out->scores = (const mistral_classification_score *const *)ss;
  out->score_count = n;
  if (!(out->json = m_jv_arena_compact(ar, t, NULL))) return oom(err);
  return MISTRAL_OK;
}

static int decode_classification(mistral_classification_response *r, m_arena *ar,
                                 const m_jv *root, mistral_error *err) {
  const m_jv *results = m_jv_get(root, "results");
  if (!m_jv_is_array(results))
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                     "malformed classification response: no \"results\" array");
  r->id = str(root, "id");
  r->model = str(root, "model");
  int rc = decode_usage(ar, root, &r->usage, err);
  if (rc != MISTRAL_OK) return rc;
  size_t n = m_jv_len(results);
  mistral_classification_result **rs = m_arena_calloc(ar, n ? n : 1, sizeof *rs);
  if (!rs) return oom(err);
  for (size_t i = 0; i < n; i++) {
    const m_jv *res = m_jv_at(results, i);
    if (!m_jv_is_object(res))
      return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                       "malformed classification response: results[%zu] is not an object", i);
    mistral_classification_result *out = m_arena_calloc(ar, 1, sizeof *out);
    size_t nt = m_jv_len(res);
    mistral_classification_target **ts = m_arena_calloc(ar, nt ? nt : 1, sizeof *ts);
    if (!out || !ts) return oom(err);
    for (size_t k = 0; k < nt; k++) {
      if (!(ts[k] = m_arena_calloc(ar, 1, sizeof *ts[k]))) return oom(err);
      rc = decode_target(ar, m_jv_key_at(res, k, NULL), m_jv_value_at(res, k), i, ts[k], err);
      if (rc != MISTRAL_OK) return rc;
    }
    out->targets = (const mistral_classification_target *const *)ts;
    out->target_count = nt;
    if (!(out->json = m_jv_arena_compact(ar, res, NULL))) return oom(err);
    rs[i] = out;
  }
  r->results = (const mistral_classification_result *const *)rs;
  r->result_count = n;
  return ar->failed ? oom(err) : MISTRAL_OK;
}

int m_classification_response_decode(mistral_classification_response **out,
                                     const mistral_allocator *alloc, const char *body,
                                     size_t len, const m_http_response *http,
                                     mistral_error *err) {
  *out = NULL;
  m_classification_box *box =
      m_arena_box_new(alloc, sizeof *box, offsetof(m_classification_box, arena));
  if (!box) return oom(err);
  mistral_classification_response *r = &box->pub;
  const m_jv *root = NULL;
  int rc = parse_body(&root, &box->arena, body, len, "classification", err);
  if (rc == MISTRAL_OK) rc = decode_classification(r, &box->arena, root, err);
  if (rc == MISTRAL_OK)
    rc = finish(&box->arena, &r->raw_json, &r->raw_json_len, &r->request_id, body, len, http,
                err);
  if (rc != MISTRAL_OK) {
    m_arena_box_free(box, offsetof(m_classification_box, arena));
    return rc;
  }
  *out = r;
  return MISTRAL_OK;
}

void mistral_classification_response_free(mistral_classification_response *resp) {
  if (!resp) return;
  m_arena_box_free(resp, offsetof(m_classification_box, arena));
}

const mistral_classification_target *mistral_classification_result_target(
    const mistral_classification_result *result, const char *name) {
  if (!result || !name) return NULL;
  for (size_t i = result->target_count; i-- > 0;)
    if (strcmp(result->targets[i]->name, name) == 0) return result->targets[i];
  return NULL;
}

const mistral_classification_score *mistral_classification_target_score(
    const mistral_classification_target *target, const char *label) {
  if (!target || !label) return NULL;
  for (size_t i = target->score_count; i-- > 0;)
    if (strcmp(target->scores[i]->label, label) == 0) return target->scores[i];
  return NULL;
}

const mistral_classification_score *mistral_classification_target_top(
    const mistral_classification_target *target) {
  if (!target || target->score_count == 0) return NULL;
  const mistral_classification_score *best = target->scores[0];
  for (size_t i = 1; i < target->score_count; i++)
    if (target->scores[i]->score > best->score) best = target->scores[i];
  return best;
}
