/* B. Push (mistral_chat_complete_streaming with final_out) and pull
 * (open / next / free) over libcurl and the loopback fixture server, for
 * every stream fixture as recorded, with `% chunk-bytes 1`, and with
 * `% split-at` cuts (i) inside "data:", (ii) inside multi-byte UTF-8
 * characters, (iii) between the two line ends of every event boundary,
 * (iv) between CR and LF, and all of them at once: every run must give
 * exactly what the sans-I/O decoder gives on the whole body (chunks,
 * completed tool calls, outcome, error object, accumulated response).
 * Also: an HTTP 429 before the stream gives the same error object as the
 * non-streaming call, and a body cut by the transport mid-event is
 * MISTRAL_E_TRUNCATED with the chunks before it delivered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream_test_util.h"

typedef struct wire_ctx {
  const stream_case *c;
  fixture_server *fs;
  mistral_client *client;
} wire_ctx;

static int wire_setup(void **state) {
  tu_clean_env();
  wire_ctx *t = calloc(1, sizeof *t);
  if (!t) return -1;
  t->c = *state;
  t->fs = fixture_server_start(STREAM_TEST_KEY);
  if (!t->fs) {
    free(t);
    return -1;
  }
  t->client = stream_client(t->fs);
  *state = t;
  return 0;
}

static int wire_teardown(void **state) {
  wire_ctx *t = *state;
  if (!t) return 0;
  mistral_client_free(t->client);
  fixture_server_stop(t->fs);
  free(t);
  return 0;
}

/* ---- cut positions ---- */

typedef struct offsets {
  size_t *v;
  size_t n, cap;
} offsets;

static void off_add(offsets *o, size_t x) {
  if (o->n == o->cap) {
    o->cap = o->cap ? o->cap * 2 : 64;
    o->v = realloc(o->v, o->cap * sizeof *o->v);
    assert_non_null(o->v);
  }
  o->v[o->n++] = x;
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* "% split-at a,b,...\n" of the offsets in (0, len), sorted, unique; NULL
 * when there is none. */
static char *split_directive(offsets *o, size_t len) {
  if (o->n == 0) return NULL;
  qsort(o->v, o->n, sizeof *o->v, cmp_size);
  sbuf b = {0};
  size_t last = 0;
  for (size_t i = 0; i < o->n; i++) {
    size_t x = o->v[i];
    if (x == 0 || x >= len || x == last) continue;
    sbuf_printf(&b, "%s%zu", b.len ? "," : "% split-at ", x);
    last = x;
  }
  if (!b.len) return NULL;
  sbuf_adds(&b, "\n");
  return b.data;
}

enum { CUT_DATA, CUT_UTF8_LEAD, CUT_UTF8_LAST, CUT_EVENT, CUT_CRLF, CUT_ALL, CUT_KINDS };

static const char *const cut_names[CUT_KINDS] = {
    "inside data:", "after a UTF-8 lead byte", "before a UTF-8 last byte",
    "between the line ends of an event boundary", "between CR and LF", "all of these"};

static void find_cuts(const char *body, size_t len, offsets cuts[CUT_KINDS]) {
  for (size_t k = 0; k < len; k++) {
    unsigned char b = (unsigned char)body[k];
    if (k + 5 <= len && memcmp(body + k, "data:", 5) == 0) {
      off_add(&cuts[CUT_DATA], k + 2);
      off_add(&cuts[CUT_ALL], k + 2);
    }
    if (b >= 0xC0) {
      size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
      off_add(&cuts[CUT_UTF8_LEAD], k + 1);
      off_add(&cuts[CUT_ALL], k + 1);
      if (n > 2) off_add(&cuts[CUT_UTF8_LAST], k + n - 1);
    }
    if (k + 4 <= len && memcmp(body + k, "\r\n\r\n", 4) == 0) {
      off_add(&cuts[CUT_EVENT], k + 2);
      off_add(&cuts[CUT_ALL], k + 2);
    } else if (k + 2 <= len && memcmp(body + k, "\n\n", 2) == 0 && (k == 0 || body[k - 1] != '\r')) {
      off_add(&cuts[CUT_EVENT], k + 1);
      off_add(&cuts[CUT_ALL], k + 1);
    }
    if (k + 2 <= len && memcmp(body + k, "\r\n", 2) == 0) {
      off_add(&cuts[CUT_CRLF], k + 1);
      off_add(&cuts[CUT_ALL], k + 1);
    }
  }
}

/* ---- runs ---- */

static void run_both(wire_ctx *t, const stream_record *ref, const char *directives,
                     const char *label) {
  char what[256];
  for (int pull = 0; pull < 2; pull++) {
    stream_expect(t->fs, t->c->file, directives);
    mistral_chat_request *req = stream_case_request(t->c);
    stream_record r;
    record_init(&r);
    mistral_chat_response *resp = NULL;
    int rc = pull ? run_pull(t->client, req, &r, &resp) : run_push(t->client, req, &r, &resp);
    snprintf(what, sizeof what, "%s, %s, %s", t->c->file, pull ? "pull" : "push", label);
    tu_assert_served(t->fs);
    assert_int_equal(rc, t->c->status);
    record_assert_equal(ref, &r, pull != 0, what);
    check_case(t->c, &r, resp, pull != 0);
    mistral_chat_response_free(resp);
    record_free(&r);
    mistral_chat_request_free(req);
  }
}

static void test_wire(void **state) {
  wire_ctx *t = *state;
  size_t len = 0;
  char *body = stream_fixture_body(t->c->file, &len);
  stream_record ref;
  record_init(&ref);
  run_sansio(body, len, NULL, 0, &ref, NULL);

  run_both(t, &ref, "", "as recorded");
  run_both(t, &ref, "% chunk-bytes 1\n", "one byte per write");

  offsets cuts[CUT_KINDS];
  memset(cuts, 0, sizeof cuts);
  find_cuts(body, len, cuts);
  /* Every fixture has "data:" and event boundaries to cut. */
  assert_true(cuts[CUT_DATA].n > 0);
  assert_true(cuts[CUT_EVENT].n > 0);
  for (int k = 0; k < CUT_KINDS; k++) {
    char *d = split_directive(&cuts[k], len);
    if (d) {
      char label[128];
      snprintf(label, sizeof label, "split-at %s (%zu cuts)", cut_names[k], cuts[k].n);
      run_both(t, &ref, d, label);
      free(d);
    }
    free(cuts[k].v);
  }
  record_free(&ref);
  free(body);
}

/* ---- 429 before the stream ---- */

static void error_fields(sbuf *b, int rc, const mistral_error *err) {
  sbuf_printf(b, "rc=%d code=%d http=%d retryable=%d details=%zu", rc, mistral_error_code(err),
              mistral_error_http_status(err), mistral_error_is_retryable(err),
              mistral_error_detail_count(err));
  const char *fields[] = {mistral_error_message(err),     mistral_error_api_message(err),
                          mistral_error_api_type(err),    mistral_error_api_code(err),
                          mistral_error_api_param(err),   mistral_error_request_id(err),
                          mistral_error_body(err),        mistral_error_transport_message(err)};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    sbuf_printf(b, "\n[%zu] %s", i, fields[i] ? fields[i] : "(null)");
}

static int count_chunk(const mistral_chat_chunk *chunk, void *ud) {
  (void)chunk;
  (*(int *)ud)++;
  return 0;
}

static void test_rate_limited(void **state) {
  wire_ctx *t = *state;
  mistral_error *err = mistral_error_new();
  assert_non_null(err);

  /* The non-streaming call: the reference error object. */
  tu_expect(t->fs, "stream/rate-limited-plain.fixture", 1);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = (mistral_chat_response *)1;
  int rc = mistral_chat_complete(&resp, t->client, req, err);
  assert_int_equal(rc, MISTRAL_E_RATE_LIMITED);
  assert_null(resp);
  assert_int_equal(mistral_error_http_status(err), 429);
  assert_string_equal(mistral_error_api_message(err), "Requests rate limit exceeded");
  assert_string_equal(mistral_error_api_type(err), "rate_limited");
  assert_string_equal(mistral_error_api_code(err), "1300");
  assert_string_equal(mistral_error_request_id(err), "7d6c5b4a3f2e41d0c9b8a7f6e5d4c3b2");
  sbuf want = {0};
  error_fields(&want, rc, err);
  tu_assert_served(t->fs);

  static const char *const variants[] = {"", "% chunk-bytes 1\n", "% split-at 1,10,11,12\n"};
  for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
    /* Push: no callback, no final_out. */
    stream_expect(t->fs, "rate-limited.fixture", variants[v]);
    int calls = 0;
    resp = (mistral_chat_response *)1;
    mistral_error_clear(err);
    rc = mistral_chat_complete_streaming(&resp, t->client, req, count_chunk, &calls, err);
    tu_assert_served(t->fs);
    assert_null(resp);
    assert_int_equal(calls, 0);
    sbuf got = {0};
    error_fields(&got, rc, err);
    assert_string_equal(sbuf_str(&got), sbuf_str(&want));
    sbuf_free(&got);

    /* Pull: open fails the same way. */
    stream_expect(t->fs, "rate-limited.fixture", variants[v]);
    mistral_chat_stream *s = (mistral_chat_stream *)1;
    mistral_error_clear(err);
    rc = mistral_chat_stream_open(&s, t->client, req, err);
    tu_assert_served(t->fs);
    assert_null(s);
    error_fields(&got, rc, err);
    assert_string_equal(sbuf_str(&got), sbuf_str(&want));
    sbuf_free(&got);
  }
  sbuf_free(&want);
  mistral_chat_request_free(req);
  mistral_error_free(err);
}

/* ---- a body cut by the transport ---- */

/* Offset of the n-th (1-based) "data:" in body. */
static size_t nth_data(const char *body, size_t n) {
  const char *p = body;
  for (size_t i = 0; i < n; i++) {
    p = strstr(i ? p + 1 : p, "data:");
    assert_non_null(p);
  }
  return (size_t)(p - body);
}

static void test_transport_cut(void **state) {
  wire_ctx *t = *state;
  size_t len = 0;
  char *body = stream_fixture_body(t->c->file, &len);
  const size_t fifth = nth_data(body, 5);
  const char *guillemet = strstr(body + nth_data(body, 6), "\xc2\xab");
  assert_non_null(guillemet);
  /* Where the body is cut, and what arrives before: only whole events
   * count, so a cut between the two LFs of the 4th event's end leaves 3. */
  static const char *const texts[] = {"Bienvenue à", "Bienvenue à tous",
                                      "Bienvenue à tous ! Voilà"};
  const struct {
    size_t at;
    size_t chunks;
    const char *text;
  } cuts[] = {
      {fifth + 40, 4, texts[1]},                       /* inside the 5th event's JSON */
      {fifth + 6, 4, texts[1]},                        /* just after its "data: " */
      {fifth + 2, 4, texts[1]},                        /* inside "data:" */
      {fifth, 4, texts[1]},                            /* right after the blank line */
      {fifth - 1, 3, texts[0]},                        /* between the two LFs */
      {(size_t)(guillemet - body) + 1, 5, texts[2]},   /* inside the '«' of the 6th */
  };
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    char directives[64];
    snprintf(directives, sizeof directives, "%% truncate-body %zu\n", cuts[i].at);
    for (int pull = 0; pull < 2; pull++) {
      stream_expect(t->fs, t->c->file, directives);
      mistral_chat_request *req = stream_case_request(t->c);
      stream_record r;
      record_init(&r);
      mistral_chat_response *resp = NULL;
      int rc = pull ? run_pull(t->client, req, &r, &resp) : run_push(t->client, req, &r, &resp);
      tu_assert_served(t->fs);
      if (rc != MISTRAL_E_TRUNCATED || r.chunk_count != cuts[i].chunks)
        fail_msg("%s, cut at %zu: %zu chunks, %s", pull ? "pull" : "push", cuts[i].at,
                 r.chunk_count, sbuf_str(&r.err));
      assert_string_equal(sbuf_str(&r.text[0]), cuts[i].text);
      assert_non_null(resp);
      assert_int_equal(resp->choice_count, 1);
      assert_string_equal(resp->choices[0]->message->content, cuts[i].text);
      assert_int_equal(resp->choices[0]->finish_reason, MISTRAL_FINISH_NONE);
      mistral_chat_response_free(resp);
      record_free(&r);
      mistral_chat_request_free(req);
    }
  }
  free(body);
}

/* With chunked transfer encoding, the connection closes before the last
 * chunk: cut inside the 5th event (keep-alive comments are no chunks). */
static void test_transport_cut_chunked(void **state) {
  wire_ctx *t = *state;
  size_t len = 0;
  char *body = stream_fixture_body(t->c->file, &len);
  char directives[64];
  snprintf(directives, sizeof directives, "%% truncate-body %zu\n", nth_data(body, 5) + 40);
  for (int pull = 0; pull < 2; pull++) {
    stream_expect(t->fs, t->c->file, directives);
    mistral_chat_request *req = stream_case_request(t->c);
    stream_record r;
    record_init(&r);
    mistral_chat_response *resp = NULL;
    int rc = pull ? run_pull(t->client, req, &r, &resp) : run_push(t->client, req, &r, &resp);
    tu_assert_served(t->fs);
    if (rc != MISTRAL_E_TRUNCATED) fail_msg("%s", sbuf_str(&r.err));
    assert_int_equal(r.chunk_count, 4);
    assert_string_equal(sbuf_str(&r.text[0]), "Paris est la");
    /* The transport's account of it, as for a non-streaming call. */
    assert_int_equal(r.err_http_status, 200);
    assert_true(strstr(sbuf_str(&r.err), "transport=\"") != NULL);
    assert_non_null(resp);
    assert_string_equal(resp->choices[0]->message->content, "Paris est la");
    mistral_chat_response_free(resp);
    record_free(&r);
    mistral_chat_request_free(req);
  }
  free(body);
}

int main(void) {
  tu_clean_env();
  size_t n = stream_case_count + 3;
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  if (!tests) return 1;
  for (size_t i = 0; i < stream_case_count; i++) {
    tests[i].name = stream_cases[i].file;
    tests[i].test_func = test_wire;
    tests[i].initial_state = (void *)&stream_cases[i];
    tests[i].setup_func = wire_setup;
    tests[i].teardown_func = wire_teardown;
  }
  tests[stream_case_count] = (struct CMUnitTest){
      "rate-limited.fixture (429 before the stream)", test_rate_limited, wire_setup,
      wire_teardown, (void *)stream_case_find("text-utf8.fixture")};
  tests[stream_case_count + 1] = (struct CMUnitTest){
      "text-utf8.fixture cut by the transport", test_transport_cut, wire_setup, wire_teardown,
      (void *)stream_case_find("text-utf8.fixture")};
  tests[stream_case_count + 2] = (struct CMUnitTest){
      "crlf-keepalive.fixture cut by the transport (chunked)", test_transport_cut_chunked,
      wire_setup, wire_teardown, (void *)stream_case_find("crlf-keepalive.fixture")};
  int rc = _cmocka_run_group_tests("stream_wire", tests, n, NULL, NULL);
  free(tests);
  return rc;
}
