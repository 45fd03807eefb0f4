/* Dot product, cosine similarity and top-k over float matrices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb_test_util.h"

#define COS MISTRAL_EMBEDDINGS_COSINE
#define DOT MISTRAL_EMBEDDINGS_DOT

static void test_dot_and_cosine(void **state) {
  (void)state;
  const float a[] = {1, 2, 3}, b[] = {4, -5, 6}, z[] = {0, 0, 0};
  assert_true(mistral_embeddings_dot(a, b, 3) == 12.0);
  assert_true(mistral_embeddings_dot(a, b, 0) == 0.0);
  assert_true(mistral_embeddings_dot(NULL, b, 3) == 0.0);
  double c = mistral_embeddings_cosine(a, b, 3);
  assert_true(fabs(c - 12.0 / (sqrt(14.0) * sqrt(77.0))) < 1e-12);
  assert_true(fabs(mistral_embeddings_cosine(a, a, 3) - 1.0) < 1e-12);
  const float na[] = {-1, -2, -3};
  assert_true(fabs(mistral_embeddings_cosine(a, na, 3) + 1.0) < 1e-12);
  /* Zero vectors and empty ones: 0, never NaN. */
  assert_true(mistral_embeddings_cosine(a, z, 3) == 0.0);
  assert_true(mistral_embeddings_cosine(z, z, 3) == 0.0);
  assert_true(mistral_embeddings_cosine(a, b, 0) == 0.0);
  assert_true(mistral_embeddings_cosine(a, NULL, 3) == 0.0);
  /* Scale does not change the cosine; it stays within [-1, 1]. */
  const float big[] = {1e30f, 2e30f, 3e30f};
  double cb = mistral_embeddings_cosine(big, a, 3);
  assert_true(cb <= 1.0 && fabs(cb - 1.0) < 1e-12);
}

static void test_top_k(void **state) {
  (void)state;
  /* Five rows of 2 floats; the query points along x. */
  const float m[] = {
      0, 1,     /* row 0: orthogonal, cos 0 */
      1, 0,     /* row 1: cos 1, dot 1 */
      2, 0,     /* row 2: cos 1 (tie with row 1), dot 2 */
      1, 1,     /* row 3: cos 0.707, dot 1 */
      -1, 0,    /* row 4: cos -1 */
  };
  const float q[] = {1, 0};
  size_t rows[5];
  double scores[5];
  size_t n = 99;
  assert_int_equal(mistral_embeddings_top_k(rows, scores, 3, &n, m, 5, 2, q, COS), MISTRAL_OK);
  assert_int_equal(n, 3);
  assert_int_equal(rows[0], 1); /* ties: lower row first */
  assert_int_equal(rows[1], 2);
  assert_int_equal(rows[2], 3);
  assert_true(fabs(scores[0] - 1.0) < 1e-12);
  assert_true(fabs(scores[2] - sqrt(0.5)) < 1e-12);
  assert_int_equal(mistral_embeddings_top_k(rows, scores, 5, &n, m, 5, 2, q, DOT), MISTRAL_OK);
  assert_int_equal(n, 5);
  static const size_t by_dot[] = {2, 1, 3, 0, 4};
  for (size_t i = 0; i < 5; i++) assert_int_equal(rows[i], by_dot[i]);
  assert_true(scores[0] == 2.0 && scores[4] == -1.0);
  /* k larger than rows: all, sorted; scores may be NULL. */
  assert_int_equal(mistral_embeddings_top_k(rows, NULL, 50, &n, m, 5, 2, q, COS), MISTRAL_OK);
  assert_int_equal(n, 5);
  assert_int_equal(rows[4], 4);
  /* k = 1. */
  assert_int_equal(mistral_embeddings_top_k(rows, scores, 1, &n, m, 5, 2, q, DOT), MISTRAL_OK);
  assert_int_equal(n, 1);
  assert_int_equal(rows[0], 2);
  /* k = 0 and no rows: nothing, fine. */
  assert_int_equal(mistral_embeddings_top_k(NULL, NULL, 0, &n, m, 5, 2, q, COS), MISTRAL_OK);
  assert_int_equal(n, 0);
  assert_int_equal(mistral_embeddings_top_k(rows, scores, 3, &n, NULL, 0, 2, q, COS), MISTRAL_OK);
  assert_int_equal(n, 0);
}

static void test_top_k_nan_and_many(void **state) {
  (void)state;
  /* NaN rows go last, whatever their place. */
  float m[] = {NAN, 1, 0.5f, 0, 1, 0};
  const float q[] = {1, 0};
  size_t rows[3];
  double scores[3];
  size_t n;
  assert_int_equal(mistral_embeddings_top_k(rows, scores, 3, &n, m, 3, 2, q, DOT), MISTRAL_OK);
  assert_int_equal(rows[0], 2);
  assert_int_equal(rows[1], 1);
  assert_int_equal(rows[2], 0);
  assert_true(isnan(scores[2]));
  /* 1000 random rows against a brute-force ranking. */
  size_t R = 1000, C = 16, K = 10;
  float *big = malloc(R * C * sizeof *big);
  float qq[16];
  double *all = malloc(R * sizeof *all);
  assert_non_null(big);
  assert_non_null(all);
  unsigned seed = 12345;
  for (size_t i = 0; i < R * C; i++) {
    seed = seed * 1103515245u + 12345u;
    big[i] = (float)((seed >> 8) % 2001) / 1000.0f - 1.0f;
  }
  for (size_t i = 0; i < C; i++) qq[i] = big[i * 7 % (R * C)];
  for (size_t r = 0; r < R; r++) all[r] = mistral_embeddings_cosine(big + r * C, qq, C);
  size_t top[10];
  double ts[10];
  assert_int_equal(mistral_embeddings_top_k(top, ts, K, &n, big, R, C, qq, COS), MISTRAL_OK);
  assert_int_equal(n, K);
  for (size_t i = 0; i < K; i++) {
    assert_true(ts[i] == all[top[i]]);
    if (i) assert_true(ts[i - 1] >= ts[i]);
    /* Nothing outside the top scores higher than the last one kept. */
  }
  for (size_t r = 0; r < R; r++) {
    int kept = 0;
    for (size_t i = 0; i < K; i++) kept |= top[i] == r;
    if (!kept) assert_true(all[r] <= ts[K - 1]);
  }
  free(big);
  free(all);
}

static void test_top_k_bad_arguments(void **state) {
  (void)state;
  const float m[] = {1, 0}, q[] = {1, 0};
  size_t rows[1], n = 7;
  assert_int_equal(mistral_embeddings_top_k(rows, NULL, 1, NULL, m, 1, 2, q, COS),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_top_k(NULL, NULL, 1, &n, m, 1, 2, q, COS),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(n, 0);
  assert_int_equal(mistral_embeddings_top_k(rows, NULL, 1, &n, NULL, 1, 2, q, COS),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_top_k(rows, NULL, 1, &n, m, 1, 2, NULL, COS),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_top_k(rows, NULL, 1, &n, m, 1, 0, q, COS),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_embeddings_top_k(rows, NULL, 1, &n, m, 1, 2, q,
                                            (mistral_embeddings_metric)2),
                   MISTRAL_E_INVALID_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dot_and_cosine),
      cmocka_unit_test(test_top_k),
      cmocka_unit_test(test_top_k_nan_and_many),
      cmocka_unit_test(test_top_k_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
