/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs one example program against the loopback fixture server, the way a
 * user runs it against the real API: as a separate process that finds the
 * server and the key in MISTRAL_SERVER_URL and MISTRAL_API_KEY.
 *
 *   example_runner [options] EXAMPLE
 *
 *   --fixture PATH   queue this exchange (script mode, in order; relative
 *                    paths are under $MISTRAL_FIXTURES); repeatable
 *   --arg ARG        pass ARG to the example (in order); repeatable
 *   --stdout TEXT    the example's stdout must contain TEXT; repeatable
 *   --no-stdout TEXT the example's stdout must not contain TEXT; repeatable
 *   --stderr TEXT    the example's stderr must contain TEXT; repeatable
 *   --status N       expected exit status (default 0)
 *   --key KEY        the API key to give the example (default: a test key)
 *   --no-key         run without MISTRAL_API_KEY
 *
 * Passes (exit 0) when the example exits normally with the expected status,
 * every expected text is there, the API key appears in neither output, and
 * the server saw exactly the queued exchanges: no mismatch, none pending,
 * no extra request. Prints the example's output either way.
 */
#include <errno.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fixture_server.h"

extern char **environ;

/* Distinctive, so that a leak of it into any output is easy to spot. */
#define DEFAULT_KEY "sk-example-runner-9f27c4e1"
#define MAX_ITEMS 32

typedef struct options {
  const char *example;
  const char *fixtures[MAX_ITEMS];
  size_t fixture_count;
  const char *args[MAX_ITEMS];
  size_t arg_count;
  const char *want_stdout[MAX_ITEMS];
  size_t stdout_count;
  const char *unwanted_stdout[MAX_ITEMS];
  size_t no_stdout_count;
  const char *want_stderr[MAX_ITEMS];
  size_t stderr_count;
  int status;
  const char *key;
  bool no_key;
} options;

static int usage(void) {
  fputs("usage: example_runner [--fixture PATH]... [--arg ARG]... [--stdout TEXT]...\n"
        "                      [--no-stdout TEXT]... [--stderr TEXT]... [--status N]\n"
        "                      [--key KEY | --no-key] EXAMPLE\n",
        stderr);
  return 2;
}

static int add_item(const char **list, size_t *count, const char *item) {
  if (*count == MAX_ITEMS) {
    fprintf(stderr, "example_runner: more than %d of one option\n", MAX_ITEMS);
    return -1;
  }
  list[(*count)++] = item;
  return 0;
}

static int parse_args(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->key = DEFAULT_KEY;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (strcmp(a, "--no-key") == 0) {
      o->no_key = true;
      continue;
    }
    if (a[0] != '-') {
      if (o->example || i != argc - 1) return -1;
      o->example = a;
      continue;
    }
    if (!v) return -1;
    i++;
    if (strcmp(a, "--fixture") == 0) rc = add_item(o->fixtures, &o->fixture_count, v);
    else if (strcmp(a, "--arg") == 0) rc = add_item(o->args, &o->arg_count, v);
    else if (strcmp(a, "--stdout") == 0) rc = add_item(o->want_stdout, &o->stdout_count, v);
    else if (strcmp(a, "--no-stdout") == 0)
      rc = add_item(o->unwanted_stdout, &o->no_stdout_count, v);
    else if (strcmp(a, "--stderr") == 0) rc = add_item(o->want_stderr, &o->stderr_count, v);
    else if (strcmp(a, "--status") == 0) o->status = atoi(v);
    else if (strcmp(a, "--key") == 0) o->key = v;
    else return -1;
    if (rc != 0) return -1;
  }
  return o->example ? 0 : -1;
}

/* True for the variables the example must not inherit: ours (set below)
 * and the proxy settings libcurl honours, which would send loopback
 * traffic elsewhere. */
static bool dropped(const char *entry) {
  static const char *const names[] = {"MISTRAL_API_KEY", "MISTRAL_SERVER_URL", "http_proxy",
                                      "HTTP_PROXY",      "https_proxy",        "HTTPS_PROXY",
                                      "all_proxy",       "ALL_PROXY"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    size_t n = strlen(names[i]);
    if (strncmp(entry, names[i], n) == 0 && entry[n] == '=') return true;
  }
  return false;
}

/* The example's environment: ours, minus the dropped variables, plus
 * extra (NULL-terminated). The strings are borrowed; free the array. */
static char **child_env(char *const *extra) {
  size_t n = 0, k = 0;
  while (environ[n]) n++;
  while (extra[k]) k++;
  char **env = calloc(n + k + 1, sizeof *env);
  if (!env) return NULL;
  size_t j = 0;
  for (size_t i = 0; i < n; i++)
    if (!dropped(environ[i])) env[j++] = environ[i];
  for (size_t i = 0; i < k; i++) env[j++] = extra[i];
  env[j] = NULL;
  return env;
}

/* The whole content of f as a NUL-terminated string (NULL on failure). */
static char *slurp(FILE *f) {
  if (fflush(f) != 0 || fseek(f, 0, SEEK_END) != 0) return NULL;
  long size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) return NULL;
  char *s = malloc((size_t)size + 1);
  if (!s) return NULL;
  size_t got = fread(s, 1, (size_t)size, f);
  s[got] = '\0';
  return s;
}

/* Runs the example with its stdout and stderr captured; *wstatus receives
 * its wait status. Returns 0, or -1 if it could not be run. */
static int run_example(const options *o, const char *url, char **out, char **err,
                       int *wstatus) {
  int result = -1;
  char url_var[128], key_var[256];
  snprintf(url_var, sizeof url_var, "MISTRAL_SERVER_URL=%s", url);
  snprintf(key_var, sizeof key_var, "MISTRAL_API_KEY=%s", o->key);
  char *extra[] = {url_var, o->no_key ? NULL : key_var, NULL};
  char **env = child_env(extra);
  FILE *fout = tmpfile(), *ferr = tmpfile();
  posix_spawn_file_actions_t fa;
  bool fa_ready = false;
  if (!env || !fout || !ferr) {
    fprintf(stderr, "example_runner: cannot prepare the run: %s\n", strerror(errno));
    goto out;
  }
  int rc = posix_spawn_file_actions_init(&fa);
  fa_ready = rc == 0;
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, fileno(fout), 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, fileno(ferr), 2);
  pid_t pid;
  /* The example's argv: its path, then the --arg values. */
  char *argv[MAX_ITEMS + 2];
  argv[0] = (char *)o->example;
  for (size_t i = 0; i < o->arg_count; i++) argv[i + 1] = (char *)o->args[i];
  argv[o->arg_count + 1] = NULL;
  if (rc == 0) rc = posix_spawn(&pid, o->example, &fa, NULL, argv, env);
  if (rc != 0) {
    fprintf(stderr, "example_runner: cannot run %s: %s\n", o->example, strerror(rc));
    goto out;
  }
  while (waitpid(pid, wstatus, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "example_runner: waitpid: %s\n", strerror(errno));
      goto out;
    }
  }
  *out = slurp(fout);
  *err = slurp(ferr);
  if (!*out || !*err) {
    fprintf(stderr, "example_runner: cannot read the example's output\n");
    goto out;
  }
  result = 0;
out:
  if (fa_ready) posix_spawn_file_actions_destroy(&fa);
  if (fout) fclose(fout);
  if (ferr) fclose(ferr);
  free(env);
  return result;
}

/* Checks that text contains none of the unwanted strings; counts failures. */
static int check_absent(const char *what, const char *text, const char *const *unwanted,
                        size_t count) {
  int failures = 0;
  for (size_t i = 0; i < count; i++) {
    if (strstr(text, unwanted[i])) {
      fprintf(stderr, "FAIL: %s contains \"%s\"\n", what, unwanted[i]);
      failures++;
    }
  }
  return failures;
}

/* Checks that text contains every wanted string; counts failures. */
static int check_contains(const char *what, const char *text, const char *const *want,
                          size_t count) {
  int failures = 0;
  for (size_t i = 0; i < count; i++) {
    if (!strstr(text, want[i])) {
      fprintf(stderr, "FAIL: %s does not contain \"%s\"\n", what, want[i]);
      failures++;
    }
  }
  return failures;
}

int main(int argc, char **argv) {
  options o;
  if (parse_args(argc, argv, &o) != 0) return usage();

  const char *dir = getenv("MISTRAL_FIXTURES");
  /* {{API_KEY}} in a fixture stands for the key the example is given. */
  fixture_server *fs = fixture_server_start(o.key);
  if (!fs) return 1;
  int failures = 0;
  for (size_t i = 0; i < o.fixture_count; i++) {
    char path[4096];
    const char *f = o.fixtures[i];
    if (f[0] != '/' && dir) snprintf(path, sizeof path, "%s/%s", dir, f);
    else snprintf(path, sizeof path, "%s", f);
    if (fixture_server_expect(fs, path, 1) != 0) {
      fprintf(stderr, "FAIL: cannot load fixture %s\n", path);
      failures++;
    }
  }
  if (failures) {
    fixture_server_stop(fs);
    return 1;
  }

  char *out = NULL, *err = NULL;
  int wstatus = 0;
  if (run_example(&o, fixture_server_url(fs), &out, &err, &wstatus) != 0) {
    free(out);
    free(err);
    fixture_server_stop(fs);
    return 1;
  }
  printf("--- %s stdout\n%s--- %s stderr\n%s---\n", o.example, out, o.example, err);

  if (!WIFEXITED(wstatus)) {
    fprintf(stderr, "FAIL: the example did not exit normally (wait status %d)\n", wstatus);
    failures++;
  } else if (WEXITSTATUS(wstatus) != o.status) {
    fprintf(stderr, "FAIL: exit status %d, expected %d\n", WEXITSTATUS(wstatus), o.status);
    failures++;
  }
  failures += check_contains("stdout", out, o.want_stdout, o.stdout_count);
  failures += check_absent("stdout", out, o.unwanted_stdout, o.no_stdout_count);
  failures += check_contains("stderr", err, o.want_stderr, o.stderr_count);
  if (strstr(out, o.key) || strstr(err, o.key)) {
    fputs("FAIL: the API key appears in the example's output\n", stderr);
    failures++;
  }

  size_t mismatches = fixture_server_mismatches(fs);
  if (mismatches) {
    char desc[2048];
    fixture_server_last_mismatch(fs, desc, sizeof desc);
    fprintf(stderr, "FAIL: %zu request(s) did not match; last: %s\n", mismatches, desc);
    failures++;
  }
  if (fixture_server_pending(fs)) {
    fprintf(stderr, "FAIL: %zu queued exchange(s) never requested\n", fixture_server_pending(fs));
    failures++;
  }
  /* Without a mismatch, any request beyond the script would have counted as
   * one; this also catches an example that sent nothing it should not. */
  if (fixture_server_requests(fs) != o.fixture_count) {
    fprintf(stderr, "FAIL: the server received %zu request(s), expected %zu\n",
            fixture_server_requests(fs), o.fixture_count);
    failures++;
  }

  free(out);
  free(err);
  fixture_server_stop(fs);
  if (failures) return 1;
  puts("ok");
  return 0;
}
