/* SPDX-License-Identifier: Apache-2.0 */
/* mistral fim: fill-in-the-middle code completion, whole or streamed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_MODEL "codestral-latest"

enum {
  OPT_MODEL = 1,
  OPT_PROMPT,
  OPT_SUFFIX,
  OPT_TEMPERATURE,
  OPT_MAX_TOKENS,
  OPT_STREAM,
  OPT_RAW
};

/* Besides --server-url, --help and --version (cli.h). The command's own
 * --model, not the shared one: an empty id is not refused here but goes
 * to the library, which refuses it ("invalid argument"). */
static const cli_option fim_options[] = {
    {"model", 'm', true, OPT_MODEL},
    {"prompt", 'p', true, OPT_PROMPT},
    {"suffix", 's', true, OPT_SUFFIX},
    {"temperature", 't', true, OPT_TEMPERATURE},
    {"max-tokens", 0, true, OPT_MAX_TOKENS},
    {"stream", 0, false, OPT_STREAM},
    {"raw", 0, false, OPT_RAW},
    {NULL, 0, false, 0},
};

static void fim_help(void) {
  printf("Usage: mistral fim [OPTIONS] --prompt TEXT [--suffix TEXT]\n"
         "\n"
         "Asks a code model for what goes between PROMPT (the code before the\n"
         "cursor) and SUFFIX (the code after it), and prints it. Without --prompt\n"
         "the prompt is read from standard input.\n"
         "\n"
         "Options:\n"
         "  -m, --model MODEL      the model (default " DEFAULT_MODEL ")\n"
         "  -p, --prompt TEXT      the code before the gap\n"
         "  -s, --suffix TEXT      the code after the gap\n"
         "  -t, --temperature X    sampling temperature, 0 to 1.5\n"
         "      --max-tokens N     at most N tokens in the completion\n"
         "      --stream           print the completion as it is generated\n"
         "      --raw              print the whole response JSON\n"
         "      --server-url URL   the API server\n"
         "  -h, --help             show this help and exit\n"
         "      --version          show the version and exit\n"
         "\n"
         "Example:\n"
         "  mistral fim -p 'def fib(n):' -s 'print(fib(10))'\n"
         "\n"
         "%s\n%s",
         cli_environment_help, cli_exit_help);
}

typedef struct fim_options_set {
  cli_common common; /* server_url */
  const char *model, *prompt, *suffix;
  bool has_temperature, has_max_tokens, stream, raw;
  double temperature;
  int64_t max_tokens;
} fim_options_set;

/* Returns CLI_CONTINUE to go on, or the exit status. */
static int parse_options(int argc, char **argv, fim_options_set *o) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, &o->common, fim_options);
  const char *arg;
  int id;
  while ((id = cli_next(&p, &arg)) != CLI_OPT_END) {
    int status;
    switch (id) {
      case CLI_OPT_POSITIONAL:
        cli_error("fim takes no arguments (give the code with --prompt and --suffix)");
        return CLI_EXIT_USAGE;
      case OPT_MODEL: o->model = arg; break;
      case OPT_PROMPT: o->prompt = arg; break;
      case OPT_SUFFIX: o->suffix = arg; break;
      case OPT_TEMPERATURE:
        if (!cli_parse_double("--temperature", arg, &o->temperature)) return CLI_EXIT_USAGE;
        o->has_temperature = true;
        break;
      case OPT_MAX_TOKENS:
        if (!cli_parse_int64("--max-tokens", arg, 0, &o->max_tokens)) return CLI_EXIT_USAGE;
        o->has_max_tokens = true;
        break;
      case OPT_STREAM: o->stream = true; break;
      case OPT_RAW: o->raw = true; break;
      default:
        if ((status = cli_common_option(&p, id, arg)) != CLI_CONTINUE) return status;
        break;
    }
  }
  return CLI_CONTINUE;
}

static int print_chunk(const mistral_chat_chunk *chunk, void *user_data) {
  bool raw = *(const bool *)user_data;
  if (raw) {
    fwrite(chunk->raw_json, 1, chunk->raw_json_len, stdout);
    putchar('\n');
  } else if (chunk->choice_count && chunk->choices[0]->delta &&
             chunk->choices[0]->delta->content) {
    fputs(chunk->choices[0]->delta->content, stdout);
  }
  fflush(stdout);
  return 0;
}

int cmd_fim(int argc, char **argv) {
  fim_options_set o = {.common = {.command = "fim", .help = fim_help}, .model = DEFAULT_MODEL};
  int status = parse_options(argc, argv, &o);
  if (status != CLI_CONTINUE) return status;

  char *stdin_prompt = NULL;
  size_t len = 0;
  if (!o.prompt) {
    status = cli_read_stream(stdin, "standard input", &stdin_prompt, &len);
    if (status != CLI_EXIT_OK) return status;
    o.prompt = stdin_prompt;
  }
  mistral_client *client = NULL;
  mistral_fim_request *req = NULL;
  mistral_chat_response *resp = NULL;
  mistral_error *err = NULL;
  if ((status = cli_error_new(&err)) != CLI_EXIT_OK) goto done;
  int rc = mistral_fim_request_new(&req, o.model, o.prompt);
  if (rc == MISTRAL_OK && o.suffix) rc = mistral_fim_request_set_suffix(req, o.suffix);
  if (rc == MISTRAL_OK && o.has_temperature)
    rc = mistral_fim_request_set_temperature(req, o.temperature);
  if (rc == MISTRAL_OK && o.has_max_tokens)
    rc = mistral_fim_request_set_max_tokens(req, o.max_tokens);
  if (rc != MISTRAL_OK) {
    /* The request names the refused field; bring it out without sending. */
    char *json = NULL;
    int build = req && rc != MISTRAL_E_NOMEM ? mistral_fim_request_to_json(&json, req, err) : rc;
    mistral_free(json);
    status = cli_refused(rc, build, err);
    goto done;
  }
  if ((status = cli_client_new(&client, &o.common)) != CLI_EXIT_OK) goto done;

  if (o.stream) {
    /* Ctrl-C stops the stream cleanly, as for mistral chat --stream. */
    mistral_call_options *opts = NULL;
    if ((status = cli_sigint_begin(&opts)) != CLI_EXIT_OK) goto done;
    rc = mistral_fim_request_set_call_options(req, opts);
    mistral_call_options_free(opts);
    if (rc == MISTRAL_OK)
      rc = mistral_fim_complete_streaming(NULL, client, req, print_chunk, &o.raw, err);
    if (rc == MISTRAL_OK && !o.raw) putchar('\n');
    status = cli_sigint_end(rc, err);
    if (status == CLI_EXIT_OK) status = cli_finish_stdout(CLI_EXIT_OK);
    goto done;
  } else {
    rc = mistral_fim_complete(&resp, client, req, err);
    if (rc == MISTRAL_OK) {
      if (o.raw) {
        status = cli_print_body(resp->raw_json, resp->raw_json_len);
        goto done;
      }
      const char *text = mistral_chat_response_text(resp);
      printf("%s\n", text ? text : "");
    }
  }
  status = rc == MISTRAL_OK ? cli_finish_stdout(CLI_EXIT_OK) : cli_report(rc, err);
done:
  mistral_chat_response_free(resp);
  mistral_fim_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  free(stdin_prompt);
  return status;
}
