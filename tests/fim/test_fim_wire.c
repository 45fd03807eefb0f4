/* FIM completions over the loopback fixture server
 * (tests/fixtures/fim/): the request on the wire (every field, explicit
 * nulls), the decoded FIMCompletionResponse, streaming push
 * (mistral_fim_complete_streaming, with and without a callback, stopped by
 * the callback) and pull (mistral_fim_stream_open), the stream replayed one
 * byte at a time and cut at every event boundary, inside "data:" and inside
 * multi-byte characters, and an HTTP 422, both blocking and before a stream
 * starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fim_test_util.h"

#define FIB_PROMPT "def fib(n):\n    "
#define FIB_SUFFIX "\n\nprint(fib(10))\n"
#define FIB_ANSWER "if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)"
#define STREAM_ANSWER FIB_ANSWER "  # \xcf\x86"

static mistral_fim_request *fib_request(void) {
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, "codestral-latest", FIB_PROMPT), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_suffix(req, FIB_SUFFIX), MISTRAL_OK);
  return req;
}

static void test_blocking_decodes_response(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "fim/fib.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = fib_request();
  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;

  int rc = mistral_fim_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);
  assert_non_null(resp);
  assert_string_equal(resp->id, "cmpl-447e3e0d457e42e98248b5d2ef52a2a3");
  assert_string_equal(resp->object, "chat.completion");
  assert_string_equal(resp->model, "codestral-latest");
  assert_int_equal(resp->created, 1759496862);
  assert_non_null(resp->usage);
  assert_int_equal(resp->usage->prompt_tokens, 19);
  assert_int_equal(resp->usage->completion_tokens, 24);
  assert_int_equal(resp->usage->total_tokens, 43);
  assert_int_equal(resp->choice_count, 1);
  const mistral_chat_choice *ch = resp->choices[0];
  assert_int_equal(ch->index, 0);
  assert_int_equal(ch->finish_reason, MISTRAL_FINISH_STOP);
  assert_string_equal(ch->finish_reason_raw, "stop");
  assert_string_equal(ch->message->role, "assistant");
  assert_string_equal(ch->message->content, FIB_ANSWER);
  assert_int_equal(ch->message->tool_call_count, 0);
  assert_int_equal(ch->message->chunk_count, 0);
  assert_false(ch->message->prefix);
  assert_string_equal(mistral_chat_response_text(resp), FIB_ANSWER);
  assert_string_equal(resp->request_id, "3c5e7a9b1d2f4e6a8c0b2d4f6a8c0e1f");
  assert_null(resp->model_deprecation);
  /* raw_json is the body as received. */
  assert_non_null(resp->raw_json);
  json_t *raw = json_loadb(resp->raw_json, resp->raw_json_len, 0, NULL);
  assert_non_null(raw);
  assert_string_equal(json_string_value(json_object_get(raw, "object")), "chat.completion");
  json_decref(raw);

  mistral_chat_response_free(resp);
  tu_assert_served(fs);
  /* The body on the wire, parsed again: no "stream" member at all. */
  json_t *sent = tu_received_json(fs, 0);
  assert_null(json_object_get(sent, "stream"));
  assert_int_equal(json_object_size(sent), 3);
  json_decref(sent);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* The request of test_all_fields (test_fim_request.c) on the wire. */
static void test_all_fields_on_the_wire(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "fim/all-fields.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, "codestral-2508", "def add(a, b):\n    "),
                   MISTRAL_OK);
  /* In another order than the fixture's: order does not matter. */
  assert_int_equal(mistral_fim_request_set_prompt_cache_key(req, "repo-42/add.py"),
                   MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_metadata_json(req, "{\"editor\":\"vim\"}"),
                   MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_random_seed(req, 42), MISTRAL_OK);
  const char *const stops[] = {"\ndef ", "\nclass "};
  assert_int_equal(mistral_fim_request_set_stop_list(req, stops, 2), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_min_tokens(req, 1), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_max_tokens(req, 64), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_top_p(req, 0.95), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_temperature(req, 0.2), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_suffix(req, "\n\nprint(add(2, 3))\n"), MISTRAL_OK);

  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  int rc = mistral_fim_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_string_equal(resp->model, "codestral-2508");
  assert_int_equal(resp->choices[0]->finish_reason, MISTRAL_FINISH_LENGTH);
  assert_int_equal(resp->usage->completion_tokens, 64);
  assert_non_null(strstr(mistral_chat_response_text(resp), "Return the sum of a and b."));
  mistral_chat_response_free(resp);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static void test_nulls_on_the_wire(void **state) {
  (void)state;
  static const char *const nullable[] = {"temperature", "top_p",       "max_tokens",
                                         "min_tokens",  "stop",        "random_seed",
                                         "metadata",    "suffix",      "prompt_cache_key"};
  fixture_server *fs = tu_server_start(FT_KEY, "fim/nulls.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, "codestral-latest", FIB_PROMPT), MISTRAL_OK);
  /* Values first, then null over each. */
  assert_int_equal(mistral_fim_request_set_suffix(req, FIB_SUFFIX), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_temperature(req, 0.3), MISTRAL_OK);
  for (size_t i = 0; i < sizeof nullable / sizeof *nullable; i++)
    assert_int_equal(mistral_fim_request_set_null(req, nullable[i]), MISTRAL_OK);

  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  int rc = mistral_fim_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_string_equal(mistral_chat_response_text(resp),
                      "return n if n < 2 else fib(n - 1) + fib(n - 2)\n");
  mistral_chat_response_free(resp);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* ---- streaming ---- */

static void check_final(const mistral_chat_response *final) {
  assert_non_null(final);
  assert_string_equal(final->id, "cmpl-5d7f9b1c3e5a47c9b1d3f5a7c9e1b3d5");
  assert_string_equal(final->object, "chat.completion");
  assert_string_equal(final->model, "codestral-latest");
  assert_int_equal(final->created, 1759497200);
  assert_int_equal(final->choice_count, 1);
  assert_string_equal(final->choices[0]->message->content, STREAM_ANSWER);
  assert_int_equal(final->choices[0]->finish_reason, MISTRAL_FINISH_STOP);
  assert_int_equal(final->usage->prompt_tokens, 19);
  assert_int_equal(final->usage->completion_tokens, 29);
  assert_int_equal(final->usage->total_tokens, 48);
  assert_string_equal(mistral_chat_response_text(final), STREAM_ANSWER);
}

static void check_log(const ft_stream_log *log) {
  assert_int_equal(log->chunks, 5);
  assert_int_equal(log->with_usage, 1);
  assert_string_equal(log->text, STREAM_ANSWER);
  assert_string_equal(log->last_id, "cmpl-5d7f9b1c3e5a47c9b1d3f5a7c9e1b3d5");
  assert_string_equal(log->last_model, "codestral-latest");
  assert_int_equal(log->finish, MISTRAL_FINISH_STOP);
}

static void test_stream_push(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "fim/stream.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = fib_request();
  mistral_error *err = mistral_error_new();

  /* With a callback and final_out. */
  ft_stream_log log = {0};
  mistral_chat_response *final = NULL;
  int rc = mistral_fim_complete_streaming(&final, client, req, ft_log_chunk, &log, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);
  check_log(&log);
  check_final(final);
  mistral_chat_response_free(final);

  /* Without a callback: only the final response. */
  final = NULL;
  rc = mistral_fim_complete_streaming(&final, client, req, NULL, NULL, err);
  assert_int_equal(rc, MISTRAL_OK);
  check_final(final);
  mistral_chat_response_free(final);

  tu_assert_served(fs);
  /* The request said "stream": true; the request object itself did not
   * change (its JSON has no "stream"). */
  json_t *sent = tu_received_json(fs, 1);
  assert_true(json_is_true(json_object_get(sent, "stream")));
  json_decref(sent);
  json_t *body = ft_fim_json(req);
  assert_null(json_object_get(body, "stream"));
  json_decref(body);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* The callback stops the stream after two chunks: MISTRAL_E_CANCELLED, the
 * partial answer in final_out. */
static void test_stream_push_cancelled(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "fim/stream.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = fib_request();
  mistral_error *err = mistral_error_new();

  ft_stream_log log = {.stop_after = 2};
  mistral_chat_response *final = NULL;
  int rc = mistral_fim_complete_streaming(&final, client, req, ft_log_chunk, &log, err);
  assert_int_equal(rc, MISTRAL_E_CANCELLED);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_CANCELLED);
  assert_int_equal(log.chunks, 2);
  assert_string_equal(log.text, "if n < 2:");
  assert_non_null(final);
  assert_string_equal(mistral_chat_response_text(final), "if n < 2:");
  assert_int_equal(final->choices[0]->finish_reason, MISTRAL_FINISH_NONE);
  mistral_chat_response_free(final);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static void test_stream_pull(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "fim/stream.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = fib_request();
  mistral_error *err = mistral_error_new();

  mistral_chat_stream *s = NULL;
  int rc = mistral_fim_stream_open(&s, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_non_null(s);
  ft_stream_log log = {0};
  assert_int_equal(ft_pull_all(s, &log, err), MISTRAL_OK);
  check_log(&log);
  /* After the end, next keeps saying "ended". */
  const mistral_chat_chunk *chunk = (const mistral_chat_chunk *)(const void *)&log;
  assert_int_equal(mistral_chat_stream_next(&chunk, s, err), MISTRAL_OK);
  assert_null(chunk);
  mistral_chat_response *final = NULL;
  assert_int_equal(mistral_chat_stream_response(&final, s), MISTRAL_OK);
  check_final(final);
  mistral_chat_response_free(final);
  mistral_chat_stream_free(s);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* A pull stream closed after its first chunk; the client stays usable. */
static void test_stream_pull_abandoned(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "fim/stream.fixture", "fim/fib.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = fib_request();
  mistral_error *err = mistral_error_new();

  mistral_chat_stream *s = NULL;
  assert_int_equal(mistral_fim_stream_open(&s, client, req, err), MISTRAL_OK);
  const mistral_chat_chunk *chunk = NULL;
  assert_int_equal(mistral_chat_stream_next(&chunk, s, err), MISTRAL_OK);
  assert_non_null(chunk);
  assert_string_equal(chunk->choices[0]->delta->role, "assistant");
  mistral_chat_stream_free(s);

  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_fim_complete(&resp, client, req, err), MISTRAL_OK);
  assert_string_equal(mistral_chat_response_text(resp), FIB_ANSWER);
  mistral_chat_response_free(resp);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* stream.fixture one byte per write, then cut between the line ends of
 * every event boundary, inside every "data:" and inside the multi-byte
 * characters: push and pull give the same chunks and answer every time. */
static void test_stream_replays(void **state) {
  (void)state;
  size_t len;
  char *body = tu_fixture_body("fim/stream.fixture", &len);
  char *split = ft_split_directive(body, len);
  free(body);
  const char *const modes[] = {"% chunk-bytes 1\n", split};
  for (size_t m = 0; m < 2; m++) {
    fixture_server *fs = tu_server_start(FT_KEY, NULL);
    tu_expect_with(fs, "fim/stream.fixture", modes[m], 2);
    mistral_client *client = tu_client(fs, FT_KEY, 1);
    mistral_fim_request *req = fib_request();
    mistral_error *err = mistral_error_new();

    ft_stream_log log = {0};
    mistral_chat_response *final = NULL;
    int rc = mistral_fim_complete_streaming(&final, client, req, ft_log_chunk, &log, err);
    if (rc != MISTRAL_OK) print_error("%s: %s\n", modes[m], mistral_error_message(err));
    assert_int_equal(rc, MISTRAL_OK);
    check_log(&log);
    check_final(final);
    mistral_chat_response_free(final);

    mistral_chat_stream *s = NULL;
    assert_int_equal(mistral_fim_stream_open(&s, client, req, err), MISTRAL_OK);
    memset(&log, 0, sizeof log);
    assert_int_equal(ft_pull_all(s, &log, err), MISTRAL_OK);
    check_log(&log);
    final = NULL;
    assert_int_equal(mistral_chat_stream_response(&final, s), MISTRAL_OK);
    check_final(final);
    mistral_chat_response_free(final);
    mistral_chat_stream_free(s);
    tu_assert_served(fs);

    mistral_error_free(err);
    mistral_fim_request_free(req);
    mistral_client_free(client);
    fixture_server_stop(fs);
  }
  free(split);
}

/* ---- HTTP 422 ---- */

#define MSG_422 "Value error, min_tokens (16) must be less than or equal to max_tokens (8)"

static mistral_fim_request *min_over_max_request(void) {
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, "codestral-latest", FIB_PROMPT), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_max_tokens(req, 8), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_min_tokens(req, 16), MISTRAL_OK);
  return req;
}

static void check_422(const mistral_error *err, const char *request_id) {
  assert_int_equal(mistral_error_code(err), MISTRAL_E_VALIDATION);
  assert_int_equal(mistral_error_http_status(err), 422);
  assert_int_equal(mistral_error_is_retryable(err), 0);
  assert_string_equal(mistral_error_request_id(err), request_id);
  assert_int_equal(mistral_error_detail_count(err), 1);
  assert_string_equal(mistral_error_detail_loc(err, 0), "body");
  assert_string_equal(mistral_error_detail_msg(err, 0), MSG_422);
  assert_string_equal(mistral_error_detail_type(err, 0), "value_error");
  assert_null(mistral_error_detail_loc(err, 1));
  assert_non_null(mistral_error_body(err));
  assert_non_null(strstr(mistral_error_body(err), "min_tokens"));
  assert_non_null(strstr(mistral_error_message(err), "422"));
  assert_true(tu_utf8_valid(mistral_error_message(err)));
}

static void test_422_blocking(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "fim/422-min-over-max.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = min_over_max_request();
  mistral_error *err = mistral_error_new();

  static mistral_chat_response sentinel;
  mistral_chat_response *resp = &sentinel;
  assert_int_equal(mistral_fim_complete(&resp, client, req, err), MISTRAL_E_VALIDATION);
  assert_null(resp);
  check_422(err, "1c3e5a7b9d0f42e4a6c8e0b2d4f6a8c1");
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static int never_called(const mistral_chat_chunk *chunk, void *user_data) {
  (void)chunk;
  (void)user_data;
  fail_msg("a chunk was delivered from an HTTP error");
  return 1;
}

static void test_422_streaming(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "fim/422-min-over-max-stream.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = min_over_max_request();
  mistral_error *err = mistral_error_new();

  /* Push: nothing delivered, no partial answer. */
  static mistral_chat_response sentinel;
  mistral_chat_response *final = &sentinel;
  assert_int_equal(mistral_fim_complete_streaming(&final, client, req, never_called, NULL, err),
                   MISTRAL_E_VALIDATION);
  assert_null(final);
  check_422(err, "1c3e5a7b9d0f42e4a6c8e0b2d4f6a8c1");

  /* Pull: open fails. */
  static long long sentinel_stream;
  mistral_chat_stream *s = (mistral_chat_stream *)(void *)&sentinel_stream;
  assert_int_equal(mistral_fim_stream_open(&s, client, req, err), MISTRAL_E_VALIDATION);
  assert_null(s);
  check_422(err, "1c3e5a7b9d0f42e4a6c8e0b2d4f6a8c1");
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static int group_setup(void **state) {
  (void)state;
  tu_clean_env();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_blocking_decodes_response),
      cmocka_unit_test(test_all_fields_on_the_wire),
      cmocka_unit_test(test_nulls_on_the_wire),
      cmocka_unit_test(test_stream_push),
      cmocka_unit_test(test_stream_push_cancelled),
      cmocka_unit_test(test_stream_pull),
      cmocka_unit_test(test_stream_pull_abandoned),
      cmocka_unit_test(test_stream_replays),
      cmocka_unit_test(test_422_blocking),
      cmocka_unit_test(test_422_streaming),
  };
  return cmocka_run_group_tests(tests, group_setup, NULL);
}
