#include "stream_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* ------------------------------------------------------------------------ */
/* The cases                                                                */

#define NO_USAGE {-1, -1, -1}

const stream_case stream_cases[] = {
    {.file = "text-utf8.fixture",
     .prompt = "Écris une phrase de bienvenue multilingue.",
     .status = MISTRAL_OK,
     .chunks = 17,
     .id = "cmpl-8f2c4a6e1b3d4f5a9c7e2d1b0a3f6e4c",
     .choice_count = 1,
     .choices = {{0,
                  "Bienvenue à tous ! Voilà «café» — 日本語でこんにちは 🚀 \"citation\"\n"
                  "Deuxième ligne 😀 fin.",
                  NULL, MISTRAL_FINISH_STOP, "stop"}},
     .usage = {14, 31, 45}},
    {.file = "crlf-keepalive.fixture",
     .prompt = "Quelle est la capitale de la France ?",
     .status = MISTRAL_OK,
     .chunks = 15,
     .id = "cmpl-1d4e7a9c2b5f4e8a8b3c6d9e0f1a2b3c",
     .choice_count = 1,
     .choices = {{0, "Paris est la capitale de la France, célèbre pour la tour Eiffel.", NULL,
                  MISTRAL_FINISH_STOP, "stop"}},
     .usage = {9, 15, 24}},
    {.file = "tool-call-whole.fixture",
     .prompt = "Quel temps fait-il à Besançon ?",
     .tools = TOOLS_WEATHER,
     .status = MISTRAL_OK,
     .chunks = 2,
     .id = "cmpl-5e0b3c8d7a1f4b2e9d6c4a3b2e1f0d9c",
     .choice_count = 1,
     .choices = {{0, "", NULL, MISTRAL_FINISH_TOOL_CALLS, "tool_calls"}},
     .tool_count = 1,
     .tools_out = {{0, 0, "D681PevKs", "get_weather", "{\"city\": \"Besançon\"}", 2}},
     .usage = {88, 21, 109}},
    {.file = "tool-call-fragments.fixture",
     .prompt = "Quel temps et quelle heure à Zürich ?",
     .tools = TOOLS_WEATHER_TIME,
     .status = MISTRAL_OK,
     .chunks = 9,
     .id = "chatcmpl-6b1d8e3f5a7c4e9b8d2f0a4c6e8b1d3f",
     .choice_count = 1,
     .choices = {{0, "", NULL, MISTRAL_FINISH_TOOL_CALLS, "tool_calls"}},
     .tool_count = 2,
     /* Call 0 completes when call 1 starts (chunk 6), call 1 on the
      * finish reason (chunk 8). */
     .tools_out = {{0, 0, "chatcmpl-tool-3f9a1c7e5b2d4f6a", "get_weather",
                    "{\"city\": \"Zürich\"}", 6},
                   {0, 1, "chatcmpl-tool-8c2e4a6b0d1f3e5a", "get_local_time",
                    "{\"city\": \"Zürich\"}", 8}},
     .usage = {131, 47, 178}},
    {.file = "two-choices.fixture",
     .prompt = "Une phrase sur le ciel.",
     .n = 2,
     .status = MISTRAL_OK,
     .chunks = 10,
     .id = "cmpl-2f7a9c1e3b5d4a6c8e0b2d4f6a8c0e2b",
     .choice_count = 2,
     .choices = {{0, "Le ciel est bleu à midi.", NULL, MISTRAL_FINISH_STOP, "stop"},
                 {1, "Pourquoi le ciel est-il", NULL, MISTRAL_FINISH_LENGTH, "length"}},
     .usage = {12, 20, 32}},
    {.file = "thinking-chunks.fixture",
     .model = "magistral-medium-latest",
     .prompt = "Combien font 17 × 23 ?",
     .status = MISTRAL_OK,
     .chunks = 6,
     .id = "cmpl-9a3c5e7b1d2f4a6c8e9b0d1f2a3c4e5b",
     .resp_model = "magistral-medium-latest",
     .choice_count = 1,
     .choices = {{0, "17 × 23 = **391**.",
                  "L'utilisateur demande 17 × 23. 17 × 20 = 340, 17 × 3 = 51, donc 391.",
                  MISTRAL_FINISH_STOP, "stop"}},
     .usage = {21, 75, 96}},
    {.file = "cut-no-done.fixture",
     .prompt = "Raconte une histoire.",
     .status = MISTRAL_E_TRUNCATED,
     .chunks = 5,
     .id = "cmpl-4c6e8a0b2d4f4e6a8c0e2b4d6f8a0c2e",
     .choice_count = 1,
     .choices = {{0, "Il était une fois", NULL, MISTRAL_FINISH_NONE, NULL}},
     .usage = NO_USAGE},
    {.file = "error-event.fixture",
     .prompt = "Réponds-moi.",
     .status = MISTRAL_E_STREAM,
     .chunks = 4,
     .id = "cmpl-7e9a1c3e5a7c4e9a1c3e5a7c9e1a3c5e",
     .choice_count = 1,
     .choices = {{0, "Voici la réponse", NULL, MISTRAL_FINISH_NONE, NULL}},
     .usage = NO_USAGE,
     .err_body = "{\"object\":\"error\",\"message\":\"Internal server error\","
                 "\"type\":\"internal_server_error\",\"param\":null,\"code\":\"3000\"}",
     .api_message = "Internal server error",
     .api_type = "internal_server_error",
     .api_code = "3000"},
    {.file = "error-object-frame.fixture",
     .prompt = "Dis bonjour.",
     .status = MISTRAL_E_STREAM,
     .chunks = 3,
     .id = "cmpl-0b2d4f6a8c0e4b2d4f6a8c0e2b4d6f8a",
     .choice_count = 1,
     .choices = {{0, "Bonjour !", NULL, MISTRAL_FINISH_NONE, NULL}},
     .usage = NO_USAGE,
     .err_body = "{\"object\":\"error\",\"message\":\"Service unavailable: the model is "
                 "overloaded, please retry later.\",\"type\":\"service_unavailable\","
                 "\"param\":null,\"code\":\"3505\"}",
     .api_message = "Service unavailable: the model is overloaded, please retry later.",
     .api_type = "service_unavailable",
     .api_code = "3505"},
    {.file = "error-nested-frame.fixture",
     .prompt = "Calcule le résultat.",
     .status = MISTRAL_E_STREAM,
     .chunks = 3,
     .id = "cmpl-3e5a7c9e1a3c4e5a7c9e1a3c5e7a9c1e",
     .choice_count = 1,
     .choices = {{0, "Le résultat", NULL, MISTRAL_FINISH_NONE, NULL}},
     .usage = NO_USAGE,
     .err_body = "{\"error\":{\"message\":\"Upstream model timed out\",\"type\":"
                 "\"upstream_timeout\",\"param\":null,\"code\":504}}",
     .api_message = "Upstream model timed out",
     .api_type = "upstream_timeout",
     .api_code = "504"},
    {.file = "non-json-data.fixture",
     .prompt = "Attends un instant.",
     .status = MISTRAL_E_STREAM,
     .chunks = 3,
     .id = "cmpl-6a8c0e2b4d6f4a8c0e2b4d6f8a0c2e4b",
     .choice_count = 1,
     .choices = {{0, "Un instant", NULL, MISTRAL_FINISH_NONE, NULL}},
     .usage = NO_USAGE,
     .err_body = "upstream connect error or disconnect/reset before headers. reset reason: "
                 "overflow"},
    {.file = "finish-no-done.fixture",
     .prompt = "C'est tout ?",
     .status = MISTRAL_OK,
     .chunks = 5,
     .id = "cmpl-8c0e2b4d6f8a4c0e2b4d6f8a0c2e4b6d",
     .choice_count = 1,
     .choices = {{0, "C'est tout.", NULL, MISTRAL_FINISH_STOP, "stop"}},
     .usage = {8, 5, 13}},
};

const size_t stream_case_count = sizeof stream_cases / sizeof stream_cases[0];

const stream_case *stream_case_find(const char *file) {
  for (size_t i = 0; i < stream_case_count; i++)
    if (strcmp(stream_cases[i].file, file) == 0) return &stream_cases[i];
  fail_msg("no stream case %s", file);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Strings                                                                  */

void sbuf_add(sbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    assert_non_null(p);
    b->data = p;
    b->cap = cap;
  }
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void sbuf_adds(sbuf *b, const char *s) { sbuf_add(b, s, strlen(s)); }

void sbuf_printf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  assert_true(n >= 0);
  char *tmp = malloc((size_t)n + 1);
  assert_non_null(tmp);
  va_start(ap, fmt);
  vsnprintf(tmp, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sbuf_add(b, tmp, (size_t)n);
  free(tmp);
}

const char *sbuf_str(const sbuf *b) { return b->data ? b->data : ""; }

void sbuf_free(sbuf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

/* s quoted, with newlines and quotes escaped; "-" for NULL. */
static void sbuf_quoted(sbuf *b, const char *s) {
  if (!s) {
    sbuf_adds(b, "-");
    return;
  }
  sbuf_adds(b, "\"");
  for (; *s; s++) {
    if (*s == '\n') sbuf_adds(b, "\\n");
    else if (*s == '"') sbuf_adds(b, "\\\"");
    else if (*s == '\\') sbuf_adds(b, "\\\\");
    else sbuf_add(b, s, 1);
  }
  sbuf_adds(b, "\"");
}

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  assert_non_null(d);
  memcpy(d, s, n + 1);
  return d;
}

static void assert_utf8(const char *what, const char *s) {
  if (s && !tu_utf8_valid(s)) fail_msg("%s is not valid UTF-8: %s", what, s);
}

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                 */

/* "stream/<file>" into buf. */
static void stream_rel(const char *file, char *buf, size_t len) {
  int n = snprintf(buf, len, "stream/%s", file);
  assert_true(n > 0 && (size_t)n < len);
}

char *stream_fixture_body(const char *file, size_t *len) {
  char rel[256];
  stream_rel(file, rel, sizeof rel);
  return tu_fixture_body(rel, len);
}

void stream_expect(fixture_server *fs, const char *file, const char *directives) {
  char rel[256];
  stream_rel(file, rel, sizeof rel);
  tu_expect_with(fs, rel, directives, 1);
}

static const char city_params[] =
    "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}";

mistral_chat_request *stream_case_request(const stream_case *c) {
  mistral_chat_request *req = NULL;
  assert_int_equal(
      mistral_chat_request_new(&req, c->model ? c->model : "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, c->prompt),
                   MISTRAL_OK);
  if (c->tools != TOOLS_NONE) {
    assert_int_equal(mistral_chat_request_add_function_tool(
                         req, "get_weather", "Current weather in a city.", city_params, false),
                     MISTRAL_OK);
    if (c->tools == TOOLS_WEATHER_TIME)
      assert_int_equal(mistral_chat_request_add_function_tool(
                           req, "get_local_time", "Local time in a city.", city_params, false),
                       MISTRAL_OK);
    assert_int_equal(mistral_chat_request_set_tool_choice(req, MISTRAL_TOOL_CHOICE_AUTO),
                     MISTRAL_OK);
  }
  if (c->n) assert_int_equal(mistral_chat_request_set_n(req, c->n), MISTRAL_OK);
  return req;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */

void record_init(stream_record *r) { memset(r, 0, sizeof *r); }

void record_free(stream_record *r) {
  sbuf_free(&r->chunks);
  sbuf_free(&r->completions);
  for (int i = 0; i < 2; i++) {
    sbuf_free(&r->text[i]);
    sbuf_free(&r->thinking[i]);
  }
  sbuf_free(&r->err);
  free(r->err_message);
  free(r->err_body);
  free(r->err_api_message);
  free(r->err_api_type);
  free(r->err_api_code);
  free(r->response_json);
  memset(r, 0, sizeof *r);
}

void record_chunk(stream_record *r, const mistral_chat_chunk *ch) {
  assert_non_null(ch);
  r->chunk_count++;
  sbuf *b = &r->chunks;
  sbuf_printf(b, "#%zu id=%s object=%s model=%s created=%lld", r->chunk_count,
              ch->id ? ch->id : "-", ch->object ? ch->object : "-", ch->model ? ch->model : "-",
              (long long)ch->created);
  if (ch->usage)
    sbuf_printf(b, " usage=%lld/%lld/%lld %s", (long long)ch->usage->prompt_tokens,
                (long long)ch->usage->completion_tokens, (long long)ch->usage->total_tokens,
                ch->usage->json);
  assert_non_null(ch->raw_json);
  assert_int_equal(strlen(ch->raw_json), ch->raw_json_len);
  assert_utf8("raw_json", ch->raw_json);
  sbuf_adds(b, " raw=");
  sbuf_add(b, ch->raw_json, ch->raw_json_len);
  for (size_t i = 0; i < ch->choice_count; i++) {
    const mistral_chat_chunk_choice *cc = ch->choices[i];
    assert_non_null(cc);
    assert_non_null(cc->delta);
    const mistral_assistant_message *d = cc->delta;
    sbuf_printf(b, "\n  c%lld finish=%d ", (long long)cc->index, (int)cc->finish_reason);
    sbuf_quoted(b, cc->finish_reason_raw);
    sbuf_adds(b, " role=");
    sbuf_quoted(b, d->role);
    sbuf_adds(b, " content=");
    sbuf_quoted(b, d->content);
    assert_utf8("delta content", d->content);
    for (size_t k = 0; k < d->chunk_count; k++) {
      sbuf_printf(b, " [%s ", d->chunks[k]->type_name ? d->chunks[k]->type_name : "-");
      sbuf_quoted(b, d->chunks[k]->text);
      sbuf_adds(b, "]");
      assert_utf8("chunk text", d->chunks[k]->text);
    }
    for (size_t k = 0; k < d->tool_call_count; k++) {
      const mistral_tool_call *tc = d->tool_calls[k];
      sbuf_printf(b, " {%lld ", (long long)tc->index);
      sbuf_quoted(b, tc->id);
      sbuf_adds(b, " ");
      sbuf_quoted(b, tc->type);
      sbuf_adds(b, " ");
      sbuf_quoted(b, tc->name);
      sbuf_adds(b, " ");
      sbuf_quoted(b, tc->arguments);
      sbuf_adds(b, "}");
      assert_utf8("tool call arguments", tc->arguments);
    }
    if (cc->index == 0 || cc->index == 1) {
      if (d->content) sbuf_adds(&r->text[cc->index], d->content);
      for (size_t k = 0; k < d->chunk_count; k++)
        if (d->chunks[k]->type == MISTRAL_CHUNK_THINKING && d->chunks[k]->text)
          sbuf_adds(&r->thinking[cc->index], d->chunks[k]->text);
    }
  }
  sbuf_adds(b, "\n");
}

static void completion_line(sbuf *b, size_t at, int64_t choice, const mistral_tool_call *tc) {
  sbuf_printf(b, "@%zu c%lld idx=%lld id=", at, (long long)choice, (long long)tc->index);
  sbuf_quoted(b, tc->id);
  sbuf_adds(b, " name=");
  sbuf_quoted(b, tc->name);
  sbuf_adds(b, " type=");
  sbuf_quoted(b, tc->type);
  sbuf_adds(b, " args=");
  sbuf_quoted(b, tc->arguments);
  sbuf_adds(b, "\n");
}

void record_completed(stream_record *r, const mistral_chat_accumulator *acc, size_t at) {
  size_t n = mistral_chat_accumulator_completed_count(acc);
  for (size_t i = 0; i < n; i++) {
    int64_t choice = -1;
    const mistral_tool_call *tc = mistral_chat_accumulator_completed(acc, i, &choice);
    assert_non_null(tc);
    completion_line(&r->completions, at, choice, tc);
  }
  assert_null(mistral_chat_accumulator_completed(acc, n, NULL));
}

void record_error(stream_record *r, int status, const mistral_error *err) {
  r->status = status;
  r->err_code = mistral_error_code(err);
  r->err_http_status = mistral_error_http_status(err);
  r->err_message = dup_or_null(mistral_error_message(err));
  r->err_body = dup_or_null(mistral_error_body(err));
  r->err_api_message = dup_or_null(mistral_error_api_message(err));
  r->err_api_type = dup_or_null(mistral_error_api_type(err));
  r->err_api_code = dup_or_null(mistral_error_api_code(err));
  sbuf *b = &r->err;
  sbuf_printf(b, "status=%d code=%d http=%d message=", status, r->err_code, r->err_http_status);
  sbuf_quoted(b, r->err_message);
  sbuf_adds(b, " body=");
  sbuf_quoted(b, r->err_body);
  sbuf_adds(b, " api_message=");
  sbuf_quoted(b, r->err_api_message);
  sbuf_adds(b, " api_type=");
  sbuf_quoted(b, r->err_api_type);
  sbuf_adds(b, " api_code=");
  sbuf_quoted(b, mistral_error_api_code(err));
  sbuf_adds(b, " api_param=");
  sbuf_quoted(b, mistral_error_api_param(err));
  sbuf_adds(b, " transport=");
  sbuf_quoted(b, mistral_error_transport_message(err));
  sbuf_printf(b, " details=%zu", mistral_error_detail_count(err));
  /* The code of the error object is the status returned. */
  if (status != MISTRAL_OK) assert_int_equal(r->err_code, status);
}

void record_response(stream_record *r, const mistral_chat_response *resp) {
  free(r->response_json);
  r->response_json = NULL;
  if (!resp) return;
  assert_non_null(resp->raw_json);
  assert_int_equal(strlen(resp->raw_json), resp->raw_json_len);
  r->response_json = dup_or_null(resp->raw_json);
}

static void assert_same(const char *what, const char *field, const char *a, const char *b) {
  if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
    fail_msg("%s: %s differs:\n  reference: %s\n  this run:  %s", what, field,
             a ? a : "(null)", b ? b : "(null)");
}

void record_assert_equal(const stream_record *a, const stream_record *b, bool with_completions,
                         const char *what) {
  if (a->chunk_count != b->chunk_count)
    fail_msg("%s: %zu chunks, expected %zu\nthis run:\n%s", what, b->chunk_count,
             a->chunk_count, sbuf_str(&b->chunks));
  assert_same(what, "chunks", sbuf_str(&a->chunks), sbuf_str(&b->chunks));
  if (with_completions)
    assert_same(what, "completed tool calls", sbuf_str(&a->completions),
                sbuf_str(&b->completions));
  for (int i = 0; i < 2; i++) {
    assert_same(what, "text", sbuf_str(&a->text[i]), sbuf_str(&b->text[i]));
    assert_same(what, "thinking", sbuf_str(&a->thinking[i]), sbuf_str(&b->thinking[i]));
  }
  assert_same(what, "outcome", sbuf_str(&a->err), sbuf_str(&b->err));
  assert_same(what, "response", a->response_json, b->response_json);
}

/* ------------------------------------------------------------------------ */
/* Checks against the expectations                                          */

static void expect_str(const char *file, const char *field, const char *want, const char *got) {
  if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0))
    fail_msg("%s: %s: expected %s, got %s", file, field, want ? want : "(null)",
             got ? got : "(null)");
}

void check_case(const stream_case *c, const stream_record *r, const mistral_chat_response *resp,
                bool with_completions) {
  const char *f = c->file;
  if (r->status != c->status)
    fail_msg("%s: status %d (%s), expected %d; error: %s", f, r->status,
             mistral_strerror(r->status), c->status, sbuf_str(&r->err));
  if (r->chunk_count != c->chunks)
    fail_msg("%s: %zu chunks, expected %zu", f, r->chunk_count, c->chunks);

  /* The deltas, concatenated: whole UTF-8 and the expected text. */
  for (size_t i = 0; i < c->choice_count; i++) {
    const exp_choice *e = &c->choices[i];
    const sbuf *t = &r->text[e->index];
    assert_true(tu_utf8_valid_n(sbuf_str(t), t->len));
    expect_str(f, "delta text", e->text, sbuf_str(t));
    expect_str(f, "thinking text", e->thinking ? e->thinking : "", sbuf_str(&r->thinking[e->index]));
  }

  /* The error. */
  if (c->status == MISTRAL_OK) {
    assert_int_equal(r->err_code, MISTRAL_OK);
  } else {
    assert_int_equal(r->err_code, c->status);
    assert_non_null(r->err_message);
  }
  if (c->status == MISTRAL_E_STREAM) {
    expect_str(f, "mistral_error_body", c->err_body, r->err_body);
    expect_str(f, "mistral_error_api_message", c->api_message, r->err_api_message);
    expect_str(f, "mistral_error_api_type", c->api_type, r->err_api_type);
    expect_str(f, "mistral_error_api_code", c->api_code, r->err_api_code);
  }

  /* The accumulated response. */
  if (c->chunks == 0) return;
  assert_non_null(resp);
  expect_str(f, "id", c->id, resp->id);
  expect_str(f, "object", "chat.completion", resp->object);
  expect_str(f, "model", c->resp_model ? c->resp_model : "mistral-small-latest", resp->model);
  assert_true(resp->created > 1700000000);
  assert_non_null(resp->usage);
  if (c->usage[0] < 0) {
    assert_int_equal(resp->usage->prompt_tokens, 0);
    assert_int_equal(resp->usage->total_tokens, 0);
    expect_str(f, "usage json", "{}", resp->usage->json);
  } else {
    assert_int_equal(resp->usage->prompt_tokens, c->usage[0]);
    assert_int_equal(resp->usage->completion_tokens, c->usage[1]);
    assert_int_equal(resp->usage->total_tokens, c->usage[2]);
  }
  if (resp->choice_count != c->choice_count)
    fail_msg("%s: %zu choices, expected %zu", f, resp->choice_count, c->choice_count);
  for (size_t i = 0; i < c->choice_count; i++) {
    const exp_choice *e = &c->choices[i];
    const mistral_chat_choice *ch = resp->choices[i];
    assert_int_equal(ch->index, e->index);
    assert_int_equal(ch->finish_reason, e->finish);
    expect_str(f, "finish_reason_raw", e->finish_raw, ch->finish_reason_raw);
    assert_non_null(ch->message);
    expect_str(f, "role", "assistant", ch->message->role);
    expect_str(f, "content", e->text, ch->message->content);
    if (e->thinking) {
      assert_int_equal(ch->message->chunk_count, 2);
      assert_int_equal(ch->message->chunks[0]->type, MISTRAL_CHUNK_THINKING);
      expect_str(f, "thinking chunk", e->thinking, ch->message->chunks[0]->text);
      assert_int_equal(ch->message->chunks[1]->type, MISTRAL_CHUNK_TEXT);
      expect_str(f, "text chunk", e->text, ch->message->chunks[1]->text);
    } else {
      assert_int_equal(ch->message->chunk_count, 0);
    }
    size_t want_tools = 0;
    for (size_t k = 0; k < c->tool_count; k++)
      if (c->tools_out[k].choice == e->index) want_tools++;
    assert_int_equal(ch->message->tool_call_count, want_tools);
    size_t pos = 0;
    for (size_t k = 0; k < c->tool_count; k++) {
      const exp_tool *t = &c->tools_out[k];
      if (t->choice != e->index) continue;
      const mistral_tool_call *tc = ch->message->tool_calls[pos++];
      assert_int_equal(tc->index, t->index);
      expect_str(f, "tool call id", t->id, tc->id);
      expect_str(f, "tool call name", t->name, tc->name);
      expect_str(f, "tool call type", "function", tc->type);
      expect_str(f, "tool call arguments", t->arguments, tc->arguments);
    }
  }

  /* The moments tool calls completed: in stream order, then at the end. */
  if (with_completions) {
    sbuf want = {0};
    for (size_t at = 1; at <= c->chunks + 1; at++) {
      size_t moment = at == c->chunks + 1 ? 0 : at;
      for (size_t k = 0; k < c->tool_count; k++) {
        const exp_tool *t = &c->tools_out[k];
        if (t->completed_at != moment) continue;
        mistral_tool_call tc = {.id = t->id,
                                .type = "function",
                                .index = t->index,
                                .name = t->name,
                                .arguments = t->arguments};
        completion_line(&want, moment, t->choice, &tc);
      }
    }
    expect_str(f, "completed tool calls", sbuf_str(&want), sbuf_str(&r->completions));
    sbuf_free(&want);
  }
}

/* ------------------------------------------------------------------------ */
/* Sans-I/O                                                                 */

typedef struct sansio_ctx {
  stream_record *r;
  mistral_chat_accumulator *acc;
} sansio_ctx;

static int on_sansio_chunk(const mistral_chat_chunk *chunk, void *ud) {
  sansio_ctx *x = ud;
  record_chunk(x->r, chunk);
  assert_int_equal(mistral_chat_accumulator_add(x->acc, chunk), MISTRAL_OK);
  record_completed(x->r, x->acc, x->r->chunk_count);
  return 0;
}

void run_sansio(const char *body, size_t len, const size_t *cuts, size_t ncuts,
                stream_record *r, mistral_chat_response **resp_out) {
  mistral_stream_decoder *dec = NULL;
  mistral_chat_accumulator *acc = NULL;
  mistral_error *err = mistral_error_new();
  assert_non_null(err);
  assert_int_equal(mistral_stream_decoder_new(&dec), MISTRAL_OK);
  assert_int_equal(mistral_chat_accumulator_new(&acc), MISTRAL_OK);
  sansio_ctx x = {r, acc};
  int rc = MISTRAL_OK;
  size_t off = 0;
  for (size_t i = 0; i <= ncuts && rc == MISTRAL_OK; i++) {
    size_t end = i < ncuts ? cuts[i] : len;
    assert_true(end >= off && end <= len);
    rc = mistral_stream_decoder_feed(dec, body + off, end - off, on_sansio_chunk, &x, err);
    off = end;
  }
  if (rc == MISTRAL_OK) {
    rc = mistral_stream_decoder_finish(dec, err);
    assert_int_equal(mistral_chat_accumulator_finish(acc), MISTRAL_OK);
    record_completed(r, acc, 0);
  } else {
    /* A failed decoder keeps failing with the same code. */
    mistral_error *again = mistral_error_new();
    assert_non_null(again);
    assert_int_equal(mistral_stream_decoder_feed(dec, "data: [DONE]\n\n", 14, NULL, NULL, again),
                     rc);
    assert_int_equal(mistral_stream_decoder_finish(dec, again), rc);
    assert_int_equal(mistral_error_code(again), rc);
    mistral_error_free(again);
  }
  record_error(r, rc, err);
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_accumulator_response(&resp, acc), MISTRAL_OK);
  record_response(r, r->chunk_count ? resp : NULL);
  if (resp_out) *resp_out = resp;
  else mistral_chat_response_free(resp);
  mistral_chat_accumulator_free(acc);
  mistral_stream_decoder_free(dec);
  mistral_error_free(err);
}

/* ------------------------------------------------------------------------ */
/* Network                                                                  */

mistral_client *stream_client(const fixture_server *fs) {
  /* One attempt per call (retries are tested in tests/retry). */
  mistral_client *c = tu_client(fs, STREAM_TEST_KEY, 1);
  assert_int_equal(mistral_client_set_connect_timeout_ms(c, 5000), MISTRAL_OK);
  return c;
}

void stream_wait_closed(const fixture_server *fs, size_t closed) {
  for (int i = 0; i < 20000 && fixture_server_connections_closed(fs) < closed; i++) {
    struct timespec ts = {0, 1000000L};
    nanosleep(&ts, NULL);
  }
  assert_int_equal(fixture_server_connections_closed(fs), closed);
}

static int on_push_chunk(const mistral_chat_chunk *chunk, void *ud) {
  record_chunk(ud, chunk);
  return 0;
}

int run_push(mistral_client *client, const mistral_chat_request *req, stream_record *r,
             mistral_chat_response **final_out) {
  mistral_error *err = mistral_error_new();
  assert_non_null(err);
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete_streaming(&resp, client, req, on_push_chunk, r, err);
  record_error(r, rc, err);
  /* final_out: the answer, also a partial one, whenever a chunk arrived. */
  if (r->chunk_count) assert_non_null(resp);
  else assert_null(resp);
  record_response(r, resp);
  if (final_out) *final_out = resp;
  else mistral_chat_response_free(resp);
  mistral_error_free(err);
  return rc;
}

int run_pull(mistral_client *client, const mistral_chat_request *req, stream_record *r,
             mistral_chat_response **resp_out) {
  mistral_error *err = mistral_error_new();
  assert_non_null(err);
  if (resp_out) *resp_out = NULL;
  mistral_chat_stream *s = NULL;
  int rc = mistral_chat_stream_open(&s, client, req, err);
  if (rc != MISTRAL_OK) {
    assert_null(s);
    record_error(r, rc, err);
    mistral_error_free(err);
    return rc;
  }
  assert_non_null(s);
  const mistral_chat_accumulator *acc = mistral_chat_stream_accumulator(s);
  assert_non_null(acc);
  const mistral_chat_chunk *chunk = NULL;
  for (;;) {
    rc = mistral_chat_stream_next(&chunk, s, err);
    if (rc != MISTRAL_OK) {
      assert_null(chunk);
      break;
    }
    if (!chunk) break;
    record_chunk(r, chunk);
    record_completed(r, acc, r->chunk_count);
  }
  /* The end of the stream was reached (well or cut): the accumulator
   * completed what was pending. */
  if (rc == MISTRAL_OK || rc == MISTRAL_E_TRUNCATED) record_completed(r, acc, 0);
  record_error(r, rc, err);
  /* The end is sticky: next keeps saying the same. */
  mistral_error *again = mistral_error_new();
  assert_non_null(again);
  const mistral_chat_chunk *more = (const mistral_chat_chunk *)1;
  assert_int_equal(mistral_chat_stream_next(&more, s, again), rc);
  assert_null(more);
  assert_int_equal(mistral_error_code(again), rc);
  mistral_error_free(again);

  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_stream_response(&resp, s), MISTRAL_OK);
  assert_non_null(resp);
  record_response(r, r->chunk_count ? resp : NULL);
  if (resp_out) *resp_out = resp;
  else mistral_chat_response_free(resp);
  mistral_chat_stream_free(s);
  mistral_error_free(err);
  return rc;
}
