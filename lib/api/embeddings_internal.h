/* SPDX-License-Identifier: Apache-2.0 */
/* What the embeddings files share (lib/api/embeddings*.c):
 *   embeddings_request.c   the request builder (EmbeddingRequest);
 *   embeddings_decode.c    the incremental EmbeddingResponse decoder;
 *   embeddings_number.c    JSON numbers to float (the decoder's hot path);
 *   embeddings.c           the call: body out, bytes into the decoder;
 *   embeddings_batch.c     many inputs over several requests, one matrix;
 *   embeddings_similarity.c  dot, cosine, top-k. */
#ifndef MISTRAL_API_EMBEDDINGS_INTERNAL_H
#define MISTRAL_API_EMBEDDINGS_INTERNAL_H

#include <stddef.h>

#include "core/alloc.h"
#include "core/options.h"
#include "mistral/embeddings.h"

/* A response, its strings' arena and its matrix: one free call finds them
 * all from the public pointer. The box lives in its own arena; the matrix is
 * a separate allocation of the arena's allocator (it grows by realloc while
 * rows arrive). */
typedef struct m_emb_response_box {
  mistral_embeddings_response pub;
  mistral_usage usage;
  m_arena arena;
  void *matrix;
} m_emb_response_box;

/* A response box with no rows and zero usage, in a fresh arena; NULL when
 * out of memory. */
m_emb_response_box *m_emb_box_new(const mistral_allocator *alloc);
void m_emb_box_free(m_emb_response_box *box);

/* Bytes of one element of the matrix (4 for float, else 1). */
size_t m_emb_elem_size(mistral_embeddings_dtype dtype);
int m_emb_dtype_valid(int dtype);

/* ---- the request, as the call reads it ---- */

/* The body of one request: every member of req, with "input" replaced by
 * inputs [first, first + count) when slice is non-zero. *out is malloc'd.
 * Fails (filling err) on the error a setter left, a missing model or input,
 * an empty list. */
int m_emb_request_body(char **out, size_t *len, const mistral_embeddings_request *req,
                       int slice, size_t first, size_t count, mistral_error *err);
mistral_embeddings_dtype m_emb_request_dtype(const mistral_embeddings_request *req);
const struct mistral_call_options *m_emb_request_options(const mistral_embeddings_request *req);

/* ---- the call ---- */

/* POSTs body (borrowed) and decodes the answer, expecting `rows` rows. */
int m_emb_call(mistral_embeddings_response **out, mistral_client *client, const char *body,
               size_t len, mistral_embeddings_dtype dtype, size_t rows,
               const struct mistral_call_options *options, mistral_error *err);

/* ---- the decoder ---- */

/* The decoder with a client's allocator; limit (0: none) caps the body's
 * size (MISTRAL_E_TOO_LARGE beyond it). */
int m_emb_decoder_new(mistral_embeddings_decoder **out, const mistral_allocator *alloc,
                      mistral_embeddings_dtype dtype, size_t expected_rows, size_t limit);
/* Feeds bytes; returns the decoder's status (sticky). */
int m_emb_decoder_feed(mistral_embeddings_decoder *d, const char *data, size_t len);
/* The status of the decoder and the message of its error ("" when none). */
int m_emb_decoder_status(const mistral_embeddings_decoder *d);
const char *m_emb_decoder_message(const mistral_embeddings_decoder *d);
/* Non-zero once m_emb_decoder_end() handed the response over. */
int m_emb_decoder_finished(const mistral_embeddings_decoder *d);
/* Finishes: on success *out holds the response. On failure returns the
 * status and the message is in the decoder. */
int m_emb_decoder_end(mistral_embeddings_response **out, mistral_embeddings_decoder *d);

#endif
