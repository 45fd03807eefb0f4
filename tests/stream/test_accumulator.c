/* C. Accumulator specifics: the moments tool calls are reported complete
 * (after the add that completes them; a fragmented call when the next
 * index starts), fragments without id or name (absent, "", null, or
 * repeated), arguments sent as an object, calls in two choices, and the
 * merged response of a stream cut short (any time, any number of times). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream_test_util.h"

typedef struct acc_run {
  mistral_stream_decoder *dec;
  mistral_chat_accumulator *acc;
  stream_record r;
  size_t done_after[32]; /* completed_count after each add (1-based) */
} acc_run;

static int on_chunk(const mistral_chat_chunk *chunk, void *ud) {
  acc_run *a = ud;
  record_chunk(&a->r, chunk);
  assert_int_equal(mistral_chat_accumulator_add(a->acc, chunk), MISTRAL_OK);
  if (a->r.chunk_count < 32)
    a->done_after[a->r.chunk_count] = mistral_chat_accumulator_completed_count(a->acc);
  record_completed(&a->r, a->acc, a->r.chunk_count);
  return 0;
}

static void acc_begin(acc_run *a) {
  memset(a, 0, sizeof *a);
  record_init(&a->r);
  assert_int_equal(mistral_stream_decoder_new(&a->dec), MISTRAL_OK);
  assert_int_equal(mistral_chat_accumulator_new(&a->acc), MISTRAL_OK);
}

static void acc_feed(acc_run *a, const char *data, size_t len) {
  assert_int_equal(mistral_stream_decoder_feed(a->dec, data, len, on_chunk, a, NULL), MISTRAL_OK);
}

static void acc_feeds(acc_run *a, const char *text) { acc_feed(a, text, strlen(text)); }

static void acc_end(acc_run *a) {
  mistral_chat_accumulator_free(a->acc);
  mistral_stream_decoder_free(a->dec);
  record_free(&a->r);
}

static mistral_chat_response *acc_response(const acc_run *a) {
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_accumulator_response(&resp, a->acc), MISTRAL_OK);
  assert_non_null(resp);
  return resp;
}

/* ---- completion moments ---- */

static void test_completed_fragments(void **state) {
  (void)state;
  size_t len;
  char *body = stream_fixture_body("tool-call-fragments.fixture", &len);
  acc_run a;
  acc_begin(&a);
  acc_feed(&a, body, len);
  assert_int_equal(a.r.chunk_count, 9);
  /* Only the add that starts index 1 (chunk 6) and the one that carries the
   * finish reason (chunk 8) complete anything. */
  for (size_t i = 1; i <= 9; i++)
    assert_int_equal(a.done_after[i], i == 6 || i == 8 ? 1 : 0);
  assert_string_equal(sbuf_str(&a.r.completions),
                      "@6 c0 idx=0 id=\"chatcmpl-tool-3f9a1c7e5b2d4f6a\" name=\"get_weather\" "
                      "type=\"function\" args=\"{\\\"city\\\": \\\"Zürich\\\"}\"\n"
                      "@8 c0 idx=1 id=\"chatcmpl-tool-8c2e4a6b0d1f3e5a\" name=\"get_local_time\" "
                      "type=\"function\" args=\"{\\\"city\\\": \\\"Zürich\\\"}\"\n");
  /* The last add (the usage chunk) completed nothing; finishing neither:
   * every call was already reported. */
  assert_int_equal(mistral_chat_accumulator_completed_count(a.acc), 0);
  assert_null(mistral_chat_accumulator_completed(a.acc, 0, NULL));
  assert_int_equal(mistral_chat_accumulator_finish(a.acc), MISTRAL_OK);
  assert_int_equal(mistral_chat_accumulator_completed_count(a.acc), 0);
  acc_end(&a);
  free(body);
}

static void test_completed_whole(void **state) {
  (void)state;
  size_t len;
  char *body = stream_fixture_body("tool-call-whole.fixture", &len);
  acc_run a;
  acc_begin(&a);
  acc_feed(&a, body, len);
  /* One delta brings the call and the finish reason: complete at once. */
  assert_int_equal(a.done_after[1], 0);
  assert_int_equal(a.done_after[2], 1);
  int64_t choice = -1;
  const mistral_tool_call *tc = mistral_chat_accumulator_completed(a.acc, 0, &choice);
  assert_non_null(tc);
  assert_int_equal(choice, 0);
  assert_string_equal(tc->id, "D681PevKs");
  assert_string_equal(tc->type, "function");
  assert_string_equal(tc->name, "get_weather");
  assert_string_equal(tc->arguments, "{\"city\": \"Besançon\"}");
  assert_int_equal(tc->index, 0);
  assert_null(mistral_chat_accumulator_completed(a.acc, 1, &choice));
  /* The next add forgets it (the decoder ignores what follows [DONE]:
   * add an empty chunk directly). */
  mistral_chat_chunk empty = {0};
  assert_int_equal(mistral_chat_accumulator_add(a.acc, &empty), MISTRAL_OK);
  assert_int_equal(mistral_chat_accumulator_completed_count(a.acc), 0);
  acc_end(&a);
  free(body);
}

/* A call without a finish reason completes at the end of the stream. */
static void test_completed_at_finish(void **state) {
  (void)state;
  acc_run a;
  acc_begin(&a);
  acc_feeds(&a,
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"t1\",\"index\":0,"
            "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n");
  assert_int_equal(mistral_chat_accumulator_completed_count(a.acc), 0);
  assert_int_equal(mistral_chat_accumulator_finish(a.acc), MISTRAL_OK);
  assert_int_equal(mistral_chat_accumulator_completed_count(a.acc), 1);
  const mistral_tool_call *tc = mistral_chat_accumulator_completed(a.acc, 0, NULL);
  assert_non_null(tc);
  assert_string_equal(tc->id, "t1");
  assert_string_equal(tc->arguments, "{}");
  /* Finishing again reports nothing new. */
  assert_int_equal(mistral_chat_accumulator_finish(a.acc), MISTRAL_OK);
  assert_int_equal(mistral_chat_accumulator_completed_count(a.acc), 0);
  acc_end(&a);
}

/* ---- fragments ---- */

#define CHUNK_HEAD                                                                 \
  "data: {\"id\":\"cmpl-f\",\"object\":\"chat.completion.chunk\",\"created\":1764242600," \
  "\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,\"delta\":"
#define CHUNK_TAIL ",\"finish_reason\":null}]}\n\n"

static void test_fragment_variants(void **state) {
  (void)state;
  acc_run a;
  acc_begin(&a);
  /* First fragment: id, type, name and the start of the arguments. */
  acc_feeds(&a, CHUNK_HEAD "{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                "\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"{\\\"q\\\":\"}}]}"
                CHUNK_TAIL);
  /* Empty id and name: not a rename. */
  acc_feeds(&a, CHUNK_HEAD "{\"tool_calls\":[{\"index\":0,\"id\":\"\",\"function\":{\"name\":\"\","
                "\"arguments\":\"\\\"é\"}}]}" CHUNK_TAIL);
  /* null id, type and name. */
  acc_feeds(&a, CHUNK_HEAD "{\"tool_calls\":[{\"index\":0,\"id\":null,\"type\":null,\"function\":"
                "{\"name\":null,\"arguments\":\"t\\u00e9\"}}]}" CHUNK_TAIL);
  /* The id and name repeated, as some servers do: kept once. */
  acc_feeds(&a, CHUNK_HEAD "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                "\"function\":{\"name\":\"lookup\",\"arguments\":\"\\\"}\"}}]}" CHUNK_TAIL);
  /* No arguments key at all, no function object. */
  acc_feeds(&a, CHUNK_HEAD "{\"tool_calls\":[{\"index\":0}]}" CHUNK_TAIL);
  for (size_t i = 1; i <= 5; i++) assert_int_equal(a.done_after[i], 0);
  /* A second call (index 1): no id ever, arguments sent as a JSON object
   * (handed out as JSON text). It completes call 0. */
  acc_feeds(&a, CHUNK_HEAD "{\"tool_calls\":[{\"index\":1,\"function\":{\"name\":\"compute\","
                "\"arguments\":{\"a\":1,\"b\":[true,null]}}}]}" CHUNK_TAIL);
  assert_int_equal(a.done_after[6], 1);
  const mistral_tool_call *tc = mistral_chat_accumulator_completed(a.acc, 0, NULL);
  assert_string_equal(tc->id, "call_1");
  assert_string_equal(tc->name, "lookup");
  assert_string_equal(tc->type, "function");
  assert_string_equal(tc->arguments, "{\"q\":\"été\"}");
  acc_feeds(&a, "data: {\"id\":\"cmpl-f\",\"object\":\"chat.completion.chunk\",\"created\":1764242600,"
                "\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,\"delta\":{},"
                "\"finish_reason\":\"tool_calls\"}]}\n\n");
  assert_int_equal(a.done_after[7], 1);
  tc = mistral_chat_accumulator_completed(a.acc, 0, NULL);
  assert_null(tc->id);
  assert_string_equal(tc->name, "compute");
  assert_string_equal(tc->arguments, "{\"a\":1,\"b\":[true,null]}");
  assert_int_equal(tc->index, 1);

  mistral_chat_response *resp = acc_response(&a);
  assert_int_equal(resp->choice_count, 1);
  const mistral_assistant_message *m = resp->choices[0]->message;
  assert_int_equal(resp->choices[0]->finish_reason, MISTRAL_FINISH_TOOL_CALLS);
  assert_null(m->content);
  assert_int_equal(m->tool_call_count, 2);
  assert_string_equal(m->tool_calls[0]->id, "call_1");
  assert_string_equal(m->tool_calls[0]->name, "lookup");
  assert_string_equal(m->tool_calls[0]->arguments, "{\"q\":\"été\"}");
  assert_null(m->tool_calls[1]->id);
  assert_string_equal(m->tool_calls[1]->type, "function");
  assert_string_equal(m->tool_calls[1]->name, "compute");
  assert_string_equal(m->tool_calls[1]->arguments, "{\"a\":1,\"b\":[true,null]}");
  mistral_chat_response_free(resp);
  acc_end(&a);
}

/* Calls in two choices complete with their own choice. */
static void test_two_choices_tools(void **state) {
  (void)state;
  acc_run a;
  acc_begin(&a);
#define TWO_HEAD \
  "data: {\"id\":\"cmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":["
  acc_feeds(&a, TWO_HEAD "{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"a0\",\"index\":0,"
                "\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]},\"finish_reason\":null},"
                "{\"index\":1,\"delta\":{\"tool_calls\":[{\"id\":\"b0\",\"index\":0,"
                "\"function\":{\"name\":\"g\",\"arguments\":\"[\"}}]},\"finish_reason\":null}]}\n\n");
  /* Choice 1's call 1 starts: only choice 1's call 0 completes. */
  acc_feeds(&a, TWO_HEAD "{\"index\":1,\"delta\":{\"tool_calls\":[{\"id\":\"b1\",\"index\":1,"
                "\"function\":{\"name\":\"h\",\"arguments\":\"]\"}}]},\"finish_reason\":null}]}\n\n");
  assert_int_equal(a.done_after[2], 1);
  int64_t choice = -1;
  const mistral_tool_call *tc = mistral_chat_accumulator_completed(a.acc, 0, &choice);
  assert_int_equal(choice, 1);
  assert_string_equal(tc->id, "b0");
  assert_string_equal(tc->arguments, "[");
  /* Choice 0 ends: its call completes, choice 1's call 1 stays open. */
  acc_feeds(&a, TWO_HEAD "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                "{\"arguments\":\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n");
  assert_int_equal(a.done_after[3], 1);
  tc = mistral_chat_accumulator_completed(a.acc, 0, &choice);
  assert_int_equal(choice, 0);
  assert_string_equal(tc->id, "a0");
  assert_string_equal(tc->arguments, "{}");
  /* The end completes the rest. */
  assert_int_equal(mistral_chat_accumulator_finish(a.acc), MISTRAL_OK);
  assert_int_equal(mistral_chat_accumulator_completed_count(a.acc), 1);
  tc = mistral_chat_accumulator_completed(a.acc, 0, &choice);
  assert_int_equal(choice, 1);
  assert_string_equal(tc->id, "b1");
  mistral_chat_response *resp = acc_response(&a);
  assert_int_equal(resp->choice_count, 2);
  assert_int_equal(resp->choices[0]->message->tool_call_count, 1);
  assert_int_equal(resp->choices[1]->message->tool_call_count, 2);
  assert_int_equal(resp->choices[1]->finish_reason, MISTRAL_FINISH_NONE);
  mistral_chat_response_free(resp);
  acc_end(&a);
}

/* ---- partial streams ---- */

static size_t nth_event_end(const char *body, size_t n) {
  const char *p = body;
  for (size_t i = 0; i < n; i++) {
    p = strstr(p, "\n\n");
    assert_non_null(p);
    p += 2;
  }
  return (size_t)(p - body);
}

static void test_partial_stream(void **state) {
  (void)state;
  size_t len;
  char *body = stream_fixture_body("tool-call-fragments.fixture", &len);
  acc_run a;
  acc_begin(&a);
  /* Nothing yet: an empty response. */
  mistral_chat_response *resp = acc_response(&a);
  assert_int_equal(resp->choice_count, 0);
  assert_string_equal(resp->object, "chat.completion");
  mistral_chat_response_free(resp);

  /* Three events, and half of the fourth. */
  size_t three = nth_event_end(body, 3);
  acc_feed(&a, body, three + 30);
  assert_int_equal(a.r.chunk_count, 3);
  resp = acc_response(&a);
  mistral_chat_response *again = acc_response(&a);
  assert_string_equal(resp->raw_json, again->raw_json); /* any number of times */
  mistral_chat_response_free(again);
  assert_string_equal(resp->id, "chatcmpl-6b1d8e3f5a7c4e9b8d2f0a4c6e8b1d3f");
  assert_int_equal(resp->choice_count, 1);
  const mistral_chat_choice *ch = resp->choices[0];
  assert_int_equal(ch->finish_reason, MISTRAL_FINISH_NONE);
  assert_null(ch->finish_reason_raw);
  assert_int_equal(ch->message->tool_call_count, 1);
  assert_string_equal(ch->message->tool_calls[0]->id, "chatcmpl-tool-3f9a1c7e5b2d4f6a");
  assert_string_equal(ch->message->tool_calls[0]->name, "get_weather");
  assert_string_equal(ch->message->tool_calls[0]->arguments, "{\"city\": ");
  assert_int_equal(resp->usage->total_tokens, 0);
  mistral_chat_response_free(resp);
  /* The decoder calls that a cut; the accumulator completes the call as it
   * stands. */
  assert_int_equal(mistral_stream_decoder_finish(a.dec, NULL), MISTRAL_E_TRUNCATED);
  assert_int_equal(mistral_chat_accumulator_finish(a.acc), MISTRAL_OK);
  assert_int_equal(mistral_chat_accumulator_completed_count(a.acc), 1);
  assert_string_equal(mistral_chat_accumulator_completed(a.acc, 0, NULL)->arguments,
                      "{\"city\": ");
  acc_end(&a);

  /* Text: the answer so far after each chunk is the deltas so far. */
  free(body);
  body = stream_fixture_body("text-utf8.fixture", &len);
  acc_begin(&a);
  size_t off = 0;
  for (size_t n = 1; n <= 17; n++) {
    size_t end = nth_event_end(body, n);
    acc_feed(&a, body + off, end - off);
    off = end;
    assert_int_equal(a.r.chunk_count, n);
    resp = acc_response(&a);
    assert_string_equal(resp->choices[0]->message->content, sbuf_str(&a.r.text[0]));
    assert_int_equal(resp->choices[0]->finish_reason,
                     n == 17 ? MISTRAL_FINISH_STOP : MISTRAL_FINISH_NONE);
    assert_true(tu_utf8_valid_n(resp->raw_json, resp->raw_json_len));
    mistral_chat_response_free(resp);
  }
  acc_end(&a);
  free(body);
}

/* The decoder's guarantee that what the accumulator (and the caller) gets
 * is whole UTF-8: a chunk whose text is not (a stray byte, a cut sequence,
 * an overlong form, an encoded surrogate or a code point past U+10FFFF, an
 * escaped lone or reversed surrogate, an escaped NUL that would cut the C
 * string) fails the stream with MISTRAL_E_STREAM and the raw data, however
 * the bytes are split; the valid chunk before it is delivered. */
static void test_invalid_text_rejected(void **state) {
  (void)state;
  static const char *const bad[] = {"\xff",       "caf\xc3",        "\\uD83D", "\\uDE00\\uD83D",
                                    "\xc0\xaf",   "\xed\xa0\x80",   "\xf4\x90\x80\x80",
                                    "a\\u0000b"};
  static const char ok[] =
      "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"d\xc3\xa9j\xc3\xa0 \\uD83D\\uDE00\"},"
      "\"finish_reason\":null}]}\n\n";
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char data[256];
    snprintf(data, sizeof data,
             "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
             "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}",
             bad[i]);
    char body[1024];
    int n = snprintf(body, sizeof body, "%sdata: %s\n\ndata: [DONE]\n\n", ok, data);
    assert_true(n > 0 && (size_t)n < sizeof body);
    for (size_t k = 0; k <= (size_t)n; k++) {
      stream_record r;
      record_init(&r);
      run_sansio(body, (size_t)n, &k, 1, &r, NULL);
      if (r.status != MISTRAL_E_STREAM || r.chunk_count != 1)
        fail_msg("case %zu, split at %zu: status %d, %zu chunks", i, k, r.status, r.chunk_count);
      assert_string_equal(sbuf_str(&r.text[0]), "déjà 😀");
      assert_non_null(r.err_body);
      assert_memory_equal(r.err_body, data, strlen(data));
      record_free(&r);
    }
  }
}

static void test_bad_args(void **state) {
  (void)state;
  mistral_chat_accumulator *acc = NULL;
  assert_int_equal(mistral_chat_accumulator_new(NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_chat_accumulator_new(&acc), MISTRAL_OK);
  mistral_chat_chunk chunk = {0};
  assert_int_equal(mistral_chat_accumulator_add(NULL, &chunk), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_chat_accumulator_add(acc, NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_chat_accumulator_finish(NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_chat_accumulator_completed_count(NULL), 0);
  assert_null(mistral_chat_accumulator_completed(NULL, 0, NULL));
  mistral_chat_response *resp = (mistral_chat_response *)1;
  assert_int_equal(mistral_chat_accumulator_response(&resp, NULL), MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_int_equal(mistral_chat_accumulator_response(NULL, acc), MISTRAL_E_INVALID_ARG);
  /* An empty chunk is fine. */
  assert_int_equal(mistral_chat_accumulator_add(acc, &chunk), MISTRAL_OK);
  mistral_chat_accumulator_free(acc);
  mistral_chat_accumulator_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_completed_fragments), cmocka_unit_test(test_completed_whole),
      cmocka_unit_test(test_completed_at_finish), cmocka_unit_test(test_fragment_variants),
      cmocka_unit_test(test_two_choices_tools),   cmocka_unit_test(test_partial_stream),
      cmocka_unit_test(test_invalid_text_rejected), cmocka_unit_test(test_bad_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
