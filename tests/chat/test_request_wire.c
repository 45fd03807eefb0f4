/* Requests sent over the wire with mistral_chat_complete() to the fixture
 * server, which checks method, path, headers and the body (semantically)
 * against the fixtures in tests/fixtures/chat/request/. Every body there is also
 * validated against the OpenAPI spec by tools/check-fixtures.py. Each test
 * also checks that the bytes on the wire are exactly what
 * mistral_chat_request_to_json() returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_test_util.h"
#include "tiny_images.h"

/* Sends req to a server that expects the fixture; returns the response
 * and checks that the exchange matched and that the body on the wire is
 * byte for byte the to_json text. */
static mistral_chat_response *send_one(const char *fixture, const mistral_chat_request *req) {
  char rel[256];
  snprintf(rel, sizeof rel, "chat/request/%s", fixture);
  fixture_server *fs = tu_server_start(CT_KEY, rel, NULL);
  mistral_client *client = tu_client(fs, CT_KEY, 0);
  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) {
    char buf[4096];
    fixture_server_last_mismatch(fs, buf, sizeof buf);
    print_error("%s: chat_complete %d: %s\nmismatch: %s\n", fixture, rc,
                mistral_error_message(err), buf);
  }
  assert_int_equal(rc, MISTRAL_OK);
  assert_non_null(resp);
  tu_assert_served(fs);
  assert_int_equal(fixture_server_requests(fs), 1);

  char *raw = fixture_server_received(fs, 0);
  assert_non_null(raw);
  assert_true(strncmp(raw, "POST /v1/chat/completions HTTP/1.1\r\n", 36) == 0);
  const char *body = strstr(raw, "\r\n\r\n");
  assert_non_null(body);
  char *text = NULL;
  assert_int_equal(mistral_chat_request_to_json(&text, req, NULL), MISTRAL_OK);
  assert_string_equal(body + 4, text);
  mistral_free(text);
  free(raw);

  mistral_error_free(err);
  mistral_client_free(client);
  fixture_server_stop(fs);
  return resp;
}

static void assert_usage(const mistral_chat_response *resp, int64_t prompt, int64_t completion) {
  assert_non_null(resp->usage);
  assert_int_equal(resp->usage->prompt_tokens, prompt);
  assert_int_equal(resp->usage->completion_tokens, completion);
  assert_int_equal(resp->usage->total_tokens, prompt + completion);
}

static void test_minimal(void **state) {
  (void)state;
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(
                       NULL, req, MISTRAL_ROLE_USER,
                       "Who is the best French painter? Answer in one short sentence."),
                   MISTRAL_OK);
  mistral_chat_response *resp = send_one("minimal.fixture", req);
  assert_string_equal(resp->object, "chat.completion");
  assert_string_equal(mistral_chat_response_text(resp),
                      "Claude Monet is often considered the best French painter.");
  assert_int_equal(resp->choices[0]->finish_reason, MISTRAL_FINISH_STOP);
  assert_usage(resp, 16, 12);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
}

static void test_all_fields(void **state) {
  (void)state;
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-medium-latest"), MISTRAL_OK);
  const char *const stops[] = {"\n\n", "END"};
  /* The fields in a different order from the fixture's: order is free. */
  assert_int_equal(mistral_chat_request_set_safe_prompt(req, true), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_SYSTEM,
                                                    "Answer with a JSON object."),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.3), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_top_p(req, 0.9), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_max_tokens(req, 256), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_stop_list(req, stops, 2), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_random_seed(req, 42), MISTRAL_OK);
  assert_int_equal(
      mistral_chat_request_set_metadata_json(req, "{\"user_id\":\"u-42\",\"session\":\"s-7\"}"),
      MISTRAL_OK);
  assert_int_equal(
      mistral_chat_request_set_response_format(req, MISTRAL_RESPONSE_FORMAT_JSON_OBJECT),
      MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_function_tool(
                       req, "get_weather", "Current weather in a city",
                       "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                       "\"required\":[\"city\"]}",
                       true),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_builtin_tool(req, "web_search", NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_tool_choice(req, MISTRAL_TOOL_CHOICE_AUTO),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_presence_penalty(req, 0.1), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_frequency_penalty(req, -0.5), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_n(req, 2), MISTRAL_OK);
  assert_int_equal(
      mistral_chat_request_set_prediction(req, "{\"city\": \"Paris\", \"temp_c\": "),
      MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_parallel_tool_calls(req, false), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_reasoning_effort(req, "low"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_prompt_mode(req, "reasoning"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_guardrails_json(
                       req, "[{\"block_on_error\":false,\"moderation_llm_v1\":{\"action\":"
                            "\"block\",\"custom_category_thresholds\":{\"pii\":0.5}}}]"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_prompt_cache_key(req, "weather-bot/v1"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_service_tier(req, "auto"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER,
                                                    "Give me the weather in Paris as JSON."),
                   MISTRAL_OK);

  mistral_chat_response *resp = send_one("all-fields.fixture", req);
  assert_int_equal(resp->choice_count, 2);
  assert_int_equal(resp->choices[1]->index, 1);
  assert_string_equal(resp->choices[1]->message->content, "{\"city\": \"Paris\", \"temp_c\": 17}");
  assert_usage(resp, 142, 30);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
}

static void test_nulls(void **state) {
  (void)state;
  static const char *const nullable[] = {
      "temperature", "top_p", "max_tokens", "stop", "random_seed", "metadata", "tools",
      "presence_penalty", "frequency_penalty", "n", "reasoning_effort", "prompt_mode",
      "guardrails", "prompt_cache_key", "service_tier"};
  mistral_chat_request *req = ct_base_request();
  /* Some values first: the nulls replace them. */
  assert_int_equal(mistral_chat_request_set_n(req, 3), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_stop(req, "END"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_builtin_tool(req, "web_search", NULL), MISTRAL_OK);
  for (size_t i = 0; i < sizeof nullable / sizeof *nullable; i++)
    assert_int_equal(mistral_chat_request_set_null(req, nullable[i]), MISTRAL_OK);
  mistral_chat_response *resp = send_one("nulls.fixture", req);
  assert_string_equal(mistral_chat_response_text(resp), "Hello! How can I help you today?");
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
}

static void test_multimodal(void **state) {
  (void)state;
  char *png = ct_write_temp(tiny_png, sizeof tiny_png);
  const int64_t refs[] = {1, 2};
  mistral_chat_request *req = NULL;
  mistral_message *m = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-medium-latest"), MISTRAL_OK);

  assert_int_equal(mistral_chat_request_add_message(&m, req, MISTRAL_ROLE_SYSTEM,
                                                    "You describe documents and images."),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_thinking(m, "Be precise.", NULL), MISTRAL_OK);

  assert_int_equal(mistral_chat_request_add_message(&m, req, MISTRAL_ROLE_USER, NULL),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_text(m, "Compare these."), MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_url(m, "https://example.com/cat.jpg", NULL),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_url(m, "https://example.com/dog.jpg", "high"),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_file(m, png, NULL), MISTRAL_OK);
  assert_int_equal(
      mistral_message_add_document_url(m, "https://arxiv.org/pdf/1805.04770", "paper.pdf"),
      MISTRAL_OK);
  assert_int_equal(mistral_message_add_document_url(m, "https://example.com/report.pdf", NULL),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_file(m, "3b6b3a8e-1f2c-4d5e-9a7b-0c1d2e3f4a5b"),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_input_audio(
                       m, "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA="),
                   MISTRAL_OK);

  assert_int_equal(mistral_chat_request_add_message(&m, req, MISTRAL_ROLE_ASSISTANT, NULL),
                   MISTRAL_OK);
  assert_int_equal(
      mistral_message_add_thinking(m, "Two animals, one pixel, two papers.", "c2lnLTEyMw=="),
      MISTRAL_OK);
  assert_int_equal(mistral_message_add_text(m, "A cat, a dog and a red pixel."), MISTRAL_OK);

  assert_int_equal(mistral_chat_request_add_message(&m, req, MISTRAL_ROLE_USER, NULL),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_reference(m, refs, 2), MISTRAL_OK);
  assert_int_equal(
      mistral_message_add_chunk_json(m, "{\"type\":\"text\",\"text\":\"Now cite the references.\"}"),
      MISTRAL_OK);

  mistral_chat_response *resp = send_one("multimodal.fixture", req);
  assert_string_equal(mistral_chat_response_text(resp),
                      "The paper [1] and the report [2] both describe the images.");
  assert_usage(resp, 2210, 15);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  unlink(png);
  free(png);
}

#define WEATHER_PARAMS                                                                 \
  "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"unit\":"    \
  "{\"type\":\"string\",\"enum\":[\"c\",\"f\"]}},\"required\":[\"city\"],"           \
  "\"additionalProperties\":false}"
#define QUESTION "What's the weather in Paris and in Lyon?"

/* Two turns: tool calls, then their results. */
static void test_tools_and_followup(void **state) {
  (void)state;
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-large-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, QUESTION),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_function_tool(req, "get_weather",
                                                          "Current weather in a city",
                                                          WEATHER_PARAMS, true),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_function_tool(req, "get_time", NULL, NULL, false),
                   MISTRAL_OK);
  static const char *const builtins[] = {"web_search", "web_search_premium",
                                         "code_interpreter", "image_generation"};
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(mistral_chat_request_add_builtin_tool(req, builtins[i], NULL), MISTRAL_OK);
  assert_int_equal(
      mistral_chat_request_add_builtin_tool(
          req, "document_library", "{\"library_ids\":[\"0b8a4f7e-6c1d-4e2a-9f3b-5d7c9e1a3b5c\"]}"),
      MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_builtin_tool(
                       req, "connector", "{\"connector_id\":\"gmail-connector-01\"}"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_tool_choice(req, MISTRAL_TOOL_CHOICE_ANY),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_parallel_tool_calls(req, true), MISTRAL_OK);

  mistral_chat_response *resp = send_one("tools.fixture", req);
  const mistral_assistant_message *am = resp->choices[0]->message;
  assert_int_equal(resp->choices[0]->finish_reason, MISTRAL_FINISH_TOOL_CALLS);
  assert_int_equal(am->tool_call_count, 2);
  assert_string_equal(am->tool_calls[1]->arguments, "{\"city\": \"Lyon\", \"unit\": \"c\"}");

  /* The next turn. */
  mistral_chat_request *next = NULL;
  assert_int_equal(mistral_chat_request_new(&next, "mistral-large-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, next, MISTRAL_ROLE_USER, QUESTION),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_assistant_message(NULL, next, am), MISTRAL_OK);
  static const char *const results[] = {"{\"temp_c\": 18, \"sky\": \"clear\"}",
                                        "{\"temp_c\": 21, \"sky\": \"cloudy\"}"};
  for (size_t i = 0; i < am->tool_call_count; i++)
    assert_int_equal(mistral_chat_request_add_tool_result(NULL, next, am->tool_calls[i]->id,
                                                          am->tool_calls[i]->name, results[i]),
                     MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_function_tool(next, "get_weather",
                                                          "Current weather in a city",
                                                          WEATHER_PARAMS, true),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_tool_choice(next, MISTRAL_TOOL_CHOICE_NONE),
                   MISTRAL_OK);
  /* The first response is freed before the second call: the request owns
   * copies of everything it took from it. */
  mistral_chat_response_free(resp);

  resp = send_one("tools-followup.fixture", next);
  assert_string_equal(mistral_chat_response_text(resp),
                      "Paris is clear at 18 \xc2\xb0" "C; Lyon is cloudy at 21 \xc2\xb0" "C.");
  mistral_chat_response_free(resp);
  mistral_chat_request_free(next);
  mistral_chat_request_free(req);
}

static void test_json_schema_prefix(void **state) {
  (void)state;
  mistral_chat_request *req = NULL;
  mistral_message *m = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(
                       NULL, req, MISTRAL_ROLE_USER,
                       "Name one book by Victor Hugo and its author."),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(&m, req, MISTRAL_ROLE_ASSISTANT,
                                                    "{\"name\": \""),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_set_prefix(m, true), MISTRAL_OK);
  assert_int_equal(
      mistral_chat_request_set_json_schema(
          req, "book", NULL,
          "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"authors\":"
          "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"name\","
          "\"authors\"],\"additionalProperties\":false}",
          false),
      MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_function_tool(
                       req, "lookup_book", "Find a book by title",
                       "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"}}}",
                       false),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_tool_choice_function(req, "lookup_book"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_stop(req, "}"), MISTRAL_OK);
  mistral_chat_response *resp = send_one("json-schema-prefix.fixture", req);
  assert_string_equal(mistral_chat_response_text(resp),
                      "{\"name\": \"Les Mis\xc3\xa9rables\", \"authors\": [\"Victor Hugo\"]");
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
}

/* A request that differs from the fixture in one member is refused by the
 * server: the fixtures above do check the body. */
static void test_fixture_catches_a_changed_field(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(CT_KEY, "chat/request/minimal.fixture", NULL);
  mistral_client *client = tu_client(fs, CT_KEY, 0);
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(
                       NULL, req, MISTRAL_ROLE_USER,
                       "Who is the best French painter? Answer in one short sentence."),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_safe_prompt(req, false), MISTRAL_OK);
  mistral_chat_response *resp = NULL;
  mistral_error *err = mistral_error_new();
  assert_int_not_equal(mistral_chat_complete(&resp, client, req, err), MISTRAL_OK);
  assert_null(resp);
  assert_int_equal(mistral_error_http_status(err), 599);
  assert_int_equal(fixture_server_mismatches(fs), 1);
  assert_int_equal(fixture_server_pending(fs), 1);

  /* Unset, the same request matches. */
  assert_int_equal(mistral_chat_request_unset(req, "safe_prompt"), MISTRAL_OK);
  assert_int_equal(mistral_chat_complete(&resp, client, req, err), MISTRAL_OK);
  assert_int_equal(fixture_server_pending(fs), 0);
  mistral_chat_response_free(resp);
  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal),
      cmocka_unit_test(test_all_fields),
      cmocka_unit_test(test_nulls),
      cmocka_unit_test(test_multimodal),
      cmocka_unit_test(test_tools_and_followup),
      cmocka_unit_test(test_json_schema_prefix),
      cmocka_unit_test(test_fixture_catches_a_changed_field),
  };
  return cmocka_run_group_tests_name("chat request on the wire", tests, NULL, NULL);
}
