/* SPDX-License-Identifier: Apache-2.0 */
/* The out-of-memory walk: for a blocking chat call, a push stream, a pull
 * stream and an embeddings call, fail allocation number N for N = 1, 2, 3...
 * until the call no longer reaches N allocations. Each failing run must
 * return MISTRAL_E_NOMEM (never crash, never another status, never a half
 * response), and free everything it allocated: the test counts the live
 * blocks of its allocator, and ASan and valgrind watch the rest.
 *
 * The counted allocator is the client's (mistral_client_new_with_allocator)
 * and jansson's, which the test installs process-wide with
 * json_set_alloc_funcs() as an application may: the library never sets
 * jansson's hooks itself (they are global, without user data), but it must
 * survive every jansson failure they cause. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mistral/mistral.h>

#include "test_util.h"

#define KEY "sk-OOM-5d1e"
/* The mistral-correlation-id of tests/fixtures/oom/stream.fixture. */
#define STREAM_REQUEST_ID "019ac6d3-5e6f-7a8b-9c0d-1e2f3a4b5c6d"

/* ---- the failing allocator ---- */

/* Only the test's thread is counted: the fixture server's threads use
 * jansson too (to compare requests), through the same hooks. Each block
 * carries a header saying whether it was counted, so that a block is
 * uncounted when freed exactly when it was counted when made. */
static struct {
  long count;   /* allocations tried since arming */
  long fail_at; /* the allocation to fail (0: none) */
  int failed;   /* that allocation was failed */
  long live;    /* counted blocks not yet freed */
} g;
static _Thread_local int counted_thread;

typedef union header {
  int counted;
  max_align_t align;
} header;

static void *count_malloc(size_t n) {
  int counted = counted_thread;
  if (counted && g.fail_at && ++g.count == g.fail_at) {
    g.failed = 1;
    return NULL;
  }
  header *h = malloc(sizeof *h + n);
  if (!h) return NULL;
  h->counted = counted;
  if (counted) g.live++;
  return h + 1;
}

static void count_free(void *p) {
  if (!p) return;
  header *h = (header *)p - 1;
  if (h->counted) g.live--;
  free(h);
}

static void *a_malloc(size_t n, void *ud) {
  (void)ud;
  return count_malloc(n);
}

static void *a_realloc(void *p, size_t n, void *ud) {
  (void)ud;
  if (!p) return count_malloc(n);
  header *h = (header *)p - 1;
  if (counted_thread && g.fail_at && ++g.count == g.fail_at) {
    g.failed = 1;
    return NULL;
  }
  h = realloc(h, sizeof *h + n);
  return h ? h + 1 : NULL;
}

static void a_free(void *p, void *ud) {
  (void)ud;
  count_free(p);
}

static const mistral_allocator counting = {a_malloc, a_realloc, a_free, NULL};

static void arm(long n) {
  g.count = 0;
  g.fail_at = n;
  g.failed = 0;
}

/* ---- the world ---- */

static fixture_server *fs;
static mistral_client *client;

static int setup(void **state) {
  (void)state;
  counted_thread = 1;
  json_set_alloc_funcs(count_malloc, count_free);
  tu_clean_env();
  fs = fixture_server_start(KEY);
  if (!fs) return -1;
  const char *dir = getenv("MISTRAL_FIXTURES");
  char path[1024];
  snprintf(path, sizeof path, "%s/oom", dir ? dir : "tests/fixtures");
  if (fixture_server_load_dir(fs, path, 0) != 0) return -1;
  if (mistral_client_new_with_allocator(&client, &counting) != MISTRAL_OK ||
      mistral_client_set_api_key(client, KEY) != MISTRAL_OK ||
      mistral_client_set_server_url(client, fixture_server_url(fs)) != MISTRAL_OK)
    return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  mistral_client_free(client);
  assert_int_equal(fixture_server_mismatches(fs), 0);
  fixture_server_stop(fs);
  return 0;
}

/* One run of a scenario: its status; on success it checked the result. */
typedef int (*scenario)(mistral_error *err);

/* Walks N over every allocation of run(); returns how many it failed. */
static long walk(const char *name, scenario run) {
  mistral_error *err = mistral_error_new();
  assert_non_null(err);
  /* Once without failing: lazily made client state (the connection pool)
   * exists before the walk counts live blocks. */
  arm(0);
  assert_int_equal(run(err), MISTRAL_OK);
  long base = g.live;
  long n;
  for (n = 1;; n++) {
    arm(n);
    int rc = run(err);
    int failed = g.failed;
    arm(0);
    if (rc != MISTRAL_E_NOMEM || !failed) {
      if (failed || rc != MISTRAL_OK)
        fail_msg("%s: failing allocation %ld gave %d (%s): %s", name, n, rc,
                 mistral_strerror(rc), mistral_error_message(err));
      break; /* the run made fewer than n allocations: the walk is over */
    }
    if (g.live != base)
      fail_msg("%s: failing allocation %ld left %ld blocks behind", name, n, g.live - base);
  }
  assert_int_equal(g.live, base);
  mistral_error_free(err);
  print_message("%s: %ld allocations failed one at a time, each MISTRAL_E_NOMEM\n", name,
                n - 1);
  return n - 1;
}

/* ---- scenarios ---- */

static mistral_chat_request *chat_req;

static void check_tool_calls(const mistral_chat_response *r) {
  assert_int_equal(r->choice_count, 1);
  const mistral_assistant_message *m = r->choices[0]->message;
  assert_int_equal(m->tool_call_count, 2);
  assert_string_equal(m->tool_calls[0]->name, "get_weather");
}

static int chat_blocking(mistral_error *err) {
  mistral_chat_response *r = NULL;
  int rc = mistral_chat_complete(&r, client, chat_req, err);
  if (rc == MISTRAL_OK) {
    check_tool_calls(r);
    assert_non_null(r->request_id);
  } else {
    assert_null(r);
  }
  mistral_chat_response_free(r);
  return rc;
}

static int count_chunk(const mistral_chat_chunk *chunk, void *ud) {
  (void)chunk;
  ++*(int *)ud;
  return 0;
}

static int stream_push(mistral_error *err) {
  mistral_chat_response *r = NULL;
  int chunks = 0;
  int rc = mistral_chat_complete_streaming(&r, client, chat_req, count_chunk, &chunks, err);
  if (rc == MISTRAL_OK) {
    assert_int_equal(chunks, 9);
    check_tool_calls(r);
    assert_int_equal(r->usage->total_tokens, 178);
    /* The stream's response headers reach the accumulated answer. */
    assert_string_equal(r->request_id, STREAM_REQUEST_ID);
  }
  /* A failed stream may hand over the answer so far: it is freed all the
   * same. */
  mistral_chat_response_free(r);
  return rc;
}

static int stream_pull(mistral_error *err) {
  mistral_chat_stream *s = NULL;
  int rc = mistral_chat_stream_open(&s, client, chat_req, err);
  if (rc != MISTRAL_OK) {
    assert_null(s);
    return rc;
  }
  const mistral_chat_chunk *chunk;
  int chunks = 0;
  while ((rc = mistral_chat_stream_next(&chunk, s, err)) == MISTRAL_OK && chunk) chunks++;
  mistral_chat_response *r = NULL;
  if (rc == MISTRAL_OK) {
    assert_int_equal(chunks, 9);
    rc = mistral_chat_stream_response(&r, s);
    if (rc == MISTRAL_OK) {
      check_tool_calls(r);
      assert_string_equal(r->request_id, STREAM_REQUEST_ID);
    }
  }
  mistral_chat_response_free(r);
  mistral_chat_stream_free(s);
  return rc;
}

static mistral_embeddings_request *emb_req;

static int embeddings(mistral_error *err) {
  mistral_embeddings_response *r = NULL;
  int rc = mistral_embeddings_create(&r, client, emb_req, err);
  if (rc == MISTRAL_OK) {
    assert_int_equal(r->rows, 2);
    assert_int_equal(r->cols, 8);
  } else {
    assert_null(r);
  }
  mistral_embeddings_response_free(r);
  return rc;
}

/* ---- tests ---- */

static void test_chat(void **state) {
  (void)state;
  chat_req = tu_hello_request();
  assert_true(walk("chat", chat_blocking) > 10);
  mistral_chat_request_free(chat_req);
}

static void test_stream(void **state) {
  (void)state;
  chat_req = tu_hello_request();
  assert_true(walk("stream (push)", stream_push) > 10);
  assert_true(walk("stream (pull)", stream_pull) > 10);
  mistral_chat_request_free(chat_req);
}

static void test_embeddings(void **state) {
  (void)state;
  assert_int_equal(mistral_embeddings_request_new(&emb_req, "mistral-embed"), MISTRAL_OK);
  static const char *const texts[] = {"Embed this sentence.", "As well as this one."};
  assert_int_equal(mistral_embeddings_request_set_inputs(emb_req, texts, 2), MISTRAL_OK);
  assert_true(walk("embeddings", embeddings) > 5);
  mistral_embeddings_request_free(emb_req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chat),
      cmocka_unit_test(test_stream),
      cmocka_unit_test(test_embeddings),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
