/* Nothing a caller passes can add a header line or change a request's path:
 * - every setter whose text reaches a header or a libcurl option (API key,
 *   server URL, User-Agent suffix, extra header name and value, proxy, CA
 *   file and directory) refuses CR, LF, CRLF and other control bytes, and a
 *   refused value leaves the client as it was; a NUL ends a C string, so
 *   what follows it is never sent;
 * - the raw call refuses a path with CR, LF, spaces or other non-URL bytes;
 * - every call with a path parameter (the five model calls) percent-encodes
 *   it: '/', '?', '#', '%', spaces, ".." and UTF-8 cannot escape the
 *   segment, checked on the request line the server receives.
 * (Per-setter and per-call unit tests: tests/http/test_transport.c,
 * tests/http/test_raw.c, tests/models/test_models*.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mistral/mistral.h>

#include "fixture_server.h"
#include "sec_util.h"

typedef struct ctx {
  fixture_server *fs;
  mistral_client *client;
  mistral_error *err;
} ctx;

static int setup(void **state) {
  ctx *t = calloc(1, sizeof *t);
  if (!t) return -1;
  t->fs = fixture_server_start(SEC_TEST_KEY);
  if (!t->fs) return -1;
  t->client = sec_client(fixture_server_url(t->fs));
  t->err = mistral_error_new();
  *state = t;
  return 0;
}

static int teardown(void **state) {
  ctx *t = *state;
  mistral_client_free(t->client);
  fixture_server_stop(t->fs);
  mistral_error_free(t->err);
  free(t);
  return 0;
}

/* The i-th request the server received, whole. */
static char *received(ctx *t, size_t i) {
  char *raw = fixture_server_received(t->fs, i);
  assert_non_null(raw);
  return raw;
}

static void hello_ok(ctx *t) {
  tu_expect(t->fs, "security/plain-hello.fixture", 1);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, t->client, req, t->err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(t->err));
  assert_int_equal(rc, MISTRAL_OK);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
}

/* Bytes that must never pass into a header or a libcurl option. */
static const char *const breakers[] = {"\r", "\n", "\r\n", "\r\nX-Injected: 1\r\n",
                                       "\x01", "\x1b", "\x7f", "\v", "\f"};

typedef int (*setter)(mistral_client *c, const char *value);

static int set_key(mistral_client *c, const char *v) { return mistral_client_set_api_key(c, v); }
static int set_url(mistral_client *c, const char *v) { return mistral_client_set_server_url(c, v); }
static int set_ua(mistral_client *c, const char *v) {
  return mistral_client_set_user_agent_suffix(c, v);
}
static int set_header_value(mistral_client *c, const char *v) {
  return mistral_client_add_header(c, "X-Team", v);
}
static int set_header_name(mistral_client *c, const char *v) {
  return mistral_client_add_header(c, v, "search");
}
static int set_proxy(mistral_client *c, const char *v) { return mistral_client_set_proxy(c, v); }
static int set_ca_file(mistral_client *c, const char *v) {
  return mistral_client_set_ca_file(c, v);
}
static int set_ca_path(mistral_client *c, const char *v) {
  return mistral_client_set_ca_path(c, v);
}

static const struct {
  const char *name;
  setter set;
  const char *prefix; /* a valid value the breaker is put into */
} setters[] = {
    {"api key", set_key, "sk-abc"},
    {"server url", set_url, "http://127.0.0.1:9"},
    {"user agent suffix", set_ua, "my-app/1.0"},
    {"header value", set_header_value, "search"},
    {"header name", set_header_name, "X-Team"},
    {"proxy", set_proxy, "http://proxy.local:3128"},
    {"ca file", set_ca_file, "/etc/ssl/certs/ca.pem"},
    {"ca path", set_ca_path, "/etc/ssl/certs"},
};

static void test_setters_refuse_control_bytes(void **state) {
  ctx *t = *state;
  for (size_t s = 0; s < sizeof setters / sizeof *setters; s++) {
    for (size_t b = 0; b < sizeof breakers / sizeof *breakers; b++) {
      char value[128];
      /* In the middle and at the end. */
      for (int at_end = 0; at_end < 2; at_end++) {
        if (at_end)
          snprintf(value, sizeof value, "%s%s", setters[s].prefix, breakers[b]);
        else
          snprintf(value, sizeof value, "%.3s%s%s", setters[s].prefix, breakers[b],
                   setters[s].prefix + 3);
        int rc = setters[s].set(t->client, value);
        if (rc != MISTRAL_E_INVALID_ARG)
          print_error("%s accepted a value with byte 0x%02x\n", setters[s].name,
                      (unsigned char)breakers[b][0]);
        assert_int_equal(rc, MISTRAL_E_INVALID_ARG);
      }
    }
  }
  /* Nothing changed: the next request is the one the fixture expects, with
   * no injected line, the right key and the default User-Agent. */
  assert_string_equal(mistral_client_server_url(t->client), fixture_server_url(t->fs));
  hello_ok(t);
  char *raw = received(t, 0);
  assert_null(strstr(raw, "X-Injected"));
  assert_null(strstr(raw, "X-Team"));
  assert_non_null(strstr(raw, "\r\nAuthorization: Bearer " SEC_TEST_KEY "\r\n"));
  assert_non_null(strstr(raw, "\r\nUser-Agent: mistral-client-c/" MISTRAL_VERSION_STRING "\r\n"));
  free(raw);
  assert_int_equal(fixture_server_mismatches(t->fs), 0);
}

/* A NUL ends the C string: the text after it is not part of the value. */
static void test_nul_ends_the_value(void **state) {
  ctx *t = *state;
  static const char value[] = "search\0\r\nX-Injected: 1";
  assert_int_equal(mistral_client_add_header(t->client, "X-Team", value), MISTRAL_OK);
  static const char suffix[] = "my-app/1.0\0\r\nX-Injected: 2";
  assert_int_equal(mistral_client_set_user_agent_suffix(t->client, suffix), MISTRAL_OK);
  hello_ok(t);
  char *raw = received(t, 0);
  assert_non_null(strstr(raw, "\r\nX-Team: search\r\n"));
  assert_non_null(
      strstr(raw, "\r\nUser-Agent: mistral-client-c/" MISTRAL_VERSION_STRING " my-app/1.0\r\n"));
  assert_null(strstr(raw, "X-Injected"));
  free(raw);
}

static void test_raw_path_refused(void **state) {
  ctx *t = *state;
  static const char *const bad[] = {
      "/v1/models\r\nX-Injected: 1", "/v1/models\n", "/v1/models\r", "/v1/mod els",
      "/v1/models\t",                "/v1/\x01",     "/v1/\x7f",     "/v1/caf\xc3\xa9",
      "http://evil.example/v1/models", "v1/models",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mistral_raw_response *r = (mistral_raw_response *)(uintptr_t)1;
    int rc = mistral_raw_call(&r, t->client, "GET", bad[i], NULL, t->err);
    if (rc != MISTRAL_E_INVALID_ARG) print_error("accepted path #%zu\n", i);
    assert_int_equal(rc, MISTRAL_E_INVALID_ARG);
    assert_null(r);
  }
  assert_int_equal(fixture_server_connections(t->fs), 0);
}

/* ---- path parameters ---- */

/* An id with every character that could change a URL's meaning. */
#define HOSTILE_ID "ft:x/../../v1/files?purpose=batch#frag %41\xc3\xa9"
#define HOSTILE_ENC "ft%3Ax%2F..%2F..%2Fv1%2Ffiles%3Fpurpose%3Dbatch%23frag%20%2541%C3%A9"
/* The id the models fixtures were recorded with. */
#define FT_ENC "ft%3Aopen-mistral-7b%3A587a6b29%3A20240514%3A7e773925"

/* Queues the models fixture rel with the recorded id replaced by the
 * hostile one in the request line (only there). */
static void expect_hostile(ctx *t, const char *rel) {
  char *text = tu_fixture_text(rel, NULL);
  char *at = strstr(text, FT_ENC);
  assert_non_null(at);
  size_t n = strlen(text), fl = strlen(FT_ENC), hl = strlen(HOSTILE_ENC);
  char *out = malloc(n - fl + hl + 1);
  assert_non_null(out);
  memcpy(out, text, (size_t)(at - text));
  memcpy(out + (at - text), HOSTILE_ENC, hl);
  memcpy(out + (at - text) + hl, at + fl, n - (size_t)(at - text) - fl + 1);
  assert_int_equal(fixture_server_expect_text(t->fs, out, 1), 0);
  free(out);
  free(text);
}

static void test_path_parameters_encoded(void **state) {
  ctx *t = *state;
  expect_hostile(t, "models/retrieve-ft.fixture");
  expect_hostile(t, "models/delete.fixture");
  expect_hostile(t, "models/update.fixture");
  expect_hostile(t, "models/archive.fixture");
  expect_hostile(t, "models/unarchive.fixture");
  mistral_model_card *card = NULL;
  mistral_model_result *r = NULL;
  assert_int_equal(mistral_models_retrieve(&card, t->client, HOSTILE_ID, NULL, t->err),
                   MISTRAL_OK);
  mistral_model_card_free(card);
  assert_int_equal(mistral_models_delete(&r, t->client, HOSTILE_ID, NULL, t->err), MISTRAL_OK);
  mistral_model_result_free(r);
  card = NULL;
  assert_int_equal(mistral_models_update(&card, t->client, HOSTILE_ID, "support-bot",
                                         "Answers support tickets in our house style.", NULL,
                                         t->err),
                   MISTRAL_OK);
  mistral_model_card_free(card);
  r = NULL;
  assert_int_equal(mistral_models_archive(&r, t->client, HOSTILE_ID, NULL, t->err), MISTRAL_OK);
  mistral_model_result_free(r);
  r = NULL;
  assert_int_equal(mistral_models_unarchive(&r, t->client, HOSTILE_ID, NULL, t->err),
                   MISTRAL_OK);
  mistral_model_result_free(r);
  tu_assert_served(t->fs);
  /* The request lines, as received. */
  static const char *const lines[] = {
      "GET /v1/models/" HOSTILE_ENC " HTTP/1.1\r\n",
      "DELETE /v1/models/" HOSTILE_ENC " HTTP/1.1\r\n",
      "PATCH /v1/fine_tuning/models/" HOSTILE_ENC " HTTP/1.1\r\n",
      "POST /v1/fine_tuning/models/" HOSTILE_ENC "/archive HTTP/1.1\r\n",
      "DELETE /v1/fine_tuning/models/" HOSTILE_ENC "/archive HTTP/1.1\r\n",
  };
  for (size_t i = 0; i < 5; i++) {
    char *raw = received(t, i);
    assert_true(strncmp(raw, lines[i], strlen(lines[i])) == 0);
    free(raw);
  }
}

/* CR, LF (and, through the length-taking internals, NUL) in an id are
 * refused before anything is sent. */
static void test_path_parameters_refused(void **state) {
  ctx *t = *state;
  static const char *const bad[] = {"ft:x\r\nX-Injected: 1", "ft:x\n", "ft:x\r", "..", "."};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mistral_model_card *card = (mistral_model_card *)(uintptr_t)1;
    assert_int_equal(mistral_models_retrieve(&card, t->client, bad[i], NULL, t->err),
                     MISTRAL_E_INVALID_ARG);
    assert_null(card);
    mistral_model_result *r = (mistral_model_result *)(uintptr_t)1;
    assert_int_equal(mistral_models_delete(&r, t->client, bad[i], NULL, t->err),
                     MISTRAL_E_INVALID_ARG);
    assert_null(r);
  }
  assert_int_equal(fixture_server_connections(t->fs), 0);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_setters_refuse_control_bytes), T(test_nul_ends_the_value),
      T(test_raw_path_refused),             T(test_path_parameters_encoded),
      T(test_path_parameters_refused),
  };
#undef T
  return cmocka_run_group_tests_name("security_injection", tests, NULL, NULL);
}
