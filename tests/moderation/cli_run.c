/* See cli_run.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "cli_run.h"

const char *cr_cli_path;

void cr_run(tu_cli_ctx *c, tu_cli_result *r, const char *stdin_text, bool with_key,
            const char *const *args) {
  const char *env[] = {c->url_env, with_key ? c->key_env : NULL, NULL};
  tu_run_cli(r, c->program, args, env, stdin_text, stdin_text ? strlen(stdin_text) : 0);
}

void cr_assert_success(const tu_cli_result *r) {
  if (r->status != 0) fail_msg("exit status %d, stderr: %s", r->status, r->err);
  assert_string_equal(r->err, "");
}

int cr_setup(void **state) {
  *state = tu_cli_ctx_new(cr_cli_path, CR_KEY);
  return *state ? 0 : -1;
}

int cr_teardown(void **state) { return tu_cli_ctx_free(*state); }
