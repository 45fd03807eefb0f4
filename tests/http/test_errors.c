/* Every way a call can fail, over the loopback fixture server: each HTTP
 * error status to its status code and error fields, bad success bodies,
 * transport failures (cut bodies, refused connections, DNS, timeouts, size
 * limit), retryability, and that the API key never leaves through an error
 * or a log line. Fixtures: tests/fixtures/errors/. */
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

/* ---- requests the error fixtures expect ---- */

static mistral_chat_request *req_hello(void) { return tu_hello_request(); }

static mistral_chat_request *req_typo_model(void) {
  mistral_chat_request *req = tu_hello_request();
  assert_int_equal(mistral_chat_request_set_model(req, "mistral-smal-latest"), MISTRAL_OK);
  return req;
}

static mistral_chat_request *req_null_content(void) {
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, NULL),
                   MISTRAL_OK);
  return req;
}

static mistral_chat_request *req_ends_with_assistant(void) {
  mistral_chat_request *req = tu_hello_request();
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_ASSISTANT, "Hi!"),
                   MISTRAL_OK);
  return req;
}

/* Sends the request against the fixture and returns the status, checking
 * that no response is handed out on failure and that the error object is
 * consistent with the status. */
static int call(http_ctx *t, const char *rel, mistral_chat_request *(*make)(void)) {
  if (rel) tu_expect(t->fs, rel, 1);
  mistral_chat_request *req = make();
  mistral_chat_response *resp = (mistral_chat_response *)(uintptr_t)1; /* must be reset */
  int rc = mistral_chat_complete(&resp, t->client, req, t->err);
  mistral_chat_request_free(req);
  assert_null(resp);
  assert_int_equal(mistral_error_code(t->err), rc);
  assert_true(strlen(mistral_error_message(t->err)) > 0);
  tu_assert_error_clean(t->err, HTTP_TEST_KEY);
  http_assert_log_clean(&t->log, HTTP_TEST_KEY);
  return rc;
}

/* ---- HTTP error statuses ---- */

typedef struct status_case {
  const char *fixture;
  mistral_chat_request *(*make)(void);
  int code;
  int http;
  const char *api_message, *api_type, *api_code, *api_param, *request_id;
  int retryable;
  const char *says; /* more the message must say, or NULL */
} status_case;

static const status_case status_cases[] = {
    {"errors/401-unauthorized.fixture", req_hello, MISTRAL_E_UNAUTHORIZED, 401, "Unauthorized",
     NULL, NULL, NULL, "4d3c2b1a0f9e8d7c6b5a49382716a5f4", 0, NULL},
    {"errors/403-forbidden.fixture", req_hello, MISTRAL_E_FORBIDDEN, 403,
     "You do not have access to this model", "forbidden", "1701", "model",
     "8b7a6f5e4d3c4b2a1f0e9d8c7b6a5f4e", 0, NULL},
    {"errors/404-invalid-model.fixture", req_typo_model, MISTRAL_E_NOT_FOUND, 404,
     "Invalid model: mistral-smal-latest", "invalid_model", "1500", NULL,
     "9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a5f", 0, NULL},
    {"errors/400-invalid-request.fixture", req_ends_with_assistant, MISTRAL_E_HTTP, 400,
     "Expected last role User or Tool (or Assistant with prefix True) for serving but got "
     "assistant",
     "invalid_request_error", "3051", NULL, "6e5d4c3b2a1f40e9d8c7b6a5f4e3d2c1", 0, NULL},
    {"errors/408-request-timeout.fixture", req_hello, MISTRAL_E_HTTP, 408, NULL, NULL, NULL,
     NULL, NULL, 1, "empty body"},
    {"errors/422-string-detail.fixture", req_hello, MISTRAL_E_VALIDATION, 422,
     "Prompt contains 40012 tokens and 0 draft tokens, too large for model with 32768 maximum "
     "context length",
     NULL, NULL, NULL, "5f4e3d2c1b0a49f8e7d6c5b4a3928170", 0, NULL},
    {"errors/429-rate-limited.fixture", req_hello, MISTRAL_E_RATE_LIMITED, 429,
     "Requests rate limit exceeded", "rate_limited", "1300", NULL,
     "7d6c5b4a3f2e41d0c9b8a7f6e5d4c3b2", 1, NULL},
    {"errors/500-server-error.fixture", req_hello, MISTRAL_E_SERVER, 500, "Internal server error",
     "internal_server_error", "1000", NULL, "8e7d6c5b4a3f42e1d0c9b8a7f6e5d4c3", 1, NULL},
    {"errors/502-bad-gateway-html.fixture", req_hello, MISTRAL_E_SERVER, 502, NULL, NULL, NULL,
     NULL, NULL, 1, "not JSON"},
    {"errors/503-unavailable.fixture", req_hello, MISTRAL_E_SERVER, 503,
     "Service unavailable, please retry later", NULL, NULL, NULL,
     "9f8e7d6c5b4a43f2e1d0c9b8a7f6e5d4", 1, NULL},
};

static void assert_opt_string(const char *got, const char *want) {
  if (want) assert_string_equal(got, want);
  else assert_null(got);
}

static void test_http_statuses(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  for (size_t i = 0; i < sizeof status_cases / sizeof *status_cases; i++) {
    const status_case *c = &status_cases[i];
    int rc = call(t, c->fixture, c->make);
    const mistral_error *e = t->err;
    if (rc != c->code) print_error("%s: %s\n", c->fixture, mistral_error_message(e));
    assert_int_equal(rc, c->code);
    assert_int_equal(mistral_error_http_status(e), c->http);
    assert_opt_string(mistral_error_api_message(e), c->api_message);
    assert_opt_string(mistral_error_api_type(e), c->api_type);
    assert_opt_string(mistral_error_api_code(e), c->api_code);
    assert_opt_string(mistral_error_api_param(e), c->api_param);
    assert_opt_string(mistral_error_request_id(e), c->request_id);
    assert_int_equal(mistral_error_detail_count(e), 0);
    assert_null(mistral_error_detail_loc(e, 0));
    assert_null(mistral_error_transport_message(e));
    assert_int_equal(mistral_error_is_retryable(e), c->retryable);

    /* The body as received (none for an empty one). */
    char *body = tu_fixture_body(c->fixture, NULL);
    if (*body) assert_string_equal(mistral_error_body(e), body);
    else assert_null(mistral_error_body(e));
    free(body);

    /* One line for a person: the status, the API's words, the request id. */
    const char *msg = mistral_error_message(e);
    char http[16];
    snprintf(http, sizeof http, "HTTP %d", c->http);
    assert_true(tu_contains(msg, http));
    if (c->api_message) assert_true(tu_contains(msg, c->api_message));
    if (c->request_id) assert_true(tu_contains(msg, c->request_id));
    if (c->says) assert_true(tu_contains(msg, c->says));
    assert_null(strchr(msg, '\n'));
  }
  tu_assert_served(t->fs);
  /* The log said something about the failures. */
  assert_true(t->log.count > 0);
}

static void test_422_detail_list(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  int rc = call(t, "errors/422-detail-list.fixture", req_null_content);
  tu_assert_served(t->fs);
  const mistral_error *e = t->err;
  assert_int_equal(rc, MISTRAL_E_VALIDATION);
  assert_int_equal(mistral_error_http_status(e), 422);
  assert_int_equal(mistral_error_detail_count(e), 2);
  assert_string_equal(mistral_error_detail_loc(e, 0), "body.messages.0.content");
  assert_string_equal(mistral_error_detail_msg(e, 0), "Input should be a valid string");
  assert_string_equal(mistral_error_detail_type(e, 0), "string_type");
  assert_string_equal(mistral_error_detail_loc(e, 1),
                      "body.messages.0.user.content.list[ContentChunk]");
  assert_string_equal(mistral_error_detail_msg(e, 1), "Input should be a valid list");
  assert_string_equal(mistral_error_detail_type(e, 1), "list_type");
  assert_null(mistral_error_detail_loc(e, 2));
  assert_null(mistral_error_detail_msg(e, 2));
  assert_null(mistral_error_detail_type(e, 2));
  assert_null(mistral_error_api_message(e));
  assert_string_equal(mistral_error_request_id(e), "0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5");
  assert_false(mistral_error_is_retryable(e));
  const char *msg = mistral_error_message(e);
  assert_true(tu_contains(msg, "HTTP 422"));
  assert_true(tu_contains(msg, "body.messages.0.content: Input should be a valid string"));
  char *body = tu_fixture_body("errors/422-detail-list.fixture", NULL);
  assert_string_equal(mistral_error_body(e), body);
  free(body);
}

/* ---- success status, unusable body ---- */

static void test_bad_success_bodies(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  static const struct {
    const char *fixture, *request_id;
  } cases[] = {
      {"errors/200-malformed-json.fixture", "3c2b1a0f9e8d47c6b5a4f3e2d1c0b9a8"},
      {"errors/200-empty-body.fixture", "4d3c2b1a0f9e48d7c6b5a4f3e2d1c0b9"},
      {"errors/200-json-array.fixture", "5e4d3c2b1a0f49e8d7c6b5a4f3e2d1c0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int rc = call(t, cases[i].fixture, req_hello);
    if (rc != MISTRAL_E_BAD_RESPONSE)
      print_error("%s: %s\n", cases[i].fixture, mistral_error_message(t->err));
    assert_int_equal(rc, MISTRAL_E_BAD_RESPONSE);
    /* The response that was bad, and its id to quote to support. */
    assert_int_equal(mistral_error_http_status(t->err), 200);
    assert_string_equal(mistral_error_request_id(t->err), cases[i].request_id);
    assert_false(mistral_error_is_retryable(t->err));
    assert_null(mistral_error_transport_message(t->err));
  }
  tu_assert_served(t->fs);
}

/* ---- transport failures ---- */

static void test_truncated(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  const char *fixtures[] = {"errors/truncated-body.fixture",
                            "errors/lying-content-length.fixture"};
  for (size_t i = 0; i < 2; i++) {
    int rc = call(t, fixtures[i], req_hello);
    if (rc != MISTRAL_E_TRUNCATED)
      print_error("%s: %s\n", fixtures[i], mistral_error_message(t->err));
    assert_int_equal(rc, MISTRAL_E_TRUNCATED);
    assert_true(mistral_error_is_retryable(t->err));
    assert_non_null(mistral_error_transport_message(t->err));
    assert_true(tu_contains(mistral_error_message(t->err), "/v1/chat/completions"));
  }
  /* The client is fine afterwards (on a new connection). */
  int rc = call(t, "errors/truncated-body.fixture", req_hello);
  assert_int_equal(rc, MISTRAL_E_TRUNCATED);
  tu_expect(t->fs, "chat/response/plain-text.fixture", 1);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, t->err), MISTRAL_OK);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  tu_assert_served(t->fs);
}

static void test_connection_refused(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", tu_closed_port());
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  int rc = call(t, NULL, req_hello);
  assert_int_equal(rc, MISTRAL_E_CONNECT);
  assert_int_equal(mistral_error_http_status(t->err), 0);
  assert_non_null(mistral_error_transport_message(t->err));
  assert_null(mistral_error_body(t->err));
  assert_true(mistral_error_is_retryable(t->err));
  assert_int_equal(fixture_server_requests(t->fs), 0);
}

static void test_dns_failure(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  /* .invalid never resolves (RFC 6761); the short timeout bounds the test
   * should a resolver in some sandbox not answer at all. */
  assert_int_equal(mistral_client_set_server_url(t->client, "http://nonexistent.invalid"),
                   MISTRAL_OK);
  assert_int_equal(mistral_client_set_connect_timeout_ms(t->client, 5000), MISTRAL_OK);
  int rc = call(t, NULL, req_hello);
  if (rc != MISTRAL_E_DNS) print_error("%s\n", mistral_error_message(t->err));
  assert_int_equal(rc, MISTRAL_E_DNS);
  assert_int_equal(mistral_error_http_status(t->err), 0);
  assert_non_null(mistral_error_transport_message(t->err));
  assert_true(mistral_error_is_retryable(t->err));
}

static void test_timeout(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  assert_int_equal(mistral_client_set_timeout_ms(t->client, 300), MISTRAL_OK);
  int rc = call(t, "errors/slow-answer.fixture", req_hello);
  assert_int_equal(rc, MISTRAL_E_TIMEOUT);
  assert_true(mistral_error_is_retryable(t->err));
  assert_non_null(mistral_error_transport_message(t->err));
  tu_assert_served(t->fs);
}

static void test_too_large(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  assert_int_equal(mistral_client_set_max_response_bytes(t->client, 256), MISTRAL_OK);
  int rc = call(t, "errors/large-answer.fixture", req_hello);
  assert_int_equal(rc, MISTRAL_E_TOO_LARGE);
  assert_false(mistral_error_is_retryable(t->err));
  assert_true(tu_contains(mistral_error_message(t->err), "256"));
  /* With the default limit the same answer passes. */
  assert_int_equal(mistral_client_set_max_response_bytes(t->client, 0), MISTRAL_OK);
  tu_expect(t->fs, "errors/large-answer.fixture", 1);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, t->err), MISTRAL_OK);
  assert_true(strlen(mistral_chat_response_text(resp)) > 256);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  tu_assert_served(t->fs);
}

static void test_no_api_key(void **state) {
  http_ctx *t = *state;
  assert_int_equal(mistral_client_set_api_key(t->client, NULL), MISTRAL_OK);
  int rc = call(t, NULL, req_hello);
  assert_int_equal(rc, MISTRAL_E_NO_API_KEY);
  assert_false(mistral_error_is_retryable(t->err));
  assert_int_equal(fixture_server_requests(t->fs), 0);
}

/* ---- the key never leaves ---- */

static void test_key_echo_redacted(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);

  assert_int_equal(call(t, "errors/401-key-echo.fixture", req_hello), MISTRAL_E_UNAUTHORIZED);
  assert_true(tu_contains(mistral_error_api_message(t->err), "[REDACTED]"));
  assert_true(tu_contains(mistral_error_body(t->err), "[REDACTED]"));
  assert_true(tu_contains(mistral_error_message(t->err), "Invalid API key"));

  assert_int_equal(call(t, "errors/422-key-echo.fixture", req_hello), MISTRAL_E_VALIDATION);
  assert_int_equal(mistral_error_detail_count(t->err), 1);
  assert_true(tu_contains(mistral_error_detail_loc(t->err, 0), "[REDACTED]"));
  assert_true(tu_contains(mistral_error_detail_msg(t->err, 0), "[REDACTED]"));
  assert_true(tu_contains(mistral_error_detail_type(t->err, 0), "[REDACTED]"));

  assert_int_equal(call(t, "errors/502-key-echo.fixture", req_hello), MISTRAL_E_SERVER);
  assert_true(tu_contains(mistral_error_body(t->err), "Bearer [REDACTED]"));

  /* jansson quotes the text near a syntax error: here, the key. */
  assert_int_equal(call(t, "errors/200-malformed-key-echo.fixture", req_hello),
                   MISTRAL_E_BAD_RESPONSE);
  assert_true(tu_contains(mistral_error_message(t->err), "[REDACTED]"));

  tu_assert_served(t->fs);
  assert_true(t->log.count > 0);
}

/* A reused error object is cleared by the next call. */
static void test_error_object_reused(void **state) {
  http_ctx *t = *state;
  assert_int_equal(call(t, "errors/422-detail-list.fixture", req_null_content),
                   MISTRAL_E_VALIDATION);
  tu_expect(t->fs, "chat/response/plain-text.fixture", 1);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, t->err), MISTRAL_OK);
  assert_int_equal(mistral_error_code(t->err), MISTRAL_OK);
  assert_int_equal(mistral_error_http_status(t->err), 0);
  assert_int_equal(mistral_error_detail_count(t->err), 0);
  assert_null(mistral_error_body(t->err));
  assert_string_equal(mistral_error_message(t->err), "");
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  /* NULL error object: the status alone. */
  tu_expect(t->fs, "errors/429-rate-limited.fixture", 1);
  req = tu_hello_request();
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, NULL), MISTRAL_E_RATE_LIMITED);
  assert_null(resp);
  mistral_chat_request_free(req);
  tu_assert_served(t->fs);
}

static void test_status_retryable_table(void **state) {
  (void)state;
  static const int yes[] = {MISTRAL_E_CONNECT, MISTRAL_E_DNS, MISTRAL_E_TIMEOUT,
                            MISTRAL_E_NETWORK, MISTRAL_E_TRUNCATED, MISTRAL_E_RATE_LIMITED,
                            MISTRAL_E_SERVER};
  static const int no[] = {MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM,
                           MISTRAL_E_NO_API_KEY, MISTRAL_E_TLS, MISTRAL_E_BAD_RESPONSE,
                           MISTRAL_E_UNAUTHORIZED, MISTRAL_E_FORBIDDEN, MISTRAL_E_NOT_FOUND,
                           MISTRAL_E_VALIDATION, MISTRAL_E_HTTP, MISTRAL_E_CANCELLED,
                           MISTRAL_E_TOO_LARGE, MISTRAL_E_INTERNAL};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
    assert_true(mistral_status_is_retryable(yes[i]));
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    assert_false(mistral_status_is_retryable(no[i]));
  assert_false(mistral_error_is_retryable(NULL));
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, http_setup, http_teardown)
  const struct CMUnitTest tests[] = {
      T(test_http_statuses),     T(test_422_detail_list),   T(test_bad_success_bodies),
      T(test_truncated),         T(test_connection_refused), T(test_dns_failure),
      T(test_timeout),           T(test_too_large),         T(test_no_api_key),
      T(test_key_echo_redacted), T(test_error_object_reused),
      cmocka_unit_test(test_status_retryable_table),
  };
#undef T
  return cmocka_run_group_tests_name("http_errors", tests, NULL, NULL);
}
