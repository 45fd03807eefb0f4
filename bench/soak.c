/* SPDX-License-Identifier: Apache-2.0 */
/* Soak: a bounded load run of one shared client against a loopback fixture
 * server, reporting whether memory and file descriptors stay flat. Not a
 * unit test and not run in CI: run it with tools/soak.sh.
 *
 *   soak [--plain N] [--streams N] [--threads N]   (10000, 1000, 4)
 *
 * The server runs in a child process (so the descriptors and RSS measured
 * are the client's alone) in directory mode, from fixtures written to a
 * temporary directory. The calls, spread over the threads:
 * - plain chat: 1 in 200 hangs (timeout 200 ms per attempt), 1 in 100 gets
 *   a 500, 1 in 100 a body cut short; the rest succeed;
 * - streams: 1 in 10 cancelled by the callback after its first chunk, 1 in
 *   10 pulled once and abandoned (freed midway), 1 in 20 cut after two
 *   events, 1 in 50 refused with a 500; the rest succeed (text checked).
 * Retried failures use the client's default attempts with a 5-20 ms
 * backoff. Printed: outcomes by kind (each compared with what the mix
 * implies), RSS and open descriptors at the start (after a warm-up) and at
 * the end, and before the client existed and after it was freed. Exit 1
 * when an outcome count is off, the descriptors differ (start and end, or
 * before the client and after its free), or RSS grew by more than 10% +
 * 2 MiB. While the client lives, its descriptors are those of its pool
 * (each idle easy handle keeps libcurl's wake-up socket pair, each
 * kept-alive connection a socket): before each measurement every thread
 * makes slow calls at once, so the pool holds one of each per thread. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture_server.h"
#include "mistral/mistral.h"

#define KEY "sk-SOAK-0a1b2c3d4e5f"

static char dir[64];

/* ---- fixtures ---- */

static const char chat_answer[] = "Soak answer: still standing.";

static int write_fixture(const char *name, const char *text) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  int ok = fputs(text, f) != EOF;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static int request(char *out, size_t n, const char *directives, const char *prompt, int stream) {
  return snprintf(out, n,
                  "%s=== request\n"
                  "POST /v1/chat/completions\n"
                  "content-type: application/json\n"
                  "accept: %s\n"
                  "authorization: Bearer {{API_KEY}}\n"
                  "\n"
                  "{\"model\": \"mistral-small-latest\", \"messages\": [{\"role\": \"user\", "
                  "\"content\": \"%s\"}]%s}\n",
                  directives, stream ? "text/event-stream" : "application/json", prompt,
                  stream ? ", \"stream\": true" : "");
}

static int plain_fixture(const char *name, const char *directives, const char *prompt,
                         const char *status) {
  char text[4096];
  int n = request(text, sizeof text, directives, prompt, 0);
  snprintf(text + n, sizeof text - (size_t)n,
           "=== response\n"
           "HTTP/1.1 %s\n"
           "content-type: application/json\n"
           "\n"
           "%s\n",
           status,
           strncmp(status, "200", 3) == 0
               ? "{\"id\":\"cmpl-50a4000000000000000000000000000\",\"object\":\"chat.completion\","
                 "\"created\":1764260000,\"model\":\"mistral-small-latest\",\"choices\":[{"
                 "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Soak answer: "
                 "still standing.\",\"tool_calls\":null},\"finish_reason\":\"stop\"}],"
                 "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":6,\"total_tokens\":10}}"
               : "{\"object\":\"error\",\"message\":\"Internal server error\","
                 "\"type\":\"internal_server_error\",\"param\":null,\"code\":\"3000\"}");
  return write_fixture(name, text);
}

static int stream_fixture(const char *name, const char *directives, const char *prompt) {
  static const char *const parts[] = {"Soak", " answer:", " still", " standing."};
  char text[8192];
  int n = request(text, sizeof text, directives, prompt, 1);
  n += snprintf(text + n, sizeof text - (size_t)n,
                "=== response\n"
                "HTTP/1.1 200 OK\n"
                "content-type: text/event-stream; charset=utf-8\n"
                "cache-control: no-cache\n"
                "\n");
  for (int i = 0; i < 4; i++)
    n += snprintf(text + n, sizeof text - (size_t)n,
                  "data: {\"id\":\"cmpl-50a5000000000000000000000000000\",\"object\":"
                  "\"chat.completion.chunk\",\"created\":1764260000,\"model\":"
                  "\"mistral-small-latest\",\"choices\":[{\"index\":0,\"delta\":{%s\"content\":"
                  "\"%s\"},\"finish_reason\":%s}]}\n\n",
                  i == 0 ? "\"role\":\"assistant\"," : "", parts[i], i == 3 ? "\"stop\"" : "null");
  snprintf(text + n, sizeof text - (size_t)n, "data: [DONE]\n\n\n");
  return write_fixture(name, text);
}

static const char *const fixture_names[] = {"ok.fixture", "slow.fixture", "500.fixture",
                                            "truncate.fixture",  "hang.fixture",
                                            "stream-ok.fixture", "stream-cut.fixture",
                                            "stream-500.fixture"};

static int make_fixtures(void) {
  snprintf(dir, sizeof dir, "/tmp/mistral-soak-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  /* Each stream event is ~230 bytes: cut after two events, pauses between
   * pieces so that a cancel lands mid-stream. */
  if (plain_fixture("ok.fixture", "", "soak ok", "200 OK") ||
      plain_fixture("slow.fixture", "% delay-ms 30\n", "soak slow", "200 OK") ||
      plain_fixture("500.fixture", "", "soak 500", "500 Internal Server Error") ||
      plain_fixture("truncate.fixture", "% truncate-body 40\n", "soak truncate", "200 OK") ||
      plain_fixture("hang.fixture", "% hang\n", "soak hang", "200 OK") ||
      stream_fixture("stream-ok.fixture", "% chunk-bytes 120\n% chunk-delay-ms 1\n",
                     "soak stream") ||
      stream_fixture("stream-cut.fixture", "% truncate-body 470\n", "soak stream cut") ||
      plain_fixture("stream-500.fixture", "", "soak stream 500", "500 Internal Server Error"))
    return -1;
  /* stream-500 must answer the streaming request: rewrite its head. */
  char text[4096];
  int n = request(text, sizeof text, "", "soak stream 500", 1);
  snprintf(text + n, sizeof text - (size_t)n,
           "=== response\n"
           "HTTP/1.1 500 Internal Server Error\n"
           "content-type: application/json\n"
           "\n"
           "{\"object\":\"error\",\"message\":\"Internal server error\","
           "\"type\":\"internal_server_error\",\"param\":null,\"code\":\"3000\"}\n");
  return write_fixture("stream-500.fixture", text);
}

static void remove_fixtures(void) {
  char path[128];
  for (size_t i = 0; i < sizeof fixture_names / sizeof *fixture_names; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, fixture_names[i]);
    unlink(path);
  }
  rmdir(dir);
}

/* ---- the server, in a child process ---- */

typedef struct server_stats {
  size_t requests, mismatches, connections;
} server_stats;

typedef struct child {
  pid_t pid;
  int control; /* closing it stops the server */
  int results;
  int port;
} child;

static int start_child(child *c) {
  int ctl[2], res[2];
  if (pipe(ctl) != 0 || pipe(res) != 0) return -1;
  c->pid = fork();
  if (c->pid < 0) return -1;
  if (c->pid == 0) {
    close(ctl[1]);
    close(res[0]);
    fixture_server *fs = fixture_server_start(KEY);
    int port = fs && fixture_server_load_dir(fs, dir, 0) == 0 ? fixture_server_port(fs) : -1;
    if (write(res[1], &port, sizeof port) != (ssize_t)sizeof port) _exit(1);
    char b;
    while (read(ctl[0], &b, 1) > 0) {
    }
    server_stats st = {0, 0, 0};
    if (fs) {
      st.requests = fixture_server_requests(fs);
      st.mismatches = fixture_server_mismatches(fs);
      st.connections = fixture_server_connections(fs);
    }
    fixture_server_stop(fs);
    if (write(res[1], &st, sizeof st) != (ssize_t)sizeof st) _exit(1);
    _exit(0);
  }
  close(ctl[0]);
  close(res[1]);
  c->control = ctl[1];
  c->results = res[0];
  return read(c->results, &c->port, sizeof c->port) == (ssize_t)sizeof c->port && c->port > 0
             ? 0
             : -1;
}

static int stop_child(child *c, server_stats *st) {
  close(c->control);
  int ok = read(c->results, st, sizeof *st) == (ssize_t)sizeof *st;
  close(c->results);
  int status = 0;
  waitpid(c->pid, &status, 0);
  return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- measurements ---- */

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  fclose(f);
  return kib;
}

static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the load ---- */

enum outcome {
  O_OK,
  O_CANCELLED,  /* push stream stopped by its callback */
  O_ABANDONED,  /* pull stream freed after one chunk */
  O_WRONG_TEXT, /* a success with the wrong answer */
  O_ERROR,      /* any error status: counted by status below */
  O_COUNT
};

#define STATUS_SLOTS 32 /* -status, for MISTRAL_E_* down to -31 */

typedef struct tally {
  size_t outcome[O_COUNT];
  size_t status[STATUS_SLOTS];
} tally;

typedef struct job {
  mistral_client *client;
  int first, count, streams; /* call indices [first, first + count) */
  tally t;
} job;

static atomic_int next_plain, next_stream;
static int total_plain, total_stream;


static void record(tally *t, int rc, enum outcome o) {
  if (rc != MISTRAL_OK) {
    t->outcome[O_ERROR]++;
    t->status[-rc < STATUS_SLOTS ? -rc : 0]++;
  } else {
    t->outcome[o]++;
  }
}

static mistral_chat_request *request_for(const char *prompt, long timeout_ms) {
  mistral_chat_request *req = NULL;
  if (mistral_chat_request_new(&req, "mistral-small-latest") != MISTRAL_OK) return NULL;
  if (mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, prompt) != MISTRAL_OK)
    goto fail;
  if (timeout_ms) {
    mistral_call_options *o = NULL;
    int rc = mistral_call_options_new(&o);
    if (rc == MISTRAL_OK) rc = mistral_call_options_set_timeout_ms(o, timeout_ms);
    if (rc == MISTRAL_OK) rc = mistral_chat_request_set_call_options(req, o);
    mistral_call_options_free(o);
    if (rc != MISTRAL_OK) goto fail;
  }
  return req;
fail:
  mistral_chat_request_free(req);
  return NULL;
}

static void plain_call(job *j, int i, mistral_error *err) {
  const char *prompt = i % 200 == 0  ? "soak hang"
                       : i % 100 == 50 ? "soak 500"
                       : i % 100 == 25 ? "soak truncate"
                                       : "soak ok";
  mistral_chat_request *req = request_for(prompt, i % 200 == 0 ? 200 : 0);
  if (!req) {
    record(&j->t, MISTRAL_E_NOMEM, O_ERROR);
    return;
  }
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, j->client, req, err);
  const char *text = rc == MISTRAL_OK ? mistral_chat_response_text(resp) : NULL;
  record(&j->t, rc, text && strcmp(text, chat_answer) == 0 ? O_OK : O_WRONG_TEXT);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
}

static int stop_after_first(const mistral_chat_chunk *chunk, void *user_data) {
  (void)chunk;
  (void)user_data;
  return 1;
}

static void stream_call(job *j, int i, mistral_error *err) {
  const char *prompt = i % 50 == 11 ? "soak stream 500"
                       : i % 20 == 5 ? "soak stream cut"
                                     : "soak stream";
  mistral_chat_request *req = request_for(prompt, 0);
  if (!req) {
    record(&j->t, MISTRAL_E_NOMEM, O_ERROR);
    return;
  }
  if (i % 10 == 3) { /* push, cancelled by the callback after one chunk */
    mistral_chat_response *final = NULL;
    int rc = mistral_chat_complete_streaming(&final, j->client, req, stop_after_first, NULL, err);
    mistral_chat_response_free(final);
    if (rc == MISTRAL_E_CANCELLED) record(&j->t, MISTRAL_OK, O_CANCELLED);
    else record(&j->t, rc == MISTRAL_OK ? MISTRAL_E_INTERNAL : rc, O_ERROR);
  } else if (i % 10 == 7) { /* pull one chunk, then abandon */
    mistral_chat_stream *s = NULL;
    int rc = mistral_chat_stream_open(&s, j->client, req, err);
    const mistral_chat_chunk *chunk = NULL;
    if (rc == MISTRAL_OK) rc = mistral_chat_stream_next(&chunk, s, err);
    mistral_chat_stream_free(s);
    record(&j->t, rc, O_ABANDONED);
  } else {
    mistral_chat_response *final = NULL;
    int rc = mistral_chat_complete_streaming(&final, j->client, req, NULL, NULL, err);
    const char *text = rc == MISTRAL_OK ? mistral_chat_response_text(final) : NULL;
    record(&j->t, rc, text && strcmp(text, chat_answer) == 0 ? O_OK : O_WRONG_TEXT);
    mistral_chat_response_free(final);
  }
  mistral_chat_request_free(req);
}

static void *worker(void *arg) {
  job *j = arg;
  mistral_error *err = mistral_error_new();
  for (;;) {
    int i = atomic_fetch_add(&next_plain, 1);
    if (i >= total_plain) break;
    plain_call(j, i, err);
    /* One stream per ten plain calls, interleaved. */
    if (i % 10 == 9) {
      int s = atomic_fetch_add(&next_stream, 1);
      if (s < total_stream) stream_call(j, s, err);
    }
  }
  for (int s; (s = atomic_fetch_add(&next_stream, 1)) < total_stream;) stream_call(j, s, err);
  mistral_error_free(err);
  return NULL;
}

/* Runs plain and stream calls over threads; sums into t. */
static void run_load(mistral_client *client, int threads, int plain, int streams, tally *t) {
  atomic_store(&next_plain, 0);
  atomic_store(&next_stream, 0);
  total_plain = plain;
  total_stream = streams;
  pthread_t th[64];
  job jobs[64];
  memset(jobs, 0, sizeof jobs);
  for (int i = 0; i < threads; i++) {
    jobs[i].client = client;
    if (pthread_create(&th[i], NULL, worker, &jobs[i]) != 0) {
      threads = i;
      break;
    }
  }
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    for (int o = 0; o < O_COUNT; o++) t->outcome[o] += jobs[i].t.outcome[o];
    for (int s = 0; s < STATUS_SLOTS; s++) t->status[s] += jobs[i].t.status[s];
  }
}

/* Before a measurement: every thread makes slow calls (30 ms) at the same
 * time, so that the pool ends with one easy handle and one kept-alive
 * connection per thread, whatever happened before. */
typedef struct settler {
  mistral_client *client;
  pthread_barrier_t *go;
  int failures;
} settler;

static void *settle_worker(void *arg) {
  settler *s = arg;
  mistral_error *err = mistral_error_new();
  pthread_barrier_wait(s->go);
  for (int i = 0; i < 3; i++) {
    mistral_chat_request *req = request_for("soak slow", 0);
    mistral_chat_response *resp = NULL;
    if (!req || mistral_chat_complete(&resp, s->client, req, err) != MISTRAL_OK) s->failures++;
    mistral_chat_response_free(resp);
    mistral_chat_request_free(req);
  }
  mistral_error_free(err);
  return NULL;
}

static int settle(mistral_client *client, int threads) {
  pthread_t th[64];
  settler s[64];
  pthread_barrier_t go;
  pthread_barrier_init(&go, NULL, (unsigned)threads);
  for (int i = 0; i < threads; i++) {
    s[i].client = client;
    s[i].go = &go;
    s[i].failures = 0;
    pthread_create(&th[i], NULL, settle_worker, &s[i]);
  }
  int failures = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    failures += s[i].failures;
  }
  pthread_barrier_destroy(&go);
  return failures;
}

/* How many i in [0, n) have i % m == r. */
static size_t every(int n, int m, int r) { return n > r ? (size_t)((n - 1 - r) / m + 1) : 0; }

int main(int argc, char **argv) {
  int plain = 10000, streams = 1000, threads = 4;
  for (int i = 1; i < argc; i++) {
    int *slot = strcmp(argv[i], "--plain") == 0     ? &plain
                : strcmp(argv[i], "--streams") == 0 ? &streams
                : strcmp(argv[i], "--threads") == 0 ? &threads
                                                    : NULL;
    if (!slot || i + 1 >= argc || (*slot = atoi(argv[++i])) < 0 || threads < 1 || threads > 64) {
      fprintf(stderr, "usage: soak [--plain N] [--streams N] [--threads 1..64]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  unsetenv("MISTRAL_API_KEY");
  unsetenv("MISTRAL_SERVER_URL");
  if (make_fixtures() != 0) {
    fprintf(stderr, "soak: cannot write fixtures under /tmp\n");
    return 1;
  }
  child srv;
  if (start_child(&srv) != 0) {
    fprintf(stderr, "soak: the fixture server did not start\n");
    remove_fixtures();
    return 1;
  }
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);

  int fds_before_client = open_fds();
  long rss_before_client = rss_kib();
  mistral_client *client = NULL;
  if (mistral_client_new(&client) || mistral_client_set_server_url(client, url) ||
      mistral_client_set_api_key(client, KEY) ||
      mistral_client_set_retry_backoff(client, 5, 20, 2.0, 0.25)) {
    fprintf(stderr, "soak: cannot set up the client\n");
    return 1;
  }

  /* Warm-up: every thread has made calls of every kind. Before each
   * measurement, a settle run leaves the pool in the same state. */
  tally warm;
  memset(&warm, 0, sizeof warm);
  int warm_calls = 40 * threads;
  run_load(client, threads, warm_calls, warm_calls / 10, &warm);
  int settle_failures = settle(client, threads);
  long rss_start = rss_kib();
  int fds_start = open_fds();

  double t0 = now_s();
  tally t;
  memset(&t, 0, sizeof t);
  run_load(client, threads, plain, streams, &t);
  double secs = now_s() - t0;
  settle_failures += settle(client, threads);
  long rss_end = rss_kib();
  int fds_end = open_fds();
  mistral_client_free(client);
  int fds_after_free = open_fds();
  long rss_after_free = rss_kib();

  server_stats st = {0, 0, 0};
  int server_ok = stop_child(&srv, &st) == 0;
  remove_fixtures();

  /* What the mix implies. */
  size_t hang = every(plain, 200, 0), e500 = every(plain, 100, 50), cut = every(plain, 100, 25);
  /* The stream classes are disjoint (i % 10 is 3, 7, 5 and 1). */
  size_t s500 = every(streams, 50, 11), s_cut = every(streams, 20, 5);
  size_t s_cancel = every(streams, 10, 3), s_abandon = every(streams, 10, 7);
  size_t s_ok = (size_t)streams - s500 - s_cut - s_cancel - s_abandon;
  size_t want_ok = (size_t)plain - hang - e500 - cut + s_ok;

  printf("soak: %d plain calls and %d streams on %d threads in %.1f s "
         "(server: %zu requests over %zu connections, %zu mismatches)\n",
         plain, streams, threads, secs, st.requests, st.connections, st.mismatches);
  printf("outcomes:\n");
  printf("  %-44s %6zu (expected %zu)\n", "ok (answer text checked)", t.outcome[O_OK], want_ok);
  printf("  %-44s %6zu (expected %zu)\n", "stream cancelled by its callback",
         t.outcome[O_CANCELLED], s_cancel);
  printf("  %-44s %6zu (expected %zu)\n", "stream abandoned after one chunk",
         t.outcome[O_ABANDONED], s_abandon);
  printf("  %-44s %6zu (expected 0)\n", "wrong answer", t.outcome[O_WRONG_TEXT]);
  printf("errors by kind:\n");
  for (int s = 0; s < STATUS_SLOTS; s++)
    if (t.status[s]) printf("  %-44s %6zu\n", mistral_strerror(-s), t.status[s]);
  printf("  (expected: timeout %zu, server error %zu, truncated %zu plain + %zu streams)\n", hang,
         e500 + s500, cut, s_cut);
  printf("RSS (KiB): start %ld, end %ld (%+ld); before the client %ld, after its free %ld\n",
         rss_start, rss_end, rss_end - rss_start, rss_before_client, rss_after_free);
  printf("open fds: start %d, end %d; before the client %d, after its free %d\n", fds_start,
         fds_end, fds_before_client, fds_after_free);

  int ok = server_ok && st.mismatches == 0 && t.outcome[O_OK] == want_ok &&
           t.outcome[O_CANCELLED] == s_cancel && t.outcome[O_ABANDONED] == s_abandon &&
           t.outcome[O_WRONG_TEXT] == 0 && t.status[-MISTRAL_E_TIMEOUT] == hang &&
           t.status[-MISTRAL_E_SERVER] == e500 + s500 &&
           t.status[-MISTRAL_E_TRUNCATED] + t.status[-MISTRAL_E_STREAM] == cut + s_cut &&
           settle_failures == 0 && fds_end == fds_start && fds_before_client == fds_after_free &&
           rss_end <= rss_start + rss_start / 10 + 2048;
  printf("verdict: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
