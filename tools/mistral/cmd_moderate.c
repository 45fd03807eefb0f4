/* SPDX-License-Identifier: Apache-2.0 */
/* mistral moderate: texts (or a conversation) in, the flagged categories
 * and their scores out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_MODEL "mistral-moderation-latest"

enum { OPT_CONVERSATION = 1, OPT_ALL, OPT_JSON };

/* Besides --model, --server-url, --help and --version (cli.h). */
static const cli_option moderate_options[] = {
    {"conversation", 'c', true, OPT_CONVERSATION},
    {"all", 'a', false, OPT_ALL},
    {"json", 0, false, OPT_JSON},
    {NULL, 0, false, 0},
};

static void moderate_help(void) {
  printf("Usage: mistral moderate [OPTIONS] [TEXT...]\n"
         "       mistral moderate [OPTIONS] --conversation FILE|-\n"
         "\n"
         "Asks the moderation model about each TEXT (each argument is one text;\n"
         "without any, standard input is one text) and prints, per text, whether it\n"
         "is flagged and the flagged categories with their scores (0 to 1):\n"
         "\n"
         "  1: not flagged\n"
         "  2: flagged\n"
         "    violence_and_threats             0.9740\n"
         "\n"
         "Categories the program does not know are printed too. The exit status is\n"
         "0 whether or not anything is flagged. Put '--' before a text that starts\n"
         "with '-'.\n"
         "\n"
         "Options:\n"
         "  -m, --model MODEL         the model (default " DEFAULT_MODEL ")\n"
         "  -c, --conversation FILE   moderate a conversation instead (POST\n"
         "                            /v1/chat/moderations): FILE holds JSON text of a\n"
         "                            message array, e.g. [{\"role\":\"user\",\n"
         "                            \"content\":\"...\"}]; '-' reads standard input\n"
         "  -a, --all                 print every category, not only flagged ones\n"
         "                            (flagged ones are marked 'flagged')\n"
         "      --json                print the response JSON as received\n"
         "      --server-url URL      the API server (default $MISTRAL_SERVER_URL,\n"
         "                            else " MISTRAL_DEFAULT_SERVER_URL ")\n"
         "  -h, --help                show this help and exit\n"
         "      --version             show the version and exit\n"
         "\n"
         "Examples:\n"
         "  mistral moderate 'Hello there' 'I will hurt you'\n"
         "  mistral moderate --all < message.txt\n"
         "  mistral moderate --conversation chat.json\n"
         "\n"
         "%s\n%s",
         cli_environment_help, cli_exit_help);
}

typedef struct moderate_args {
  cli_common common;        /* model, server_url */
  const char *conversation; /* FILE or "-", or NULL */
  bool all;
  bool json;
} moderate_args;

/* Returns CLI_CONTINUE to go on, or the exit status. */
static int parse_args(int argc, char **argv, moderate_args *a, const char **words,
                      size_t *count) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, &a->common, moderate_options);
  const char *arg;
  int id;
  while ((id = cli_next(&p, &arg)) != CLI_OPT_END) {
    int status;
    switch (id) {
      case CLI_OPT_POSITIONAL:
        words[(*count)++] = arg;
        break;
      case OPT_CONVERSATION:
        if (!*arg) {
          cli_error("--conversation needs a file name (or '-' for standard input)");
          return CLI_EXIT_USAGE;
        }
        a->conversation = arg;
        break;
      case OPT_ALL:
        a->all = true;
        break;
      case OPT_JSON:
        a->json = true;
        break;
      default:
        if ((status = cli_common_option(&p, id, arg)) != CLI_CONTINUE) return status;
        break;
    }
  }
  return CLI_CONTINUE;
}

/* A setter refused a value: the request carries the error and its message
 * names the field; building the body brings it out without sending. */
static int refused(int rc, const mistral_classifier_request *req,
                   mistral_classifier_endpoint endpoint, mistral_error *err) {
  char *json = NULL;
  int build = rc == MISTRAL_E_NOMEM
                  ? rc
                  : mistral_classifier_request_to_json(&json, req, endpoint, err);
  mistral_free(json);
  return cli_refused(rc, build, err);
}

/* The input: the words, the conversation file, or standard input. */
static int set_input(mistral_classifier_request *req, const moderate_args *a,
                     const char *const *words, size_t count, mistral_error *err) {
  int rc;
  mistral_classifier_endpoint endpoint = MISTRAL_CLASSIFIER_MODERATIONS;
  if (a->conversation) {
    char *text = NULL;
    size_t len = 0;
    bool from_stdin = strcmp(a->conversation, "-") == 0;
    int status = from_stdin ? cli_read_stream(stdin, "standard input", &text, &len)
                            : cli_read_file(a->conversation, &text, &len);
    if (status == CLI_EXIT_OK && memchr(text, '\0', len)) {
      free(text);
      cli_error("%s contains a NUL byte", from_stdin ? "standard input" : a->conversation);
      return CLI_EXIT_USAGE;
    }
    if (status != CLI_EXIT_OK) return status;
    rc = mistral_classifier_request_set_conversation_json(req, text);
    free(text);
    endpoint = MISTRAL_CLASSIFIER_CHAT_MODERATIONS;
  } else if (count == 1) {
    rc = mistral_classifier_request_set_input(req, words[0]); /* "input": "..." */
  } else if (count) {
    rc = mistral_classifier_request_set_inputs(req, words, count);
  } else {
    char *text = NULL;
    size_t len = 0;
    int status = cli_read_stream(stdin, "standard input", &text, &len);
    if (status != CLI_EXIT_OK) return status;
    if (memchr(text, '\0', len)) {
      free(text);
      cli_error("the text on standard input contains a NUL byte");
      return CLI_EXIT_USAGE;
    }
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r')) text[--len] = '\0';
    if (!len) {
      free(text);
      cli_error("no text to moderate (give it as arguments or on standard input)");
      return CLI_EXIT_USAGE;
    }
    rc = mistral_classifier_request_set_input(req, text);
    free(text);
  }
  return rc == MISTRAL_OK ? CLI_EXIT_OK : refused(rc, req, endpoint, err);
}

static void print_result(size_t i, const mistral_moderation_result *r, bool all) {
  printf("%zu: %s\n", i + 1, r->flagged ? "flagged" : "not flagged");
  for (size_t k = 0; k < r->category_count; k++) {
    const mistral_moderation_category *c = r->categories[k];
    if (!c->flagged && !all) continue;
    if (c->has_score)
      printf("  %-32s %.4f%s\n", c->name, c->score, all && c->flagged ? " flagged" : "");
    else
      printf("  %-32s -%s\n", c->name, all && c->flagged ? " flagged" : "");
  }
}

int cmd_moderate(int argc, char **argv) {
  moderate_args a = {
      .common = {.command = "moderate", .help = moderate_help, .model = DEFAULT_MODEL}};
  const char **words = malloc(sizeof *words * (size_t)argc);
  if (!words) {
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
  }
  size_t count = 0;
  int status = parse_args(argc, argv, &a, words, &count);
  if (status != CLI_CONTINUE) {
    free((void *)words);
    return status;
  }
  mistral_client *client = NULL;
  mistral_error *err = NULL;
  mistral_classifier_request *req = NULL;
  mistral_moderation_response *resp = NULL;

  if (a.conversation && count) {
    cli_error("give either TEXT arguments or --conversation, not both");
    status = CLI_EXIT_USAGE;
    goto done;
  }
  if ((status = cli_error_new(&err)) != CLI_EXIT_OK) goto done;
  status = cli_request_new_status(mistral_classifier_request_new(&req, a.common.model));
  if (status != CLI_EXIT_OK) goto done;
  if ((status = set_input(req, &a, words, count, err)) != CLI_EXIT_OK) goto done;
  if ((status = cli_client_new(&client, &a.common)) != CLI_EXIT_OK) goto done;

  int rc = a.conversation ? mistral_chat_moderations_create(&resp, client, req, err)
                      : mistral_moderations_create(&resp, client, req, err);
  if (rc != MISTRAL_OK) {
    status = cli_report(rc, err);
    goto done;
  }
  if (a.json) {
    status = cli_print_body(resp->raw_json, resp->raw_json_len);
  } else {
    for (size_t i = 0; i < resp->result_count; i++) print_result(i, resp->results[i], a.all);
    status = CLI_EXIT_OK;
  }
  status = cli_finish_stdout(status);

done:
  mistral_moderation_response_free(resp);
  mistral_classifier_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  free((void *)words);
  return status;
}
