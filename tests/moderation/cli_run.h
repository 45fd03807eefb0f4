/* Running the mistral program as a subprocess (posix_spawn) against the
 * loopback fixture server, for the tests of `mistral moderate` and
 * `mistral ocr` (the same approach as tests/cli/test_cli.c). */
#ifndef LIBMISTRAL_TEST_CLI_RUN_H
#define LIBMISTRAL_TEST_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "fixture_server.h"

/* The fake key of these tests. */
#define CR_KEY "cli-test-key-5e4d3c2b1a09"

/* The program to run: set by main from argv[1]. */
extern const char *cr_cli_path;

typedef struct cr_ctx {
  fixture_server *fs;
  char dir[256];     /* a fresh temporary directory, removed at teardown */
  char url_env[128]; /* MISTRAL_SERVER_URL=... */
} cr_ctx;

typedef struct cr_result {
  int status; /* exit status */
  char *out;
  size_t out_len;
  char *err;
  size_t err_len;
} cr_result;

/* cmocka setup and teardown: a fixture server (key CR_KEY) and a temporary
 * directory; teardown fails when the server saw a mismatch or still has
 * exchanges queued. */
int cr_setup(void **state);
int cr_teardown(void **state);

/* Queues a fixture (relative to $MISTRAL_FIXTURES), repeat times. */
void cr_expect(cr_ctx *c, const char *rel, unsigned repeat);

/* "<dir>/<name>" into buf. */
void cr_path(const cr_ctx *c, const char *name, char *buf, size_t len);

/* Runs the program with args (NULL-terminated, without argv[0]), stdin from
 * stdin_text (NULL: /dev/null), the environment without MISTRAL_API_KEY and
 * MISTRAL_SERVER_URL, plus the server's URL and, when with_key, CR_KEY. */
void cr_run(cr_ctx *c, cr_result *r, const char *stdin_text, bool with_key,
            const char *const *args);
void cr_result_free(cr_result *r);

#define CR_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CR_RUN(c, r, ...) cr_run((c), (r), NULL, true, CR_ARGS(__VA_ARGS__))

/* stderr is exactly one line "mistral: ..." (fails the test otherwise). */
void cr_assert_one_error_line(const cr_result *r);

#endif
