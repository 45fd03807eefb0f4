/* `mistral embed`, run as a subprocess against the loopback fixture server:
 * what it prints (JSON lines, or the raw matrix and its shape with --out),
 * what it sends (checked by the fixtures), and its exit status for API,
 * response and usage errors.
 *
 * Usage: test_embeddings_cli PATH-TO-mistral   (MISTRAL_FIXTURES set) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emb_test_util.h"

static const char *cli_path;

static char tmpdir[64];

/* Runs `mistral embed` with args (NULL-terminated), the stdin_len bytes of
 * stdin_text on its standard input (an empty file when NULL), the server's
 * URL (fs NULL: none) and key (NULL: none) in its environment. */
static tu_cli_result run(const fixture_server *fs, const char *key, const char *stdin_text,
                         size_t stdin_len, const char *const *args) {
  const char *argv[32];
  size_t n = 0;
  argv[n++] = "embed";
  for (size_t i = 0; args[i]; i++) argv[n++] = args[i];
  argv[n] = NULL;
  char url_env[160], key_env[96];
  snprintf(url_env, sizeof url_env, "MISTRAL_SERVER_URL=%s", fs ? fixture_server_url(fs) : "");
  snprintf(key_env, sizeof key_env, "MISTRAL_API_KEY=%s", key ? key : "");
  const char *env[3] = {NULL, NULL, NULL};
  size_t e = 0;
  if (fs) env[e++] = url_env;
  if (key) env[e++] = key_env;
  tu_cli_result r;
  tu_run_cli(&r, cli_path, argv, env, stdin_text ? stdin_text : "", stdin_text ? stdin_len : 0);
  /* Never the key, anywhere. */
  if (key && *key) {
    assert_false(tu_contains(r.out, key));
    assert_false(tu_contains(r.err, key));
  }
  return r;
}

/* One line on stderr, exit status want, nothing on stdout. */
static void assert_failed(const tu_cli_result *r, int want, const char *needle) {
  if (r->status != want || !tu_contains(r->err, needle))
    print_error("want exit %d and \"%s\", got %d\nstderr: %s\n", want, needle, r->status, r->err);
  assert_int_equal(r->status, want);
  assert_true(tu_contains(r->err, needle));
  assert_string_equal(r->out, "");
  tu_assert_one_error_line(r);
}

static void test_texts_as_arguments(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/cli-two.fixture", 1);
  const char *args[] = {"hello world", "bonjour le monde", NULL};
  tu_cli_result r = run(fs, ET_KEY, NULL, 0, args);
  if (r.status != 0) print_error("stderr: %s\n", r.err);
  assert_int_equal(r.status, 0);
  /* Input order, shortest float text. */
  assert_string_equal(r.out, "[0.25,-0.5,0.125,1]\n[-0.0625,0.75,-1.5,0]\n");
  assert_string_equal(r.err, "");
  tu_assert_served(fs);
  tu_cli_result_free(&r);
  fixture_server_stop(fs);
}

static const char three_lines[] = "first line\n\nsecond line\r\nthird line";

static void test_lines_on_stdin(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/cli-stdin.fixture", 1);
  const char *args[] = {NULL};
  tu_cli_result r = run(fs, ET_KEY, three_lines, strlen(three_lines), args);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "[0.5,0.25]\n[0.1,-0.2]\n[3,-4]\n");
  tu_assert_served(fs);
  tu_cli_result_free(&r);
  /* --batch 2: two requests, the same output. */
  tu_expect(fs, "embeddings/cli-batch-1.fixture", 1);
  tu_expect(fs, "embeddings/cli-batch-2.fixture", 1);
  const char *batch[] = {"--batch", "2", NULL};
  r = run(fs, ET_KEY, three_lines, strlen(three_lines), batch);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "[0.5,0.25]\n[0.1,-0.2]\n[3,-4]\n");
  tu_assert_served(fs);
  tu_cli_result_free(&r);
  fixture_server_stop(fs);
}

static void test_out_file(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/cli-stdin.fixture", 1);
  char path[128];
  snprintf(path, sizeof path, "%s/vectors.f32", tmpdir);
  const char *args[] = {"--out", path, NULL};
  tu_cli_result r = run(fs, ET_KEY, three_lines, strlen(three_lines), args);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "");
  char want_err[256];
  snprintf(want_err, sizeof want_err, "3 x 2 float32 (24 bytes) written to %s\n", path);
  assert_string_equal(r.err, want_err);
  size_t len;
  char *bytes = tu_read_file(path, &len);
  assert_int_equal(len, 24);
  const float want[6] = {0.5f, 0.25f, 0.1f, -0.2f, 3.0f, -4.0f};
  assert_memory_equal(bytes, want, sizeof want);
  free(bytes);
  tu_assert_served(fs);
  tu_cli_result_free(&r);
  /* A file that cannot be written: exit 1. */
  tu_expect(fs, "embeddings/cli-stdin.fixture", 1);
  const char *bad[] = {"-o", "/nonexistent-dir/vectors.f32", NULL};
  r = run(fs, ET_KEY, three_lines, strlen(three_lines), bad);
  assert_failed(&r, 1, "cannot write /nonexistent-dir/vectors.f32");
  tu_cli_result_free(&r);
  fixture_server_stop(fs);
}

static void test_options(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/cli-options.fixture", 1);
  const char *args[] = {"-m",      "codestral-embed", "--dimension", "4", "--dtype", "int8",
                        "--base64", "int main(void)", "return 0;",    NULL};
  tu_cli_result r = run(fs, ET_KEY, NULL, 0, args);
  if (r.status != 0) print_error("stderr: %s\n", r.err);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "[-128,0,5,127]\n[1,2,3,4]\n");
  tu_assert_served(fs);
  tu_cli_result_free(&r);
  /* The same bytes to a file: the shape says int8. */
  tu_expect(fs, "embeddings/cli-options.fixture", 1);
  char path[128];
  snprintf(path, sizeof path, "%s/vectors.i8", tmpdir);
  const char *out_args[] = {"-m",      "codestral-embed", "--dimension", "4", "--dtype", "int8",
                            "--base64", "--out", path, "int main(void)", "return 0;", NULL};
  r = run(fs, ET_KEY, NULL, 0, out_args);
  assert_int_equal(r.status, 0);
  assert_true(tu_contains(r.err, "2 x 4 int8 (8 bytes) written to"));
  size_t len;
  char *bytes = tu_read_file(path, &len);
  const int8_t want[8] = {-128, 0, 5, 127, 1, 2, 3, 4};
  assert_int_equal(len, 8);
  assert_memory_equal(bytes, want, 8);
  free(bytes);
  tu_assert_served(fs);
  tu_cli_result_free(&r);
  fixture_server_stop(fs);
}

static void test_api_and_response_errors(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  tu_expect(fs, "embeddings/cli-401.fixture", 1);
  const char *one[] = {"hello world", NULL};
  tu_cli_result r = run(fs, ET_KEY, NULL, 0, one);
  assert_failed(&r, 3, "Unauthorized");
  tu_cli_result_free(&r);
  tu_expect(fs, "embeddings/cli-bad-response.fixture", 1);
  const char *args[] = {"hello world", "bonjour le monde", NULL};
  r = run(fs, ET_KEY, NULL, 0, args);
  assert_failed(&r, 1, "embedding 1 has 1 values, the first has 2");
  tu_cli_result_free(&r);
  tu_assert_served(fs);
  fixture_server_stop(fs);
  /* Nobody listening: a network error. */
  fixture_server *gone = tu_server_start(ET_KEY, NULL);
  char url[128];
  snprintf(url, sizeof url, "%s", fixture_server_url(gone));
  fixture_server_stop(gone);
  const char *net[] = {"--server-url", url, "x", NULL};
  r = run(NULL, ET_KEY, NULL, 0, net);
  assert_failed(&r, 4, "");
  tu_cli_result_free(&r);
}

static void test_usage_errors(void **state) {
  (void)state;
  /* Nothing reaches the server in any of these. */
  fixture_server *fs = tu_server_start(ET_KEY, NULL);
  static const struct {
    const char *args[6];
    const char *stdin_text;
    size_t stdin_len;
    const char *needle;
  } cases[] = {
      {{"--dtype", "double", "x", NULL}, NULL, 0, "--dtype must be float, int8"},
      {{"--dimension", "0", "x", NULL}, NULL, 0, "--dimension"},
      {{"--dimension", "12abc", "x", NULL}, NULL, 0, "--dimension"},
      {{"--batch", "0", "x", NULL}, NULL, 0, "--batch"},
      {{"--model", "", "x", NULL}, NULL, 0, "--model needs a model id"},
      {{"--nope", "x", NULL}, NULL, 0, "unknown option"},
      {{"--out", NULL}, NULL, 0, "--out"},
      {{NULL}, "", 0, "nothing to embed"},
      {{NULL}, "\n\r\n\n", 4, "nothing to embed"},
      {{NULL}, "a\0b\n", 4, "NUL byte"},
      {{"bad \xff utf-8", NULL}, NULL, 0, "input[0]: invalid UTF-8"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tu_cli_result r = run(fs, ET_KEY, cases[i].stdin_text, cases[i].stdin_len, cases[i].args);
    assert_failed(&r, 2, cases[i].needle);
    tu_cli_result_free(&r);
  }
  const char *args[] = {"x", NULL};
  tu_cli_result r = run(fs, NULL, NULL, 0, args);
  assert_failed(&r, 2, "no API key");
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_connections(fs), 0);
  fixture_server_stop(fs);
}

static void test_help(void **state) {
  (void)state;
  const char *args[] = {"--help", NULL};
  tu_cli_result r = run(NULL, NULL, NULL, 0, args);
  assert_int_equal(r.status, 0);
  assert_true(tu_contains(r.out, "Usage: mistral embed [OPTIONS] [TEXT...]"));
  assert_true(tu_contains(r.out, "--dtype TYPE"));
  assert_true(tu_contains(r.out, "Exit status:"));
  assert_string_equal(r.err, "");
  tu_cli_result_free(&r);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PATH-TO-mistral\n", argv[0]);
    return 2;
  }
  cli_path = argv[1];
  snprintf(tmpdir, sizeof tmpdir, "/tmp/mistral-embed-cli-XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_texts_as_arguments),
      cmocka_unit_test(test_lines_on_stdin),
      cmocka_unit_test(test_out_file),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_api_and_response_errors),
      cmocka_unit_test(test_usage_errors),
      cmocka_unit_test(test_help),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  static const char *const files[] = {"vectors.f32", "vectors.i8"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char p[128];
    snprintf(p, sizeof p, "%s/%s", tmpdir, files[i]);
    unlink(p);
  }
  rmdir(tmpdir);
  return rc;
}
