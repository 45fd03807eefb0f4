/* Helpers shared by the embeddings tests (tests/embeddings/test_*.c).
 * Every helper fails the running cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_EMB_UTIL_H
#define LIBMISTRAL_TEST_EMB_UTIL_H

#include <stddef.h>

#include <jansson.h>
#include <mistral/mistral.h>

#include "fixture_server.h"

/* The API key the tests give the client and the fixture server. */
#define ET_KEY "sk-emb-test-5d1e9a"

/* Removes MISTRAL_API_KEY and MISTRAL_SERVER_URL from the environment. */
void et_clean_env(void);

/* "$MISTRAL_FIXTURES/<rel>", malloc'd. */
char *et_fixture_path(const char *rel);

/* A whole file, malloc'd and NUL-terminated (*len may be NULL). */
char *et_read_file(const char *path, size_t *len);

/* The response body of a fixture (relative path), malloc'd. */
char *et_fixture_body(const char *rel, size_t *len);

/* A fixture server with ET_KEY, nothing queued. */
fixture_server *et_server(void);

/* Queues the fixture rel, repeat times; with directives ("% chunk-bytes
 * 1\n", or "") written before it. */
void et_expect(fixture_server *fs, const char *rel, unsigned repeat);
void et_expect_with(fixture_server *fs, const char *rel, const char *directives,
                    unsigned repeat);

/* A client for fs with ET_KEY (environment ignored). */
mistral_client *et_client(const fixture_server *fs);

/* Every queued exchange served, nothing mismatched. */
void et_assert_done_at(const fixture_server *fs, const char *file, int line);
#define et_assert_done(fs) et_assert_done_at((fs), __FILE__, __LINE__)

/* Parses a JSON literal written in a test. */
json_t *et_parse_at(const char *text, const char *file, int line);
#define et_parse(text) et_parse_at((text), __FILE__, __LINE__)

/* Compares two JSON values (both stolen; numbers by value). */
void et_compare_at(json_t *got, json_t *want, const char *file, int line);
#define et_compare(got, want) et_compare_at((got), (want), __FILE__, __LINE__)

/* Asserts the request's body (mistral_embeddings_request_to_json) equals
 * the JSON literal want. */
void et_assert_body_at(const mistral_embeddings_request *req, const char *want,
                       const char *file, int line);
#define et_assert_body(req, want) et_assert_body_at((req), (want), __FILE__, __LINE__)

/* A request for model with count inputs. */
mistral_embeddings_request *et_request(const char *model, const char *const *inputs,
                                       size_t count);

/* Non-zero when needle occurs in haystack (NULL haystack: 0). */
int et_contains(const char *haystack, const char *needle);

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
