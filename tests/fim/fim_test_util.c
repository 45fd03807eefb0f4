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
  json_t *want = tu_parse_at(expected_json, file, line);
  tu_compare_at(ft_fim_json_at(req, file, line), want, file, line);
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
    json_t *extra = tu_parse_at(text, file, line);
    free(text);
    _assert_int_equal(json_object_update(want, extra), 0, file, line);
    json_decref(extra);
  }
  tu_compare_at(ft_fim_json_at(req, file, line), want, file, line);
}

static fixture_server *idle_server;
static mistral_client *idle_client;

static mistral_client *idle(const char *file, int line) {
  if (!idle_server) {
    idle_server = fixture_server_start(FT_KEY);
    _assert_true(idle_server != NULL, "idle server", file, line);
    idle_client = tu_client(idle_server, FT_KEY, 1);
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
  tu_assert_message_at(what, msg, needle, needle2, file, line);
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
      assert_true(tu_utf8_valid(ch->delta->content));
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
