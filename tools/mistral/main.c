/* SPDX-License-Identifier: Apache-2.0 */
/* mistral: a command-line client for the Mistral AI API, built on
 * libmistral's public API.
 *
 *   mistral chat [OPTIONS] [PROMPT...]
 *   mistral raw METHOD PATH [BODY|@FILE|-]
 *   mistral record --out FILE METHOD PATH [BODY|@FILE|-]
 *   mistral embed [-m MODEL] [--dimension N] [--dtype T] [--base64] [--batch K] [TEXT...]
 *   mistral fim [-m MODEL] --prompt TEXT [--suffix TEXT] [--stream]
 *   mistral moderate [-m MODEL] [TEXT...] | --conversation FILE
 *   mistral ocr [-m MODEL] [--pages LIST] [--images] URL|FILE
 *   mistral models [list|show|delete|archive|unarchive|update] [MODEL_ID]
 *
 * Exit status (the same for every command; see cli.h):
 *   0 success, 1 other failure, 2 usage or configuration error (nothing was
 *   sent), 3 the API answered with an HTTP error, 4 network error.
 * On failure exactly one line "mistral: <message>" goes to stderr.
 *
 * A new command is one function and one row in the table below. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv); /* argv[0] is the command's name */
  const char *summary;
} cli_command;

static const cli_command commands[] = {
    {"chat", cmd_chat, "ask a model; print its answer"},
    {"raw", cmd_raw, "call any API endpoint with JSON text; print the response body"},
    {"record", cmd_record, "call an endpoint and save the exchange as a test fixture"},
    {"embed", cmd_embed, "embed texts; print the vectors or write the matrix to a file"},
    {"fim", cmd_fim, "complete code between a prompt and a suffix (fill in the middle)"},
    {"moderate", cmd_moderate, "check texts or a conversation with the moderation model"},
    {"ocr", cmd_ocr, "turn a document or image (URL or local file) into Markdown"},
    {"models", cmd_models, "list the models; show, delete, archive or rename one"},
};

static void print_help(void) {
  printf("Usage: mistral COMMAND [OPTIONS] [ARGUMENTS...]\n"
         "\n"
         "A command-line client for the Mistral AI API.\n"
         "\n"
         "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    printf("  %-8s %s\n", commands[i].name, commands[i].summary);
  printf("\n"
         "Run 'mistral COMMAND --help' (or 'mistral help COMMAND') for its options.\n"
         "\n"
         "Options:\n"
         "  -h, --help     show this help and exit\n"
         "      --version  show the version and exit\n"
         "\n"
         "%s",
         cli_environment_help);
  printf("\n%s", cli_exit_help);
}

static void print_version(void) {
  printf("mistral %s (libmistral %s)\n", MISTRAL_VERSION_STRING, mistral_version());
}

int cli_version(void) {
  print_version();
  return cli_finish_stdout(CLI_EXIT_OK);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    cli_error("no command given (see 'mistral --help')");
    return CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
    print_help();
    return cli_finish_stdout(CLI_EXIT_OK);
  }
  if (strcmp(name, "--version") == 0) return cli_version();
  if (strcmp(name, "help") == 0) {
    /* "mistral help CMD" is "mistral CMD --help". */
    if (argc < 3) {
      print_help();
      return cli_finish_stdout(CLI_EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
      if (strcmp(argv[2], commands[i].name) == 0) {
        char help_flag[] = "--help";
        char *help_argv[] = {argv[2], help_flag, NULL};
        return commands[i].run(2, help_argv);
      }
    cli_error("unknown command '%s' (see 'mistral --help')", argv[2]);
    return CLI_EXIT_USAGE;
  }
  if (name[0] == '-') {
    cli_error("unknown option '%s' (see 'mistral --help')", name);
    return CLI_EXIT_USAGE;
  }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(name, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  cli_error("unknown command '%s' (see 'mistral --help')", name);
  return CLI_EXIT_USAGE;
}
