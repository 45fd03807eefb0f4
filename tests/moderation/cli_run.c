/* See cli_run.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"

extern char **environ;

const char *cr_cli_path;

static char *slurp(const char *path, size_t *len) {
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
        buf = NULL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

void cr_path(const cr_ctx *c, const char *name, char *buf, size_t len) {
  int n = snprintf(buf, len, "%s/%s", c->dir, name);
  assert_true(n > 0 && (size_t)n < len);
}

void cr_expect(cr_ctx *c, const char *rel, unsigned repeat) {
  const char *dir = getenv("MISTRAL_FIXTURES");
  assert_non_null(dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  assert_int_equal(fixture_server_expect(c->fs, path, repeat), 0);
}

void cr_result_free(cr_result *r) {
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}

void cr_run(cr_ctx *c, cr_result *r, const char *stdin_text, bool with_key,
            const char *const *args) {
  memset(r, 0, sizeof *r);
  char in_path[512], out_path[512], err_path[512];
  cr_path(c, "stdin", in_path, sizeof in_path);
  cr_path(c, "stdout", out_path, sizeof out_path);
  cr_path(c, "stderr", err_path, sizeof err_path);
  if (stdin_text) {
    FILE *f = fopen(in_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(stdin_text, 1, strlen(stdin_text), f), strlen(stdin_text));
    assert_int_equal(fclose(f), 0);
  }
  size_t nargs = 0, nenv = 0;
  while (args[nargs]) nargs++;
  while (environ[nenv]) nenv++;
  char **argv = calloc(nargs + 2, sizeof *argv);
  char **envp = calloc(nenv + 3, sizeof *envp);
  assert_non_null(argv);
  assert_non_null(envp);
  argv[0] = (char *)cr_cli_path;
  for (size_t i = 0; i < nargs; i++) argv[i + 1] = (char *)args[i];
  size_t e = 0;
  for (size_t i = 0; i < nenv; i++)
    if (strncmp(environ[i], "MISTRAL_API_KEY=", 16) != 0 &&
        strncmp(environ[i], "MISTRAL_SERVER_URL=", 19) != 0)
      envp[e++] = environ[i];
  envp[e++] = c->url_env;
  if (with_key) envp[e++] = (char *)"MISTRAL_API_KEY=" CR_KEY;

  posix_spawn_file_actions_t fa;
  assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
  assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, stdin_text ? in_path : "/dev/null",
                                                    O_RDONLY, 0),
                   0);
  assert_int_equal(
      posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
  assert_int_equal(
      posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
  pid_t pid;
  int rc = posix_spawn(&pid, cr_cli_path, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  free(argv);
  free(envp);
  assert_int_equal(rc, 0);
  int wstatus;
  while (waitpid(pid, &wstatus, 0) < 0) assert_int_equal(errno, EINTR);
  r->out = slurp(out_path, &r->out_len);
  r->err = slurp(err_path, &r->err_len);
  assert_non_null(r->out);
  assert_non_null(r->err);
  if (!WIFEXITED(wstatus)) fail_msg("mistral was killed by signal %d", WTERMSIG(wstatus));
  r->status = WEXITSTATUS(wstatus);
}

void cr_assert_one_error_line(const cr_result *r) {
  if (r->err_len == 0 || strncmp(r->err, "mistral: ", 9) != 0 ||
      strchr(r->err, '\n') != r->err + r->err_len - 1)
    fail_msg("expected one line 'mistral: ...' on stderr, got \"%s\"", r->err);
}

int cr_setup(void **state) {
  cr_ctx *c = calloc(1, sizeof *c);
  if (!c) return -1;
  c->fs = fixture_server_start(CR_KEY);
  if (!c->fs) {
    free(c);
    return -1;
  }
  snprintf(c->url_env, sizeof c->url_env, "MISTRAL_SERVER_URL=%s", fixture_server_url(c->fs));
  const char *tmp = getenv("TMPDIR");
  snprintf(c->dir, sizeof c->dir, "%s/mistral-cr-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(c->dir)) {
    fixture_server_stop(c->fs);
    free(c);
    return -1;
  }
  *state = c;
  return 0;
}

/* Removes dir and everything under it (one level of subdirectories). */
static void remove_tree(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  char path[1024];
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    struct stat st;
    if (depth < 2 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
      remove_tree(path, depth + 1);
    else
      unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

int cr_teardown(void **state) {
  cr_ctx *c = *state;
  size_t mismatches = fixture_server_mismatches(c->fs);
  size_t pending = fixture_server_pending(c->fs);
  char last[2048];
  fixture_server_last_mismatch(c->fs, last, sizeof last);
  fixture_server_stop(c->fs);
  remove_tree(c->dir, 0);
  free(c);
  if (mismatches || pending) {
    fprintf(stderr, "fixture server: %zu mismatches, %zu pending; last mismatch: %s\n",
            mismatches, pending, last);
    return -1;
  }
  return 0;
}
