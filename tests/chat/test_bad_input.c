/* Bad input to the chat request API: NULL pointers, invalid UTF-8, invalid
 * or mistyped JSON text, out-of-range numbers and enums, missing model or
 * messages, unreadable image files, no API key. Every case must return an
 * error (never crash), name the field in the error message, stick to the
 * request so that sending it fails the same way, and never reach the
 * network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_test_util.h"
#include "tiny_images.h"

#define INVALID MISTRAL_E_INVALID_ARG

/* The message most cases put their bad input in. */
static mistral_message *user_msg(mistral_chat_request *req) {
  mistral_message *m = NULL;
  assert_int_equal(mistral_chat_request_add_message(&m, req, MISTRAL_ROLE_USER, NULL),
                   MISTRAL_OK);
  return m;
}

static mistral_message *role_msg(mistral_chat_request *req, mistral_role role) {
  mistral_message *m = NULL;
  assert_int_equal(mistral_chat_request_add_message(&m, req, role, "x"), MISTRAL_OK);
  return m;
}

/* ------------------------------------------------------------------------ */
/* NULL pointers                                                            */

/* Every request function given a NULL request: an error, nothing else. */
static void test_null_request(void **state) {
  (void)state;
  const char *const stops[] = {"a"};
  mistral_assistant_message am = {.role = "assistant", .content = "x"};
  mistral_message *m = (mistral_message *)&am; /* must be reset to NULL */

  assert_int_equal(mistral_chat_request_set_model(NULL, "m"), INVALID);
  assert_int_equal(mistral_chat_request_set_model(NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_request_set_temperature(NULL, 0.5), INVALID);
  assert_int_equal(mistral_chat_request_set_top_p(NULL, 0.5), INVALID);
  assert_int_equal(mistral_chat_request_set_max_tokens(NULL, 5), INVALID);
  assert_int_equal(mistral_chat_request_set_stop(NULL, "a"), INVALID);
  assert_int_equal(mistral_chat_request_set_stop(NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_request_set_stop_list(NULL, stops, 1), INVALID);
  assert_int_equal(mistral_chat_request_set_stop_list(NULL, NULL, 3), INVALID);
  assert_int_equal(mistral_chat_request_set_random_seed(NULL, 1), INVALID);
  assert_int_equal(mistral_chat_request_set_metadata_json(NULL, "{}"), INVALID);
  assert_int_equal(mistral_chat_request_set_metadata_json(NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_request_set_presence_penalty(NULL, 0.0), INVALID);
  assert_int_equal(mistral_chat_request_set_frequency_penalty(NULL, 0.0), INVALID);
  assert_int_equal(mistral_chat_request_set_n(NULL, 1), INVALID);
  assert_int_equal(mistral_chat_request_set_prediction(NULL, "x"), INVALID);
  assert_int_equal(mistral_chat_request_set_parallel_tool_calls(NULL, true), INVALID);
  assert_int_equal(mistral_chat_request_set_reasoning_effort(NULL, "high"), INVALID);
  assert_int_equal(mistral_chat_request_set_prompt_mode(NULL, "reasoning"), INVALID);
  assert_int_equal(mistral_chat_request_set_guardrails_json(NULL, "[]"), INVALID);
  assert_int_equal(mistral_chat_request_set_prompt_cache_key(NULL, "k"), INVALID);
  assert_int_equal(mistral_chat_request_set_service_tier(NULL, "auto"), INVALID);
  assert_int_equal(mistral_chat_request_set_safe_prompt(NULL, true), INVALID);
  assert_int_equal(mistral_chat_request_set_null(NULL, "temperature"), INVALID);
  assert_int_equal(mistral_chat_request_set_null(NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_request_unset(NULL, "temperature"), INVALID);
  assert_int_equal(mistral_chat_request_unset(NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_request_set_response_format(NULL, MISTRAL_RESPONSE_FORMAT_TEXT),
                   INVALID);
  assert_int_equal(mistral_chat_request_set_json_schema(NULL, "n", "d", "{}", true), INVALID);
  assert_int_equal(mistral_chat_request_set_json_schema(NULL, NULL, NULL, NULL, false),
                   INVALID);
  assert_int_equal(mistral_chat_request_add_function_tool(NULL, "f", "d", "{}", true), INVALID);
  assert_int_equal(mistral_chat_request_add_function_tool(NULL, NULL, NULL, NULL, false),
                   INVALID);
  assert_int_equal(mistral_chat_request_add_builtin_tool(NULL, "web_search", NULL), INVALID);
  assert_int_equal(mistral_chat_request_add_builtin_tool(NULL, NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_request_set_tool_choice(NULL, MISTRAL_TOOL_CHOICE_ANY), INVALID);
  assert_int_equal(mistral_chat_request_set_tool_choice_function(NULL, "f"), INVALID);
  assert_int_equal(mistral_chat_request_set_tool_choice_function(NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_request_add_message(&m, NULL, MISTRAL_ROLE_USER, "x"), INVALID);
  assert_null(m);
  assert_int_equal(mistral_chat_request_add_message(NULL, NULL, MISTRAL_ROLE_USER, NULL),
                   INVALID);
  m = (mistral_message *)&am;
  assert_int_equal(mistral_chat_request_add_tool_result(&m, NULL, "id", "n", "x"), INVALID);
  assert_null(m);
  assert_int_equal(mistral_chat_request_add_tool_result(NULL, NULL, NULL, NULL, NULL), INVALID);
  m = (mistral_message *)&am;
  assert_int_equal(mistral_chat_request_add_assistant_message(&m, NULL, &am), INVALID);
  assert_null(m);
  assert_int_equal(mistral_chat_request_add_assistant_message(NULL, NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_request_message_count(NULL), 0);

  /* to_json: NULL request, NULL out, NULL error object */
  mistral_error *err = mistral_error_new();
  char *out = (char *)"sentinel";
  assert_int_equal(mistral_chat_request_to_json(&out, NULL, err), INVALID);
  assert_null(out);
  assert_int_equal(mistral_error_code(err), INVALID);
  assert_non_null(strstr(mistral_error_message(err), "request"));
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_to_json(NULL, req, err), INVALID);
  assert_int_equal(mistral_error_code(err), INVALID);
  assert_int_equal(mistral_chat_request_to_json(NULL, NULL, NULL), INVALID);
  /* err is optional */
  assert_int_equal(mistral_chat_request_to_json(&out, req, NULL), MISTRAL_OK);
  mistral_free(out);
  /* a success clears what a previous failure left in err */
  assert_int_equal(mistral_chat_request_to_json(&out, req, err), MISTRAL_OK);
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);
  assert_string_equal(mistral_error_message(err), "");
  mistral_free(out);
  mistral_error_free(err);
  mistral_chat_request_free(req);

  /* *_free(NULL) and the getters are no-ops */
  mistral_chat_request_free(NULL);
  mistral_chat_response_free(NULL);
  mistral_free(NULL);
  assert_null(mistral_chat_response_text(NULL));

  /* new: NULL out; NULL model is allowed */
  assert_int_equal(mistral_chat_request_new(NULL, "m"), INVALID);
  assert_int_equal(mistral_chat_request_new(NULL, NULL), INVALID);
  req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, NULL), MISTRAL_OK);
  assert_non_null(req);
  mistral_chat_request_free(req);
}

/* Every message function given a NULL message. */
static void test_null_message(void **state) {
  (void)state;
  const int64_t ids[] = {1};
  assert_int_equal(mistral_message_add_text(NULL, "x"), INVALID);
  assert_int_equal(mistral_message_add_text(NULL, NULL), INVALID);
  assert_int_equal(mistral_message_add_image_url(NULL, "https://e.com/a.png", "high"), INVALID);
  assert_int_equal(mistral_message_add_image_url(NULL, NULL, NULL), INVALID);
  assert_int_equal(mistral_message_add_image_file(NULL, "/nonexistent.png", NULL), INVALID);
  assert_int_equal(mistral_message_add_image_file(NULL, NULL, NULL), INVALID);
  assert_int_equal(mistral_message_add_document_url(NULL, "https://e.com/a.pdf", "a"), INVALID);
  assert_int_equal(mistral_message_add_document_url(NULL, NULL, NULL), INVALID);
  assert_int_equal(mistral_message_add_file(NULL, "3b6b3a8e-1f2c-4d5e-9a7b-0c1d2e3f4a5b"),
                   INVALID);
  assert_int_equal(mistral_message_add_file(NULL, NULL), INVALID);
  assert_int_equal(mistral_message_add_reference(NULL, ids, 1), INVALID);
  assert_int_equal(mistral_message_add_reference(NULL, NULL, 5), INVALID);
  assert_int_equal(mistral_message_add_thinking(NULL, "t", "s"), INVALID);
  assert_int_equal(mistral_message_add_thinking(NULL, NULL, NULL), INVALID);
  assert_int_equal(mistral_message_add_input_audio(NULL, "AAAA"), INVALID);
  assert_int_equal(mistral_message_add_input_audio(NULL, NULL), INVALID);
  assert_int_equal(mistral_message_add_chunk_json(NULL, "{\"type\":\"text\",\"text\":\"x\"}"),
                   INVALID);
  assert_int_equal(mistral_message_add_chunk_json(NULL, NULL), INVALID);
  assert_int_equal(mistral_message_add_tool_call(NULL, "id", "f", "{}"), INVALID);
  assert_int_equal(mistral_message_add_tool_call(NULL, NULL, NULL, NULL), INVALID);
  assert_int_equal(mistral_message_set_prefix(NULL, true), INVALID);
  assert_int_equal(mistral_message_set_tool_call_id(NULL, "id"), INVALID);
  assert_int_equal(mistral_message_set_tool_call_id(NULL, NULL), INVALID);
  assert_int_equal(mistral_message_set_name(NULL, "n"), INVALID);
  assert_int_equal(mistral_message_set_name(NULL, NULL), INVALID);
}

/* A NULL value argument on a valid request or message: an error naming the
 * field, stuck to the request. */
typedef struct null_case {
  const char *needle;
  int (*apply)(mistral_chat_request *req);
} null_case;

static int n_model(mistral_chat_request *r) { return mistral_chat_request_set_model(r, NULL); }
static int n_stop(mistral_chat_request *r) { return mistral_chat_request_set_stop(r, NULL); }
static int n_stop_list(mistral_chat_request *r) {
  return mistral_chat_request_set_stop_list(r, NULL, 2);
}
static int n_stop_item(mistral_chat_request *r) {
  const char *const stops[] = {"a", NULL};
  return mistral_chat_request_set_stop_list(r, stops, 2);
}
static int n_metadata(mistral_chat_request *r) {
  return mistral_chat_request_set_metadata_json(r, NULL);
}
static int n_prediction(mistral_chat_request *r) {
  return mistral_chat_request_set_prediction(r, NULL);
}
static int n_effort(mistral_chat_request *r) {
  return mistral_chat_request_set_reasoning_effort(r, NULL);
}
static int n_mode(mistral_chat_request *r) {
  return mistral_chat_request_set_prompt_mode(r, NULL);
}
static int n_guardrails(mistral_chat_request *r) {
  return mistral_chat_request_set_guardrails_json(r, NULL);
}
static int n_cache_key(mistral_chat_request *r) {
  return mistral_chat_request_set_prompt_cache_key(r, NULL);
}
static int n_tier(mistral_chat_request *r) {
  return mistral_chat_request_set_service_tier(r, NULL);
}
static int n_set_null(mistral_chat_request *r) {
  return mistral_chat_request_set_null(r, NULL);
}
static int n_unset(mistral_chat_request *r) { return mistral_chat_request_unset(r, NULL); }
static int n_schema_name(mistral_chat_request *r) {
  return mistral_chat_request_set_json_schema(r, NULL, "d", "{}", false);
}
static int n_schema_schema(mistral_chat_request *r) {
  return mistral_chat_request_set_json_schema(r, "n", NULL, NULL, false);
}
static int n_fn_name(mistral_chat_request *r) {
  return mistral_chat_request_add_function_tool(r, NULL, "d", "{}", false);
}
static int n_builtin_type(mistral_chat_request *r) {
  return mistral_chat_request_add_builtin_tool(r, NULL, "{}");
}
static int n_choice_fn(mistral_chat_request *r) {
  return mistral_chat_request_set_tool_choice_function(r, NULL);
}
static int n_tool_result_text(mistral_chat_request *r) {
  mistral_message *m = (mistral_message *)r;
  int rc = mistral_chat_request_add_tool_result(&m, r, "id", "n", NULL);
  assert_null(m);
  return rc;
}
static int n_assistant(mistral_chat_request *r) {
  mistral_message *m = (mistral_message *)r;
  int rc = mistral_chat_request_add_assistant_message(&m, r, NULL);
  assert_null(m);
  return rc;
}
static int n_text(mistral_chat_request *r) { return mistral_message_add_text(user_msg(r), NULL); }
static int n_image_url(mistral_chat_request *r) {
  return mistral_message_add_image_url(user_msg(r), NULL, "high");
}
static int n_image_file(mistral_chat_request *r) {
  return mistral_message_add_image_file(user_msg(r), NULL, NULL);
}
static int n_document_url(mistral_chat_request *r) {
  return mistral_message_add_document_url(user_msg(r), NULL, "a.pdf");
}
static int n_file(mistral_chat_request *r) { return mistral_message_add_file(user_msg(r), NULL); }
static int n_reference(mistral_chat_request *r) {
  return mistral_message_add_reference(user_msg(r), NULL, 3);
}
static int n_thinking(mistral_chat_request *r) {
  return mistral_message_add_thinking(user_msg(r), NULL, "sig");
}
static int n_audio(mistral_chat_request *r) {
  return mistral_message_add_input_audio(user_msg(r), NULL);
}
static int n_chunk_json(mistral_chat_request *r) {
  return mistral_message_add_chunk_json(user_msg(r), NULL);
}
static int n_call_name(mistral_chat_request *r) {
  return mistral_message_add_tool_call(role_msg(r, MISTRAL_ROLE_ASSISTANT), "id", NULL, "{}");
}
static int n_tool_call_id(mistral_chat_request *r) {
  return mistral_message_set_tool_call_id(role_msg(r, MISTRAL_ROLE_TOOL), NULL);
}
static int n_name(mistral_chat_request *r) {
  return mistral_message_set_name(role_msg(r, MISTRAL_ROLE_TOOL), NULL);
}

static const null_case null_cases[] = {
    {"model", n_model},
    {"stop", n_stop},
    {"stop", n_stop_list},
    {"stop", n_stop_item},
    {"metadata", n_metadata},
    {"prediction", n_prediction},
    {"reasoning_effort", n_effort},
    {"prompt_mode", n_mode},
    {"guardrails", n_guardrails},
    {"prompt_cache_key", n_cache_key},
    {"service_tier", n_tier},
    {"set_null", n_set_null},
    {"unset", n_unset},
    {"json_schema.name", n_schema_name},
    {"json_schema.schema", n_schema_schema},
    {"tools.function.name", n_fn_name},
    {"tools.type", n_builtin_type},
    {"tool_choice.function.name", n_choice_fn},
    {"messages.content", n_tool_result_text},
    {"assistant message", n_assistant},
    {"messages.content.text", n_text},
    {"messages.content.image_url", n_image_url},
    {"image file", n_image_file},
    {"messages.content.document_url", n_document_url},
    {"messages.content.file_id", n_file},
    {"messages.content.reference_ids", n_reference},
    {"messages.content.thinking", n_thinking},
    {"messages.content.input_audio", n_audio},
    {"messages.content", n_chunk_json},
    {"messages.tool_calls.function.name", n_call_name},
    {"messages.tool_call_id", n_tool_call_id},
    {"messages.name", n_name},
};

static void test_null_values(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof null_cases / sizeof *null_cases; i++) {
    mistral_chat_request *req = ct_base_request();
    int rc = null_cases[i].apply(req);
    if (rc != INVALID) print_error("case %zu (%s): rc %d\n", i, null_cases[i].needle, rc);
    assert_int_equal(rc, INVALID);
    ct_assert_rejected(req, INVALID, null_cases[i].needle, NULL);
    mistral_chat_request_free(req);
  }
}

/* mistral_chat_complete's own pointers. */
static void test_null_complete_arguments(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(CT_KEY, NULL);
  mistral_client *client = tu_client(fs, CT_KEY, 0);
  mistral_chat_request *req = ct_base_request();
  mistral_error *err = mistral_error_new();
  static mistral_chat_response sentinel;
  mistral_chat_response *resp = &sentinel; /* must become NULL */

  assert_int_equal(mistral_chat_complete(NULL, client, req, err), INVALID);
  assert_int_equal(mistral_error_code(err), INVALID);
  assert_int_equal(mistral_chat_complete(&resp, NULL, req, err), INVALID);
  assert_null(resp);
  assert_non_null(strstr(mistral_error_message(err), "client"));
  resp = &sentinel;
  assert_int_equal(mistral_chat_complete(&resp, client, NULL, err), INVALID);
  assert_null(resp);
  assert_non_null(strstr(mistral_error_message(err), "request"));
  assert_int_equal(mistral_chat_complete(&resp, client, NULL, NULL), INVALID);
  assert_int_equal(mistral_chat_complete(NULL, NULL, NULL, NULL), INVALID);
  assert_int_equal(fixture_server_requests(fs), 0);
  assert_int_equal(fixture_server_connections(fs), 0);

  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* ------------------------------------------------------------------------ */
/* Invalid UTF-8 in every string                                            */

static const char *const bad_utf8[] = {
    "ab\xc0\xaf",             /* overlong '/' (2 bytes) */
    "ab\xe0\x80\xaf",         /* overlong '/' (3 bytes) */
    "ab\xf0\x80\x80\xaf",     /* overlong '/' (4 bytes) */
    "ab\xed\xa0\x80",         /* surrogate U+D800 */
    "ab\xed\xbf\xbf" "cd",    /* surrogate U+DFFF */
    "ab\xe2\x82",             /* truncated at the end */
    "ab\xe2\x82" "cd",        /* truncated in the middle */
    "\xf0\x9f\x98",           /* truncated 4-byte sequence */
    "ab\xff" "cd",            /* 0xFF */
    "\xfe",                   /* 0xFE */
    "ab\x80",                 /* lone continuation byte */
    "ab\xf4\x90\x80\x80",     /* above U+10FFFF */
};
#define N_BAD (sizeof bad_utf8 / sizeof *bad_utf8)

typedef struct utf8_case {
  const char *needle;
  int (*apply)(mistral_chat_request *req, const char *bad);
  int json; /* the bad text goes inside JSON text: the message says "invalid JSON" */
} utf8_case;

static char json_buf[256];
/* before, bad, after: JSON text with the bad bytes inside. */
static const char *embed(const char *before, const char *bad, const char *after) {
  snprintf(json_buf, sizeof json_buf, "%s%s%s", before, bad, after);
  return json_buf;
}

static int u_model(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_model(r, s);
}
static int u_user(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_message(NULL, r, MISTRAL_ROLE_USER, s);
}
static int u_system(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_message(NULL, r, MISTRAL_ROLE_SYSTEM, s);
}
static int u_assistant(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_message(NULL, r, MISTRAL_ROLE_ASSISTANT, s);
}
static int u_tool(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_message(NULL, r, MISTRAL_ROLE_TOOL, s);
}
static int u_stop(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_stop(r, s);
}
static int u_stop_list(mistral_chat_request *r, const char *s) {
  const char *const stops[] = {"ok", s};
  return mistral_chat_request_set_stop_list(r, stops, 2);
}
static int u_prediction(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_prediction(r, s);
}
static int u_effort(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_reasoning_effort(r, s);
}
static int u_mode(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_prompt_mode(r, s);
}
static int u_cache_key(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_prompt_cache_key(r, s);
}
static int u_tier(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_service_tier(r, s);
}
static int u_schema_name(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_json_schema(r, s, NULL, "{}", false);
}
static int u_schema_desc(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_json_schema(r, "n", s, "{}", false);
}
static int u_schema_schema(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_json_schema(r, "n", NULL, embed("{\"title\":\"", s, "\"}"),
                                              false);
}
static int u_fn_name(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_function_tool(r, s, NULL, NULL, false);
}
static int u_fn_desc(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_function_tool(r, "f", s, NULL, false);
}
static int u_fn_params(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_function_tool(
      r, "f", NULL, embed("{\"type\":\"object\",\"description\":\"", s, "\"}"), false);
}
static int u_builtin_type(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_builtin_tool(r, s, NULL);
}
static int u_builtin_config(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_builtin_tool(r, "connector",
                                               embed("{\"connector_id\":\"", s, "\"}"));
}
static int u_choice_fn(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_tool_choice_function(r, s);
}
static int u_metadata(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_metadata_json(r, embed("{\"user\":\"", s, "\"}"));
}
static int u_metadata_key(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_metadata_json(r, embed("{\"", s, "\":1}"));
}
static int u_guardrails(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_guardrails_json(
      r, embed("[{\"moderation_llm_v1\":{\"model_name\":\"", s, "\"}}]"));
}
static int u_text(mistral_chat_request *r, const char *s) {
  return mistral_message_add_text(user_msg(r), s);
}
static int u_system_text(mistral_chat_request *r, const char *s) {
  mistral_message *m = NULL;
  assert_int_equal(mistral_chat_request_add_message(&m, r, MISTRAL_ROLE_SYSTEM, "ok"),
                   MISTRAL_OK);
  return mistral_message_add_text(m, s);
}
static int u_image_url(mistral_chat_request *r, const char *s) {
  return mistral_message_add_image_url(user_msg(r), s, NULL);
}
static int u_image_detail(mistral_chat_request *r, const char *s) {
  return mistral_message_add_image_url(user_msg(r), "https://example.com/a.png", s);
}
static int u_document_url(mistral_chat_request *r, const char *s) {
  return mistral_message_add_document_url(user_msg(r), s, NULL);
}
static int u_document_name(mistral_chat_request *r, const char *s) {
  return mistral_message_add_document_url(user_msg(r), "https://example.com/a.pdf", s);
}
static int u_file(mistral_chat_request *r, const char *s) {
  return mistral_message_add_file(user_msg(r), s);
}
static int u_thinking(mistral_chat_request *r, const char *s) {
  return mistral_message_add_thinking(user_msg(r), s, NULL);
}
static int u_signature(mistral_chat_request *r, const char *s) {
  return mistral_message_add_thinking(user_msg(r), "t", s);
}
static int u_audio(mistral_chat_request *r, const char *s) {
  return mistral_message_add_input_audio(user_msg(r), s);
}
static int u_chunk_json(mistral_chat_request *r, const char *s) {
  return mistral_message_add_chunk_json(user_msg(r), embed("{\"type\":\"text\",\"text\":\"", s, "\"}"));
}
static int u_call_id(mistral_chat_request *r, const char *s) {
  return mistral_message_add_tool_call(role_msg(r, MISTRAL_ROLE_ASSISTANT), s, "f", "{}");
}
static int u_call_name(mistral_chat_request *r, const char *s) {
  return mistral_message_add_tool_call(role_msg(r, MISTRAL_ROLE_ASSISTANT), "id", s, "{}");
}
static int u_call_args(mistral_chat_request *r, const char *s) {
  return mistral_message_add_tool_call(role_msg(r, MISTRAL_ROLE_ASSISTANT), "id", "f",
                                       embed("{\"city\":\"", s, "\"}"));
}
static int u_result_text(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_tool_result(NULL, r, "id", "f", s);
}
static int u_result_id(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_tool_result(NULL, r, s, "f", "x");
}
static int u_result_name(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_add_tool_result(NULL, r, "id", s, "x");
}
static int u_tool_call_id(mistral_chat_request *r, const char *s) {
  return mistral_message_set_tool_call_id(role_msg(r, MISTRAL_ROLE_TOOL), s);
}
static int u_name(mistral_chat_request *r, const char *s) {
  return mistral_message_set_name(role_msg(r, MISTRAL_ROLE_TOOL), s);
}
static int u_assistant_content(mistral_chat_request *r, const char *s) {
  mistral_assistant_message am = {.role = "assistant", .content = s};
  return mistral_chat_request_add_assistant_message(NULL, r, &am);
}
static int u_assistant_call(mistral_chat_request *r, const char *s) {
  mistral_tool_call tc = {.id = "id", .type = "function", .name = s, .arguments = "{}"};
  const mistral_tool_call *tcs[] = {&tc};
  mistral_assistant_message am = {.role = "assistant", .tool_call_count = 1, .tool_calls = tcs};
  return mistral_chat_request_add_assistant_message(NULL, r, &am);
}
static int u_set_null(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_set_null(r, s);
}
static int u_unset(mistral_chat_request *r, const char *s) {
  return mistral_chat_request_unset(r, s);
}

static const utf8_case utf8_cases[] = {
    {"model", u_model, 0},
    {"messages.content", u_user, 0},
    {"messages.content", u_system, 0},
    {"messages.content", u_assistant, 0},
    {"messages.content", u_tool, 0},
    {"stop", u_stop, 0},
    {"stop", u_stop_list, 0},
    {"prediction", u_prediction, 0},
    {"reasoning_effort", u_effort, 0},
    {"prompt_mode", u_mode, 0},
    {"prompt_cache_key", u_cache_key, 0},
    {"service_tier", u_tier, 0},
    {"response_format.json_schema.name", u_schema_name, 0},
    {"response_format.json_schema.description", u_schema_desc, 0},
    {"response_format.json_schema.schema", u_schema_schema, 1},
    {"tools.function.name", u_fn_name, 0},
    {"tools.function.description", u_fn_desc, 0},
    {"tools.function.parameters", u_fn_params, 1},
    {"tools.type", u_builtin_type, 0},
    {"tools.config", u_builtin_config, 1},
    {"tool_choice.function.name", u_choice_fn, 0},
    {"metadata", u_metadata, 1},
    {"metadata", u_metadata_key, 1},
    {"guardrails", u_guardrails, 1},
    {"messages.content.text", u_text, 0},
    {"messages.content.text", u_system_text, 0},
    {"messages.content.image_url", u_image_url, 0},
    {"messages.content.image_url.detail", u_image_detail, 0},
    {"messages.content.document_url", u_document_url, 0},
    {"messages.content.document_name", u_document_name, 0},
    {"messages.content.file_id", u_file, 0},
    {"messages.content.thinking", u_thinking, 0},
    {"messages.content.signature", u_signature, 0},
    {"messages.content.input_audio", u_audio, 0},
    {"messages.content", u_chunk_json, 1},
    {"messages.tool_calls.id", u_call_id, 0},
    {"messages.tool_calls.function.name", u_call_name, 0},
    {"messages.tool_calls.arguments", u_call_args, 1},
    {"messages.content", u_result_text, 0},
    {"messages.tool_call_id", u_result_id, 0},
    {"messages.name", u_result_name, 0},
    {"messages.tool_call_id", u_tool_call_id, 0},
    {"messages.name", u_name, 0},
    {"messages.content", u_assistant_content, 0},
    {"messages.tool_calls.function.name", u_assistant_call, 0},
    {"set_null", u_set_null, -1},
    {"unset", u_unset, -1},
};

static void test_invalid_utf8_every_string(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof utf8_cases / sizeof *utf8_cases; c++) {
    for (size_t b = 0; b < N_BAD; b++) {
      mistral_chat_request *req = ct_base_request();
      int rc = utf8_cases[c].apply(req, bad_utf8[b]);
      if (rc != INVALID)
        print_error("case %s, bad string %zu: rc %d\n", utf8_cases[c].needle, b, rc);
      assert_int_equal(rc, INVALID);
      const char *why = utf8_cases[c].json == 1 ? "invalid JSON"
                        : utf8_cases[c].json == 0 ? "UTF-8"
                                                  : NULL;
      ct_assert_rejected(req, INVALID, utf8_cases[c].needle, why);
      mistral_chat_request_free(req);
    }
  }
}

/* A request created with an invalid model is not created at all. */
static void test_invalid_utf8_model_in_new(void **state) {
  (void)state;
  for (size_t b = 0; b < N_BAD; b++) {
    mistral_chat_request *req = (mistral_chat_request *)&req;
    assert_int_equal(mistral_chat_request_new(&req, bad_utf8[b]), INVALID);
    assert_null(req);
  }
  mistral_chat_request *req = (mistral_chat_request *)&req;
  assert_int_equal(mistral_chat_request_new(&req, ""), INVALID);
  assert_null(req);
}

/* Valid UTF-8 at the edges is accepted: U+007F, U+0080, U+07FF, U+0800,
 * U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF. */
static void test_valid_utf8_edges_accepted(void **state) {
  (void)state;
  static const char edge[] = "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
                             "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_set_stop(req, edge), MISTRAL_OK);
  mistral_message *m = user_msg(req);
  assert_int_equal(mistral_message_add_text(m, edge), MISTRAL_OK);
  json_t *body = ct_request_json(req);
  assert_string_equal(json_string_value(json_object_get(body, "stop")), edge);
  json_decref(body);
  mistral_chat_request_free(req);
}

/* ------------------------------------------------------------------------ */
/* Invalid and mistyped JSON text                                           */

typedef struct json_case {
  const char *needle;
  int (*apply)(mistral_chat_request *req, const char *text);
} json_case;

static int j_metadata(mistral_chat_request *r, const char *t) {
  return mistral_chat_request_set_metadata_json(r, t);
}
static int j_params(mistral_chat_request *r, const char *t) {
  return mistral_chat_request_add_function_tool(r, "f", "d", t, false);
}
static int j_schema(mistral_chat_request *r, const char *t) {
  return mistral_chat_request_set_json_schema(r, "n", "d", t, true);
}
static int j_guardrails(mistral_chat_request *r, const char *t) {
  return mistral_chat_request_set_guardrails_json(r, t);
}
static int j_arguments(mistral_chat_request *r, const char *t) {
  return mistral_message_add_tool_call(role_msg(r, MISTRAL_ROLE_ASSISTANT), "id", "f", t);
}
static int j_chunk(mistral_chat_request *r, const char *t) {
  return mistral_message_add_chunk_json(user_msg(r), t);
}
static int j_config(mistral_chat_request *r, const char *t) {
  return mistral_chat_request_add_builtin_tool(r, "document_library", t);
}
static int j_assistant_args(mistral_chat_request *r, const char *t) {
  mistral_tool_call tc = {.id = "id", .type = "function", .name = "f", .arguments = t};
  const mistral_tool_call *tcs[] = {&tc};
  mistral_assistant_message am = {.role = "assistant", .tool_call_count = 1, .tool_calls = tcs};
  return mistral_chat_request_add_assistant_message(NULL, r, &am);
}
static int j_assistant_chunk(mistral_chat_request *r, const char *t) {
  mistral_content_chunk ch = {.type = MISTRAL_CHUNK_TEXT, .type_name = "text", .json = t};
  const mistral_content_chunk *chs[] = {&ch};
  mistral_assistant_message am = {.role = "assistant", .chunk_count = 1, .chunks = chs};
  return mistral_chat_request_add_assistant_message(NULL, r, &am);
}

static const json_case json_cases[] = {
    {"metadata", j_metadata},
    {"tools.function.parameters", j_params},
    {"response_format.json_schema.schema", j_schema},
    {"guardrails", j_guardrails},
    {"messages.tool_calls.arguments", j_arguments},
    {"messages.content", j_chunk},
    {"tools.config", j_config},
    {"messages.tool_calls.arguments", j_assistant_args},
    {"messages.content", j_assistant_chunk},
};

/* Not JSON at all, for any field. */
static const char *const not_json[] = {
    "",       " ",          "{",           "[",           "{\"a\":}",   "{'a':1}",
    "{\"a\":1,}", "[1,]",   "{\"a\":1} x", "[] []",       "nul",        "{\"a\":NaN}",
    "{a:1}",  "{\"a\":1,\"a\":2}", "\"unterminated", "{\"a\":\"\\x\"}", "{\"a\":01}",
};

static void test_invalid_json_every_field(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof json_cases / sizeof *json_cases; c++) {
    for (size_t k = 0; k < sizeof not_json / sizeof *not_json; k++) {
      mistral_chat_request *req = ct_base_request();
      int rc = json_cases[c].apply(req, not_json[k]);
      if (rc != INVALID)
        print_error("case %s, text \"%s\": rc %d\n", json_cases[c].needle, not_json[k], rc);
      assert_int_equal(rc, INVALID);
      ct_assert_rejected(req, INVALID, json_cases[c].needle, "invalid JSON");
      mistral_chat_request_free(req);
    }
  }
}

/* Valid JSON of the wrong type. */
typedef struct type_case {
  const char *needle;
  int (*apply)(mistral_chat_request *req, const char *text);
  const char *text;
} type_case;

static const type_case type_cases[] = {
    {"metadata", j_metadata, "[]"},
    {"metadata", j_metadata, "[{\"user\":\"42\"}]"},
    {"metadata", j_metadata, "\"user\""},
    {"metadata", j_metadata, "42"},
    {"metadata", j_metadata, "null"},
    {"metadata", j_metadata, "true"},
    {"guardrails", j_guardrails, "{}"},
    {"guardrails", j_guardrails, "null"},
    {"tools.function.parameters", j_params, "[]"},
    {"tools.function.parameters", j_params, "true"},
    {"response_format.json_schema.schema", j_schema, "[]"},
    {"response_format.json_schema.schema", j_schema, "\"object\""},
    {"tools.config", j_config, "[\"lib-1\"]"},
    {"tools.config", j_config, "\"x\""},
    {"tools.config", j_config, "{\"type\":\"web_search\"}"}, /* config may not set type */
    {"messages.content", j_chunk, "[]"},
    {"messages.content", j_chunk, "\"text\""},
    {"messages.content", j_chunk, "{}"},                     /* no "type" */
    {"messages.content", j_chunk, "{\"type\":1}"},           /* type not a string */
    {"messages.content", j_chunk, "{\"type\":null,\"text\":\"x\"}"},
    {"messages.content", j_assistant_chunk, "{\"text\":\"x\"}"},
};

static void test_wrong_json_type(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof type_cases / sizeof *type_cases; c++) {
    mistral_chat_request *req = ct_base_request();
    int rc = type_cases[c].apply(req, type_cases[c].text);
    if (rc != INVALID) print_error("case %s \"%s\": rc %d\n", type_cases[c].needle,
                                   type_cases[c].text, rc);
    assert_int_equal(rc, INVALID);
    ct_assert_rejected(req, INVALID, type_cases[c].needle, NULL);
    mistral_chat_request_free(req);
  }
}

/* Names that are not names: empty model, empty or "function" built-in type,
 * empty function name. */
static void test_empty_names(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_set_model(req, ""), INVALID);
  ct_assert_rejected(req, INVALID, "model", NULL);
  mistral_chat_request_free(req);

  req = ct_base_request();
  assert_int_equal(mistral_chat_request_add_builtin_tool(req, "", NULL), INVALID);
  ct_assert_rejected(req, INVALID, "tools.type", NULL);
  mistral_chat_request_free(req);

  req = ct_base_request();
  assert_int_equal(mistral_chat_request_add_builtin_tool(req, "function", "{}"), INVALID);
  ct_assert_rejected(req, INVALID, "tools.type", NULL);
  mistral_chat_request_free(req);

  req = ct_base_request();
  assert_int_equal(mistral_chat_request_add_function_tool(req, "", "d", NULL, false), INVALID);
  ct_assert_rejected(req, INVALID, "tools.function.name", NULL);
  mistral_chat_request_free(req);
}

/* With several bad arguments in one call, the message names the first. */
static void test_first_bad_argument_is_named(void **state) {
  (void)state;
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_set_json_schema(req, "\xff", "\xfe", "[", true), INVALID);
  ct_assert_rejected(req, INVALID, "response_format.json_schema.name", "UTF-8");
  mistral_chat_request_free(req);

  req = ct_base_request();
  assert_int_equal(mistral_chat_request_set_json_schema(req, "n", "\xfe", "[", true), INVALID);
  ct_assert_rejected(req, INVALID, "response_format.json_schema.description", "UTF-8");
  mistral_chat_request_free(req);

  req = ct_base_request();
  assert_int_equal(mistral_chat_request_add_function_tool(req, "\xff", "\xfe", "[", true),
                   INVALID);
  ct_assert_rejected(req, INVALID, "tools.function.name", "UTF-8");
  mistral_chat_request_free(req);

  req = ct_base_request();
  assert_int_equal(mistral_chat_request_add_function_tool(req, "f", "\xfe", "[", true), INVALID);
  ct_assert_rejected(req, INVALID, "tools.function.description", "UTF-8");
  mistral_chat_request_free(req);
}

/* ------------------------------------------------------------------------ */
/* Numbers and enums out of range                                           */

typedef struct range_case {
  const char *needle;
  int (*apply)(mistral_chat_request *req);
} range_case;

#define RANGE_D(fn, setter, value)                  \
  static int fn(mistral_chat_request *r) {          \
    return mistral_chat_request_set_##setter(r, value); \
  }
RANGE_D(r_temp_2, temperature, 2.0)
RANGE_D(r_temp_above, temperature, 1.5000001)
RANGE_D(r_temp_neg, temperature, -0.01)
RANGE_D(r_temp_nan, temperature, NAN)
RANGE_D(r_temp_inf, temperature, INFINITY)
RANGE_D(r_temp_ninf, temperature, -INFINITY)
RANGE_D(r_top_p_0, top_p, 0.0)
RANGE_D(r_top_p_neg, top_p, -0.5)
RANGE_D(r_top_p_above, top_p, 1.0001)
RANGE_D(r_top_p_nan, top_p, NAN)
RANGE_D(r_top_p_inf, top_p, INFINITY)
RANGE_D(r_max_neg, max_tokens, -1)
RANGE_D(r_max_min, max_tokens, INT64_MIN)
RANGE_D(r_seed_neg, random_seed, -1)
RANGE_D(r_n_0, n, 0)
RANGE_D(r_n_neg, n, -3)
RANGE_D(r_pres_hi, presence_penalty, 2.01)
RANGE_D(r_pres_lo, presence_penalty, -2.01)
RANGE_D(r_pres_nan, presence_penalty, NAN)
RANGE_D(r_pres_inf, presence_penalty, -INFINITY)
RANGE_D(r_freq_hi, frequency_penalty, 2.5)
RANGE_D(r_freq_lo, frequency_penalty, -3.0)
RANGE_D(r_freq_nan, frequency_penalty, NAN)
RANGE_D(r_freq_inf, frequency_penalty, INFINITY)
RANGE_D(r_format_schema, response_format, MISTRAL_RESPONSE_FORMAT_JSON_SCHEMA)
RANGE_D(r_format_99, response_format, (mistral_response_format)99)
RANGE_D(r_format_neg, response_format, (mistral_response_format)-1)
RANGE_D(r_choice_4, tool_choice, (mistral_tool_choice)4)
RANGE_D(r_choice_neg, tool_choice, (mistral_tool_choice)-1)

static const range_case range_cases[] = {
    {"temperature", r_temp_2},         {"temperature", r_temp_above},
    {"temperature", r_temp_neg},       {"temperature", r_temp_nan},
    {"temperature", r_temp_inf},       {"temperature", r_temp_ninf},
    {"top_p", r_top_p_0},              {"top_p", r_top_p_neg},
    {"top_p", r_top_p_above},          {"top_p", r_top_p_nan},
    {"top_p", r_top_p_inf},            {"max_tokens", r_max_neg},
    {"max_tokens", r_max_min},         {"random_seed", r_seed_neg},
    {"n", r_n_0},                      {"n", r_n_neg},
    {"presence_penalty", r_pres_hi},   {"presence_penalty", r_pres_lo},
    {"presence_penalty", r_pres_nan},  {"presence_penalty", r_pres_inf},
    {"frequency_penalty", r_freq_hi},  {"frequency_penalty", r_freq_lo},
    {"frequency_penalty", r_freq_nan}, {"frequency_penalty", r_freq_inf},
    {"response_format", r_format_schema}, {"response_format", r_format_99},
    {"response_format", r_format_neg}, {"tool_choice", r_choice_4},
    {"tool_choice", r_choice_neg},
};

static void test_out_of_range(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof range_cases / sizeof *range_cases; c++) {
    mistral_chat_request *req = ct_base_request();
    int rc = range_cases[c].apply(req);
    if (rc != INVALID) print_error("case %zu (%s): rc %d\n", c, range_cases[c].needle, rc);
    assert_int_equal(rc, INVALID);
    ct_assert_rejected(req, INVALID, range_cases[c].needle, NULL);
    mistral_chat_request_free(req);
  }
}

/* Unknown role values add nothing. */
static void test_unknown_role(void **state) {
  (void)state;
  static const int roles[] = {4, 5, 99, -1, INT32_MIN};
  for (size_t i = 0; i < sizeof roles / sizeof *roles; i++) {
    mistral_chat_request *req = ct_base_request();
    mistral_message *m = (mistral_message *)req;
    assert_int_equal(mistral_chat_request_add_message(&m, req, (mistral_role)roles[i], "x"),
                     INVALID);
    assert_null(m);
    assert_int_equal(mistral_chat_request_message_count(req), 1);
    ct_assert_rejected(req, INVALID, "role", NULL);
    mistral_chat_request_free(req);
  }
}

/* ------------------------------------------------------------------------ */
/* Missing model, no messages                                               */

static void test_missing_model_and_messages(void **state) {
  (void)state;
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, NULL), MISTRAL_OK);
  /* both missing: the model is named first */
  ct_assert_rejected(req, INVALID, "model", NULL);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hi"),
                   MISTRAL_OK);
  ct_assert_rejected(req, INVALID, "model", NULL);
  /* fixing it makes the request valid: a missing field is not sticky */
  assert_int_equal(mistral_chat_request_set_model(req, CT_MODEL), MISTRAL_OK);
  ct_assert_base_with(req, "");
  mistral_chat_request_free(req);

  assert_int_equal(mistral_chat_request_new(&req, CT_MODEL), MISTRAL_OK);
  ct_assert_rejected(req, INVALID, "messages", NULL);
  /* setting fields does not stand in for messages */
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.1), MISTRAL_OK);
  ct_assert_rejected(req, INVALID, "messages", NULL);
  mistral_chat_request_free(req);

  /* a system message without content */
  req = ct_base_request();
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_SYSTEM, NULL),
                   MISTRAL_OK);
  ct_assert_rejected(req, INVALID, "messages[1].content", NULL);
  mistral_chat_request_free(req);
}

/* ------------------------------------------------------------------------ */
/* Sticky errors                                                            */

static void test_sticky_error(void **state) {
  (void)state;
  /* The caller ignores the setter's result; everything after succeeds. */
  mistral_chat_request *req = ct_base_request();
  (void)mistral_chat_request_set_temperature(req, 2.0);
  assert_int_equal(mistral_chat_request_set_top_p(req, 0.5), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "more"),
                   MISTRAL_OK);
  ct_assert_rejected(req, INVALID, "temperature", "outside");
  /* A later, valid value for the same field does not clear it, and neither
   * does unsetting the field. */
  assert_int_equal(mistral_chat_request_set_temperature(req, 0.5), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_unset(req, "temperature"), MISTRAL_OK);
  ct_assert_rejected(req, INVALID, "temperature", NULL);
  mistral_chat_request_free(req);

  /* The first error wins. */
  req = ct_base_request();
  (void)mistral_chat_request_set_metadata_json(req, "[1]");
  (void)mistral_chat_request_set_n(req, 0);
  (void)mistral_chat_request_set_stop(req, "\xff");
  ct_assert_rejected(req, INVALID, "metadata", NULL);
  mistral_chat_request_free(req);

  /* From a message function, too. */
  req = ct_base_request();
  mistral_message *m = user_msg(req);
  (void)mistral_message_add_file(m, NULL);
  assert_int_equal(mistral_message_add_text(m, "fine"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_set_n(req, 2), MISTRAL_OK);
  ct_assert_rejected(req, INVALID, "file_id", NULL);
  mistral_chat_request_free(req);
}

/* The error message stays valid UTF-8 when it quotes caller input that is
 * not, or is cut inside a multi-byte character. */
static void test_error_message_is_utf8(void **state) {
  (void)state;
  char long_name[600];
  size_t k = 0;
  long_name[k++] = 'x';
  while (k + 2 < sizeof long_name) {
    long_name[k++] = '\xc3';
    long_name[k++] = '\xa9';
  }
  long_name[k] = '\0';
  for (size_t shift = 0; shift < 4; shift++) {
    mistral_chat_request *req = ct_base_request();
    /* shift moves the cut of the 256-byte message across the characters
     * (an odd shift also starts the name inside a character) */
    assert_int_equal(mistral_chat_request_set_null(req, long_name + shift), INVALID);
    ct_assert_rejected(req, INVALID, "set_null", NULL);
    mistral_chat_request_free(req);
  }
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_unset(req, "bad\xff\xfe name"), INVALID);
  ct_assert_rejected(req, INVALID, "unset", NULL);
  mistral_chat_request_free(req);
}

/* Oversized input: JSON nested far deeper than any parser allows is an
 * argument error (not a crash), a long text goes through whole. */
static void test_deep_and_long_input(void **state) {
  (void)state;
  enum { DEPTH = 100000 };
  char *deep = malloc(2 * DEPTH + 16);
  assert_non_null(deep);
  memcpy(deep, "{\"a\":", 5);
  size_t k = 5;
  for (int i = 0; i < DEPTH; i++) deep[k++] = '[';
  for (int i = 0; i < DEPTH; i++) deep[k++] = ']';
  deep[k++] = '}';
  deep[k] = '\0';
  int (*const takers[])(mistral_chat_request *, const char *) = {j_metadata, j_params,
                                                                  j_schema, j_arguments,
                                                                  j_chunk, j_config};
  static const char *const needles[] = {"metadata", "tools.function.parameters",
                                        "response_format.json_schema.schema",
                                        "messages.tool_calls.arguments", "messages.content",
                                        "tools.config"};
  for (size_t i = 0; i < sizeof takers / sizeof *takers; i++) {
    mistral_chat_request *req = ct_base_request();
    assert_int_equal(takers[i](req, deep), INVALID);
    ct_assert_rejected(req, INVALID, needles[i], "invalid JSON");
    mistral_chat_request_free(req);
  }
  free(deep);

  enum { LONG = 1 << 20 };
  char *text = malloc(LONG + 1);
  assert_non_null(text);
  for (size_t i = 0; i < LONG; i++) text[i] = (char)('a' + i % 26);
  text[LONG] = '\0';
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, text),
                   MISTRAL_OK);
  json_t *body = ct_request_json(req);
  json_t *last = json_array_get(json_object_get(body, "messages"), 1);
  assert_int_equal(json_string_length(json_object_get(last, "content")), LONG);
  assert_string_equal(json_string_value(json_object_get(last, "content")), text);
  json_decref(body);
  mistral_chat_request_free(req);
  free(text);
}

/* ------------------------------------------------------------------------ */
/* Image files that cannot be used                                          */

static void test_bad_image_files(void **state) {
  (void)state;
  static const unsigned char text[] = "hello, not an image\n";
  static const unsigned char riff_wave[] = "RIFF\x24\x00\x00\x00WAVEfmt ";
  char *empty = ct_write_temp("", 0);
  char *plain = ct_write_temp(text, sizeof text - 1);
  char *short_png = ct_write_temp(tiny_png, 7); /* signature cut short */
  char *wave = ct_write_temp(riff_wave, sizeof riff_wave - 1);
  char *jpeg_start = ct_write_temp(tiny_jpeg, 2); /* FF D8 only */
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  const char *paths[] = {"/nonexistent/libmistral/none.png", dir, empty, plain, short_png,
                         wave, jpeg_start, ""};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    mistral_chat_request *req = ct_base_request();
    mistral_message *m = user_msg(req);
    assert_int_equal(mistral_message_add_image_file(m, paths[i], NULL), INVALID);
    ct_assert_rejected(req, INVALID, "image file", paths[i][0] ? paths[i] : NULL);
    mistral_chat_request_free(req);
  }
  /* a path that is not UTF-8 (and does not exist) */
  mistral_chat_request *req = ct_base_request();
  assert_int_equal(mistral_message_add_image_file(user_msg(req), "/nonexistent/\xff\xfe.png",
                                                  "high"),
                   INVALID);
  ct_assert_rejected(req, INVALID, "image file", NULL);
  mistral_chat_request_free(req);

  char *files[] = {empty, plain, short_png, wave, jpeg_start};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    unlink(files[i]);
    free(files[i]);
  }
}

/* ------------------------------------------------------------------------ */
/* No API key                                                               */

static void test_no_api_key(void **state) {
  (void)state;
  tu_clean_env();
  fixture_server *fs = tu_server_start(CT_KEY, NULL);
  mistral_client *client = NULL;
  assert_int_equal(mistral_client_new(&client), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(client, fixture_server_url(fs)), MISTRAL_OK);
  mistral_chat_request *req = ct_base_request();
  mistral_error *err = mistral_error_new();
  static mistral_chat_response sentinel;
  mistral_chat_response *resp = &sentinel; /* must become NULL */

  assert_int_equal(mistral_chat_complete(&resp, client, req, err), MISTRAL_E_NO_API_KEY);
  assert_null(resp);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_NO_API_KEY);
  assert_int_equal(mistral_error_http_status(err), 0);
  assert_true(mistral_error_message(err)[0] != '\0');
  assert_false(mistral_error_is_retryable(err));

  /* A key given and taken away again. */
  assert_int_equal(mistral_client_set_api_key(client, CT_KEY), MISTRAL_OK);
  assert_int_equal(mistral_client_set_api_key(client, NULL), MISTRAL_OK);
  assert_int_equal(mistral_chat_complete(&resp, client, req, err), MISTRAL_E_NO_API_KEY);
  assert_null(resp);

  /* A bad request is reported as such first. */
  (void)mistral_chat_request_set_n(req, 0);
  assert_int_equal(mistral_chat_complete(&resp, client, req, err), INVALID);

  assert_int_equal(fixture_server_requests(fs), 0);
  assert_int_equal(fixture_server_connections(fs), 0);
  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static int teardown_group(void **state) {
  (void)state;
  ct_idle_server_stop();
  return 0;
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_null_request),
      cmocka_unit_test(test_null_message),
      cmocka_unit_test(test_null_values),
      cmocka_unit_test(test_null_complete_arguments),
      cmocka_unit_test(test_invalid_utf8_every_string),
      cmocka_unit_test(test_invalid_utf8_model_in_new),
      cmocka_unit_test(test_valid_utf8_edges_accepted),
      cmocka_unit_test(test_invalid_json_every_field),
      cmocka_unit_test(test_wrong_json_type),
      cmocka_unit_test(test_empty_names),
      cmocka_unit_test(test_first_bad_argument_is_named),
      cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_unknown_role),
      cmocka_unit_test(test_missing_model_and_messages),
      cmocka_unit_test(test_sticky_error),
      cmocka_unit_test(test_error_message_is_utf8),
      cmocka_unit_test(test_deep_and_long_input),
      cmocka_unit_test(test_bad_image_files),
      cmocka_unit_test(test_no_api_key),
  };
  return cmocka_run_group_tests_name("chat bad input", tests, NULL, teardown_group);
}
