#include "sec_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

static void assert_clean(const char *what, const char *s, const char *key) {
  if (s && strstr(s, key)) print_error("the API key leaked through %s: %s\n", what, s);
  assert_false(s && strstr(s, key));
}

void sec_assert_log_clean(const sec_log *log, const char *key) {
  for (size_t i = 0; i < sec_log_count(log); i++) assert_clean("a log line", log->lines[i], key);
}

void sec_assert_error_clean(const mistral_error *err, const char *key) {
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

void sec_clear_env(void) {
  unsetenv("MISTRAL_API_KEY");
  unsetenv("MISTRAL_SERVER_URL");
}

mistral_client *sec_client(const char *url) {
  sec_clear_env();
  mistral_client *c = NULL;
  assert_int_equal(mistral_client_new(&c), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(c, url), MISTRAL_OK);
  assert_int_equal(mistral_client_set_api_key(c, SEC_TEST_KEY), MISTRAL_OK);
  assert_int_equal(mistral_client_set_connect_timeout_ms(c, 60000), MISTRAL_OK);
  return c;
}

mistral_chat_request *sec_hello_request(void) {
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hello"),
                   MISTRAL_OK);
  return req;
}

char *sec_fixture_text(const char *rel, const char *const *pairs) {
  const char *dir = getenv("MISTRAL_FIXTURES");
  assert_non_null(dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  FILE *f = fopen(path, "rb");
  if (!f) print_error("cannot open %s\n", path);
  assert_non_null(f);
  size_t cap = 1 << 16, n;
  char *text = malloc(cap);
  assert_non_null(text);
  n = fread(text, 1, cap - 1, f);
  fclose(f);
  assert_true(n < cap - 1);
  text[n] = '\0';
  for (size_t p = 0; pairs && pairs[p]; p += 2) {
    char mark[64];
    snprintf(mark, sizeof mark, "{{%s}}", pairs[p]);
    const char *value = pairs[p + 1];
    char *at;
    while ((at = strstr(text, mark)) != NULL) {
      size_t ml = strlen(mark), vl = strlen(value), len = strlen(text);
      assert_true(len - ml + vl < cap);
      memmove(at + vl, at + ml, len - (size_t)(at - text) - ml + 1);
      memcpy(at, value, vl);
    }
  }
  return text;
}

int sec_closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}
