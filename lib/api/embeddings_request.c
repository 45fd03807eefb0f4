/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/embeddings, the request: one setter per field of
 * EmbeddingRequest, on the shared field store (api/fields.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/embeddings_internal.h"
#include "api/fields.h"
#include "core/error.h"

struct mistral_embeddings_request {
  m_fields f; /* every member, model and input included */
};

#define COUNT(list) (sizeof list / sizeof *list)

/* Fields the spec types as anyOf [..., null]. */
static const char *const nullable_fields[] = {"output_dimension", "metadata"};
static const char *const other_optional_fields[] = {"model", "input", "output_dtype",
                                                    "encoding_format"};

static const char *const dtype_names[] = {"float", "int8", "uint8", "binary", "ubinary"};

const char *mistral_embeddings_dtype_name(mistral_embeddings_dtype dtype) {
  return m_emb_dtype_valid((int)dtype) ? dtype_names[dtype] : NULL;
}

int mistral_embeddings_dtype_from_name(mistral_embeddings_dtype *out, const char *name) {
  if (!out || !name) return MISTRAL_E_INVALID_ARG;
  for (size_t i = 0; i < COUNT(dtype_names); i++)
    if (strcmp(name, dtype_names[i]) == 0) {
      *out = (mistral_embeddings_dtype)i;
      return MISTRAL_OK;
    }
  return MISTRAL_E_INVALID_ARG;
}

int mistral_embeddings_request_new(mistral_embeddings_request **out, const char *model) {
  if (!out) return MISTRAL_E_INVALID_ARG;
  *out = NULL;
  mistral_embeddings_request *req = calloc(1, sizeof *req);
  if (!req) return MISTRAL_E_NOMEM;
  int rc = m_fields_init(&req->f);
  if (rc == MISTRAL_OK && model) rc = mistral_embeddings_request_set_model(req, model);
  if (rc != MISTRAL_OK) {
    mistral_embeddings_request_free(req);
    return rc;
  }
  *out = req;
  return MISTRAL_OK;
}

void mistral_embeddings_request_free(mistral_embeddings_request *req) {
  if (!req) return;
  m_fields_free(&req->f);
  free(req);
}

int mistral_embeddings_request_set_model(mistral_embeddings_request *req, const char *model) {
  M_FIELDS(req);
  return m_fields_put_model(f, model);
}

int mistral_embeddings_request_set_input(mistral_embeddings_request *req, const char *text) {
  M_FIELDS(req);
  return m_fields_put_string(f, "input", text);
}

int mistral_embeddings_request_set_inputs(mistral_embeddings_request *req,
                                          const char *const *texts, size_t count) {
  M_FIELDS(req);
  if (count && !texts) return m_fields_fail(f, MISTRAL_E_INVALID_ARG, "input: list is NULL");
  json_t *arr = json_array();
  if (!arr) return m_fields_fail(f, MISTRAL_E_NOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    int code = MISTRAL_OK;
    char msg[M_MSG_MAX], field[48];
    snprintf(field, sizeof field, "input[%zu]", i);
    json_t *s = m_json_str(texts[i], field, &code, msg);
    if (!s || json_array_append_new(arr, s) != 0) {
      json_decref(arr);
      return m_fields_fail(f, s ? MISTRAL_E_NOMEM : code, s ? "out of memory" : msg);
    }
  }
  return m_fields_put_new(f, "input", arr);
}

size_t mistral_embeddings_request_input_count(const mistral_embeddings_request *req) {
  if (!req) return 0;
  const json_t *in = json_object_get(req->f.obj, "input");
  return json_is_string(in) ? 1 : json_is_array(in) ? json_array_size(in) : 0;
}

int mistral_embeddings_request_set_output_dimension(mistral_embeddings_request *req,
                                                    int64_t dimension) {
  M_FIELDS(req);
  return m_fields_put_int(f, "output_dimension", dimension, 1);
}

int mistral_embeddings_request_set_output_dtype(mistral_embeddings_request *req,
                                                mistral_embeddings_dtype dtype) {
  M_FIELDS(req);
  if (!m_emb_dtype_valid((int)dtype))
    return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "output_dtype: %d is not a dtype", (int)dtype);
  return m_fields_put_string(f, "output_dtype", dtype_names[dtype]);
}

int mistral_embeddings_request_set_encoding_format(mistral_embeddings_request *req,
                                                   mistral_embeddings_encoding encoding) {
  M_FIELDS(req);
  if (encoding != MISTRAL_EMBEDDINGS_ENCODING_FLOAT &&
      encoding != MISTRAL_EMBEDDINGS_ENCODING_BASE64)
    return m_fields_failf(f, MISTRAL_E_INVALID_ARG, "encoding_format: %d is not an encoding",
                          (int)encoding);
  return m_fields_put_string(f, "encoding_format",
                             encoding == MISTRAL_EMBEDDINGS_ENCODING_FLOAT ? "float" : "base64");
}

int mistral_embeddings_request_set_metadata_json(mistral_embeddings_request *req,
                                                 const char *json_object) {
  M_FIELDS(req);
  return m_fields_put_json_text(f, "metadata", json_object, JSON_OBJECT);
}

int mistral_embeddings_request_set_null(mistral_embeddings_request *req, const char *field) {
  M_FIELDS(req);
  return m_fields_set_null(f, field, nullable_fields, COUNT(nullable_fields));
}

int mistral_embeddings_request_unset(mistral_embeddings_request *req, const char *field) {
  M_FIELDS(req);
  return m_fields_unset(f, field, nullable_fields, COUNT(nullable_fields),
                        other_optional_fields, COUNT(other_optional_fields));
}

int mistral_embeddings_request_set_call_options(mistral_embeddings_request *req,
                                                const mistral_call_options *opts) {
  M_FIELDS(req);
  f->options = opts ? *opts : M_CALL_OPTIONS_UNSET;
  return MISTRAL_OK;
}

mistral_embeddings_dtype m_emb_request_dtype(const mistral_embeddings_request *req) {
  mistral_embeddings_dtype dtype = MISTRAL_EMBEDDINGS_DTYPE_FLOAT;
  const char *name = json_string_value(json_object_get(req->f.obj, "output_dtype"));
  if (name) mistral_embeddings_dtype_from_name(&dtype, name);
  return dtype;
}

const struct mistral_call_options *m_emb_request_options(const mistral_embeddings_request *req) {
  return &req->f.options;
}

/* model and input first, for a readable body, then the rest in set order. */
int m_emb_request_body(char **out, size_t *len, const mistral_embeddings_request *req,
                       int slice, size_t first, size_t count, mistral_error *err) {
  *out = NULL;
  int rc = m_fields_check(&req->f, err);
  if (rc != MISTRAL_OK) return rc;
  json_t *model = json_object_get(req->f.obj, "model");
  json_t *input = json_object_get(req->f.obj, "input");
  if (!json_is_string(model))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: model: not set");
  if (!json_is_string(input) && !json_is_array(input))
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: input: not set");
  if (json_is_array(input) && json_array_size(input) == 0)
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "invalid request: input: the list is empty");
  json_t *body = json_object(), *part = NULL;
  rc = MISTRAL_E_NOMEM;
  if (!body) goto done;
  if (slice && json_is_array(input)) {
    if (!(part = json_array())) goto done;
    for (size_t i = first; i < first + count; i++)
      if (json_array_append(part, json_array_get(input, i)) != 0) goto done;
  }
  if (json_object_set(body, "model", model) == 0 &&
      json_object_set(body, "input", part ? part : input) == 0 &&
      json_object_update_missing(body, req->f.obj) == 0)
    rc = m_json_dump_malloc(out, len, body);
done:
  json_decref(part);
  json_decref(body);
  if (rc != MISTRAL_OK) m_err_set(err, rc, "out of memory while serializing the request");
  return rc;
}

int mistral_embeddings_request_to_json(char **out, const mistral_embeddings_request *req,
                                       mistral_error *err) {
  mistral_error_clear(err);
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  *out = NULL;
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");
  return m_emb_request_body(out, NULL, req, 0, 0, 0, err);
}
