/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the incremental embeddings decoder
 * (mistral_embeddings_decoder, lib/api/embeddings_decode.c): the input is
 * an EmbeddingResponse body, decoded for each of the five dtypes.
 *
 * Per dtype: the body is decoded whole (mistral_embeddings_response_parse);
 * for two dtypes the input's hash picks, it is also fed in pseudo-random
 * slices and, for one of them and short bodies, byte by byte: every way
 * must give the same status and response (strings, usage, shape, matrix
 * bytes). On success every
 * field is read and checked (usage never NULL, data NULL exactly when there
 * are no rows, row_bytes consistent with cols and the dtype, the accessors
 * agree, finite floats), the body must be JSON that jv accepts, with the
 * same id, object and model; a decode told to expect one row more fails
 * (one dtype).
 * One dtype is decoded again with an allocator that fails after a few
 * allocations: the same answer or MISTRAL_E_NOMEM, nothing leaked.
 *
 *   fuzz_embeddings -max_total_time=60 -dict=fuzz/json.dict <scratch> fuzz/corpus/embeddings
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/embeddings_internal.h"
#include "core/alloc.h"
#include "fuzz_util.h"
#include "json/jv.h"
#include "mistral/embeddings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every field of a response; the body's tree (NULL when jv rejects it). */
static void walk(const mistral_embeddings_response *r, mistral_embeddings_dtype dtype,
                 const m_jv *root) {
  FZ_CHECK(r != NULL && r->dtype == dtype);
  fz_str(r->id);
  fz_str(r->object);
  fz_str(r->model);
  fz_walk_usage(r->usage);
  fz_str(r->request_id);
  FZ_CHECK((r->data == NULL) == (r->rows == 0));
  if (r->rows) {
    switch (dtype) {
    case MISTRAL_EMBEDDINGS_DTYPE_FLOAT: FZ_CHECK(r->row_bytes == r->cols * 4); break;
    case MISTRAL_EMBEDDINGS_DTYPE_INT8:
    case MISTRAL_EMBEDDINGS_DTYPE_UINT8: FZ_CHECK(r->row_bytes == r->cols); break;
    case MISTRAL_EMBEDDINGS_DTYPE_BINARY:
    case MISTRAL_EMBEDDINGS_DTYPE_UBINARY: FZ_CHECK(r->cols == r->row_bytes * 8); break;
    }
  }
  const unsigned char *m = r->data;
  unsigned sum = 0;
  for (size_t i = 0; i < r->rows * r->row_bytes; i++) sum += m[i];
  volatile unsigned sink = sum;
  (void)sink;
  for (size_t i = 0; i < r->rows; i++)
    FZ_CHECK(mistral_embeddings_row(r, i) == m + i * r->row_bytes);
  FZ_CHECK(mistral_embeddings_row(r, r->rows) == NULL);
  int f = dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT;
  int i8 = dtype == MISTRAL_EMBEDDINGS_DTYPE_INT8 || dtype == MISTRAL_EMBEDDINGS_DTYPE_BINARY;
  FZ_CHECK((const void *)mistral_embeddings_f32(r) == (f && r->rows ? r->data : NULL));
  FZ_CHECK((const void *)mistral_embeddings_i8(r) == (i8 && r->rows ? r->data : NULL));
  FZ_CHECK((const void *)mistral_embeddings_u8(r) == (!f && !i8 && r->rows ? r->data : NULL));
  if (f) {
    const float *v = r->data;
    for (size_t i = 0; i < r->rows * r->cols; i++) FZ_CHECK(isfinite(v[i]));
  }
  /* A body the decoder accepts is JSON, and its members are jv's. */
  FZ_CHECK(root != NULL && m_jv_is_object(root));
  const char *id = m_jv_string(m_jv_get(root, "id"), NULL);
  const char *object = m_jv_string(m_jv_get(root, "object"), NULL);
  const char *model = m_jv_string(m_jv_get(root, "model"), NULL);
  FZ_CHECK(id ? r->id && strcmp(id, r->id) == 0 : r->id == NULL);
  FZ_CHECK(object ? r->object && strcmp(object, r->object) == 0 : r->object == NULL);
  FZ_CHECK(model ? r->model && strcmp(model, r->model) == 0 : r->model == NULL);
  FZ_CHECK(r->rows == m_jv_len(m_jv_get(root, "data")));
}

/* Two outcomes are the same. */
static void same(int rc_a, const mistral_error *ea, const mistral_embeddings_response *a,
                 int rc_b, const mistral_error *eb, const mistral_embeddings_response *b) {
  /* Same status; the messages may differ (see the report in
   * docs/reliability.md, "Fuzzing": a body cut inside a token or a base64
   * string may be refused for a later fault than the whole body is). */
  FZ_CHECK(rc_a == rc_b);
  if (rc_a != MISTRAL_OK) {
    FZ_CHECK(mistral_error_message(ea)[0] && mistral_error_message(eb)[0]);
    return;
  }
  FZ_CHECK(a->rows == b->rows && a->cols == b->cols && a->row_bytes == b->row_bytes);
  FZ_CHECK(a->rows == 0 || memcmp(a->data, b->data, a->rows * a->row_bytes) == 0);
  FZ_CHECK(!a->id == !b->id && (!a->id || strcmp(a->id, b->id) == 0));
  FZ_CHECK(!a->object == !b->object && (!a->object || strcmp(a->object, b->object) == 0));
  FZ_CHECK(!a->model == !b->model && (!a->model || strcmp(a->model, b->model) == 0));
  FZ_CHECK(strcmp(a->usage->json, b->usage->json) == 0);
  FZ_CHECK(a->usage->total_tokens == b->usage->total_tokens);
}

/* The body fed in slices (mode 1: pseudo-random, 2: bytes). */
static int sliced(mistral_embeddings_response **out, const char *body, size_t size,
                  mistral_embeddings_dtype dtype, size_t expected, int mode, uint64_t seed,
                  mistral_error *err) {
  mistral_embeddings_decoder *d = NULL;
  FZ_CHECK(mistral_embeddings_decoder_new(&d, dtype, expected) == MISTRAL_OK);
  int rc = MISTRAL_OK;
  size_t off = 0;
  while (off < size) {
    size_t n = size - off;
    if (mode == 1) {
      uint64_t x = fz_rng(&seed);
      size_t want = (x & 7) == 0 ? (size_t)(x >> 16) % 512 + 1 : (size_t)(x >> 16) % 16 + 1;
      if (want < n) n = want;
    } else {
      n = 1;
    }
    int frc = mistral_embeddings_decoder_feed(d, body + off, n, err);
    if (rc != MISTRAL_OK) FZ_CHECK(frc == rc); /* sticky */
    rc = frc;
    off += n;
  }
  if (rc == MISTRAL_OK) rc = mistral_embeddings_decoder_finish(out, d, err);
  else FZ_CHECK(mistral_embeddings_decoder_finish(out, d, err) == rc && *out == NULL);
  FZ_CHECK(mistral_error_code(err) == rc);
  mistral_embeddings_decoder_free(d);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *body = fz_copy(data, size, 0);
  uint64_t h = fz_hash(data, size);

  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  const m_jv *root = NULL;
  if (m_jv_parse(&root, &ar, body, size, NULL) != MISTRAL_OK) root = NULL;

  mistral_error *ew = mistral_error_new(), *es = mistral_error_new();
  FZ_CHECK(ew && es);
  int rcs[5];
  for (int dt = 0; dt < 5; dt++) {
    mistral_embeddings_dtype dtype = (mistral_embeddings_dtype)dt;
    mistral_embeddings_response *w = NULL;
    int rc = mistral_embeddings_response_parse(&w, body, size, dtype, 0, ew);
    rcs[dt] = rc;
    FZ_CHECK(rc == MISTRAL_OK || rc == MISTRAL_E_BAD_RESPONSE);
    FZ_CHECK(mistral_error_code(ew) == rc);
    if (rc == MISTRAL_OK) {
      walk(w, dtype, root);
    } else {
      FZ_CHECK(w == NULL);
      fz_walk_error(ew);
      FZ_CHECK(mistral_error_message(ew)[0] != '\0');
    }

    /* The slicings (the costly part) for two dtypes the hash picks, byte
     * by byte for one of them and short bodies only. */
    int main_dt = (int)(h % 5), other_dt = (int)((h >> 3) % 5);
    for (int mode = 1; mode <= 2; mode++) {
      if (dt != main_dt && (mode == 2 || dt != other_dt)) continue;
      if (mode == 2 && size > 1024) continue;
      /* Half the time the row count is known in advance. */
      size_t expected = w && (h >> (dt + mode)) & 1 ? w->rows : 0;
      mistral_embeddings_response *s = NULL;
      int src = sliced(&s, body, size, dtype, expected, mode, h + (uint64_t)dt, es);
      same(rc, ew, w, src, es, s);
      mistral_embeddings_response_free(s);
    }

    if (w && dt == main_dt) {
      /* One row more than there is: refused. */
      mistral_embeddings_response *x = NULL;
      FZ_CHECK(mistral_embeddings_response_parse(&x, body, size, dtype, w->rows + 1, es) ==
               MISTRAL_E_BAD_RESPONSE);
      FZ_CHECK(x == NULL);
    }
    mistral_embeddings_response_free(w);
  }

  /* Allocation failures at a point the input picks. */
  mistral_embeddings_dtype dtype = (mistral_embeddings_dtype)((h >> 8) % 5);
  fz_alloc fa;
  fz_alloc_init(&fa, (long)((h >> 12) % 12));
  mistral_embeddings_decoder *d = NULL;
  int frc = m_emb_decoder_new(&d, &fa.a, dtype, 0, 0);
  if (frc == MISTRAL_OK) {
    mistral_embeddings_response *r = NULL;
    frc = m_emb_decoder_feed(d, body, size);
    if (frc == MISTRAL_OK) frc = m_emb_decoder_end(&r, d);
    FZ_CHECK(frc == rcs[dtype] || (frc == MISTRAL_E_NOMEM && fa.failures > 0));
    if (frc == MISTRAL_OK) walk(r, dtype, root);
    mistral_embeddings_response_free(r);
    mistral_embeddings_decoder_free(d);
  } else {
    FZ_CHECK(frc == MISTRAL_E_NOMEM);
  }
  FZ_CHECK(fa.live == 0);

  mistral_error_free(ew);
  mistral_error_free(es);
  m_arena_release(&ar);
  free(body);
  return 0;
}
