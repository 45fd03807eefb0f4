/* Helpers shared by the embeddings tests (tests/embeddings/test_*.c); what
 * every area shares is in tests/support/test_util.h. Every helper fails the
 * running cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_EMB_UTIL_H
#define LIBMISTRAL_TEST_EMB_UTIL_H

#include <stddef.h>

#include <jansson.h>
#include <mistral/mistral.h>

#include "test_util.h"

/* The API key the tests give the client and the fixture server. */
#define ET_KEY "sk-emb-test-5d1e9a"

/* Asserts the request's body (mistral_embeddings_request_to_json) equals
 * the JSON literal want. */
void et_assert_body_at(const mistral_embeddings_request *req, const char *want,
                       const char *file, int line);
#define et_assert_body(req, want) et_assert_body_at((req), (want), __FILE__, __LINE__)

/* A request for model with count inputs. */
mistral_embeddings_request *et_request(const char *model, const char *const *inputs,
                                       size_t count);

/* The row-major float matrix of a response equals want (rows * cols). */
void et_assert_floats_at(const mistral_embeddings_response *resp, const float *want,
                         size_t rows, size_t cols, const char *file, int line);
#define et_assert_floats(resp, want, rows, cols) \
  et_assert_floats_at((resp), (want), (rows), (cols), __FILE__, __LINE__)

/* The matrix a fixture's response body stands for, read with jansson (an
 * independent decoder): rows in index order, numbers converted with
 * (float)json_number_value or kept as bytes for the 1-byte dtypes, base64
 * decoded. *rows, *row_bytes receive the shape; malloc'd. */
unsigned char *et_expected_matrix(const char *rel, mistral_embeddings_dtype dtype,
                                  size_t *rows, size_t *row_bytes);

/* Asserts resp holds exactly the matrix of fixture rel. */
void et_assert_matrix_at(const mistral_embeddings_response *resp, const char *rel,
                         const char *file, int line);
#define et_assert_matrix(resp, rel) et_assert_matrix_at((resp), (rel), __FILE__, __LINE__)

#endif
