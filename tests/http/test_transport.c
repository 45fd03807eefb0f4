/* What goes over the wire, checked on the loopback fixture server: one
 * kept-alive connection for sequential calls, the User-Agent,
 * Authorization and extra headers, the server URL (setter, trailing slash,
 * environment), and the log callback. */
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

#define PLAIN "chat/response/plain-text.fixture"

/* One hello call on client, expected to succeed. */
static void hello(mistral_client *client, mistral_error *err) {
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_string_equal(mistral_chat_response_text(resp), "Hello! How can I help you today?");
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
}

/* Asserts that request i carried header name exactly once, with value want
 * (want NULL: not at all). */
static void assert_sent(const http_ctx *t, size_t i, const char *name, const char *want) {
  size_t count = 0;
  char *got = http_received_header(t->fs, i, name, &count);
  if (want) {
    assert_int_equal(count, 1);
    assert_string_equal(got, want);
  } else {
    assert_int_equal(count, 0);
  }
  free(got);
}

static void test_one_connection_for_1000_calls(void **state) {
  http_ctx *t = *state;
  tu_expect(t->fs, PLAIN, 1000);
  for (int i = 0; i < 1000; i++) hello(t->client, t->err);
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 1000);
  assert_int_equal(fixture_server_connections(t->fs), 1);
}

static void test_chunked_response(void **state) {
  http_ctx *t = *state;
  tu_expect(t->fs, "chat/response/chunked-transfer.fixture", 1);
  tu_expect(t->fs, PLAIN, 1);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, t->err), MISTRAL_OK);
  assert_string_equal(mistral_chat_response_text(resp), "Hello! Sent in pieces, whole again.");
  assert_string_equal(resp->request_id, "4b5c6d7e8f9a40b1c2d3e4f5a6b7c8d9");
  assert_true(resp->raw_json_len > 300);
  assert_int_equal(strlen(resp->raw_json), resp->raw_json_len);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  hello(t->client, t->err); /* and the connection is reused after it */
  assert_int_equal(fixture_server_connections(t->fs), 1);
  tu_assert_served(t->fs);
}

static void test_user_agent(void **state) {
  http_ctx *t = *state;
  tu_expect(t->fs, PLAIN, 3);
  hello(t->client, t->err);
  assert_sent(t, 0, "User-Agent", "mistral-client-c/" MISTRAL_VERSION_STRING);

  assert_int_equal(mistral_client_set_user_agent_suffix(t->client, "my-app/1.0"), MISTRAL_OK);
  hello(t->client, t->err);
  assert_sent(t, 1, "User-Agent", "mistral-client-c/" MISTRAL_VERSION_STRING " my-app/1.0");

  /* A bad suffix is refused and changes nothing. */
  assert_int_equal(mistral_client_set_user_agent_suffix(t->client, "evil\r\nX-Injected: 1"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_user_agent_suffix(t->client, "a\nb"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_user_agent_suffix(t->client, "\xff\xfe"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_user_agent_suffix(NULL, "x"), MISTRAL_E_INVALID_ARG);
  /* NULL removes the suffix. */
  assert_int_equal(mistral_client_set_user_agent_suffix(t->client, NULL), MISTRAL_OK);
  hello(t->client, t->err);
  assert_sent(t, 2, "User-Agent", "mistral-client-c/" MISTRAL_VERSION_STRING);
  assert_sent(t, 2, "X-Injected", NULL);
  tu_assert_served(t->fs);
}

static void test_authorization_and_content_headers(void **state) {
  http_ctx *t = *state;
  tu_expect(t->fs, PLAIN, 1);
  hello(t->client, t->err);
  assert_sent(t, 0, "Authorization", "Bearer " HTTP_TEST_KEY);
  assert_sent(t, 0, "Content-Type", "application/json");
  assert_sent(t, 0, "Accept", "application/json");
  assert_sent(t, 0, "Expect", NULL); /* no 100-continue round trip */
  char *body = tu_received_body(t->fs, 0);
  assert_string_equal(body,
                      "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\","
                      "\"content\":\"Hello\"}]}");
  free(body);
  char *raw = fixture_server_received(t->fs, 0);
  assert_non_null(raw);
  assert_true(strncmp(raw, "POST /v1/chat/completions HTTP/1.1\r\n", 36) == 0);
  free(raw);
  tu_assert_served(t->fs);
}

static void test_extra_headers(void **state) {
  http_ctx *t = *state;
  mistral_client *c = t->client;
  assert_int_equal(mistral_client_add_header(c, "X-Team", "search"), MISTRAL_OK);
  assert_int_equal(mistral_client_add_header(c, "X-Trace-Id", "abc-123"), MISTRAL_OK);
  /* The same name again (any case) replaces the value. */
  assert_int_equal(mistral_client_add_header(c, "x-team", "ranking"), MISTRAL_OK);

  /* Headers the library owns. */
  static const char *const reserved[] = {"Authorization", "authorization", "Content-Type",
                                         "Accept",        "User-Agent",    "Content-Length",
                                         "Host",          "HOST"};
  for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
    assert_int_equal(mistral_client_add_header(c, reserved[i], "x"), MISTRAL_E_INVALID_ARG);
  /* Header injection and bad values. */
  assert_int_equal(mistral_client_add_header(c, "X-Evil", "a\r\nX-Injected: 1"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(c, "X-Evil", "a\nb"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(c, "X-Evil", "a\rb"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(c, "X-Evil", "\xc3\x28"), MISTRAL_E_INVALID_ARG);
  /* Bad names. */
  assert_int_equal(mistral_client_add_header(c, "", "x"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(c, "X Evil", "x"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(c, "X-Evil:", "x"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(c, "X-Evil\r\nX-Injected", "x"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(c, NULL, "x"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(c, "X-Evil", NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_add_header(NULL, "X-Evil", "x"), MISTRAL_E_INVALID_ARG);

  tu_expect(t->fs, PLAIN, 1);
  hello(c, t->err);
  assert_sent(t, 0, "X-Team", "ranking");
  assert_sent(t, 0, "X-Trace-Id", "abc-123");
  assert_sent(t, 0, "X-Evil", NULL);
  assert_sent(t, 0, "X-Injected", NULL);
  /* The refused attempts left the owned headers alone. */
  assert_sent(t, 0, "Authorization", "Bearer " HTTP_TEST_KEY);
  assert_sent(t, 0, "Accept", "application/json");
  tu_assert_served(t->fs);
}

static void test_trailing_slash(void **state) {
  http_ctx *t = *state;
  const char *base = fixture_server_url(t->fs);
  char url[128];
  snprintf(url, sizeof url, "%s/", base);
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  assert_string_equal(mistral_client_server_url(t->client), base);
  tu_expect(t->fs, PLAIN, 2);
  hello(t->client, t->err);
  snprintf(url, sizeof url, "%s///", base);
  assert_int_equal(mistral_client_set_server_url(t->client, url), MISTRAL_OK);
  assert_string_equal(mistral_client_server_url(t->client), base);
  hello(t->client, t->err);
  tu_assert_served(t->fs); /* the fixture checks the path: no "//v1" */
}

static void test_environment(void **state) {
  http_ctx *t = *state;
  char url[128];
  snprintf(url, sizeof url, "%s/", fixture_server_url(t->fs));
  assert_int_equal(setenv("MISTRAL_SERVER_URL", url, 1), 0);
  assert_int_equal(setenv("MISTRAL_API_KEY", HTTP_TEST_KEY, 1), 0);
  mistral_client *c = NULL;
  assert_int_equal(mistral_client_new(&c), MISTRAL_OK);
  tu_clean_env(); /* read once, at creation */
  assert_string_equal(mistral_client_server_url(c), fixture_server_url(t->fs));
  tu_expect(t->fs, PLAIN, 1);
  hello(c, t->err); /* the fixture checks "Bearer {{API_KEY}}" */
  assert_sent(t, 0, "Authorization", "Bearer " HTTP_TEST_KEY);
  mistral_client_free(c);

  /* An invalid URL in the environment fails the creation. */
  assert_int_equal(setenv("MISTRAL_SERVER_URL", "ftp://example.com", 1), 0);
  c = (mistral_client *)(uintptr_t)1;
  assert_int_equal(mistral_client_new(&c), MISTRAL_E_INVALID_ARG);
  assert_null(c);
  tu_clean_env();

  /* Neither set: the default server, and no key (nothing is sent). */
  assert_int_equal(setenv("MISTRAL_API_KEY", "", 1), 0);
  assert_int_equal(mistral_client_new(&c), MISTRAL_OK);
  assert_string_equal(mistral_client_server_url(c), MISTRAL_DEFAULT_SERVER_URL);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, c, req, t->err), MISTRAL_E_NO_API_KEY);
  mistral_chat_request_free(req);
  mistral_client_free(c);
  tu_clean_env();
  assert_int_equal(mistral_client_new(NULL), MISTRAL_E_INVALID_ARG);
  tu_assert_served(t->fs);
  assert_int_equal(fixture_server_requests(t->fs), 1);
}

static void test_server_url_validation(void **state) {
  http_ctx *t = *state;
  mistral_client *c = t->client;
  const char *before = fixture_server_url(t->fs);
  static const char *const bad[] = {
      "ftp://example.com", "file:///etc/passwd", "gopher://x", "garbage", "", "mistral.ai",
      "//api.mistral.ai",  "http://",            "https://",   "https:///", "http:/x",
      "http://exa mple.com", "http://a\r\nb",    "http://a\nb", "http://\xff\xfe.com",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (mistral_client_set_server_url(c, bad[i]) != MISTRAL_E_INVALID_ARG)
      print_error("accepted \"%s\"\n", bad[i]);
    assert_int_equal(mistral_client_set_server_url(c, bad[i]), MISTRAL_E_INVALID_ARG);
    assert_string_equal(mistral_client_server_url(c), before); /* unchanged */
  }
  assert_int_equal(mistral_client_set_server_url(NULL, before), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_server_url(c, "https://api.example.com:8443"), MISTRAL_OK);
  assert_string_equal(mistral_client_server_url(c), "https://api.example.com:8443");
  assert_int_equal(mistral_client_set_server_url(c, NULL), MISTRAL_OK);
  assert_string_equal(mistral_client_server_url(c), MISTRAL_DEFAULT_SERVER_URL);
  assert_int_equal(fixture_server_requests(t->fs), 0);
}

static void test_api_key_validation(void **state) {
  http_ctx *t = *state;
  mistral_client *c = t->client;
  assert_int_equal(mistral_client_set_api_key(c, ""), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_api_key(c, "key\r\nX-Injected: 1"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_api_key(c, "two words"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_api_key(NULL, "k"), MISTRAL_E_INVALID_ARG);
  /* The refused keys left the configured one in place. */
  tu_expect(t->fs, PLAIN, 1);
  hello(c, t->err);
  assert_sent(t, 0, "Authorization", "Bearer " HTTP_TEST_KEY);
  assert_sent(t, 0, "X-Injected", NULL);
  tu_assert_served(t->fs);
}

static void test_log_callback(void **state) {
  http_ctx *t = *state;
  http_capture_log(t);
  tu_expect(t->fs, PLAIN, 1);
  tu_expect(t->fs, "errors/401-key-echo.fixture", 1);
  hello(t->client, t->err);
  size_t after_success = t->log.count;
  assert_true(after_success > 0); /* a debug line per exchange */
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, t->err),
                   MISTRAL_E_UNAUTHORIZED);
  assert_true(t->log.count > after_success);
  http_assert_log_clean(&t->log, HTTP_TEST_KEY);
  for (size_t i = 0; i < t->log.count; i++) {
    assert_true(strlen(t->log.lines[i]) > 0);
    assert_null(strchr(t->log.lines[i], '\n'));
  }

  /* min_level filters: a refused key is nothing at ERROR level... */
  size_t before = t->log.count;
  http_capture_log_level(t, MISTRAL_LOG_ERROR);
  tu_expect(t->fs, "errors/401-key-echo.fixture", 1);
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, t->err),
                   MISTRAL_E_UNAUTHORIZED);
  assert_int_equal(t->log.count, before);
  /* ...but is at INFO. */
  http_capture_log_level(t, MISTRAL_LOG_INFO);
  tu_expect(t->fs, "errors/401-key-echo.fixture", 1);
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, t->err),
                   MISTRAL_E_UNAUTHORIZED);
  assert_true(t->log.count > before);
  /* NULL turns logging off. */
  before = t->log.count;
  assert_int_equal(
      mistral_client_set_log_callback(t->client, NULL, MISTRAL_LOG_DEBUG, NULL), MISTRAL_OK);
  tu_expect(t->fs, "errors/401-key-echo.fixture", 1);
  assert_int_equal(mistral_chat_complete(&resp, t->client, req, t->err),
                   MISTRAL_E_UNAUTHORIZED);
  assert_int_equal(t->log.count, before);
  http_assert_log_clean(&t->log, HTTP_TEST_KEY);
  assert_int_equal(mistral_client_set_log_callback(t->client, NULL, (mistral_log_level)4, NULL),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_log_callback(t->client, NULL, (mistral_log_level)-1, NULL),
                   MISTRAL_E_INVALID_ARG);
  mistral_chat_request_free(req);
  tu_assert_served(t->fs);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, http_setup, http_teardown)
  const struct CMUnitTest tests[] = {
      T(test_one_connection_for_1000_calls),
      T(test_chunked_response),
      T(test_user_agent),
      T(test_authorization_and_content_headers),
      T(test_extra_headers),
      T(test_trailing_slash),
      T(test_environment),
      T(test_server_url_validation),
      T(test_api_key_validation),
      T(test_log_callback),
  };
#undef T
  return cmocka_run_group_tests_name("http_transport", tests, NULL, NULL);
}
