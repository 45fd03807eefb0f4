/* Shared helpers of the tests/stream suite: the stream fixtures and what
 * each must give (tests/fixtures/stream/), a canonical record of a run
 * (every chunk, the completed tool calls, the outcome, the accumulated
 * response) to compare runs that must be identical, and checks of a run
 * against the expectations. Every helper fails the running cmocka test on
 * an unexpected condition. */
#ifndef LIBMISTRAL_TEST_STREAM_UTIL_H
#define LIBMISTRAL_TEST_STREAM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mistral/mistral.h>
#include <mistral/stream.h>

#include "test_util.h"

#define STREAM_TEST_KEY "sk-test-stream-5d2e9a71"

/* ---- expectations ---- */

typedef struct exp_choice {
  int64_t index;
  const char *text;     /* the deltas' text, concatenated */
  const char *thinking; /* the thinking chunks' text, concatenated, or NULL */
  mistral_finish_reason finish;
  const char *finish_raw; /* NULL: none */
} exp_choice;

typedef struct exp_tool {
  int64_t choice;
  int64_t index;
  const char *id;
  const char *name;
  const char *arguments;
  size_t completed_at; /* 1-based chunk whose add completes it; 0: the end */
} exp_tool;

typedef enum req_tools { TOOLS_NONE, TOOLS_WEATHER, TOOLS_WEATHER_TIME } req_tools;

typedef struct stream_case {
  const char *file; /* under $MISTRAL_FIXTURES/stream/ */
  /* The request. */
  const char *model;
  const char *prompt;
  req_tools tools;
  int n; /* 0: not sent */
  /* The outcome. */
  int status;
  size_t chunks; /* chunks delivered */
  const char *id;
  const char *resp_model;
  size_t choice_count;
  exp_choice choices[2];
  size_t tool_count;
  exp_tool tools_out[2];
  int64_t usage[3]; /* prompt, completion, total; -1: none */
  /* For MISTRAL_E_STREAM: mistral_error_body() and the API fields. */
  const char *err_body;
  const char *api_message, *api_type, *api_code;
} stream_case;

extern const stream_case stream_cases[];
extern const size_t stream_case_count;

/* The case of a fixture file name ("text-utf8.fixture"). */
const stream_case *stream_case_find(const char *file);

/* ---- fixtures ---- */

/* The response body (what the server sends) of $MISTRAL_FIXTURES/stream/
 * <file>, malloc'd; *len receives its length. */
char *stream_fixture_body(const char *file, size_t *len);
/* Queues the fixture with directives ("% split-at 3,9\n", may be "")
 * written before it. */
void stream_expect(fixture_server *fs, const char *file, const char *directives);

/* The request of a case (the fixture's request body). */
mistral_chat_request *stream_case_request(const stream_case *c);

/* ---- records ---- */

typedef struct sbuf {
  char *data;
  size_t len, cap;
} sbuf;

void sbuf_add(sbuf *b, const char *s, size_t n);
void sbuf_adds(sbuf *b, const char *s);
void sbuf_printf(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
const char *sbuf_str(const sbuf *b);
void sbuf_free(sbuf *b);

typedef struct stream_record {
  sbuf chunks;      /* one canonical line per chunk (raw JSON and decoded fields) */
  sbuf completions; /* completed tool calls, per add and at the end */
  size_t chunk_count;
  sbuf text[2];     /* delta text per choice index 0 and 1 */
  sbuf thinking[2];
  int status;
  /* The error object: every field, flattened into err for comparisons. */
  sbuf err;
  int err_code;
  int err_http_status;
  char *err_message, *err_body, *err_api_message, *err_api_type, *err_api_code;
  char *response_json; /* the accumulated response's raw_json, or NULL */
} stream_record;

void record_init(stream_record *r);
void record_free(stream_record *r);
/* Adds a chunk (checks its texts are valid UTF-8). */
void record_chunk(stream_record *r, const mistral_chat_chunk *chunk);
/* Adds the tool calls the accumulator just reported completed; at is the
 * 1-based chunk number, or 0 for the end of the stream. */
void record_completed(stream_record *r, const mistral_chat_accumulator *acc, size_t at);
void record_error(stream_record *r, int status, const mistral_error *err);
void record_response(stream_record *r, const mistral_chat_response *resp);

/* Fails, naming what (a mode description), when a and b differ: chunks,
 * outcome, error and response; completions too when with_completions. */
void record_assert_equal(const stream_record *a, const stream_record *b, bool with_completions,
                         const char *what);

/* Fails unless r (and resp, the accumulated response, which may be NULL
 * when no chunk arrived) match the case. with_completions: check the
 * completion moments too. */
void check_case(const stream_case *c, const stream_record *r, const mistral_chat_response *resp,
                bool with_completions);

/* ---- the sans-I/O path ---- */

/* Runs body through a new decoder and accumulator, fed in pieces cut at the
 * offsets cuts[0..ncuts) (increasing; 0 and len allowed: empty feeds), and
 * records everything in r. *resp_out (may be NULL) receives the
 * accumulated response. */
void run_sansio(const char *body, size_t len, const size_t *cuts, size_t ncuts,
                stream_record *r, mistral_chat_response **resp_out);

/* ---- the network path ---- */

/* A client for fs with the test key, one attempt per call and a 5 s
 * connect timeout. */
mistral_client *stream_client(const fixture_server *fs);
/* Waits (up to 20 s) until the server has closed `closed` connections. */
void stream_wait_closed(const fixture_server *fs, size_t closed);

/* Push: mistral_chat_complete_streaming() with final_out. */
int run_push(mistral_client *client, const mistral_chat_request *req, stream_record *r,
             mistral_chat_response **final_out);
/* Pull: open, next until the end or an error, then the response. */
int run_pull(mistral_client *client, const mistral_chat_request *req, stream_record *r,
             mistral_chat_response **resp_out);

#endif
