/* Helpers shared by the chat request tests; see chat_test_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_test_util.h"

mistral_chat_request *ct_base_request(void) {
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, CT_MODEL), MISTRAL_OK);
  assert_non_null(req);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, "Hi"),
                   MISTRAL_OK);
  return req;
}

json_t *ct_request_json_at(const mistral_chat_request *req, const char *file, int line) {
  mistral_error *err = mistral_error_new();
  char *text = (char *)"sentinel";
  int rc = mistral_chat_request_to_json(&text, req, err);
  if (rc != MISTRAL_OK) {
    print_error("mistral_chat_request_to_json: %d (%s)\n", rc, mistral_error_message(err));
    mistral_error_free(err);
    _fail(file, line);
  }
  if (!text) {
    print_error("mistral_chat_request_to_json: OK but no text\n");
    mistral_error_free(err);
    _fail(file, line);
  }
  /* Success leaves the error object empty. */
  _assert_int_equal(mistral_error_code(err), MISTRAL_OK, file, line);
  mistral_error_free(err);
  json_error_t je;
  json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(v)) {
    print_error("request body is not a JSON object (%s): %s\n", je.text, text);
    mistral_free(text);
    json_decref(v);
    _fail(file, line);
  }
  mistral_free(text);
  return v;
}

/* Bodies compare with json_equal() (tu_compare_exact_at): whether the
 * library writes a number as 1 or 1.0 is part of what these tests check. */
void ct_assert_body_at(const mistral_chat_request *req, const char *expected_json,
                       const char *file, int line) {
  json_t *got = ct_request_json_at(req, file, line);
  tu_compare_exact_at(got, tu_parse_at(expected_json, file, line), file, line);
}

void ct_assert_base_with_at(const mistral_chat_request *req, const char *members,
                            const char *file, int line) {
  size_t n = strlen(members) + 256;
  char *expected = malloc(n);
  assert_non_null(expected);
  snprintf(expected, n, "{\"model\":\"%s\",\"messages\":%s%s%s}", CT_MODEL, CT_BASE_MESSAGES,
           members[0] ? "," : "", members);
  json_t *want = tu_parse_at(expected, file, line);
  free(expected);
  tu_compare_exact_at(ct_request_json_at(req, file, line), want, file, line);
}

void ct_assert_messages_at(const mistral_chat_request *req, const char *expected_json,
                           const char *file, int line) {
  json_t *body = ct_request_json_at(req, file, line);
  json_t *msgs = json_incref(json_object_get(body, "messages"));
  json_decref(body);
  tu_compare_exact_at(msgs, tu_parse_at(expected_json, file, line), file, line);
}

void ct_assert_to_json_fails_at(const mistral_chat_request *req, int code, const char *needle,
                                const char *needle2, const char *file, int line) {
  mistral_error *err = mistral_error_new();
  char *text = (char *)"sentinel";
  int rc = mistral_chat_request_to_json(&text, req, err);
  if (rc != code || text != NULL || mistral_error_code(err) != code) {
    print_error("to_json: want %d, got %d (error code %d, \"%s\", text %s)\n", code, rc,
                mistral_error_code(err), mistral_error_message(err), text ? text : "NULL");
    if (rc == MISTRAL_OK) mistral_free(text);
    mistral_error_free(err);
    _fail(file, line);
  }
  const char *needles[2] = {needle, needle2};
  for (int i = 0; i < 2; i++) {
    if (needles[i] && !strstr(mistral_error_message(err), needles[i])) {
      print_error("to_json error message \"%s\" does not name \"%s\"\n",
                  mistral_error_message(err), needles[i]);
      mistral_error_free(err);
      _fail(file, line);
    }
  }
  mistral_error_free(err);
}

char *ct_write_temp(const void *data, size_t len) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = "/tmp";
  size_t n = strlen(tmp) + sizeof "/libmistral-chat-XXXXXX";
  char *path = malloc(n);
  assert_non_null(path);
  snprintf(path, n, "%s/libmistral-chat-XXXXXX", tmp);
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const unsigned char *p = data;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    assert_true(w > 0);
    p += w;
    len -= (size_t)w;
  }
  assert_int_equal(close(fd), 0);
  return path;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

unsigned char *ct_base64_decode(const char *text, size_t *len) {
  size_t n = strlen(text);
  if (n % 4 != 0) return NULL;
  unsigned char *out = malloc(n / 4 * 3 + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; k++) {
      char c = text[i + k];
      if (c == '=' && i + 4 == n && k >= 2) {
        v[k] = 0;
        pad++;
        continue;
      }
      if (pad || (v[k] = b64_value(c)) < 0) {
        free(out);
        return NULL;
      }
    }
    unsigned long w = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
                      ((unsigned long)v[2] << 6) | (unsigned long)v[3];
    out[o++] = (unsigned char)(w >> 16);
    if (pad < 2) out[o++] = (unsigned char)(w >> 8);
    if (pad < 1) out[o++] = (unsigned char)w;
  }
  *len = o;
  return out;
}

static fixture_server *idle_server;
static mistral_client *idle_client;

void ct_assert_rejected_at(const mistral_chat_request *req, int code, const char *needle,
                           const char *needle2, const char *file, int line) {
  mistral_error *err = mistral_error_new();
  _assert_true(err != NULL, "err", file, line);

  char *text = (char *)"sentinel";
  int rc = mistral_chat_request_to_json(&text, req, err);
  if (rc != code || text != NULL || mistral_error_code(err) != code) {
    print_error("to_json: want %d, got %d (error code %d, \"%s\")\n", code, rc,
                mistral_error_code(err), mistral_error_message(err));
    if (rc == MISTRAL_OK) mistral_free(text);
    _fail(file, line);
  }
  tu_assert_message_at("to_json", mistral_error_message(err), needle, needle2, file, line);
  char *first = strdup(mistral_error_message(err));

  /* One idle server for the whole process: nothing is ever queued on it,
   * so any request at all would show in its counters. */
  if (!idle_server) {
    idle_server = fixture_server_start(CT_KEY);
    _assert_true(idle_server != NULL, "fs", file, line);
    idle_client = tu_client(idle_server, CT_KEY, 0);
  }
  fixture_server *fs = idle_server;
  mistral_client *client = idle_client;
  static mistral_chat_response sentinel;
  mistral_chat_response *resp = &sentinel; /* must become NULL */
  rc = mistral_chat_complete(&resp, client, req, err);
  if (rc != code || resp != NULL || mistral_error_code(err) != code) {
    print_error("chat_complete: want %d, got %d (error code %d, \"%s\")\n", code, rc,
                mistral_error_code(err), mistral_error_message(err));
    _fail(file, line);
  }
  tu_assert_message_at("chat_complete", mistral_error_message(err), needle, needle2, file,
                       line);
  /* The same failure as to_json reported, and nothing reached the server. */
  _assert_string_equal(first, mistral_error_message(err), file, line);
  _assert_int_equal(mistral_error_http_status(err), 0, file, line);
  _assert_int_equal(fixture_server_requests(fs), 0, file, line);
  _assert_int_equal(fixture_server_connections(fs), 0, file, line);
  free(first);
  mistral_error_free(err);
}

void ct_idle_server_stop(void) {
  mistral_client_free(idle_client);
  fixture_server_stop(idle_server);
  idle_client = NULL;
  idle_server = NULL;
}
