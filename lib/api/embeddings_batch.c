/* SPDX-License-Identifier: Apache-2.0 */
/* Embedding any number of inputs: requests of at most K inputs, one after
 * the other, each decoded as it arrives and copied into its place in one
 * matrix (so memory peaks at the matrix plus one request's rows). Failures
 * are recorded per request; the rest go on or stop, as the caller said. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/embeddings_internal.h"
#include "core/client.h"
#include "core/error.h"

/* The result lives in the stitched response's arena: freeing the response
 * frees it all. */
typedef struct m_emb_batch_box {
  mistral_embeddings_batch pub;
  m_emb_response_box *resp;
} m_emb_batch_box;

void mistral_embeddings_batch_free(mistral_embeddings_batch *batch) {
  if (!batch) return;
  m_emb_box_free(((m_emb_batch_box *)batch)->resp);
}

typedef struct stitch {
  m_emb_batch_box *box;
  mistral_embeddings_response *all; /* the stitched response */
  unsigned char *row_ok;
  mistral_embeddings_batch_failure **failures;
  int have_rows; /* a request succeeded: cols and row_bytes are set */
} stitch;

/* Copies the strings of the first successful part into the result. */
static int adopt_strings(stitch *s, const mistral_embeddings_response *part) {
  m_arena *ar = &s->box->resp->arena;
  const char *src[4] = {part->id, part->object, part->model, part->request_id};
  const char **dst[4] = {&s->all->id, &s->all->object, &s->all->model, &s->all->request_id};
  for (int i = 0; i < 4; i++)
    if (src[i] && !(*dst[i] = m_arena_strdup(ar, src[i]))) return MISTRAL_E_NOMEM;
  return MISTRAL_OK;
}

/* Puts a successful part's rows in place. On failure, err says why. */
static int take_rows(stitch *s, const mistral_embeddings_response *part, size_t first,
                     mistral_client *client, mistral_error *err) {
  mistral_embeddings_response *all = s->all;
  if (!s->have_rows) {
    size_t n = all->rows;
    if (part->row_bytes && n > SIZE_MAX / part->row_bytes)
      return m_err_set(err, MISTRAL_E_NOMEM, "out of memory (stitched matrix)");
    void *m = m_calloc(&client->alloc, n, part->row_bytes);
    if (!m) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory (stitched matrix)");
    s->box->resp->matrix = m;
    all->data = m;
    all->cols = part->cols;
    all->row_bytes = part->row_bytes;
    if (adopt_strings(s, part) != MISTRAL_OK)
      return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
    s->have_rows = 1;
  } else if (part->row_bytes != all->row_bytes) {
    return m_err_set(err, MISTRAL_E_BAD_RESPONSE,
                     "malformed embeddings response: rows of %zu bytes, earlier requests' "
                     "rows have %zu",
                     part->row_bytes, all->row_bytes);
  }
  memcpy((unsigned char *)s->box->resp->matrix + first * all->row_bytes, part->data,
         part->rows * part->row_bytes);
  memset(s->row_ok + first, 1, part->rows);
  mistral_usage *u = &s->box->resp->usage;
  u->prompt_tokens += part->usage->prompt_tokens;
  u->completion_tokens += part->usage->completion_tokens;
  u->total_tokens += part->usage->total_tokens;
  return MISTRAL_OK;
}

static int record_failure(stitch *s, size_t batch, size_t first, size_t count,
                          const mistral_error *e, int status) {
  m_arena *ar = &s->box->resp->arena;
  mistral_embeddings_batch_failure *f = m_arena_calloc(ar, 1, sizeof *f);
  if (!f) return MISTRAL_E_NOMEM;
  f->batch = batch;
  f->first_input = first;
  f->input_count = count;
  f->status = status;
  f->http_status = mistral_error_http_status(e);
  const char *msg = e ? mistral_error_message(e) : "";
  f->message = m_arena_strdup(ar, *msg ? msg : mistral_strerror(status));
  const char *rid = mistral_error_request_id(e);
  f->request_id = rid ? m_arena_strdup(ar, rid) : NULL;
  if (!f->message || (rid && !f->request_id)) return MISTRAL_E_NOMEM;
  s->failures[s->box->pub.failure_count++] = f;
  return MISTRAL_OK;
}

/* err gets e's content, its message prefixed with the batch. */
static void report_first(mistral_error *err, mistral_error *e, int status, size_t batch,
                         size_t first, size_t count) {
  if (!err) return;
  if (!e) {
    m_err_set(err, status, "batch %zu (inputs %zu..%zu): %s", batch, first, first + count - 1,
              mistral_strerror(status));
    return;
  }
  char *msg = strdup(mistral_error_message(e));
  m_err_move(err, e);
  m_err_set_message(err, "batch %zu (inputs %zu..%zu): %s", batch, first, first + count - 1,
                    msg ? msg : mistral_strerror(status));
  free(msg);
}

int mistral_embeddings_create_batched(mistral_embeddings_batch **out, mistral_client *client,
                                      const mistral_embeddings_request *req, size_t batch_size,
                                      unsigned flags, mistral_error *err) {
  mistral_error_clear(err);
  if (out) *out = NULL;
  if (!out) return m_err_set(err, MISTRAL_E_INVALID_ARG, "out is NULL");
  if (!client) return m_err_set(err, MISTRAL_E_INVALID_ARG, "client is NULL");
  if (!req) return m_err_set(err, MISTRAL_E_INVALID_ARG, "request is NULL");
  if (batch_size == 0) return m_err_set(err, MISTRAL_E_INVALID_ARG, "batch_size is 0");
  if (flags & ~(unsigned)MISTRAL_EMBEDDINGS_BATCH_CONTINUE)
    return m_err_set(err, MISTRAL_E_INVALID_ARG, "unknown flags 0x%x", flags);
  if (!client->api_key)
    return m_err_set(err, MISTRAL_E_NO_API_KEY,
                     "no API key: set MISTRAL_API_KEY or call mistral_client_set_api_key()");
  /* Whatever is wrong with the request is wrong with every part: find it
   * before sending anything. */
  char *body = NULL;
  int rc = m_emb_request_body(&body, NULL, req, 0, 0, 0, err);
  free(body);
  if (rc != MISTRAL_OK) return rc;

  size_t n = mistral_embeddings_request_input_count(req);
  size_t batches = n / batch_size + (n % batch_size != 0);
  mistral_embeddings_dtype dtype = m_emb_request_dtype(req);
  stitch s = {0};
  m_emb_response_box *resp = m_emb_box_new(&client->alloc);
  if (!resp) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  m_arena *ar = &resp->arena;
  s.box = m_arena_calloc(ar, 1, sizeof *s.box);
  s.row_ok = m_arena_calloc(ar, n, 1);
  s.failures = m_arena_calloc(ar, batches, sizeof *s.failures);
  if (!s.box || !s.row_ok || !s.failures) {
    m_emb_box_free(resp);
    return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  }
  s.box->resp = resp;
  s.all = &resp->pub;
  s.all->dtype = dtype;
  s.all->rows = n;

  int status = MISTRAL_OK;
  for (size_t b = 0; b < batches; b++) {
    size_t first = b * batch_size, count = n - first < batch_size ? n - first : batch_size;
    mistral_error *e = mistral_error_new(); /* NULL when out of memory: codes only */
    mistral_embeddings_response *part = NULL;
    size_t len = 0;
    rc = m_emb_request_body(&body, &len, req, 1, first, count, e);
    if (rc == MISTRAL_OK) {
      s.box->pub.request_count++;
      rc = m_emb_call(&part, client, body, len, dtype, count, m_emb_request_options(req), e);
      free(body);
    }
    if (rc == MISTRAL_OK) {
      rc = take_rows(&s, part, first, client, e);
      if (rc != MISTRAL_OK && e && part->request_id)
        m_err_set_field(e, M_ERR_REQUEST_ID, part->request_id, strlen(part->request_id));
    }
    mistral_embeddings_response_free(part);
    if (rc != MISTRAL_OK) {
      int rec = record_failure(&s, b, first, count, e, rc);
      if (status == MISTRAL_OK) {
        status = rc;
        report_first(err, e, rc, b, first, count);
      }
      mistral_error_free(e);
      if (rec != MISTRAL_OK) {
        mistral_embeddings_batch_free(&s.box->pub);
        return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
      }
      if (!(flags & MISTRAL_EMBEDDINGS_BATCH_CONTINUE)) break;
      continue;
    }
    mistral_error_free(e);
  }
  s.box->pub.status = status;
  s.box->pub.response = s.all;
  s.box->pub.row_ok = s.row_ok;
  s.box->pub.failures = (const mistral_embeddings_batch_failure *const *)s.failures;
  *out = &s.box->pub;
  return status;
}
