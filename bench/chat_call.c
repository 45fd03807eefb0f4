/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark: client CPU time per small non-streaming chat call against a
 * loopback server with keep-alive. Prints the median, p90 and mean of the
 * calling thread's CPU time per call (the server runs on its own threads
 * and is not counted), wall time, and how many TCP connections were used.
 *
 *   bench_chat_call [CALLS]      (default 1000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture_server.h"
#include "mistral/mistral.h"

static double now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static const char fixture[] =
    "=== request\n"
    "POST /v1/chat/completions\n"
    "content-type: application/json\n"
    "authorization: Bearer {{API_KEY}}\n"
    "\n"
    "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\",\"content\":"
    "\"Say hello.\"}],\"max_tokens\":16}\n"
    "=== response\n"
    "HTTP/1.1 200 OK\n"
    "content-type: application/json\n"
    "\n"
    "{\"id\":\"cmpl-bench\",\"object\":\"chat.completion\",\"created\":1764230400,"
    "\"model\":\"mistral-small-latest\",\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":"
    "5,\"total_tokens\":12},\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
    "\"content\":\"Hello! How can I help?\",\"tool_calls\":null},\"finish_reason\":\"stop\"}]}\n";

int main(int argc, char **argv) {
  int calls = argc > 1 ? atoi(argv[1]) : 1000;
  if (calls < 1) calls = 1000;
  const int warmup = 20;

  fixture_server *fs = fixture_server_start("bench-key");
  if (!fs || fixture_server_expect_text(fs, fixture, (unsigned)(calls + warmup)) != 0) {
    fprintf(stderr, "bench: cannot start the fixture server\n");
    return 1;
  }
  mistral_client *client;
  mistral_chat_request *req;
  if (mistral_client_new(&client) || mistral_client_set_api_key(client, "bench-key") ||
      mistral_client_set_server_url(client, fixture_server_url(fs)) ||
      mistral_chat_request_new(&req, "mistral-small-latest") ||
      mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Say hello.") ||
      mistral_chat_request_set_max_tokens(req, 16)) {
    fprintf(stderr, "bench: setup failed\n");
    return 1;
  }
  mistral_error *err = mistral_error_new();
  double *cpu = malloc(sizeof *cpu * (size_t)calls);
  double wall0 = 0;
  for (int i = 0; i < warmup + calls; i++) {
    if (i == warmup) wall0 = now_ns(CLOCK_MONOTONIC);
    double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    mistral_chat_response *resp;
    int rc = mistral_chat_complete(&resp, client, req, err);
    double t1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    if (rc != MISTRAL_OK) {
      fprintf(stderr, "bench: call %d failed: %s\n", i, mistral_error_message(err));
      return 1;
    }
    mistral_chat_response_free(resp);
    if (i >= warmup) cpu[i - warmup] = t1 - t0;
  }
  double wall = now_ns(CLOCK_MONOTONIC) - wall0;
  qsort(cpu, (size_t)calls, sizeof *cpu, cmp_double);
  double sum = 0;
  for (int i = 0; i < calls; i++) sum += cpu[i];
  printf("chat_call: %d calls, client CPU per call: median %.1f us, p90 %.1f us, mean %.1f us; "
         "wall per call %.1f us; TCP connections: %zu\n",
         calls, cpu[calls / 2] / 1e3, cpu[calls * 9 / 10] / 1e3, sum / calls / 1e3,
         wall / calls / 1e3, fixture_server_connections(fs));
  int ok = fixture_server_mismatches(fs) == 0;
  free(cpu);
  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
  return ok ? 0 : 1;
}
