/* Per-call options on FIM, chat and agents requests, against fixtures whose
 * answer comes after 4 s (`% delay-ms 4000`): a per-call timeout of 1 s
 * fails with MISTRAL_E_TIMEOUT where the client's default (10 minutes)
 * waits; clearing the options with NULL restores the client's setting; the
 * options are copied when attached; a per-call value overrides a shorter
 * client timeout; and a per-call idle timeout ends a stalled FIM stream.
 * No assertion is about elapsed time: each outcome (timeout or answer) is
 * what shows which setting applied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fim_test_util.h"


/* Far below the fixtures' 4 s delay, yet long enough for the request to
 * reach the server before the client gives up, even under valgrind on a
 * loaded machine (with 200 ms it sometimes did not, and the server never
 * saw the first request). */
#define TIMEOUT_MS 1000

static mistral_call_options *options_timeout(long ms) {
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_non_null(opts);
  assert_int_equal(mistral_call_options_set_timeout_ms(opts, ms), MISTRAL_OK);
  return opts;
}

static mistral_fim_request *delayed_fim_request(void) {
  mistral_fim_request *req = ft_fim_base();
  assert_int_equal(mistral_fim_request_set_max_tokens(req, 32), MISTRAL_OK);
  return req;
}

static void check_timeout(int rc, const mistral_error *err) {
  if (rc != MISTRAL_E_TIMEOUT)
    print_error("want MISTRAL_E_TIMEOUT, got %d: %s\n", rc, mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_E_TIMEOUT);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_TIMEOUT);
  assert_int_equal(mistral_error_http_status(err), 0);
  assert_true(mistral_error_is_retryable(err));
}

static void test_fim_timeout_then_cleared(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "fim/delayed.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = delayed_fim_request();
  mistral_error *err = mistral_error_new();

  mistral_call_options *opts = options_timeout(TIMEOUT_MS);
  assert_int_equal(mistral_fim_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  mistral_chat_response *resp = NULL;
  check_timeout(mistral_fim_complete(&resp, client, req, err), err);
  assert_null(resp);

  /* Cleared: the client's default applies and the answer arrives. */
  assert_int_equal(mistral_fim_request_set_call_options(req, NULL), MISTRAL_OK);
  int rc = mistral_fim_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_string_equal(resp->id, "cmpl-3e5a7c9e1b2d44f6a8c0e2b4d6f8a0c3");
  mistral_chat_response_free(resp);
  tu_assert_served(fs);
  assert_int_equal(fixture_server_requests(fs), 2);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static void test_chat_timeout_then_cleared(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "fim/chat-delayed.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, "mistral-small-latest"), MISTRAL_OK);
  assert_int_equal(mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER,
                                                    "Write a haiku about patience."),
                   MISTRAL_OK);
  mistral_error *err = mistral_error_new();

  mistral_call_options *opts = options_timeout(TIMEOUT_MS);
  assert_int_equal(mistral_chat_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  mistral_chat_response *resp = NULL;
  check_timeout(mistral_chat_complete(&resp, client, req, err), err);
  assert_null(resp);

  assert_int_equal(mistral_chat_request_set_call_options(req, NULL), MISTRAL_OK);
  int rc = mistral_chat_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_non_null(strstr(mistral_chat_response_text(resp), "kettle"));
  mistral_chat_response_free(resp);
  tu_assert_served(fs);
  assert_int_equal(fixture_server_requests(fs), 2);

  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* The agents calls take the options of the chat request they send. */
static void test_agents_timeout(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "agents/delayed.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_chat_request *req = NULL;
  assert_int_equal(mistral_chat_request_new(&req, NULL), MISTRAL_OK);
  assert_int_equal(
      mistral_chat_request_add_message(
          NULL, req, MISTRAL_ROLE_USER,
          "Who is the best French painter? Answer in one short sentence."),
      MISTRAL_OK);
  mistral_call_options *opts = options_timeout(TIMEOUT_MS);
  assert_int_equal(mistral_chat_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  check_timeout(mistral_agents_complete(&resp, client, "ag:3996db2b:20240805:french-agent:a8997aab",
                                        req, err),
                err);
  assert_null(resp);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* The request keeps a copy: changing the options object afterwards does
 * nothing. Then the other direction: a per-call "no limit" (0) overrides a
 * client timeout of 1 s. */
static void test_options_copied_and_override_client(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "fim/delayed.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = delayed_fim_request();
  mistral_error *err = mistral_error_new();

  mistral_call_options *opts = options_timeout(TIMEOUT_MS);
  assert_int_equal(mistral_fim_request_set_call_options(req, opts), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_timeout_ms(opts, 0), MISTRAL_OK);
  mistral_chat_response *resp = NULL;
  check_timeout(mistral_fim_complete(&resp, client, req, err), err);
  assert_null(resp);

  /* Now attach the changed object (no limit) to a client that would give
   * up after 1 s: the per-call value wins. */
  assert_int_equal(mistral_client_set_timeout_ms(client, TIMEOUT_MS), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  int rc = mistral_fim_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_non_null(resp);
  mistral_chat_response_free(resp);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* An options object with nothing set changes nothing: the client's 1 s
 * still applies. */
static void test_empty_options_keep_client_setting(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, "fim/delayed.fixture", NULL);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  assert_int_equal(mistral_client_set_timeout_ms(client, TIMEOUT_MS), MISTRAL_OK);
  mistral_fim_request *req = delayed_fim_request();
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  mistral_error *err = mistral_error_new();
  mistral_chat_response *resp = NULL;
  check_timeout(mistral_fim_complete(&resp, client, req, err), err);
  assert_null(resp);
  tu_assert_served(fs);

  mistral_error_free(err);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

/* A stream stalls for 2 s after two events: a per-call idle timeout of 1 s
 * (not less: under valgrind the first bytes alone can take a few hundred
 * milliseconds) ends it, push and pull, with the two chunks delivered. */
static void test_fim_stream_idle_timeout(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(FT_KEY, NULL);
  tu_expect(fs, "fim/stream-stall.fixture", 2);
  mistral_client *client = tu_client(fs, FT_KEY, 1);
  mistral_fim_request *req = NULL;
  assert_int_equal(mistral_fim_request_new(&req, "codestral-latest", "def fib(n):\n    "),
                   MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_suffix(req, "\n\nprint(fib(10))\n"), MISTRAL_OK);
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_idle_timeout_ms(opts, 1000), MISTRAL_OK);
  assert_int_equal(mistral_fim_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  mistral_error *err = mistral_error_new();

  ft_stream_log log = {0};
  mistral_chat_response *final = NULL;
  check_timeout(mistral_fim_complete_streaming(&final, client, req, ft_log_chunk, &log, err),
                err);
  assert_int_equal(log.chunks, 2);
  assert_string_equal(log.text, "if n < 2:");
  assert_non_null(final); /* the partial answer */
  assert_string_equal(mistral_chat_response_text(final), "if n < 2:");
  mistral_chat_response_free(final);

  mistral_chat_stream *s = NULL;
  assert_int_equal(mistral_fim_stream_open(&s, client, req, err), MISTRAL_OK);
  memset(&log, 0, sizeof log);
  check_timeout(ft_pull_all(s, &log, err), err);
  assert_int_equal(log.chunks, 2);
  mistral_chat_stream_free(s);
  tu_assert_served(fs);

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fim_timeout_then_cleared),
      cmocka_unit_test(test_chat_timeout_then_cleared),
      cmocka_unit_test(test_agents_timeout),
      cmocka_unit_test(test_options_copied_and_override_client),
      cmocka_unit_test(test_empty_options_keep_client_setting),
      cmocka_unit_test(test_fim_stream_idle_timeout),
  };
  return cmocka_run_group_tests(tests, group_setup, NULL);
}
