/* Helpers shared by the FIM and agents tests; see fim_test_util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fim_test_util.h"

void ft_clean_env(void) {
  unsetenv("MISTRAL_API_KEY");
  unsetenv("MISTRAL_SERVER_URL");
}

int ft_utf8_valid(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  while (*s) {
    uint32_t cp;
    int extra;
    if (s[0] < 0x80) {
      s++;
      continue;
    } else if ((s[0] & 0xE0) == 0xC0) {
      cp = s[0] & 0x1Fu;
      extra = 1;
    } else if ((s[0] & 0xF0) == 0xE0) {
      cp = s[0] & 0x0Fu;
      extra = 2;
    } else if ((s[0] & 0xF8) == 0xF0) {
      cp = s[0] & 0x07u;
      extra = 3;
    } else {
      return 0;
    }
    for (int k = 1; k <= extra; k++) {
      if ((s[k] & 0xC0) != 0x80) return 0; /* also catches the NUL */
      cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    s += extra + 1;
  }
  return 1;
}

/* ---- JSON ---- */

json_t *ft_parse_at(const char *text, const char *file, int line) {
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

void ft_compare_at(json_t *got, json_t *want, const char *file, int line) {
  if (got && want && same(got, want)) {
    json_decref(got);
    json_decref(want);
    return;
  }
  char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
  char *w = json_dumps(want, JSON_SORT_KEYS | JSON_ENCODE_ANY);
  print_error("JSON differs\n  got:  %s\n  want: %s\n", g ? g : "(none)", w ? w : "(none)");
  free(g);
  free(w);
  json_decref(got);
  json_decref(want);
  _fail(file, line);
}

/* ---- FIM requests ---- */

mistral_fim_request *ft_fim_base(void) {
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, FT_MODEL, FT_PROMPT), MISTRAL_OK);
  assert_non_null(req);
  return req;
}

json_t *ft_fim_json_at(const mistral_fim_request *req, const char *file, int line) {
  mistral_error *err = mistral_error_new();
  _assert_true(err != NULL, "err", file, line);
  char *text = (char *)"sentinel";
  int rc = mistral_fim_request_to_json(&text, req, err);
  if (rc != MISTRAL_OK || !text) {
    print_error("mistral_fim_request_to_json: %d (%s)\n", rc, mistral_error_message(err));
    mistral_error_free(err);
    _fail(file, line);
  }
  _assert_int_equal(mistral_error_code(err), MISTRAL_OK, file, line);
  mistral_error_free(err);
  json_error_t je;
  json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(v)) {
    print_error("FIM body is not a JSON object (%s): %s\n", je.text, text);
    json_decref(v);
    mistral_free(text);
    _fail(file, line);
  }
  mistral_free(text);
  return v;
}

void ft_assert_fim_body_at(const mistral_fim_request *req, const char *expected_json,
                           const char *file, int line) {
  json_t *want = ft_parse_at(expected_json, file, line);
  ft_compare_at(ft_fim_json_at(req, file, line), want, file, line);
}

void ft_assert_fim_base_with_at(const mistral_fim_request *req, const char *members,
                                const char *file, int line) {
  json_t *want = json_pack("{s:s,s:s}", "model", FT_MODEL, "prompt", FT_PROMPT);
  _assert_true(want != NULL, "want", file, line);
  if (members[0]) {
    size_t n = strlen(members) + 3;
    char *text = malloc(n);
    _assert_true(text != NULL, "text", file, line);
    snprintf(text, n, "{%s}", members);
    json_t *extra = ft_parse_at(text, file, line);
    free(text);
    _assert_int_equal(json_object_update(want, extra), 0, file, line);
    json_decref(extra);
  }
  ft_compare_at(ft_fim_json_at(req, file, line), want, file, line);
}

static fixture_server *idle_server;
static mistral_client *idle_client;

static mistral_client *idle(const char *file, int line) {
  if (!idle_server) {
    idle_server = fixture_server_start(FT_KEY);
    _assert_true(idle_server != NULL, "idle server", file, line);
    idle_client = ft_client(idle_server);
  }
  return idle_client;
}

void ft_idle_server_stop(void) {
  mistral_client_free(idle_client);
  fixture_server_stop(idle_server);
  idle_client = NULL;
  idle_server = NULL;
}

/* Checks one failed call: status, error object, message; keeps the first
 * message in *first to compare the others with. */
static void check_rejection(const char *what, int rc, const mistral_error *err,
                            const char *needle, const char *needle2, char **first,
                            const char *file, int line) {
  const char *msg = mistral_error_message(err);
  if (rc != MISTRAL_E_INVALID_ARG || mistral_error_code(err) != MISTRAL_E_INVALID_ARG) {
    print_error("%s: want MISTRAL_E_INVALID_ARG, got %d (error code %d, \"%s\")\n", what, rc,
                mistral_error_code(err), msg);
    _fail(file, line);
  }
  if (!ft_utf8_valid(msg)) {
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
  _assert_int_equal(mistral_error_http_status(err), 0, file, line);
  _assert_int_equal(mistral_error_is_retryable(err), 0, file, line);
  if (!*first) {
    *first = strdup(msg);
    _assert_true(*first != NULL, "strdup", file, line);
  } else if (strcmp(*first, msg) != 0) {
    print_error("%s: message \"%s\" differs from the first call's \"%s\"\n", what, msg, *first);
    _fail(file, line);
  }
}

static int never_called(const mistral_chat_chunk *chunk, void *user_data) {
  (void)chunk;
  (void)user_data;
  fail_msg("the chunk callback ran for a rejected request");
  return 1;
}

static void assert_no_traffic(const char *file, int line) {
  _assert_int_equal(fixture_server_connections(idle_server), 0, file, line);
  _assert_int_equal(fixture_server_requests(idle_server), 0, file, line);
}

void ft_assert_fim_rejected_at(const mistral_fim_request *req, const char *needle,
                               const char *needle2, const char *file, int line) {
  mistral_client *client = idle(file, line);
  mistral_error *err = mistral_error_new();
  _assert_true(err != NULL, "err", file, line);
  char *first = NULL;

  char *text = (char *)"sentinel";
  int rc = mistral_fim_request_to_json(&text, req, err);
  if (rc == MISTRAL_OK) mistral_free(text);
  check_rejection("to_json", rc, err, needle, needle2, &first, file, line);
  _assert_true(text == NULL, "to_json left *out set", file, line);

  static mistral_chat_response sentinel_resp;
  mistral_chat_response *resp = &sentinel_resp;
  rc = mistral_fim_complete(&resp, client, req, err);
  check_rejection("fim_complete", rc, err, needle, needle2, &first, file, line);
  _assert_true(resp == NULL, "fim_complete left *out set", file, line);

  resp = &sentinel_resp;
  rc = mistral_fim_complete_streaming(&resp, client, req, never_called, NULL, err);
  check_rejection("fim_complete_streaming", rc, err, needle, needle2, &first, file, line);
  _assert_true(resp == NULL, "fim_complete_streaming left *final_out set", file, line);

  rc = mistral_fim_complete_streaming(NULL, client, req, NULL, NULL, err);
  check_rejection("fim_complete_streaming (no final_out)", rc, err, needle, needle2, &first,
                  file, line);

  static long long sentinel_stream;
  mistral_chat_stream *s = (mistral_chat_stream *)(void *)&sentinel_stream;
  rc = mistral_fim_stream_open(&s, client, req, err);
  check_rejection("fim_stream_open", rc, err, needle, needle2, &first, file, line);
  _assert_true(s == NULL, "fim_stream_open left *out set", file, line);

  /* Without an error object the status is the same. */
  resp = &sentinel_resp;
  _assert_int_equal(mistral_fim_complete(&resp, client, req, NULL), MISTRAL_E_INVALID_ARG, file,
                    line);
  _assert_true(resp == NULL, "fim_complete left *out set", file, line);

  assert_no_traffic(file, line);
  free(first);
  mistral_error_free(err);
}

void ft_assert_agents_rejected_at(const char *agent_id, const mistral_chat_request *req,
                                  const char *needle, const char *needle2, const char *file,
                                  int line) {
  mistral_client *client = idle(file, line);
  mistral_error *err = mistral_error_new();
  _assert_true(err != NULL, "err", file, line);
  char *first = NULL;

  static mistral_chat_response sentinel_resp;
  mistral_chat_response *resp = &sentinel_resp;
  int rc = mistral_agents_complete(&resp, client, agent_id, req, err);
  check_rejection("agents_complete", rc, err, needle, needle2, &first, file, line);
  _assert_true(resp == NULL, "agents_complete left *out set", file, line);

  resp = &sentinel_resp;
  rc = mistral_agents_complete_streaming(&resp, client, agent_id, req, never_called, NULL, err);
  check_rejection("agents_complete_streaming", rc, err, needle, needle2, &first, file, line);
  _assert_true(resp == NULL, "agents_complete_streaming left *final_out set", file, line);

  rc = mistral_agents_complete_streaming(NULL, client, agent_id, req, NULL, NULL, err);
  check_rejection("agents_complete_streaming (no final_out)", rc, err, needle, needle2, &first,
                  file, line);

  static long long sentinel_stream;
  mistral_chat_stream *s = (mistral_chat_stream *)(void *)&sentinel_stream;
  rc = mistral_agents_stream_open(&s, client, agent_id, req, err);
  check_rejection("agents_stream_open", rc, err, needle, needle2, &first, file, line);
  _assert_true(s == NULL, "agents_stream_open left *out set", file, line);

  resp = &sentinel_resp;
  _assert_int_equal(mistral_agents_complete(&resp, client, agent_id, req, NULL),
                    MISTRAL_E_INVALID_ARG, file, line);
  _assert_true(resp == NULL, "agents_complete left *out set", file, line);

  assert_no_traffic(file, line);
  free(first);
  mistral_error_free(err);
}

/* ---- the fixture server ---- */

char *ft_fixture_path(const char *rel) {
  const char *dir = getenv("MISTRAL_FIXTURES");
  assert_non_null(dir);
  size_t n = strlen(dir) + strlen(rel) + 2;
  char *p = malloc(n);
  assert_non_null(p);
  snprintf(p, n, "%s/%s", dir, rel);
  return p;
}

void ft_expect(fixture_server *fs, const char *rel, unsigned repeat) {
  char *path = ft_fixture_path(rel);
  int rc = fixture_server_expect(fs, path, repeat);
  if (rc != 0) print_error("cannot queue %s\n", path);
  free(path);
  assert_int_equal(rc, 0);
}

fixture_server *ft_server_start(const char *fixture, ...) {
  fixture_server *fs = fixture_server_start(FT_KEY);
  assert_non_null(fs);
  va_list ap;
  va_start(ap, fixture);
  for (const char *rel = fixture; rel; rel = va_arg(ap, const char *)) ft_expect(fs, rel, 1);
  va_end(ap);
  return fs;
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) print_error("cannot open %s\n", path);
  assert_non_null(f);
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
  }
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

void ft_expect_with(fixture_server *fs, const char *rel, const char *directives,
                    unsigned repeat) {
  char *path = ft_fixture_path(rel);
  size_t len;
  char *text = read_all(path, &len);
  size_t n = strlen(directives) + len + 1;
  char *all = malloc(n);
  assert_non_null(all);
  snprintf(all, n, "%s%s", directives, text);
  int rc = fixture_server_expect_text(fs, all, repeat);
  if (rc != 0) print_error("cannot queue %s with \"%s\"\n", path, directives);
  free(all);
  free(text);
  free(path);
  assert_int_equal(rc, 0);
}

char *ft_fixture_body(const char *rel, size_t *len) {
  char *path = ft_fixture_path(rel);
  size_t n;
  char *text = read_all(path, &n);
  free(path);
  const char *resp = strstr(text, "\n=== response\n");
  assert_non_null(resp);
  const char *body = strstr(resp + 1, "\n\n");
  assert_non_null(body);
  body += 2;
  size_t blen = n - (size_t)(body - text);
  if (blen > 0 && body[blen - 1] == '\n') blen--; /* the one dropped LF */
  char *out = malloc(blen + 1);
  assert_non_null(out);
  memcpy(out, body, blen);
  out[blen] = '\0';
  free(text);
  *len = blen;
  return out;
}

char *ft_split_directive(const char *body, size_t len) {
  size_t cap = 64 + len * 8, n = 0;
  char *out = malloc(cap);
  assert_non_null(out);
  n += (size_t)snprintf(out, cap, "%% split-at ");
  size_t cuts = 0;
  for (size_t i = 1; i < len; i++) {
    unsigned char c = (unsigned char)body[i];
    int cut = (c & 0xC0) == 0x80                                /* inside a character */
              || (body[i - 1] == '\n' && c == '\n')            /* between the line ends */
              || (i >= 3 && memcmp(body + i - 3, "dat", 3) == 0); /* "dat|a:" */
    if (!cut) continue;
    n += (size_t)snprintf(out + n, cap - n, "%s%zu", cuts ? "," : "", i);
    cuts++;
  }
  assert_true(cuts > 0);
  snprintf(out + n, cap - n, "\n");
  return out;
}

mistral_client *ft_client(const fixture_server *fs) {
  mistral_client *c = NULL;
  assert_int_equal(mistral_client_new(&c), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(c, fixture_server_url(fs)), MISTRAL_OK);
  assert_int_equal(mistral_client_set_api_key(c, FT_KEY), MISTRAL_OK);
  /* One attempt per call (retries are tested in tests/retry). */
  assert_int_equal(mistral_client_set_max_attempts(c, 1), MISTRAL_OK);
  return c;
}

void ft_assert_server_done_at(const fixture_server *fs, const char *file, int line) {
  if (fixture_server_mismatches(fs) != 0) {
    char buf[4096];
    fixture_server_last_mismatch(fs, buf, sizeof buf);
    print_error("fixture mismatch: %s\n", buf);
  }
  _assert_int_equal(fixture_server_mismatches(fs), 0, file, line);
  _assert_int_equal(fixture_server_pending(fs), 0, file, line);
}

json_t *ft_received_body_at(const fixture_server *fs, size_t i, const char *file, int line) {
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

/* ---- streams ---- */

static void copy_str(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src ? src : "");
}

int ft_log_chunk(const mistral_chat_chunk *chunk, void *user_data) {
  ft_stream_log *log = user_data;
  assert_non_null(chunk);
  assert_non_null(chunk->object);
  assert_string_equal(chunk->object, "chat.completion.chunk");
  assert_non_null(chunk->raw_json);
  assert_true(chunk->raw_json_len > 0);
  log->chunks++;
  if (chunk->usage) log->with_usage++;
  copy_str(log->last_id, sizeof log->last_id, chunk->id);
  copy_str(log->last_model, sizeof log->last_model, chunk->model);
  for (size_t i = 0; i < chunk->choice_count; i++) {
    const mistral_chat_chunk_choice *ch = chunk->choices[i];
    if (ch->index != 0) continue;
    if (ch->delta && ch->delta->content) {
      assert_true(ft_utf8_valid(ch->delta->content));
      size_t have = strlen(log->text), add = strlen(ch->delta->content);
      assert_true(have + add < sizeof log->text);
      memcpy(log->text + have, ch->delta->content, add + 1);
    }
    if (ch->finish_reason != MISTRAL_FINISH_NONE) log->finish = (int)ch->finish_reason;
  }
  return log->stop_after && log->chunks >= log->stop_after;
}

int ft_pull_all(mistral_chat_stream *s, ft_stream_log *log, mistral_error *err) {
  for (;;) {
    const mistral_chat_chunk *chunk = NULL;
    int rc = mistral_chat_stream_next(&chunk, s, err);
    if (rc != MISTRAL_OK) return rc;
    if (!chunk) return MISTRAL_OK;
    ft_log_chunk(chunk, log);
  }
}
