/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark: JSON decoding with jv (lib/json/jv.h) next to jansson
 * (json_loadb + json_decref) on the same documents, from memory. Prints
 * MB/s and microseconds per document (CPU time), the median of 5 runs of
 * each:
 *
 * (a) a typical chat.completion.chunk (about 200 bytes), N times: jv parse;
 *     jv parse + the typed chunk decode of the stream decoder; jansson;
 * (b) a 1000 x 1024 embeddings response (about 19 MB of floats written like
 *     the API does, -0.0123456789012345): jv (exact fast path), jv with
 *     every real through strtod, jansson;
 * (c) the same embeddings with 17-digit floats (%.17g: beyond the fast
 *     path, so every real goes through strtod): jv, jansson.
 *
 *   bench_json_decode [CHUNK_DOCS]      (default 1000000)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "json/jv.h"
#include "mistral/common.h"
#include "stream/chunk.h"

/* CPU time of this process: steadier than wall time on a busy machine (the
 * work is single-threaded and does no I/O). */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

enum { RUNS = 5 };

typedef enum { JV, JV_STRTOD, JV_CHUNK, JANSSON } way;
static const char *const way_names[] = {"jv", "jv (strtod only)", "jv + chunk decode",
                                        "jansson json_loadb"};

static volatile size_t sink; /* keeps the work observable */

/* Seconds for `reps` parses of doc one way; -1 on failure. */
static double run(const char *doc, size_t len, size_t reps, way w) {
  m_arena ar;
  m_arena_init(&ar, &mistral_default_allocator);
  double t0 = now_s();
  for (size_t i = 0; i < reps; i++) {
    if (w == JANSSON) {
      json_t *v = json_loadb(doc, len, 0, NULL);
      if (!v) return -1;
      sink += json_object_size(v);
      json_decref(v);
      continue;
    }
    m_arena_reset(&ar);
    const m_jv *v;
    if (m_jv_parse_flags(&v, &ar, doc, len, w == JV_STRTOD ? M_JV_STRTOD : 0, NULL) != MISTRAL_OK)
      return -1;
    if (w == JV_CHUNK) {
      const mistral_chat_chunk *c;
      if (m_chunk_decode(&c, &ar, v, doc, len) != MISTRAL_OK) return -1;
      sink += c->choice_count;
    } else {
      sink += m_jv_len(v);
    }
  }
  double t = now_s() - t0;
  m_arena_release(&ar);
  return t;
}

static void bench(const char *what, const char *doc, size_t len, size_t reps, const way *ways,
                  size_t n_ways) {
  printf("%s: %zu bytes x %zu\n", what, len, reps);
  double jansson = 0;
  double med[4] = {0};
  for (size_t k = 0; k < n_ways; k++) {
    double t[RUNS];
    for (int r = 0; r < RUNS; r++) {
      t[r] = run(doc, len, reps, ways[k]);
      if (t[r] < 0) {
        fprintf(stderr, "%s: %s failed\n", what, way_names[ways[k]]);
        exit(1);
      }
    }
    qsort(t, RUNS, sizeof *t, cmp_double);
    med[k] = t[RUNS / 2];
    if (ways[k] == JANSSON) jansson = med[k];
  }
  for (size_t k = 0; k < n_ways; k++) {
    double mb = (double)len * (double)reps / 1e6;
    printf("  %-20s %8.1f MB/s  %10.3f us/doc", way_names[ways[k]], mb / med[k],
           med[k] * 1e6 / (double)reps);
    if (jansson > 0 && ways[k] != JANSSON) printf("  %5.1fx jansson", jansson / med[k]);
    printf("\n");
  }
}

static uint64_t rng_state = UINT64_C(0x2545F4914F6CDD1D);
static double rnd(void) { /* uniform in [-1, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}

/* {"id":..,"object":"list","data":[{"object":"embedding","embedding":[...],
 * "index":i}...],"model":"mistral-embed","usage":{...}} */
static char *make_embeddings(size_t rows, size_t dims, int g17, size_t *len) {
  size_t cap = rows * (dims * 26 + 64) + 256, off = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  off += (size_t)snprintf(buf + off, cap - off,
                          "{\"id\":\"embd-aad6fc62b17349b192ef09225058bc45\",\"object\":\"list\","
                          "\"data\":[");
  for (size_t r = 0; r < rows; r++) {
    off += (size_t)snprintf(buf + off, cap - off, "%s{\"object\":\"embedding\",\"embedding\":[",
                            r ? "," : "");
    for (size_t d = 0; d < dims; d++)
      off += (size_t)(g17 ? snprintf(buf + off, cap - off, "%s%.17g", d ? "," : "", rnd() * 0.15)
                          : snprintf(buf + off, cap - off, "%s%.16f", d ? "," : "", rnd() * 0.15));
    off += (size_t)snprintf(buf + off, cap - off, "],\"index\":%zu}", r);
  }
  off += (size_t)snprintf(buf + off, cap - off,
                          "],\"model\":\"mistral-embed\",\"usage\":{\"prompt_tokens\":%zu,"
                          "\"total_tokens\":%zu,\"completion_tokens\":0}}",
                          rows * 12, rows * 12);
  *len = off;
  return buf;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
  if (n == 0) n = 1;

  static const char chunk[] =
      "{\"id\":\"cmpl-e5cc70bb28c444948073e77776eb30ef\",\"object\":\"chat.completion.chunk\","
      "\"created\":1764230400,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"
      "\"delta\":{\"content\":\" quick\"},\"finish_reason\":null}]}";
  const way chunk_ways[] = {JV, JV_CHUNK, JANSSON};
  bench("chat.completion.chunk", chunk, sizeof chunk - 1, n, chunk_ways, 3);

  size_t len;
  char *emb = make_embeddings(1000, 1024, 0, &len);
  if (!emb) return 1;
  const way emb_ways[] = {JV, JV_STRTOD, JANSSON};
  bench("embeddings 1000x1024, 16 decimals", emb, len, 1, emb_ways, 3);
  free(emb);

  emb = make_embeddings(1000, 1024, 1, &len);
  if (!emb) return 1;
  const way emb17_ways[] = {JV, JANSSON};
  bench("embeddings 1000x1024, %.17g", emb, len, 1, emb17_ways, 2);
  free(emb);
  return 0;
}
