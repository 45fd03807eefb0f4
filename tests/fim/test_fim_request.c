/* FIM requests without a server answering: every setter serialized
 * (mistral_fim_request_to_json, compared semantically), unset fields
 * omitted, set_null for every nullable field, unset, and every way a
 * request can be refused before anything is sent (missing model or prompt,
 * invalid UTF-8, invalid metadata JSON, numbers out of range, NULL
 * arguments): MISTRAL_E_INVALID_ARG naming the field, from to_json and from
 * the three sending calls alike, with no connection to the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fim_test_util.h"

/* ---- construction ---- */

static void test_new_minimal(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  ft_assert_fim_body(req, "{\"model\":\"codestral-latest\",\"prompt\":\"def fib(n):\\n    \"}");
  mistral_fim_request_free(req);
}

static void test_new_then_set_model_and_prompt(void **state) {
  (void)state;
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, NULL, NULL), MISTRAL_OK);
  assert_non_null(req);
  assert_int_equal(mistral_fim_request_set_model(req, "codestral-2508"), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_prompt(req, "fn main() {"), MISTRAL_OK);
  ft_assert_fim_body(req, "{\"model\":\"codestral-2508\",\"prompt\":\"fn main() {\"}");
  /* A later value replaces the earlier one. */
  assert_int_equal(mistral_fim_request_set_model(req, "codestral-latest"), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_prompt(req, "# caf\xc3\xa9 \xe2\x82\xac\n"),
                   MISTRAL_OK);
  ft_assert_fim_body(req,
                     "{\"model\":\"codestral-latest\",\"prompt\":\"# caf\\u00e9 \\u20ac\\n\"}");
  mistral_fim_request_free(req);
}

/* Code is full of characters JSON must escape: every one comes back
 * unchanged when the body is parsed. */
static void test_special_characters_round_trip(void **state) {
  (void)state;
  static const char prompt[] = "s = \"a\\tb\"\t# \x01\x1f \x7f\r\n</script> \xe2\x80\xa8"
                               "\xf0\x9f\x98\x80 '\\u0000'";
  static const char suffix[] = "\n}\n\\\\ end \xc3\xa9";
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, FT_MODEL, prompt), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_suffix(req, suffix), MISTRAL_OK);
  const char *const stops[] = {"\"\"\"", "\t\t"};
  assert_int_equal(mistral_fim_request_set_stop_list(req, stops, 2), MISTRAL_OK);
  json_t *body = ft_fim_json(req);
  assert_string_equal(json_string_value(json_object_get(body, "prompt")), prompt);
  assert_string_equal(json_string_value(json_object_get(body, "suffix")), suffix);
  json_t *stop = json_object_get(body, "stop");
  assert_int_equal(json_array_size(stop), 2);
  assert_string_equal(json_string_value(json_array_get(stop, 0)), stops[0]);
  assert_string_equal(json_string_value(json_array_get(stop, 1)), stops[1]);
  json_decref(body);
  mistral_fim_request_free(req);
}

static void test_to_json_is_compact_text(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  char *text = NULL;
  assert_int_equal(mistral_fim_request_to_json(&text, req, NULL), MISTRAL_OK);
  assert_non_null(text);
  assert_null(strchr(text, '\n')); /* the prompt's newline is escaped */
  assert_null(strstr(text, "\"stream\""));
  mistral_free(text);
  mistral_fim_request_free(req);
}

/* ---- every setter, one at a time ---- */

static void test_set_suffix(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_suffix(req, "\nprint(fib(10))\n"), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"suffix\":\"\\nprint(fib(10))\\n\"");
  /* "" is a value (the spec's default), not "unset". */
  assert_int_equal(mistral_fim_request_set_suffix(req, ""), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"suffix\":\"\"");
  mistral_fim_request_free(req);
}

static void test_set_temperature(void **state) {
  (void)state;
  const double ok[] = {0.0, 0.2, 0.7, 1.5};
  const char *want[] = {"\"temperature\":0", "\"temperature\":0.2", "\"temperature\":0.7",
                        "\"temperature\":1.5"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_temperature(req, ok[i]), MISTRAL_OK);
    ft_assert_fim_base_with(req, want[i]);
    mistral_fim_request_free(req);
  }
}

static void test_set_top_p(void **state) {
  (void)state;
  const double ok[] = {0.05, 0.9, 1.0};
  const char *want[] = {"\"top_p\":0.05", "\"top_p\":0.9", "\"top_p\":1"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_top_p(req, ok[i]), MISTRAL_OK);
    ft_assert_fim_base_with(req, want[i]);
    mistral_fim_request_free(req);
  }
}

static void test_set_token_counts(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_max_tokens(req, 0), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_min_tokens(req, 0), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"max_tokens\":0,\"min_tokens\":0");
  assert_int_equal(mistral_fim_request_set_max_tokens(req, 128), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_min_tokens(req, 4), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"max_tokens\":128,\"min_tokens\":4");
  /* The whole int64 range above the minimum goes through unchanged. */
  assert_int_equal(mistral_fim_request_set_max_tokens(req, INT64_MAX), MISTRAL_OK);
  json_t *body = ft_fim_json(req);
  assert_true(json_is_integer(json_object_get(body, "max_tokens")));
  assert_true(json_integer_value(json_object_get(body, "max_tokens")) == INT64_MAX);
  json_decref(body);
  mistral_fim_request_free(req);
}

static void test_set_stop(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_stop(req, "\n\n"), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"stop\":\"\\n\\n\"");
  const char *const stops[] = {"\ndef ", "\nclass ", "```"};
  assert_int_equal(mistral_fim_request_set_stop_list(req, stops, 3), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"stop\":[\"\\ndef \",\"\\nclass \",\"```\"]");
  /* The string form again replaces the list. */
  assert_int_equal(mistral_fim_request_set_stop(req, "#"), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"stop\":\"#\"");
  /* An empty list is a list (items may be NULL then). */
  assert_int_equal(mistral_fim_request_set_stop_list(req, NULL, 0), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"stop\":[]");
  mistral_fim_request_free(req);
}

static void test_set_random_seed(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_random_seed(req, 0), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"random_seed\":0");
  assert_int_equal(mistral_fim_request_set_random_seed(req, 1337), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"random_seed\":1337");
  mistral_fim_request_free(req);
}

static void test_set_metadata(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_metadata_json(req, "{}"), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"metadata\":{}");
  assert_int_equal(
      mistral_fim_request_set_metadata_json(
          req, " {\"editor\": \"vim\", \"file\": {\"path\": \"fib.py\", \"line\": 2},"
               " \"tags\": [1, 2.5, null, true]} "),
      MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"metadata\":{\"editor\":\"vim\",\"file\":{\"path\":\"fib.py\","
                               "\"line\":2},\"tags\":[1,2.5,null,true]}");
  mistral_fim_request_free(req);
}

static void test_set_prompt_cache_key(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_prompt_cache_key(req, "repo-42/fib.py"), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"prompt_cache_key\":\"repo-42/fib.py\"");
  mistral_fim_request_free(req);
}

/* Every setter at once: the body of tests/fixtures/fim/all-fields.fixture. */
static void test_all_fields(void **state) {
  (void)state;
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, "codestral-2508", "def add(a, b):\n    "),
                   MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_suffix(req, "\n\nprint(add(2, 3))\n"), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_temperature(req, 0.2), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_top_p(req, 0.95), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_max_tokens(req, 64), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_min_tokens(req, 1), MISTRAL_OK);
  const char *const stops[] = {"\ndef ", "\nclass "};
  assert_int_equal(mistral_fim_request_set_stop_list(req, stops, 2), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_random_seed(req, 42), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_metadata_json(req, "{\"editor\":\"vim\"}"),
                   MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_prompt_cache_key(req, "repo-42/add.py"),
                   MISTRAL_OK);
  ft_assert_fim_body(req,
                     "{\"model\":\"codestral-2508\",\"prompt\":\"def add(a, b):\\n    \","
                     "\"suffix\":\"\\n\\nprint(add(2, 3))\\n\",\"temperature\":0.2,"
                     "\"top_p\":0.95,\"max_tokens\":64,\"min_tokens\":1,"
                     "\"stop\":[\"\\ndef \",\"\\nclass \"],\"random_seed\":42,"
                     "\"metadata\":{\"editor\":\"vim\"},"
                     "\"prompt_cache_key\":\"repo-42/add.py\"}");
  /* Per-call options are not part of the body. */
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_timeout_ms(opts, 1234), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  json_t *body = ft_fim_json(req);
  assert_int_equal(json_object_size(body), 11);
  json_decref(body);
  mistral_fim_request_free(req);
}

/* ---- unset ---- */

static const char *const optional_fields[] = {"suffix",     "temperature", "top_p",
                                              "max_tokens", "min_tokens",  "stop",
                                              "random_seed", "metadata",   "prompt_cache_key"};
#define OPTIONAL_COUNT (sizeof optional_fields / sizeof *optional_fields)

static void set_everything(mistral_fim_request *req) {
  assert_int_equal(mistral_fim_request_set_suffix(req, "return x"), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_temperature(req, 0.5), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_top_p(req, 0.5), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_max_tokens(req, 10), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_min_tokens(req, 2), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_stop(req, "\n"), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_random_seed(req, 7), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_metadata_json(req, "{\"a\":1}"), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_prompt_cache_key(req, "k"), MISTRAL_OK);
}

static void test_unset_each_field(void **state) {
  (void)state;
  for (size_t i = 0; i < OPTIONAL_COUNT; i++) {
    mistral_fim_request *req = ft_fim_base();
    set_everything(req);
    assert_int_equal(mistral_fim_request_unset(req, optional_fields[i]), MISTRAL_OK);
    json_t *body = ft_fim_json(req);
    assert_null(json_object_get(body, optional_fields[i]));
    assert_int_equal(json_object_size(body), 2 + OPTIONAL_COUNT - 1);
    json_decref(body);
    /* Unsetting an absent field is fine too. */
    assert_int_equal(mistral_fim_request_unset(req, optional_fields[i]), MISTRAL_OK);
    mistral_fim_request_free(req);
  }
  /* All of them: back to the minimal body. */
  mistral_fim_request *req = ft_fim_base();
  set_everything(req);
  for (size_t i = 0; i < OPTIONAL_COUNT; i++)
    assert_int_equal(mistral_fim_request_unset(req, optional_fields[i]), MISTRAL_OK);
  ft_assert_fim_base_with(req, "");
  mistral_fim_request_free(req);
}

static void test_unset_after_set_null(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_null(req, "suffix"), MISTRAL_OK);
  ft_assert_fim_base_with(req, "\"suffix\":null");
  assert_int_equal(mistral_fim_request_unset(req, "suffix"), MISTRAL_OK);
  ft_assert_fim_base_with(req, "");
  mistral_fim_request_free(req);
}

static void test_unset_model_or_prompt_then_send(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_unset(req, "model"), MISTRAL_OK);
  ft_assert_fim_rejected(req, "model", "not set");
  /* Setting it again makes the request whole. */
  assert_int_equal(mistral_fim_request_set_model(req, FT_MODEL), MISTRAL_OK);
  ft_assert_fim_base_with(req, "");
  assert_int_equal(mistral_fim_request_unset(req, "prompt"), MISTRAL_OK);
  ft_assert_fim_rejected(req, "prompt", "not set");
  mistral_fim_request_free(req);
}

static void test_unset_unknown_field(void **state) {
  (void)state;
  const char *const bad[] = {"stream", "messages", "Suffix", "", "suffix ", "bogus"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_unset(req, bad[i]), MISTRAL_E_INVALID_ARG);
    /* The request is marked: sending it fails with that error. */
    ft_assert_fim_rejected(req, "unset", bad[i]);
    mistral_fim_request_free(req);
  }
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_unset(req, NULL), MISTRAL_E_INVALID_ARG);
  ft_assert_fim_rejected(req, "unset", NULL);
  mistral_fim_request_free(req);
  /* A name that is not UTF-8 still gives a UTF-8 message. */
  req = ft_fim_base();
  assert_int_equal(mistral_fim_request_unset(req, "\xff\xfe"), MISTRAL_E_INVALID_ARG);
  ft_assert_fim_rejected(req, "unset", NULL);
  mistral_fim_request_free(req);
}

/* ---- set_null ---- */

static const char *const nullable_fields[] = {"temperature", "top_p",       "max_tokens",
                                              "min_tokens",  "stop",        "random_seed",
                                              "metadata",    "suffix",      "prompt_cache_key"};

static void test_set_null_each_field(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof nullable_fields / sizeof *nullable_fields; i++) {
    /* Alone, ... */
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_null(req, nullable_fields[i]), MISTRAL_OK);
    char member[64];
    snprintf(member, sizeof member, "\"%s\":null", nullable_fields[i]);
    ft_assert_fim_base_with(req, member);
    mistral_fim_request_free(req);
    /* ... and replacing a value. */
    req = ft_fim_base();
    set_everything(req);
    assert_int_equal(mistral_fim_request_set_null(req, nullable_fields[i]), MISTRAL_OK);
    json_t *body = ft_fim_json(req);
    assert_true(json_is_null(json_object_get(body, nullable_fields[i])));
    assert_int_equal(json_object_size(body), 2 + OPTIONAL_COUNT);
    json_decref(body);
    mistral_fim_request_free(req);
  }
}

/* Every nullable field null at once: tests/fixtures/fim/nulls.fixture. */
static void test_set_null_all(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  for (size_t i = 0; i < sizeof nullable_fields / sizeof *nullable_fields; i++)
    assert_int_equal(mistral_fim_request_set_null(req, nullable_fields[i]), MISTRAL_OK);
  ft_assert_fim_base_with(req,
                          "\"temperature\":null,\"top_p\":null,\"max_tokens\":null,"
                          "\"min_tokens\":null,\"stop\":null,\"random_seed\":null,"
                          "\"metadata\":null,\"suffix\":null,\"prompt_cache_key\":null");
  /* A value after null replaces it. */
  assert_int_equal(mistral_fim_request_set_temperature(req, 0.1), MISTRAL_OK);
  json_t *body = ft_fim_json(req);
  assert_true(json_is_real(json_object_get(body, "temperature")));
  json_decref(body);
  mistral_fim_request_free(req);
}

static void test_set_null_not_nullable(void **state) {
  (void)state;
  /* model and prompt are required strings; stream belongs to the call. */
  const char *const bad[] = {"model", "prompt", "stream", "messages", "TEMPERATURE", ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_null(req, bad[i]), MISTRAL_E_INVALID_ARG);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", bad[i]);
    ft_assert_fim_rejected(req, "set_null", quoted);
    mistral_fim_request_free(req);
  }
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_null(req, NULL), MISTRAL_E_INVALID_ARG);
  ft_assert_fim_rejected(req, "set_null", NULL);
  mistral_fim_request_free(req);
}

/* ---- missing model / prompt ---- */

static void test_missing_model(void **state) {
  (void)state;
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, NULL, FT_PROMPT), MISTRAL_OK);
  ft_assert_fim_rejected(req, "model", "not set");
  mistral_fim_request_free(req);
}

static void test_missing_prompt(void **state) {
  (void)state;
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, FT_MODEL, NULL), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_suffix(req, "return 1"), MISTRAL_OK);
  ft_assert_fim_rejected(req, "prompt", "not set");
  mistral_fim_request_free(req);
}

static void test_missing_both(void **state) {
  (void)state;
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, NULL, NULL), MISTRAL_OK);
  ft_assert_fim_rejected(req, "model", NULL);
  mistral_fim_request_free(req);
}

/* ---- bad input: invalid UTF-8 ---- */

/* Each string setter on a fresh request, with text that is not UTF-8: the
 * setter fails, and so does every call sending the request, naming the
 * field. */
static const char *const bad_utf8[] = {
    "\xff",                   /* never valid */
    "abc\xc3",                /* cut sequence at the end */
    "\xc0\xaf",               /* overlong '/' */
    "\xed\xa0\x80",           /* a surrogate */
    "\xf4\x90\x80\x80",       /* above U+10FFFF */
    "ok \xe2\x82 then more",  /* cut sequence in the middle */
};

static void test_invalid_utf8(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_utf8 / sizeof *bad_utf8; i++) {
    const char *bad = bad_utf8[i];
    mistral_fim_request *req;

    req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_model(req, bad), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "model", "UTF-8");
    mistral_fim_request_free(req);

    req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_prompt(req, bad), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "prompt", "UTF-8");
    mistral_fim_request_free(req);

    req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_suffix(req, bad), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "suffix", "UTF-8");
    mistral_fim_request_free(req);

    req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_stop(req, bad), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "stop", "UTF-8");
    mistral_fim_request_free(req);

    req = ft_fim_base();
    const char *const list[] = {"\n", bad, "#"};
    assert_int_equal(mistral_fim_request_set_stop_list(req, list, 3), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "stop", "UTF-8");
    mistral_fim_request_free(req);

    req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_prompt_cache_key(req, bad), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "prompt_cache_key", "UTF-8");
    mistral_fim_request_free(req);

    /* Inside the metadata's JSON text. */
    req = ft_fim_base();
    char meta[64];
    snprintf(meta, sizeof meta, "{\"k\":\"%s\"}", bad);
    assert_int_equal(mistral_fim_request_set_metadata_json(req, meta), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "metadata", NULL);
    mistral_fim_request_free(req);

    /* Through the constructor: nothing is returned. */
    mistral_fim_request *out = ft_fim_base();
    mistral_fim_request *keep = out;
    assert_int_equal(mistral_fim_request_new(&out, bad, FT_PROMPT), MISTRAL_E_INVALID_ARG);
    assert_null(out);
    out = keep;
    assert_int_equal(mistral_fim_request_new(&out, FT_MODEL, bad), MISTRAL_E_INVALID_ARG);
    assert_null(out);
    mistral_fim_request_free(keep);
  }
}

/* A setter that fails leaves the earlier value in place and marks the
 * request: the first error is the one reported, even after a later
 * successful call for the same field. */
static void test_first_error_sticks(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_top_p(req, 0.5), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_top_p(req, 2.0), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_suffix(req, "\xff"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_top_p(req, 0.9), MISTRAL_OK);
  ft_assert_fim_rejected(req, "top_p", NULL);
  char *text = NULL;
  mistral_error *err = mistral_error_new();
  assert_int_equal(mistral_fim_request_to_json(&text, req, err), MISTRAL_E_INVALID_ARG);
  assert_null(strstr(mistral_error_message(err), "suffix"));
  mistral_error_free(err);
  mistral_fim_request_free(req);
}

/* ---- bad input: metadata ---- */

static void test_invalid_metadata(void **state) {
  (void)state;
  const char *const bad[] = {
      "",                       /* empty */
      "{",                      /* cut */
      "{\"a\":1,}",             /* trailing comma */
      "{'a': 1}",               /* not JSON */
      "[]",                     /* not an object */
      "[{\"a\":1}]",
      "\"text\"",
      "42",
      "null",
      "true",
      "{\"a\":1,\"a\":2}",      /* duplicate key */
      "{\"a\":1} {\"b\":2}",    /* two values */
      "{\"a\":NaN}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_metadata_json(req, bad[i]), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "metadata", NULL);
    mistral_fim_request_free(req);
  }
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_metadata_json(req, NULL), MISTRAL_E_INVALID_ARG);
  ft_assert_fim_rejected(req, "metadata", NULL);
  mistral_fim_request_free(req);
}

/* ---- bad input: numbers out of range ---- */

static void test_numbers_out_of_range(void **state) {
  (void)state;
  const double bad_temperature[] = {-0.1, -1e-9, 1.5000001, 2.0, 1e300, NAN, INFINITY,
                                    -INFINITY};
  for (size_t i = 0; i < sizeof bad_temperature / sizeof *bad_temperature; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_temperature(req, bad_temperature[i]),
                     MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "temperature", NULL);
    mistral_fim_request_free(req);
  }
  const double bad_top_p[] = {0.0, -0.0, -0.5, 1.0000001, 5.0, NAN, INFINITY};
  for (size_t i = 0; i < sizeof bad_top_p / sizeof *bad_top_p; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_top_p(req, bad_top_p[i]), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "top_p", NULL);
    mistral_fim_request_free(req);
  }
  const int64_t bad_ints[] = {-1, -1000, INT64_MIN};
  for (size_t i = 0; i < sizeof bad_ints / sizeof *bad_ints; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_max_tokens(req, bad_ints[i]),
                     MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "max_tokens", NULL);
    mistral_fim_request_free(req);

    req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_min_tokens(req, bad_ints[i]),
                     MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "min_tokens", NULL);
    mistral_fim_request_free(req);

    req = ft_fim_base();
    assert_int_equal(mistral_fim_request_set_random_seed(req, bad_ints[i]),
                     MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, "random_seed", NULL);
    mistral_fim_request_free(req);
  }
}

/* ---- bad input: empty model, NULL strings ---- */

static void test_empty_model(void **state) {
  (void)state;
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_model(req, ""), MISTRAL_E_INVALID_ARG);
  ft_assert_fim_rejected(req, "model", NULL);
  mistral_fim_request_free(req);
  req = ft_fim_base();
  mistral_fim_request *keep = req;
  assert_int_equal(mistral_fim_request_new(&req, "", FT_PROMPT), MISTRAL_E_INVALID_ARG);
  assert_null(req);
  mistral_fim_request_free(keep);
}

static void test_null_strings(void **state) {
  (void)state;
  struct {
    const char *field;
    int (*set)(mistral_fim_request *, const char *);
  } setters[] = {
      {"model", mistral_fim_request_set_model},
      {"prompt", mistral_fim_request_set_prompt},
      {"suffix", mistral_fim_request_set_suffix},
      {"stop", mistral_fim_request_set_stop},
      {"prompt_cache_key", mistral_fim_request_set_prompt_cache_key},
  };
  for (size_t i = 0; i < sizeof setters / sizeof *setters; i++) {
    mistral_fim_request *req = ft_fim_base();
    assert_int_equal(setters[i].set(req, NULL), MISTRAL_E_INVALID_ARG);
    ft_assert_fim_rejected(req, setters[i].field, NULL);
    mistral_fim_request_free(req);
  }
  /* A NULL list with items, and a NULL item. */
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_stop_list(req, NULL, 2), MISTRAL_E_INVALID_ARG);
  ft_assert_fim_rejected(req, "stop", NULL);
  mistral_fim_request_free(req);
  req = ft_fim_base();
  const char *const list[] = {"\n", NULL};
  assert_int_equal(mistral_fim_request_set_stop_list(req, list, 2), MISTRAL_E_INVALID_ARG);
  ft_assert_fim_rejected(req, "stop", NULL);
  mistral_fim_request_free(req);
}

/* ---- NULL arguments everywhere ---- */

static void test_null_request_everywhere(void **state) {
  (void)state;
  const char *const stops[] = {"x"};
  assert_int_equal(mistral_fim_request_new(NULL, FT_MODEL, FT_PROMPT), MISTRAL_E_INVALID_ARG);
  mistral_fim_request_free(NULL);
  assert_int_equal(mistral_fim_request_set_model(NULL, FT_MODEL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_prompt(NULL, "p"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_suffix(NULL, "s"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_temperature(NULL, 0.5), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_top_p(NULL, 0.5), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_max_tokens(NULL, 5), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_min_tokens(NULL, 5), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_stop(NULL, "x"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_stop_list(NULL, stops, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_random_seed(NULL, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_metadata_json(NULL, "{}"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_prompt_cache_key(NULL, "k"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_null(NULL, "suffix"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_unset(NULL, "suffix"), MISTRAL_E_INVALID_ARG);
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_call_options(NULL, opts), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_set_call_options(NULL, NULL), MISTRAL_E_INVALID_ARG);
  mistral_call_options_free(opts);

  mistral_error *err = mistral_error_new();
  char *text = (char *)"sentinel";
  assert_int_equal(mistral_fim_request_to_json(&text, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(text);
  assert_non_null(strstr(mistral_error_message(err), "request"));
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_to_json(NULL, req, err), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_fim_request_to_json(NULL, NULL, NULL), MISTRAL_E_INVALID_ARG);
  /* Clearing options on a valid request is fine and changes nothing. */
  assert_int_equal(mistral_fim_request_set_call_options(req, NULL), MISTRAL_OK);
  ft_assert_fim_base_with(req, "");
  mistral_fim_request_free(req);
  mistral_error_free(err);
}

static void test_null_send_arguments(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = ft_fim_base();
  mistral_error *err = mistral_error_new();
  static mistral_chat_response sentinel;
  mistral_chat_response *resp;

  assert_int_equal(mistral_fim_complete(NULL, client, req, err), MISTRAL_E_INVALID_ARG);
  assert_non_null(strstr(mistral_error_message(err), "out"));
  resp = &sentinel;
  assert_int_equal(mistral_fim_complete(&resp, NULL, req, err), MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_non_null(strstr(mistral_error_message(err), "client"));
  resp = &sentinel;
  assert_int_equal(mistral_fim_complete(&resp, client, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_non_null(strstr(mistral_error_message(err), "request"));

  resp = &sentinel;
  assert_int_equal(mistral_fim_complete_streaming(&resp, NULL, req, NULL, NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_non_null(strstr(mistral_error_message(err), "client"));
  resp = &sentinel;
  assert_int_equal(mistral_fim_complete_streaming(&resp, client, NULL, NULL, NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(resp);
  assert_int_equal(mistral_fim_complete_streaming(NULL, NULL, NULL, NULL, NULL, NULL),
                   MISTRAL_E_INVALID_ARG);

  mistral_chat_stream *s = NULL;
  assert_int_equal(mistral_fim_stream_open(NULL, client, req, err), MISTRAL_E_INVALID_ARG);
  assert_non_null(strstr(mistral_error_message(err), "out"));
  assert_int_equal(mistral_fim_stream_open(&s, NULL, req, err), MISTRAL_E_INVALID_ARG);
  assert_null(s);
  assert_int_equal(mistral_fim_stream_open(&s, client, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(s);

  /* Nothing reached the server. */
  assert_int_equal(fixture_server_connections(fs), 0);
  assert_int_equal(fixture_server_requests(fs), 0);
  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* A client without a key: MISTRAL_E_NO_API_KEY, nothing sent. */
static void test_no_api_key(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  mistral_client *client = NULL;
  assert_int_equal(mistral_client_new(&client), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(client, fixture_server_url(fs)), MISTRAL_OK);
  mistral_fim_request *req = ft_fim_base();
  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_fim_complete(&resp, client, req, err), MISTRAL_E_NO_API_KEY);
  assert_null(resp);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_NO_API_KEY);
  mistral_chat_stream *s = NULL;
  assert_int_equal(mistral_fim_stream_open(&s, client, req, err), MISTRAL_E_NO_API_KEY);
  assert_null(s);
  assert_int_equal(fixture_server_connections(fs), 0);
  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static int group_setup(void **state) {
  (void)state;
  tu_clean_env();
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  ft_idle_server_stop();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_minimal),
      cmocka_unit_test(test_new_then_set_model_and_prompt),
      cmocka_unit_test(test_special_characters_round_trip),
      cmocka_unit_test(test_to_json_is_compact_text),
      cmocka_unit_test(test_set_suffix),
      cmocka_unit_test(test_set_temperature),
      cmocka_unit_test(test_set_top_p),
      cmocka_unit_test(test_set_token_counts),
      cmocka_unit_test(test_set_stop),
      cmocka_unit_test(test_set_random_seed),
      cmocka_unit_test(test_set_metadata),
      cmocka_unit_test(test_set_prompt_cache_key),
      cmocka_unit_test(test_all_fields),
      cmocka_unit_test(test_unset_each_field),
      cmocka_unit_test(test_unset_after_set_null),
      cmocka_unit_test(test_unset_model_or_prompt_then_send),
      cmocka_unit_test(test_unset_unknown_field),
      cmocka_unit_test(test_set_null_each_field),
      cmocka_unit_test(test_set_null_all),
      cmocka_unit_test(test_set_null_not_nullable),
      cmocka_unit_test(test_missing_model),
      cmocka_unit_test(test_missing_prompt),
      cmocka_unit_test(test_missing_both),
      cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_first_error_sticks),
      cmocka_unit_test(test_invalid_metadata),
      cmocka_unit_test(test_numbers_out_of_range),
      cmocka_unit_test(test_empty_model),
      cmocka_unit_test(test_null_strings),
      cmocka_unit_test(test_null_request_everywhere),
      cmocka_unit_test(test_null_send_arguments),
      cmocka_unit_test(test_no_api_key),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
