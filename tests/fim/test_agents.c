/* Agent completions (tests/fixtures/agents/): the body sends "agent_id"
 * and never "model" (also when the chat request has one), with messages,
 * tools, tool_choice, response_format and the other shared fields; the
 * chat-only fields (temperature, top_p, safe_prompt), a NULL, empty or
 * non-UTF-8 agent id, a request without messages, a setter error and NULL
 * arguments are refused with MISTRAL_E_INVALID_ARG naming the field and no
 * traffic; streaming push and pull (also one byte at a time and cut inside
 * events and characters); a 404 for an unknown agent, blocking
 * and before a stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fim_test_util.h"

#define FRENCH_AGENT "ag:3996db2b:20240805:french-agent:a8997aab"
#define WEATHER_AGENT "ag_0686d8e2b5e27b6b8000a9b0c3e6f4d1"
#define UNKNOWN_AGENT "ag_0000000000000000000000000000dead"
#define PAINTER_QUESTION "Who is the best French painter? Answer in one short sentence."
#define PAINTER_ANSWER                                                                      \
  "Arrr, the scallywag Claude Monet be the finest French painter to ever splash colors on " \
  "a canvas, savvy?"
#define STREAM_ANSWER "Claude Monet, sans h\xc3\xa9siter : l'inventeur de l'impressionnisme."

/* A chat request with a model (which the agents calls must not send) and
 * one user message. */
static mistral_chat_request *painter_request(const char *model) {
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, model), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, PAINTER_QUESTION),
                   MISTRAL_OK);
  return req;
}

static void check_painter_answer(const mistral_chat_response *resp) {
  assert_non_null(resp);
  assert_string_equal(resp->id, "cmpl-cf79f7daaee244b1a0ae5c7b1444424a");
  assert_string_equal(resp->object, "chat.completion");
  assert_string_equal(resp->model, "mistral-medium-latest");
  assert_int_equal(resp->created, 1759500534);
  assert_int_equal(resp->usage->prompt_tokens, 24);
  assert_int_equal(resp->usage->completion_tokens, 27);
  assert_int_equal(resp->usage->total_tokens, 51);
  assert_int_equal(resp->choice_count, 1);
  assert_int_equal(resp->choices[0]->finish_reason, MISTRAL_FINISH_STOP);
  assert_string_equal(mistral_chat_response_text(resp), PAINTER_ANSWER);
  assert_string_equal(resp->request_id, "cf79f7daaee244b1a0ae5c7b1444424a");
}

/* The model of the chat request is not sent; the request keeps it. */
static void test_minimal_model_not_sent(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "agents/minimal.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_error *err = mistral_error_new();

  /* With a model set on the chat request, ... */
  mistral_chat_request *req = painter_request("mistral-large-latest");
  mistral_chat_response *resp = NULL;
  int rc = mistral_agents_complete(&resp, client, FRENCH_AGENT, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);
  check_painter_answer(resp);
  mistral_chat_response_free(resp);
  json_t *sent = tu_received_json(fs, 0);
  assert_null(json_object_get(sent, "model"));
  assert_null(json_object_get(sent, "stream"));
  assert_string_equal(json_string_value(json_object_get(sent, "agent_id")), FRENCH_AGENT);
  json_decref(sent);
  /* ... and the chat request still has its model for chat calls. */
  char *text = NULL;
  assert_int_equal(mistral_chat_request_to_json(&text, req, err), MISTRAL_OK);
  json_t *body = json_loads(text, 0, NULL);
  mistral_free(text);
  assert_string_equal(json_string_value(json_object_get(body, "model")), "mistral-large-latest");
  assert_null(json_object_get(body, "agent_id"));
  json_decref(body);
  mistral_chat_request_free(req);

  /* Without any model. */
  req = painter_request(NULL);
  resp = NULL;
  rc = mistral_agents_complete(&resp, client, FRENCH_AGENT, req, err);
  assert_int_equal(rc, MISTRAL_OK);
  check_painter_answer(resp);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* Messages with a tool round trip, tools, tool_choice, response_format and
 * every other field the agents endpoint shares with chat. */
static void test_full_request(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "agents/full.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-medium-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER,
                                                    "What is the weather in Paris and in Lyon?"),
                   MISTRAL_OK);
  mistral_message *asst = NULL;
  assert_int_equal(mistral_chat_request_add_message(&asst, req, MISTRAL_ROLE_ASSISTANT, NULL),
                   MISTRAL_OK);
  assert_int_equal(
      mistral_message_add_tool_call(asst, "D681PevKs", "get_weather", "{\"city\": \"Paris\"}"),
      MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_tool_result(NULL, req, "D681PevKs", "get_weather",
                                                        "{\"temp_c\": 18, \"sky\": \"clear\"}"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_max_tokens(req, 512), MISTRAL_OK);
  const char *const stops[] = {"</answer>"};
  assert_int_equal(mistral_chat_request_set_stop_list(req, stops, 1), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_random_seed(req, 7), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_metadata_json(req, "{\"conversation\":\"c-1029\"}"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_response_format(req, MISTRAL_RESPONSE_FORMAT_TEXT),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_function_tool(
                       req, "get_weather", "Current weather in a city",
                       "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                       "\"required\":[\"city\"]}",
                       false),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_builtin_tool(req, "web_search", NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_tool_choice(req, MISTRAL_TOOL_CHOICE_ANY),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_presence_penalty(req, 0.2), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_frequency_penalty(req, 0.1), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_n(req, 1), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_prediction(req, "In Paris it is"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_parallel_tool_calls(req, false), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_reasoning_effort(req, "low"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_prompt_mode(req, "reasoning"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_guardrails_json(
                       req, "[{\"block_on_error\":false,\"moderation_llm_v1\":{\"action\":"
                            "\"block\",\"custom_category_thresholds\":{\"pii\":0.5}}}]"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_prompt_cache_key(req, "weather-agent/v3"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_service_tier(req, "auto"), MISTRAL_OK);
  /* A chat-only field set and then unset is not in the way. */
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.7), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_unset(req, "temperature"), MISTRAL_OK);

  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  int rc = mistral_agents_complete(&resp, client, WEATHER_AGENT, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_string_equal(resp->model, "mistral-medium-2508");
  assert_int_equal(resp->choice_count, 1);
  const mistral_chat_choice *ch = resp->choices[0];
  assert_int_equal(ch->finish_reason, MISTRAL_FINISH_TOOL_CALLS);
  assert_int_equal(ch->message->tool_call_count, 1);
  const mistral_tool_call *tc = ch->message->tool_calls[0];
  assert_string_equal(tc->id, "k3J9sQx1R");
  assert_string_equal(tc->name, "get_weather");
  assert_string_equal(tc->type, "function");
  json_t *args = json_loads(tc->arguments, 0, NULL);
  assert_non_null(args);
  assert_string_equal(json_string_value(json_object_get(args, "city")), "Lyon");
  json_decref(args);
  mistral_chat_response_free(resp);
  tu_assert_served(fs);
  json_t *sent = tu_received_json(fs, 0);
  assert_null(json_object_get(sent, "model"));
  assert_null(json_object_get(sent, "temperature"));
  json_decref(sent);

  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* ---- refused before sending ---- */

static void test_chat_only_fields_refused(void **state) {
  (void)state;
  static const char *const fields[] = {"temperature", "top_p", "safe_prompt"};
  for (size_t i = 0; i < 3; i++) {
    mistral_chat_request *req = painter_request("mistral-small-latest");
    switch (i) {
      case 0: assert_int_equal(mistral_chat_request_set_temperature(req, 0.3), MISTRAL_OK); break;
      case 1: assert_int_equal(mistral_chat_request_set_top_p(req, 0.9), MISTRAL_OK); break;
      default: assert_int_equal(mistral_chat_request_set_safe_prompt(req, true), MISTRAL_OK);
    }
    ft_assert_agents_rejected(FRENCH_AGENT, req, fields[i], "agents");
    /* safe_prompt false is still a value the endpoint does not take. */
    if (i == 2) {
      assert_int_equal(mistral_chat_request_set_safe_prompt(req, false), MISTRAL_OK);
      ft_assert_agents_rejected(FRENCH_AGENT, req, "safe_prompt", NULL);
    }
    mistral_chat_request_free(req);
  }
  /* An explicit null is refused too: the agents schema has no such member. */
  for (size_t i = 0; i < 2; i++) {
    mistral_chat_request *req = painter_request(NULL);
    assert_int_equal(mistral_chat_request_set_null(req, fields[i]), MISTRAL_OK);
    ft_assert_agents_rejected(FRENCH_AGENT, req, fields[i], NULL);
    mistral_chat_request_free(req);
  }
  /* All three: the error names one of them. */
  mistral_chat_request *req = painter_request(NULL);
  assert_int_equal(mistral_chat_request_set_safe_prompt(req, true), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_top_p(req, 0.5), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.5), MISTRAL_OK);
  ft_assert_agents_rejected(FRENCH_AGENT, req, "the agents endpoint does not accept it", NULL);
  mistral_chat_request_free(req);
}

/* Once the chat-only field is gone, the same request goes through. */
static void test_chat_only_field_unset_then_sent(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "agents/minimal.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_chat_request *req = painter_request("mistral-small-latest");
  assert_int_equal(mistral_chat_request_set_top_p(req, 0.9), MISTRAL_OK);
  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_agents_complete(&resp, client, FRENCH_AGENT, req, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_int_equal(fixture_server_connections(fs), 0);
  assert_int_equal(mistral_chat_request_unset(req, "top_p"), MISTRAL_OK);
  assert_int_equal(mistral_agents_complete(&resp, client, FRENCH_AGENT, req, err), MISTRAL_OK);
  check_painter_answer(resp);
  mistral_chat_response_free(resp);
  tu_assert_served(fs);
  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static void test_bad_agent_id(void **state) {
  (void)state;
  mistral_chat_request *req = painter_request(NULL);
  ft_assert_agents_rejected(NULL, req, "agent_id", NULL);
  ft_assert_agents_rejected("", req, "agent_id", NULL);
  ft_assert_agents_rejected("\xff", req, "agent_id", NULL);
  ft_assert_agents_rejected("ag:\xc3", req, "agent_id", NULL);
  ft_assert_agents_rejected("ag_\xed\xa0\x80", req, "agent_id", NULL);
  ft_assert_agents_rejected("ag_\xc0\xaf", req, "agent_id", NULL);
  mistral_chat_request_free(req);
}

static void test_no_messages(void **state) {
  (void)state;
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, NULL), MISTRAL_OK);
  ft_assert_agents_rejected(FRENCH_AGENT, req, "messages", NULL);
  mistral_chat_request_free(req);
}

/* An error a chat setter left on the request fails the agents calls too. */
static void test_setter_error(void **state) {
  (void)state;
  mistral_chat_request *req = painter_request(NULL);
  assert_int_equal(mistral_chat_request_set_max_tokens(req, -1), MISTRAL_E_INVALID_ARG);
  ft_assert_agents_rejected(FRENCH_AGENT, req, "max_tokens", NULL);
  mistral_chat_request_free(req);
  req = painter_request(NULL);
  assert_int_equal(mistral_chat_request_set_metadata_json(req, "[1]"), MISTRAL_E_INVALID_ARG);
  ft_assert_agents_rejected(FRENCH_AGENT, req, "metadata", NULL);
  mistral_chat_request_free(req);
  req = painter_request(NULL);
  assert_int_equal(mistral_chat_request_set_prompt_cache_key(req, "\xfe"), MISTRAL_E_INVALID_ARG);
  ft_assert_agents_rejected(FRENCH_AGENT, req, "prompt_cache_key", "UTF-8");
  mistral_chat_request_free(req);
}

static void test_null_arguments(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_chat_request *req = painter_request(NULL);
  mistral_error *err = mistral_error_new();
  static mistral_chat_response sentinel;
  mistral_chat_response *resp;

  assert_int_equal(mistral_agents_complete(NULL, client, FRENCH_AGENT, req, err),
                   MISTRAL_E_INVALID_ARG);
  assert_non_null(strstr(mistral_error_message(err), "out"));
  resp = &sentinel;
  assert_int_equal(mistral_agents_complete(&resp, NULL, FRENCH_AGENT, req, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_non_null(strstr(mistral_error_message(err), "client"));
  resp = &sentinel;
  assert_int_equal(mistral_agents_complete(&resp, client, FRENCH_AGENT, NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_non_null(strstr(mistral_error_message(err), "request"));
  assert_int_equal(mistral_agents_complete(NULL, NULL, NULL, NULL, NULL), MISTRAL_E_INVALID_ARG);

  resp = &sentinel;
  assert_int_equal(
      mistral_agents_complete_streaming(&resp, NULL, FRENCH_AGENT, req, NULL, NULL, err),
      MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_non_null(strstr(mistral_error_message(err), "client"));
  resp = &sentinel;
  assert_int_equal(
      mistral_agents_complete_streaming(&resp, client, FRENCH_AGENT, NULL, NULL, NULL, err),
      MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_int_equal(mistral_agents_complete_streaming(NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                   MISTRAL_E_INVALID_ARG);

  mistral_chat_stream *s = NULL;
  assert_int_equal(mistral_agents_stream_open(NULL, client, FRENCH_AGENT, req, err),
                   MISTRAL_E_INVALID_ARG);
  assert_non_null(strstr(mistral_error_message(err), "out"));
  assert_int_equal(mistral_agents_stream_open(&s, NULL, FRENCH_AGENT, req, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(s);
  assert_int_equal(mistral_agents_stream_open(&s, client, FRENCH_AGENT, NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(s);

  assert_int_equal(fixture_server_connections(fs), 0);
  assert_int_equal(fixture_server_requests(fs), 0);
  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* ---- streaming ---- */

static mistral_chat_request *stream_request(void) {
  mistral_chat_request *req = painter_request("mistral-small-latest");
  assert_int_equal(mistral_chat_request_set_max_tokens(req, 100), MISTRAL_OK);
  return req;
}

static void check_stream_final(const mistral_chat_response *final) {
  assert_non_null(final);
  assert_string_equal(final->id, "cmpl-0e2b4d6f8a1c43e5b7d9f1a3c5e7b9d1");
  assert_string_equal(final->model, "mistral-medium-latest");
  assert_string_equal(mistral_chat_response_text(final), STREAM_ANSWER);
  assert_int_equal(final->choices[0]->finish_reason, MISTRAL_FINISH_STOP);
  assert_int_equal(final->usage->total_tokens, 43);
}

static void check_stream_log(const ft_stream_log *log) {
  assert_int_equal(log->chunks, 5);
  assert_int_equal(log->with_usage, 1);
  assert_string_equal(log->text, STREAM_ANSWER);
  assert_string_equal(log->last_model, "mistral-medium-latest");
  assert_int_equal(log->finish, MISTRAL_FINISH_STOP);
}

static void test_stream_push(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "agents/stream.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_chat_request *req = stream_request();
  mistral_error *err = mistral_error_new();

  ft_stream_log log = {0};
  mistral_chat_response *final = NULL;
  int rc = mistral_agents_complete_streaming(&final, client, FRENCH_AGENT, req, ft_log_chunk,
                                             &log, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  check_stream_log(&log);
  check_stream_final(final);
  mistral_chat_response_free(final);

  /* final_out NULL: the callback alone. */
  memset(&log, 0, sizeof log);
  rc = mistral_agents_complete_streaming(NULL, client, FRENCH_AGENT, req, ft_log_chunk, &log,
                                         err);
  assert_int_equal(rc, MISTRAL_OK);
  check_stream_log(&log);
  tu_assert_served(fs);
  json_t *sent = tu_received_json(fs, 1);
  assert_null(json_object_get(sent, "model"));
  assert_true(json_is_true(json_object_get(sent, "stream")));
  json_decref(sent);

  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static void test_stream_pull(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "agents/stream.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_chat_request *req = stream_request();
  mistral_error *err = mistral_error_new();

  mistral_chat_stream *s = NULL;
  int rc = mistral_agents_stream_open(&s, client, FRENCH_AGENT, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  ft_stream_log log = {0};
  assert_int_equal(ft_pull_all(s, &log, err), MISTRAL_OK);
  check_stream_log(&log);
  mistral_chat_response *final = NULL;
  assert_int_equal(mistral_chat_stream_response(&final, s), MISTRAL_OK);
  check_stream_final(final);
  mistral_chat_response_free(final);
  mistral_chat_stream_free(s);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* stream.fixture one byte per write, then cut at every event boundary,
 * inside "data:" and inside the multi-byte characters. */
static void test_stream_replays(void **state) {
  (void)state;
  size_t len;
  char *body = tu_fixture_body("agents/stream.fixture", &len);
  char *split = ft_split_directive(body, len);
  free(body);
  const char *const modes[] = {"% chunk-bytes 1\n", split};
  for (size_t m = 0; m < 2; m++) {
    fixture_server *fs = tu_server_start(FT_KEY, NULL);
    tu_expect_with(fs, "agents/stream.fixture", modes[m], 2);
    mistral_client *client = tu_client(fs, FT_KEY, 1);
    mistral_chat_request *req = stream_request();
    mistral_error *err = mistral_error_new();

    ft_stream_log log = {0};
    mistral_chat_response *final = NULL;
    int rc = mistral_agents_complete_streaming(&final, client, FRENCH_AGENT, req, ft_log_chunk,
                                               &log, err);
    if (rc != MISTRAL_OK) print_error("%s: %s\n", modes[m], mistral_error_message(err));
    assert_int_equal(rc, MISTRAL_OK);
    check_stream_log(&log);
    check_stream_final(final);
    mistral_chat_response_free(final);

    mistral_chat_stream *s = NULL;
    assert_int_equal(mistral_agents_stream_open(&s, client, FRENCH_AGENT, req, err), MISTRAL_OK);
    memset(&log, 0, sizeof log);
    assert_int_equal(ft_pull_all(s, &log, err), MISTRAL_OK);
    check_stream_log(&log);
    mistral_chat_stream_free(s);
    tu_assert_served(fs);

    mistral_error_free(err);
    mistral_chat_request_free(req);
    mistral_client_free(client);
    fixture_server_stop(fs);
  }
  free(split);
}

/* ---- 404 ---- */

static void check_404(const mistral_error *err, const char *request_id) {
  assert_int_equal(mistral_error_code(err), MISTRAL_E_NOT_FOUND);
  assert_int_equal(mistral_error_http_status(err), 404);
  assert_int_equal(mistral_error_is_retryable(err), 0);
  assert_string_equal(mistral_error_api_message(err), "Agent not found: " UNKNOWN_AGENT);
  assert_string_equal(mistral_error_api_type(err), "invalid_request_error");
  assert_string_equal(mistral_error_api_param(err), "agent_id");
  assert_string_equal(mistral_error_api_code(err), "3000");
  assert_string_equal(mistral_error_request_id(err), request_id);
  assert_non_null(strstr(mistral_error_message(err), "404"));
  assert_non_null(strstr(mistral_error_message(err), "Agent not found"));
}

static int never_called(const mistral_chat_chunk *chunk, void *user_data) {
  (void)chunk;
  (void)user_data;
  fail_msg("a chunk was delivered from an HTTP error");
  return 1;
}

static void test_unknown_agent_404(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "agents/404-unknown-agent.fixture", 1);
  tu_expect(fs, "agents/404-unknown-agent-stream.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hello?"),
                   MISTRAL_OK);
  mistral_error *err = mistral_error_new();

  static mistral_chat_response sentinel;
  mistral_chat_response *resp = &sentinel;
  assert_int_equal(mistral_agents_complete(&resp, client, UNKNOWN_AGENT, req, err),
                   MISTRAL_E_NOT_FOUND);
  assert_null(resp);
  check_404(err, "a1c3e5b7d9f14a3c5e7b9d1f3a5c7e9b");

  resp = &sentinel;
  assert_int_equal(mistral_agents_complete_streaming(&resp, client, UNKNOWN_AGENT, req,
                                                     never_called, NULL, err),
                   MISTRAL_E_NOT_FOUND);
  assert_null(resp);
  check_404(err, "b2d4f6a8c0e14b3d5f7a9c1e3b5d7f9a");

  static long long sentinel_stream;
  mistral_chat_stream *s = (mistral_chat_stream *)(void *)&sentinel_stream;
  assert_int_equal(mistral_agents_stream_open(&s, client, UNKNOWN_AGENT, req, err),
                   MISTRAL_E_NOT_FOUND);
  assert_null(s);
  check_404(err, "b2d4f6a8c0e14b3d5f7a9c1e3b5d7f9a");
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static int group_setup(void **state) {
  (void)state;
  tu_clean_env();
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  ft_idle_server_stop();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal_model_not_sent),
      cmocka_unit_test(test_full_request),
      cmocka_unit_test(test_chat_only_fields_refused),
      cmocka_unit_test(test_chat_only_field_unset_then_sent),
      cmocka_unit_test(test_bad_agent_id),
      cmocka_unit_test(test_no_messages),
      cmocka_unit_test(test_setter_error),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_stream_push),
      cmocka_unit_test(test_stream_pull),
      cmocka_unit_test(test_stream_replays),
      cmocka_unit_test(test_unknown_agent_404),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
