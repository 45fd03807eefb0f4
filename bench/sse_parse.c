/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark: the SSE parser alone, from memory. Builds a stream of typical
 * Mistral chat.completion.chunk events and parses it fed four ways: whole,
 * in 16 KiB slices (network reads), one slice per event (a server flushing
 * each token) and in 61-byte slices (lines cut across feeds). Prints MB/s
 * and events/s, the median of 5 runs of each. JSON is not decoded.
 *
 *   bench_sse_parse [EVENTS]      (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mistral/mistral.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct counter {
  size_t events, data_bytes;
} counter;

static int on_event(const mistral_sse_event *ev, void *ud) {
  counter *c = ud;
  c->events++;
  c->data_bytes += ev->data_len;
  return 0;
}

enum { WHOLE, SLICES_16K, PER_EVENT, SLICES_61 };

static const char *const mode_names[] = {"whole buffer", "16 KiB slices", "one slice per event",
                                         "61-byte slices"};

/* One parse of the stream; returns seconds, or -1 on failure. */
static double run(const char *buf, size_t len, const size_t *ends, size_t n_events, int mode) {
  mistral_sse_parser *p;
  if (mistral_sse_parser_new(&p, 0) != MISTRAL_OK) return -1;
  counter c = {0, 0};
  int rc = MISTRAL_OK;
  double t0 = now_s();
  if (mode == WHOLE) {
    rc = mistral_sse_parser_feed(p, buf, len, on_event, &c);
  } else if (mode == PER_EVENT) {
    size_t off = 0;
    for (size_t i = 0; i < n_events && rc == MISTRAL_OK; i++) {
      rc = mistral_sse_parser_feed(p, buf + off, ends[i] - off, on_event, &c);
      off = ends[i];
    }
  } else {
    size_t step = mode == SLICES_16K ? 16384 : 61;
    for (size_t off = 0; off < len && rc == MISTRAL_OK; off += step)
      rc = mistral_sse_parser_feed(p, buf + off, len - off < step ? len - off : step, on_event, &c);
  }
  int partial = 1;
  if (rc == MISTRAL_OK) rc = mistral_sse_parser_finish(p, &partial);
  double t = now_s() - t0;
  mistral_sse_parser_free(p);
  if (rc != MISTRAL_OK || partial || c.events != n_events) {
    fprintf(stderr, "bench_sse_parse: parse failed (%s), %zu events of %zu\n",
            mistral_strerror(rc), c.events, n_events);
    return -1;
  }
  return t;
}

int main(int argc, char **argv) {
  long n_arg = argc > 1 ? atol(argv[1]) : 1000000;
  size_t n_events = n_arg > 0 ? (size_t)n_arg : 1000000;

  static const char *const words[] = {"The", " capital", " of", " France", " is", " Paris", ".",
                                      " It", " has", " about", " 2", ".1", " million",
                                      " inhabitants", ",", " \\\"la", " Ville", " Lumi\xc3\xa8re\\\""};
  const size_t n_words = sizeof words / sizeof *words;
  size_t cap = n_events * 256 + 64;
  char *buf = malloc(cap);
  size_t *ends = malloc(n_events * sizeof *ends);
  if (!buf || !ends) {
    fprintf(stderr, "bench_sse_parse: out of memory\n");
    return 1;
  }
  size_t len = 0;
  for (size_t i = 0; i < n_events; i++) {
    int n = snprintf(buf + len, cap - len,
                     "data: {\"id\":\"cmpl-e5cc70bb28c444948073e77776eb30ef\","
                     "\"object\":\"chat.completion.chunk\",\"created\":%lu,"
                     "\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"
                     "\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}\n\n",
                     1764230400UL + (unsigned long)(i / 50000), words[i % n_words]);
    if (n < 0 || (size_t)n >= cap - len) {
      fprintf(stderr, "bench_sse_parse: stream buffer too small\n");
      return 1;
    }
    len += (size_t)n;
    ends[i] = len;
  }

  printf("SSE parser: %zu chat.completion.chunk events, %.1f MB (%.0f bytes/event), median of 5 "
         "runs\n",
         n_events, (double)len / 1e6, (double)len / (double)n_events);
  for (int mode = WHOLE; mode <= SLICES_61; mode++) {
    double t[5];
    for (int r = 0; r < 5; r++) {
      t[r] = run(buf, len, ends, n_events, mode);
      if (t[r] < 0) return 1;
    }
    qsort(t, 5, sizeof *t, cmp_double);
    double med = t[2];
    printf("  %-20s %8.1f MB/s  %12.0f events/s  (%.3f s)\n", mode_names[mode],
           (double)len / 1e6 / med, (double)n_events / med, med);
  }
  free(buf);
  free(ends);
  return 0;
}
