/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fim: fill-in-the-middle code completion with Codestral.
 *
 *     MISTRAL_API_KEY=... ./fim
 *     MISTRAL_API_KEY=... ./fim --stream
 *
 * We give the code before the cursor (the prompt) and the code after it
 * (the suffix); the model writes what goes in between. The answer has the
 * same shape as a chat answer: its first choice's text is the middle. With
 * --stream the middle is printed as it is generated, exactly as a chat
 * answer would be. See docs/fim-and-agents.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mistral/mistral.h>

#define MODEL "codestral-latest"

/* The code before the gap, ending where the cursor is... */
static const char PROMPT[] = "def fibonacci(n: int) -> int:\n";
/* ...and the code after it. */
static const char SUFFIX[] = "\n\nprint(fibonacci(10))\n";

/* Prints each piece of the middle as it arrives (--stream). */
static int on_chunk(const mistral_chat_chunk *chunk, void *user_data) {
  (void)user_data;
  for (size_t i = 0; i < chunk->choice_count; i++) {
    const mistral_chat_chunk_choice *c = chunk->choices[i];
    if (c->index == 0 && c->delta && c->delta->content) fputs(c->delta->content, stdout);
  }
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  int exit_code = EXIT_FAILURE;
  mistral_client *client = NULL;
  mistral_fim_request *req = NULL;
  mistral_chat_response *resp = NULL;

  int stream = argc == 2 && strcmp(argv[1], "--stream") == 0;
  if (argc > 2 || (argc == 2 && !stream)) {
    fputs("usage: fim [--stream]\n", stderr);
    return 2;
  }
  mistral_error *err = mistral_error_new();
  if (!err) {
    fputs("fim: out of memory\n", stderr);
    return EXIT_FAILURE;
  }
  int rc = mistral_client_new(&client);
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "fim: cannot create the client: %s\n", mistral_strerror(rc));
    goto done;
  }
  /* model and prompt are required; the suffix is optional (without it the
   * model simply continues the prompt). */
  if ((rc = mistral_fim_request_new(&req, MODEL, PROMPT)) != MISTRAL_OK ||
      (rc = mistral_fim_request_set_suffix(req, SUFFIX)) != MISTRAL_OK) {
    fprintf(stderr, "fim: cannot build the request: %s\n", mistral_strerror(rc));
    goto done;
  }

  printf("--- the middle\n");
  fflush(stdout);
  if (stream) {
    /* As mistral_chat_complete_streaming(): on_chunk sees every piece, and
     * resp receives the whole completion at the end. */
    rc = mistral_fim_complete_streaming(&resp, client, req, on_chunk, NULL, err);
  } else {
    rc = mistral_fim_complete(&resp, client, req, err);
    if (rc == MISTRAL_OK) {
      const char *middle = mistral_chat_response_text(resp);
      fputs(middle ? middle : "", stdout);
    }
  }
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "\nfim: %s\n", mistral_error_message(err));
    goto done;
  }
  printf("\n--- end of the middle\n");
  /* resp is NULL only for a stream that ended before any chunk. */
  if (resp)
    printf("tokens: %lld prompt + %lld completion = %lld total\n",
           (long long)resp->usage->prompt_tokens, (long long)resp->usage->completion_tokens,
           (long long)resp->usage->total_tokens);
  exit_code = EXIT_SUCCESS;

done:
  mistral_chat_response_free(resp);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  return exit_code;
}
