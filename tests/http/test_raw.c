/* The escape hatch, mistral_raw_call, over the loopback fixture server:
 * methods with and without a body, an error status that still hands the
 * response over, the header getters, and every argument refused before any
 * traffic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mistral/mistral.h>

#include "http_test_util.h"

/* Bodiless exchanges, written inline (tools/check-fixtures.py has no body
 * to check for them; both operations exist in the spec). */
static const char list_models_fixture[] =
    "=== request\n"
    "GET /v1/models\n"
    "accept: application/json\n"
    "authorization: Bearer {{API_KEY}}\n"
    "!content-type:\n"
    "\n"
    "=== response\n"
    "HTTP/1.1 200 OK\n"
    "content-type: application/json\n"
    "x-request-id: 1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6\n"
    "\n"
    "{\"object\":\"list\",\"data\":[{\"id\":\"mistral-small-latest\",\"object\":\"model\","
    "\"created\":1732700000,\"owned_by\":\"mistralai\",\"capabilities\":{\"completion_chat\":"
    "true,\"function_calling\":true,\"vision\":true},\"max_context_length\":131072}]}\n";

static const char list_models_body[] =
    "{\"object\":\"list\",\"data\":[{\"id\":\"mistral-small-latest\",\"object\":\"model\","
    "\"created\":1732700000,\"owned_by\":\"mistralai\",\"capabilities\":{\"completion_chat\":"
    "true,\"function_calling\":true,\"vision\":true},\"max_context_length\":131072}]}";

static const char delete_model_fixture[] =
    "=== request\n"
    "DELETE /v1/models/ft:open-mistral-7b:587a6b29:20240514:7e773925\n"
    "accept: application/json\n"
    "authorization: Bearer {{API_KEY}}\n"
    "!content-type:\n"
    "\n"
    "=== response\n"
    "HTTP/1.1 200 OK\n"
    "content-type: application/json\n"
    "\n"
    "{\"id\":\"ft:open-mistral-7b:587a6b29:20240514:7e773925\",\"object\":\"model\","
    "\"deleted\":true}\n";

static const char empty_success_fixture[] =
    "=== request\n"
    "GET /v1/models?limit=1\n"
    "authorization: Bearer {{API_KEY}}\n"
    "\n"
    "=== response\n"
    "HTTP/1.1 200 OK\n"
    "content-type: application/json\n"
    "\n";

/* Fails unless nothing reached the server. */
static void assert_no_traffic(const http_ctx *t) {
  assert_int_equal(fixture_server_requests(t->fs), 0);
  assert_int_equal(fixture_server_connections(t->fs), 0);
}

static int raw(http_ctx *t, mistral_raw_response **out, const char *method, const char *path,
               const char *body) {
  *out = (mistral_raw_response *)(uintptr_t)1; /* must be overwritten */
  int rc = mistral_raw_call(out, t->client, method, path, body, t->err);
  assert_int_equal(mistral_error_code(t->err), rc);
  tu_assert_error_clean(t->err, HTTP_TEST_KEY);
  return rc;
}

static void test_get_without_body(void **state) {
  http_ctx *t = *state;
  assert_int_equal(fixture_server_expect_text(t->fs, list_models_fixture, 1), 0);
  mistral_raw_response *r;
  assert_int_equal(raw(t, &r, "GET", "/v1/models", NULL), MISTRAL_OK);
  assert_non_null(r);
  assert_int_equal(mistral_raw_response_status(r), 200);
  size_t len = 0;
  assert_string_equal(mistral_raw_response_body(r, &len), list_models_body);
  assert_int_equal(len, strlen(list_models_body));
  assert_string_equal(mistral_raw_response_header(r, "x-request-id"),
                      "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6");
  mistral_raw_response_free(r);

  char *raw_req = fixture_server_received(t->fs, 0);
  assert_non_null(raw_req);
  assert_true(strncmp(raw_req, "GET /v1/models HTTP/1.1\r\n", 25) == 0);
  free(raw_req);
  char *body = tu_received_body(t->fs, 0);
  assert_string_equal(body, "");
  free(body);
  char *cl = http_received_header(t->fs, 0, "Content-Length", NULL);
  assert_true(cl == NULL || strcmp(cl, "0") == 0);
  free(cl);
  char *ua = http_received_header(t->fs, 0, "User-Agent", NULL);
  assert_string_equal(ua, "mistral-client-c/" MISTRAL_VERSION_STRING);
  free(ua);
  tu_assert_served(t->fs);
}

static void test_post_json_body_verbatim(void **state) {
  http_ctx *t = *state;
  tu_expect(t->fs, "chat/response/plain-text.fixture", 1);
  /* Sent byte for byte as given, not re-serialized. */
  static const char body[] =
      "{ \"model\" : \"mistral-small-latest\",\n"
      "  \"messages\": [ {\"role\": \"user\", \"content\": \"Hello\"} ] }";
  mistral_raw_response *r;
  assert_int_equal(raw(t, &r, "POST", "/v1/chat/completions", body), MISTRAL_OK);
  assert_int_equal(mistral_raw_response_status(r), 200);
  size_t want_len;
  char *want = tu_fixture_body("chat/response/plain-text.fixture", &want_len);
  size_t len = 0;
  const char *got = mistral_raw_response_body(r, &len);
  assert_int_equal(len, want_len);
  assert_memory_equal(got, want, len);
  free(want);
  mistral_raw_response_free(r);

  char *sent = tu_received_body(t->fs, 0);
  assert_string_equal(sent, body);
  free(sent);
  char *ct = http_received_header(t->fs, 0, "content-type", NULL);
  assert_string_equal(ct, "application/json");
  free(ct);
  tu_assert_served(t->fs);
}

static void test_delete(void **state) {
  http_ctx *t = *state;
  assert_int_equal(fixture_server_expect_text(t->fs, delete_model_fixture, 1), 0);
  mistral_raw_response *r;
  assert_int_equal(
      raw(t, &r, "DELETE", "/v1/models/ft:open-mistral-7b:587a6b29:20240514:7e773925", NULL),
      MISTRAL_OK);
  assert_int_equal(mistral_raw_response_status(r), 200);
  assert_true(tu_contains(mistral_raw_response_body(r, NULL), "\"deleted\":true"));
  mistral_raw_response_free(r);
  char *raw_req = fixture_server_received(t->fs, 0);
  assert_non_null(raw_req);
  assert_true(strncmp(raw_req, "DELETE /v1/models/ft:", 21) == 0);
  free(raw_req);
  tu_assert_served(t->fs);
}

static void test_empty_success_body(void **state) {
  http_ctx *t = *state;
  assert_int_equal(fixture_server_expect_text(t->fs, empty_success_fixture, 1), 0);
  mistral_raw_response *r;
  assert_int_equal(raw(t, &r, "GET", "/v1/models?limit=1", NULL), MISTRAL_OK);
  size_t len = 99;
  const char *body = mistral_raw_response_body(r, &len);
  assert_non_null(body);
  assert_string_equal(body, "");
  assert_int_equal(len, 0);
  mistral_raw_response_free(r);
  tu_assert_served(t->fs);
}

static void test_error_status_keeps_response(void **state) {
  http_ctx *t = *state;
  tu_expect(t->fs, "errors/404-raw-model-not-found.fixture", 1);
  mistral_raw_response *r;
  int rc = raw(t, &r, "GET", "/v1/models/mistral-nonexistent-model", NULL);
  assert_int_equal(rc, MISTRAL_E_NOT_FOUND);
  assert_non_null(r);
  assert_int_equal(mistral_raw_response_status(r), 404);
  assert_true(tu_contains(mistral_raw_response_body(r, NULL),
                            "Invalid model: mistral-nonexistent-model"));
  /* The error object is filled as for a typed call. */
  assert_int_equal(mistral_error_http_status(t->err), 404);
  assert_string_equal(mistral_error_api_message(t->err),
                      "Invalid model: mistral-nonexistent-model");
  assert_string_equal(mistral_error_api_type(t->err), "invalid_model");
  assert_string_equal(mistral_error_api_code(t->err), "1500");
  assert_string_equal(mistral_error_request_id(t->err), "0c9b8a7f6e5d44c3b2a1f0e9d8c7b6a5");
  assert_string_equal(mistral_error_body(t->err), mistral_raw_response_body(r, NULL));

  /* Header getters: any case in, lower-case names out. */
  const char *want = "0c9b8a7f6e5d44c3b2a1f0e9d8c7b6a5";
  assert_string_equal(mistral_raw_response_header(r, "x-request-id"), want);
  assert_string_equal(mistral_raw_response_header(r, "X-Request-ID"), want);
  assert_string_equal(mistral_raw_response_header(r, "X-REQUEST-ID"), want);
  assert_string_equal(mistral_raw_response_header(r, "content-type"), "application/json");
  assert_string_equal(mistral_raw_response_header(r, "x-kong-upstream-latency"), "12");
  assert_null(mistral_raw_response_header(r, "x-absent"));
  assert_null(mistral_raw_response_header(r, NULL));
  size_t n = mistral_raw_response_header_count(r);
  assert_true(n >= 3);
  int seen = 0;
  for (size_t i = 0; i < n; i++) {
    const char *name = mistral_raw_response_header_name(r, i);
    const char *value = mistral_raw_response_header_value(r, i);
    assert_non_null(name);
    assert_non_null(value);
    for (const char *p = name; *p; p++) assert_false(*p >= 'A' && *p <= 'Z');
    if (strcmp(name, "x-request-id") == 0) {
      assert_string_equal(value, want);
      seen++;
    }
  }
  assert_int_equal(seen, 1);
  assert_null(mistral_raw_response_header_name(r, n));
  assert_null(mistral_raw_response_header_value(r, n));
  mistral_raw_response_free(r);

  /* NULL response: neutral answers. */
  size_t len = 7;
  assert_int_equal(mistral_raw_response_status(NULL), 0);
  assert_null(mistral_raw_response_body(NULL, &len));
  assert_int_equal(len, 0);
  assert_null(mistral_raw_response_header(NULL, "x"));
  assert_int_equal(mistral_raw_response_header_count(NULL), 0);
  assert_null(mistral_raw_response_header_name(NULL, 0));
  assert_null(mistral_raw_response_header_value(NULL, 0));
  mistral_raw_response_free(NULL);
  tu_assert_served(t->fs);
}

static void test_error_echoing_key(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  tu_expect(t->fs, "errors/401-key-echo.fixture", 1);
  mistral_raw_response *r;
  int rc = raw(t, &r, "POST", "/v1/chat/completions",
               "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\","
               "\"content\":\"Hello\"}]}");
  assert_int_equal(rc, MISTRAL_E_UNAUTHORIZED);
  assert_non_null(r);
  assert_int_equal(mistral_raw_response_status(r), 401);
  assert_true(tu_contains(mistral_error_api_message(t->err), "[REDACTED]"));
  mistral_raw_response_free(r);
  http_assert_log_clean(&t->log, HTTP_TEST_KEY);
  tu_assert_served(t->fs);
}

static void test_invalid_json_body(void **state) {
  http_ctx *t = *state;
  static const char *const bad[] = {
      "{",         "{\"a\":1,}", "",       "nul", "{\"a\":1}{}", "{\"a\":1,\"a\":2}",
      "{'a': 1}",  "\xff",       "[1, 2", "NaN",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mistral_raw_response *r;
    int rc = raw(t, &r, "POST", "/v1/chat/completions", bad[i]);
    if (rc != MISTRAL_E_INVALID_ARG) print_error("accepted body \"%s\"\n", bad[i]);
    assert_int_equal(rc, MISTRAL_E_INVALID_ARG);
    assert_null(r);
    assert_true(strlen(mistral_error_message(t->err)) > 0);
  }
  assert_no_traffic(t);
}

static void test_invalid_path(void **state) {
  http_ctx *t = *state;
  static const char *const bad[] = {
      "/v1/models x", "/v1/models\r\nX-Injected: 1", "/v1/models\n", "/v1/models\r",
      "v1/models",    "",                             "/v1/mod\"els", "/v1/mod\xc3\xa8ls",
      "/v1/<models>", "/v1/models\t",                 "http://evil.example/v1/models",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mistral_raw_response *r;
    int rc = raw(t, &r, "GET", bad[i], NULL);
    if (rc != MISTRAL_E_INVALID_ARG) print_error("accepted path \"%s\"\n", bad[i]);
    assert_int_equal(rc, MISTRAL_E_INVALID_ARG);
    assert_null(r);
  }
  mistral_raw_response *r;
  assert_int_equal(raw(t, &r, "GET", NULL, NULL), MISTRAL_E_INVALID_ARG);
  assert_null(r);
  assert_no_traffic(t);
}

static void test_invalid_method(void **state) {
  http_ctx *t = *state;
  static const char *const bad[] = {"get",  "Post", "HEAD",     "OPTIONS", "TRACE", "CONNECT",
                                    "POST ", "GET\r\n", "GET /x", "",       "PATCHX"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mistral_raw_response *r;
    int rc = raw(t, &r, bad[i], "/v1/models", NULL);
    if (rc != MISTRAL_E_INVALID_ARG) print_error("accepted method \"%s\"\n", bad[i]);
    assert_int_equal(rc, MISTRAL_E_INVALID_ARG);
    assert_null(r);
  }
  mistral_raw_response *r;
  assert_int_equal(raw(t, &r, NULL, "/v1/models", NULL), MISTRAL_E_INVALID_ARG);
  assert_null(r);
  assert_int_equal(mistral_raw_call(NULL, t->client, "GET", "/v1/models", NULL, t->err),
                   MISTRAL_E_INVALID_ARG);
  r = (mistral_raw_response *)(uintptr_t)1;
  assert_int_equal(mistral_raw_call(&r, NULL, "GET", "/v1/models", NULL, t->err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(r);
  /* Without a key nothing is sent either. */
  assert_int_equal(mistral_client_set_api_key(t->client, NULL), MISTRAL_OK);
  assert_int_equal(raw(t, &r, "GET", "/v1/models", NULL), MISTRAL_E_NO_API_KEY);
  assert_null(r);
  assert_no_traffic(t);
}

static void test_transport_failure_no_response(void **state) {
  http_ctx *t = *state;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", tu_closed_port());
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  mistral_raw_response *r;
  assert_int_equal(raw(t, &r, "GET", "/v1/models", NULL), MISTRAL_E_CONNECT);
  assert_null(r);
  assert_int_equal(mistral_error_http_status(t->err), 0);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, http_setup, http_teardown)
  const struct CMUnitTest tests[] = {
      T(test_get_without_body),         T(test_post_json_body_verbatim),
      T(test_delete),                   T(test_empty_success_body),
      T(test_error_status_keeps_response), T(test_error_echoing_key),
      T(test_invalid_json_body),        T(test_invalid_path),
      T(test_invalid_method),           T(test_transport_failure_no_response),
  };
#undef T
  return cmocka_run_group_tests_name("http_raw", tests, NULL, NULL);
}
