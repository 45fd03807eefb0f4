/* SPDX-License-Identifier: Apache-2.0 */
/* `mistral models`, run as a subprocess (posix_spawn) against the loopback
 * fixture server (tests/fixtures/models): the table, --json, show, delete,
 * archive, unarchive, update, usage errors, HTTP errors and bad bodies,
 * with their exit statuses and the one stderr line.
 *
 * Usage: test_models_cli PATH-TO-mistral   (MISTRAL_FIXTURES: the fixtures dir) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define KEY "models-cli-test-key"
#define FT_ID "ft:open-mistral-7b:587a6b29:20240514:7e773925"

static const char *cli_path;

/* Runs mistral with args (NULL-terminated), stdin /dev/null, the
 * environment without MISTRAL_* but for the server URL and (with_key) the
 * test key. */
static void run(tu_cli_ctx *c, tu_cli_result *r, int with_key, const char *const *args) {
  const char *env[] = {c->url_env, with_key ? c->key_env : NULL, NULL};
  tu_run_cli(r, c->program, args, env, NULL, 0);
}

#define RUN(c, r, ...) run((c), (r), 1, TU_ARGS(__VA_ARGS__))

/* Success: exit 0, nothing on stderr, stdout as expected. */
static void assert_ok(const tu_cli_result *r, const char *out) {
  if (r->status != 0) fail_msg("exit %d, stderr: %s", r->status, r->err);
  assert_string_equal(r->err, "");
  assert_string_equal(r->out, out);
}

/* Failure: the exit status, nothing on stdout, one stderr line holding
 * needle. */
static void assert_fails(const tu_cli_result *r, int status, const char *needle) {
  if (r->status != status) fail_msg("exit %d, want %d; stderr: %s", r->status, status, r->err);
  assert_string_equal(r->out, "");
  tu_assert_one_error_line(r);
  if (!strstr(r->err, needle)) fail_msg("stderr \"%s\" lacks \"%s\"", r->err, needle);
}

static int setup(void **state) {
  *state = tu_cli_ctx_new(cli_path, KEY);
  return *state ? 0 : -1;
}

static int teardown(void **state) { return tu_cli_ctx_free(*state); }

/* ------------------------------------------------------------------------ */

static void test_table(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/list.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models");
  assert_ok(&r,
            "ID                                             TYPE        CONTEXT  CAPABILITIES    "
            "      DEPRECATION\n"
            "mistral-small-2506                             base         131072  "
            "chat,tools,ft,vision  -\n"
            "mistral-large-2407                             base         131072  chat,tools,ft  "
            "       2025-11-30 -> mistral-medium-latest\n"
            "codestral-2508                                 base         256000  chat,tools,fim "
            "       -\n"
            "mistral-embed                                  base           8192  -              "
            "       -\n"
            "ft:open-mistral-7b:587a6b29:20240514:7e773925  fine-tuned    32768  chat           "
            "       -\n");
  tu_cli_result_free(&r);
}

/* Unknown type and flag, no context length, a deprecation that is not a
 * date; "list" spelled out. */
static void test_table_newer_server(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/list-newer.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models", "list");
  assert_ok(&r,
            "ID                 TYPE       CONTEXT  CAPABILITIES           DEPRECATION\n"
            "mistral-tiny-2601  distilled    65536  chat,telepathy,vision  2026-07-01\n"
            "mistral-ocr-2505   base             -  -                      next spring\n");
  tu_cli_result_free(&r);
}

static void test_table_empty(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/list-empty.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models");
  assert_ok(&r, "ID  TYPE  CONTEXT  CAPABILITIES  DEPRECATION\n");
  tu_cli_result_free(&r);
}

/* --json: the body as received, and a newline. */
static void test_json(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/list.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models", "--json");
  char *body = tu_fixture_body("models/list.fixture", NULL);
  size_t n = strlen(body);
  char *want = malloc(n + 2);
  assert_non_null(want);
  memcpy(want, body, n);
  memcpy(want + n, "\n", 2);
  assert_ok(&r, want);
  free(want);
  free(body);
  tu_cli_result_free(&r);
}

static void test_show(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/retrieve-ft.fixture", 1);
  tu_expect(c->fs, "models/retrieve-base.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models", "show", FT_ID);
  assert_ok(&r,
            "id:                  " FT_ID "\n"
            "name:                support-bot\n"
            "description:         Answers support tickets in our house style.\n"
            "type:                fine-tuned (archived)\n"
            "owned by:            587a6b29-4c8e-4f3a-9b2d-1e0f5a6c7d8e\n"
            "created:             2024-05-14 14:20:00 UTC\n"
            "context length:      32768 tokens\n"
            "capabilities:        chat\n"
            "root:                open-mistral-7b\n"
            "job:                 7e773925-0f6a-4d1b-8c2e-5a9b3d4f6e10\n"
            "archived:            yes\n");
  tu_cli_result_free(&r);
  RUN(c, &r, "models", "show", "mistral-small-latest");
  assert_ok(&r,
            "id:                  mistral-small-2506\n"
            "name:                mistral-small-2506\n"
            "description:         Our latest enterprise-grade small model.\n"
            "type:                base\n"
            "owned by:            mistralai\n"
            "created:             2025-11-27 10:50:00 UTC\n"
            "context length:      131072 tokens\n"
            "capabilities:        chat,tools,ft,vision\n"
            "aliases:             mistral-small-latest\n"
            "default temperature: 0.3\n");
  tu_cli_result_free(&r);
}

static void test_show_json(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/retrieve-base.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models", "--json", "show", "mistral-small-latest");
  char *body = tu_fixture_body("models/retrieve-base.fixture", NULL);
  size_t n = strlen(body);
  body = realloc(body, n + 2);
  assert_non_null(body);
  memcpy(body + n, "\n", 2);
  assert_ok(&r, body); /* the body is compact already */
  free(body);
  tu_cli_result_free(&r);
}

static void test_show_404(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/retrieve-404.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models", "show", "mistral-nonexistent-model");
  assert_fails(&r, 3, "Invalid model: mistral-nonexistent-model");
  tu_cli_result_free(&r);
}

static void test_list_401(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/list-401.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models");
  assert_fails(&r, 3, "Unauthorized");
  tu_cli_result_free(&r);
}

static void test_actions(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "models/delete.fixture", 1);
  tu_expect(c->fs, "models/archive.fixture", 1);
  tu_expect(c->fs, "models/unarchive.fixture", 1);
  tu_expect(c->fs, "models/update.fixture", 1);
  tu_cli_result r;
  RUN(c, &r, "models", "delete", FT_ID);
  assert_ok(&r, "deleted " FT_ID "\n");
  tu_cli_result_free(&r);
  RUN(c, &r, "models", "archive", FT_ID);
  assert_ok(&r, "archived " FT_ID "\n");
  tu_cli_result_free(&r);
  RUN(c, &r, "models", "unarchive", FT_ID);
  assert_ok(&r, "unarchived " FT_ID "\n");
  tu_cli_result_free(&r);
  RUN(c, &r, "models", "update", FT_ID, "--name", "support-bot", "--description",
      "Answers support tickets in our house style.");
  assert_ok(&r,
            "id:                  " FT_ID "\n"
            "name:                support-bot\n"
            "description:         Answers support tickets in our house style.\n"
            "type:                fine-tuned\n"
            "model type:          completion\n"
            "owned by:            587a6b29-4c8e-4f3a-9b2d-1e0f5a6c7d8e\n"
            "created:             2024-05-14 14:20:00 UTC\n"
            "context length:      32768 tokens\n"
            "capabilities:        chat\n"
            "root:                open-mistral-7b\n"
            "job:                 7e773925-0f6a-4d1b-8c2e-5a9b3d4f6e10\n"
            "archived:            no\n");
  tu_cli_result_free(&r);
}

/* The server answers 200 but did not do it. */
static void test_action_not_done(void **state) {
  tu_cli_ctx *c = *state;
  assert_int_equal(fixture_server_expect_text(
                       c->fs,
                       "=== request\nDELETE /v1/models/ft%3Ax\n\n=== response\nHTTP/1.1 200 OK\n"
                       "\n{\"id\":\"ft:x\",\"object\":\"model\",\"deleted\":false}\n",
                       1),
                   0);
  assert_int_equal(fixture_server_expect_text(
                       c->fs,
                       "=== request\nPOST /v1/fine_tuning/models/ft%3Ax/archive\n\n=== response\n"
                       "HTTP/1.1 200 OK\n\n{\"id\":\"ft:x\",\"archived\":false}\n",
                       1),
                   0);
  tu_cli_result r;
  RUN(c, &r, "models", "delete", "ft:x");
  assert_fails(&r, 1, "says 'ft:x' was not deleted");
  tu_cli_result_free(&r);
  RUN(c, &r, "models", "archive", "ft:x");
  assert_fails(&r, 1, "says 'ft:x' was not archived");
  tu_cli_result_free(&r);
}

static void test_bad_body(void **state) {
  tu_cli_ctx *c = *state;
  assert_int_equal(fixture_server_expect_text(
                       c->fs,
                       "=== request\nGET /v1/models\n\n=== response\nHTTP/1.1 200 OK\n\n"
                       "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"capabilities\":[]}]}\n",
                       1),
                   0);
  tu_cli_result r;
  RUN(c, &r, "models");
  assert_fails(&r, 1, "data[0].capabilities is not an object");
  tu_cli_result_free(&r);
}

/* Usage errors: exit 2, nothing sent. */
static void test_usage_errors(void **state) {
  tu_cli_ctx *c = *state;
  static const struct {
    const char *args[6];
    const char *needle;
  } cases[] = {
      {{"models", "frobnicate"}, "unknown action 'frobnicate'"},
      {{"models", "show"}, "'models show' needs a MODEL_ID"},
      {{"models", "delete"}, "'models delete' needs a MODEL_ID"},
      {{"models", "show", "a", "b"}, "too many arguments: 'b'"},
      {{"models", "list", "x"}, "too many arguments: 'x'"},
      {{"models", "update", FT_ID}, "needs --name or --description"},
      {{"models", "show", FT_ID, "--name", "x"}, "--name and --description go with"},
      {{"models", "--description", "x"}, "--name and --description go with"},
      {{"models", "delete", FT_ID, "--json"}, "--json goes with"},
      {{"models", "--frob"}, "unknown option '--frob'"},
      {{"models", "--name"}, "option '--name' needs a value"},
      {{"models", "show", "a\nb"}, "model_id: contains an LF"},
      {{"models", "show", ".."}, "is not a valid path segment"},
      {{"models", "delete", ""}, "model_id: must not be empty"},
      {{"models", "show", "caf\xe9"}, "model_id: invalid UTF-8"},
      {{"models", "update", "--name", "\xff", FT_ID}, "name"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tu_cli_result r;
    run(c, &r, 1, cases[i].args);
    assert_fails(&r, 2, cases[i].needle);
    tu_cli_result_free(&r);
  }
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

static void test_no_api_key(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  run(c, &r, 0, TU_ARGS("models"));
  assert_fails(&r, 2, "no API key: set MISTRAL_API_KEY");
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_connections(c->fs), 0);
}

static void test_help(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  RUN(c, &r, "models", "--help");
  assert_int_equal(r.status, 0);
  assert_string_equal(r.err, "");
  assert_non_null(strstr(r.out, "Usage: mistral models [list] [--json] [OPTIONS]\n"));
  assert_non_null(strstr(r.out, "Exit status:"));
  tu_cli_result_free(&r);
  RUN(c, &r, "help", "models");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "Usage: mistral models"));
  tu_cli_result_free(&r);
  RUN(c, &r, "--help");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "  models   list the models"));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_connections(c->fs), 0);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PATH-TO-mistral\n", argv[0]);
    return 2;
  }
  cli_path = argv[1];
  if (!getenv("MISTRAL_FIXTURES")) {
    fprintf(stderr, "MISTRAL_FIXTURES is not set\n");
    return 2;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_table_newer_server, setup, teardown),
      cmocka_unit_test_setup_teardown(test_table_empty, setup, teardown),
      cmocka_unit_test_setup_teardown(test_json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_show, setup, teardown),
      cmocka_unit_test_setup_teardown(test_show_json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_show_404, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_401, setup, teardown),
      cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_action_not_done, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_api_key, setup, teardown),
      cmocka_unit_test_setup_teardown(test_help, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
