/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream_tools: a function-calling round trip over a pull stream.
 *
 *     MISTRAL_API_KEY=... ./stream_tools
 *
 * The pull API is an iterator: mistral_chat_stream_open() sends the request
 * and waits for the response headers, mistral_chat_stream_next() waits for
 * the next chunk, mistral_chat_stream_free() closes the stream. No callback,
 * no thread: the loop is ours.
 *
 * 1. We describe get_weather(city) and ask about two cities.
 * 2. As chunks arrive we print any text at once, and we ask the stream's
 *    accumulator which tool calls have just completed (a streamed tool call
 *    may come in pieces: it is only complete when the accumulator says so).
 *    Each completed call is run at once, while the stream goes on.
 * 3. When the stream ends, the accumulated response holds the model's whole
 *    message; we append it and our results to the conversation, as with
 *    mistral_chat_complete(), and stream again: now the model answers in
 *    words, which we print as they come.
 *
 * See docs/streaming.md and, for tools themselves, docs/tools.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mistral/mistral.h>

#define MODEL "mistral-small-latest"

/* A model that keeps asking for tools would loop forever: bound it. */
#define MAX_ROUNDS 5
/* The most tool calls we answer in one round. */
#define MAX_CALLS 8

static const char WEATHER_PARAMETERS[] =
    "{\"type\": \"object\","
    " \"properties\": {\"city\": {\"type\": \"string\","
    " \"description\": \"The city's name, e.g. Paris\"}},"
    " \"required\": [\"city\"]}";

/* A tool call we ran, with its result, until we send the result back. The
 * call's strings are borrowed from the stream only until the next chunk, so
 * we keep copies. */
typedef struct tool_result {
  char *call_id;
  char *name;
  char text[256];
} tool_result;

typedef struct round_results {
  tool_result items[MAX_CALLS];
  size_t count;
} round_results;

/* A malloc'ed copy of s (NULL stays NULL; NULL also when out of memory). */
static char *copy_string(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void clear_results(round_results *r) {
  for (size_t i = 0; i < r->count; i++) {
    free(r->items[i].call_id);
    free(r->items[i].name);
  }
  r->count = 0;
}

/*
 * Our "weather service", a fake one with a few cities. arguments is the
 * call's JSON text, e.g. {"city": "Paris"}; a real program parses it with a
 * JSON library (see examples/tool_call.c for a tiny parser).
 */
static void fake_get_weather(const char *arguments, char *out, size_t outlen) {
  static const struct {
    const char *city, *weather;
  } table[] = {{"Paris", "\"temperature_c\": 18, \"conditions\": \"partly cloudy\""},
               {"London", "\"temperature_c\": 14, \"conditions\": \"light rain\""}};
  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    char quoted[32];
    snprintf(quoted, sizeof quoted, "\"%s\"", table[i].city);
    if (strstr(arguments, quoted)) {
      snprintf(out, outlen, "{\"city\": \"%s\", %s}", table[i].city, table[i].weather);
      return;
    }
  }
  snprintf(out, outlen, "{\"error\": \"unknown city\"}");
}

/* Runs the tool calls the accumulator reports as completed by the last
 * chunk (or by the end of the stream). Returns 0, or -1 when out of room. */
static int run_completed_calls(const mistral_chat_accumulator *acc, round_results *results) {
  for (size_t i = 0; i < mistral_chat_accumulator_completed_count(acc); i++) {
    int64_t choice = 0;
    const mistral_tool_call *call = mistral_chat_accumulator_completed(acc, i, &choice);
    if (!call || choice != 0) continue; /* one choice unless "n" is set */
    if (results->count == MAX_CALLS) return -1;
    /* Whole now: name and arguments are final. */
    printf("[tool call %s: %s(%s)]\n", call->id ? call->id : "?", call->name ? call->name : "?",
           call->arguments);
    fflush(stdout);
    tool_result *r = &results->items[results->count];
    r->call_id = copy_string(call->id);
    r->name = copy_string(call->name);
    results->count++;
    if ((call->id && !r->call_id) || (call->name && !r->name)) return -1;
    if (call->name && strcmp(call->name, "get_weather") == 0)
      fake_get_weather(call->arguments, r->text, sizeof r->text);
    else /* every call needs an answer, even one we cannot make */
      snprintf(r->text, sizeof r->text, "{\"error\": \"no such tool\"}");
  }
  return 0;
}

/*
 * Streams one answer to req: prints its text as it arrives and runs tool
 * calls as they complete. On success *out receives the accumulated
 * response. Returns a mistral status, or MISTRAL_E_NOMEM for our own
 * bookkeeping.
 */
static int stream_round(mistral_chat_response **out, mistral_client *client,
                        const mistral_chat_request *req, round_results *results,
                        mistral_error *err) {
  mistral_chat_stream *stream = NULL;
  /* Fails here for an HTTP error status (bad key, rate limit...), with the
   * same error as a non-streaming call. */
  int rc = mistral_chat_stream_open(&stream, client, req, err);
  if (rc != MISTRAL_OK) return rc;
  int mid_line = 0; /* text printed since the last newline */
  for (;;) {
    const mistral_chat_chunk *chunk = NULL;
    rc = mistral_chat_stream_next(&chunk, stream, err);
    if (rc != MISTRAL_OK) break; /* the stream failed: rc and err say why */
    if (chunk) {
      /* The chunk is borrowed until the next call to _next(). */
      for (size_t i = 0; i < chunk->choice_count; i++) {
        const mistral_chat_chunk_choice *c = chunk->choices[i];
        if (c->index == 0 && c->delta && c->delta->content && *c->delta->content) {
          fputs(c->delta->content, stdout);
          fflush(stdout);
          mid_line = 1;
        }
      }
    }
    /* The stream's accumulator has merged this chunk already. */
    const mistral_chat_accumulator *acc = mistral_chat_stream_accumulator(stream);
    if (mid_line && (!chunk || mistral_chat_accumulator_completed_count(acc) > 0)) {
      putchar('\n');
      mid_line = 0;
    }
    /* After each chunk, and once more when the stream has ended (a call
     * still open then is complete too). */
    if (run_completed_calls(acc, results) != 0) {
      rc = MISTRAL_E_NOMEM;
      fputs("stream_tools: too many tool calls, or out of memory\n", stderr);
      break;
    }
    if (!chunk) break; /* ended properly */
  }
  if (mid_line) putchar('\n');
  /* The chunks merged into one response: the whole assistant message. */
  if (rc == MISTRAL_OK) rc = mistral_chat_stream_response(out, stream);
  /* Also fine mid-way: freeing a stream that is still running closes its
   * connection. */
  mistral_chat_stream_free(stream);
  return rc;
}

static int build_request(mistral_chat_request **out) {
  mistral_chat_request *req = NULL;
  int rc;
  if ((rc = mistral_chat_request_new(&req, MODEL)) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_function_tool(req, "get_weather",
                                                   "Current weather in a city.",
                                                   WEATHER_PARAMETERS, false)) != MISTRAL_OK ||
      (rc = mistral_chat_request_set_tool_choice(req, MISTRAL_TOOL_CHOICE_AUTO)) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(
           NULL, req, MISTRAL_ROLE_USER,
           "What's the weather like in Paris and in London today?")) != MISTRAL_OK) {
    mistral_chat_request_free(req);
    return rc;
  }
  *out = req;
  return MISTRAL_OK;
}

int main(void) {
  int exit_code = EXIT_FAILURE;
  mistral_client *client = NULL;
  mistral_chat_request *req = NULL;
  mistral_chat_response *resp = NULL;
  round_results results = {.count = 0};

  mistral_error *err = mistral_error_new();
  if (!err) {
    fputs("stream_tools: out of memory\n", stderr);
    return EXIT_FAILURE;
  }
  int rc = mistral_client_new(&client);
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "stream_tools: cannot create the client: %s\n", mistral_strerror(rc));
    goto done;
  }
  if ((rc = build_request(&req)) != MISTRAL_OK) {
    fprintf(stderr, "stream_tools: cannot build the request: %s\n", mistral_strerror(rc));
    goto done;
  }

  for (int round = 1; round <= MAX_ROUNDS; round++) {
    rc = stream_round(&resp, client, req, &results, err);
    if (rc != MISTRAL_OK) {
      if (mistral_error_code(err) != MISTRAL_OK)
        fprintf(stderr, "stream_tools: %s\n", mistral_error_message(err));
      goto done;
    }
    const mistral_assistant_message *msg =
        resp->choice_count > 0 ? resp->choices[0]->message : NULL;
    if (!msg) {
      fputs("stream_tools: the answer has no message\n", stderr);
      goto done;
    }
    if (msg->tool_call_count == 0) { /* the final answer: already printed */
      printf("tokens (last round): %lld prompt + %lld completion = %lld total\n",
             (long long)resp->usage->prompt_tokens, (long long)resp->usage->completion_tokens,
             (long long)resp->usage->total_tokens);
      exit_code = EXIT_SUCCESS;
      goto done;
    }
    /* The model's message goes first, tool calls and all (copied, so the
     * response can be freed), then one result per call, tied by its id. */
    rc = mistral_chat_request_add_assistant_message(NULL, req, msg);
    for (size_t i = 0; rc == MISTRAL_OK && i < results.count; i++)
      rc = mistral_chat_request_add_tool_result(NULL, req, results.items[i].call_id,
                                                results.items[i].name, results.items[i].text);
    if (rc != MISTRAL_OK) {
      fprintf(stderr, "stream_tools: cannot add the tool results: %s\n", mistral_strerror(rc));
      goto done;
    }
    clear_results(&results);
    mistral_chat_response_free(resp);
    resp = NULL;
  }
  fprintf(stderr, "stream_tools: still calling tools after %d rounds; giving up\n", MAX_ROUNDS);

done:
  clear_results(&results);
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  return exit_code;
}
