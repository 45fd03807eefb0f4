/* The API key stays secret:
 * - wiped from the client's memory: with a tracking allocator given to
 *   mistral_client_new_with_allocator(), which copies each block's bytes as
 *   it is freed, the key is seen in a live block while the client holds it
 *   and in no freed block, after plain, streaming, raw and failed calls, a
 *   key change and mistral_client_free();
 * - the header lines handed to libcurl are wiped before libcurl frees them
 *   (libcurl's allocator is hooked with curl_global_init_mem() for this
 *   binary). libcurl's own copies (the request it writes) are outside our
 *   control; their count is printed, not asserted (docs/reliability.md);
 * - no error string and no log line (DEBUG level) holds the key, for every
 *   path that formats one: HTTP errors whose bodies echo the key (plain,
 *   streaming before and inside the stream, raw), a malformed body echoing
 *   it, connection refused, timeout, truncated body, size limit,
 *   cancellation. (TLS failures and redirects: test_tls.c, test_redirect.c.)
 * SEC_DEBUG=1 in the environment prints every freed block that held a key.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include <mistral/mistral.h>

#include "fixture_server.h"
#include "sec_util.h"

/* Under valgrind, a block may hold bytes the library copied without ever
 * defining them (struct padding); the scan below reads every byte, so it
 * marks them defined first (and, for live blocks, restores their state). */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)0)
#define VALGRIND_GET_VBITS(addr, bits, len) 0
#define VALGRIND_SET_VBITS(addr, bits, len) 0
#endif

/* The fake key the fixtures of tests/fixtures/errors echo (tests/http). */
#define ECHO_KEY "sk-LEAK-7c1f3a9e"
/* A second key, to check a replaced key is wiped too. */
#define OLD_KEY "sk-OLD-0e9d8c7b6a5f"

/* ---- a tracking allocator ---- */

/* Each block carries this header; live blocks are on a list. */
typedef struct block {
  struct block *prev, *next;
  size_t size;
  size_t pad; /* keeps the payload 16-byte aligned on LP64 */
} block;

typedef struct tracker {
  pthread_mutex_t lock;
  block live; /* list head */
  const char *secrets[3];
  size_t freed_blocks;
  size_t freed_with_secret;    /* freed blocks holding a secret anywhere */
  size_t freed_auth_lines;     /* freed blocks starting "Authorization: Bearer <secret>" */
} tracker;

static int holds(const char *p, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; k <= n && i <= n - k; i++)
    if (memcmp(p + i, needle, k) == 0) return 1;
  return 0;
}

static void tracker_init(tracker *t) {
  memset(t, 0, sizeof *t);
  pthread_mutex_init(&t->lock, NULL);
  t->live.next = t->live.prev = &t->live;
}

static void *t_alloc(tracker *t, size_t n) {
  block *b = malloc(sizeof *b + (n ? n : 1));
  if (!b) return NULL;
  b->size = n;
  /* A fresh block may hold bytes someone else freed (libc reuses memory):
   * fill it, so that a key found at free time was written by its owner. */
  memset(b + 1, 0xA5, n);
  pthread_mutex_lock(&t->lock);
  b->next = t->live.next;
  b->prev = &t->live;
  t->live.next->prev = b;
  t->live.next = b;
  pthread_mutex_unlock(&t->lock);
  return b + 1;
}

static void t_release(tracker *t, void *p) {
  if (!p) return;
  block *b = (block *)p - 1;
  const char *data = p;
  pthread_mutex_lock(&t->lock);
  b->prev->next = b->next;
  b->next->prev = b->prev;
  t->freed_blocks++;
  VALGRIND_MAKE_MEM_DEFINED(p, b->size);
  for (size_t i = 0; i < 3 && t->secrets[i]; i++) {
    if (holds(data, b->size, t->secrets[i])) {
      t->freed_with_secret++;
      if (getenv("SEC_DEBUG")) { /* shows what held the key */
        fprintf(stderr, "freed block of %zu bytes: ", b->size);
        for (size_t q = 0; q < b->size; q++)
          fputc(data[q] >= 32 && data[q] < 127 ? data[q] : '.', stderr);
        fputc('\n', stderr);
      }
    }
    char line[128];
    int n = snprintf(line, sizeof line, "Authorization: Bearer %s", t->secrets[i]);
    if (b->size >= (size_t)n && memcmp(data, line, (size_t)n) == 0) t->freed_auth_lines++;
  }
  pthread_mutex_unlock(&t->lock);
  free(b);
}

static void *t_resize(tracker *t, void *p, size_t n) {
  if (!p) return t_alloc(t, n);
  void *q = t_alloc(t, n);
  if (!q) return NULL;
  size_t old = ((block *)p - 1)->size;
  memcpy(q, p, old < n ? old : n);
  t_release(t, p); /* the old block is checked like any freed one */
  return q;
}

/* Blocks still live that hold s. */
static size_t live_holding(tracker *t, const char *s) {
  size_t count = 0;
  pthread_mutex_lock(&t->lock);
  for (block *b = t->live.next; b != &t->live; b = b->next) {
    unsigned char *vbits = malloc(b->size ? b->size : 1);
    int saved = vbits && VALGRIND_GET_VBITS(b + 1, vbits, b->size) == 1;
    VALGRIND_MAKE_MEM_DEFINED(b + 1, b->size);
    if (holds((const char *)(b + 1), b->size, s)) count++;
    if (saved) (void)VALGRIND_SET_VBITS(b + 1, vbits, b->size);
    free(vbits);
  }
  pthread_mutex_unlock(&t->lock);
  return count;
}

/* The client's allocator. */
static tracker client_mem;
static void *c_malloc(size_t n, void *ud) { return t_alloc(ud, n); }
static void *c_realloc(void *p, size_t n, void *ud) { return t_resize(ud, p, n); }
static void c_free(void *p, void *ud) { t_release(ud, p); }

/* libcurl's allocator, for the whole process. */
static tracker curl_mem;
static void *k_malloc(size_t n) { return t_alloc(&curl_mem, n); }
static void k_free(void *p) { t_release(&curl_mem, p); }
static void *k_realloc(void *p, size_t n) { return t_resize(&curl_mem, p, n); }
static char *k_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = t_alloc(&curl_mem, n);
  if (d) memcpy(d, s, n);
  return d;
}
static void *k_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = t_alloc(&curl_mem, n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

static void set_secrets(tracker *t, const char *a, const char *b) {
  pthread_mutex_lock(&t->lock);
  t->secrets[0] = a;
  t->secrets[1] = b;
  t->secrets[2] = NULL;
  t->freed_blocks = t->freed_with_secret = t->freed_auth_lines = 0;
  pthread_mutex_unlock(&t->lock);
}

/* ---- calls ---- */

static void chat_ok(mistral_client *c, mistral_error *err) {
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, c, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_string_equal(mistral_chat_response_text(resp), "Hello! How can I help you today?");
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
}

static void stream_ok(mistral_client *c, mistral_error *err) {
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *final = NULL;
  assert_int_equal(mistral_chat_complete_streaming(&final, c, req, NULL, NULL, err), MISTRAL_OK);
  assert_string_equal(mistral_chat_response_text(final), "Hello there!");
  mistral_chat_response_free(final);
  mistral_chat_request_free(req);
}

static void test_key_wiped_from_client_memory(void **state) {
  (void)state;
  tracker *t = &client_mem;
  set_secrets(t, SEC_TEST_KEY, OLD_KEY);
  fixture_server *fs = tu_server_start(SEC_TEST_KEY, NULL);
  tu_clean_env();
  mistral_allocator a = {c_malloc, c_realloc, c_free, t};
  mistral_client *c = NULL;
  assert_int_equal(mistral_client_new_with_allocator(&c, &a), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(c, fixture_server_url(fs)), MISTRAL_OK);
  mistral_error *err = mistral_error_new();

  /* A first key, replaced: its copy is wiped at once. */
  assert_int_equal(mistral_client_set_api_key(c, OLD_KEY), MISTRAL_OK);
  assert_int_equal(live_holding(t, OLD_KEY), 1); /* the tracker sees the copy */
  assert_int_equal(mistral_client_set_api_key(c, SEC_TEST_KEY), MISTRAL_OK);
  assert_int_equal(live_holding(t, OLD_KEY), 0);
  assert_int_equal(live_holding(t, SEC_TEST_KEY), 1);

  /* Script mode: queued in the order of the calls below. */
  for (int i = 0; i < 2; i++) {
    tu_expect(fs, "security/plain-hello.fixture", 1);
    tu_expect(fs, "security/stream-hello.fixture", 1);
  }
  tu_expect(fs, "security/plain-hello.fixture", 1);
  tu_expect(fs, "errors/401-unauthorized.fixture", 1);
  chat_ok(c, err);
  stream_ok(c, err);
  chat_ok(c, err);
  stream_ok(c, err);
  mistral_raw_response *raw = NULL;
  assert_int_equal(mistral_raw_call(&raw, c, "POST", "/v1/chat/completions",
                                    "{\"model\":\"mistral-small-latest\",\"messages\":"
                                    "[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                                    err),
                   MISTRAL_OK);
  mistral_raw_response_free(raw);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, c, req, err), MISTRAL_E_UNAUTHORIZED);
  mistral_chat_request_free(req);
  /* A pull stream abandoned midway. */
  tu_expect(fs, "security/stream-hello.fixture", 1);
  req = tu_hello_request();
  mistral_chat_stream *s = NULL;
  assert_int_equal(mistral_chat_stream_open(&s, c, req, err), MISTRAL_OK);
  const mistral_chat_chunk *chunk = NULL;
  assert_int_equal(mistral_chat_stream_next(&chunk, s, err), MISTRAL_OK);
  mistral_chat_stream_free(s);
  mistral_chat_request_free(req);
  /* Connection refused. */
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", tu_closed_port());
  assert_int_equal(mistral_client_set_server_url(c, url), MISTRAL_OK);
  req = tu_hello_request();
  assert_int_equal(mistral_chat_complete(&resp, c, req, err), MISTRAL_E_CONNECT);
  mistral_chat_request_free(req);

  assert_true(t->freed_blocks > 0);
  assert_int_equal(live_holding(t, SEC_TEST_KEY), 1); /* only the client's copy */
  mistral_client_free(c);
  assert_int_equal(live_holding(t, SEC_TEST_KEY), 0);
  assert_int_equal(live_holding(t, OLD_KEY), 0);
  if (t->freed_with_secret) print_error("%zu freed blocks held a key\n", t->freed_with_secret);
  assert_int_equal(t->freed_with_secret, 0);
  assert_int_equal(fixture_server_mismatches(fs), 0);
  assert_int_equal(fixture_server_pending(fs), 0);
  fixture_server_stop(fs);
  mistral_error_free(err);
}

/* The detector itself: a block freed with the key in it is seen. */
static void test_tracker_sees_unwiped_key(void **state) {
  (void)state;
  tracker *t = &client_mem;
  set_secrets(t, SEC_TEST_KEY, NULL);
  char *p = c_malloc(64, t);
  if (!p) {
    fail();
    return;
  }
  snprintf(p, 64, "xx Bearer %s yy", SEC_TEST_KEY);
  p = c_realloc(p, 4096, t); /* the old block is freed unwiped: seen */
  assert_int_equal(t->freed_with_secret, 1);
  c_free(p, t);
  assert_int_equal(t->freed_with_secret, 2);
}

/* The header lines given to libcurl (curl_slist) are wiped before libcurl
 * frees them; libcurl's own request buffer is not ours to wipe. */
static void test_curl_header_lines_wiped(void **state) {
  (void)state;
  tracker *t = &curl_mem;
  set_secrets(t, SEC_TEST_KEY, NULL);
  fixture_server *fs = tu_server_start(SEC_TEST_KEY, NULL);
  mistral_client *c = sec_client(fixture_server_url(fs));
  mistral_error *err = mistral_error_new();
  tu_expect(fs, "security/plain-hello.fixture", 1);
  tu_expect(fs, "security/stream-hello.fixture", 1);
  tu_expect(fs, "security/plain-hello.fixture", 1);
  chat_ok(c, err);
  stream_ok(c, err);
  chat_ok(c, err);
  mistral_client_free(c);
  assert_true(t->freed_blocks > 0); /* libcurl's allocations are tracked */
  assert_int_equal(t->freed_auth_lines, 0);
  printf("# libcurl's own blocks that held the key when freed: %zu (outside "
         "libmistral's control; see docs/reliability.md)\n",
         t->freed_with_secret);
  assert_int_equal(fixture_server_pending(fs), 0);
  fixture_server_stop(fs);
  mistral_error_free(err);
}

/* ---- no key in error strings or log lines ---- */

typedef enum kind { CHAT, PUSH, PULL, RAW } kind;

typedef struct leak_case {
  const char *fixture; /* NULL: no server exchange */
  const char *key;
  kind how;
  int want;
  int setup;     /* 0 none, 1 closed port, 2 short timeout, 3 tiny size limit, 4 cancelled */
  int retryable; /* the failure is retried: the fixture is served every attempt */
} leak_case;

static const leak_case leak_cases[] = {
    {"errors/401-key-echo.fixture", ECHO_KEY, CHAT, MISTRAL_E_UNAUTHORIZED, 0, 0},
    {"errors/401-key-echo.fixture", ECHO_KEY, RAW, MISTRAL_E_UNAUTHORIZED, 0, 0},
    {"errors/422-key-echo.fixture", ECHO_KEY, CHAT, MISTRAL_E_VALIDATION, 0, 0},
    {"errors/502-key-echo.fixture", ECHO_KEY, CHAT, MISTRAL_E_SERVER, 0, 1},
    {"errors/200-malformed-key-echo.fixture", ECHO_KEY, CHAT, MISTRAL_E_BAD_RESPONSE, 0, 0},
    {"security/stream-401-key-echo.fixture", SEC_TEST_KEY, PUSH, MISTRAL_E_UNAUTHORIZED, 0, 0},
    {"security/stream-401-key-echo.fixture", SEC_TEST_KEY, PULL, MISTRAL_E_UNAUTHORIZED, 0, 0},
    {"security/stream-error-key-echo.fixture", SEC_TEST_KEY, PUSH, MISTRAL_E_STREAM, 0, 0},
    {"security/stream-error-key-echo.fixture", SEC_TEST_KEY, PULL, MISTRAL_E_STREAM, 0, 0},
    {"errors/truncated-body.fixture", SEC_TEST_KEY, CHAT, MISTRAL_E_TRUNCATED, 0, 1},
    {"security/hang.fixture", SEC_TEST_KEY, CHAT, MISTRAL_E_TIMEOUT, 2, 1},
    {"security/plain-hello.fixture", SEC_TEST_KEY, CHAT, MISTRAL_E_TOO_LARGE, 3, 0},
    {NULL, SEC_TEST_KEY, CHAT, MISTRAL_E_CONNECT, 1, 1},
    {NULL, SEC_TEST_KEY, CHAT, MISTRAL_E_CANCELLED, 4, 0},
    {NULL, SEC_TEST_KEY, PUSH, MISTRAL_E_CANCELLED, 4, 0},
};

static int run_case(const leak_case *lc, mistral_client *c, mistral_error *err) {
  mistral_chat_request *req = tu_hello_request();
  mistral_call_options *o = NULL;
  static const volatile int raised = 1;
  if (lc->setup == 2 || lc->setup == 4) {
    assert_int_equal(mistral_call_options_new(&o), MISTRAL_OK);
    if (lc->setup == 2) assert_int_equal(mistral_call_options_set_timeout_ms(o, 300), MISTRAL_OK);
    else assert_int_equal(mistral_call_options_set_cancel_flag(o, &raised), MISTRAL_OK);
    assert_int_equal(mistral_chat_request_set_call_options(req, o), MISTRAL_OK);
  }
  int rc;
  if (lc->how == CHAT) {
    mistral_chat_response *resp = NULL;
    rc = mistral_chat_complete(&resp, c, req, err);
    assert_null(resp);
  } else if (lc->how == PUSH) {
    mistral_chat_response *final = NULL;
    rc = mistral_chat_complete_streaming(&final, c, req, NULL, NULL, err);
    mistral_chat_response_free(final);
  } else if (lc->how == PULL) {
    mistral_chat_stream *s = NULL;
    rc = mistral_chat_stream_open(&s, c, req, err);
    const mistral_chat_chunk *chunk = NULL;
    while (rc == MISTRAL_OK && (rc = mistral_chat_stream_next(&chunk, s, err)) == MISTRAL_OK &&
           chunk) {
    }
    mistral_chat_stream_free(s);
  } else {
    mistral_raw_response *r = NULL;
    rc = mistral_raw_call(&r, c, "POST", "/v1/chat/completions",
                          "{\"model\":\"mistral-small-latest\",\"messages\":"
                          "[{\"role\":\"user\",\"content\":\"Hello\"}]}",
                          err);
    mistral_raw_response_free(r);
  }
  mistral_chat_request_free(req);
  mistral_call_options_free(o);
  return rc;
}

static void test_no_key_in_errors_or_logs(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof leak_cases / sizeof *leak_cases; i++) {
    const leak_case *lc = &leak_cases[i];
    fixture_server *fs = fixture_server_start(lc->key);
    assert_non_null(fs);
    char url[64];
    if (lc->setup == 1) snprintf(url, sizeof url, "http://127.0.0.1:%d", tu_closed_port());
    mistral_client *c = sec_client(lc->setup == 1 ? url : fixture_server_url(fs));
    assert_int_equal(mistral_client_set_api_key(c, lc->key), MISTRAL_OK);
    if (lc->setup == 3) assert_int_equal(mistral_client_set_max_response_bytes(c, 16), MISTRAL_OK);
    /* Retried failures go through every attempt (each one logged), fast. */
    assert_int_equal(mistral_client_set_retry_backoff(c, 1, 1, 1.0, 0.0), MISTRAL_OK);
    sec_log *log = sec_log_new();
    sec_log_attach(log, c);
    mistral_error *err = mistral_error_new();
    if (lc->fixture)
      tu_expect(fs, lc->fixture, lc->retryable ? MISTRAL_DEFAULT_MAX_ATTEMPTS : 1);
    int rc = run_case(lc, c, err);
    if (rc != lc->want)
      print_error("case %zu (%s): got %d, want %d: %s\n", i, lc->fixture ? lc->fixture : "-", rc,
                  lc->want, mistral_error_message(err));
    assert_int_equal(rc, lc->want);
    assert_int_equal(mistral_error_code(err), rc);
    assert_true(strlen(mistral_error_message(err)) > 0);
    tu_assert_error_clean(err, lc->key);
    if (sec_log_count(log) == 0) print_error("case %zu: nothing logged\n", i);
    assert_true(sec_log_count(log) > 0); /* the failure was logged... */
    sec_assert_log_clean(log, lc->key);  /* ...without the key */
    mistral_client_free(c);
    if (fixture_server_mismatches(fs)) print_error("case %zu:\n", i);
    tu_assert_served(fs);
    fixture_server_stop(fs);
    sec_log_free(log);
    mistral_error_free(err);
  }
}

int main(void) {
  tracker_init(&client_mem);
  tracker_init(&curl_mem);
  /* Before any other use of libcurl in the process. */
  if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, k_malloc, k_free, k_realloc, k_strdup,
                           k_calloc) != CURLE_OK)
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tracker_sees_unwiped_key),
      cmocka_unit_test(test_key_wiped_from_client_memory),
      cmocka_unit_test(test_curl_header_lines_wiped),
      cmocka_unit_test(test_no_key_in_errors_or_logs),
  };
  int failed = cmocka_run_group_tests_name("security_secrets", tests, NULL, NULL);
  curl_global_cleanup();
  return failed;
}
