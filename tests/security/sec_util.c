#include "sec_util.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct sec_log {
  pthread_mutex_t lock;
  char **lines;
  size_t count;
};

sec_log *sec_log_new(void) {
  sec_log *log = calloc(1, sizeof *log);
  assert_non_null(log);
  pthread_mutex_init(&log->lock, NULL);
  return log;
}

void sec_log_free(sec_log *log) {
  if (!log) return;
  for (size_t i = 0; i < log->count; i++) free(log->lines[i]);
  free(log->lines);
  pthread_mutex_destroy(&log->lock);
  free(log);
}

size_t sec_log_count(const sec_log *log) {
  sec_log *m = (sec_log *)log;
  pthread_mutex_lock(&m->lock);
  size_t n = m->count;
  pthread_mutex_unlock(&m->lock);
  return n;
}

static void on_log(mistral_log_level level, const char *message, void *user_data) {
  (void)level;
  sec_log *log = user_data;
  char *copy = strdup(message);
  pthread_mutex_lock(&log->lock);
  char **grown = copy ? realloc(log->lines, (log->count + 1) * sizeof *grown) : NULL;
  if (grown) {
    log->lines = grown;
    log->lines[log->count++] = copy;
    copy = NULL;
  }
  pthread_mutex_unlock(&log->lock);
  free(copy);
}

void sec_log_attach(sec_log *log, mistral_client *c) {
  assert_int_equal(mistral_client_set_log_callback(c, on_log, MISTRAL_LOG_DEBUG, log),
                   MISTRAL_OK);
}

void sec_assert_log_clean(const sec_log *log, const char *key) {
  for (size_t i = 0; i < sec_log_count(log); i++)
    tu_assert_no_key("a log line", log->lines[i], key);
}

mistral_client *sec_client(const char *url) {
  mistral_client *c = tu_client_for_url(url, SEC_TEST_KEY, 0);
  assert_int_equal(mistral_client_set_connect_timeout_ms(c, 60000), MISTRAL_OK);
  return c;
}

char *sec_fixture_text(const char *rel, const char *const *pairs) {
  char *text = tu_fixture_text(rel, NULL);
  for (size_t p = 0; pairs && pairs[p]; p += 2) {
    char mark[64];
    snprintf(mark, sizeof mark, "{{%s}}", pairs[p]);
    const char *value = pairs[p + 1];
    char *at;
    while ((at = strstr(text, mark)) != NULL) {
      size_t head = (size_t)(at - text), ml = strlen(mark), vl = strlen(value);
      size_t tail = strlen(at + ml);
      char *next = malloc(head + vl + tail + 1);
      assert_non_null(next);
      memcpy(next, text, head);
      memcpy(next + head, value, vl);
      memcpy(next + head + vl, at + ml, tail + 1);
      free(text);
      text = next;
    }
  }
  return text;
}
