#include "http_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

int http_setup(void **state) {
  http_ctx *t = calloc(1, sizeof *t);
  if (!t) return -1;
  *state = t;
  t->fs = tu_server_start(HTTP_TEST_KEY, NULL);
  /* One attempt per call: these tests map single responses to errors. */
  t->client = tu_client(t->fs, HTTP_TEST_KEY, 1);
  /* Nothing in these tests should wait long for a loopback connect. */
  assert_int_equal(mistral_client_set_connect_timeout_ms(t->client, 5000), MISTRAL_OK);
  t->err = mistral_error_new();
  assert_non_null(t->err);
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

void http_assert_log_clean(const http_log *log, const char *key) {
  for (size_t i = 0; i < log->count; i++) tu_assert_no_key("a log line", log->lines[i], key);
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
