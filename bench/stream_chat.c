/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmarks for streaming chat, figures on stdout:
 *
 * (a) decode: the stream decoder (SSE parser + JSON + typed chunks), alone
 *     and with the accumulator, from memory: MB/s and chunks/s per CPU
 *     second of one core (median of 5 runs).
 * (b) e2e: a push stream of N chunks over loopback from a fixture server in
 *     a child process: client CPU time per chunk (this process only).
 * (c) rss: peak RSS growth while streaming M chunks in callback mode
 *     (without keeping the answer): must stay flat, whatever M.
 *
 *   bench_stream_chat [DECODE_CHUNKS] [E2E_CHUNKS] [RSS_CHUNKS]
 *   defaults: 1000000 100000 1000000
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture_server.h"
#include "mistral/mistral.h"

static double now_s(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* A Mistral-like stream of n chunks, one short word each, then usage and
 * [DONE]. */
static char *make_stream(size_t n, size_t *len) {
  size_t cap = n * 230 + 1024, off = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  static const char *const words[] = {"The", " quick", " brown", " fox", " jumps", " over",
                                      " the", " lazy", " dog", ".", " Ça", " va", " 🙂"};
  for (size_t i = 0; i < n; i++) {
    int last = i + 1 == n;
    off += (size_t)snprintf(
        buf + off, cap - off,
        "data: {\"id\":\"b1f3e0c0a1\",\"object\":\"chat.completion.chunk\",\"created\":"
        "1764230400,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,\"delta\":"
        "{%s\"content\":\"%s\"},\"finish_reason\":%s}]%s}\n\n",
        i == 0 ? "\"role\":\"assistant\"," : "", words[i % 13], last ? "\"stop\"" : "null",
        last ? ",\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":99,\"total_tokens\":109}"
             : "");
  }
  off += (size_t)snprintf(buf + off, cap - off, "data: [DONE]\n\n");
  *len = off;
  return buf;
}

typedef struct sink {
  mistral_chat_accumulator *acc;
  size_t chunks;
} sink;

static int on_chunk(const mistral_chat_chunk *c, void *ud) {
  sink *s = ud;
  s->chunks++;
  return s->acc ? mistral_chat_accumulator_add(s->acc, c) : 0;
}

static void bench_decode(size_t n, int accumulate) {
  size_t len;
  char *buf = make_stream(n, &len);
  double t[5];
  for (int r = 0; r < 5; r++) {
    mistral_stream_decoder *d;
    sink s = {NULL, 0};
    mistral_stream_decoder_new(&d);
    if (accumulate) mistral_chat_accumulator_new(&s.acc);
    /* CPU time of this thread: what one core spends, whatever else the
     * machine is doing. */
    double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    /* Network-sized reads. */
    for (size_t off = 0; off < len; off += 16384)
      if (mistral_stream_decoder_feed(d, buf + off, len - off < 16384 ? len - off : 16384,
                                      on_chunk, &s, NULL) != MISTRAL_OK)
        break;
    int rc = mistral_stream_decoder_finish(d, NULL);
    t[r] = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    if (rc != MISTRAL_OK || s.chunks != n) {
      fprintf(stderr, "decode: failed (%d, %zu chunks)\n", rc, s.chunks);
      exit(1);
    }
    mistral_chat_accumulator_free(s.acc);
    mistral_stream_decoder_free(d);
  }
  qsort(t, 5, sizeof *t, cmp_double);
  printf("stream %s from memory: %zu chunks, %.1f MB: median %.3f s CPU = %.0f MB/s, "
         "%.0f chunks/s\n",
         accumulate ? "decode+accumulate" : "decode (SSE + JSON + typed chunks)", n,
         (double)len / 1e6, t[2], (double)len / 1e6 / t[2], (double)n / t[2]);
  free(buf);
}

/* Starts a fixture server in a child process serving the stream `repeat`
 * times; returns its pid and writes its URL. */
static pid_t serve(size_t n, unsigned repeat, char *url, size_t url_len) {
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
  size_t len;
  char *body = make_stream(n, &len);
  const char *head =
      "=== request\nPOST /v1/chat/completions\n\n"
      "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\",\"content\":"
      "\"Go\"}],\"stream\":true}\n=== response\nHTTP/1.1 200 OK\n"
      "content-type: text/event-stream\n\n";
  char *fx = malloc(strlen(head) + len + 2);
  strcpy(fx, head);
  memcpy(fx + strlen(head), body, len);
  strcpy(fx + strlen(head) + len, "\n");
  free(body);
  fixture_server *fs = fixture_server_start("bench-key");
  if (!fs || fixture_server_expect_text(fs, fx, repeat) != 0) _exit(1);
  free(fx);
  const char *u = fixture_server_url(fs);
  if (write(fds[1], u, strlen(u)) < 0) _exit(1);
  close(fds[1]);
  pause(); /* until the parent kills us */
  _exit(0);
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
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

static mistral_chat_request *make_request(void) {
  mistral_chat_request *req;
  mistral_chat_request_new(&req, "mistral-small-latest");
  mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Go");
  return req;
}

static mistral_client *make_client(const char *url) {
  mistral_client *c;
  mistral_client_new(&c);
  mistral_client_set_api_key(c, "bench-key");
  mistral_client_set_server_url(c, url);
  return c;
}

static void bench_e2e(size_t n) {
  char url[128];
  pid_t pid = serve(n, 3, url, sizeof url);
  if (pid < 0) exit(1);
  mistral_client *c = make_client(url);
  mistral_chat_request *req = make_request();
  double cpu[3];
  double wall[3];
  for (int r = 0; r < 3; r++) {
    sink s = {NULL, 0};
    mistral_chat_response *final = NULL;
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    int rc = mistral_chat_complete_streaming(&final, c, req, on_chunk, &s, NULL);
    cpu[r] = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    wall[r] = now_s(CLOCK_MONOTONIC) - w0;
    if (rc != MISTRAL_OK || s.chunks != n) {
      fprintf(stderr, "e2e: failed (%d, %zu chunks)\n", rc, s.chunks);
      exit(1);
    }
    mistral_chat_response_free(final);
  }
  qsort(cpu, 3, sizeof *cpu, cmp_double);
  qsort(wall, 3, sizeof *wall, cmp_double);
  printf("stream e2e over loopback: %zu chunks: client CPU %.2f us/chunk (median of 3), "
         "wall %.2f us/chunk, %.0f chunks/s\n",
         n, cpu[1] / (double)n * 1e6, wall[1] / (double)n * 1e6, (double)n / wall[1]);
  mistral_chat_request_free(req);
  mistral_client_free(c);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

static void bench_rss(size_t n) {
  char url[128];
  pid_t pid = serve(n, 2, url, sizeof url);
  if (pid < 0) exit(1);
  mistral_client *c = make_client(url);
  mistral_chat_request *req = make_request();
  /* A short warm-up stream would need another fixture: a first full pass
   * instead, then measure a second one from a reset peak. */
  for (int pass = 0; pass < 2; pass++) {
    sink s = {NULL, 0};
    long before = rss_kb();
    int have_reset = reset_peak_rss() == 0;
    int rc = mistral_chat_complete_streaming(NULL, c, req, on_chunk, &s, NULL);
    long peak = peak_rss_kb();
    if (rc != MISTRAL_OK || s.chunks != n) {
      fprintf(stderr, "rss: failed (%d)\n", rc);
      exit(1);
    }
    if (pass == 1)
      printf("stream RSS, callback mode, %zu chunks: RSS before %ld kB, peak during %ld kB%s: "
             "growth %ld kB\n",
             n, before, peak, have_reset ? "" : " (peak not resettable: process peak)",
             peak - before);
  }
  mistral_chat_request_free(req);
  mistral_client_free(c);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
  size_t decode_n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
  size_t e2e_n = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
  size_t rss_n = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000000;
  bench_decode(decode_n, 0);
  bench_decode(decode_n, 1);
  bench_e2e(e2e_n);
  bench_rss(rss_n);
  return 0;
}
