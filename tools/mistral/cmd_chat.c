/* SPDX-License-Identifier: Apache-2.0 */
/* mistral chat: one prompt in, the model's answer out (whole, or streamed
 * as it is generated). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_MODEL "mistral-small-latest"

enum {
  OPT_SYSTEM = 1,
  OPT_TEMPERATURE,
  OPT_MAX_TOKENS,
  OPT_SEED,
  OPT_JSON,
  OPT_RAW,
  OPT_STREAM,
  OPT_TOOL
};

/* Besides --model, --server-url, --help and --version (cli.h). */
static const cli_option chat_options[] = {
    {"system", 's', true, OPT_SYSTEM},
    {"temperature", 't', true, OPT_TEMPERATURE},
    {"max-tokens", 0, true, OPT_MAX_TOKENS},
    {"seed", 0, true, OPT_SEED},
    {"json", 0, false, OPT_JSON},
    {"raw", 0, false, OPT_RAW},
    {"stream", 0, false, OPT_STREAM},
    {"tool", 0, true, OPT_TOOL},
    {NULL, 0, false, 0},
};

static void chat_help(void) {
  printf("Usage: mistral chat [OPTIONS] [PROMPT...]\n"
         "\n"
         "Sends PROMPT to a chat model and prints its answer. The words of PROMPT\n"
         "are joined by spaces; without them the prompt is read from standard input.\n"
         "Put '--' before a prompt that starts with '-'.\n"
         "\n"
         "Options:\n"
         "  -m, --model MODEL      the model (default " DEFAULT_MODEL ")\n"
         "  -s, --system TEXT      a system message sent before the prompt\n"
         "  -t, --temperature X    sampling temperature, 0 to 1.5\n"
         "      --max-tokens N     at most N tokens in the answer\n"
         "      --seed N           random seed, for reproducible answers\n"
         "      --json             JSON mode: the answer is a JSON object\n"
         "                         (ask for one in the prompt too)\n"
         "      --raw              print the whole response JSON, not just the text\n"
         "                         (with --stream: each chunk's JSON, one per line)\n"
         "      --stream           print the answer as it is generated; Ctrl-C\n"
         "                         stops it cleanly (exit status 130)\n"
         "      --tool NAME[=JSON] offer the model a function tool NAME, with JSON\n"
         "                         Schema parameters; repeatable. Tool calls are\n"
         "                         printed as '[tool call NAME id=ID] ARGUMENTS'\n"
         "      --server-url URL   the API server (default $MISTRAL_SERVER_URL,\n"
         "                         else " MISTRAL_DEFAULT_SERVER_URL ")\n"
         "  -h, --help             show this help and exit\n"
         "      --version          show the version and exit\n"
         "\n"
         "Examples:\n"
         "  mistral chat 'What is the capital of France?'\n"
         "  echo 'Summarise: ...' | mistral chat -m mistral-large-latest -t 0.2\n"
         "  mistral chat --stream 'Tell me a story.'\n"
         "\n"
         "%s\n%s",
         cli_environment_help, cli_exit_help);
}

typedef struct chat_options_set {
  cli_common common; /* model, server_url */
  const char *system;
  bool has_temperature, has_max_tokens, has_seed;
  double temperature;
  int64_t max_tokens;
  int64_t seed;
  bool json;
  bool raw;
  bool stream;
  const char **tools; /* "NAME" or "NAME=JSON" */
  size_t tool_count;
} chat_options_set;

/* Joins words with single spaces into a new string. */
static char *join_words(const char *const *words, size_t count) {
  size_t len = 0;
  for (size_t i = 0; i < count; i++) len += strlen(words[i]) + 1;
  char *s = malloc(len ? len : 1);
  if (!s) return NULL;
  size_t pos = 0;
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(words[i]);
    if (i) s[pos++] = ' ';
    memcpy(s + pos, words[i], n);
    pos += n;
  }
  s[pos] = '\0';
  return s;
}

/* The prompt from the words, or from stdin without its trailing line
 * breaks. */
static int get_prompt(const char *const *words, size_t count, char **out) {
  if (count) {
    *out = join_words(words, count);
    if (!*out) {
      cli_error("out of memory");
      return CLI_EXIT_FAILURE;
    }
  } else {
    size_t len = 0;
    int rc = cli_read_stream(stdin, "standard input", out, &len);
    if (rc != CLI_EXIT_OK) return rc;
    if (memchr(*out, '\0', len)) {
      free(*out);
      *out = NULL;
      cli_error("the prompt on standard input contains a NUL byte");
      return CLI_EXIT_USAGE;
    }
    while (len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r')) (*out)[--len] = '\0';
  }
  if (!**out) {
    free(*out);
    *out = NULL;
    cli_error("empty prompt (give it as arguments or on standard input)");
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

/* A setter refused a value: the request carries the error and its message
 * names the field; building the body brings both out without sending. */
static int refused(int rc, const mistral_chat_request *req, mistral_error *err) {
  char *json = NULL;
  int build = rc == MISTRAL_E_NOMEM ? rc : mistral_chat_request_to_json(&json, req, err);
  mistral_free(json);
  return cli_refused(rc, build, err);
}

static int build_request(mistral_chat_request **out, const chat_options_set *o,
                         const char *prompt, mistral_error *err) {
  mistral_chat_request *req = NULL;
  int rc = mistral_chat_request_new(&req, o->common.model);
  if (rc != MISTRAL_OK) {
    mistral_chat_request_free(req);
    return cli_request_new_status(rc);
  }
  if (o->system) rc = mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_SYSTEM, o->system);
  if (rc == MISTRAL_OK) rc = mistral_chat_request_add_message(NULL, req, MISTRAL_ROLE_USER, prompt);
  if (rc == MISTRAL_OK && o->has_temperature)
    rc = mistral_chat_request_set_temperature(req, o->temperature);
  if (rc == MISTRAL_OK && o->has_max_tokens)
    rc = mistral_chat_request_set_max_tokens(req, o->max_tokens);
  if (rc == MISTRAL_OK && o->has_seed) rc = mistral_chat_request_set_random_seed(req, o->seed);
  if (rc == MISTRAL_OK && o->json)
    rc = mistral_chat_request_set_response_format(req, MISTRAL_RESPONSE_FORMAT_JSON_OBJECT);
  for (size_t i = 0; rc == MISTRAL_OK && i < o->tool_count; i++) {
    const char *eq = strchr(o->tools[i], '=');
    char *name = eq ? strndup(o->tools[i], (size_t)(eq - o->tools[i])) : strdup(o->tools[i]);
    rc = name ? mistral_chat_request_add_function_tool(req, name, NULL, eq ? eq + 1 : NULL, false)
              : MISTRAL_E_NOMEM;
    free(name);
  }
  if (rc != MISTRAL_OK) {
    int status = refused(rc, req, err);
    mistral_chat_request_free(req);
    return status;
  }
  *out = req;
  return CLI_EXIT_OK;
}

static void print_tool_call(const mistral_tool_call *tc) {
  printf("[tool call %s id=%s] %s\n", tc->name ? tc->name : "?", tc->id ? tc->id : "-",
         tc->arguments);
}

static int print_response(const mistral_chat_response *resp, bool raw) {
  if (raw) return cli_print_body(resp->raw_json, resp->raw_json_len);
  const char *text = mistral_chat_response_text(resp);
  const mistral_assistant_message *msg =
      resp->choice_count ? resp->choices[0]->message : NULL;
  if (msg && msg->tool_call_count) {
    if (text && *text) printf("%s\n", text);
    for (size_t i = 0; i < msg->tool_call_count; i++) print_tool_call(msg->tool_calls[i]);
    return CLI_EXIT_OK;
  }
  if (!text) {
    const char *why = resp->choice_count && resp->choices[0]->finish_reason_raw
                          ? resp->choices[0]->finish_reason_raw
                          : "none";
    cli_error("the response has no text (finish reason: %s); see it whole with --raw", why);
    return CLI_EXIT_FAILURE;
  }
  fputs(text, stdout);
  putchar('\n');
  return CLI_EXIT_OK;
}

/* Parses the options into o and the prompt words into words (count in
 * *count). Returns CLI_CONTINUE to go on, or the exit status. */
static int parse_options(int argc, char **argv, chat_options_set *o, const char **words,
                         size_t *count) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, &o->common, chat_options);
  const char *arg;
  int id;
  while ((id = cli_next(&p, &arg)) != CLI_OPT_END) {
    int status;
    switch (id) {
      case CLI_OPT_POSITIONAL:
        words[(*count)++] = arg;
        break;
      case OPT_SYSTEM:
        o->system = arg;
        break;
      case OPT_TEMPERATURE:
        if (!cli_parse_double("--temperature", arg, &o->temperature)) return CLI_EXIT_USAGE;
        o->has_temperature = true;
        break;
      case OPT_MAX_TOKENS:
        if (!cli_parse_int64("--max-tokens", arg, 0, &o->max_tokens)) return CLI_EXIT_USAGE;
        o->has_max_tokens = true;
        break;
      case OPT_SEED:
        if (!cli_parse_int64("--seed", arg, 0, &o->seed)) return CLI_EXIT_USAGE;
        o->has_seed = true;
        break;
      case OPT_JSON:
        o->json = true;
        break;
      case OPT_RAW:
        o->raw = true;
        break;
      case OPT_STREAM:
        o->stream = true;
        break;
      case OPT_TOOL:
        if (!*arg || *arg == '=') {
          cli_error("--tool needs a function name (NAME or NAME=PARAMETERS_JSON)");
          return CLI_EXIT_USAGE;
        }
        o->tools[o->tool_count++] = arg;
        break;
      default:
        if ((status = cli_common_option(&p, id, arg)) != CLI_CONTINUE) return status;
        break;
    }
  }
  return CLI_CONTINUE;
}

/* Streams the answer: text as it arrives (flushed per chunk), each tool call
 * once complete, or with --raw each chunk's JSON on a line. */
static int stream_answer(mistral_client *client, mistral_chat_request *req, bool raw,
                         mistral_error *err) {
  mistral_call_options *opts = NULL;
  int status = cli_sigint_begin(&opts);
  if (status != CLI_EXIT_OK) return status;
  mistral_chat_request_set_call_options(req, opts);
  mistral_call_options_free(opts);

  mistral_chat_stream *s = NULL;
  int rc = mistral_chat_stream_open(&s, client, req, err);
  bool mid_line = false;
  const mistral_chat_chunk *chunk;
  while (rc == MISTRAL_OK && (rc = mistral_chat_stream_next(&chunk, s, err)) == MISTRAL_OK &&
         chunk) {
    if (raw) {
      fwrite(chunk->raw_json, 1, chunk->raw_json_len, stdout);
      putchar('\n');
    } else {
      for (size_t i = 0; i < chunk->choice_count; i++) {
        const char *text = chunk->choices[i]->delta ? chunk->choices[i]->delta->content : NULL;
        if (chunk->choices[i]->index == 0 && text && *text) {
          fputs(text, stdout);
          mid_line = text[strlen(text) - 1] != '\n';
        }
      }
      const mistral_chat_accumulator *acc = mistral_chat_stream_accumulator(s);
      for (size_t i = 0; i < mistral_chat_accumulator_completed_count(acc); i++) {
        if (mid_line) putchar('\n');
        mid_line = false;
        print_tool_call(mistral_chat_accumulator_completed(acc, i, NULL));
      }
    }
    fflush(stdout);
  }
  if (mid_line) putchar('\n');
  mistral_chat_stream_free(s);
  status = cli_sigint_end(rc, err);
  return status == CLI_EXIT_OK ? cli_finish_stdout(CLI_EXIT_OK) : status;
}

int cmd_chat(int argc, char **argv) {
  chat_options_set o = {.common = {.command = "chat", .help = chat_help, .model = DEFAULT_MODEL}};
  const char **words = malloc(sizeof *words * (size_t)argc);
  o.tools = malloc(sizeof *o.tools * (size_t)argc);
  if (!words || !o.tools) {
    free(o.tools);
    free((void *)words);
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
  }
  size_t count = 0;
  int status = parse_options(argc, argv, &o, words, &count);
  if (status != CLI_CONTINUE) {
    free((void *)words);
    free((void *)o.tools);
    return status;
  }

  char *prompt = NULL;
  mistral_client *client = NULL;
  mistral_error *err = NULL;
  mistral_chat_request *req = NULL;
  mistral_chat_response *resp = NULL;

  status = get_prompt(words, count, &prompt);
  if (status != CLI_EXIT_OK) goto done;
  if ((status = cli_error_new(&err)) != CLI_EXIT_OK) goto done;
  if ((status = build_request(&req, &o, prompt, err)) != CLI_EXIT_OK) goto done;
  if ((status = cli_client_new(&client, &o.common)) != CLI_EXIT_OK) goto done;

  if (o.stream) {
    status = stream_answer(client, req, o.raw, err);
    goto done;
  }
  int rc = mistral_chat_complete(&resp, client, req, err);
  if (rc != MISTRAL_OK) {
    status = cli_report(rc, err);
    goto done;
  }
  status = print_response(resp, o.raw);
  if (status == CLI_EXIT_OK && resp->model_deprecation)
    cli_error("warning: model %s is deprecated; it will be retired on %s",
              resp->model ? resp->model : o.common.model, resp->model_deprecation);
  status = cli_finish_stdout(status);

done:
  mistral_chat_response_free(resp);
  mistral_chat_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  free(prompt);
  free((void *)words);
  free((void *)o.tools);
  return status;
}
