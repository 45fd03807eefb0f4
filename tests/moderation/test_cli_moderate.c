/* `mistral moderate`, run as a subprocess against the loopback fixture
 * server: texts from arguments and standard input, flagged categories and
 * scores (known and unknown names), --all, --json, -m, conversations from a
 * file and from standard input, usage errors (exit 2, nothing sent), an API
 * error (exit 3), a malformed response (exit 1), and the help texts.
 *
 * Usage: test_cli_moderate PATH-TO-mistral (MISTRAL_FIXTURES: fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"

static void test_texts_print_flagged_categories(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "moderation/cli-texts.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "moderate", "Good morning, how are you?", "I will hurt you if you come here again.");
  cr_assert_success(&r);
  assert_string_equal(r.out,
                      "1: not flagged\n"
                      "2: flagged\n"
                      "  violence_and_threats             0.9740\n"
                      "  jailbreaking                     -\n");
  tu_cli_result_free(&r);
}

static void test_all_categories_from_stdin(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "moderation/text.fixture", 1);
  tu_cli_result r;
  /* Standard input is one text; its trailing line breaks are dropped. */
  cr_run(c, &r, "Could you recommend a good book about the history of Lyon?\r\n", true,
         TU_ARGS("moderate", "--all"));
  cr_assert_success(&r);
  assert_string_equal(r.out,
                      "1: not flagged\n"
                      "  sexual                           0.0011\n"
                      "  hate_and_discrimination          0.0031\n"
                      "  violence_and_threats             0.0004\n"
                      "  dangerous_and_criminal_content   0.0023\n"
                      "  selfharm                         0.0002\n"
                      "  health                           0.0003\n"
                      "  financial                        0.0001\n"
                      "  law                              0.0000\n"
                      "  pii                              0.0024\n");
  tu_cli_result_free(&r);

  /* --all marks the flagged ones. */
  tu_expect(c->fs, "moderation/cli-texts.fixture", 1);
  CR_RUN(c, &r, "moderate", "-a", "--", "Good morning, how are you?",
         "I will hurt you if you come here again.");
  cr_assert_success(&r);
  assert_non_null(strstr(r.out, "2: flagged\n  sexual                           0.0008\n"));
  assert_non_null(strstr(r.out, "  violence_and_threats             0.9740 flagged\n"));
  assert_non_null(strstr(r.out, "  jailbreaking                     - flagged\n"));
  tu_cli_result_free(&r);
}

static void test_json_prints_the_body(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "moderation/cli-texts.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "moderate", "--json", "Good morning, how are you?",
         "I will hurt you if you come here again.");
  cr_assert_success(&r);
  assert_true(r.out_len > 2);
  assert_int_equal(r.out[0], '{');
  assert_int_equal(r.out[r.out_len - 1], '\n');
  assert_non_null(strstr(r.out, "\"id\":\"e5a7c9e1a3c54e7a9c1e3a5c7e9a1c3e\""));
  assert_null(strstr(r.out, "flagged\n"));
  tu_cli_result_free(&r);
}

static void test_conversations(void **state) {
  tu_cli_ctx *c = *state;
  static const char conv[] =
      "[{\"role\": \"user\", \"content\": \"How do I pick a lock?\"},\n"
      " {\"role\": \"assistant\", \"content\": \"I can explain how pin tumbler locks work in "
      "general.\"}]\n";
  char path[512];
  tu_cli_ctx_path(c, "conv.json", path, sizeof path);
  tu_write_file(path, conv, strlen(conv));
  tu_expect(c->fs, "moderation/chat-single.fixture", 2);
  tu_cli_result r;
  CR_RUN(c, &r, "moderate", "--conversation", path);
  cr_assert_success(&r);
  assert_string_equal(r.out, "1: flagged\n  dangerous_and_criminal_content   0.6225\n");
  tu_cli_result_free(&r);
  cr_run(c, &r, conv, true, TU_ARGS("moderate", "-c", "-"));
  cr_assert_success(&r);
  assert_string_equal(r.out, "1: flagged\n  dangerous_and_criminal_content   0.6225\n");
  tu_cli_result_free(&r);
}

static void test_api_error_exits_3(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "moderation/400-invalid-model.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "moderate", "-m", "mistral-moderation-nope", "hello");
  assert_int_equal(r.status, 3);
  assert_string_equal(r.out, "");
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "Invalid model: mistral-moderation-nope"));
  tu_cli_result_free(&r);
}

static void test_bad_response_exits_1(void **state) {
  tu_cli_ctx *c = *state;
  static const char fx[] =
      "=== request\n"
      "POST /v1/moderations\n"
      "\n"
      "{\"model\": \"mistral-moderation-latest\", \"input\": \"hi\"}\n"
      "=== response\n"
      "HTTP/1.1 200 OK\n"
      "content-type: application/json\n"
      "\n"
      "{\"id\": \"x\", \"results\": [{\"categories\": {\"pii\": \"no\"}}]}\n";
  assert_int_equal(fixture_server_expect_text(c->fs, fx, 1), 0);
  tu_cli_result r;
  CR_RUN(c, &r, "moderate", "hi");
  assert_int_equal(r.status, 1);
  assert_string_equal(r.out, "");
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "malformed moderation response"));
  tu_cli_result_free(&r);
}

/* Usage errors: exit status 2, one line on stderr, nothing sent. */
static void test_usage_errors_exit_2(void **state) {
  tu_cli_ctx *c = *state;
  char missing[512], bad_json[512], conv[512];
  tu_cli_ctx_path(c, "missing.json", missing, sizeof missing);
  tu_cli_ctx_path(c, "bad.json", bad_json, sizeof bad_json);
  tu_cli_ctx_path(c, "conv.json", conv, sizeof conv);
  static const char bad_text[] = "[{\"role\": \"user\", \"content\": \"a\"}";
  static const char conv_text[] = "[{\"role\": \"user\", \"content\": \"a\"}]";
  tu_write_file(bad_json, bad_text, strlen(bad_text));
  tu_write_file(conv, conv_text, strlen(conv_text));
  static const struct {
    const char *args[6];
    const char *stdin_text;
    const char *needle;
  } cases[] = {
      {{"moderate", "--bogus", NULL}, NULL, "unknown option '--bogus'"},
      {{"moderate", "-m", "", "hi", NULL}, NULL, "--model needs a model id"},
      {{"moderate", "-m", "m\xff", "hi", NULL}, NULL, "invalid --model"},
      {{"moderate", NULL}, "\n\n", "no text to moderate"},
      {{"moderate", NULL}, NULL, "no text to moderate"},
      {{"moderate", "caf\xc3(", NULL}, NULL, "input: invalid UTF-8"},
      {{"moderate", "ok", "caf\xc3(", NULL}, NULL, "input[1]: invalid UTF-8"},
      {{"moderate", "--conversation", NULL}, NULL, "option '--conversation' needs a value"},
      {{"moderate", "--conversation", "", NULL}, NULL, "--conversation needs a file name"},
      {{"moderate", "--conversation", "MISSING", NULL}, NULL, "cannot open"},
      {{"moderate", "--conversation", "BAD", NULL}, NULL, "input: invalid JSON"},
      {{"moderate", "--conversation", "CONV", "text", NULL}, NULL, "not both"},
      {{"moderate", "--json=yes", "hi", NULL}, NULL, "option '--json' takes no value"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *args[6];
    for (size_t k = 0; k < 6; k++) {
      const char *a = cases[i].args[k];
      args[k] = a && strcmp(a, "MISSING") == 0 ? missing
                : a && strcmp(a, "BAD") == 0   ? bad_json
                : a && strcmp(a, "CONV") == 0  ? conv
                                               : a;
    }
    tu_cli_result r;
    cr_run(c, &r, cases[i].stdin_text, true, args);
    if (r.status != 2 || !strstr(r.err, cases[i].needle))
      fail_msg("case %zu: status %d, stderr \"%s\" (want 2 and \"%s\")", i, r.status, r.err,
               cases[i].needle);
    tu_assert_one_error_line(&r);
    assert_string_equal(r.out, "");
    tu_cli_result_free(&r);
  }
  /* No API key: exit 2 with a hint, nothing sent. */
  tu_cli_result r;
  cr_run(c, &r, NULL, false, TU_ARGS("moderate", "hi"));
  assert_int_equal(r.status, 2);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "MISTRAL_API_KEY"));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

static void test_help(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  CR_RUN(c, &r, "moderate", "--help");
  cr_assert_success(&r);
  assert_non_null(strstr(r.out, "Usage: mistral moderate [OPTIONS] [TEXT...]"));
  assert_non_null(strstr(r.out, "--conversation FILE"));
  assert_non_null(strstr(r.out, "Exit status:"));
  tu_cli_result_free(&r);
  CR_RUN(c, &r, "help", "moderate");
  cr_assert_success(&r);
  assert_non_null(strstr(r.out, "Usage: mistral moderate"));
  tu_cli_result_free(&r);
  CR_RUN(c, &r, "--help");
  cr_assert_success(&r);
  assert_non_null(strstr(r.out, "  moderate "));
  assert_non_null(strstr(r.out, "  ocr "));
  tu_cli_result_free(&r);
  CR_RUN(c, &r, "moderate", "--version");
  cr_assert_success(&r);
  assert_non_null(strstr(r.out, "mistral "));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH-TO-mistral\n", argv[0]);
    return 2;
  }
  cr_cli_path = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_texts_print_flagged_categories, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_all_categories_from_stdin, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_json_prints_the_body, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_conversations, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_api_error_exits_3, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_bad_response_exits_1, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_usage_errors_exit_2, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_help, cr_setup, cr_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
