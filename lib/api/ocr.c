/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/ocr: one setter per field of OCRRequest (see
 * ../shared/spec/mistral-openapi.yaml), each checking its input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/completion.h"
#include "api/fields.h"
#include "api/ocr_internal.h"
#include "core/error.h"
#include "mistral/ocr.h"

static const char ocr_path[] = "/v1/ocr";

struct mistral_ocr_request {
  m_fields f; /* every member, model and document included */
};

#define COUNT(list) (sizeof list / sizeof *list)

/* Fields the spec types as anyOf [..., null]. */
static const char *const nullable_fields[] = {"pages",
                                              "include_image_base64",
                                              "image_limit",
                                              "image_min_size",
                                              "bbox_annotation_format",
                                              "document_annotation_format",
                                              "document_annotation_prompt",
                                              "table_format",
                                              "confidence_scores_granularity"};
static const char *const other_optional_fields[] = {"model", "document", "extract_header",
                                                    "extract_footer", "include_blocks"};

int mistral_ocr_request_new(mistral_ocr_request **out, const char *model) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  mistral_ocr_request *req = calloc(1, sizeof *req);
  if (!req) return MISTRAL_E_NOMEM;
  int rc = m_fields_init(&req->f);
  if (rc == MISTRAL_OK && model) rc = mistral_ocr_request_set_model(req, model);
  if (rc != MISTRAL_OK) {
    mistral_ocr_request_free(req);
    return rc;
  }
  *out = req;
  return MISTRAL_OK;
}

void mistral_ocr_request_free(mistral_ocr_request *req) {
  if (!req) return;
  m_fields_free(&req->f);
  free(req);
}

int mistral_ocr_request_set_model(mistral_ocr_request *req, const char *model) {
  M_FIELDS(req);
  return m_fields_put_model(f, model);
}

/* ---- the document ---- */

/* A string for a document member, or NULL with the error recorded and its
 * code in *rc. */
static json_t *doc_str(m_fields *f, const char *text, const char *field, int *rc) {
  int code = MISTRAL_OK;
  char msg[M_MSG_MAX];
  json_t *s = m_json_str(text, field, &code, msg);
  if (!s) *rc = m_fields_fail(f, code, msg);
  return s;
}

int mistral_ocr_request_set_document_url(mistral_ocr_request *req, const char *url,
                                         const char *name) {
  M_FIELDS(req);
  int rc = MISTRAL_OK;
  json_t *u = doc_str(f, url, "document.document_url", &rc);
  if (!u) return rc;
  json_t *n = NULL;
  if (name && !(n = doc_str(f, name, "document.document_name", &rc))) {
    json_decref(u);
    return rc;
  }
  json_t *doc = json_pack("{s:s,s:o}", "type", "document_url", "document_url", u);
  if (doc && n && json_object_set_new(doc, "document_name", n) != 0) {
    json_decref(doc);
    doc = NULL;
  } else if (!doc) {
    json_decref(n);
  }
  return m_fields_put_new(f, "document", doc);
}

int mistral_ocr_request_set_image_url(mistral_ocr_request *req, const char *url) {
  M_FIELDS(req);
  int rc = MISTRAL_OK;
  json_t *u = doc_str(f, url, "document.image_url", &rc);
  if (!u) return rc;
  return m_fields_put_new(f, "document",
                          json_pack("{s:s,s:o}", "type", "image_url", "image_url", u));
}

int mistral_ocr_request_set_file_id(mistral_ocr_request *req, const char *file_id) {
  M_FIELDS(req);
  int rc = MISTRAL_OK;
  json_t *id = doc_str(f, file_id, "document.file_id", &rc);
  if (!id) return rc;
  if (json_string_length(id) == 0) {
    json_decref(id);
    return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "document.file_id: must not be empty");
  }
  return m_fields_put_new(f, "document", json_pack("{s:s,s:o}", "type", "file", "file_id", id));
}

int mistral_ocr_request_set_document_file(mistral_ocr_request *req, const char *path) {
  M_FIELDS(req);
  char msg[M_MSG_MAX];
  char *uri = NULL, *name = NULL;
  m_ocr_file_kind kind = M_OCR_FILE_DOCUMENT;
  int rc = m_ocr_file_data_uri(&uri, &name, &kind, path, msg);
  if (rc != MISTRAL_OK) return m_fields_fail(f, rc, msg);
  rc = kind == M_OCR_FILE_IMAGE ? mistral_ocr_request_set_image_url(req, uri)
                                : mistral_ocr_request_set_document_url(req, uri, name);
  free(uri);
  free(name);
  return rc;
}

/* ---- options ---- */

int mistral_ocr_request_set_pages(mistral_ocr_request *req, const int64_t *pages,
                                  size_t count) {
  M_FIELDS(req);
  if (count == 0)
    return m_fields_fail(f, MISTRAL_E_INVALID_ARG,
                         "pages: the list is empty (unset the field to process every page)");
  if (!pages) return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "pages: list is NULL");
  for (size_t i = 0; i < count; i++)
    if (pages[i] < 0)
      return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "pages[%zu]: %lld is below the minimum 0",
                            i, (long long)pages[i]);
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < count; i++)
    if (json_array_append_new(arr, json_integer((json_int_t)pages[i])) != 0) {
      json_decref(arr);
      arr = NULL;
    }
  return m_fields_put_new(f, "pages", arr);
}

int mistral_ocr_request_set_pages_text(mistral_ocr_request *req, const char *pages) {
  M_FIELDS(req);
  if (!pages) return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "pages: must not be NULL");
  bool digit = false;
  for (const char *p = pages; *p; p++) {
    if (*p >= '0' && *p <= '9') {
      digit = true;
    } else if (*p != ',' && *p != '-' && *p != ' ') {
      return m_fields_failf(f, MISTRAL_E_INVALID_ARG,
                            "pages: invalid character at byte %zu (digits, ',', '-' and spaces "
                            "only, e.g. \"0,2-4\")",
                            (size_t)(p - pages));
    }
  }
  if (!digit)
    return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "pages: no page number (e.g. \"0,2-4\")");
  return m_fields_put_string(f, "pages", pages);
}

int mistral_ocr_request_set_include_image_base64(mistral_ocr_request *req, bool include) {
  M_FIELDS(req);
  return m_fields_put_new(f, "include_image_base64", json_boolean(include));
}

int mistral_ocr_request_set_image_limit(mistral_ocr_request *req, int64_t limit) {
  M_FIELDS(req);
  return m_fields_put_int(f, "image_limit", limit, 0);
}

int mistral_ocr_request_set_image_min_size(mistral_ocr_request *req, int64_t min_size) {
  M_FIELDS(req);
  return m_fields_put_int(f, "image_min_size", min_size, 0);
}

int mistral_ocr_request_set_table_format(mistral_ocr_request *req,
                                         mistral_ocr_table_format format) {
  static const char *const names[] = {"markdown", "html"};
  M_FIELDS(req);
  if ((unsigned)format >= COUNT(names))
    return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "table_format: unknown value");
  return m_fields_put_new(f, "table_format", json_string(names[format]));
}

/* {"type": "json_schema", "json_schema": {name, description, schema,
 * strict}} as member key. */
static int put_annotation_format(m_fields *f, const char *key, const char *name,
                                 const char *description, const char *schema_json,
                                 bool strict) {
  int code = MISTRAL_OK;
  char field[64], msg[M_MSG_MAX];
  snprintf(field, sizeof field, "%s.json_schema.name", key);
  json_t *n = m_json_str(name, field, &code, msg);
  if (!n) return m_fields_fail(f, code, msg);
  if (json_string_length(n) == 0) {
    json_decref(n);
    return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "%s.json_schema.name: must not be empty",
                          key);
  }
  json_t *d = NULL;
  if (description) {
    snprintf(field, sizeof field, "%s.json_schema.description", key);
    if (!(d = m_json_str(description, field, &code, msg))) {
      json_decref(n);
      return m_fields_fail(f, code, msg);
    }
  }
  snprintf(field, sizeof field, "%s.json_schema.schema", key);
  json_t *s = m_json_parse_text(schema_json, JSON_OBJECT, field, &code, msg);
  if (!s) {
    json_decref(n);
    json_decref(d);
    return m_fields_fail(f, code, msg);
  }
  /* "o*" leaves out a NULL description; pack steals the three values. */
  json_t *js = json_pack("{s:o,s:o*,s:o}", "name", n, "description", d, "schema", s);
  if (js && strict && json_object_set_new(js, "strict", json_true()) != 0) {
    json_decref(js);
    js = NULL;
  }
  if (!js) return m_fields_fail(f, MISTRAL_E_NOMEM, "out of memory");
  return m_fields_put_new(f, key, json_pack("{s:s,s:o}", "type", "json_schema", "json_schema", js));
}

int mistral_ocr_request_set_bbox_annotation_format(mistral_ocr_request *req, const char *name,
                                                   const char *description,
                                                   const char *schema_json, bool strict) {
  M_FIELDS(req);
  return put_annotation_format(f, "bbox_annotation_format", name, description, schema_json,
                               strict);
}

int mistral_ocr_request_set_document_annotation_format(mistral_ocr_request *req,
                                                       const char *name,
                                                       const char *description,
                                                       const char *schema_json, bool strict) {
  M_FIELDS(req);
  return put_annotation_format(f, "document_annotation_format", name, description,
                               schema_json, strict);
}

int mistral_ocr_request_set_document_annotation_prompt(mistral_ocr_request *req,
                                                       const char *prompt) {
  M_FIELDS(req);
  return m_fields_put_string(f, "document_annotation_prompt", prompt);
}

int mistral_ocr_request_set_extract_header(mistral_ocr_request *req, bool extract) {
  M_FIELDS(req);
  return m_fields_put_new(f, "extract_header", json_boolean(extract));
}

int mistral_ocr_request_set_extract_footer(mistral_ocr_request *req, bool extract) {
  M_FIELDS(req);
  return m_fields_put_new(f, "extract_footer", json_boolean(extract));
}

int mistral_ocr_request_set_include_blocks(mistral_ocr_request *req, bool include) {
  M_FIELDS(req);
  return m_fields_put_new(f, "include_blocks", json_boolean(include));
}

int mistral_ocr_request_set_confidence_scores_granularity(mistral_ocr_request *req,
                                                          mistral_ocr_confidence granularity) {
  static const char *const names[] = {"page", "word", "block"};
  M_FIELDS(req);
  if ((unsigned)granularity >= COUNT(names))
    return m_fields_fail(f, MISTRAL_E_INVALID_ARG,
                         "confidence_scores_granularity: unknown value");
  return m_fields_put_new(f, "confidence_scores_granularity", json_string(names[granularity]));
}

int mistral_ocr_request_set_null(mistral_ocr_request *req, const char *field) {
  M_FIELDS(req);
  return m_fields_set_null(f, field, nullable_fields, COUNT(nullable_fields));
}

int mistral_ocr_request_unset(mistral_ocr_request *req, const char *field) {
  M_FIELDS(req);
  return m_fields_unset(f, field, nullable_fields, COUNT(nullable_fields),
                        other_optional_fields, COUNT(other_optional_fields));
}

int mistral_ocr_request_set_call_options(mistral_ocr_request *req,
                                         const mistral_call_options *opts) {
  M_FIELDS(req);
  f->options = opts ? *opts : M_CALL_OPTIONS_UNSET;
  return MISTRAL_OK;
}

/* ---- serialization and the call ---- */

/* model and document first, for a readable body, then the rest in set
 * order. */
static int ocr_body(char **out, size_t *len, const mistral_ocr_request *req,
                    mistral_error *err) {
  *out = NULL;
  int rc = m_fields_check(&req->f, err);
  if (rc != MISTRAL_OK) return rc;
  json_t *model = json_object_get(req->f.obj, "model");
  json_t *doc = json_object_get(req->f.obj, "document");
  if (!json_is_string(model))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: model: not set");
  if (!json_is_object(doc))
    return m_err_set(err, MISTRAL_E_INVALID_ARG,
                     "invalid request: document: not set (a document URL, image URL, file id "
                     "or local file)");
  json_t *body = json_pack("{s:O,s:O}", "model", model, "document", doc);
  rc = MISTRAL_E_NOMEM;
  if (body && json_object_update_missing(body, req->f.obj) == 0)
    rc = m_json_dump_malloc(out, len, body);
  json_decref(body);
  if (rc != MISTRAL_OK) m_err_set(err, rc, "out of memory while serializing the request");
  return rc;
}

int mistral_ocr_request_to_json(char **out, const mistral_ocr_request *req,
                                mistral_error *err) {
  mistral_error_clear(err);
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");
  return ocr_body(out, NULL, req, err);
}

int mistral_ocr_process(mistral_ocr_response **out, mistral_client *client,
                        const mistral_ocr_request *req, mistral_error *err) {
  int rc = m_completion_check_args(out, 1, client, req, err);
  char *body = NULL;
  size_t len = 0;
  if (rc == MISTRAL_OK) rc = ocr_body(&body, &len, req, err);
  if (rc != MISTRAL_OK) return rc;
  m_http_response resp;
  rc = m_api_call(client, "POST", ocr_path, body, len, &req->f.options, &resp, err);
  free(body);
  if (rc == MISTRAL_OK) {
    rc = m_ocr_response_decode(out, &client->alloc, resp.body.data, resp.body.len, &resp, err);
    if (rc != MISTRAL_OK) m_api_mark_undecodable(client, &resp, err);
  }
  m_http_response_free(&resp);
  return rc;
}
