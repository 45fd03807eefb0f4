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

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture_server.h"

extern char **environ;

#define KEY "sk-RETRY-4b7e1c9a" /* echoed by retry/503-key-echo.fixture */
#define HELLO_BODY                                                                       \
  "{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"
#define ANSWER "Bonjour ! Comment puis-je vous aider ?"

static const char *cli_path;

typedef struct ctx {
  fixture_server *fs;
  char dir[256];
  char url_env[128];
} ctx;

typedef struct result {
  int status;
  char *out, *err;
} result;

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0, got;
  char *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

static int setup(void **state) {
  ctx *c = calloc(1, sizeof *c);
  if (!c) return -1;
  *state = c;
  c->fs = fixture_server_start(KEY);
  if (!c->fs) return -1;
  snprintf(c->url_env, sizeof c->url_env, "MISTRAL_SERVER_URL=%s", fixture_server_url(c->fs));
  const char *tmp = getenv("TMPDIR");
  snprintf(c->dir, sizeof c->dir, "%s/mistral-retry-cli-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  return mkdtemp(c->dir) ? 0 : -1;
}

static void dir_file(const ctx *c, const char *name, char *buf, size_t len) {
  int n = snprintf(buf, len, "%s/%s", c->dir, name);
  assert_true(n > 0 && (size_t)n < len);
}

static int teardown(void **state) {
  ctx *c = *state;
  if (!c) return 0;
  char path[512];
  dir_file(c, "stdout", path, sizeof path);
  unlink(path);
  dir_file(c, "stderr", path, sizeof path);
  unlink(path);
  rmdir(c->dir);
  fixture_server_stop(c->fs);
  free(c);
  *state = NULL;
  return 0;
}

static void expect(ctx *c, const char *rel, unsigned repeat) {
  const char *dir = getenv("MISTRAL_FIXTURES");
  assert_non_null(dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  assert_int_equal(fixture_server_expect(c->fs, path, repeat), 0);
}

static void assert_served(const ctx *c) {
  if (fixture_server_mismatches(c->fs)) {
    char d[1024];
    fixture_server_last_mismatch(c->fs, d, sizeof d);
    fail_msg("fixture mismatch: %s", d);
  }
  assert_int_equal(fixture_server_pending(c->fs), 0);
}

/* Runs the program with args (NULL-terminated) and the key, the server's
 * URL and extra_env (may be NULL) in an environment cleaned of the MISTRAL_
 * variables. */
static void run(ctx *c, result *r, const char *extra_env, const char *const *args) {
  memset(r, 0, sizeof *r);
  char out_path[512], err_path[512];
  dir_file(c, "stdout", out_path, sizeof out_path);
  dir_file(c, "stderr", err_path, sizeof err_path);
  size_t nargs = 0, nenv = 0;
  while (args[nargs]) nargs++;
  while (environ[nenv]) nenv++;
  char **argv = calloc(nargs + 2, sizeof *argv);
  char **envp = calloc(nenv + 4, sizeof *envp);
  assert_non_null(argv);
  assert_non_null(envp);
  argv[0] = (char *)cli_path;
  for (size_t i = 0; i < nargs; i++) argv[i + 1] = (char *)args[i];
  size_t e = 0;
  for (size_t i = 0; i < nenv; i++)
    if (strncmp(environ[i], "MISTRAL_API_KEY=", 16) != 0 &&
        strncmp(environ[i], "MISTRAL_SERVER_URL=", 19) != 0 &&
        strncmp(environ[i], "MISTRAL_TIMEOUT_MS=", 19) != 0)
      envp[e++] = environ[i];
  envp[e++] = c->url_env;
  envp[e++] = (char *)"MISTRAL_API_KEY=" KEY;
  if (extra_env) envp[e++] = (char *)extra_env;

  posix_spawn_file_actions_t fa;
  assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
  assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
  assert_int_equal(
      posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
  assert_int_equal(
      posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
  pid_t pid;
  int rc = posix_spawn(&pid, cli_path, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  free(argv);
  free(envp);
  assert_int_equal(rc, 0);
  int wstatus;
  while (waitpid(pid, &wstatus, 0) < 0) assert_int_equal(errno, EINTR);
  r->out = slurp(out_path);
  r->err = slurp(err_path);
  assert_non_null(r->out);
  assert_non_null(r->err);
  if (!WIFEXITED(wstatus)) fail_msg("mistral was killed by signal %d", WTERMSIG(wstatus));
  r->status = WEXITSTATUS(wstatus);
}

static void result_free(result *r) {
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define RUN(c, r, ...) run((c), (r), NULL, ARGS(__VA_ARGS__))
#define RUN_ENV(c, r, env, ...) run((c), (r), (env), ARGS(__VA_ARGS__))

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

static void assert_one_error_line(const result *r) {
  size_t len = strlen(r->err);
  if (len == 0 || strncmp(r->err, "mistral: ", 9) != 0 || strchr(r->err, '\n') != r->err + len - 1)
    fail_msg("expected one line 'mistral: ...' on stderr, got \"%s\"", r->err);
}

/* ---- --retries ---- */

static void test_retries_flag(void **state) {
  ctx *c = *state;
  result r;
  /* One retry is enough here. */
  expect(c, "retry/503.fixture", 1);
  expect(c, "retry/ok.fixture", 1);
  RUN(c, &r, "chat", "--retries", "1", "Hello");
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_string_equal(r.out, ANSWER "\n");
  assert_string_equal(r.err, "");
  result_free(&r);
  assert_served(c);

  /* --retries=1 gives up after two attempts. */
  expect(c, "retry/503.fixture", 2);
  RUN(c, &r, "chat", "--retries=1", "Hello");
  assert_int_equal(r.status, 3);
  assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "HTTP 503"));
  assert_non_null(strstr(r.err, "(after 2 attempts)"));
  result_free(&r);
  assert_served(c);

  /* --retries 0: one attempt. */
  expect(c, "retry/502.fixture", 1);
  RUN(c, &r, "chat", "Hello", "--retries", "0");
  assert_int_equal(r.status, 3);
  assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "HTTP 502"));
  assert_null(strstr(r.err, "attempts)"));
  result_free(&r);
  assert_served(c);
  assert_int_equal(fixture_server_requests(c->fs), 5);
}

/* Without the flag: the library's default, two retries. */
static void test_default_retries(void **state) {
  ctx *c = *state;
  result r;
  expect(c, "retry/429-retry-after-0.fixture", 3);
  RUN(c, &r, "chat", "Hello");
  assert_int_equal(r.status, 3);
  assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "HTTP 429"));
  assert_non_null(strstr(r.err, "(after 3 attempts)"));
  result_free(&r);
  assert_served(c);
}

/* ---- -v ---- */

static void test_verbose(void **state) {
  ctx *c = *state;
  result r;
  expect(c, "retry/503-key-echo.fixture", 1);
  expect(c, "retry/429-retry-after-ms.fixture", 1);
  expect(c, "retry/ok.fixture", 1);
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
  result_free(&r);
  assert_served(c);

  /* --verbose and a failure: the attempts, then the one error line last. */
  expect(c, "retry/503-key-echo.fixture", 2);
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
  result_free(&r);
  assert_served(c);

  /* Without -v nothing but the error line. */
  expect(c, "retry/503.fixture", 1);
  RUN(c, &r, "chat", "--retries", "0", "Hello");
  assert_int_equal(r.status, 3);
  assert_one_error_line(&r);
  result_free(&r);
  assert_served(c);
}

/* ---- --timeout-ms and MISTRAL_TIMEOUT_MS ---- */

static void test_timeout(void **state) {
  ctx *c = *state;
  result r;
  expect(c, "retry/hang.fixture", 1);
  RUN(c, &r, "chat", "--timeout-ms", "2000", "--retries", "0", "Hello");
  assert_int_equal(r.status, 4);
  assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "timed out"));
  result_free(&r);
  assert_served(c);

  /* The same from the environment. */
  expect(c, "retry/hang.fixture", 1);
  RUN_ENV(c, &r, "MISTRAL_TIMEOUT_MS=2000", "chat", "--retries", "0", "Hello");
  assert_int_equal(r.status, 4);
  assert_non_null(strstr(r.err, "timed out"));
  result_free(&r);
  assert_served(c);

  /* A timeout is retried: the hang, then the answer. */
  expect(c, "retry/hang.fixture", 1);
  expect(c, "retry/ok.fixture", 1);
  RUN_ENV(c, &r, "MISTRAL_TIMEOUT_MS=2000", "chat", "-v", "Hello");
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_string_equal(r.out, ANSWER "\n");
  assert_int_equal(count_lines(r.err, ": attempt 1/3: timed out; retrying in "), 1);
  result_free(&r);
  assert_served(c);

  /* The flag wins over the variable (whose 1 ms would fail the call). */
  expect(c, "retry/ok.fixture", 1);
  RUN_ENV(c, &r, "MISTRAL_TIMEOUT_MS=1", "chat", "--timeout-ms", "0", "--retries", "0", "Hello");
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_string_equal(r.out, ANSWER "\n");
  result_free(&r);
  assert_served(c);
}

/* ---- bad values: usage errors, nothing sent ---- */

static void test_bad_values(void **state) {
  ctx *c = *state;
  static const char *const bad[][2] = {
      {"--retries", "-1"},     {"--retries", "abc"},     {"--retries", "100"},
      {"--retries", ""},       {"--timeout-ms", "-5"},   {"--timeout-ms", "1.5"},
      {"--timeout-ms", "10x"}, {"--timeout-ms", " 10"},
  };
  result r;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    RUN(c, &r, "chat", bad[i][0], bad[i][1], "Hello");
    if (r.status != 2) fail_msg("%s '%s': exit %d", bad[i][0], bad[i][1], r.status);
    assert_one_error_line(&r);
    assert_non_null(strstr(r.err, bad[i][0]));
    result_free(&r);
  }
  RUN(c, &r, "chat", "Hello", "--retries");
  assert_int_equal(r.status, 2);
  assert_one_error_line(&r);
  result_free(&r);
  RUN(c, &r, "chat", "--verbose=yes", "Hello");
  assert_int_equal(r.status, 2);
  assert_one_error_line(&r);
  result_free(&r);
  RUN_ENV(c, &r, "MISTRAL_TIMEOUT_MS=soon", "chat", "Hello");
  assert_int_equal(r.status, 2);
  assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "MISTRAL_TIMEOUT_MS"));
  result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

/* ---- every command takes them ---- */

static void test_every_command(void **state) {
  ctx *c = *state;
  result r;
  expect(c, "retry/502.fixture", 1);
  expect(c, "retry/ok.fixture", 1);
  RUN(c, &r, "raw", "-v", "--retries", "1", "--timeout-ms", "5000", "POST",
      "/v1/chat/completions", HELLO_BODY);
  if (r.status != 0) fail_msg("exit %d: %s", r.status, r.err);
  assert_non_null(strstr(r.out, ANSWER));
  assert_int_equal(count_lines(r.err, "* POST /v1/chat/completions: attempt 1/2: HTTP 502"), 1);
  result_free(&r);
  assert_served(c);

  /* Grouped with another short flag. */
  RUN(c, &r, "raw", "-vh");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "Usage: mistral raw"));
  result_free(&r);

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
    result_free(&r);
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
