/* Every chat request setter serializes its field exactly as the API expects
 * (ChatCompletionRequest in the OpenAPI spec), unset fields are omitted,
 * set_null sends an explicit null where the spec allows one, unset removes a
 * field and setting a field twice replaces it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_test_util.h"

/* ------------------------------------------------------------------------ */
/* One setter call per case, with the members it must add to the base body. */

typedef struct field_case {
  const char *field; /* the member it sets, as mistral_chat_request_unset() names it */
  int (*set)(mistral_chat_request *req);
  const char *members;
} field_case;

static int temperature_0(mistral_chat_request *r) {
  return mistral_chat_request_set_temperature(r, 0.0);
}
static int temperature_07(mistral_chat_request *r) {
  return mistral_chat_request_set_temperature(r, 0.7);
}
static int temperature_15(mistral_chat_request *r) {
  return mistral_chat_request_set_temperature(r, 1.5);
}
static int top_p_1(mistral_chat_request *r) { return mistral_chat_request_set_top_p(r, 1.0); }
static int top_p_small(mistral_chat_request *r) {
  return mistral_chat_request_set_top_p(r, 0.05);
}
static int max_tokens_0(mistral_chat_request *r) {
  return mistral_chat_request_set_max_tokens(r, 0);
}
static int max_tokens_1024(mistral_chat_request *r) {
  return mistral_chat_request_set_max_tokens(r, 1024);
}
static int max_tokens_big(mistral_chat_request *r) {
  return mistral_chat_request_set_max_tokens(r, INT64_C(9007199254740993));
}
static int stop_string(mistral_chat_request *r) {
  return mistral_chat_request_set_stop(r, "\n\nEND");
}
static int stop_list(mistral_chat_request *r) {
  const char *const stops[] = {"END", "\n", "fin \xc3\xa9t\xc3\xa9"};
  return mistral_chat_request_set_stop_list(r, stops, 3);
}
static int stop_list_empty(mistral_chat_request *r) {
  const char *const stops[] = {"unused"};
  return mistral_chat_request_set_stop_list(r, stops, 0);
}
static int stop_list_empty_null(mistral_chat_request *r) {
  return mistral_chat_request_set_stop_list(r, NULL, 0);
}
static int random_seed_0(mistral_chat_request *r) {
  return mistral_chat_request_set_random_seed(r, 0);
}
static int random_seed_42(mistral_chat_request *r) {
  return mistral_chat_request_set_random_seed(r, 42);
}
static int random_seed_max(mistral_chat_request *r) {
  return mistral_chat_request_set_random_seed(r, INT64_MAX);
}
static int metadata(mistral_chat_request *r) {
  return mistral_chat_request_set_metadata_json(
      r, "{\"user\":\"42\",\"tags\":[\"a\",\"b\"],\"nested\":{\"x\":1.5,\"y\":null}}");
}
static int metadata_empty(mistral_chat_request *r) {
  return mistral_chat_request_set_metadata_json(r, " { } ");
}
static int format_text(mistral_chat_request *r) {
  return mistral_chat_request_set_response_format(r, MISTRAL_RESPONSE_FORMAT_TEXT);
}
static int format_json_object(mistral_chat_request *r) {
  return mistral_chat_request_set_response_format(r, MISTRAL_RESPONSE_FORMAT_JSON_OBJECT);
}
#define BOOK_SCHEMA                                                                     \
  "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"authors\":" \
  "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"name\","     \
  "\"authors\"],\"additionalProperties\":false}"
static int json_schema_full(mistral_chat_request *r) {
  return mistral_chat_request_set_json_schema(r, "book", "A book and its authors",
                                              BOOK_SCHEMA, true);
}
static int json_schema_minimal(mistral_chat_request *r) {
  return mistral_chat_request_set_json_schema(r, "book", NULL, BOOK_SCHEMA, false);
}
#define WEATHER_PARAMS                                                                  \
  "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":" \
  "[\"city\"]}"
static int function_full(mistral_chat_request *r) {
  return mistral_chat_request_add_function_tool(r, "get_weather", "Current weather in a city",
                                                WEATHER_PARAMS, true);
}
static int function_minimal(mistral_chat_request *r) {
  return mistral_chat_request_add_function_tool(r, "get_time", NULL, NULL, false);
}
static int function_params_only(mistral_chat_request *r) {
  return mistral_chat_request_add_function_tool(r, "get_weather", NULL, WEATHER_PARAMS, false);
}
static int function_desc_only(mistral_chat_request *r) {
  return mistral_chat_request_add_function_tool(r, "get_time", "The time", NULL, true);
}
static int web_search(mistral_chat_request *r) {
  return mistral_chat_request_add_builtin_tool(r, "web_search", NULL);
}
static int web_search_premium(mistral_chat_request *r) {
  return mistral_chat_request_add_builtin_tool(r, "web_search_premium", NULL);
}
static int code_interpreter(mistral_chat_request *r) {
  return mistral_chat_request_add_builtin_tool(r, "code_interpreter", NULL);
}
static int image_generation(mistral_chat_request *r) {
  return mistral_chat_request_add_builtin_tool(r, "image_generation", "{}");
}
static int document_library(mistral_chat_request *r) {
  return mistral_chat_request_add_builtin_tool(r, "document_library",
                                               "{\"library_ids\":[\"lib-1\",\"lib-2\"]}");
}
static int connector(mistral_chat_request *r) {
  return mistral_chat_request_add_builtin_tool(r, "connector", "{\"connector_id\":\"c1\"}");
}
static int web_search_configured(mistral_chat_request *r) {
  return mistral_chat_request_add_builtin_tool(
      r, "web_search", "{\"tool_configuration\":{\"exclude\":[\"example.com\"]}}");
}
static int tool_choice_auto(mistral_chat_request *r) {
  return mistral_chat_request_set_tool_choice(r, MISTRAL_TOOL_CHOICE_AUTO);
}
static int tool_choice_none(mistral_chat_request *r) {
  return mistral_chat_request_set_tool_choice(r, MISTRAL_TOOL_CHOICE_NONE);
}
static int tool_choice_any(mistral_chat_request *r) {
  return mistral_chat_request_set_tool_choice(r, MISTRAL_TOOL_CHOICE_ANY);
}
static int tool_choice_required(mistral_chat_request *r) {
  return mistral_chat_request_set_tool_choice(r, MISTRAL_TOOL_CHOICE_REQUIRED);
}
static int tool_choice_function(mistral_chat_request *r) {
  return mistral_chat_request_set_tool_choice_function(r, "get_weather");
}
static int presence_min(mistral_chat_request *r) {
  return mistral_chat_request_set_presence_penalty(r, -2.0);
}
static int presence_mid(mistral_chat_request *r) {
  return mistral_chat_request_set_presence_penalty(r, 0.25);
}
static int presence_max(mistral_chat_request *r) {
  return mistral_chat_request_set_presence_penalty(r, 2.0);
}
static int frequency_min(mistral_chat_request *r) {
  return mistral_chat_request_set_frequency_penalty(r, -2.0);
}
static int frequency_max(mistral_chat_request *r) {
  return mistral_chat_request_set_frequency_penalty(r, 2.0);
}
static int n_1(mistral_chat_request *r) { return mistral_chat_request_set_n(r, 1); }
static int n_4(mistral_chat_request *r) { return mistral_chat_request_set_n(r, 4); }
static int prediction(mistral_chat_request *r) {
  return mistral_chat_request_set_prediction(r, "def add(a, b):\n    return a + b\n");
}
static int prediction_empty(mistral_chat_request *r) {
  return mistral_chat_request_set_prediction(r, "");
}
static int parallel_true(mistral_chat_request *r) {
  return mistral_chat_request_set_parallel_tool_calls(r, true);
}
static int parallel_false(mistral_chat_request *r) {
  return mistral_chat_request_set_parallel_tool_calls(r, false);
}
static int reasoning_effort(mistral_chat_request *r) {
  return mistral_chat_request_set_reasoning_effort(r, "high");
}
static int reasoning_effort_new(mistral_chat_request *r) {
  /* Passed through: a value newer than this release still goes out. */
  return mistral_chat_request_set_reasoning_effort(r, "ultra");
}
static int prompt_mode(mistral_chat_request *r) {
  return mistral_chat_request_set_prompt_mode(r, "reasoning");
}
static int guardrails(mistral_chat_request *r) {
  return mistral_chat_request_set_guardrails_json(
      r, "[{\"block_on_error\":true,\"moderation_llm_v1\":{\"action\":\"block\","
         "\"custom_category_thresholds\":{\"pii\":0.25}}}]");
}
static int guardrails_empty(mistral_chat_request *r) {
  return mistral_chat_request_set_guardrails_json(r, "[]");
}
static int prompt_cache_key(mistral_chat_request *r) {
  return mistral_chat_request_set_prompt_cache_key(r, "user-42/cl\xc3\xa9-\xf0\x9f\x98\x80");
}
static int service_tier(mistral_chat_request *r) {
  return mistral_chat_request_set_service_tier(r, "standard_only");
}
static int safe_prompt_true(mistral_chat_request *r) {
  return mistral_chat_request_set_safe_prompt(r, true);
}
static int safe_prompt_false(mistral_chat_request *r) {
  return mistral_chat_request_set_safe_prompt(r, false);
}

static const field_case cases[] = {
    {"temperature", temperature_0, "\"temperature\":0.0"},
    {"temperature", temperature_07, "\"temperature\":0.7"},
    {"temperature", temperature_15, "\"temperature\":1.5"},
    {"top_p", top_p_1, "\"top_p\":1.0"},
    {"top_p", top_p_small, "\"top_p\":0.05"},
    {"max_tokens", max_tokens_0, "\"max_tokens\":0"},
    {"max_tokens", max_tokens_1024, "\"max_tokens\":1024"},
    {"max_tokens", max_tokens_big, "\"max_tokens\":9007199254740993"},
    {"stop", stop_string, "\"stop\":\"\\n\\nEND\""},
    {"stop", stop_list, "\"stop\":[\"END\",\"\\n\",\"fin \\u00e9t\\u00e9\"]"},
    {"stop", stop_list_empty, "\"stop\":[]"},
    {"stop", stop_list_empty_null, "\"stop\":[]"},
    {"random_seed", random_seed_0, "\"random_seed\":0"},
    {"random_seed", random_seed_42, "\"random_seed\":42"},
    {"random_seed", random_seed_max, "\"random_seed\":9223372036854775807"},
    {"metadata", metadata,
     "\"metadata\":{\"user\":\"42\",\"tags\":[\"a\",\"b\"],\"nested\":{\"x\":1.5,\"y\":null}}"},
    {"metadata", metadata_empty, "\"metadata\":{}"},
    {"response_format", format_text, "\"response_format\":{\"type\":\"text\"}"},
    {"response_format", format_json_object, "\"response_format\":{\"type\":\"json_object\"}"},
    {"response_format", json_schema_full,
     "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"book\","
     "\"description\":\"A book and its authors\",\"schema\":" BOOK_SCHEMA ",\"strict\":true}}"},
    {"response_format", json_schema_minimal,
     "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"book\","
     "\"schema\":" BOOK_SCHEMA "}}"},
    {"tools", function_full,
     "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
     "\"description\":\"Current weather in a city\",\"parameters\":" WEATHER_PARAMS
     ",\"strict\":true}}]"},
    {"tools", function_minimal,
     "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_time\","
     "\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]"},
    {"tools", function_params_only,
     "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
     "\"parameters\":" WEATHER_PARAMS "}}]"},
    {"tools", function_desc_only,
     "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_time\","
     "\"description\":\"The time\",\"parameters\":{\"type\":\"object\",\"properties\":{}},"
     "\"strict\":true}}]"},
    {"tools", web_search, "\"tools\":[{\"type\":\"web_search\"}]"},
    {"tools", web_search_premium, "\"tools\":[{\"type\":\"web_search_premium\"}]"},
    {"tools", code_interpreter, "\"tools\":[{\"type\":\"code_interpreter\"}]"},
    {"tools", image_generation, "\"tools\":[{\"type\":\"image_generation\"}]"},
    {"tools", document_library,
     "\"tools\":[{\"type\":\"document_library\",\"library_ids\":[\"lib-1\",\"lib-2\"]}]"},
    {"tools", connector, "\"tools\":[{\"type\":\"connector\",\"connector_id\":\"c1\"}]"},
    {"tools", web_search_configured,
     "\"tools\":[{\"type\":\"web_search\",\"tool_configuration\":{\"exclude\":"
     "[\"example.com\"]}}]"},
    {"tool_choice", tool_choice_auto, "\"tool_choice\":\"auto\""},
    {"tool_choice", tool_choice_none, "\"tool_choice\":\"none\""},
    {"tool_choice", tool_choice_any, "\"tool_choice\":\"any\""},
    {"tool_choice", tool_choice_required, "\"tool_choice\":\"required\""},
    {"tool_choice", tool_choice_function,
     "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"},
    {"presence_penalty", presence_min, "\"presence_penalty\":-2.0"},
    {"presence_penalty", presence_mid, "\"presence_penalty\":0.25"},
    {"presence_penalty", presence_max, "\"presence_penalty\":2.0"},
    {"frequency_penalty", frequency_min, "\"frequency_penalty\":-2.0"},
    {"frequency_penalty", frequency_max, "\"frequency_penalty\":2.0"},
    {"n", n_1, "\"n\":1"},
    {"n", n_4, "\"n\":4"},
    {"prediction", prediction,
     "\"prediction\":{\"type\":\"content\",\"content\":\"def add(a, b):\\n    return a + b\\n\"}"},
    {"prediction", prediction_empty, "\"prediction\":{\"type\":\"content\",\"content\":\"\"}"},
    {"parallel_tool_calls", parallel_true, "\"parallel_tool_calls\":true"},
    {"parallel_tool_calls", parallel_false, "\"parallel_tool_calls\":false"},
    {"reasoning_effort", reasoning_effort, "\"reasoning_effort\":\"high\""},
    {"reasoning_effort", reasoning_effort_new, "\"reasoning_effort\":\"ultra\""},
    {"prompt_mode", prompt_mode, "\"prompt_mode\":\"reasoning\""},
    {"guardrails", guardrails,
     "\"guardrails\":[{\"block_on_error\":true,\"moderation_llm_v1\":{\"action\":\"block\","
     "\"custom_category_thresholds\":{\"pii\":0.25}}}]"},
    {"guardrails", guardrails_empty, "\"guardrails\":[]"},
    {"prompt_cache_key", prompt_cache_key,
     "\"prompt_cache_key\":\"user-42/cl\\u00e9-\\ud83d\\ude00\""},
    {"service_tier", service_tier, "\"service_tier\":\"standard_only\""},
    {"safe_prompt", safe_prompt_true, "\"safe_prompt\":true"},
    {"safe_prompt", safe_prompt_false, "\"safe_prompt\":false"},
};
#define N_CASES (sizeof cases / sizeof *cases)

/* Each setter alone adds exactly its member and nothing else. */
static void test_each_setter_alone(void **state) {
  (void)state;
  for (size_t i = 0; i < N_CASES; i++) {
    mistral_chat_request *req = ct_base_request();
    int rc = cases[i].set(req);
    if (rc != MISTRAL_OK) print_error("case %zu (%s): rc %d\n", i, cases[i].field, rc);
    assert_int_equal(rc, MISTRAL_OK);
    ct_assert_base_with(req, cases[i].members);
    mistral_chat_request_free(req);
  }
}

/* Setting, then unsetting, leaves the base body: unset removes the member. */
static void test_unset_removes_each_field(void **state) {
  (void)state;
  for (size_t i = 0; i < N_CASES; i++) {
    mistral_chat_request *req = ct_base_request();
    assert_int_equal(cases[i].set(req), MISTRAL_OK);
    assert_int_equal(mistral_chat_request_unset(req, cases[i].field), MISTRAL_OK);
    ct_assert_base_with(req, "");
    /* Set again after unset: back to the single member. */
    assert_int_equal(cases[i].set(req), MISTRAL_OK);
    ct_assert_base_with(req, cases[i].members);
    mistral_chat_request_free(req);
  }
}

/* A fresh request sends exactly "model" and "messages". */
static void test_fresh_request_has_only_model_and_messages(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  json_t *body = ct_request_json(req);
  assert_int_equal(json_object_size(body), 2);
  assert_string_equal(json_string_value(json_object_get(body, "model")), CT_MODEL);
  assert_int_equal(json_array_size(json_object_get(body, "messages")), 1);
  json_decref(body);
  ct_assert_body(req, "{\"model\":\"mistral-small-latest\","
                      "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
  assert_int_equal(mistral_chat_request_message_count(req), 1);
  mistral_chat_request_free(req);
}

/* to_json gives compact text (no newline, no ": " or ", " separators). */
static void test_to_json_is_compact(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(metadata(req), MISTRAL_OK);
  assert_int_equal(stop_list(req), MISTRAL_OK);
  char *text = NULL;
  assert_int_equal(mistral_chat_request_to_json(&text, req, NULL), MISTRAL_OK);
  assert_non_null(text);
  assert_null(strchr(text, '\n'));
  assert_null(strstr(text, "\": "));
  assert_null(strstr(text, ", "));
  /* model and messages come first, for a readable body. */
  assert_true(strncmp(text, "{\"model\":\"mistral-small-latest\",\"messages\":", 43) == 0);
  mistral_free(text);
  mistral_chat_request_free(req);
}

/* The model: from new(), from set_model() after new(NULL), replaced. */
static void test_model(void **state) {
  (void)state;
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, NULL), MISTRAL_OK);
  assert_non_null(req);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hi"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_model(req, "open-mistral-nemo"), MISTRAL_OK);
  ct_assert_body(req, "{\"model\":\"open-mistral-nemo\",\"messages\":" CT_BASE_MESSAGES "}");
  assert_int_equal(mistral_chat_request_set_model(req, CT_MODEL), MISTRAL_OK);
  ct_assert_base_with(req, "");
  mistral_chat_request_free(req);
}

/* Every nullable field can be sent as an explicit null. */
static const char *const nullable[] = {
    "temperature",       "top_p", "max_tokens",       "stop",        "random_seed",
    "metadata",          "tools", "presence_penalty", "frequency_penalty", "n",
    "reasoning_effort",  "prompt_mode", "guardrails", "prompt_cache_key", "service_tier"};

static void test_set_null_each_nullable_field(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof nullable / sizeof *nullable; i++) {
    mistral_chat_request *req = ct_base_request();
    assert_int_equal(mistral_chat_request_set_null(req, nullable[i]), MISTRAL_OK);
    char members[64];
    snprintf(members, sizeof members, "\"%s\":null", nullable[i]);
    ct_assert_base_with(req, members);
    json_t *body = ct_request_json(req);
    assert_true(json_is_null(json_object_get(body, nullable[i])));
    json_decref(body);
    /* unset removes the null too */
    assert_int_equal(mistral_chat_request_unset(req, nullable[i]), MISTRAL_OK);
    ct_assert_base_with(req, "");
    mistral_chat_request_free(req);
  }
}

/* All nullable fields null at once. */
static void test_set_null_all_at_once(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  for (size_t i = 0; i < sizeof nullable / sizeof *nullable; i++)
    assert_int_equal(mistral_chat_request_set_null(req, nullable[i]), MISTRAL_OK);
  json_t *body = ct_request_json(req);
  assert_int_equal(json_object_size(body), 2 + sizeof nullable / sizeof *nullable);
  for (size_t i = 0; i < sizeof nullable / sizeof *nullable; i++)
    assert_true(json_is_null(json_object_get(body, nullable[i])));
  json_decref(body);
  mistral_chat_request_free(req);
}

/* Fields the spec does not make nullable (and unknown names) refuse null,
 * and the refusal sticks to the request. */
static void test_set_null_non_nullable_fails(void **state) {
  (void)state;
  static const char *const refused[] = {"response_format", "tool_choice", "prediction",
                                        "parallel_tool_calls", "safe_prompt", "model",
                                        "messages", "stream", "temperature ", "Temperature",
                                        "no_such_field", ""};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    mistral_chat_request *req = ct_base_request();
    assert_int_equal(mistral_chat_request_set_null(req, refused[i]), MISTRAL_E_INVALID_ARG);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", refused[i]);
    ct_assert_to_json_fails_at(req, MISTRAL_E_INVALID_ARG, "set_null", quoted, __FILE__,
                               __LINE__);
    mistral_chat_request_free(req);
  }
}

/* unset() of a field never set is a no-op; model, messages and unknown
 * names cannot be unset. */
static void test_unset_edge_cases(void **state) {
  (void)state;
  static const char *const optional[] = {
      "temperature",       "top_p",          "max_tokens",  "stop",
      "random_seed",       "metadata",       "tools",       "presence_penalty",
      "frequency_penalty", "n",              "reasoning_effort", "prompt_mode",
      "guardrails",        "prompt_cache_key", "service_tier", "response_format",
      "tool_choice",       "prediction",     "parallel_tool_calls", "safe_prompt"};
  mistral_chat_request *req = ct_base_request();
  for (size_t i = 0; i < sizeof optional / sizeof *optional; i++)
    assert_int_equal(mistral_chat_request_unset(req, optional[i]), MISTRAL_OK);
  ct_assert_base_with(req, "");
  mistral_chat_request_free(req);

  static const char *const refused[] = {"model", "messages", "stream", "bogus", ""};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    req = ct_base_request();
    assert_int_equal(mistral_chat_request_unset(req, refused[i]), MISTRAL_E_INVALID_ARG);
    ct_assert_to_json_fails_at(req, MISTRAL_E_INVALID_ARG, "unset", refused[i], __FILE__,
                               __LINE__);
    mistral_chat_request_free(req);
  }
}

/* A second call replaces the first value (tools excepted: they append). */
static void test_set_twice_replaces(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.2), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.9), MISTRAL_OK);
  ct_assert_base_with(req, "\"temperature\":0.9");

  /* stop: string, then list, then string again */
  assert_int_equal(mistral_chat_request_unset(req, "temperature"), MISTRAL_OK);
  assert_int_equal(stop_string(req), MISTRAL_OK);
  assert_int_equal(stop_list(req), MISTRAL_OK);
  ct_assert_base_with(req, "\"stop\":[\"END\",\"\\n\",\"fin \\u00e9t\\u00e9\"]");
  assert_int_equal(mistral_chat_request_set_stop(req, "X"), MISTRAL_OK);
  ct_assert_base_with(req, "\"stop\":\"X\"");
  assert_int_equal(mistral_chat_request_unset(req, "stop"), MISTRAL_OK);

  /* response_format: text, then a schema, then json_object */
  assert_int_equal(format_text(req), MISTRAL_OK);
  assert_int_equal(json_schema_minimal(req), MISTRAL_OK);
  ct_assert_base_with(req, "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                           "{\"name\":\"book\",\"schema\":" BOOK_SCHEMA "}}");
  assert_int_equal(format_json_object(req), MISTRAL_OK);
  ct_assert_base_with(req, "\"response_format\":{\"type\":\"json_object\"}");
  assert_int_equal(mistral_chat_request_unset(req, "response_format"), MISTRAL_OK);

  /* tool_choice: enum, function, enum */
  assert_int_equal(tool_choice_any(req), MISTRAL_OK);
  assert_int_equal(tool_choice_function(req), MISTRAL_OK);
  ct_assert_base_with(req, "\"tool_choice\":{\"type\":\"function\",\"function\":"
                           "{\"name\":\"get_weather\"}}");
  assert_int_equal(tool_choice_none(req), MISTRAL_OK);
  ct_assert_base_with(req, "\"tool_choice\":\"none\"");
  assert_int_equal(mistral_chat_request_unset(req, "tool_choice"), MISTRAL_OK);

  /* value, then null, then value */
  assert_int_equal(mistral_chat_request_set_max_tokens(req, 5), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_null(req, "max_tokens"), MISTRAL_OK);
  ct_assert_base_with(req, "\"max_tokens\":null");
  assert_int_equal(mistral_chat_request_set_max_tokens(req, 7), MISTRAL_OK);
  ct_assert_base_with(req, "\"max_tokens\":7");
  assert_int_equal(mistral_chat_request_unset(req, "max_tokens"), MISTRAL_OK);

  /* JSON-text fields and strings */
  assert_int_equal(metadata(req), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_metadata_json(req, "{\"k\":\"v\"}"), MISTRAL_OK);
  assert_int_equal(prediction(req), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_prediction(req, "x"), MISTRAL_OK);
  assert_int_equal(guardrails(req), MISTRAL_OK);
  assert_int_equal(guardrails_empty(req), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_service_tier(req, "auto"), MISTRAL_OK);
  assert_int_equal(service_tier(req), MISTRAL_OK);
  assert_int_equal(parallel_true(req), MISTRAL_OK);
  assert_int_equal(parallel_false(req), MISTRAL_OK);
  assert_int_equal(safe_prompt_true(req), MISTRAL_OK);
  assert_int_equal(safe_prompt_false(req), MISTRAL_OK);
  ct_assert_base_with(req, "\"metadata\":{\"k\":\"v\"},"
                           "\"prediction\":{\"type\":\"content\",\"content\":\"x\"},"
                           "\"guardrails\":[],\"service_tier\":\"standard_only\","
                           "\"parallel_tool_calls\":false,\"safe_prompt\":false");
  mistral_chat_request_free(req);
}

/* Tools append in call order, function and built-in mixed; a tools null is
 * replaced by a list on the next add. */
static void test_tools_append_in_order(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_set_null(req, "tools"), MISTRAL_OK);
  assert_int_equal(function_minimal(req), MISTRAL_OK);
  assert_int_equal(web_search(req), MISTRAL_OK);
  assert_int_equal(function_full(req), MISTRAL_OK);
  assert_int_equal(connector(req), MISTRAL_OK);
  ct_assert_base_with(
      req, "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_time\","
           "\"parameters\":{\"type\":\"object\",\"properties\":{}}}},"
           "{\"type\":\"web_search\"},"
           "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
           "\"description\":\"Current weather in a city\",\"parameters\":" WEATHER_PARAMS
           ",\"strict\":true}},"
           "{\"type\":\"connector\",\"connector_id\":\"c1\"}]");
  assert_int_equal(mistral_chat_request_unset(req, "tools"), MISTRAL_OK);
  assert_int_equal(document_library(req), MISTRAL_OK);
  ct_assert_base_with(
      req, "\"tools\":[{\"type\":\"document_library\",\"library_ids\":[\"lib-1\",\"lib-2\"]}]");
  mistral_chat_request_free(req);
}

/* Every setter at once, in one body. */
static void test_all_fields_together(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  int (*const setters[])(mistral_chat_request *) = {
      temperature_07, top_p_small, max_tokens_1024, stop_list, random_seed_42, metadata,
      json_schema_full, function_full, web_search, tool_choice_any, presence_mid,
      frequency_max, n_4, prediction, parallel_false, reasoning_effort, prompt_mode,
      guardrails, prompt_cache_key, service_tier, safe_prompt_true};
  for (size_t i = 0; i < sizeof setters / sizeof *setters; i++)
    assert_int_equal(setters[i](req), MISTRAL_OK);
  ct_assert_base_with(
      req,
      "\"temperature\":0.7,\"top_p\":0.05,\"max_tokens\":1024,"
      "\"stop\":[\"END\",\"\\n\",\"fin \\u00e9t\\u00e9\"],\"random_seed\":42,"
      "\"metadata\":{\"user\":\"42\",\"tags\":[\"a\",\"b\"],\"nested\":{\"x\":1.5,\"y\":null}},"
      "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"book\","
      "\"description\":\"A book and its authors\",\"schema\":" BOOK_SCHEMA ",\"strict\":true}},"
      "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
      "\"description\":\"Current weather in a city\",\"parameters\":" WEATHER_PARAMS
      ",\"strict\":true}},{\"type\":\"web_search\"}],"
      "\"tool_choice\":\"any\",\"presence_penalty\":0.25,\"frequency_penalty\":2.0,\"n\":4,"
      "\"prediction\":{\"type\":\"content\",\"content\":\"def add(a, b):\\n    return a + b\\n\"},"
      "\"parallel_tool_calls\":false,\"reasoning_effort\":\"high\","
      "\"prompt_mode\":\"reasoning\",\"guardrails\":[{\"block_on_error\":true,"
      "\"moderation_llm_v1\":{\"action\":\"block\",\"custom_category_thresholds\":"
      "{\"pii\":0.25}}}],\"prompt_cache_key\":\"user-42/cl\\u00e9-\\ud83d\\ude00\","
      "\"service_tier\":\"standard_only\",\"safe_prompt\":true");
  mistral_chat_request_free(req);
}

/* Setters copy their inputs: changing the caller's buffers afterwards does
 * not change the body. */
static void test_setters_copy_inputs(void **state) {
  (void)state;
  char model[] = "mistral-small-latest";
  char text[] = "Hi";
  char stop[] = "END";
  char s1[] = "a", s2[] = "b";
  const char *stops[] = {s1, s2};
  char meta[] = "{\"k\":1}";
  char tool[] = "lookup";
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, model), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, text),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_stop(req, stop), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_metadata_json(req, meta), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_function_tool(req, tool, NULL, NULL, false),
                   MISTRAL_OK);
  memset(model, 'x', sizeof model - 1);
  memset(text, 'x', sizeof text - 1);
  memset(stop, 'x', sizeof stop - 1);
  memset(meta, ' ', sizeof meta - 1);
  memset(tool, 'x', sizeof tool - 1);
  ct_assert_base_with(req, "\"stop\":\"END\",\"metadata\":{\"k\":1},\"tools\":[{\"type\":"
                           "\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":"
                           "{\"type\":\"object\",\"properties\":{}}}}]");
  assert_int_equal(mistral_chat_request_set_stop_list(req, stops, 2), MISTRAL_OK);
  s1[0] = 'z';
  stops[1] = "changed";
  json_t *body = ct_request_json(req);
  json_t *st = json_object_get(body, "stop");
  assert_string_equal(json_string_value(json_array_get(st, 0)), "a");
  assert_string_equal(json_string_value(json_array_get(st, 1)), "b");
  json_decref(body);
  mistral_chat_request_free(req);
}

/* The same request serializes the same way every time (to_json does not
 * consume or change it). */
static void test_to_json_is_repeatable(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(function_full(req), MISTRAL_OK);
  assert_int_equal(temperature_07(req), MISTRAL_OK);
  char *a = NULL, *b = NULL;
  assert_int_equal(mistral_chat_request_to_json(&a, req, NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_to_json(&b, req, NULL), MISTRAL_OK);
  assert_string_equal(a, b);
  mistral_free(a);
  mistral_free(b);
  mistral_chat_request_free(req);
}

/* The streaming body is the same request with "stream": true, and the
 * plain body never carries "stream". */
static void test_stream_json_adds_stream_true(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.5), MISTRAL_OK);
  char *plain = NULL, *streamed = NULL;
  assert_int_equal(mistral_chat_request_to_json(&plain, req, NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_to_stream_json(&streamed, req, NULL), MISTRAL_OK);
  json_t *p = json_loads(plain, 0, NULL), *s = json_loads(streamed, 0, NULL);
  assert_non_null(p);
  assert_non_null(s);
  assert_null(json_object_get(p, "stream"));
  assert_true(json_is_true(json_object_get(s, "stream")));
  json_object_del(s, "stream");
  assert_true(json_equal(p, s));
  json_decref(p);
  json_decref(s);
  mistral_free(plain);
  mistral_free(streamed);
  /* The same argument checks as to_json. */
  assert_int_equal(mistral_chat_request_to_stream_json(NULL, req, NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_chat_request_to_stream_json(&streamed, NULL, NULL),
                   MISTRAL_E_INVALID_ARG);
  assert_null(streamed);
  mistral_chat_request_free(req);
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fresh_request_has_only_model_and_messages),
      cmocka_unit_test(test_to_json_is_compact),
      cmocka_unit_test(test_stream_json_adds_stream_true),
      cmocka_unit_test(test_model),
      cmocka_unit_test(test_each_setter_alone),
      cmocka_unit_test(test_unset_removes_each_field),
      cmocka_unit_test(test_set_null_each_nullable_field),
      cmocka_unit_test(test_set_null_all_at_once),
      cmocka_unit_test(test_set_null_non_nullable_fails),
      cmocka_unit_test(test_unset_edge_cases),
      cmocka_unit_test(test_set_twice_replaces),
      cmocka_unit_test(test_tools_append_in_order),
      cmocka_unit_test(test_all_fields_together),
      cmocka_unit_test(test_setters_copy_inputs),
      cmocka_unit_test(test_to_json_is_repeatable),
  };
  return cmocka_run_group_tests_name("chat request fields", tests, NULL, NULL);
}
