/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream_chat: the answer printed as it is generated, token by token.
 *
 *     MISTRAL_API_KEY=... ./stream_chat
 *     MISTRAL_API_KEY=... ./stream_chat --stop-after 4
 *
 * mistral_chat_complete_streaming() sends the request with "stream": true
 * and calls our function once per chunk as chunks arrive; each chunk holds
 * the next piece of text (its "delta"). Meanwhile the library merges the
 * chunks, so that when the call returns we also get the whole answer as an
 * ordinary mistral_chat_response, usage included.
 *
 * With --stop-after N our function returns non-zero at the N-th chunk: the
 * library closes the connection at once (the model stops spending tokens on
 * us), the call returns MISTRAL_E_CANCELLED, and the answer so far is still
 * handed back. See docs/streaming.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mistral/mistral.h>

#define MODEL "mistral-small-latest"

/* What our chunk function needs, passed through user_data. */
typedef struct stream_state {
  unsigned long chunks;     /* chunks received so far */
  unsigned long stop_after; /* 0: never stop */
} stream_state;

/*
 * Called by the library for every chunk, on our thread, while the call
 * runs. The chunk and every string in it are borrowed: valid during this
 * call only. Returns 0 to go on, non-zero to stop the stream.
 */
static int on_chunk(const mistral_chat_chunk *chunk, void *user_data) {
  stream_state *st = user_data;
  st->chunks++;
  for (size_t i = 0; i < chunk->choice_count; i++) {
    const mistral_chat_chunk_choice *choice = chunk->choices[i];
    /* One choice unless the request set "n". The delta's content is this
     * chunk's text only, or NULL (the last chunk may carry nothing but the
     * finish reason and the usage). It is always whole UTF-8: a character
     * is never split between two chunks, so printing it as is is safe. */
    if (choice->index == 0 && choice->delta && choice->delta->content)
      fputs(choice->delta->content, stdout);
  }
  /* stdout is buffered: without a flush the text would appear in bursts
   * (or all at the end when stdout is not a terminal). */
  fflush(stdout);
  return st->stop_after > 0 && st->chunks >= st->stop_after;
}

/* Parses the command line: nothing, or --stop-after N (N >= 1). */
static int parse_args(int argc, char **argv, stream_state *st) {
  if (argc == 1) return 0;
  if (argc != 3 || strcmp(argv[1], "--stop-after") != 0) return -1;
  char *end;
  errno = 0;
  unsigned long n = strtoul(argv[2], &end, 10);
  if (errno != 0 || end == argv[2] || *end != '\0' || n == 0 || argv[2][0] == '-') return -1;
  st->stop_after = n;
  return 0;
}

int main(int argc, char **argv) {
  int exit_code = EXIT_FAILURE;
  mistral_client *client = NULL;
  mistral_chat_request *req = NULL;
  mistral_chat_response *answer = NULL;
  stream_state st = {0, 0};

  if (parse_args(argc, argv, &st) != 0) {
    fputs("usage: stream_chat [--stop-after N]\n", stderr);
    return 2;
  }
  mistral_error *err = mistral_error_new();
  if (!err) {
    fputs("stream_chat: out of memory\n", stderr);
    return EXIT_FAILURE;
  }
  int rc = mistral_client_new(&client);
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "stream_chat: cannot create the client: %s\n", mistral_strerror(rc));
    goto done;
  }
  /* A streaming request is an ordinary chat request: the call adds
   * "stream": true itself. */
  if ((rc = mistral_chat_request_new(&req, MODEL)) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(
           NULL, req, MISTRAL_ROLE_USER, "Explain in two sentences why the sky is blue.")) !=
          MISTRAL_OK ||
      (rc = mistral_chat_request_set_temperature(req, 0.3)) != MISTRAL_OK) {
    fprintf(stderr, "stream_chat: cannot build the request: %s\n", mistral_strerror(rc));
    goto done;
  }

  /* Returns when the stream has ended (or failed, or on_chunk stopped it).
   * &answer receives the chunks merged into one response, also after a
   * failure or a stop when some chunks had arrived; NULL if none had. */
  rc = mistral_chat_complete_streaming(&answer, client, req, on_chunk, &st, err);
  putchar('\n');

  const char *text = mistral_chat_response_text(answer);
  if (rc == MISTRAL_E_CANCELLED) {
    /* We asked for it: not an error. What arrived before the stop is kept. */
    printf("[stopped after %lu chunks]\n", st.chunks);
    printf("kept so far: \"%s\"\n", text ? text : "");
    exit_code = EXIT_SUCCESS;
    goto done;
  }
  if (rc != MISTRAL_OK) {
    /* An HTTP error before the stream started (bad key, rate limit...) is
     * reported exactly as mistral_chat_complete() would report it. A stream
     * that breaks off is MISTRAL_E_TRUNCATED, an error event inside it
     * MISTRAL_E_STREAM; the chunks printed so far stay printed. */
    fprintf(stderr, "stream_chat: %s\n", mistral_error_message(err));
    if (text) fprintf(stderr, "stream_chat: partial answer kept: \"%s\"\n", text);
    goto done;
  }

  if (!answer) { /* [DONE] came before any chunk */
    puts("(the stream was empty)");
    exit_code = EXIT_SUCCESS;
    goto done;
  }
  /* The whole answer, as a non-streaming call would have returned it. */
  const mistral_chat_choice *choice = answer->choice_count > 0 ? answer->choices[0] : NULL;
  printf("[finish: %s, kept %zu bytes]\n",
         choice && choice->finish_reason_raw ? choice->finish_reason_raw : "?",
         text ? strlen(text) : 0);
  /* The usage comes on the last chunk. */
  printf("tokens: %lld prompt + %lld completion = %lld total\n",
         (long long)answer->usage->prompt_tokens, (long long)answer->usage->completion_tokens,
         (long long)answer->usage->total_tokens);
  exit_code = EXIT_SUCCESS;

done:
  mistral_chat_response_free(answer);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  return exit_code;
}
