/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tool_call: a whole function-calling round trip.
 *
 *     MISTRAL_API_KEY=... ./tool_call
 *
 * 1. We describe a function, get_weather(city), and ask a question that
 *    needs it.
 * 2. The model does not answer in words: it asks us to call the function,
 *    get_weather({"city": "Paris"}), and stops with finish reason
 *    "tool_calls".
 * 3. We run the function ourselves (a fake one here), then append to the
 *    conversation the model's message (with its tool call) and our result
 *    (a "tool" message carrying the call's id), and send it again.
 * 4. Now the model answers in words, using our result.
 *
 * The model never runs anything: it only asks. See docs/tools.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mistral/mistral.h>

#define MODEL "mistral-small-latest"

/* A model that keeps asking for tools would loop forever: bound it. */
#define MAX_ROUNDS 5

/* The function's parameters as a JSON Schema object, sent as is. */
static const char WEATHER_PARAMETERS[] =
    "{\"type\": \"object\","
    " \"properties\": {\"city\": {\"type\": \"string\","
    " \"description\": \"The city's name, e.g. Paris\"}},"
    " \"required\": [\"city\"]}";

/*
 * Copies the value of the string member `key` of a flat JSON object into
 * out. Deliberately tiny, so that this example needs nothing but libmistral:
 * it gives up (returns -1) on escapes and anything unusual. A real program
 * parses tool arguments with a JSON library.
 */
static int json_string_member(const char *json, const char *key, char *out, size_t outlen) {
  char quoted[64];
  int n = snprintf(quoted, sizeof quoted, "\"%s\"", key);
  if (n < 0 || (size_t)n >= sizeof quoted) return -1;
  const char *p = strstr(json, quoted);
  if (!p) return -1;
  p += n;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return -1;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != '"') return -1;
  const char *end = strchr(p, '"');
  if (!end || memchr(p, '\\', (size_t)(end - p)) || (size_t)(end - p) >= outlen) return -1;
  memcpy(out, p, (size_t)(end - p));
  out[end - p] = '\0';
  return 0;
}

/*
 * Our "weather service": writes its answer to out as JSON text, the form
 * tool results usually take (the model reads it; the API does not parse it).
 */
static void fake_get_weather(const char *arguments, char *out, size_t outlen) {
  char city[64];
  int n;
  if (json_string_member(arguments, "city", city, sizeof city) != 0)
    /* Tell the model what went wrong instead of giving up: it can retry
     * with better arguments or explain the problem to the user. */
    n = snprintf(out, outlen, "{\"error\": \"expected {\\\"city\\\": \\\"<name>\\\"}\"}");
  else
    n = snprintf(out, outlen,
                 "{\"city\": \"%s\", \"temperature_c\": 18, \"conditions\": \"partly cloudy\"}",
                 city);
  if (n < 0 || (size_t)n >= outlen) snprintf(out, outlen, "{\"error\": \"internal\"}");
}

/* Builds the first request: the tool, the tool choice and the question. */
static int build_request(mistral_chat_request **out) {
  mistral_chat_request *req = NULL;
  int rc;
  if ((rc = mistral_chat_request_new(&req, MODEL)) != MISTRAL_OK ||
      /* strict is false: the model may send arguments the schema does not
       * quite allow; our function copes with that. */
      (rc = mistral_chat_request_add_function_tool(req, "get_weather",
                                                   "Current weather in a city.",
                                                   WEATHER_PARAMETERS, false)) != MISTRAL_OK ||
      /* "auto" is the server's default: the model decides between words and
       * tools. Set here to show where the choice is made. */
      (rc = mistral_chat_request_set_tool_choice(req, MISTRAL_TOOL_CHOICE_AUTO)) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER,
                                             "What's the weather like in Paris today?")) !=
          MISTRAL_OK) {
    mistral_chat_request_free(req);
    return rc;
  }
  *out = req;
  return MISTRAL_OK;
}

/*
 * Appends the model's message and one result per tool call to req, so that
 * the next call carries the whole conversation: the API keeps no state
 * between calls.
 */
static int answer_tool_calls(mistral_chat_request *req, const mistral_assistant_message *msg) {
  /* The assistant message goes first, tool calls and all: each tool result
   * must answer a call the conversation contains. It is copied, so the
   * response may be freed afterwards. */
  int rc = mistral_chat_request_add_assistant_message(NULL, req, msg);
  if (rc != MISTRAL_OK) return rc;
  for (size_t i = 0; i < msg->tool_call_count; i++) {
    const mistral_tool_call *call = msg->tool_calls[i];
    const char *arguments = call->arguments ? call->arguments : "{}";
    char result[256];
    if (call->name && strcmp(call->name, "get_weather") == 0) {
      printf("calling get_weather(%s)\n", arguments);
      fake_get_weather(arguments, result, sizeof result);
    } else {
      /* Every call needs an answer, even one we cannot make. */
      snprintf(result, sizeof result, "{\"error\": \"no such tool\"}");
    }
    /* The id ties the result to its call; the name helps the model. */
    rc = mistral_chat_request_add_tool_result(NULL, req, call->id, call->name, result);
    if (rc != MISTRAL_OK) return rc;
  }
  return MISTRAL_OK;
}

int main(void) {
  int exit_code = EXIT_FAILURE;
  mistral_client *client = NULL;
  mistral_chat_request *req = NULL;
  mistral_chat_response *resp = NULL;

  mistral_error *err = mistral_error_new();
  if (!err) {
    fputs("tool_call: out of memory\n", stderr);
    return EXIT_FAILURE;
  }
  int rc = mistral_client_new(&client);
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "tool_call: cannot create the client: %s\n", mistral_strerror(rc));
    goto done;
  }
  if ((rc = build_request(&req)) != MISTRAL_OK) {
    fprintf(stderr, "tool_call: cannot build the request: %s\n", mistral_strerror(rc));
    goto done;
  }

  for (int round = 1; round <= MAX_ROUNDS; round++) {
    rc = mistral_chat_complete(&resp, client, req, err);
    if (rc != MISTRAL_OK) {
      fprintf(stderr, "tool_call: %s\n", mistral_error_message(err));
      goto done;
    }
    const mistral_assistant_message *msg =
        resp->choice_count > 0 ? resp->choices[0]->message : NULL;
    if (!msg) {
      fputs("tool_call: the answer has no message\n", stderr);
      goto done;
    }

    /* No tool call: this is the final answer. Test the calls themselves
     * rather than only finish_reason, which says why generation stopped. */
    if (msg->tool_call_count == 0) {
      printf("%s\n", msg->content ? msg->content : "(no text)");
      exit_code = EXIT_SUCCESS;
      goto done;
    }
    if ((rc = answer_tool_calls(req, msg)) != MISTRAL_OK) {
      fprintf(stderr, "tool_call: cannot add the tool results: %s\n", mistral_strerror(rc));
      goto done;
    }
    /* Everything needed from this response has been copied into req. */
    mistral_chat_response_free(resp);
    resp = NULL;
  }
  fprintf(stderr, "tool_call: still calling tools after %d rounds; giving up\n", MAX_ROUNDS);

done:
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  return exit_code;
}
