/* Helpers every test area shares; see test_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"

extern char **environ;

/* ---- the environment and files ---- */

void tu_clean_env(void) {
  unsetenv("MISTRAL_API_KEY");
  unsetenv("MISTRAL_SERVER_URL");
}

char *tu_fixture_path(const char *rel) {
  const char *dir = getenv("MISTRAL_FIXTURES");
  if (!dir) fail_msg("MISTRAL_FIXTURES is not set");
  size_t n = strlen(dir) + strlen(rel) + 2;
  char *p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "%s/%s", dir, rel);
  return p;
}

/* Everything left to read from f, NUL-terminated; NULL on a read error. */
static char *read_stream(FILE *f, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  for (;;) {
    if (cap - n < 2) {
      buf = realloc(buf, cap *= 2);
      assert_non_null(buf);
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    if (got == 0) break;
    n += got;
  }
  if (ferror(f)) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

char *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s: %s", path, strerror(errno));
  char *buf = read_stream(f, len);
  fclose(f);
  if (!buf) fail_msg("cannot read %s", path);
  return buf;
}

void tu_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) fail_msg("cannot create %s: %s", path, strerror(errno));
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

char *tu_fixture_text(const char *rel, size_t *len) {
  char *path = tu_fixture_path(rel);
  char *text = tu_read_file(path, len);
  free(path);
  return text;
}

char *tu_fixture_body(const char *rel, size_t *len) {
  char *path = tu_fixture_path(rel);
  char msg[512];
  fixture *fx = fixture_load(path, msg, sizeof msg);
  free(path);
  if (!fx) fail_msg("%s: %s", rel, msg);
  char *body = malloc(fx->resp_body_len + 1);
  assert_non_null(body);
  memcpy(body, fx->resp_body, fx->resp_body_len + 1);
  if (len) *len = fx->resp_body_len;
  fixture_free(fx);
  return body;
}

/* ---- the fixture server ---- */

fixture_server *tu_server_start(const char *key, ...) {
  fixture_server *fs = fixture_server_start(key);
  if (!fs) fail_msg("cannot start the fixture server");
  va_list ap;
  va_start(ap, key);
  for (const char *rel = va_arg(ap, const char *); rel; rel = va_arg(ap, const char *))
    tu_expect(fs, rel, 1);
  va_end(ap);
  return fs;
}

void tu_expect(fixture_server *fs, const char *rel, unsigned repeat) {
  char *path = tu_fixture_path(rel);
  int rc = fixture_server_expect(fs, path, repeat);
  if (rc != 0) print_error("cannot queue %s\n", path);
  free(path);
  assert_int_equal(rc, 0);
}

void tu_expect_with(fixture_server *fs, const char *rel, const char *directives,
                    unsigned repeat) {
  size_t len;
  char *text = tu_fixture_text(rel, &len);
  size_t n = strlen(directives) + len + 1;
  char *all = malloc(n);
  assert_non_null(all);
  snprintf(all, n, "%s%s", directives, text);
  int rc = fixture_server_expect_text(fs, all, repeat);
  if (rc != 0) print_error("cannot queue %s with \"%s\"\n", rel, directives);
  free(all);
  free(text);
  assert_int_equal(rc, 0);
}

/* What is wrong with fs (a mismatch, exchanges not served) into buf; 0
 * when nothing is. */
static int served_problem(const fixture_server *fs, char *buf, size_t len) {
  size_t mismatches = fixture_server_mismatches(fs);
  size_t pending = fixture_server_pending(fs);
  if (mismatches) {
    char last[2048];
    fixture_server_last_mismatch(fs, last, sizeof last);
    snprintf(buf, len, "fixture server: %zu mismatch(es), %zu exchange(s) not served; "
             "last mismatch: %s", mismatches, pending, last);
    return 1;
  }
  if (pending) {
    snprintf(buf, len, "fixture server: %zu exchange(s) not served", pending);
    return 1;
  }
  return 0;
}

void tu_assert_served_at(const fixture_server *fs, const char *file, int line) {
  char problem[4096];
  if (!served_problem(fs, problem, sizeof problem)) return;
  print_error("%s\n", problem);
  _fail(file, line);
}

int tu_served_ok(const fixture_server *fs) {
  char problem[4096];
  if (!served_problem(fs, problem, sizeof problem)) return 0;
  fprintf(stderr, "%s\n", problem);
  return -1;
}

char *tu_received_body(const fixture_server *fs, size_t i) {
  char *raw = fixture_server_received(fs, i);
  if (!raw) fail_msg("the server received no request %zu", i);
  const char *end = strstr(raw, "\r\n\r\n");
  const char *body = end ? end + 4 : raw + strlen(raw);
  size_t n = strlen(body);
  char *copy = malloc(n + 1);
  assert_non_null(copy);
  memcpy(copy, body, n + 1);
  free(raw);
  return copy;
}

json_t *tu_received_json_at(const fixture_server *fs, size_t i, const char *file, int line) {
  char *raw = fixture_server_received(fs, i);
  _assert_true(raw != NULL, "no such request", file, line);
  const char *body = strstr(raw, "\r\n\r\n");
  _assert_true(body != NULL, "request without a header end", file, line);
  json_error_t je;
  json_t *v = json_loads(body + 4, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(v)) {
    print_error("request body is not a JSON object (%s): %s\n", je.text, body + 4);
    json_decref(v);
    free(raw);
    _fail(file, line);
  }
  free(raw);
  return v;
}

int tu_closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd); /* never listened: a connect is refused */
  return ntohs(a.sin_port);
}

/* ---- a client ---- */

mistral_client *tu_client_for_url(const char *url, const char *key, unsigned max_attempts) {
  tu_clean_env();
  mistral_client *c = NULL;
  assert_int_equal(mistral_client_new(&c), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(c, url), MISTRAL_OK);
  assert_int_equal(mistral_client_set_api_key(c, key), MISTRAL_OK);
  if (max_attempts)
    assert_int_equal(mistral_client_set_max_attempts(c, max_attempts), MISTRAL_OK);
  return c;
}

mistral_client *tu_client(const fixture_server *fs, const char *key, unsigned max_attempts) {
  return tu_client_for_url(fixture_server_url(fs), key, max_attempts);
}

mistral_chat_request *tu_hello_request(void) {
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hello"),
                   MISTRAL_OK);
  return req;
}

/* ---- strings ---- */

int tu_utf8_valid_n(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1Fu;
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0Fu;
      extra = 2;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07u;
      extra = 3;
    } else {
      return 0;
    }
    if (n - i <= extra) return 0;
    for (size_t k = 1; k <= extra; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += extra + 1;
  }
  return 1;
}

int tu_utf8_valid(const char *s) { return tu_utf8_valid_n(s, strlen(s)); }

int tu_contains(const char *haystack, const char *needle) {
  return haystack && strstr(haystack, needle) != NULL;
}

void tu_assert_message_at(const char *what, const char *msg, const char *needle,
                          const char *needle2, const char *file, int line) {
  if (!tu_utf8_valid(msg)) {
    print_error("%s: the error message is not valid UTF-8\n", what);
    _fail(file, line);
  }
  const char *needles[2] = {needle, needle2};
  for (int i = 0; i < 2; i++) {
    if (needles[i] && !strstr(msg, needles[i])) {
      print_error("%s: error message \"%s\" does not name \"%s\"\n", what, msg, needles[i]);
      _fail(file, line);
    }
  }
}

void tu_assert_no_key(const char *what, const char *s, const char *key) {
  if (s && strstr(s, key)) fail_msg("the API key leaked through %s: %s", what, s);
}

void tu_assert_error_clean(const mistral_error *err, const char *key) {
  tu_assert_no_key("mistral_error_message", mistral_error_message(err), key);
  tu_assert_no_key("mistral_error_api_message", mistral_error_api_message(err), key);
  tu_assert_no_key("mistral_error_api_type", mistral_error_api_type(err), key);
  tu_assert_no_key("mistral_error_api_code", mistral_error_api_code(err), key);
  tu_assert_no_key("mistral_error_api_param", mistral_error_api_param(err), key);
  tu_assert_no_key("mistral_error_request_id", mistral_error_request_id(err), key);
  tu_assert_no_key("mistral_error_body", mistral_error_body(err), key);
  tu_assert_no_key("mistral_error_transport_message", mistral_error_transport_message(err),
                   key);
  for (size_t i = 0; i < mistral_error_detail_count(err); i++) {
    tu_assert_no_key("mistral_error_detail_loc", mistral_error_detail_loc(err, i), key);
    tu_assert_no_key("mistral_error_detail_msg", mistral_error_detail_msg(err, i), key);
    tu_assert_no_key("mistral_error_detail_type", mistral_error_detail_type(err, i), key);
  }
}

/* ---- JSON ---- */

json_t *tu_parse_at(const char *text, const char *file, int line) {
  json_error_t je;
  json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
  if (!v) {
    print_error("bad JSON (%s): %s\n", je.text, text);
    _fail(file, line);
  }
  return v;
}

/* json_equal, except that numbers compare by value (1 equals 1.0), as the
 * fixture server compares them. */
static int same(const json_t *a, const json_t *b) {
  if (json_is_number(a) && json_is_number(b))
    return json_is_integer(a) && json_is_integer(b)
               ? json_integer_value(a) == json_integer_value(b)
               : json_number_value(a) == json_number_value(b);
  if (json_typeof(a) != json_typeof(b)) return 0;
  if (json_is_array(a)) {
    if (json_array_size(a) != json_array_size(b)) return 0;
    for (size_t i = 0; i < json_array_size(a); i++)
      if (!same(json_array_get(a, i), json_array_get(b, i))) return 0;
    return 1;
  }
  if (json_is_object(a)) {
    if (json_object_size(a) != json_object_size(b)) return 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)a, key, v) {
      const json_t *w = json_object_get(b, key);
      if (!w || !same(v, w)) return 0;
    }
    return 1;
  }
  return json_equal(a, b);
}

/* Frees got and want; when !equal, prints both first and fails. */
static void settle(json_t *got, json_t *want, int equal, const char *file, int line) {
  if (!equal) {
    char *g = got ? json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    char *w = want ? json_dumps(want, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    print_error("JSON differs\n  got:  %s\n  want: %s\n", g ? g : "(none)", w ? w : "(none)");
    free(g);
    free(w);
  }
  json_decref(got);
  json_decref(want);
  if (!equal) _fail(file, line);
}

void tu_compare_at(json_t *got, json_t *want, const char *file, int line) {
  settle(got, want, got && want && same(got, want), file, line);
}

void tu_compare_exact_at(json_t *got, json_t *want, const char *file, int line) {
  settle(got, want, got && want && json_equal(got, want), file, line);
}

void tu_assert_json_at(const char *got, const char *want, const char *file, int line) {
  _assert_true(got != NULL, "got", file, line);
  tu_compare_at(tu_parse_at(got, file, line), tu_parse_at(want, file, line), file, line);
}

/* ---- the mistral program ---- */

/* A new temporary file, already unlinked, closed on exec (the child gets
 * its copy through dup2). */
static int temp_fd(void) {
  const char *tmp = getenv("TMPDIR");
  char path[512];
  snprintf(path, sizeof path, "%s/libmistral-tu-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) fail_msg("mkstemp %s: %s", path, strerror(errno));
  unlink(path);
  assert_int_equal(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
  return fd;
}

/* Everything in the file behind fd, from its start. */
static char *read_fd(int fd, size_t *len) {
  assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
  int copy = dup(fd);
  assert_true(copy >= 0);
  FILE *f = fdopen(copy, "rb");
  assert_non_null(f);
  char *text = read_stream(f, len);
  fclose(f);
  if (!text) fail_msg("cannot read the output of the program");
  return text;
}

void tu_run_cli(tu_cli_result *r, const char *program, const char *const *args,
                const char *const *env, const char *stdin_data, size_t stdin_len) {
  memset(r, 0, sizeof *r);
  size_t nargs = 0, nenv = 0, nextra = 0;
  while (args[nargs]) nargs++;
  while (environ[nenv]) nenv++;
  while (env && env[nextra]) nextra++;
  char **argv = calloc(nargs + 2, sizeof *argv);
  char **envp = calloc(nenv + nextra + 1, sizeof *envp);
  assert_non_null(argv);
  assert_non_null(envp);
  argv[0] = (char *)program;
  for (size_t i = 0; i < nargs; i++) argv[i + 1] = (char *)args[i];
  size_t e = 0;
  for (size_t i = 0; i < nenv; i++)
    if (strncmp(environ[i], "MISTRAL_", 8) != 0) envp[e++] = environ[i];
  for (size_t i = 0; i < nextra; i++) envp[e++] = (char *)env[i];

  int in = -1;
  if (stdin_data) {
    in = temp_fd();
    for (size_t off = 0; off < stdin_len;) {
      ssize_t w = write(in, stdin_data + off, stdin_len - off);
      assert_true(w > 0);
      off += (size_t)w;
    }
    assert_int_equal(lseek(in, 0, SEEK_SET), 0);
  }
  int out = temp_fd(), err = temp_fd();
  posix_spawn_file_actions_t fa;
  assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
  if (in >= 0)
    assert_int_equal(posix_spawn_file_actions_adddup2(&fa, in, 0), 0);
  else
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
  assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out, 1), 0);
  assert_int_equal(posix_spawn_file_actions_adddup2(&fa, err, 2), 0);
  pid_t pid;
  int rc = posix_spawn(&pid, program, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  free(argv);
  free(envp);
  if (rc != 0) fail_msg("cannot run %s: %s", program, strerror(rc));
  int wstatus;
  while (waitpid(pid, &wstatus, 0) < 0) assert_int_equal(errno, EINTR);
  r->out = read_fd(out, &r->out_len);
  r->err = read_fd(err, &r->err_len);
  if (in >= 0) close(in);
  close(out);
  close(err);
  if (!WIFEXITED(wstatus)) fail_msg("%s was killed by signal %d", program, WTERMSIG(wstatus));
  r->status = WEXITSTATUS(wstatus);
}

void tu_cli_result_free(tu_cli_result *r) {
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}

void tu_assert_one_error_line(const tu_cli_result *r) {
  if (r->err_len == 0 || strncmp(r->err, "mistral: ", 9) != 0 ||
      strchr(r->err, '\n') != r->err + r->err_len - 1)
    fail_msg("expected one line 'mistral: ...' on stderr, got \"%s\"", r->err);
}

tu_cli_ctx *tu_cli_ctx_new(const char *program, const char *key) {
  tu_cli_ctx *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->program = program;
  c->fs = fixture_server_start(key);
  if (!c->fs) {
    free(c);
    return NULL;
  }
  snprintf(c->url_env, sizeof c->url_env, "MISTRAL_SERVER_URL=%s", fixture_server_url(c->fs));
  snprintf(c->key_env, sizeof c->key_env, "MISTRAL_API_KEY=%s", key ? key : "");
  const char *tmp = getenv("TMPDIR");
  snprintf(c->dir, sizeof c->dir, "%s/mistral-cli-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(c->dir)) {
    fprintf(stderr, "mkdtemp %s: %s\n", c->dir, strerror(errno));
    fixture_server_stop(c->fs);
    free(c);
    return NULL;
  }
  return c;
}

/* Removes dir and everything under it (symbolic links are not followed). */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *de;
    char path[1024];
    while ((de = readdir(d)) != NULL) {
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
      snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
      struct stat st;
      if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        remove_tree(path);
      else
        unlink(path);
    }
    closedir(d);
  }
  rmdir(dir);
}

int tu_cli_ctx_free(tu_cli_ctx *c) {
  if (!c) return 0;
  int rc = tu_served_ok(c->fs);
  fixture_server_stop(c->fs);
  remove_tree(c->dir);
  free(c);
  return rc;
}

void tu_cli_ctx_path(const tu_cli_ctx *c, const char *name, char *buf, size_t len) {
  int n = snprintf(buf, len, "%s/%s", c->dir, name);
  assert_true(n > 0 && (size_t)n < len);
}
