/* The global options of the mistral program, run as a subprocess against
 * the loopback fixture server: --retries N (N + 1 attempts), --timeout-ms N
 * and its environment variable MISTRAL_TIMEOUT_MS, -v/--verbose (each
 * attempt, its status and the wait before the next on stderr, never the
 * key), bad values (usage errors, nothing sent), and the options taken by
 * every command. argv[1] is the program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "test_util.h"

#define KEY "sk-RETRY-4b7e1c9a" /* echoed by retry/503-key-echo.fixture */
#define HELLO_BODY                                                                       \
  "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"
#define ANSWER "Bonjour ! Comment puis-je vous aider ?"

static const char *cli_path;

static int setup(void **state) {
  *state = tu_cli_ctx_new(cli_path, KEY);
  return *state ? 0 : -1;
}

static int teardown(void **state) { return tu_cli_ctx_free(*state); }

/* Runs the program with args (NULL-terminated) and the key, the server's
 * URL and extra_env (may be NULL) in an environment cleaned of the MISTRAL_
 * variables. */
static void run(tu_cli_ctx *c, tu_cli_result *r, const char *extra_env,
                const char *const *args) {
  const char *env[] = {c->url_env, c->key_env, extra_env, NULL};
  tu_run_cli(r, c->program, args, env, NULL, 0);
}

#define RUN(c, r, ...) run((c), (r), NULL, TU_ARGS(__VA_ARGS__))
#define RUN_ENV(c, r, env, ...) run((c), (r), (env), TU_ARGS(__VA_ARGS__))

/* Lines of text holding needle. */
static size_t count_lines(const char *text, const char *needle) {
  size_t n = 0;
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
    if (strstr(buf, needle)) n++;
    line += len + (end ? 1 : 0);
  }
  return n;
}

/* ---- --retries ---- */

static void test_retries_flag(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  /* One retry is enough here. */
  tu_expect(c->fs, "retry/503.fixture", 1);
  tu_expect(c->fs, "retry/ok.fixture", 1);
  RUN(c, &r, "chat", "--retries", "1", "Hello");
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_string_equal(r.out, ANSWER "\n");
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);

  /* --retries=1 gives up after two attempts. */
  tu_expect(c->fs, "retry/503.fixture", 2);
  RUN(c, &r, "chat", "--retries=1", "Hello");
  assert_int_equal(r.status, 3);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "HTTP 503"));
  assert_non_null(strstr(r.err, "(after 2 attempts)"));
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);

  /* --retries 0: one attempt. */
  tu_expect(c->fs, "retry/502.fixture", 1);
  RUN(c, &r, "chat", "Hello", "--retries", "0");
  assert_int_equal(r.status, 3);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "HTTP 502"));
  assert_null(strstr(r.err, "attempts)"));
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);
  assert_int_equal(fixture_server_requests(c->fs), 5);
}

/* Without the flag: the library's default, two retries. */
static void test_default_retries(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  tu_expect(c->fs, "retry/429-retry-after-0.fixture", 3);
  RUN(c, &r, "chat", "Hello");
  assert_int_equal(r.status, 3);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "HTTP 429"));
  assert_non_null(strstr(r.err, "(after 3 attempts)"));
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);
}

/* ---- -v ---- */

static void test_verbose(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  tu_expect(c->fs, "retry/503-key-echo.fixture", 1);
  tu_expect(c->fs, "retry/429-retry-after-ms.fixture", 1);
  tu_expect(c->fs, "retry/ok.fixture", 1);
  RUN(c, &r, "chat", "-v", "Hello");
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_string_equal(r.out, ANSWER "\n");
  /* One line per attempt, each with its status and the wait after it. */
  assert_int_equal(count_lines(r.err, "* POST /v1/chat/completions: attempt "), 3);
  assert_int_equal(
      count_lines(r.err, "* POST /v1/chat/completions: attempt 1/3: HTTP 503; retrying in "), 1);
  assert_int_equal(count_lines(r.err, "* POST /v1/chat/completions: attempt 2/3: HTTP 429; "
                                      "retrying in 50 ms (as the server asked)"),
                   1);
  assert_int_equal(count_lines(r.err, "* POST /v1/chat/completions: attempt 3/3: HTTP 200"), 1);
  assert_null(strstr(r.err, KEY));
  assert_null(strstr(r.out, KEY));
  assert_null(strstr(r.err, "mistral: ")); /* no error line */
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);

  /* --verbose and a failure: the attempts, then the one error line last. */
  tu_expect(c->fs, "retry/503-key-echo.fixture", 2);
  RUN(c, &r, "chat", "--verbose", "--retries", "1", "Hello");
  assert_int_equal(r.status, 3);
  assert_int_equal(count_lines(r.err, ": attempt 1/2: HTTP 503; retrying in "), 1);
  assert_int_equal(count_lines(r.err, ": attempt 2/2: HTTP 503; no attempts left"), 1);
  assert_null(strstr(r.err, KEY));
  /* The last line is the error. */
  size_t len = strlen(r.err);
  assert_true(len > 1 && r.err[len - 1] == '\n');
  const char *last = r.err + len - 1;
  while (last > r.err && last[-1] != '\n') last--;
  assert_true(strncmp(last, "mistral: ", 9) == 0);
  assert_non_null(strstr(last, "(after 2 attempts)"));
  assert_int_equal(count_lines(r.err, "mistral: "), 1);
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);

  /* Without -v nothing but the error line. */
  tu_expect(c->fs, "retry/503.fixture", 1);
  RUN(c, &r, "chat", "--retries", "0", "Hello");
  assert_int_equal(r.status, 3);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);
}

/* ---- --timeout-ms and MISTRAL_TIMEOUT_MS ---- */

static void test_timeout(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  tu_expect(c->fs, "retry/hang.fixture", 1);
  RUN(c, &r, "chat", "--timeout-ms", "2000", "--retries", "0", "Hello");
  assert_int_equal(r.status, 4);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "timed out"));
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);

  /* The same from the environment. */
  tu_expect(c->fs, "retry/hang.fixture", 1);
  RUN_ENV(c, &r, "MISTRAL_TIMEOUT_MS=2000", "chat", "--retries", "0", "Hello");
  assert_int_equal(r.status, 4);
  assert_non_null(strstr(r.err, "timed out"));
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);

  /* A timeout is retried: the hang, then the answer. */
  tu_expect(c->fs, "retry/hang.fixture", 1);
  tu_expect(c->fs, "retry/ok.fixture", 1);
  RUN_ENV(c, &r, "MISTRAL_TIMEOUT_MS=2000", "chat", "-v", "Hello");
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_string_equal(r.out, ANSWER "\n");
  assert_int_equal(count_lines(r.err, ": attempt 1/3: timed out; retrying in "), 1);
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);

  /* The flag wins over the variable (whose 1 ms would fail the call). */
  tu_expect(c->fs, "retry/ok.fixture", 1);
  RUN_ENV(c, &r, "MISTRAL_TIMEOUT_MS=1", "chat", "--timeout-ms", "0", "--retries", "0", "Hello");
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_string_equal(r.out, ANSWER "\n");
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);
}

/* ---- bad values: usage errors, nothing sent ---- */

static void test_bad_values(void **state) {
  tu_cli_ctx *c = *state;
  static const char *const bad[][2] = {
      {"--retries", "-1"},     {"--retries", "abc"},     {"--retries", "100"},
      {"--retries", ""},       {"--timeout-ms", "-5"},   {"--timeout-ms", "1.5"},
      {"--timeout-ms", "10x"}, {"--timeout-ms", " 10"},
  };
  tu_cli_result r;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    RUN(c, &r, "chat", bad[i][0], bad[i][1], "Hello");
    if (r.status != 2) fail_msg("%s '%s': exit %d", bad[i][0], bad[i][1], r.status);
    tu_assert_one_error_line(&r);
    assert_non_null(strstr(r.err, bad[i][0]));
    tu_cli_result_free(&r);
  }
  RUN(c, &r, "chat", "Hello", "--retries");
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);
  RUN(c, &r, "chat", "--verbose=yes", "Hello");
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  tu_cli_result_free(&r);
  RUN_ENV(c, &r, "MISTRAL_TIMEOUT_MS=soon", "chat", "Hello");
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "MISTRAL_TIMEOUT_MS"));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

/* ---- every command takes them ---- */

static void test_every_command(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  tu_expect(c->fs, "retry/502.fixture", 1);
  tu_expect(c->fs, "retry/ok.fixture", 1);
  RUN(c, &r, "raw", "-v", "--retries", "1", "--timeout-ms", "5000", "POST",
      "/v1/chat/completions", HELLO_BODY);
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_non_null(strstr(r.out, ANSWER));
  assert_int_equal(count_lines(r.err, "* POST /v1/chat/completions: attempt 1/2: HTTP 502"), 1);
  tu_cli_result_free(&r);
  tu_assert_served(c->fs);

  /* Grouped with another short flag. */
  RUN(c, &r, "raw", "-vh");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "Usage: mistral raw"));
  tu_cli_result_free(&r);

  /* Every help text lists them, and the variable. */
  static const char *const commands[] = {"chat", "raw", "record", "embed",
                                         "moderate", "ocr", "models"};
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
    RUN(c, &r, commands[i], "--help");
    assert_int_equal(r.status, 0);
    static const char *const want[] = {"--timeout-ms N", "--retries N", "-v, --verbose",
                                       "MISTRAL_TIMEOUT_MS"};
    for (size_t k = 0; k < 4; k++)
      if (!strstr(r.out, want[k])) fail_msg("'%s --help' lacks %s", commands[i], want[k]);
    tu_cli_result_free(&r);
  }
  assert_int_equal(fixture_server_requests(c->fs), 2);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH_TO_MISTRAL\n", argv[0]);
    return 2;
  }
  cli_path = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_retries_flag, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_retries, setup, teardown),
      cmocka_unit_test_setup_teardown(test_verbose, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_command, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
