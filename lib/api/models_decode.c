/* SPDX-License-Identifier: Apache-2.0 */
#include "api/models_decode.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "json/jv.h"

/* ---- dates ---- */

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

int m_rfc3339_to_unix(const char *s, int64_t *out) {
  int y, mo, d, h, mi, sec;
  if (!s || strlen(s) < 20) return -1;
  if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
      digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
      s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
    return -1;
  const char *p = s + 19;
  if (*p == '.') {
    if (p[1] < '0' || p[1] > '9') return -1;
    for (p++; *p >= '0' && *p <= '9'; p++) {
    }
  }
  int64_t offset = 0;
  if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
    offset = 0;
  } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
    int oh, om;
    if (digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 23 || om > 59) return -1;
    offset = (*p == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
  } else {
    return -1;
  }
  *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  return 0;
}

/* ---- typed members ---- */

/* Decoding state: the arena, the error, and where in the body we are (for
 * messages: "data[2].capabilities"). */
typedef struct dec {
  m_arena *ar;
  mistral_error *err;
  const char *where; /* "" at the top, else "data[2]." */
} dec;

static int bad(dec *d, const char *what) {
  return m_err_set(d->err, MISTRAL_E_BAD_RESPONSE, "malformed models response: %s", what);
}

static int bad_member(dec *d, const char *key, const char *type) {
  return m_err_set(d->err, MISTRAL_E_BAD_RESPONSE,
                   "malformed models response: %s%s is not %s", d->where, key, type);
}

/* A member that is absent or null: NULL. */
static const m_jv *member(const m_jv *obj, const char *key) {
  const m_jv *v = m_jv_get(obj, key);
  return m_jv_is_null(v) ? NULL : v;
}

static int get_str(dec *d, const m_jv *obj, const char *key, const char **out) {
  const m_jv *v = member(obj, key);
  *out = NULL;
  if (!v) return MISTRAL_OK;
  if (!m_jv_is_string(v)) return bad_member(d, key, "a string");
  *out = m_jv_string(v, NULL);
  return MISTRAL_OK;
}

static int get_int(dec *d, const m_jv *obj, const char *key, int64_t *out) {
  const m_jv *v = member(obj, key);
  *out = 0;
  if (!v) return MISTRAL_OK;
  if (!m_jv_is_int(v)) return bad_member(d, key, "an integer");
  *out = m_jv_int(v);
  return MISTRAL_OK;
}

/* dflt: the value when absent or null. */
static int get_bool(dec *d, const m_jv *obj, const char *key, bool dflt, bool *out) {
  const m_jv *v = member(obj, key);
  *out = dflt;
  if (!v) return MISTRAL_OK;
  if (!m_jv_is_bool(v)) return bad_member(d, key, "a boolean");
  *out = m_jv_is_true(v);
  return MISTRAL_OK;
}

/* ---- capabilities ---- */

#define CAP(name) {#name, offsetof(mistral_model_capabilities, name)}
static const struct {
  const char *name;
  size_t offset;
} known_caps[] = {CAP(completion_chat),
                  CAP(completion_fim),
                  CAP(function_calling),
                  CAP(fine_tuning),
                  CAP(vision),
                  CAP(classification),
                  CAP(reasoning),
                  CAP(ocr),
                  CAP(moderation),
                  CAP(audio),
                  CAP(audio_transcription),
                  CAP(audio_transcription_realtime),
                  CAP(audio_speech),
                  CAP(unified_resources)};
#undef CAP

static int decode_capabilities(dec *d, const m_jv *caps, mistral_model_capabilities *out) {
  static const char *const no_names[1] = {NULL};
  out->names = no_names;
  out->json = "{}";
  if (!caps) return MISTRAL_OK;
  if (!m_jv_is_object(caps)) return bad_member(d, "capabilities", "an object");
  size_t n = m_jv_len(caps), count = 0;
  const char **names = m_arena_calloc(d->ar, n ? n : 1, sizeof *names);
  if (!names) return MISTRAL_E_NOMEM;
  for (size_t i = 0; i < n; i++) {
    const char *key = m_jv_key_at(caps, i, NULL);
    const m_jv *v = m_jv_value_at(caps, i);
    if (m_jv_is_null(v)) continue;
    if (!m_jv_is_bool(v)) {
      return m_err_set(d->err, MISTRAL_E_BAD_RESPONSE,
                       "malformed models response: %scapabilities.%s is not a boolean",
                       d->where, key);
    }
    /* A duplicate key counts once, with its last value (as m_jv_get). */
    if (m_jv_get(caps, key) != v) continue;
    for (size_t k = 0; k < sizeof known_caps / sizeof *known_caps; k++)
      if (strcmp(key, known_caps[k].name) == 0)
        *(bool *)((char *)out + known_caps[k].offset) = m_jv_is_true(v);
    if (m_jv_is_true(v)) names[count++] = key;
  }
  out->names = names;
  out->name_count = count;
  if (!(out->json = m_jv_arena_compact(d->ar, caps, NULL))) return MISTRAL_E_NOMEM;
  return MISTRAL_OK;
}

/* ---- cards ---- */

static int decode_aliases(dec *d, const m_jv *aliases, mistral_model_card *c) {
  static const char *const none[1] = {NULL};
  c->aliases = none;
  if (!aliases) return MISTRAL_OK;
  if (!m_jv_is_array(aliases)) return bad_member(d, "aliases", "an array");
  size_t n = m_jv_len(aliases);
  const char **list = m_arena_calloc(d->ar, n ? n : 1, sizeof *list);
  if (!list) return MISTRAL_E_NOMEM;
  for (size_t i = 0; i < n; i++) {
    const m_jv *a = m_jv_at(aliases, i);
    if (!m_jv_is_string(a))
      return m_err_set(d->err, MISTRAL_E_BAD_RESPONSE,
                       "malformed models response: %saliases[%zu] is not a string", d->where, i);
    list[i] = m_jv_string(a, NULL);
  }
  c->aliases = list;
  c->alias_count = n;
  return MISTRAL_OK;
}

static const struct {
  const char *name;
  mistral_model_type type;
} model_types[] = {{"base", MISTRAL_MODEL_TYPE_BASE}, {"fine-tuned", MISTRAL_MODEL_TYPE_FINE_TUNED}};

/* Decodes a card object into c (zeroed by the caller). Returns MISTRAL_OK,
 * MISTRAL_E_BAD_RESPONSE (err filled) or MISTRAL_E_NOMEM (err not filled:
 * the caller reports it). */
static int decode_card(dec *d, const m_jv *obj, m_models_kind kind, mistral_model_card *c) {
  int rc;
  if (!m_jv_is_object(obj)) {
    if (!*d->where) return bad(d, "the body is not a JSON object");
    return m_err_set(d->err, MISTRAL_E_BAD_RESPONSE,
                     "malformed models response: %.*s is not an object",
                     (int)strlen(d->where) - 1, d->where);
  }
  const m_jv *id = m_jv_get(obj, "id");
  if (!m_jv_is_string(id)) return bad_member(d, "id", "a string");
  c->id = m_jv_string(id, NULL);
  if ((rc = get_str(d, obj, "object", &c->object)) || (rc = get_int(d, obj, "created", &c->created)) ||
      (rc = get_str(d, obj, "owned_by", &c->owned_by)) ||
      (rc = get_str(d, obj, "type", &c->type_raw)) || (rc = get_str(d, obj, "name", &c->name)) ||
      (rc = get_str(d, obj, "description", &c->description)) ||
      (rc = get_int(d, obj, "max_context_length", &c->max_context_length)) ||
      (rc = get_str(d, obj, "deprecation", &c->deprecation)) ||
      (rc = get_str(d, obj, "deprecation_replacement_model", &c->deprecation_replacement_model)) ||
      (rc = get_bool(d, obj, "internal", false, &c->internal)) ||
      (rc = get_str(d, obj, "job", &c->job)) || (rc = get_str(d, obj, "root", &c->root)) ||
      (rc = get_bool(d, obj, "archived", false, &c->archived)) ||
      (rc = get_str(d, obj, "model_type", &c->model_type)) ||
      (rc = get_str(d, obj, "workspace_id", &c->workspace_id)) ||
      (rc = get_str(d, obj, "root_version", &c->root_version)))
    return rc;

  c->type = kind == M_MODELS_FT_CARD && !c->type_raw ? MISTRAL_MODEL_TYPE_FINE_TUNED
                                                      : MISTRAL_MODEL_TYPE_UNKNOWN;
  for (size_t i = 0; c->type_raw && i < sizeof model_types / sizeof *model_types; i++)
    if (strcmp(c->type_raw, model_types[i].name) == 0) c->type = model_types[i].type;

  if (c->deprecation && m_rfc3339_to_unix(c->deprecation, &c->deprecation_time) != 0)
    c->deprecation_time = 0;

  const m_jv *temp = member(obj, "default_model_temperature");
  if (temp) {
    if (!m_jv_is_number(temp)) return bad_member(d, "default_model_temperature", "a number");
    c->has_default_model_temperature = true;
    c->default_model_temperature = m_jv_number(temp);
  }

  if ((rc = decode_aliases(d, member(obj, "aliases"), c))) return rc;

  mistral_model_capabilities *caps = m_arena_calloc(d->ar, 1, sizeof *caps);
  if (!caps) return MISTRAL_E_NOMEM;
  if ((rc = decode_capabilities(d, member(obj, "capabilities"), caps))) return rc;
  c->capabilities = caps;

  const m_jv *targets = member(obj, "classifier_targets");
  if (targets) {
    if (!m_jv_is_array(targets)) return bad_member(d, "classifier_targets", "an array");
    if (!(c->classifier_targets_json = m_jv_arena_compact(d->ar, targets, NULL)))
      return MISTRAL_E_NOMEM;
  }
  if (!(c->json = m_jv_arena_compact(d->ar, obj, NULL))) return MISTRAL_E_NOMEM;
  return MISTRAL_OK;
}

static int decode_list(dec *d, const m_jv *root, mistral_model_list *l) {
  if (!m_jv_is_object(root)) return bad(d, "the body is not a JSON object");
  int rc = get_str(d, root, "object", &l->object);
  if (rc) return rc;
  const m_jv *data = m_jv_get(root, "data");
  if (!m_jv_is_array(data)) return bad(d, "no \"data\" array");
  size_t n = m_jv_len(data);
  mistral_model_card **cards = m_arena_calloc(d->ar, n ? n : 1, sizeof *cards);
  if (!cards) return MISTRAL_E_NOMEM;
  for (size_t i = 0; i < n; i++) {
    char where[40];
    snprintf(where, sizeof where, "data[%zu].", i);
    dec item = {d->ar, d->err, where};
    if (!(cards[i] = m_arena_calloc(d->ar, 1, sizeof **cards))) return MISTRAL_E_NOMEM;
    if ((rc = decode_card(&item, m_jv_at(data, i), M_MODELS_CARD, cards[i]))) return rc;
  }
  l->models = (const mistral_model_card *const *)cards;
  l->model_count = n;
  return MISTRAL_OK;
}

static int decode_result(dec *d, const m_jv *root, m_models_kind kind, mistral_model_result *r) {
  if (!m_jv_is_object(root)) return bad(d, "the body is not a JSON object");
  const m_jv *id = m_jv_get(root, "id");
  if (!m_jv_is_string(id)) return bad_member(d, "id", "a string");
  r->id = m_jv_string(id, NULL);
  int rc = get_str(d, root, "object", &r->object);
  if (rc == MISTRAL_OK && kind == M_MODELS_DELETED)
    rc = get_bool(d, root, "deleted", true, &r->deleted);
  if (rc == MISTRAL_OK && kind != M_MODELS_DELETED)
    rc = get_bool(d, root, "archived", kind == M_MODELS_ARCHIVED, &r->archived);
  return rc;
}

static int decode_root(dec *d, const m_jv *root, m_models_kind kind, m_models_box *box) {
  switch (kind) {
  case M_MODELS_LIST: return decode_list(d, root, &box->pub.list);
  case M_MODELS_CARD:
  case M_MODELS_FT_CARD: return decode_card(d, root, kind, &box->pub.card);
  case M_MODELS_DELETED:
  case M_MODELS_ARCHIVED:
  case M_MODELS_UNARCHIVED: return decode_result(d, root, kind, &box->pub.result);
  }
  return MISTRAL_E_INTERNAL;
}

/* Where the raw body and the request id go, per kind. */
static void finish(m_models_box *box, m_models_kind kind, const char *raw, size_t len,
                   const char *rid) {
  switch (kind) {
  case M_MODELS_LIST:
    box->pub.list.raw_json = raw;
    box->pub.list.raw_json_len = len;
    box->pub.list.request_id = rid;
    break;
  case M_MODELS_CARD:
  case M_MODELS_FT_CARD: box->pub.card.request_id = rid; break;
  case M_MODELS_DELETED:
  case M_MODELS_ARCHIVED:
  case M_MODELS_UNARCHIVED:
    box->pub.result.raw_json = raw;
    box->pub.result.raw_json_len = len;
    box->pub.result.request_id = rid;
    break;
  }
}

int m_models_decode(void **out, m_models_kind kind, const mistral_allocator *alloc,
                    const char *body, size_t len, const m_http_response *http,
                    mistral_error *err) {
  *out = NULL;
  if (len == 0 || !body)
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE, "malformed models response: empty body");
  m_models_box *box = m_arena_box_new(alloc, sizeof *box, offsetof(m_models_box, arena));
  if (!box) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  dec d = {&box->arena, err, ""};
  const m_jv *root;
  m_jv_error je;
  int rc = m_jv_parse(&root, &box->arena, body, len, &je);
  if (rc == MISTRAL_E_BAD_RESPONSE)
    m_err_set(err, rc, "malformed models response: invalid JSON at byte %zu: %s", je.offset,
              je.msg);
  else if (rc == MISTRAL_OK)
    rc = decode_root(&d, root, kind, box);
  if (rc == MISTRAL_OK) {
    /* The raw body is kept for lists and results; a card keeps its compact
     * JSON instead. */
    const char *raw = NULL;
    if (kind != M_MODELS_CARD && kind != M_MODELS_FT_CARD &&
        !(raw = m_arena_strndup(&box->arena, body, len)))
      rc = MISTRAL_E_NOMEM;
    const char *rid = http ? m_http_request_id(http) : NULL;
    char *rid_copy = rid ? m_arena_strdup(&box->arena, rid) : NULL;
    if (rid && !rid_copy) rc = MISTRAL_E_NOMEM;
    if (box->arena.failed) rc = MISTRAL_E_NOMEM;
    if (rc == MISTRAL_OK) finish(box, kind, raw, len, rid_copy);
  }
  if (rc == MISTRAL_E_NOMEM)
    m_err_set(err, MISTRAL_E_NOMEM, "out of memory while decoding the response");
  if (rc != MISTRAL_OK) {
    m_arena_box_free(box, offsetof(m_models_box, arena));
    return rc;
  }
  *out = box;
  return MISTRAL_OK;
}
