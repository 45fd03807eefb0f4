/* SPDX-License-Identifier: Apache-2.0 */
/* Dot product, cosine similarity and top-k over float matrices: small and
 * exact enough (double accumulation), not a vector database. */
#include <math.h>
#include <stdlib.h>

#include "api/embeddings_internal.h"

double mistral_embeddings_dot(const float *a, const float *b, size_t n) {
  if (!a || !b) return 0.0;
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * (double)b[i];
  return s;
}

/* dot(a, q) / (|a| |q|), with |q| given; 0 when a norm is 0. */
static double cosine_with(const float *a, const float *q, double qnorm, size_t n) {
  double dot = 0.0, aa = 0.0;
  for (size_t i = 0; i < n; i++) {
    dot += (double)a[i] * (double)q[i];
    aa += (double)a[i] * (double)a[i];
  }
  if (aa == 0.0 || qnorm == 0.0) return 0.0;
  double c = dot / (sqrt(aa) * qnorm);
  return c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
}

double mistral_embeddings_cosine(const float *a, const float *b, size_t n) {
  if (!a || !b) return 0.0;
  return cosine_with(a, b, sqrt(mistral_embeddings_dot(b, b, n)), n);
}

/* Whether (sa, ra) ranks before (sb, rb): higher score, then lower row; NaN
 * after everything. */
static int better(double sa, size_t ra, double sb, size_t rb) {
  if (isnan(sa)) return isnan(sb) && ra < rb;
  if (isnan(sb)) return 1;
  return sa > sb || (sa == sb && ra < rb);
}

/* The heap keeps the k best so far with the worst at the root. */
static void sift_down(size_t *rows, double *scores, size_t n, size_t i) {
  for (;;) {
    size_t w = i, l = 2 * i + 1, r = l + 1;
    if (l < n && better(scores[w], rows[w], scores[l], rows[l])) w = l;
    if (r < n && better(scores[w], rows[w], scores[r], rows[r])) w = r;
    if (w == i) return;
    size_t tr = rows[i];
    rows[i] = rows[w];
    rows[w] = tr;
    double ts = scores[i];
    scores[i] = scores[w];
    scores[w] = ts;
    i = w;
  }
}

int mistral_embeddings_top_k(size_t *out_rows, double *out_scores, size_t k, size_t *out_count,
                             const float *matrix, size_t rows, size_t cols, const float *query,
                             mistral_embeddings_metric metric) {
  if (!out_count) return MISTRAL_E_INVALID_ARG;
  *out_count = 0;
  if ((!out_rows && k) || (!matrix && rows) || !query || cols == 0 ||
      (metric != MISTRAL_EMBEDDINGS_COSINE && metric != MISTRAL_EMBEDDINGS_DOT))
    return MISTRAL_E_INVALID_ARG;
  if (k > rows) k = rows;
  if (k == 0) return MISTRAL_OK;
  double *scores = out_scores;
  if (!scores && !(scores = malloc(k * sizeof *scores))) return MISTRAL_E_NOMEM;
  double qnorm = sqrt(mistral_embeddings_dot(query, query, cols));
  size_t n = 0;
  for (size_t r = 0; r < rows; r++) {
    const float *row = matrix + r * cols;
    double s = metric == MISTRAL_EMBEDDINGS_DOT ? mistral_embeddings_dot(row, query, cols)
                                                : cosine_with(row, query, qnorm, cols);
    if (n < k) {
      /* Fill, then heapify once full. */
      out_rows[n] = r;
      scores[n] = s;
      if (++n == k)
        for (size_t i = k / 2; i-- > 0;) sift_down(out_rows, scores, k, i);
    } else if (better(s, r, scores[0], out_rows[0])) {
      out_rows[0] = r;
      scores[0] = s;
      sift_down(out_rows, scores, k, 0);
    }
  }
  /* Heap sort: the worst goes to the end, so the array ends best first. */
  for (size_t end = k; end > 1; end--) {
    size_t tr = out_rows[0];
    out_rows[0] = out_rows[end - 1];
    out_rows[end - 1] = tr;
    double ts = scores[0];
    scores[0] = scores[end - 1];
    scores[end - 1] = ts;
    sift_down(out_rows, scores, end - 1, 0);
  }
  if (scores != out_scores) free(scores);
  *out_count = k;
  return MISTRAL_OK;
}
