/* Messages of a chat request: every role, every content chunk kind, tool
 * calls and tool results, the role rules, and copying an assistant message
 * from a decoded response back into a request. */
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

/* A request with model CT_MODEL and no message yet. */
static mistral_chat_request *empty_request(void) {
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, CT_MODEL), MISTRAL_OK);
  return req;
}

/* Appends a message and returns it. */
static mistral_message *add(mistral_chat_request *req, mistral_role role, const char *text) {
  mistral_message *m = NULL;
  assert_int_equal(mistral_chat_request_add_message(&m, req, role, text), MISTRAL_OK);
  assert_non_null(m);
  return m;
}

/* ------------------------------------------------------------------------ */

static void test_text_message_each_role(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  assert_int_equal(mistral_chat_request_message_count(req), 0);
  add(req, MISTRAL_ROLE_SYSTEM, "You are terse.");
  add(req, MISTRAL_ROLE_USER, "Caf\xc3\xa9?");
  add(req, MISTRAL_ROLE_ASSISTANT, "Oui.");
  add(req, MISTRAL_ROLE_TOOL, "{\"ok\":true}");
  add(req, MISTRAL_ROLE_USER, "");
  assert_int_equal(mistral_chat_request_message_count(req), 5);
  ct_assert_messages(req, "[{\"role\":\"system\",\"content\":\"You are terse.\"},"
                          "{\"role\":\"user\",\"content\":\"Caf\\u00e9?\"},"
                          "{\"role\":\"assistant\",\"content\":\"Oui.\"},"
                          "{\"role\":\"tool\",\"content\":\"{\\\"ok\\\":true}\"},"
                          "{\"role\":\"user\",\"content\":\"\"}]");
  mistral_chat_request_free(req);
}

/* Without text: user and tool send "content": null, assistant sends no
 * content, a system message cannot be sent. */
static void test_null_text(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, NULL),
                   MISTRAL_OK);
  add(req, MISTRAL_ROLE_ASSISTANT, NULL);
  add(req, MISTRAL_ROLE_TOOL, NULL);
  ct_assert_messages(req, "[{\"role\":\"user\",\"content\":null},{\"role\":\"assistant\"},"
                          "{\"role\":\"tool\",\"content\":null}]");
  json_t *body = ct_request_json(req);
  json_t *user = json_array_get(json_object_get(body, "messages"), 0);
  assert_true(json_is_null(json_object_get(user, "content")));
  assert_null(json_object_get(json_array_get(json_object_get(body, "messages"), 1), "content"));
  json_decref(body);

  add(req, MISTRAL_ROLE_SYSTEM, NULL);
  ct_assert_to_json_fails(req, MISTRAL_E_INVALID_ARG, "messages[3].content");
  /* A chunk gives it content, and the request is fine again. */
  mistral_chat_request_free(req);

  req = empty_request();
  mistral_message *sys = add(req, MISTRAL_ROLE_SYSTEM, NULL);
  add(req, MISTRAL_ROLE_USER, "Hi");
  ct_assert_to_json_fails(req, MISTRAL_E_INVALID_ARG, "messages[0].content");
  assert_int_equal(mistral_message_add_text(sys, "Be brief."), MISTRAL_OK);
  ct_assert_messages(req, "[{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":"
                          "\"Be brief.\"}]},{\"role\":\"user\",\"content\":\"Hi\"}]");
  mistral_chat_request_free(req);
}

static void test_text_chunks(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  /* null content, then chunks: the null is replaced by the list */
  mistral_message *m = add(req, MISTRAL_ROLE_USER, NULL);
  assert_int_equal(mistral_message_add_text(m, "one"), MISTRAL_OK);
  assert_int_equal(mistral_message_add_text(m, ""), MISTRAL_OK);
  assert_int_equal(mistral_message_add_text(m, "tr\xc3\xa8s"), MISTRAL_OK);
  /* plain text, then add_text: two chunks, the plain text first */
  mistral_message *p = add(req, MISTRAL_ROLE_USER, "first");
  assert_int_equal(mistral_message_add_text(p, "second"), MISTRAL_OK);
  /* plain text, then another chunk kind */
  mistral_message *q = add(req, MISTRAL_ROLE_USER, "look:");
  assert_int_equal(mistral_message_add_image_url(q, "https://example.com/a.png", NULL),
                   MISTRAL_OK);
  /* assistant without content, then a chunk */
  mistral_message *a = add(req, MISTRAL_ROLE_ASSISTANT, NULL);
  assert_int_equal(mistral_message_add_text(a, "ok"), MISTRAL_OK);
  ct_assert_messages(
      req, "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"one\"},"
           "{\"type\":\"text\",\"text\":\"\"},{\"type\":\"text\",\"text\":\"tr\\u00e8s\"}]},"
           "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"first\"},"
           "{\"type\":\"text\",\"text\":\"second\"}]},"
           "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look:\"},"
           "{\"type\":\"image_url\",\"image_url\":\"https://example.com/a.png\"}]},"
           "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}]");
  mistral_chat_request_free(req);
}

static void test_image_url_chunks(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  mistral_message *m = add(req, MISTRAL_ROLE_USER, NULL);
  assert_int_equal(mistral_message_add_image_url(m, "https://example.com/cat.jpg", NULL),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_url(m, "https://example.com/dog.jpg", "high"),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_url(m, TINY_PNG_DATA_URI, "low"), MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_url(m, TINY_PNG_DATA_URI, NULL), MISTRAL_OK);
  ct_assert_messages(req, "[{\"role\":\"user\",\"content\":["
                          "{\"type\":\"image_url\",\"image_url\":\"https://example.com/cat.jpg\"},"
                          "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                          "\"https://example.com/dog.jpg\",\"detail\":\"high\"}},"
                          "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" TINY_PNG_DATA_URI
                          "\",\"detail\":\"low\"}},"
                          "{\"type\":\"image_url\",\"image_url\":\"" TINY_PNG_DATA_URI "\"}]}]");
  mistral_chat_request_free(req);
}

/* The image_url string of message 0, chunk i, copied. */
static char *image_url_of(const mistral_chat_request *req, size_t i, const char **detail_out,
                          char *detail_buf, size_t detail_len) {
  json_t *body = ct_request_json(req);
  json_t *chunk = json_array_get(
      json_object_get(json_array_get(json_object_get(body, "messages"), 0), "content"), i);
  assert_string_equal(json_string_value(json_object_get(chunk, "type")), "image_url");
  json_t *iu = json_object_get(chunk, "image_url");
  json_t *url = json_is_object(iu) ? json_object_get(iu, "url") : iu;
  assert_true(json_is_string(url));
  char *copy = strdup(json_string_value(url));
  *detail_out = NULL;
  if (json_is_object(iu)) {
    assert_int_equal(json_object_size(iu), 2);
    snprintf(detail_buf, detail_len, "%s", json_string_value(json_object_get(iu, "detail")));
    *detail_out = detail_buf;
  }
  json_decref(body);
  return copy;
}

/* Checks that uri is data:<mime>;base64,<the file's bytes>. */
static void assert_data_uri(const char *uri, const char *mime, const unsigned char *bytes,
                            size_t len) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "data:%s;base64,", mime);
  assert_true(strncmp(uri, prefix, strlen(prefix)) == 0);
  size_t got_len = 0;
  unsigned char *got = ct_base64_decode(uri + strlen(prefix), &got_len);
  assert_non_null(got);
  assert_int_equal(got_len, len);
  assert_memory_equal(got, bytes, len);
  free(got);
}

static void test_image_file_chunks(void **state) {
  (void)state;
  char *png = ct_write_temp(tiny_png, sizeof tiny_png);
  char *jpeg = ct_write_temp(tiny_jpeg, sizeof tiny_jpeg);
  char *gif = ct_write_temp(tiny_gif, sizeof tiny_gif);
  mistral_chat_request *req = empty_request();
  mistral_message *m = add(req, MISTRAL_ROLE_USER, "What is in these images?");
  assert_int_equal(mistral_message_add_image_file(m, png, NULL), MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_file(m, jpeg, "auto"), MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_file(m, gif, NULL), MISTRAL_OK);

  char dbuf[16];
  const char *detail;
  char *uri = image_url_of(req, 1, &detail, dbuf, sizeof dbuf);
  assert_null(detail);
  assert_string_equal(uri, TINY_PNG_DATA_URI);
  assert_data_uri(uri, "image/png", tiny_png, sizeof tiny_png);
  free(uri);
  uri = image_url_of(req, 2, &detail, dbuf, sizeof dbuf);
  assert_non_null(detail);
  assert_string_equal(detail, "auto");
  assert_data_uri(uri, "image/jpeg", tiny_jpeg, sizeof tiny_jpeg);
  free(uri);
  uri = image_url_of(req, 3, &detail, dbuf, sizeof dbuf);
  assert_data_uri(uri, "image/gif", tiny_gif, sizeof tiny_gif);
  free(uri);

  /* The first chunk is still the text. */
  json_t *body = ct_request_json(req);
  json_t *content = json_object_get(json_array_get(json_object_get(body, "messages"), 0),
                                    "content");
  assert_int_equal(json_array_size(content), 4);
  assert_string_equal(json_string_value(json_object_get(json_array_get(content, 0), "text")),
                      "What is in these images?");
  json_decref(body);
  mistral_chat_request_free(req);
  unlink(png);
  unlink(jpeg);
  unlink(gif);
  free(png);
  free(jpeg);
  free(gif);
}

static void test_other_chunks(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  mistral_message *m = add(req, MISTRAL_ROLE_USER, NULL);
  const int64_t refs[] = {0, 7, INT64_C(9007199254740993)};
  assert_int_equal(mistral_message_add_document_url(m, "https://arxiv.org/pdf/1805.04770",
                                                    "paper.pdf"),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_document_url(m, "https://example.com/a.pdf", NULL),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_file(m, "3b6b3a8e-1f2c-4d5e-9a7b-0c1d2e3f4a5b"),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_reference(m, refs, 3), MISTRAL_OK);
  assert_int_equal(mistral_message_add_reference(m, NULL, 0), MISTRAL_OK);
  assert_int_equal(mistral_message_add_thinking(m, "Let me think.", NULL), MISTRAL_OK);
  assert_int_equal(mistral_message_add_thinking(m, "Signed.", "c2lnbmF0dXJl"), MISTRAL_OK);
  assert_int_equal(mistral_message_add_input_audio(m, "UklGRiQAAABXQVZF"), MISTRAL_OK);
  assert_int_equal(mistral_message_add_chunk_json(m, "{\"type\":\"text\",\"text\":\"raw\"}"),
                   MISTRAL_OK);
  assert_int_equal(
      mistral_message_add_chunk_json(
          m, " {\"type\":\"tool_reference\",\"tool\":\"web_search\",\"title\":\"T\","
             "\"url\":\"https://example.com\",\"extra\":[1,{\"a\":null}]} "),
      MISTRAL_OK);
  ct_assert_messages(
      req,
      "[{\"role\":\"user\",\"content\":["
      "{\"type\":\"document_url\",\"document_url\":\"https://arxiv.org/pdf/1805.04770\","
      "\"document_name\":\"paper.pdf\"},"
      "{\"type\":\"document_url\",\"document_url\":\"https://example.com/a.pdf\"},"
      "{\"type\":\"file\",\"file_id\":\"3b6b3a8e-1f2c-4d5e-9a7b-0c1d2e3f4a5b\"},"
      "{\"type\":\"reference\",\"reference_ids\":[0,7,9007199254740993]},"
      "{\"type\":\"reference\",\"reference_ids\":[]},"
      "{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":\"Let me think.\"}]},"
      "{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":\"Signed.\"}],"
      "\"signature\":\"c2lnbmF0dXJl\"},"
      "{\"type\":\"input_audio\",\"input_audio\":\"UklGRiQAAABXQVZF\"},"
      "{\"type\":\"text\",\"text\":\"raw\"},"
      "{\"type\":\"tool_reference\",\"tool\":\"web_search\",\"title\":\"T\","
      "\"url\":\"https://example.com\",\"extra\":[1,{\"a\":null}]}]}]");
  mistral_chat_request_free(req);
}

/* System messages take text and thinking chunks only; a refused chunk
 * leaves the message as it was and marks the request. */
static void test_system_refuses_other_chunks(void **state) {
  (void)state;
  mistral_chat_request *ok = empty_request();
  mistral_message *s = add(ok, MISTRAL_ROLE_SYSTEM, "Rules:");
  assert_int_equal(mistral_message_add_text(s, "be brief"), MISTRAL_OK);
  assert_int_equal(mistral_message_add_thinking(s, "why", NULL), MISTRAL_OK);
  assert_int_equal(mistral_message_add_chunk_json(s, "{\"type\":\"text\",\"text\":\"x\"}"),
                   MISTRAL_OK);
  add(ok, MISTRAL_ROLE_USER, "Hi");
  ct_assert_messages(ok, "[{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":"
                         "\"Rules:\"},{\"type\":\"text\",\"text\":\"be brief\"},"
                         "{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":"
                         "\"why\"}]},{\"type\":\"text\",\"text\":\"x\"}]},"
                         "{\"role\":\"user\",\"content\":\"Hi\"}]");
  mistral_chat_request_free(ok);

  char *png = ct_write_temp(tiny_png, sizeof tiny_png);
  const int64_t ids[] = {1};
  for (int k = 0; k < 8; k++) {
    mistral_chat_request *req = empty_request();
    mistral_message *m = add(req, MISTRAL_ROLE_SYSTEM, "Rules.");
    add(req, MISTRAL_ROLE_USER, "Hi");
    int rc = MISTRAL_OK;
    const char *type = NULL;
    switch (k) {
    case 0: rc = mistral_message_add_image_url(m, "https://example.com/a.png", NULL);
      type = "image_url"; break;
    case 1: rc = mistral_message_add_image_url(m, "https://example.com/a.png", "high");
      type = "image_url"; break;
    case 2: rc = mistral_message_add_image_file(m, png, NULL); type = "image_url"; break;
    case 3: rc = mistral_message_add_document_url(m, "https://example.com/a.pdf", "a");
      type = "document_url"; break;
    case 4: rc = mistral_message_add_file(m, "3b6b3a8e-1f2c-4d5e-9a7b-0c1d2e3f4a5b");
      type = "file"; break;
    case 5: rc = mistral_message_add_reference(m, ids, 1); type = "reference"; break;
    case 6: rc = mistral_message_add_input_audio(m, "AAAA"); type = "input_audio"; break;
    default:
      rc = mistral_message_add_chunk_json(m, "{\"type\":\"image_url\",\"image_url\":\"x\"}");
      type = "image_url";
      break;
    }
    assert_int_equal(rc, MISTRAL_E_INVALID_ARG);
    ct_assert_to_json_fails_at(req, MISTRAL_E_INVALID_ARG, "system", type, __FILE__, __LINE__);
    mistral_chat_request_free(req);
  }
  unlink(png);
  free(png);
}

static void test_assistant_tool_calls_and_prefix(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  add(req, MISTRAL_ROLE_USER, "Weather in Paris and Lyon?");
  mistral_message *a = add(req, MISTRAL_ROLE_ASSISTANT, NULL);
  /* The arguments go out as the very text given (a JSON string). */
  assert_int_equal(mistral_message_add_tool_call(a, "call_1", "get_weather",
                                                 "{ \"city\" : \"Paris\" }"),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_tool_call(a, NULL, "get_weather", NULL), MISTRAL_OK);
  assert_int_equal(mistral_message_add_tool_call(a, "call_3", "noop", "[1, 2]"), MISTRAL_OK);
  mistral_message *p = add(req, MISTRAL_ROLE_ASSISTANT, "The answer is");
  assert_int_equal(mistral_message_set_prefix(p, true), MISTRAL_OK);
  mistral_message *f = add(req, MISTRAL_ROLE_ASSISTANT, "x");
  assert_int_equal(mistral_message_set_prefix(f, true), MISTRAL_OK);
  assert_int_equal(mistral_message_set_prefix(f, false), MISTRAL_OK);
  ct_assert_messages(
      req, "[{\"role\":\"user\",\"content\":\"Weather in Paris and Lyon?\"},"
           "{\"role\":\"assistant\",\"tool_calls\":["
           "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
           "\"arguments\":\"{ \\\"city\\\" : \\\"Paris\\\" }\"}},"
           "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}},"
           "{\"id\":\"call_3\",\"type\":\"function\",\"function\":{\"name\":\"noop\","
           "\"arguments\":\"[1, 2]\"}}]},"
           "{\"role\":\"assistant\",\"content\":\"The answer is\",\"prefix\":true},"
           "{\"role\":\"assistant\",\"content\":\"x\",\"prefix\":false}]");
  mistral_chat_request_free(req);
}

static void test_tool_messages(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  mistral_message *t = NULL;
  assert_int_equal(mistral_chat_request_add_tool_result(&t, req, "call_1", "get_weather",
                                                        "{\"temp_c\":18}"),
                   MISTRAL_OK);
  assert_non_null(t);
  assert_int_equal(mistral_chat_request_add_tool_result(NULL, req, "call_2", NULL, "sunny"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_tool_result(NULL, req, NULL, NULL, ""),
                   MISTRAL_OK);
  mistral_message *m = add(req, MISTRAL_ROLE_TOOL, "done");
  assert_int_equal(mistral_message_set_tool_call_id(m, "old"), MISTRAL_OK);
  assert_int_equal(mistral_message_set_tool_call_id(m, "call_4"), MISTRAL_OK);
  assert_int_equal(mistral_message_set_name(m, "finish"), MISTRAL_OK);
  /* A tool result can carry chunks too. */
  assert_int_equal(mistral_message_add_text(t, "more"), MISTRAL_OK);
  ct_assert_messages(
      req, "[{\"role\":\"tool\",\"content\":[{\"type\":\"text\",\"text\":\"{\\\"temp_c\\\":18}\"},"
           "{\"type\":\"text\",\"text\":\"more\"}],\"tool_call_id\":\"call_1\","
           "\"name\":\"get_weather\"},"
           "{\"role\":\"tool\",\"content\":\"sunny\",\"tool_call_id\":\"call_2\"},"
           "{\"role\":\"tool\",\"content\":\"\"},"
           "{\"role\":\"tool\",\"content\":\"done\",\"tool_call_id\":\"call_4\","
           "\"name\":\"finish\"}]");
  mistral_chat_request_free(req);
}

/* Role-specific members on the wrong role fail, change nothing, and mark
 * the request. */
static void test_role_rules(void **state) {
  (void)state;
  static const mistral_role roles[] = {MISTRAL_ROLE_SYSTEM, MISTRAL_ROLE_USER,
                                       MISTRAL_ROLE_ASSISTANT, MISTRAL_ROLE_TOOL};
  for (size_t r = 0; r < 4; r++) {
    for (int op = 0; op < 4; op++) {
      mistral_role role = roles[r];
      /* tool_calls and prefix belong to assistants; tool_call_id and name to tools */
      int allowed = op < 2 ? role == MISTRAL_ROLE_ASSISTANT : role == MISTRAL_ROLE_TOOL;
      if (allowed) continue;
      mistral_chat_request *req = empty_request();
      mistral_message *m = add(req, role, "text");
      int rc = MISTRAL_OK;
      const char *field = NULL;
      switch (op) {
      case 0: rc = mistral_message_add_tool_call(m, "c1", "f", "{}"); field = "tool_calls"; break;
      case 1: rc = mistral_message_set_prefix(m, true); field = "prefix"; break;
      case 2: rc = mistral_message_set_tool_call_id(m, "c1"); field = "tool_call_id"; break;
      default: rc = mistral_message_set_name(m, "f"); field = "name"; break;
      }
      assert_int_equal(rc, MISTRAL_E_INVALID_ARG);
      ct_assert_to_json_fails(req, MISTRAL_E_INVALID_ARG, field);
      mistral_chat_request_free(req);
    }
  }
}

/* Messages returned earlier stay valid while the request grows. */
static void test_many_messages(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  mistral_message *first = add(req, MISTRAL_ROLE_USER, "0");
  for (int i = 1; i < 40; i++) {
    char text[8];
    snprintf(text, sizeof text, "%d", i);
    add(req, i % 2 ? MISTRAL_ROLE_ASSISTANT : MISTRAL_ROLE_USER, text);
  }
  assert_int_equal(mistral_chat_request_message_count(req), 40);
  assert_int_equal(mistral_message_add_text(first, "more"), MISTRAL_OK);
  json_t *body = ct_request_json(req);
  json_t *msgs = json_object_get(body, "messages");
  assert_int_equal(json_array_size(msgs), 40);
  for (size_t i = 1; i < 40; i++) {
    char text[8];
    snprintf(text, sizeof text, "%zu", i);
    json_t *m = json_array_get(msgs, i);
    assert_string_equal(json_string_value(json_object_get(m, "content")), text);
    assert_string_equal(json_string_value(json_object_get(m, "role")),
                        i % 2 ? "assistant" : "user");
  }
  json_t *c0 = json_object_get(json_array_get(msgs, 0), "content");
  assert_int_equal(json_array_size(c0), 2);
  json_decref(body);
  mistral_chat_request_free(req);
}

/* ------------------------------------------------------------------------ */
/* Continuing a conversation from a decoded response.                       */

#define ROUNDTRIP_USER "What's the weather in Paris? Think first."
#define THINKING_CHUNK                                                              \
  "{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":\"The user wants " \
  "the current weather in Paris. I should call get_weather with city Paris.\"}]}"

static void test_add_assistant_message_from_response(void **state) {
  (void)state;
  fixture_server *fs =
      tu_server_start(CT_KEY, "chat/request/assistant-chunks-tools.fixture", NULL);
  mistral_client *client = tu_client(fs, CT_KEY, 0);
  mistral_error *err = mistral_error_new();

  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "magistral-medium-latest"), MISTRAL_OK);
  add(req, MISTRAL_ROLE_USER, ROUNDTRIP_USER);
  assert_int_equal(
      mistral_chat_request_add_function_tool(
          req, "get_weather", "Current weather in a city",
          "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
          "\"required\":[\"city\"]}",
          false),
      MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_prompt_mode(req, "reasoning"), MISTRAL_OK);

  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("chat_complete: %s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  tu_assert_served(fs);
  assert_int_equal(resp->choice_count, 1);
  const mistral_assistant_message *am = resp->choices[0]->message;
  assert_int_equal(am->chunk_count, 2);
  assert_int_equal(am->tool_call_count, 1);

  /* The next turn: the assistant message goes back as it came. */
  mistral_chat_request *next = NULL;
  assert_int_equal(mistral_chat_request_new(&next, "magistral-medium-latest"), MISTRAL_OK);
  add(next, MISTRAL_ROLE_USER, ROUNDTRIP_USER);
  mistral_message *copied = NULL;
  assert_int_equal(mistral_chat_request_add_assistant_message(&copied, next, am), MISTRAL_OK);
  assert_non_null(copied);
  assert_int_equal(mistral_chat_request_add_tool_result(NULL, next, am->tool_calls[0]->id,
                                                        am->tool_calls[0]->name,
                                                        "{\"temp_c\": 18}"),
                   MISTRAL_OK);
  ct_assert_messages(
      next, "[{\"role\":\"user\",\"content\":\"" ROUNDTRIP_USER "\"},"
            "{\"role\":\"assistant\",\"content\":[" THINKING_CHUNK ","
            "{\"type\":\"text\",\"text\":\"Let me look that up.\"}],"
            "\"tool_calls\":[{\"id\":\"D681PevKs\",\"type\":\"function\",\"function\":"
            "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},"
            "{\"role\":\"tool\",\"content\":\"{\\\"temp_c\\\": 18}\","
            "\"tool_call_id\":\"D681PevKs\",\"name\":\"get_weather\"}]");

  /* And independently of the literal above: content and tool calls equal
   * those of the raw response (the decoder's "index" aside). */
  json_t *raw = json_loads(resp->raw_json, 0, NULL);
  assert_non_null(raw);
  json_t *src = json_object_get(json_array_get(json_object_get(raw, "choices"), 0), "message");
  json_t *body = ct_request_json(next);
  json_t *dst = json_array_get(json_object_get(body, "messages"), 1);
  assert_true(json_equal(json_object_get(src, "content"), json_object_get(dst, "content")));
  json_t *src_calls = json_deep_copy(json_object_get(src, "tool_calls"));
  size_t i;
  json_t *call;
  json_array_foreach(src_calls, i, call) json_object_del(call, "index");
  assert_true(json_equal(src_calls, json_object_get(dst, "tool_calls")));
  json_decref(src_calls);
  json_decref(body);
  json_decref(raw);

  mistral_chat_response_free(resp);
  mistral_chat_request_free(next);
  mistral_chat_request_free(req);
  mistral_error_free(err);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* The same from assistant messages built by hand (the struct is public):
 * plain content, no content, prefix, arguments sent as an object. */
static void test_add_assistant_message_by_hand(void **state) {
  (void)state;
  mistral_chat_request *req = empty_request();
  add(req, MISTRAL_ROLE_USER, "Hi");

  mistral_assistant_message plain = {.role = "assistant", .content = "Hello!"};
  mistral_assistant_message prefixed = {.role = "assistant", .content = "Sure:", .prefix = true};
  mistral_tool_call tc = {.id = "abc123xyz", .type = "function", .index = 0,
                          .name = "lookup", .arguments = "{\"q\":\"x\"}"};
  const mistral_tool_call *tcs[] = {&tc};
  mistral_assistant_message calls = {.role = "assistant", .content = NULL,
                                     .tool_call_count = 1, .tool_calls = tcs};
  mistral_content_chunk text = {.type = MISTRAL_CHUNK_TEXT, .type_name = "text", .text = "a",
                                .json = "{\"type\":\"text\",\"text\":\"a\"}"};
  mistral_content_chunk img = {.type = MISTRAL_CHUNK_IMAGE_URL, .type_name = "image_url",
                               .url = "https://example.com/x.png",
                               .json = "{\"type\":\"image_url\",\"image_url\":"
                                       "\"https://example.com/x.png\"}"};
  const mistral_content_chunk *chunks[] = {&text, &img};
  /* content is the text view of the chunks; the chunks are what is copied */
  mistral_assistant_message chunked = {.role = "assistant", .content = "a", .chunk_count = 2,
                                       .chunks = chunks};
  mistral_assistant_message empty = {.role = "assistant"};

  assert_int_equal(mistral_chat_request_add_assistant_message(NULL, req, &plain), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_assistant_message(NULL, req, &calls), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_assistant_message(NULL, req, &chunked), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_assistant_message(NULL, req, &empty), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_assistant_message(NULL, req, &prefixed),
                   MISTRAL_OK);
  ct_assert_messages(
      req, "[{\"role\":\"user\",\"content\":\"Hi\"},"
           "{\"role\":\"assistant\",\"content\":\"Hello!\"},"
           "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"abc123xyz\",\"type\":\"function\","
           "\"function\":{\"name\":\"lookup\",\"arguments\":\"{\\\"q\\\":\\\"x\\\"}\"}}]},"
           "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
           "{\"type\":\"image_url\",\"image_url\":\"https://example.com/x.png\"}]},"
           "{\"role\":\"assistant\"},"
           "{\"role\":\"assistant\",\"content\":\"Sure:\",\"prefix\":true}]");
  mistral_chat_request_free(req);
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_message_each_role),
      cmocka_unit_test(test_null_text),
      cmocka_unit_test(test_text_chunks),
      cmocka_unit_test(test_image_url_chunks),
      cmocka_unit_test(test_image_file_chunks),
      cmocka_unit_test(test_other_chunks),
      cmocka_unit_test(test_system_refuses_other_chunks),
      cmocka_unit_test(test_assistant_tool_calls_and_prefix),
      cmocka_unit_test(test_tool_messages),
      cmocka_unit_test(test_role_rules),
      cmocka_unit_test(test_many_messages),
      cmocka_unit_test(test_add_assistant_message_from_response),
      cmocka_unit_test(test_add_assistant_message_by_hand),
  };
  return cmocka_run_group_tests_name("chat messages", tests, NULL, NULL);
}
