#include "http_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

void http_clear_env(void) {
  unsetenv("MISTRAL_API_KEY");
  unsetenv("MISTRAL_SERVER_URL");
}

int http_setup(void **state) {
  http_clear_env();
  http_ctx *t = calloc(1, sizeof *t);
  if (!t) return -1;
  t->fs = fixture_server_start(HTTP_TEST_KEY);
  t->err = mistral_error_new();
  if (!t->fs || !t->err || mistral_client_new(&t->client) != MISTRAL_OK ||
      mistral_client_set_server_url(t->client, fixture_server_url(t->fs)) != MISTRAL_OK ||
      mistral_client_set_api_key(t->client, HTTP_TEST_KEY) != MISTRAL_OK ||
      /* Nothing in these tests should wait long for a loopback connect. */
      mistral_client_set_connect_timeout_ms(t->client, 5000) != MISTRAL_OK ||
      /* One attempt per call: these tests map single responses to errors
       * (retries are tested in tests/retry). */
      mistral_client_set_max_attempts(t->client, 1) != MISTRAL_OK) {
    *state = t;
    http_teardown(state);
    return -1;
  }
  *state = t;
  return 0;
}

int http_teardown(void **state) {
  http_ctx *t = *state;
  if (!t) return 0;
  mistral_client_free(t->client);
  fixture_server_stop(t->fs);
  mistral_error_free(t->err);
  for (size_t i = 0; i < t->log.count; i++) free(t->log.lines[i]);
  free(t->log.lines);
  free(t);
  *state = NULL;
  return 0;
}

char *http_fixture_path(const char *rel) {
  const char *dir = getenv("MISTRAL_FIXTURES");
  assert_non_null(dir);
  size_t n = strlen(dir) + 1 + strlen(rel) + 1;
  char *p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "%s/%s", dir, rel);
  return p;
}

void http_expect(http_ctx *t, const char *rel, unsigned repeat) {
  char *path = http_fixture_path(rel);
  int rc = fixture_server_expect(t->fs, path, repeat);
  if (rc != 0) print_error("cannot load fixture %s\n", path);
  free(path);
  assert_int_equal(rc, 0);
}

void http_assert_served(const http_ctx *t) {
  if (fixture_server_mismatches(t->fs) != 0) {
    char desc[2048];
    fixture_server_last_mismatch(t->fs, desc, sizeof desc);
    print_error("fixture mismatch: %s\n", desc);
  }
  assert_int_equal(fixture_server_mismatches(t->fs), 0);
  assert_int_equal(fixture_server_pending(t->fs), 0);
}

mistral_chat_request *http_hello_request(void) {
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hello"),
                   MISTRAL_OK);
  return req;
}

/* Points *body at the first byte after the blank line of raw (or its end)
 * and returns the length of the head. */
static size_t split_head(const char *raw, const char **body) {
  const char *end = strstr(raw, "\r\n\r\n");
  if (!end) {
    *body = raw + strlen(raw);
    return strlen(raw);
  }
  *body = end + 4;
  return (size_t)(end - raw) + 2; /* keep the CRLF of the last header line */
}

char *http_received_header(const fixture_server *fs, size_t i, const char *name,
                           size_t *count) {
  char *raw = fixture_server_received(fs, i);
  assert_non_null(raw);
  const char *body;
  size_t head_len = split_head(raw, &body);
  size_t nlen = strlen(name), found = 0;
  char *value = NULL;
  const char *line = strstr(raw, "\r\n"); /* skip the request line */
  while (line && (size_t)(line - raw) + 2 < head_len) {
    line += 2;
    const char *eol = strstr(line, "\r\n");
    if (!eol) break;
    if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
      const char *v = line + nlen + 1, *e = eol;
      while (v < e && (*v == ' ' || *v == '\t')) v++;
      while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
      if (found++ == 0) {
        value = malloc((size_t)(e - v) + 1);
        assert_non_null(value);
        memcpy(value, v, (size_t)(e - v));
        value[e - v] = '\0';
      }
    }
    line = eol;
  }
  free(raw);
  if (count) *count = found;
  return value;
}

char *http_received_body(const fixture_server *fs, size_t i) {
  char *raw = fixture_server_received(fs, i);
  assert_non_null(raw);
  const char *body;
  split_head(raw, &body);
  size_t n = strlen(body);
  char *copy = malloc(n + 1);
  assert_non_null(copy);
  memcpy(copy, body, n + 1);
  free(raw);
  return copy;
}

int http_contains(const char *haystack, const char *needle) {
  return haystack && strstr(haystack, needle) != NULL;
}

static void assert_clean(const char *what, const char *s, const char *key) {
  if (http_contains(s, key)) print_error("the API key leaked through %s: %s\n", what, s);
  assert_false(http_contains(s, key));
}

void http_assert_error_clean(const mistral_error *err, const char *key) {
  assert_clean("mistral_error_message", mistral_error_message(err), key);
  assert_clean("mistral_error_api_message", mistral_error_api_message(err), key);
  assert_clean("mistral_error_api_type", mistral_error_api_type(err), key);
  assert_clean("mistral_error_api_code", mistral_error_api_code(err), key);
  assert_clean("mistral_error_api_param", mistral_error_api_param(err), key);
  assert_clean("mistral_error_request_id", mistral_error_request_id(err), key);
  assert_clean("mistral_error_body", mistral_error_body(err), key);
  assert_clean("mistral_error_transport_message", mistral_error_transport_message(err), key);
  for (size_t i = 0; i < mistral_error_detail_count(err); i++) {
    assert_clean("mistral_error_detail_loc", mistral_error_detail_loc(err, i), key);
    assert_clean("mistral_error_detail_msg", mistral_error_detail_msg(err, i), key);
    assert_clean("mistral_error_detail_type", mistral_error_detail_type(err, i), key);
  }
}

void http_assert_log_clean(const http_log *log, const char *key) {
  for (size_t i = 0; i < log->count; i++) assert_clean("a log line", log->lines[i], key);
}

static void on_log(mistral_log_level level, const char *message, void *user_data) {
  (void)level;
  http_log *log = user_data;
  char **grown = realloc(log->lines, (log->count + 1) * sizeof *grown);
  size_t n = strlen(message);
  char *copy = malloc(n + 1);
  if (!grown || !copy) {
    free(copy);
    if (grown) log->lines = grown;
    return;
  }
  memcpy(copy, message, n + 1);
  log->lines = grown;
  log->lines[log->count++] = copy;
}

void http_capture_log_level(http_ctx *t, mistral_log_level min_level) {
  assert_int_equal(mistral_client_set_log_callback(t->client, on_log, min_level, &t->log),
                   MISTRAL_OK);
}

void http_capture_log(http_ctx *t) { http_capture_log_level(t, MISTRAL_LOG_DEBUG); }

int http_closed_port(void) {
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
