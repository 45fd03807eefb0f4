#include "retry_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void rt_clear_env(void) {
  tu_clean_env();
  unsetenv("MISTRAL_TIMEOUT_MS");
}

static void capture(mistral_log_level level, const char *message, void *user_data) {
  (void)level;
  rt_log *log = user_data;
  char **grown = realloc(log->lines, (log->count + 1) * sizeof *grown);
  if (!grown) return;
  log->lines = grown;
  size_t n = strlen(message);
  char *copy = malloc(n + 1);
  if (!copy) return;
  memcpy(copy, message, n + 1);
  log->lines[log->count++] = copy;
  if (strstr(message, "retrying in")) atomic_store(&log->saw_retry, 1);
}

int rt_setup(void **state) {
  rt_clear_env();
  rt_ctx *t = calloc(1, sizeof *t);
  if (!t) return -1;
  atomic_init(&t->log.saw_retry, 0);
  *state = t;
  t->fs = tu_server_start(RT_KEY, NULL);
  t->client = tu_client(t->fs, RT_KEY, 0);
  t->err = mistral_error_new();
  assert_non_null(t->err);
  assert_int_equal(mistral_client_set_connect_timeout_ms(t->client, 5000), MISTRAL_OK);
  assert_int_equal(mistral_client_set_retry_backoff(t->client, 1, 20, 2.0, 0.5), MISTRAL_OK);
  assert_int_equal(
      mistral_client_set_log_callback(t->client, capture, MISTRAL_LOG_DEBUG, &t->log),
      MISTRAL_OK);
  return 0;
}

void rt_log_clear(rt_ctx *t) {
  for (size_t i = 0; i < t->log.count; i++) free(t->log.lines[i]);
  free(t->log.lines);
  t->log.lines = NULL;
  t->log.count = 0;
  atomic_store(&t->log.saw_retry, 0);
}

int rt_teardown(void **state) {
  rt_ctx *t = *state;
  if (!t) return 0;
  mistral_client_free(t->client);
  fixture_server_stop(t->fs);
  mistral_error_free(t->err);
  rt_log_clear(t);
  free(t);
  *state = NULL;
  return 0;
}

mistral_chat_request *rt_hello(const mistral_call_options *opts) {
  mistral_chat_request *req = tu_hello_request();
  if (opts) assert_int_equal(mistral_chat_request_set_call_options(req, opts), MISTRAL_OK);
  return req;
}

int rt_chat(rt_ctx *t, const mistral_call_options *opts) {
  mistral_chat_request *req = rt_hello(opts);
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, t->client, req, t->err);
  if (rc == MISTRAL_OK) {
    assert_non_null(resp);
    assert_string_equal(mistral_chat_response_text(resp), "Bonjour ! Comment puis-je vous aider ?");
  } else {
    assert_null(resp);
  }
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  return rc;
}

size_t rt_log_count(const rt_ctx *t, const char *needle) {
  size_t n = 0;
  for (size_t i = 0; i < t->log.count; i++)
    if (strstr(t->log.lines[i], needle)) n++;
  return n;
}

void rt_assert_logged(const rt_ctx *t, const char *needle) {
  if (rt_log_count(t, needle) > 0) return;
  print_error("no log line holds \"%s\"; the log:\n", needle);
  for (size_t i = 0; i < t->log.count; i++) print_error("  %s\n", t->log.lines[i]);
  fail();
}

void rt_assert_clean(const rt_ctx *t, const mistral_error *err, const char *key) {
  for (size_t i = 0; i < t->log.count; i++) tu_assert_no_key("a log line", t->log.lines[i], key);
  tu_assert_no_key("the message", mistral_error_message(err), key);
  tu_assert_no_key("the body", mistral_error_body(err), key);
  tu_assert_no_key("the API message", mistral_error_api_message(err), key);
  tu_assert_no_key("the transport message", mistral_error_transport_message(err), key);
}

int rt_ends_with(const char *s, const char *suffix) {
  if (!s) return 0;
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

void rt_note_chunk(rt_seen *s, const mistral_chat_chunk *chunk) {
  s->chunks++;
  if (chunk->choice_count > 0 && chunk->choices[0]->delta && chunk->choices[0]->delta->content)
    strncat(s->text, chunk->choices[0]->delta->content, sizeof s->text - strlen(s->text) - 1);
}

int rt_on_chunk(const mistral_chat_chunk *chunk, void *user_data) {
  rt_note_chunk(user_data, chunk);
  return 0;
}
