/* The classifier request builder (mistral/moderation.h) without the
 * network: the body for each of the four endpoints (texts, conversations
 * from chat requests and from JSON text, single or list, metadata, null and
 * unset), and every bad input: NULL arguments, invalid UTF-8 and JSON,
 * empty lists, mixed input kinds, conversations that cannot be sent,
 * endpoint mismatches, and errors that stick to the request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt_util.h"

#define MODEL "mistral-moderation-latest"
#define BAD_UTF8 "caf\xc3("

/* The body for endpoint e, asserted equal to want. */
static void assert_body_at(const mistral_classifier_request *req, mistral_classifier_endpoint e,
                           const char *want, const char *file, int line) {
  mistral_error *err = mistral_error_new();
  char *json = NULL;
  int rc = mistral_classifier_request_to_json(&json, req, e, err);
  if (rc != MISTRAL_OK) {
    print_error("to_json: %d (%s)\n", rc, mistral_error_message(err));
    mistral_error_free(err);
    _fail(file, line);
  }
  mistral_error_free(err);
  tu_assert_json_at(json, want, file, line);
  mistral_free(json);
}
#define assert_body(req, e, want) assert_body_at((req), (e), (want), __FILE__, __LINE__)

/* to_json for endpoint e fails with MISTRAL_E_INVALID_ARG naming needle,
 * leaving *out NULL. */
static void assert_refused_at(const mistral_classifier_request *req,
                              mistral_classifier_endpoint e, const char *needle,
                              const char *file, int line) {
  mistral_error *err = mistral_error_new();
  char *json = (char *)"sentinel";
  int rc = mistral_classifier_request_to_json(&json, req, e, err);
  if (rc == MISTRAL_OK) mistral_free(json);
  mt_assert_failed_at(rc, err, MISTRAL_E_INVALID_ARG, needle, file, line);
  _assert_true(json == NULL, "to_json left *out set", file, line);
  _assert_int_equal(mistral_error_http_status(err), 0, file, line);
  mistral_error_free(err);
}
#define assert_refused(req, e, needle) assert_refused_at((req), (e), (needle), __FILE__, __LINE__)

static mistral_classifier_request *new_req(void) {
  mistral_classifier_request *req = NULL;
  assert_int_equal(mistral_classifier_request_new(&req, MODEL), MISTRAL_OK);
  assert_non_null(req);
  return req;
}

/* ---- texts ---- */

static void test_single_text(void **state) {
  (void)state;
  mistral_classifier_request *req = new_req();
  assert_int_equal(mistral_classifier_request_input_count(req), 0);
  assert_int_equal(mistral_classifier_request_set_input(req, "Hello \xc3\xa9t\xc3\xa9"), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 1);
  const char *want = "{\"model\":\"" MODEL "\",\"input\":\"Hello \xc3\xa9t\xc3\xa9\"}";
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, want);
  assert_body(req, MISTRAL_CLASSIFIER_CLASSIFICATIONS, want);
  /* Setting again replaces. */
  assert_int_equal(mistral_classifier_request_set_input(req, ""), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"" MODEL "\",\"input\":\"\"}");
  mistral_classifier_request_free(req);
}

static void test_text_lists(void **state) {
  (void)state;
  mistral_classifier_request *req = new_req();
  const char *const texts[] = {"one", "two", "three"};
  assert_int_equal(mistral_classifier_request_set_inputs(req, texts, 3), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 3);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS,
              "{\"model\":\"" MODEL "\",\"input\":[\"one\",\"two\",\"three\"]}");
  /* A list of one stays a list. */
  assert_int_equal(mistral_classifier_request_set_inputs(req, texts, 1), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_CLASSIFICATIONS,
              "{\"model\":\"" MODEL "\",\"input\":[\"one\"]}");
  mistral_classifier_request_free(req);

  /* add_input from nothing makes a list... */
  req = new_req();
  assert_int_equal(mistral_classifier_request_add_input(req, "a"), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"" MODEL "\",\"input\":[\"a\"]}");
  assert_int_equal(mistral_classifier_request_add_input(req, "b"), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 2);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS,
              "{\"model\":\"" MODEL "\",\"input\":[\"a\",\"b\"]}");
  mistral_classifier_request_free(req);

  /* ...and turns a single text into the list's first item. */
  req = new_req();
  assert_int_equal(mistral_classifier_request_set_input(req, "first"), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_add_input(req, "second"), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS,
              "{\"model\":\"" MODEL "\",\"input\":[\"first\",\"second\"]}");
  /* set_input replaces the list. */
  assert_int_equal(mistral_classifier_request_set_input(req, "only"), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 1);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"" MODEL "\",\"input\":\"only\"}");
  mistral_classifier_request_free(req);
}

static void test_metadata_null_unset(void **state) {
  (void)state;
  mistral_classifier_request *req = new_req();
  assert_int_equal(mistral_classifier_request_set_input(req, "x"), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_set_metadata_json(req, "{\"a\": [1, {\"b\": null}]}"),
                   MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS,
              "{\"model\":\"" MODEL "\",\"input\":\"x\",\"metadata\":{\"a\":[1,{\"b\":null}]}}");
  assert_int_equal(mistral_classifier_request_set_null(req, "metadata"), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_CLASSIFICATIONS,
              "{\"model\":\"" MODEL "\",\"input\":\"x\",\"metadata\":null}");
  assert_int_equal(mistral_classifier_request_unset(req, "metadata"), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"" MODEL "\",\"input\":\"x\"}");
  /* Unsetting what is not set is fine. */
  assert_int_equal(mistral_classifier_request_unset(req, "metadata"), MISTRAL_OK);
  /* model and input can be unset; they are required to send. */
  assert_int_equal(mistral_classifier_request_unset(req, "input"), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 0);
  assert_refused(req, MISTRAL_CLASSIFIER_MODERATIONS, "input: not set");
  assert_int_equal(mistral_classifier_request_set_input(req, "x"), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_unset(req, "model"), MISTRAL_OK);
  assert_refused(req, MISTRAL_CLASSIFIER_MODERATIONS, "model: not set");
  assert_int_equal(mistral_classifier_request_set_model(req, "other-model"), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"other-model\",\"input\":\"x\"}");
  /* Call options are not part of the body. */
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_timeout_ms(opts, 5000), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  assert_int_equal(mistral_classifier_request_set_call_options(req, NULL), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"other-model\",\"input\":\"x\"}");
  mistral_classifier_request_free(req);
}

/* ---- conversations ---- */

/* system, user with a text chunk and an image, assistant with a tool call,
 * tool result. */
static mistral_chat_request *rich_chat(void) {
  mistral_chat_request *chat = NULL;
  mistral_message *m = NULL;
  assert_int_equal(mistral_chat_request_new(&chat, "mistral-large-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_temperature(chat, 0.5), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, chat, MISTRAL_ROLE_SYSTEM, "Be nice."),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(&m, chat, MISTRAL_ROLE_USER, NULL), MISTRAL_OK);
  assert_int_equal(mistral_message_add_text(m, "What is this?"), MISTRAL_OK);
  assert_int_equal(mistral_message_add_image_url(m, "https://example.com/a.png", NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(&m, chat, MISTRAL_ROLE_ASSISTANT, ""),
                   MISTRAL_OK);
  assert_int_equal(mistral_message_add_tool_call(m, "call1", "lookup", "{\"q\":\"a\"}"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_tool_result(NULL, chat, "call1", "lookup", "a cat"),
                   MISTRAL_OK);
  return chat;
}

#define RICH_MESSAGES                                                                       \
  "[{\"role\":\"system\",\"content\":\"Be nice.\"},"                                        \
  "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"         \
  "{\"type\":\"image_url\",\"image_url\":\"https://example.com/a.png\"}]},"                 \
  "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"call1\",\"type\":"    \
  "\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"{\\\"q\\\":\\\"a\\\"}\"}}]}," \
  "{\"role\":\"tool\",\"content\":\"a cat\",\"tool_call_id\":\"call1\",\"name\":\"lookup\"}]"

static void test_conversation_from_chat(void **state) {
  (void)state;
  mistral_chat_request *chat = rich_chat();
  mistral_classifier_request *req = new_req();
  assert_int_equal(mistral_classifier_request_set_conversation(req, chat), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 1);
  /* The chat request's model and temperature play no part. */
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS,
              "{\"model\":\"" MODEL "\",\"input\":" RICH_MESSAGES "}");
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS,
              "{\"model\":\"" MODEL "\",\"input\":{\"messages\":" RICH_MESSAGES "}}");
  /* The messages were copied: later changes to the chat are not seen. */
  assert_int_equal(mistral_chat_request_add_message(NULL, chat, MISTRAL_ROLE_USER, "more"),
                   MISTRAL_OK);
  mistral_chat_request_free(chat);
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS,
              "{\"model\":\"" MODEL "\",\"input\":" RICH_MESSAGES "}");
  mistral_classifier_request_free(req);
}

static void test_conversation_lists(void **state) {
  (void)state;
  mistral_chat_request *chat = rich_chat();
  mistral_classifier_request *req = new_req();
  assert_int_equal(mistral_classifier_request_add_conversation(req, chat), MISTRAL_OK);
  assert_int_equal(
      mistral_classifier_request_add_conversation_json(
          req, "[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}]"),
      MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 2);
  const char *second = "[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}]";
  char want[4096];
  snprintf(want, sizeof want, "{\"model\":\"" MODEL "\",\"input\":[%s,%s]}", RICH_MESSAGES, second);
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS, want);
  snprintf(want, sizeof want,
           "{\"model\":\"" MODEL "\",\"input\":[{\"messages\":%s},{\"messages\":%s}]}",
           RICH_MESSAGES, second);
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS, want);

  /* A single conversation becomes the list's first item on add. */
  assert_int_equal(mistral_classifier_request_set_conversation_json(req, second), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 1);
  snprintf(want, sizeof want, "{\"model\":\"" MODEL "\",\"input\":%s}", second);
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS, want);
  assert_int_equal(mistral_classifier_request_add_conversation(req, chat), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 2);
  snprintf(want, sizeof want, "{\"model\":\"" MODEL "\",\"input\":[%s,%s]}", second, RICH_MESSAGES);
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS, want);

  /* set_conversation replaces the list; set_input replaces conversations. */
  assert_int_equal(mistral_classifier_request_set_conversation(req, chat), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_input_count(req), 1);
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS,
              "{\"model\":\"" MODEL "\",\"input\":" RICH_MESSAGES "}");
  assert_int_equal(mistral_classifier_request_set_input(req, "text"), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"" MODEL "\",\"input\":\"text\"}");
  const char *const texts[] = {"t"};
  assert_int_equal(mistral_classifier_request_set_conversation(req, chat), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_set_inputs(req, texts, 1), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"" MODEL "\",\"input\":[\"t\"]}");
  mistral_classifier_request_free(req);
  mistral_chat_request_free(chat);
}

/* A setter that fails returns code, names needle and marks the request:
 * to_json then fails with the same message for every endpoint, even after
 * later valid setters. */
static void assert_marked_at(mistral_classifier_request *req, int rc, int code,
                             const char *needle, const char *file, int line) {
  _assert_int_equal(rc, code, file, line);
  assert_int_equal(mistral_classifier_request_set_input(req, "fine"), MISTRAL_OK);
  for (int e = 0; e < 4; e++) {
    mistral_error *err = mistral_error_new();
    char *json = (char *)"sentinel";
    int got = mistral_classifier_request_to_json(&json, req, (mistral_classifier_endpoint)e, err);
    if (got == MISTRAL_OK) mistral_free(json);
    mt_assert_failed_at(got, err, code, needle, file, line);
    _assert_true(strstr(mistral_error_message(err), "invalid request: ") != NULL,
                 "message prefix", file, line);
    _assert_true(json == NULL, "to_json left *out set", file, line);
    mistral_error_free(err);
  }
}
#define assert_marked(req, rc, code, needle) \
  assert_marked_at((req), (rc), (code), (needle), __FILE__, __LINE__)

static void test_conversation_json_errors(void **state) {
  (void)state;
  static const struct {
    const char *json;
    const char *needle;
  } cases[] = {
      {"[{\"role\":\"user\",\"content\":\"a\"}", "input: invalid JSON"},
      {"{\"role\":\"user\"}", "input: must be JSON text of an array"},
      {"[]", "input: the conversation has no messages"},
      {"[\"hello\"]", "input: messages[0]: not a message object"},
      {"[{\"role\":\"user\",\"content\":\"a\"},{\"content\":\"b\"}]", "input: messages[1]"},
      {"[{\"role\":\"robot\",\"content\":\"a\"}]", "input: messages[0]"},
      {"[{\"role\":7}]", "input: messages[0]"},
      {"\"" BAD_UTF8 "\"", "input: invalid JSON"},
      {NULL, "input: must not be NULL"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    for (int add = 0; add < 2; add++) {
      mistral_classifier_request *req = new_req();
      int rc = add ? mistral_classifier_request_add_conversation_json(req, cases[i].json)
                   : mistral_classifier_request_set_conversation_json(req, cases[i].json);
      assert_int_equal(mistral_classifier_request_input_count(req), 0);
      assert_marked(req, rc, MISTRAL_E_INVALID_ARG, cases[i].needle);
      mistral_classifier_request_free(req);
    }
  }
}

static void test_conversation_chat_errors(void **state) {
  (void)state;
  /* NULL, no messages, a system message without content, a chat request
   * carrying a setter error of its own. */
  mistral_chat_request *empty = NULL, *sys = NULL, *broken = NULL;
  mistral_message *m = NULL;
  assert_int_equal(mistral_chat_request_new(&empty, NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_new(&sys, NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(&m, sys, MISTRAL_ROLE_USER, "hi"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(&m, sys, MISTRAL_ROLE_SYSTEM, NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_new(&broken, NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, broken, MISTRAL_ROLE_USER, "hi"),
                   MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_temperature(broken, 9.0), MISTRAL_E_INVALID_ARG);

  const struct {
    const mistral_chat_request *chat;
    const char *needle;
  } cases[] = {
      {NULL, "input: conversation is NULL"},
      {empty, "input: the conversation has no messages"},
      {sys, "input: messages[1].content: a system message needs content"},
      {broken, "input: the conversation carries an error: temperature"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    for (int add = 0; add < 2; add++) {
      mistral_classifier_request *req = new_req();
      int rc = add ? mistral_classifier_request_add_conversation(req, cases[i].chat)
                   : mistral_classifier_request_set_conversation(req, cases[i].chat);
      assert_marked(req, rc, MISTRAL_E_INVALID_ARG, cases[i].needle);
      mistral_classifier_request_free(req);
    }
  }
  mistral_chat_request_free(empty);
  mistral_chat_request_free(sys);
  mistral_chat_request_free(broken);
}

static void test_mixing_input_kinds(void **state) {
  (void)state;
  mistral_classifier_request *req = new_req();
  assert_int_equal(mistral_classifier_request_set_input(req, "text"), MISTRAL_OK);
  int rc = mistral_classifier_request_add_conversation_json(req, "[{\"role\":\"user\",\"content\":\"a\"}]");
  assert_marked(req, rc, MISTRAL_E_INVALID_ARG, "input: the request holds texts");
  mistral_classifier_request_free(req);

  req = new_req();
  const char *const texts[] = {"a", "b"};
  assert_int_equal(mistral_classifier_request_set_inputs(req, texts, 2), MISTRAL_OK);
  mistral_chat_request *chat = rich_chat();
  rc = mistral_classifier_request_add_conversation(req, chat);
  mistral_chat_request_free(chat);
  assert_marked(req, rc, MISTRAL_E_INVALID_ARG, "input: the request holds texts");
  mistral_classifier_request_free(req);

  req = new_req();
  assert_int_equal(
      mistral_classifier_request_set_conversation_json(req, "[{\"role\":\"user\",\"content\":\"a\"}]"),
      MISTRAL_OK);
  rc = mistral_classifier_request_add_input(req, "text");
  assert_marked(req, rc, MISTRAL_E_INVALID_ARG, "input: the request holds conversations");
  mistral_classifier_request_free(req);
}

/* Asking an endpoint for the wrong kind of input is refused at sending,
 * without marking the request: the right endpoint still takes it. */
static void test_endpoint_mismatches(void **state) {
  (void)state;
  mistral_classifier_request *req = new_req();
  assert_int_equal(mistral_classifier_request_set_input(req, "text"), MISTRAL_OK);
  assert_refused(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS,
                 "input: /v1/chat/moderations takes conversations, not texts");
  assert_refused(req, MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS,
                 "input: /v1/chat/classifications takes conversations");
  assert_body(req, MISTRAL_CLASSIFIER_MODERATIONS, "{\"model\":\"" MODEL "\",\"input\":\"text\"}");

  assert_int_equal(
      mistral_classifier_request_set_conversation_json(req, "[{\"role\":\"user\",\"content\":\"a\"}]"),
      MISTRAL_OK);
  assert_refused(req, MISTRAL_CLASSIFIER_MODERATIONS,
                 "input: /v1/moderations takes texts, not conversations");
  assert_refused(req, MISTRAL_CLASSIFIER_CLASSIFICATIONS, "input: /v1/classifications takes texts");
  /* Metadata belongs to the text endpoints. */
  assert_int_equal(mistral_classifier_request_set_metadata_json(req, "{}"), MISTRAL_OK);
  assert_refused(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS,
                 "metadata: /v1/chat/moderations does not accept it");
  assert_refused(req, MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS,
                 "metadata: /v1/chat/classifications does not accept it");
  assert_int_equal(mistral_classifier_request_set_null(req, "metadata"), MISTRAL_OK);
  assert_refused(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS, "metadata");
  assert_int_equal(mistral_classifier_request_unset(req, "metadata"), MISTRAL_OK);
  assert_body(req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS,
              "{\"model\":\"" MODEL "\",\"input\":[{\"role\":\"user\",\"content\":\"a\"}]}");
  /* Unknown endpoints. */
  assert_refused(req, (mistral_classifier_endpoint)4, "unknown classifier endpoint 4");
  assert_refused(req, (mistral_classifier_endpoint)-1, "unknown classifier endpoint -1");
  mistral_classifier_request_free(req);

  /* Nothing set at all. */
  req = NULL;
  assert_int_equal(mistral_classifier_request_new(&req, NULL), MISTRAL_OK);
  assert_refused(req, MISTRAL_CLASSIFIER_MODERATIONS, "model: not set");
  assert_int_equal(mistral_classifier_request_set_model(req, MODEL), MISTRAL_OK);
  assert_refused(req, MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS, "input: not set");
  mistral_classifier_request_free(req);
}

static void test_bad_setter_arguments(void **state) {
  (void)state;
  const char *const bad_list[] = {"fine", BAD_UTF8};
  const char *const null_item[] = {"fine", NULL};
  const struct {
    int which;
    const char *needle;
  } cases[] = {
      {0, "model: must not be empty"},
      {1, "model: must not be NULL"},
      {2, "model: invalid UTF-8 at byte 3"},
      {3, "input: must not be NULL"},
      {4, "input: invalid UTF-8 at byte 3"},
      {5, "input: the list is empty"},
      {6, "input: list is NULL"},
      {7, "input[1]: invalid UTF-8 at byte 3"},
      {8, "input[1]: must not be NULL"},
      {9, "input: must not be NULL"},
      {10, "input: invalid UTF-8"},
      {11, "metadata: must be JSON text of an object"},
      {12, "metadata: invalid JSON"},
      {13, "metadata: must not be NULL"},
      {14, "set_null: \"model\" is not a nullable field"},
      {15, "set_null: \"(null)\" is not a nullable field"},
      {16, "unset: \"temperature\" is not an optional field"},
      {17, "unset: field name is NULL"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_classifier_request *req = new_req();
    int rc = MISTRAL_OK;
    switch (cases[i].which) {
      case 0: rc = mistral_classifier_request_set_model(req, ""); break;
      case 1: rc = mistral_classifier_request_set_model(req, NULL); break;
      case 2: rc = mistral_classifier_request_set_model(req, BAD_UTF8); break;
      case 3: rc = mistral_classifier_request_set_input(req, NULL); break;
      case 4: rc = mistral_classifier_request_set_input(req, BAD_UTF8); break;
      case 5: rc = mistral_classifier_request_set_inputs(req, bad_list, 0); break;
      case 6: rc = mistral_classifier_request_set_inputs(req, NULL, 2); break;
      case 7: rc = mistral_classifier_request_set_inputs(req, bad_list, 2); break;
      case 8: rc = mistral_classifier_request_set_inputs(req, null_item, 2); break;
      case 9: rc = mistral_classifier_request_add_input(req, NULL); break;
      case 10: rc = mistral_classifier_request_add_input(req, BAD_UTF8); break;
      case 11: rc = mistral_classifier_request_set_metadata_json(req, "[1]"); break;
      case 12: rc = mistral_classifier_request_set_metadata_json(req, "{\"a\":"); break;
      case 13: rc = mistral_classifier_request_set_metadata_json(req, NULL); break;
      case 14: rc = mistral_classifier_request_set_null(req, "model"); break;
      case 15: rc = mistral_classifier_request_set_null(req, NULL); break;
      case 16: rc = mistral_classifier_request_unset(req, "temperature"); break;
      case 17: rc = mistral_classifier_request_unset(req, NULL); break;
    }
    assert_marked(req, rc, MISTRAL_E_INVALID_ARG, cases[i].needle);
    mistral_classifier_request_free(req);
  }
}

/* Only the first error is kept: a second bad setter does not replace it. */
static void test_first_error_sticks(void **state) {
  (void)state;
  mistral_classifier_request *req = new_req();
  assert_int_equal(mistral_classifier_request_set_metadata_json(req, "nope"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_set_model(req, ""), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_set_model(req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_classifier_request_set_metadata_json(req, "{}"), MISTRAL_OK);
  assert_marked(req, MISTRAL_E_INVALID_ARG, MISTRAL_E_INVALID_ARG, "metadata: invalid JSON");
  mistral_error *err = mistral_error_new();
  char *json = NULL;
  mistral_classifier_request_to_json(&json, req, MISTRAL_CLASSIFIER_MODERATIONS, err);
  assert_null(strstr(mistral_error_message(err), "model"));
  mistral_error_free(err);
  mistral_classifier_request_free(req);
}

static void test_null_arguments(void **state) {
  (void)state;
  mistral_classifier_request *req = (mistral_classifier_request *)(void *)&req;
  assert_int_equal(mistral_classifier_request_new(NULL, MODEL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_new(&req, ""), MISTRAL_E_INVALID_ARG);
  assert_null(req);
  req = (mistral_classifier_request *)(void *)&req;
  assert_int_equal(mistral_classifier_request_new(&req, BAD_UTF8), MISTRAL_E_INVALID_ARG);
  assert_null(req);
  mistral_classifier_request_free(NULL);

  const char *const texts[] = {"a"};
  mistral_chat_request *chat = rich_chat();
  assert_int_equal(mistral_classifier_request_set_model(NULL, MODEL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_set_input(NULL, "a"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_set_inputs(NULL, texts, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_add_input(NULL, "a"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_set_conversation(NULL, chat), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_add_conversation(NULL, chat), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_set_conversation_json(NULL, "[]"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_add_conversation_json(NULL, "[]"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_input_count(NULL), 0);
  assert_int_equal(mistral_classifier_request_set_metadata_json(NULL, "{}"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_set_null(NULL, "metadata"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_unset(NULL, "metadata"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_classifier_request_set_call_options(NULL, NULL), MISTRAL_E_INVALID_ARG);
  mistral_chat_request_free(chat);

  mistral_error *err = mistral_error_new();
  char *json = (char *)"sentinel";
  mt_assert_failed(mistral_classifier_request_to_json(&json, NULL, MISTRAL_CLASSIFIER_MODERATIONS,
                                                      err),
                   err, MISTRAL_E_INVALID_ARG, "request is NULL");
  assert_null(json);
  req = new_req();
  assert_int_equal(mistral_classifier_request_set_input(req, "a"), MISTRAL_OK);
  mt_assert_failed(mistral_classifier_request_to_json(NULL, req, MISTRAL_CLASSIFIER_MODERATIONS,
                                                      err),
                   err, MISTRAL_E_INVALID_ARG, "out is NULL");
  /* Without an error object the status is the same. */
  json = (char *)"sentinel";
  assert_int_equal(mistral_classifier_request_to_json(&json, req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS,
                                                      NULL),
                   MISTRAL_E_INVALID_ARG);
  assert_null(json);
  /* A successful call clears the error object. */
  assert_int_equal(mistral_classifier_request_to_json(&json, req, MISTRAL_CLASSIFIER_MODERATIONS,
                                                      err),
                   MISTRAL_OK);
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);
  mistral_free(json);
  mistral_classifier_request_free(req);
  mistral_error_free(err);
}

/* Every jansson allocation failing in turn: each call returns MISTRAL_OK or
 * MISTRAL_E_NOMEM (a failed setter marks the request, so later calls may
 * fail with it), nothing crashes, and (under ASan or valgrind) nothing
 * leaks (MT_STEP, MT_PAUSED: mt_util.h). */

static void test_out_of_memory(void **state) {
  (void)state;
  mistral_chat_request *chat = rich_chat();
  const char *const texts[] = {"a", "b", "c"};
  long n;
  for (n = 1; n < 100000; n++) {
    mt_jansson_fail_at(n);
    mistral_classifier_request *req = NULL;
    int rc = mistral_classifier_request_new(&req, MODEL);
    assert_true(rc == MISTRAL_OK || rc == MISTRAL_E_NOMEM);
    if (rc != MISTRAL_OK) {
      assert_null(req);
      continue;
    }
    char *json = NULL;
    MT_PAUSED(mistral_classifier_request_set_metadata_json(req, "{\"a\":[1,2,{\"b\":null}]}"));
    MT_STEP(mistral_classifier_request_set_inputs(req, texts, 3));
    MT_STEP(mistral_classifier_request_add_input(req, "d"));
    MT_STEP(mistral_classifier_request_to_json(&json, req, MISTRAL_CLASSIFIER_MODERATIONS, NULL));
    mistral_free(json);
    json = NULL;
    MT_STEP(mistral_classifier_request_set_input(req, "e"));
    MT_STEP(mistral_classifier_request_add_input(req, "f"));
    MT_STEP(mistral_classifier_request_unset(req, "metadata"));
    /* From no input, so that a failed step cannot leave texts behind for
     * the conversation steps to refuse. */
    MT_STEP(mistral_classifier_request_unset(req, "input"));
    MT_STEP(mistral_classifier_request_add_conversation(req, chat));
    MT_PAUSED(mistral_classifier_request_add_conversation_json(
        req, "[{\"role\":\"user\",\"content\":\"x\"}]"));
    MT_STEP(mistral_classifier_request_set_conversation(req, chat));
    MT_STEP(mistral_classifier_request_add_conversation(req, chat));
    MT_STEP(mistral_classifier_request_to_json(&json, req, MISTRAL_CLASSIFIER_CHAT_CLASSIFICATIONS,
                                            NULL));
    mistral_free(json);
    json = NULL;
    MT_STEP(mistral_classifier_request_to_json(&json, req, MISTRAL_CLASSIFIER_CHAT_MODERATIONS, NULL));
    mistral_free(json);
    MT_STEP(mistral_classifier_request_set_null(req, "metadata"));
    mistral_classifier_request_free(req);
    if (!mt_jansson_failed()) break;
  }
  mt_jansson_restore();
  assert_true(n > 10 && n < 100000);
  mistral_chat_request_free(chat);
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_text),
      cmocka_unit_test(test_text_lists),
      cmocka_unit_test(test_metadata_null_unset),
      cmocka_unit_test(test_conversation_from_chat),
      cmocka_unit_test(test_conversation_lists),
      cmocka_unit_test(test_conversation_json_errors),
      cmocka_unit_test(test_conversation_chat_errors),
      cmocka_unit_test(test_mixing_input_kinds),
      cmocka_unit_test(test_endpoint_mismatches),
      cmocka_unit_test(test_bad_setter_arguments),
      cmocka_unit_test(test_first_error_sticks),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
