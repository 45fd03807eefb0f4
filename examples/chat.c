/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chat: one question, one answer, and what it cost in tokens.
 *
 *     MISTRAL_API_KEY=... ./chat
 *
 * The client talks to https://api.mistral.ai unless MISTRAL_SERVER_URL names
 * another server (the test suite points it at a local fixture server, so this
 * program runs unchanged against recorded answers). See docs/chat.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mistral/mistral.h>

#define MODEL "mistral-small-latest"

int main(void) {
  int exit_code = EXIT_FAILURE;
  mistral_client *client = NULL;
  mistral_chat_request *req = NULL;
  mistral_chat_response *resp = NULL;

  /* One error object serves every call: each call clears it on entry and
   * fills it on failure. */
  mistral_error *err = mistral_error_new();
  if (!err) {
    fputs("chat: out of memory\n", stderr);
    return EXIT_FAILURE;
  }

  /* Reads MISTRAL_API_KEY and MISTRAL_SERVER_URL once, here. A missing key
   * is not reported yet: the first call fails with MISTRAL_E_NO_API_KEY
   * before anything is sent. */
  int rc = mistral_client_new(&client);
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "chat: cannot create the client: %s\n", mistral_strerror(rc));
    goto done;
  }

  /* Only the fields we set are sent; the server's defaults apply to the
   * rest. Setters check their input at once; a failed setter also marks the
   * request, so mistral_chat_complete() would refuse it anyway, but checking
   * here tells us which step failed. */
  if ((rc = mistral_chat_request_new(&req, MODEL)) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(
           NULL, req, MISTRAL_ROLE_SYSTEM,
           "You are a concise geography tutor. Answer in one sentence.")) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER,
                                             "What is the capital of France?")) != MISTRAL_OK ||
      /* Low temperature: a factual answer, not a creative one. */
      (rc = mistral_chat_request_set_temperature(req, 0.2)) != MISTRAL_OK) {
    fprintf(stderr, "chat: cannot build the request: %s\n", mistral_strerror(rc));
    goto done;
  }

  /* Blocks until the whole answer has arrived (or an error). */
  rc = mistral_chat_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) {
    /* One line with the HTTP status, the API's message and the request id
     * when there were any. It never contains the API key. */
    fprintf(stderr, "chat: %s\n", mistral_error_message(err));
    goto done;
  }

  /* The first choice's text; NULL when the model sent no text at all. */
  const char *answer = mistral_chat_response_text(resp);
  printf("%s\n", answer ? answer : "(no text in the answer)");

  /* Every pointer inside resp is borrowed from it: use them before
   * mistral_chat_response_free(). */
  if (resp->usage)
    printf("tokens: %lld prompt + %lld completion = %lld total\n",
           (long long)resp->usage->prompt_tokens, (long long)resp->usage->completion_tokens,
           (long long)resp->usage->total_tokens);
  exit_code = EXIT_SUCCESS;

done:
  /* Every *_free(NULL) is a no-op, so one cleanup path fits every exit. */
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  return exit_code;
}
