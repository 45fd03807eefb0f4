/* Chat responses over the loopback fixture server: every field of
 * mistral_chat_response is decoded from what the API sends, in each shape
 * the API uses (plain text, n choices, chunk lists, tool calls, every
 * finish_reason, nulls, unknown members), and raw_json is the body as sent.
 * Fixtures: tests/fixtures/chat/response/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <mistral/mistral.h>

#include "http_test_util.h"

/* The response body of a fixture file, parsed. */
static json_t *fixture_response_json(const char *rel) {
  size_t len;
  char *body = tu_fixture_body(rel, &len);
  json_t *v = json_loadb(body, len, 0, NULL);
  free(body);
  assert_non_null(v);
  return v;
}

/* Sends req against the fixture rel and returns the response, checking the
 * exchange and that raw_json is the fixture's body byte for byte. */
static mistral_chat_response *complete(http_ctx *t, const char *rel,
                                       const mistral_chat_request *req) {
  tu_expect(t->fs, rel, 1);
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, t->client, req, t->err);
  if (rc != MISTRAL_OK) print_error("%s: %s\n", rel, mistral_error_message(t->err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_non_null(resp);
  assert_int_equal(mistral_error_code(t->err), MISTRAL_OK);
  assert_string_equal(mistral_error_message(t->err), "");
  tu_assert_served(t->fs);

  size_t len;
  char *body = tu_fixture_body(rel, &len);
  assert_non_null(resp->raw_json);
  assert_int_equal(resp->raw_json_len, len);
  assert_memory_equal(resp->raw_json, body, len);
  assert_int_equal(resp->raw_json[resp->raw_json_len], '\0');
  free(body);
  return resp;
}

static mistral_chat_response *complete_hello(http_ctx *t, const char *rel) {
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = complete(t, rel, req);
  mistral_chat_request_free(req);
  return resp;
}

/* Asserts that the JSON text s means the same as the JSON value want. */
static void assert_json_equal(const char *s, const json_t *want) {
  assert_non_null(s);
  json_t *got = json_loads(s, JSON_DECODE_ANY, NULL);
  assert_non_null(got);
  if (!json_equal(got, want)) print_error("JSON differs: %s\n", s);
  assert_true(json_equal(got, want));
  json_decref(got);
}

static void test_plain_text_every_field(void **state) {
  http_ctx *t = *state;
  mistral_chat_response *resp = complete_hello(t, "chat/response/plain-text.fixture");

  assert_string_equal(resp->id, "cmpl-e5cc70bb28c444948073e77776eb30ef");
  assert_string_equal(resp->object, "chat.completion");
  assert_string_equal(resp->model, "mistral-small-latest");
  assert_int_equal(resp->created, 1732700123);
  assert_string_equal(resp->request_id, "2b0c5e3f9d6a4c81b7e4a1f0c3d2e5b6");
  assert_null(resp->model_deprecation);

  assert_non_null(resp->usage);
  assert_int_equal(resp->usage->prompt_tokens, 5);
  assert_int_equal(resp->usage->completion_tokens, 9);
  assert_int_equal(resp->usage->total_tokens, 14);
  /* usage->json keeps the fields beyond the three counters. */
  json_t *body = fixture_response_json("chat/response/plain-text.fixture");
  assert_json_equal(resp->usage->json, json_object_get(body, "usage"));
  json_t *usage = json_loads(resp->usage->json, 0, NULL);
  assert_non_null(usage);
  assert_true(json_is_null(json_object_get(usage, "prompt_audio_seconds")));
  assert_string_equal(json_string_value(json_object_get(usage, "service_tier")), "standard");
  json_decref(usage);
  json_decref(body);

  assert_int_equal(resp->choice_count, 1);
  const mistral_chat_choice *c = resp->choices[0];
  assert_int_equal(c->index, 0);
  assert_int_equal(c->finish_reason, MISTRAL_FINISH_STOP);
  assert_string_equal(c->finish_reason_raw, "stop");
  const mistral_assistant_message *m = c->message;
  assert_non_null(m);
  assert_string_equal(m->role, "assistant");
  assert_string_equal(m->content, "Hello! How can I help you today?");
  assert_int_equal(m->chunk_count, 0);
  assert_int_equal(m->tool_call_count, 0);
  assert_false(m->prefix);
  assert_string_equal(mistral_chat_response_text(resp), "Hello! How can I help you today?");
  mistral_chat_response_free(resp);
}

static void test_deprecation_and_correlation_id(void **state) {
  http_ctx *t = *state;
  mistral_chat_response *resp = complete_hello(t, "chat/response/deprecated-model.fixture");
  assert_string_equal(resp->model_deprecation, "2026-03-31T00:00:00Z");
  assert_string_equal(resp->request_id, "019376a1-5c2e-7d4b-9f80-3e1a2b4c6d8e");
  assert_string_equal(resp->id, "cmpl-0a4f6d2c8e1b4b7fa93d5c1e2f7a8b90");
  assert_int_equal(resp->created, 1732700200);
  /* No extra usage fields: usage->json holds exactly the three counters. */
  json_t *want = json_pack("{s:i,s:i,s:i}", "prompt_tokens", 5, "completion_tokens", 4,
                           "total_tokens", 9);
  assert_json_equal(resp->usage->json, want);
  json_decref(want);
  assert_string_equal(mistral_chat_response_text(resp), "Hello there!");
  mistral_chat_response_free(resp);
}

static void test_two_choices(void **state) {
  http_ctx *t = *state;
  mistral_chat_request *req = tu_hello_request();
  assert_int_equal(mistral_chat_request_set_n(req, 2), MISTRAL_OK);
  mistral_chat_response *resp = complete(t, "chat/response/n-choices.fixture", req);
  mistral_chat_request_free(req);

  assert_int_equal(resp->choice_count, 2);
  assert_int_equal(resp->choices[0]->index, 0);
  assert_int_equal(resp->choices[1]->index, 1);
  assert_string_equal(resp->choices[0]->message->content, "Hello! How can I help?");
  assert_string_equal(resp->choices[1]->message->content, "Hi there! What can I do for you?");
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(resp->choices[i]->finish_reason, MISTRAL_FINISH_STOP);
    assert_string_equal(resp->choices[i]->finish_reason_raw, "stop");
    assert_string_equal(resp->choices[i]->message->role, "assistant");
  }
  assert_string_equal(mistral_chat_response_text(resp), "Hello! How can I help?");
  assert_int_equal(resp->usage->total_tokens, 20);
  mistral_chat_response_free(resp);
}

static void test_content_chunks(void **state) {
  http_ctx *t = *state;
  mistral_chat_response *resp = complete_hello(t, "chat/response/content-chunks.fixture");
  const mistral_assistant_message *m = resp->choices[0]->message;

  /* The text view: the text chunks, concatenated, nothing else. */
  assert_string_equal(m->content, "Hello! Here is a cat.");
  assert_string_equal(mistral_chat_response_text(resp), "Hello! Here is a cat.");

  json_t *body = fixture_response_json("chat/response/content-chunks.fixture");
  json_t *sent = json_object_get(
      json_object_get(json_array_get(json_object_get(body, "choices"), 0), "message"),
      "content");
  assert_int_equal(m->chunk_count, json_array_size(sent));
  assert_int_equal(m->chunk_count, 11);
  for (size_t i = 0; i < m->chunk_count; i++) {
    assert_non_null(m->chunks[i]);
    assert_json_equal(m->chunks[i]->json, json_array_get(sent, i));
    assert_string_equal(m->chunks[i]->type_name,
                        json_string_value(json_object_get(json_array_get(sent, i), "type")));
  }
  json_decref(body);

  const mistral_content_chunk *const *ch = m->chunks;
  assert_int_equal(ch[0]->type, MISTRAL_CHUNK_THINKING);
  assert_string_equal(ch[0]->text, "The user says hello. I greet them back.");
  assert_null(ch[0]->url);

  assert_int_equal(ch[1]->type, MISTRAL_CHUNK_TEXT);
  assert_string_equal(ch[1]->text, "Hello! ");

  assert_int_equal(ch[2]->type, MISTRAL_CHUNK_IMAGE_URL);
  assert_string_equal(ch[2]->url, "https://example.com/cat.png");
  assert_string_equal(ch[2]->detail, "high");
  assert_null(ch[2]->text);

  assert_int_equal(ch[3]->type, MISTRAL_CHUNK_REFERENCE);
  assert_null(ch[3]->text);
  assert_null(ch[3]->url);

  assert_int_equal(ch[4]->type, MISTRAL_CHUNK_TEXT);
  assert_string_equal(ch[4]->text, "Here is a cat.");

  assert_int_equal(ch[5]->type, MISTRAL_CHUNK_DOCUMENT_URL);
  assert_string_equal(ch[5]->url, "https://example.com/cats.pdf");
  assert_string_equal(ch[5]->name, "cats.pdf");

  assert_int_equal(ch[6]->type, MISTRAL_CHUNK_TOOL_REFERENCE);
  assert_string_equal(ch[6]->url, "https://example.com/cats");
  assert_string_equal(ch[6]->name, "All about cats");

  assert_int_equal(ch[7]->type, MISTRAL_CHUNK_FILE);
  assert_string_equal(ch[7]->file_id, "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e");

  assert_int_equal(ch[8]->type, MISTRAL_CHUNK_INPUT_AUDIO);
  assert_string_equal(ch[8]->text, "UklGRiQAAABXQVZF");

  assert_int_equal(ch[9]->type, MISTRAL_CHUNK_UNKNOWN);
  assert_string_equal(ch[9]->type_name, "hologram");
  assert_null(ch[9]->text);

  /* image_url as a plain string: the URL, no detail. */
  assert_int_equal(ch[10]->type, MISTRAL_CHUNK_IMAGE_URL);
  assert_string_equal(ch[10]->url, "https://example.com/dog.png");
  assert_null(ch[10]->detail);

  assert_int_equal(m->tool_call_count, 0);
  mistral_chat_response_free(resp);
}

static void test_tool_calls(void **state) {
  http_ctx *t = *state;
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER,
                                                    "What is the weather in Paris and in Lyon?"),
                   MISTRAL_OK);
  assert_int_equal(
      mistral_chat_request_add_function_tool(
          req, "get_weather", "Current weather for a city",
          "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
          "\"required\":[\"city\"]}",
          false),
      MISTRAL_OK);
  mistral_chat_response *resp = complete(t, "chat/response/tool-calls.fixture", req);
  mistral_chat_request_free(req);

  const mistral_chat_choice *c = resp->choices[0];
  assert_int_equal(c->finish_reason, MISTRAL_FINISH_TOOL_CALLS);
  assert_string_equal(c->finish_reason_raw, "tool_calls");
  const mistral_assistant_message *m = c->message;
  assert_string_equal(m->content, ""); /* "" stays "", not NULL */
  assert_int_equal(m->chunk_count, 0);
  assert_int_equal(m->tool_call_count, 2);

  const mistral_tool_call *a = m->tool_calls[0];
  assert_string_equal(a->id, "D681PevKs");
  assert_string_equal(a->type, "function");
  assert_int_equal(a->index, 0);
  assert_string_equal(a->name, "get_weather");
  /* Sent as a string: handed over exactly as sent. */
  assert_string_equal(a->arguments, "{\"city\": \"Paris\"}");

  const mistral_tool_call *b = m->tool_calls[1];
  assert_string_equal(b->id, "k3Xq9LmTz");
  assert_string_equal(b->type, "function"); /* absent: the only kind there is */
  assert_int_equal(b->index, 1);            /* absent: its position */
  assert_string_equal(b->name, "get_weather");
  /* Sent as an object: handed over as JSON text of that object. */
  json_t *want = json_pack("{s:s,s:[s]}", "city", "Lyon", "units", "celsius");
  assert_json_equal(b->arguments, want);
  json_decref(want);

  assert_int_equal(resp->usage->prompt_tokens, 92);
  mistral_chat_response_free(resp);
}

static void test_finish_reasons(void **state) {
  http_ctx *t = *state;
  static const struct {
    const char *fixture, *raw, *content;
    mistral_finish_reason want;
  } cases[] = {
      {"chat/response/finish-length.fixture", "length", "Hello! How", MISTRAL_FINISH_LENGTH},
      {"chat/response/finish-model-length.fixture", "model_length", "Hello! How can",
       MISTRAL_FINISH_MODEL_LENGTH},
      {"chat/response/finish-error.fixture", "error", "Hel", MISTRAL_FINISH_ERROR},
      {"chat/response/finish-unknown.fixture", "content_filtered", "", MISTRAL_FINISH_UNKNOWN},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_chat_response *resp = complete_hello(t, cases[i].fixture);
    assert_int_equal(resp->choice_count, 1);
    assert_int_equal(resp->choices[0]->finish_reason, cases[i].want);
    assert_string_equal(resp->choices[0]->finish_reason_raw, cases[i].raw);
    assert_string_equal(resp->choices[0]->message->content, cases[i].content);
    mistral_chat_response_free(resp);
  }
}

static void test_null_content_and_no_usage(void **state) {
  http_ctx *t = *state;
  mistral_chat_response *resp = complete_hello(t, "chat/response/null-content.fixture");
  assert_int_equal(resp->choice_count, 1);
  const mistral_chat_choice *c = resp->choices[0];
  assert_int_equal(c->finish_reason, MISTRAL_FINISH_NONE);
  assert_null(c->finish_reason_raw);
  assert_null(c->message->content);
  assert_int_equal(c->message->chunk_count, 0);
  assert_int_equal(c->message->tool_call_count, 0);
  assert_string_equal(c->message->role, "assistant");
  assert_null(mistral_chat_response_text(resp));
  assert_non_null(resp->usage);
  assert_int_equal(resp->usage->prompt_tokens, 0);
  assert_int_equal(resp->usage->completion_tokens, 0);
  assert_int_equal(resp->usage->total_tokens, 0);
  assert_string_equal(resp->usage->json, "{}");
  assert_string_equal(resp->request_id, "0f1e2d3c4b5a49687f6e5d4c3b2a1908");
  mistral_chat_response_free(resp);
}

static void test_unknown_fields_ignored(void **state) {
  http_ctx *t = *state;
  mistral_chat_response *resp = complete_hello(t, "chat/response/unknown-fields.fixture");
  assert_string_equal(resp->id, "cmpl-1f2e3d4c5b6a47988a9b0c1d2e3f4a5b");
  assert_string_equal(resp->object, "chat.completion");
  assert_string_equal(resp->model, "mistral-small-latest");
  assert_int_equal(resp->created, 1732700800);
  assert_int_equal(resp->usage->prompt_tokens, 5);
  assert_int_equal(resp->usage->completion_tokens, 7);
  assert_int_equal(resp->usage->total_tokens, 12);
  json_t *usage = json_loads(resp->usage->json, 0, NULL);
  assert_non_null(usage);
  assert_true(json_is_integer(json_object_get(usage, "cached_tokens")));
  json_decref(usage);
  assert_int_equal(resp->choice_count, 1);
  const mistral_chat_choice *c = resp->choices[0];
  assert_int_equal(c->index, 0);
  assert_int_equal(c->finish_reason, MISTRAL_FINISH_STOP);
  assert_string_equal(c->message->content, "Hi! Nice to meet you.");
  assert_int_equal(c->message->tool_call_count, 1);
  assert_string_equal(c->message->tool_calls[0]->id, "z9Y8x7W6v");
  assert_string_equal(c->message->tool_calls[0]->name, "noop");
  assert_string_equal(c->message->tool_calls[0]->arguments, "{}");
  assert_false(c->message->prefix);
  mistral_chat_response_free(resp);
}

/* One client, one error object, many responses: each call clears the error
 * and every response stays valid until freed, in any order. */
static void test_responses_independent(void **state) {
  http_ctx *t = *state;
  mistral_chat_response *a = complete_hello(t, "chat/response/plain-text.fixture");
  mistral_chat_response *b = complete_hello(t, "chat/response/deprecated-model.fixture");
  assert_string_equal(mistral_chat_response_text(a), "Hello! How can I help you today?");
  assert_string_equal(mistral_chat_response_text(b), "Hello there!");
  mistral_chat_response_free(a);
  assert_string_equal(b->model_deprecation, "2026-03-31T00:00:00Z");
  mistral_chat_response_free(b);
  mistral_chat_response_free(NULL);
  assert_null(mistral_chat_response_text(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_plain_text_every_field, http_setup, http_teardown),
      cmocka_unit_test_setup_teardown(test_deprecation_and_correlation_id, http_setup,
                                      http_teardown),
      cmocka_unit_test_setup_teardown(test_two_choices, http_setup, http_teardown),
      cmocka_unit_test_setup_teardown(test_content_chunks, http_setup, http_teardown),
      cmocka_unit_test_setup_teardown(test_tool_calls, http_setup, http_teardown),
      cmocka_unit_test_setup_teardown(test_finish_reasons, http_setup, http_teardown),
      cmocka_unit_test_setup_teardown(test_null_content_and_no_usage, http_setup,
                                      http_teardown),
      cmocka_unit_test_setup_teardown(test_unknown_fields_ignored, http_setup, http_teardown),
      cmocka_unit_test_setup_teardown(test_responses_independent, http_setup, http_teardown),
  };
  return cmocka_run_group_tests_name("http_responses", tests, NULL, NULL);
}
