/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmarks for embeddings decoding, figures on stdout:
 *
 * (a) decode from memory: a ROWS x COLS float EmbeddingResponse (about
 *     19 MB of JSON for 1000 x 1024) into the matrix, fed to the decoder in
 *     16 KiB pieces as libcurl hands them over; and the same vectors as
 *     base64. MB/s and ms per call, median of 5 (and the best).
 * (b) end to end over loopback: mistral_embeddings_create() against a
 *     fixture server in a child process (request out, body in, matrix
 *     built), float JSON and base64. Wall ms per call and MB/s (median of
 *     5 after one warm-up call, and the best), client CPU ms (median).
 * (c) peak RSS growth during one end-to-end call, in a fresh child process
 *     (VmHWM after a reset through /proc/self/clear_refs), next to the size
 *     of the matrix and of the body.
 *
 * Anchor (docs/performance.md): the official TypeScript client takes about
 * 316 ms for the 1000 x 1024 float call over loopback.
 *
 *   bench_embeddings [ROWS] [COLS]     defaults: 1000 1024
 */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture_server.h"
#include "mistral/mistral.h"

#define RUNS 5
#define PIECE 16384

static double now_s(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts t: t[0] is then the best, t[n / 2] the median. */
static double median(double *t, size_t n) {
  qsort(t, n, sizeof *t, cmp_double);
  return t[n / 2];
}

/* A deterministic normal-ish value (sd about 0.031, like a unit vector of
 * 1024 values) rounded to half precision, as the API's values are (e.g.
 * -0.016632080078125, 0.01309967041015625): 11 significant bits. */
static uint64_t rng_state = 0x2545F4914F6CDD1Du;
static double value(void) {
  double s = 0;
  for (int i = 0; i < 4; i++) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    s += (double)(rng_state >> 11) / 9007199254740992.0 - 0.5;
  }
  s *= 0.054;
  if (s == 0) return 0;
  double ulp = ldexp(1.0, (int)floor(log2(fabs(s))) - 10);
  return round(s / ulp) * ulp;
}

static float *make_matrix(size_t rows, size_t cols) {
  float *m = malloc(rows * cols * sizeof *m);
  if (!m) exit(1);
  for (size_t i = 0; i < rows * cols; i++) m[i] = (float)value();
  return m;
}

static const char b64abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64(const unsigned char *in, size_t len, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    unsigned x = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
                 (i + 2 < len ? in[i + 2] : 0);
    out[o++] = b64abc[x >> 18 & 63];
    out[o++] = b64abc[x >> 12 & 63];
    out[o++] = i + 1 < len ? b64abc[x >> 6 & 63] : '=';
    out[o++] = i + 2 < len ? b64abc[x & 63] : '=';
  }
  return o;
}

/* The body the API sends for m: compact JSON, the vectors as arrays of
 * numbers or as base64 strings of their little-endian float32 bytes. */
static char *make_body(const float *m, size_t rows, size_t cols, int base64, size_t *len) {
  size_t cap = rows * (base64 ? cols * 6 + 128 : cols * 26 + 128) + 512, off = 0;
  char *buf = malloc(cap);
  unsigned char *raw = malloc(cols * 4);
  if (!buf || !raw) exit(1);
  off += (size_t)snprintf(buf + off, cap - off,
                          "{\"id\":\"6a1e0d2c9b8f4e7a8d3c2b1a0f9e8d7c\",\"object\":\"list\","
                          "\"data\":[");
  for (size_t r = 0; r < rows; r++) {
    off += (size_t)snprintf(buf + off, cap - off, "%s{\"object\":\"embedding\",\"embedding\":",
                            r ? "," : "");
    const float *row = m + r * cols;
    if (base64) {
      for (size_t k = 0; k < cols; k++) {
        uint32_t u;
        memcpy(&u, &row[k], 4);
        for (int b = 0; b < 4; b++) raw[4 * k + (size_t)b] = (unsigned char)(u >> (8 * b));
      }
      buf[off++] = '"';
      off += b64(raw, cols * 4, buf + off);
      buf[off++] = '"';
    } else {
      buf[off++] = '[';
      for (size_t k = 0; k < cols; k++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%.17g", k ? "," : "", (double)row[k]);
      buf[off++] = ']';
    }
    off += (size_t)snprintf(buf + off, cap - off, ",\"index\":%zu}", r);
  }
  off += (size_t)snprintf(buf + off, cap - off,
                          "],\"model\":\"mistral-embed\",\"usage\":{\"prompt_tokens\":%zu,"
                          "\"total_tokens\":%zu,\"completion_tokens\":0}}",
                          rows * 9, rows * 9);
  free(raw);
  *len = off;
  return buf;
}

static void check(const mistral_embeddings_response *r, const float *want, size_t rows,
                  size_t cols, const char *what) {
  if (!r || r->rows != rows || r->cols != cols ||
      memcmp(mistral_embeddings_f32(r), want, rows * cols * sizeof(float)) != 0) {
    fprintf(stderr, "%s: wrong matrix\n", what);
    exit(1);
  }
}

static void bench_memory(const char *what, const char *body, size_t len, const float *want,
                         size_t rows, size_t cols) {
  double t[RUNS];
  for (int k = 0; k < RUNS; k++) {
    double t0 = now_s(CLOCK_MONOTONIC);
    mistral_embeddings_decoder *d = NULL;
    mistral_embeddings_response *r = NULL;
    int rc = mistral_embeddings_decoder_new(&d, MISTRAL_EMBEDDINGS_DTYPE_FLOAT, rows);
    for (size_t off = 0; rc == MISTRAL_OK && off < len; off += PIECE)
      rc = mistral_embeddings_decoder_feed(d, body + off, len - off < PIECE ? len - off : PIECE,
                                           NULL);
    if (rc == MISTRAL_OK) rc = mistral_embeddings_decoder_finish(&r, d, NULL);
    t[k] = now_s(CLOCK_MONOTONIC) - t0;
    if (rc != MISTRAL_OK) {
      fprintf(stderr, "%s: decode failed (%d)\n", what, rc);
      exit(1);
    }
    check(r, want, rows, cols, what);
    mistral_embeddings_response_free(r);
    mistral_embeddings_decoder_free(d);
  }
  double m = median(t, RUNS);
  printf("decode from memory, %-11s %zu x %zu, %6.1f MB: %7.2f ms/call, %6.0f MB/s (best "
         "%.2f ms)\n",
         what, rows, cols, (double)len / 1e6, m * 1e3, (double)len / 1e6 / m, t[0] * 1e3);
}

/* The fixture text: the request the client sends, the body as the answer. */
static char *make_fixture(size_t rows, int base64, const char *body, size_t len) {
  size_t cap = len + rows * 32 + 1024, off = 0;
  char *fx = malloc(cap);
  if (!fx) exit(1);
  off += (size_t)snprintf(fx + off, cap - off,
                          "=== request\nPOST /v1/embeddings\n\n{\"model\":\"mistral-embed\","
                          "\"input\":[");
  for (size_t i = 0; i < rows; i++)
    off += (size_t)snprintf(fx + off, cap - off, "%s\"document %zu\"", i ? "," : "", i);
  off += (size_t)snprintf(fx + off, cap - off,
                          "]%s}\n=== response\nHTTP/1.1 200 OK\ncontent-type: "
                          "application/json\n\n",
                          base64 ? ",\"encoding_format\":\"base64\"" : "");
  memcpy(fx + off, body, len);
  off += len;
  fx[off++] = '\n';
  fx[off] = '\0';
  return fx;
}

/* A fixture server in a child process serving fx `repeat` times; returns
 * its pid and writes its URL. */
static pid_t serve(const char *fx, unsigned repeat, char *url, size_t url_len) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid != 0) {
    close(fds[1]);
    ssize_t got = read(fds[0], url, url_len - 1);
    close(fds[0]);
    if (got <= 0) return -1;
    url[got] = '\0';
    return pid;
  }
  close(fds[0]);
  fixture_server *fs = fixture_server_start("bench-key");
  if (!fs || fixture_server_expect_text(fs, fx, repeat) != 0) _exit(1);
  const char *u = fixture_server_url(fs);
  if (write(fds[1], u, strlen(u)) < 0) _exit(1);
  close(fds[1]);
  pause(); /* until the parent kills us */
  _exit(0);
}

static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0 && sscanf(line + n, " %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

static int reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f) return -1;
  int ok = fputs("5", f) >= 0;
  fclose(f);
  return ok ? 0 : -1;
}

typedef struct e2e {
  pid_t server;
  mistral_client *client;
  mistral_embeddings_request *req;
  char **texts;
  size_t rows;
  mistral_error *err;
} e2e;

/* A server serving the body `repeat` times, a client, the request. */
static void e2e_open(e2e *x, int base64, const char *body, size_t len, size_t rows,
                     unsigned repeat) {
  char *fx = make_fixture(rows, base64, body, len);
  char url[128];
  x->server = serve(fx, repeat, url, sizeof url);
  free(fx);
  if (x->server < 0) exit(1);
  mistral_client_new(&x->client);
  mistral_client_set_api_key(x->client, "bench-key");
  mistral_client_set_server_url(x->client, url);
  x->rows = rows;
  x->texts = malloc(rows * sizeof *x->texts);
  if (!x->texts) exit(1);
  for (size_t i = 0; i < rows; i++) {
    x->texts[i] = malloc(32);
    if (!x->texts[i]) exit(1);
    snprintf(x->texts[i], 32, "document %zu", i);
  }
  mistral_embeddings_request_new(&x->req, "mistral-embed");
  mistral_embeddings_request_set_inputs(x->req, (const char *const *)x->texts, rows);
  if (base64)
    mistral_embeddings_request_set_encoding_format(x->req, MISTRAL_EMBEDDINGS_ENCODING_BASE64);
  x->err = mistral_error_new();
}

static void e2e_close(e2e *x) {
  mistral_error_free(x->err);
  mistral_embeddings_request_free(x->req);
  for (size_t i = 0; i < x->rows; i++) free(x->texts[i]);
  free(x->texts);
  mistral_client_free(x->client);
  kill(x->server, SIGTERM);
  waitpid(x->server, NULL, 0);
}

static void bench_e2e(const char *what, int base64, const char *body, size_t len,
                      const float *want, size_t rows, size_t cols) {
  e2e x;
  e2e_open(&x, base64, body, len, rows, RUNS + 1);
  mistral_client *c = x.client;
  mistral_embeddings_request *req = x.req;
  mistral_error *err = x.err;

  double wall[RUNS], cpu[RUNS];
  for (int k = -1; k < RUNS; k++) { /* k = -1: warm-up (connection, allocator) */
    mistral_embeddings_response *r = NULL;
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    int rc = mistral_embeddings_create(&r, c, req, err);
    double w = now_s(CLOCK_MONOTONIC) - w0, cp = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (rc != MISTRAL_OK) {
      fprintf(stderr, "%s e2e: %s\n", what, mistral_error_message(err));
      exit(1);
    }
    check(r, want, rows, cols, what);
    mistral_embeddings_response_free(r);
    if (k >= 0) {
      wall[k] = w;
      cpu[k] = cp;
    }
  }
  double mw = median(wall, RUNS), mc = median(cpu, RUNS);
  printf("end to end over loopback, %-11s %6.1f MB: %7.2f ms/call (%6.0f MB/s), client CPU "
         "%7.2f ms (best %.2f ms)\n",
         what, (double)len / 1e6, mw * 1e3, (double)len / 1e6 / mw, mc * 1e3, wall[0] * 1e3);

  e2e_close(&x);
}

/* Peak RSS growth of one call, in a fresh child process (so that no memory
 * freed by earlier calls is reused unseen): RSS before the call, VmHWM
 * (reset through /proc/self/clear_refs) with the response still held. */
static void bench_rss(const char *what, int base64, const char *body, size_t len, size_t rows,
                      size_t cols) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) exit(1);
  if (pid == 0) {
    e2e x;
    e2e_open(&x, base64, body, len, rows, 1);
    long before = status_kb("VmRSS:");
    int have_reset = reset_peak_rss() == 0;
    mistral_embeddings_response *r = NULL;
    if (mistral_embeddings_create(&r, x.client, x.req, x.err) != MISTRAL_OK) _exit(1);
    long peak = status_kb("VmHWM:");
    printf("peak RSS growth of one call (first), %-11s %6ld kB%s: matrix %zu kB, body %zu kB\n",
           what, peak - before, have_reset ? "" : " (process peak: not resettable)",
           rows * cols * 4 / 1024, len / 1024);
    fflush(stdout);
    mistral_embeddings_response_free(r);
    e2e_close(&x);
    _exit(0);
  }
  int ws;
  waitpid(pid, &ws, 0);
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
    fprintf(stderr, "%s rss: failed\n", what);
    exit(1);
  }
}

int main(int argc, char **argv) {
  size_t rows = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
  size_t cols = argc > 2 ? strtoul(argv[2], NULL, 10) : 1024;
  if (rows == 0 || cols == 0) {
    fprintf(stderr, "usage: bench_embeddings [ROWS] [COLS]\n");
    return 2;
  }
  float *m = make_matrix(rows, cols);
  size_t flen, blen;
  char *fbody = make_body(m, rows, cols, 0, &flen);
  char *bbody = make_body(m, rows, cols, 1, &blen);
  bench_rss("float JSON,", 0, fbody, flen, rows, cols);
  bench_rss("base64,", 1, bbody, blen, rows, cols);
  bench_memory("float JSON,", fbody, flen, m, rows, cols);
  bench_memory("base64,", bbody, blen, m, rows, cols);
  bench_e2e("float JSON,", 0, fbody, flen, m, rows, cols);
  bench_e2e("base64,", 1, bbody, blen, m, rows, cols);
  free(fbody);
  free(bbody);
  free(m);
  return 0;
}
