/* One client shared by 8 threads, 200 calls each (1,600 in all), against
 * the loopback fixture server in directory mode (any order of requests is
 * fine): per thread, 60% plain chat, 20% push streams, 10% pull streams and
 * 10% raw calls, over 16 variants whose answers differ, so a response that
 * went to the wrong thread or was mixed with another is caught: every
 * answer's text is compared with the one its own request asked for.
 *
 * Requests, responses, streams and error objects belong to one thread (the
 * documented policy); the client, its connection pool and its log callback
 * are shared. tools/test.sh runs this suite under ThreadSanitizer (no race
 * may be reported) as well as with gcc, ASan+UBSan and valgrind.
 *
 * Load: `test_threads [CALLS_PER_THREAD]`, or MISTRAL_THREADS_CALLS in the
 * environment; default 200. (Valgrind runs the full load too: about a
 * minute.) */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mistral/mistral.h>

#include "test_util.h"

#define KEY "sk-THREADS-3e7a9c1b5d"
#define THREADS 8
#define VARIANTS 16

static int calls_per_thread = 200;

/* ---- fixtures, written to a temporary directory ---- */

static char fixture_dir[64];

static void answer_text(char *out, size_t n, int k) {
  snprintf(out, n, "Answer %d: kept apart from the other threads' answers.", k);
}

static int write_file(const char *name, const char *text) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  int ok = fputs(text, f) != EOF;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* One SSE event of variant k. */
static int sse_chunk(char *out, size_t n, int k, const char *role, const char *content,
                     const char *finish, const char *usage) {
  return snprintf(out, n,
                  "data: {\"id\":\"cmpl-7s0000000000000000000000000%04d\",\"object\":"
                  "\"chat.completion.chunk\",\"created\":1764250000,"
                  "\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"
                  "\"delta\":{%s\"content\":\"%s\"},\"finish_reason\":%s}]%s}\n\n",
                  k, role, content, finish, usage);
}

/* The request section of variant k. */
static int request_head(char *out, size_t n, const char *accept, int k, const char *stream) {
  return snprintf(out, n,
                  "=== request\n"
                  "POST /v1/chat/completions\n"
                  "content-type: application/json\n"
                  "accept: %s\n"
                  "authorization: Bearer {{API_KEY}}\n"
                  "\n"
                  "{\"model\": \"mistral-small-latest\",\n"
                  " \"messages\": [{\"role\": \"user\", \"content\": \"Thread check %d\"}]%s}\n",
                  accept, k, stream);
}

static int make_fixtures(void) {
  snprintf(fixture_dir, sizeof fixture_dir, "/tmp/mistral-threads-XXXXXX");
  if (!mkdtemp(fixture_dir)) return -1;
  static char text[8192];
  for (int k = 0; k < VARIANTS; k++) {
    char answer[128], name[64];
    answer_text(answer, sizeof answer, k);
    /* Plain. */
    int n = snprintf(text, sizeof text, "# Variant %d, plain.\n", k);
    n += request_head(text + n, sizeof text - (size_t)n, "application/json", k, "");
    snprintf(text + n, sizeof text - (size_t)n,
             "=== response\n"
             "HTTP/1.1 200 OK\n"
             "content-type: application/json\n"
             "x-request-id: 0000000000000000000000000000%04d\n"
             "\n"
             "{\"id\":\"cmpl-7h0000000000000000000000000%04d\",\"object\":\"chat.completion\","
             "\"created\":1764250000,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"
             "\"message\":{\"role\":\"assistant\",\"content\":\"%s\",\"tool_calls\":null},"
             "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":6,"
             "\"completion_tokens\":12,\"total_tokens\":18}}\n",
             k, k, answer);
    snprintf(name, sizeof name, "plain-%02d.fixture", k);
    if (write_file(name, text) != 0) return -1;
    /* Streamed: the same answer in three deltas, sent in 64-byte pieces. */
    n = snprintf(text, sizeof text, "# Variant %d, streamed.\n%% chunk-bytes 64\n", k);
    n += request_head(text + n, sizeof text - (size_t)n, "text/event-stream", k,
                  ",\n \"stream\": true");
    char part1[32];
    snprintf(part1, sizeof part1, "Answer %d:", k);
    n += snprintf(text + n, sizeof text - (size_t)n,
                  "=== response\n"
                  "HTTP/1.1 200 OK\n"
                  "content-type: text/event-stream; charset=utf-8\n"
                  "cache-control: no-cache\n"
                  "\n");
    n += sse_chunk(text + n, sizeof text - (size_t)n, k, "\"role\":\"assistant\",", part1, "null",
                   "");
    n += sse_chunk(text + n, sizeof text - (size_t)n, k, "", " kept apart from", "null", "");
    n += sse_chunk(text + n, sizeof text - (size_t)n, k, "", " the other threads' answers.",
                   "\"stop\"",
                   ",\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":12,\"total_tokens\":18}");
    snprintf(text + n, sizeof text - (size_t)n, "data: [DONE]\n\n\n");
    snprintf(name, sizeof name, "stream-%02d.fixture", k);
    if (write_file(name, text) != 0) return -1;
    /* Raw: GET a model card. */
    snprintf(text, sizeof text,
             "# Variant %d, raw GET.\n"
             "=== request\n"
             "GET /v1/models/thread-model-%d\n"
             "accept: application/json\n"
             "authorization: Bearer {{API_KEY}}\n"
             "\n"
             "=== response\n"
             "HTTP/1.1 200 OK\n"
             "content-type: application/json\n"
             "\n"
             "{\"id\":\"thread-model-%d\",\"object\":\"model\",\"created\":1764250000,"
             "\"owned_by\":\"mistralai\",\"capabilities\":{\"completion_chat\":true}}\n",
             k, k, k);
    snprintf(name, sizeof name, "raw-%02d.fixture", k);
    if (write_file(name, text) != 0) return -1;
  }
  return 0;
}

static void remove_fixtures(void) {
  char path[128];
  static const char *const kinds[] = {"plain", "stream", "raw"};
  for (int k = 0; k < VARIANTS; k++)
    for (size_t i = 0; i < 3; i++) {
      snprintf(path, sizeof path, "%s/%s-%02d.fixture", fixture_dir, kinds[i], k);
      unlink(path);
    }
  rmdir(fixture_dir);
}

/* ---- the shared log callback ---- */

static atomic_size_t log_lines;
static atomic_int key_logged;

static void on_log(mistral_log_level level, const char *message, void *user_data) {
  (void)level;
  (void)user_data;
  atomic_fetch_add(&log_lines, 1);
  if (strstr(message, KEY)) atomic_store(&key_logged, 1);
}

/* ---- workers ---- */

enum { PLAIN, PUSH, PULL, RAW, KINDS };

typedef struct worker {
  int id;
  mistral_client *client; /* shared */
  pthread_barrier_t *start;
  size_t done[KINDS]; /* correct answers, by kind */
  size_t failures;
  char first_failure[512];
} worker;

static atomic_int in_flight, max_in_flight;

static void enter(void) {
  int now = atomic_fetch_add(&in_flight, 1) + 1;
  int seen = atomic_load(&max_in_flight);
  while (now > seen && !atomic_compare_exchange_weak(&max_in_flight, &seen, now)) {
  }
}

static void leave(void) { atomic_fetch_sub(&in_flight, 1); }

static void failed(worker *w, int call, const char *what, const char *detail) {
  if (w->failures++ == 0)
    snprintf(w->first_failure, sizeof w->first_failure, "thread %d call %d: %s: %s", w->id, call,
             what, detail ? detail : "");
}

typedef struct text_buf {
  char s[256];
  size_t len;
  int overflow;
} text_buf;

static void append(text_buf *b, const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (b->len + n >= sizeof b->s) {
    b->overflow = 1;
    return;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void append_chunk(text_buf *b, const mistral_chat_chunk *chunk) {
  if (chunk->choice_count > 0 && chunk->choices[0]->delta)
    append(b, chunk->choices[0]->delta->content);
}

static int on_chunk(const mistral_chat_chunk *chunk, void *user_data) {
  append_chunk(user_data, chunk);
  return 0;
}

static mistral_chat_request *request_for(int k) {
  mistral_chat_request *req = NULL;
  char prompt[64];
  snprintf(prompt, sizeof prompt, "Thread check %d", k);
  if (mistral_chat_request_new(&req, "mistral-small-latest") != MISTRAL_OK) return NULL;
  if (mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, prompt) != MISTRAL_OK) {
    mistral_chat_request_free(req);
    return NULL;
  }
  return req;
}

/* One call of the given kind for variant k; 0 when its answer is right. */
static int one_call(worker *w, int call, int kind, int k, mistral_error *err) {
  char want[128];
  answer_text(want, sizeof want, k);
  mistral_chat_request *req = kind == RAW ? NULL : request_for(k);
  if (kind != RAW && !req) {
    failed(w, call, "request", "out of memory");
    return -1;
  }
  int rc, ok = 0;
  text_buf got = {{0}, 0, 0};
  enter();
  if (kind == PLAIN) {
    mistral_chat_response *resp = NULL;
    rc = mistral_chat_complete(&resp, w->client, req, err);
    if (rc == MISTRAL_OK) {
      append(&got, mistral_chat_response_text(resp));
      ok = 1;
    }
    mistral_chat_response_free(resp);
  } else if (kind == PUSH) {
    mistral_chat_response *final = NULL;
    rc = mistral_chat_complete_streaming(&final, w->client, req, on_chunk, &got, err);
    if (rc == MISTRAL_OK) {
      const char *whole = mistral_chat_response_text(final);
      ok = whole && strcmp(whole, want) == 0; /* the accumulated answer too */
    }
    mistral_chat_response_free(final);
  } else if (kind == PULL) {
    mistral_chat_stream *s = NULL;
    rc = mistral_chat_stream_open(&s, w->client, req, err);
    const mistral_chat_chunk *chunk = NULL;
    while (rc == MISTRAL_OK && (rc = mistral_chat_stream_next(&chunk, s, err)) == MISTRAL_OK &&
           chunk)
      append_chunk(&got, chunk);
    mistral_chat_stream_free(s);
    ok = rc == MISTRAL_OK;
  } else {
    char path[64], id[64];
    snprintf(path, sizeof path, "/v1/models/thread-model-%d", k);
    snprintf(id, sizeof id, "\"id\":\"thread-model-%d\"", k);
    mistral_raw_response *r = NULL;
    rc = mistral_raw_call(&r, w->client, "GET", path, NULL, err);
    if (rc == MISTRAL_OK) {
      const char *body = mistral_raw_response_body(r, NULL);
      ok = mistral_raw_response_status(r) == 200 && body && strstr(body, id) != NULL;
      if (ok) append(&got, want); /* the body carried this variant's id */
    }
    mistral_raw_response_free(r);
  }
  leave();
  mistral_chat_request_free(req);
  static const char *const names[] = {"plain", "push stream", "pull stream", "raw"};
  if (rc != MISTRAL_OK) {
    failed(w, call, names[kind], mistral_error_message(err));
    return -1;
  }
  if (!ok || got.overflow || strcmp(got.s, want) != 0) {
    char detail[400];
    snprintf(detail, sizeof detail, "got \"%s\", want \"%s\"", got.s, want);
    failed(w, call, names[kind], detail);
    return -1;
  }
  w->done[kind]++;
  return 0;
}

static void *run_worker(void *arg) {
  worker *w = arg;
  mistral_error *err = mistral_error_new(); /* one per thread */
  pthread_barrier_wait(w->start);
  for (int j = 0; j < calls_per_thread; j++) {
    int slot = j % 10;
    int kind = slot < 6 ? PLAIN : slot < 8 ? PUSH : slot < 9 ? PULL : RAW;
    int k = (w->id * 5 + j * 7) % VARIANTS;
    one_call(w, j, kind, k, err);
  }
  mistral_error_free(err);
  return NULL;
}

static void test_shared_client(void **state) {
  (void)state;
  tu_clean_env();
  assert_int_equal(make_fixtures(), 0);
  fixture_server *fs = tu_server_start(KEY, NULL);
  assert_int_equal(fixture_server_load_dir(fs, fixture_dir, 0), 0);
  assert_int_equal(fixture_server_loaded(fs), 3 * VARIANTS);

  /* Configured once, then shared. */
  mistral_client *client = NULL;
  assert_int_equal(mistral_client_new(&client), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(client, fixture_server_url(fs)), MISTRAL_OK);
  assert_int_equal(mistral_client_set_api_key(client, KEY), MISTRAL_OK);
  assert_int_equal(mistral_client_set_connect_timeout_ms(client, 10000), MISTRAL_OK);
  assert_int_equal(mistral_client_set_log_callback(client, on_log, MISTRAL_LOG_DEBUG, NULL),
                   MISTRAL_OK);

  pthread_barrier_t start;
  assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
  worker w[THREADS];
  pthread_t th[THREADS];
  memset(w, 0, sizeof w);
  for (int i = 0; i < THREADS; i++) {
    w[i].id = i;
    w[i].client = client;
    w[i].start = &start;
    assert_int_equal(pthread_create(&th[i], NULL, run_worker, &w[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  pthread_barrier_destroy(&start);

  size_t done[KINDS] = {0}, failures = 0;
  for (int i = 0; i < THREADS; i++) {
    if (w[i].failures) print_error("%zu failures; first: %s\n", w[i].failures, w[i].first_failure);
    failures += w[i].failures;
    for (int k = 0; k < KINDS; k++) done[k] += w[i].done[k];
  }
  size_t total = (size_t)THREADS * (size_t)calls_per_thread;
  printf("# %d threads x %d calls: %zu plain, %zu push streams, %zu pull streams, %zu raw; "
         "%zu TCP connections; up to %d calls at once\n",
         THREADS, calls_per_thread, done[PLAIN], done[PUSH], done[PULL], done[RAW],
         fixture_server_connections(fs), atomic_load(&max_in_flight));
  assert_int_equal(failures, 0);
  assert_int_equal(done[PLAIN] + done[PUSH] + done[PULL] + done[RAW], total);
  if (calls_per_thread >= 10) /* every kind ran on every thread */
    for (int k = 0; k < KINDS; k++) assert_true(done[k] >= THREADS);
  assert_int_equal(fixture_server_requests(fs), total);
  assert_int_equal(fixture_server_mismatches(fs), 0);
  assert_true(atomic_load(&max_in_flight) >= 2); /* calls did overlap */
  assert_true(atomic_load(&log_lines) >= total);
  assert_int_equal(atomic_load(&key_logged), 0);

  mistral_client_free(client);
  fixture_server_stop(fs);
  remove_fixtures();
}

int main(int argc, char **argv) {
  const char *env = getenv("MISTRAL_THREADS_CALLS");
  const char *arg = argc > 1 ? argv[1] : env;
  if (arg) {
    calls_per_thread = atoi(arg);
    if (calls_per_thread < 1) {
      fprintf(stderr, "usage: %s [CALLS_PER_THREAD >= 1]\n", argv[0]);
      return 2;
    }
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_shared_client)};
  return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
