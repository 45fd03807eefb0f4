/* SPDX-License-Identifier: Apache-2.0 */
/* The mistral program, run as a subprocess (posix_spawn) against the
 * loopback fixture server: what it prints, what it sends, its exit status.
 *
 * Usage: test_cli PATH-TO-mistral   (MISTRAL_FIXTURES: the fixtures dir) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fixture.h"
#include "test_util.h"

/* The fake key of these tests (also in tests/fixtures/cli/key-echo.fixture). */
#define CLI_TEST_KEY "cli-test-key-0d9e8f7a6b5c"
#define HELLO_PROMPT "Say hello in one short sentence."
#define HELLO_ANSWER "Hello there, nice to meet you!"

static const char *cli_path; /* argv[1] */

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

/* Which MISTRAL_* variables the child gets. */
typedef enum { ENV_SERVER_AND_KEY, ENV_SERVER_ONLY, ENV_NONE } env_kind;

/* Runs the program with args (NULL-terminated, without argv[0]), stdin
 * from stdin_text (NULL: /dev/null), the inherited environment minus its
 * MISTRAL_* variables, plus extra ("NAME=value", NULL-terminated; may be
 * NULL). */
static void run_env(tu_cli_ctx *c, tu_cli_result *r, const char *stdin_text,
                    const char *const *extra, const char *const *args) {
  tu_run_cli(r, c->program, args, extra, stdin_text, stdin_text ? strlen(stdin_text) : 0);
}

/* Runs with the server's URL and the test key in the environment. */
static void run_in(tu_cli_ctx *c, tu_cli_result *r, env_kind kind, const char *stdin_text,
                   const char *const *args) {
  const char *extra[3] = {NULL, NULL, NULL};
  if (kind != ENV_NONE) extra[0] = c->url_env;
  if (kind == ENV_SERVER_AND_KEY) extra[1] = c->key_env;
  run_env(c, r, stdin_text, extra, args);
}

#define RUN(c, r, ...) run_in((c), (r), ENV_SERVER_AND_KEY, NULL, TU_ARGS(__VA_ARGS__))

static size_t count_of(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

static int setup(void **state) {
  *state = tu_cli_ctx_new(cli_path, CLI_TEST_KEY);
  return *state ? 0 : -1;
}

static int teardown(void **state) { return tu_cli_ctx_free(*state); }

static char *record_into(tu_cli_ctx *c, const char *name, int expect_status,
                         const char *const *args, char **stdout_text);

/* ------------------------------------------------------------------------ */
/* chat                                                                     */

static void test_chat_prints_text(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-hello.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "chat", "Say", "hello", "in", "one", "short", "sentence.");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, HELLO_ANSWER "\n");
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);

  /* The program names itself in the User-Agent. */
  char *req = fixture_server_received(c->fs, 0);
  assert_non_null(req);
  assert_non_null(strstr(req, "mistral-client-c/"));
  assert_non_null(strstr(req, " mistral-cli/"));
  free(req);
}

static void test_chat_prompt_from_stdin(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-hello.fixture", 2);
  tu_cli_result r;
  /* Trailing line breaks are not part of the prompt. */
  run_in(c, &r, ENV_SERVER_AND_KEY, HELLO_PROMPT "\n", TU_ARGS("chat"));
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, HELLO_ANSWER "\n");
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
  run_in(c, &r, ENV_SERVER_AND_KEY, HELLO_PROMPT "\r\n\n", TU_ARGS("chat", "--model",
                                                                 "mistral-small-latest"));
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, HELLO_ANSWER "\n");
  tu_cli_result_free(&r);
}

static void test_chat_options_reach_the_wire(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-options.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "chat", "-m", "mistral-large-latest", "-s", "Reply with a JSON object only.", "-t",
      "0.2", "--max-tokens", "64", "--seed", "42", "--json", "Name two primary colors.");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "{\"colors\": [\"red\", \"blue\"]}\n");
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
}

static void test_chat_option_spellings(void **state) {
  tu_cli_ctx *c = *state;
  /* "--name=value", "-xVALUE", long names for short options, options
   * between the prompt's words, "--" before the last words. */
  tu_expect(c->fs, "cli/chat-options.fixture", 2);
  tu_cli_result r;
  RUN(c, &r, "chat", "--model=mistral-large-latest", "--system=Reply with a JSON object only.",
      "-t0.2", "Name", "--max-tokens=64", "two", "--json", "--seed", "42", "--", "primary",
      "colors.");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "{\"colors\": [\"red\", \"blue\"]}\n");
  tu_cli_result_free(&r);
  RUN(c, &r, "chat", "--temperature", "2e-1", "--model", "mistral-large-latest", "-s",
      "Reply with a JSON object only.", "--max-tokens", "+64", "--seed=42", "--json",
      "Name two primary colors.");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "{\"colors\": [\"red\", \"blue\"]}\n");
  tu_cli_result_free(&r);
}

static void test_chat_prompt_after_double_dash(void **state) {
  tu_cli_ctx *c = *state;
  static const char fixture_text[] =
      "=== request\n"
      "POST /v1/chat/completions\n"
      "authorization: Bearer {{API_KEY}}\n"
      "\n"
      "{\"model\": \"mistral-small-latest\",\n"
      " \"messages\": [{\"role\": \"user\", \"content\": \"-5 degrees -h is cold?\"}]}\n"
      "=== response\n"
      "HTTP/1.1 200 OK\n"
      "content-type: application/json\n"
      "\n"
      "{\"id\":\"cmpl-1d3f5a7c9e0b4d2f8a6c4e2b0d9f7a5c\",\"object\":\"chat.completion\","
      "\"created\":1764240700,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"
      "\"message\":{\"role\":\"assistant\",\"tool_calls\":null,\"content\":\"Yes.\"},"
      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":14,"
      "\"completion_tokens\":2}}\n";
  assert_int_equal(fixture_server_expect_text(c->fs, fixture_text, 1), 0);
  tu_cli_result r;
  RUN(c, &r, "chat", "--", "-5", "degrees", "-h", "is", "cold?");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "Yes.\n");
  tu_cli_result_free(&r);
}

static void test_chat_raw_prints_json(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-hello.fixture", 1);
  char *body = tu_fixture_body("cli/chat-hello.fixture", NULL);
  tu_cli_result r;
  RUN(c, &r, "chat", "--raw", HELLO_PROMPT);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.out_len, strlen(body) + 1);
  assert_memory_equal(r.out, body, strlen(body));
  assert_int_equal(r.out[r.out_len - 1], '\n');
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
  free(body);
}

static void test_chat_deprecation_warning(void **state) {
  tu_cli_ctx *c = *state;
  static const char fixture_text[] =
      "=== request\n"
      "POST /v1/chat/completions\n"
      "\n"
      "{\"model\": \"open-mistral-7b\",\n"
      " \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n"
      "=== response\n"
      "HTTP/1.1 200 OK\n"
      "content-type: application/json\n"
      "x-model-deprecation-timestamp: 2025-03-30T00:00:00Z\n"
      "\n"
      "{\"id\":\"cmpl-0e2c4a6f8d1b4f3e9c7a5d3b1f0e2c4a\",\"object\":\"chat.completion\","
      "\"created\":1764240800,\"model\":\"open-mistral-7b\",\"choices\":[{\"index\":0,"
      "\"message\":{\"role\":\"assistant\",\"tool_calls\":null,\"content\":\"Hello!\"},"
      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":4,\"total_tokens\":7,"
      "\"completion_tokens\":3}}\n";
  assert_int_equal(fixture_server_expect_text(c->fs, fixture_text, 1), 0);
  tu_cli_result r;
  RUN(c, &r, "chat", "-m", "open-mistral-7b", "Hi");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "Hello!\n");
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "deprecated"));
  assert_non_null(strstr(r.err, "2025-03-30T00:00:00Z"));
  tu_cli_result_free(&r);

  /* record keeps the header. */
  assert_int_equal(fixture_server_expect_text(c->fs, fixture_text, 1), 0);
  char *text = record_into(c, "deprecated.fixture", 0,
                           TU_ARGS("POST", "/v1/chat/completions",
                                "{\"model\":\"open-mistral-7b\",\"messages\":[{\"role\":"
                                "\"user\",\"content\":\"Hi\"}]}"),
                           NULL);
  assert_non_null(strstr(text, "\nx-model-deprecation-timestamp: 2025-03-30T00:00:00Z\n"));
  free(text);
}

/* ------------------------------------------------------------------------ */
/* Failures and exit statuses                                               */

static void test_usage_errors_exit_2(void **state) {
  tu_cli_ctx *c = *state;
  char missing[1024];
  tu_cli_ctx_path(c, "no-such-file.json", missing, sizeof missing);
  char at_missing[1100];
  snprintf(at_missing, sizeof at_missing, "@%s", missing);
  char out_path[1024];
  tu_cli_ctx_path(c, "never.fixture", out_path, sizeof out_path);

  const char *const *cases[] = {
      TU_ARGS("chat", "--bogus", "hi"),
      TU_ARGS("chat", "-x", "hi"),
      TU_ARGS("chat", "-t", "abc", "hi"),
      TU_ARGS("chat", "-t", "0.5x", "hi"),
      TU_ARGS("chat", "-t", "", "hi"),
      TU_ARGS("chat", "-t", " 1", "hi"),
      TU_ARGS("chat", "-t", "nan", "hi"),
      TU_ARGS("chat", "-t", "inf", "hi"),
      TU_ARGS("chat", "-t", "1e999", "hi"),
      TU_ARGS("chat", "-t", "2", "hi"),          /* out of range: the library says no */
      TU_ARGS("chat", "--temperature=-0.5", "hi"),
      TU_ARGS("chat", "--max-tokens", "12abc", "hi"),
      TU_ARGS("chat", "--max-tokens", "-1", "hi"),
      TU_ARGS("chat", "--max-tokens", "99999999999999999999", "hi"),
      TU_ARGS("chat", "--max-tokens", "0x10", "hi"),
      TU_ARGS("chat", "--seed", "1e3", "hi"),
      TU_ARGS("chat", "--seed", "4.0", "hi"),
      TU_ARGS("chat", "hi", "--seed"),           /* no value */
      TU_ARGS("chat", "hi", "-m"),
      TU_ARGS("chat", "--json=yes", "hi"),
      TU_ARGS("chat", "--jso", "hi"),            /* no abbreviations */
      TU_ARGS("chat", "-m", "", "hi"),
      TU_ARGS("chat", ""),                       /* empty prompt */
      TU_ARGS("chat", "--server-url", "ftp://example.com", "hi"),
      TU_ARGS("chat", "\xff\xfe invalid UTF-8"),
      TU_ARGS("bogus"),
      TU_ARGS("--bogus"),
      TU_ARGS("help", "bogus"),
      TU_ARGS("raw"),
      TU_ARGS("raw", "GET"),
      TU_ARGS("raw", "GET", "/v1/models", "{}", "extra"),
      TU_ARGS("raw", "FETCH", "/v1/models"),
      TU_ARGS("raw", "GET", "v1/models"),
      TU_ARGS("raw", "GET", "/v1/mod els"),
      TU_ARGS("raw", "POST", "/v1/chat/completions", "{not json"),
      TU_ARGS("raw", "POST", "/v1/chat/completions", at_missing),
      TU_ARGS("record", "GET", "/v1/models"),    /* no --out */
      TU_ARGS("record", "--out", "", "GET", "/v1/models"),
      TU_ARGS("record", "--out", out_path, "--bogus", "GET", "/v1/models"),
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tu_cli_result r;
    run_in(c, &r, ENV_SERVER_AND_KEY, NULL, cases[i]);
    if (r.status != 2)
      fail_msg("case %zu (%s %s): exit %d, stderr \"%s\"", i, cases[i][0],
               cases[i][1] ? cases[i][1] : "", r.status, r.err);
    tu_assert_one_error_line(&r);
    assert_string_equal(r.out, "");
    tu_cli_result_free(&r);
  }
  /* No argument at all. */
  tu_cli_result r;
  run_in(c, &r, ENV_SERVER_AND_KEY, NULL, (const char *const[]){NULL});
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);
  /* An empty prompt on stdin. */
  run_in(c, &r, ENV_SERVER_AND_KEY, "\n", TU_ARGS("chat"));
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);

  /* Nothing reached the server, and no file was written. */
  assert_int_equal(fixture_server_requests(c->fs), 0);
  assert_int_equal(access(out_path, F_OK), -1);
}

static void test_missing_key_exits_2(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  run_in(c, &r, ENV_SERVER_ONLY, NULL, TU_ARGS("chat", HELLO_PROMPT));
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "MISTRAL_API_KEY"));
  assert_string_equal(r.out, "");
  tu_cli_result_free(&r);
  run_in(c, &r, ENV_SERVER_ONLY, NULL, TU_ARGS("raw", "GET", "/v1/models"));
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

static void test_invalid_environment_exits_2(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  run_env(c, &r, NULL,
          TU_ARGS("MISTRAL_API_KEY=" CLI_TEST_KEY, "MISTRAL_SERVER_URL=gopher://127.0.0.1:1"),
          TU_ARGS("chat", HELLO_PROMPT));
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "MISTRAL_SERVER_URL"));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

static void test_unauthorized_exits_3(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-401.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "chat", "Is this key still valid?");
  assert_int_equal(r.status, 3);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "401"));
  assert_null(strstr(r.err, CLI_TEST_KEY));
  assert_string_equal(r.out, "");
  tu_cli_result_free(&r);
}

static void test_connection_refused_exits_4(void **state) {
  tu_cli_ctx *c = *state;
  /* A port that was just listening and is closed now. */
  fixture_server *gone = tu_server_start(NULL, NULL);
  char url_env[128];
  snprintf(url_env, sizeof url_env, "MISTRAL_SERVER_URL=%s", fixture_server_url(gone));
  fixture_server_stop(gone);
  tu_cli_result r;
  run_env(c, &r, NULL, TU_ARGS(url_env, "MISTRAL_API_KEY=" CLI_TEST_KEY),
          TU_ARGS("chat", HELLO_PROMPT));
  assert_int_equal(r.status, 4);
  tu_assert_one_error_line(&r);
  assert_string_equal(r.out, "");
  tu_cli_result_free(&r);
  run_env(c, &r, NULL, TU_ARGS(url_env, "MISTRAL_API_KEY=" CLI_TEST_KEY),
          TU_ARGS("raw", "GET", "/v1/models"));
  assert_int_equal(r.status, 4);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);
}

static void test_bad_response_exits_1(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-bad-response.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "chat", "Are you there?");
  assert_int_equal(r.status, 1);
  tu_assert_one_error_line(&r);
  assert_string_equal(r.out, "");
  tu_cli_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* raw                                                                      */

static void test_raw_get(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/models-list.fixture", 2);
  char *body = tu_fixture_body("cli/models-list.fixture", NULL);
  tu_cli_result r;
  RUN(c, &r, "raw", "GET", "/v1/models");
  assert_int_equal(r.status, 0);
  assert_int_equal(r.out_len, strlen(body) + 1);
  assert_memory_equal(r.out, body, strlen(body));
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
  /* The method in lower case and --server-url instead of the environment. */
  const char *url = fixture_server_url(c->fs);
  run_env(c, &r, NULL,
          TU_ARGS("MISTRAL_API_KEY=" CLI_TEST_KEY, "MISTRAL_SERVER_URL=http://127.0.0.1:1"),
          TU_ARGS("raw", "--server-url", url, "get", "/v1/models"));
  assert_int_equal(r.status, 0);
  assert_memory_equal(r.out, body, strlen(body));
  tu_cli_result_free(&r);
  free(body);
}

static void test_raw_post_body_sources(void **state) {
  tu_cli_ctx *c = *state;
  static const char request[] =
      "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\","
      "\"content\":\"" HELLO_PROMPT "\"}]}";
  tu_expect(c->fs, "cli/chat-hello.fixture", 3);
  char *body = tu_fixture_body("cli/chat-hello.fixture", NULL);
  char file[1024], at_file[1100];
  tu_cli_ctx_path(c, "body.json", file, sizeof file);
  tu_write_file(file, request, strlen(request));
  snprintf(at_file, sizeof at_file, "@%s", file);

  tu_cli_result r;
  RUN(c, &r, "raw", "POST", "/v1/chat/completions", request);
  assert_int_equal(r.status, 0);
  assert_memory_equal(r.out, body, strlen(body));
  tu_cli_result_free(&r);
  RUN(c, &r, "raw", "POST", "/v1/chat/completions", at_file);
  assert_int_equal(r.status, 0);
  assert_memory_equal(r.out, body, strlen(body));
  tu_cli_result_free(&r);
  run_in(c, &r, ENV_SERVER_AND_KEY, request, TU_ARGS("raw", "POST", "/v1/chat/completions", "-"));
  assert_int_equal(r.status, 0);
  assert_memory_equal(r.out, body, strlen(body));
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
  free(body);
}

static void test_raw_http_error_exits_3(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/raw-404.fixture", 1);
  char *body = tu_fixture_body("cli/raw-404.fixture", NULL);
  tu_cli_result r;
  RUN(c, &r, "raw", "GET", "/v1/models/mistral-nonexistent-model");
  assert_int_equal(r.status, 3);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "404"));
  /* The error body is printed, as for a success. */
  assert_int_equal(r.out_len, strlen(body) + 1);
  assert_memory_equal(r.out, body, strlen(body));
  tu_cli_result_free(&r);
  free(body);
}

/* ------------------------------------------------------------------------ */
/* record                                                                   */

/* No temporary file of an atomic write is left in the directory. */
static void assert_no_temporaries(const tu_cli_ctx *c) {
  DIR *d = opendir(c->dir);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strstr(de->d_name, ".tmp-")) fail_msg("temporary file left: %s", de->d_name);
  closedir(d);
}

static char *record_into(tu_cli_ctx *c, const char *name, int expect_status,
                         const char *const *args, char **stdout_text) {
  char path[1024];
  tu_cli_ctx_path(c, name, path, sizeof path);
  const char *full[8] = {"record", "--out", path};
  size_t n = 3;
  for (size_t i = 0; args[i]; i++) {
    assert_true(n < 7);
    full[n++] = args[i];
  }
  full[n] = NULL;
  tu_cli_result r;
  run_in(c, &r, ENV_SERVER_AND_KEY, NULL, full);
  if (r.status != expect_status) fail_msg("record: exit %d, stderr \"%s\"", r.status, r.err);
  if (expect_status == 0) assert_string_equal(r.err, "");
  if (stdout_text)
    *stdout_text = r.out;
  else
    free(r.out);
  free(r.err);
  assert_no_temporaries(c);
  char *text = tu_read_file(path, NULL);
  assert_non_null(text);
  assert_null(strstr(text, CLI_TEST_KEY));
  assert_non_null(strstr(text, "\nauthorization: Bearer {{API_KEY}}\n"));
  /* It parses as a fixture. */
  char err[256];
  fixture *fx = fixture_load(path, err, sizeof err);
  if (!fx) fail_msg("recorded fixture does not parse: %s", err);
  fixture_free(fx);
  return text;
}

static void test_record_chat_replays(void **state) {
  tu_cli_ctx *c = *state;
  static const char request[] =
      "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\","
      "\"content\":\"" HELLO_PROMPT "\"}]}";
  tu_expect(c->fs, "cli/chat-hello.fixture", 1);
  char *first_out = NULL;
  char *text = record_into(c, "chat.fixture", 0, TU_ARGS("POST", "/v1/chat/completions", request),
                           &first_out);
  char *body = tu_fixture_body("cli/chat-hello.fixture", NULL);
  /* record prints the body like raw. */
  assert_memory_equal(first_out, body, strlen(body));
  free(first_out);
  free(body);
  assert_non_null(strstr(text, "=== request\nPOST /v1/chat/completions\n"));
  assert_non_null(strstr(text, "\ncontent-type: application/json\n"));
  assert_non_null(strstr(text, "=== response\nHTTP/1.1 200 OK\n"));
  assert_non_null(strstr(text, "\nmistral-correlation-id: 019ac6c0-2b1d-7e4f-9a83-1c5d7e9f2b40\n"));
  /* Pretty-printed bodies, numbers and strings as sent. */
  assert_non_null(strstr(text, "\n  \"model\": \"mistral-small-latest\",\n"));
  assert_non_null(strstr(text, "\n  \"created\": 1764240500,\n"));
  assert_non_null(strstr(text, "\"content\": \"" HELLO_ANSWER "\"\n"));
  free(text);

  /* Replayed, it answers the same call made by chat and by raw. */
  char path[1024];
  tu_cli_ctx_path(c, "chat.fixture", path, sizeof path);
  assert_int_equal(fixture_server_expect(c->fs, path, 2), 0);
  tu_cli_result r;
  RUN(c, &r, "chat", HELLO_PROMPT);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, HELLO_ANSWER "\n");
  tu_cli_result_free(&r);
  RUN(c, &r, "raw", "POST", "/v1/chat/completions", request);
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, HELLO_ANSWER));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_mismatches(c->fs), 0);
}

static void test_record_get_replays(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/models-list.fixture", 1);
  char *text = record_into(c, "models.fixture", 0, TU_ARGS("GET", "/v1/models"), NULL);
  /* No body: no content-type, an empty body section. */
  assert_null(strstr(text, "content-type: application/json\n\n{"));
  assert_non_null(strstr(text, "GET /v1/models\nauthorization: Bearer {{API_KEY}}\n\n=== response\n"));
  free(text);
  char path[1024];
  tu_cli_ctx_path(c, "models.fixture", path, sizeof path);
  assert_int_equal(fixture_server_expect(c->fs, path, 1), 0);
  tu_cli_result r;
  RUN(c, &r, "raw", "GET", "/v1/models");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "\"id\": \"mistral-embed\""));
  tu_cli_result_free(&r);
}

static void test_record_scrubs_echoed_key(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/key-echo.fixture", 1);
  /* An error response is recorded too; the exit status still says 401. */
  char *text =
      record_into(c, "echo.fixture", 3, TU_ARGS("GET", "/v1/models/mistral-tiny-2312"), NULL);
  assert_non_null(strstr(text, "HTTP/1.1 401 Unauthorized\n"));
  assert_non_null(strstr(text, "\nx-request-id: {{API_KEY}}\n"));
  assert_non_null(strstr(text, "\"Invalid API key: {{API_KEY}}\""));
  assert_int_equal(count_of(text, "{{API_KEY}}"), 4); /* comment, request, header, body */
  free(text);
  char path[1024];
  tu_cli_ctx_path(c, "echo.fixture", path, sizeof path);
  assert_int_equal(fixture_server_expect(c->fs, path, 1), 0);
  tu_cli_result r;
  RUN(c, &r, "raw", "GET", "/v1/models/mistral-tiny-2312");
  assert_int_equal(r.status, 3);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);
}

static void test_record_keeps_other_bodies_exact(void **state) {
  tu_cli_ctx *c = *state;
  static const char target[] = "/v1/files/6f1d2c3b-4a59-4e68-8f7a-9b0c1d2e3f40/content";
  tu_expect(c->fs, "cli/file-content.fixture", 1);
  char *body = tu_fixture_body("cli/file-content.fixture", NULL);
  char *first_out = NULL;
  char *text = record_into(c, "file.fixture", 0, TU_ARGS("GET", target), &first_out);
  assert_string_equal(first_out, body); /* it ends with a newline: printed as is */
  assert_non_null(strstr(text, "\ncontent-type: application/octet-stream\n"));
  free(text);
  char path[1024];
  tu_cli_ctx_path(c, "file.fixture", path, sizeof path);
  assert_int_equal(fixture_server_expect(c->fs, path, 1), 0);
  tu_cli_result r;
  RUN(c, &r, "raw", "GET", target);
  assert_int_equal(r.status, 0);
  assert_int_equal(r.out_len, strlen(body));
  assert_memory_equal(r.out, body, r.out_len);
  tu_cli_result_free(&r);
  free(first_out);
  free(body);
}

static void test_record_pretty_json_is_equivalent(void **state) {
  tu_cli_ctx *c = *state;
  /* Escapes, non-ASCII text, exponents, empty and nested containers. */
  static const char request[] =
      "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\",\"content\":"
      "\"caf\\u00e9 \\\"quoted\\\" \\\\ \\/ tab\\t \xc3\xbc\"}],\"temperature\":1E-1,"
      "\"stop\":[]}";
  static const char response_body[] =
      "{\"a\":[],\"b\":{},\"c\":\"\\u00e9\\\"\\\\\\/\\n\",\"d\":-1.5e+10,"
      "\"e\":[1,[2,{\"f\":null}]],\"g\":true,\"h\":false,\"i\":0,\"\xc3\xa9\":\"\xc3\xbc\","
      "\"j\":0.30000000000000004}";
  char fixture_text[2048];
  snprintf(fixture_text, sizeof fixture_text,
           "=== request\nPOST /v1/chat/completions\n\n%s\n=== response\nHTTP/1.1 200 OK\n"
           "content-type: application/json\n\n%s\n",
           request, response_body);
  assert_int_equal(fixture_server_expect_text(c->fs, fixture_text, 1), 0);
  char *text = record_into(c, "pretty.fixture", 0, TU_ARGS("POST", "/v1/chat/completions", request),
                           NULL);
  /* Tokens are kept as written. */
  assert_non_null(strstr(text, "\n  \"temperature\": 1E-1,\n"));
  assert_non_null(strstr(text, "\n  \"d\": -1.5e+10,\n"));
  assert_non_null(strstr(text, "\n  \"j\": 0.30000000000000004\n"));
  assert_non_null(strstr(text, "\n  \"a\": [],\n  \"b\": {},\n"));
  free(text);

  /* Replayed: the same request matches, and the body means the same. */
  char path[1024];
  tu_cli_ctx_path(c, "pretty.fixture", path, sizeof path);
  assert_int_equal(fixture_server_expect(c->fs, path, 1), 0);
  tu_cli_result r;
  RUN(c, &r, "raw", "POST", "/v1/chat/completions", request);
  assert_int_equal(r.status, 0);
  json_error_t jerr;
  json_t *want = json_loads(response_body, JSON_REJECT_DUPLICATES, &jerr);
  json_t *got = json_loads(r.out, JSON_REJECT_DUPLICATES, &jerr);
  assert_non_null(want);
  assert_non_null(got);
  assert_true(json_equal(want, got));
  json_decref(want);
  json_decref(got);
  tu_cli_result_free(&r);
}

static void test_record_replaces_file_atomically(void **state) {
  tu_cli_ctx *c = *state;
  char path[1024];
  tu_cli_ctx_path(c, "models.fixture", path, sizeof path);
  static const char old[] = "old content\n";
  tu_write_file(path, old, strlen(old));
  tu_expect(c->fs, "cli/models-list.fixture", 1);
  char *text = record_into(c, "models.fixture", 0, TU_ARGS("GET", "/v1/models"), NULL);
  assert_null(strstr(text, "old content"));
  free(text);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(S_ISREG(st.st_mode));
}

static void test_record_unwritable_exits_1(void **state) {
  tu_cli_ctx *c = *state;
  char path[1024];
  tu_cli_ctx_path(c, "no-such-dir/x.fixture", path, sizeof path);
  tu_expect(c->fs, "cli/models-list.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "record", "-o", path, "GET", "/v1/models");
  assert_int_equal(r.status, 1);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "no-such-dir"));
  tu_cli_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Help and version                                                         */

/* ---- streaming ------------------------------------------------------------ */

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_chat_stream_prints_text(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-hello-stream.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "chat", "--stream", HELLO_PROMPT);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, HELLO_ANSWER "\n");
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
}

static void test_chat_stream_raw_prints_each_chunk(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-hello-stream.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "chat", "--stream", "--raw", HELLO_PROMPT);
  assert_int_equal(r.status, 0);
  /* Six chunks, one JSON object per line, [DONE] not among them. */
  size_t lines = 0;
  for (char *line = r.out, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
    *nl = '\0';
    json_t *v = json_loads(line, 0, NULL);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "object")), "chat.completion.chunk");
    json_decref(v);
    lines++;
  }
  assert_int_equal(lines, 6);
  tu_cli_result_free(&r);
}

static void test_chat_stream_shows_completed_tool_call(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-tool-stream.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "chat", "--stream", "--tool",
      "get_weather={\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}",
      "What is the weather in Paris?");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "Let me check.\n[tool call get_weather id=call_1] {\"city\":\"Paris\"}\n");
  tu_cli_result_free(&r);
}

/* Ctrl-C in the middle of a trickling stream: the text so far stays on
 * stdout, one line on stderr, exit status 130, and the connection closes. */
/* Runs the CLI with argv on a trickling stream, sends SIGINT once `first`
 * is on its stdout, and checks that it stopped at once: exit 130,
 * "interrupted", `later` never printed, the connection closed. */
static void interrupt_stream(tu_cli_ctx *c, char *const argv[], const char *first,
                             const char *later) {
  char out_path[512], err_path[512];
  tu_cli_ctx_path(c, "stdout", out_path, sizeof out_path);
  tu_cli_ctx_path(c, "stderr", err_path, sizeof err_path);
  char *envp[] = {c->url_env, c->key_env, NULL};
  posix_spawn_file_actions_t fa;
  assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  assert_int_equal(posix_spawn(&pid, cli_path, &fa, NULL, argv, envp), 0);
  posix_spawn_file_actions_destroy(&fa);
  /* Wait for the first words, then interrupt. */
  size_t len = 0;
  for (int i = 0; i < 100; i++) {
    char *out = tu_read_file(out_path, &len);
    int started = out && strstr(out, first) != NULL;
    free(out);
    if (started) break;
    sleep_ms(50);
  }
  assert_int_equal(kill(pid, SIGINT), 0);
  int wstatus;
  while (waitpid(pid, &wstatus, 0) < 0) assert_int_equal(errno, EINTR);
  assert_true(WIFEXITED(wstatus));
  assert_int_equal(WEXITSTATUS(wstatus), 130);
  char *out = tu_read_file(out_path, &len);
  char *err = tu_read_file(err_path, &len);
  assert_non_null(strstr(out, first));
  assert_null(strstr(out, later)); /* stopped before the end */
  assert_string_equal(err, "mistral: interrupted\n");
  free(out);
  free(err);
  /* The server saw the connection go away before the stream ended. */
  for (int i = 0; i < 100 && fixture_server_connections_closed(c->fs) < 1; i++) sleep_ms(20);
  assert_int_equal(fixture_server_connections_closed(c->fs), 1);
}

static void test_chat_stream_stops_on_sigint(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/chat-slow-stream.fixture", 1);
  char *argv[] = {(char *)cli_path, (char *)"chat", (char *)"--stream", (char *)HELLO_PROMPT,
                  NULL};
  interrupt_stream(c, argv, "Hello", "you!");
}

/* ---- fim -------------------------------------------------------------------- */

#define FIM_PROMPT "def fibonacci(n: int) -> int:\n"
#define FIM_SUFFIX "\n\nprint(fibonacci(10))\n"
#define FIM_MIDDLE "    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)"

/* The examples' FIM exchanges serve the CLI too: same prompt, suffix and
 * model. */
static void test_fim_prints_the_middle(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "examples/fim.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "fim", "--prompt", FIM_PROMPT, "--suffix", FIM_SUFFIX);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, FIM_MIDDLE "\n");
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
}

static void test_fim_stream_and_stdin(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "examples/fim-stream.fixture", 1);
  tu_cli_result r;
  /* The prompt from standard input, streamed. */
  run_in(c, &r, ENV_SERVER_AND_KEY, FIM_PROMPT, TU_ARGS("fim", "-s", FIM_SUFFIX, "--stream"));
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, FIM_MIDDLE "\n");
  tu_cli_result_free(&r);
}

static void test_fim_stream_stops_on_sigint(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "cli/fim-slow-stream.fixture", 1);
  char *argv[] = {(char *)cli_path, (char *)"fim", (char *)"--stream", (char *)"--prompt",
                  (char *)FIM_PROMPT, (char *)"--suffix", (char *)FIM_SUFFIX, NULL};
  interrupt_stream(c, argv, "    if", "fibonacci(n - 2)");
}

static void test_fim_usage_errors(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  RUN(c, &r, "fim", "--prompt", "x", "stray");
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);
  RUN(c, &r, "fim", "--prompt", "x", "-t", "9");
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "temperature"));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

static void test_help_and_version(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  RUN(c, &r, "--help");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.err, "");
  assert_non_null(strstr(r.out, "Usage: mistral COMMAND"));
  assert_non_null(strstr(r.out, "\n  chat "));
  assert_non_null(strstr(r.out, "\n  raw "));
  assert_non_null(strstr(r.out, "\n  record "));
  assert_non_null(strstr(r.out, "Exit status:"));
  tu_cli_result_free(&r);

  RUN(c, &r, "chat", "--help");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.err, "");
  for (size_t i = 0; i < 9; i++) {
    static const char *const opts[] = {"--model", "--system", "--temperature", "--max-tokens",
                                       "--seed", "--json", "--raw", "--server-url", "--version"};
    if (!strstr(r.out, opts[i])) fail_msg("chat --help does not mention %s", opts[i]);
  }
  char *chat_help = r.out;
  free(r.err);
  RUN(c, &r, "help", "chat");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, chat_help);
  free(chat_help);
  tu_cli_result_free(&r);

  RUN(c, &r, "raw", "-h");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "Usage: mistral raw"));
  tu_cli_result_free(&r);
  RUN(c, &r, "record", "--help");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "Usage: mistral record"));
  tu_cli_result_free(&r);

  RUN(c, &r, "--version");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "mistral " EXPECTED_VERSION " (libmistral " EXPECTED_VERSION ")\n");
  tu_cli_result_free(&r);
  RUN(c, &r, "chat", "--version");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "mistral " EXPECTED_VERSION " (libmistral " EXPECTED_VERSION ")\n");
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH-TO-mistral\n", argv[0]);
    return 2;
  }
  cli_path = argv[1];
  if (!getenv("MISTRAL_FIXTURES")) {
    fprintf(stderr, "MISTRAL_FIXTURES is not set\n");
    return 2;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_chat_prints_text, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_prompt_from_stdin, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_options_reach_the_wire, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_option_spellings, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_prompt_after_double_dash, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_raw_prints_json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_deprecation_warning, setup, teardown),
      cmocka_unit_test_setup_teardown(test_usage_errors_exit_2, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_key_exits_2, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invalid_environment_exits_2, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unauthorized_exits_3, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connection_refused_exits_4, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_response_exits_1, setup, teardown),
      cmocka_unit_test_setup_teardown(test_raw_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_raw_post_body_sources, setup, teardown),
      cmocka_unit_test_setup_teardown(test_raw_http_error_exits_3, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_chat_replays, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_get_replays, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_scrubs_echoed_key, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_keeps_other_bodies_exact, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_pretty_json_is_equivalent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_replaces_file_atomically, setup, teardown),
      cmocka_unit_test_setup_teardown(test_record_unwritable_exits_1, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_stream_prints_text, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_stream_raw_prints_each_chunk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_stream_shows_completed_tool_call, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_stream_stops_on_sigint, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fim_prints_the_middle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fim_stream_and_stdin, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fim_stream_stops_on_sigint, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fim_usage_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_help_and_version, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
