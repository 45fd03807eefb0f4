/* SPDX-License-Identifier: Apache-2.0 */
/*
 * retry: a call that survives a bad day. The client retries failures that
 * may pass (connection failures, timeouts, HTTP 408, 409, 429 and 5xx) on
 * its own; this program tunes how, and prints every attempt.
 *
 *     MISTRAL_API_KEY=... ./retry
 *
 * Retries are on by default (3 attempts); here: up to 4 attempts, a first
 * wait of 200 ms doubling up to 2 s, at most 5 s granted to a server's
 * Retry-After, each attempt cut after 20 s and the whole call after 30 s.
 * See docs/reliability.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mistral/mistral.h>

#define MODEL "mistral-small-latest"

/* One line per attempt ("POST /v1/chat/completions: attempt 1/4: HTTP 503;
 * retrying in 183 ms"); never the API key. Called on the thread making the
 * call. */
static void log_line(mistral_log_level level, const char *message, void *user_data) {
  (void)user_data;
  fprintf(stderr, "[%s] %s\n", level == MISTRAL_LOG_WARN ? "warn" : "info", message);
}

int main(void) {
  int exit_code = EXIT_FAILURE;
  mistral_client *client = NULL;
  mistral_chat_request *req = NULL;
  mistral_chat_response *resp = NULL;
  mistral_error *err = mistral_error_new();
  if (!err) {
    fputs("retry: out of memory\n", stderr);
    return EXIT_FAILURE;
  }

  int rc = mistral_client_new(&client);
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "retry: cannot create the client: %s\n", mistral_strerror(rc));
    goto done;
  }
  /* Client-wide settings; a request's call options may override them for
   * one call (mistral_call_options_set_max_attempts() and siblings). */
  if ((rc = mistral_client_set_max_attempts(client, 4)) != MISTRAL_OK ||
      (rc = mistral_client_set_retry_backoff(client, 200, 2000, 2.0, 0.25)) != MISTRAL_OK ||
      (rc = mistral_client_set_retry_after_max_ms(client, 5000)) != MISTRAL_OK ||
      (rc = mistral_client_set_timeout_ms(client, 20000)) != MISTRAL_OK ||
      (rc = mistral_client_set_deadline_ms(client, 30000)) != MISTRAL_OK ||
      (rc = mistral_client_set_log_callback(client, log_line, MISTRAL_LOG_INFO, NULL)) !=
          MISTRAL_OK) {
    fprintf(stderr, "retry: cannot configure the client: %s\n", mistral_strerror(rc));
    goto done;
  }

  if ((rc = mistral_chat_request_new(&req, MODEL)) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER,
                                             "Name one river in France.")) != MISTRAL_OK) {
    fprintf(stderr, "retry: cannot build the request: %s\n", mistral_strerror(rc));
    goto done;
  }

  rc = mistral_chat_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) {
    /* The last attempt's error; its message ends with "(after N attempts)"
     * when there were several. Whether trying again later may help: */
    fprintf(stderr, "retry: %s\n", mistral_error_message(err));
    fprintf(stderr, "retry: gave up after %d attempt(s); %s\n", mistral_error_attempts(err),
            mistral_error_is_retryable(err) ? "worth trying again later"
                                            : "trying again will not help");
    goto done;
  }
  const char *answer = mistral_chat_response_text(resp);
  printf("%s\n", answer ? answer : "(no text in the answer)");
  exit_code = EXIT_SUCCESS;

done:
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  return exit_code;
}
