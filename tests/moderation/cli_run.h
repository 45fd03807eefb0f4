/* Running the mistral program as a subprocess against the loopback fixture
 * server, for the tests of `mistral moderate` and `mistral ocr`: a
 * tu_cli_ctx (tests/support/test_util.h) per test and the environment they
 * give the program. */
#ifndef LIBMISTRAL_TEST_CLI_RUN_H
#define LIBMISTRAL_TEST_CLI_RUN_H

#include <stdbool.h>

#include "test_util.h"

/* The fake key of these tests. */
#define CR_KEY "cli-test-key-5e4d3c2b1a09"

/* The program to run: set by main from argv[1]. */
extern const char *cr_cli_path;

/* cmocka setup and teardown: a tu_cli_ctx for cr_cli_path with CR_KEY;
 * teardown fails when the server saw a mismatch or still has exchanges
 * queued. */
int cr_setup(void **state);
int cr_teardown(void **state);

/* Runs the program with args (NULL-terminated, without argv[0]), stdin from
 * stdin_text (NULL: /dev/null), the environment without MISTRAL_*
 * variables, plus the server's URL and, when with_key, CR_KEY. */
void cr_run(tu_cli_ctx *c, tu_cli_result *r, const char *stdin_text, bool with_key,
            const char *const *args);

/* Exit status 0 and nothing on stderr (which is printed otherwise). */
void cr_assert_success(const tu_cli_result *r);

#define CR_RUN(c, r, ...) cr_run((c), (r), NULL, true, TU_ARGS(__VA_ARGS__))

#endif
