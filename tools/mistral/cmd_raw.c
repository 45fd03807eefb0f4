/* SPDX-License-Identifier: Apache-2.0 */
/* mistral raw: any endpoint, JSON text in, the response body out.
 * mistral record: the same call, saved as a test fixture. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_OUT = 1 };

/* Besides --server-url, --help and --version (cli.h): raw has none of its
 * own, record has --out. */
static const cli_option raw_options[] = {
    {NULL, 0, false, 0},
};

static const cli_option record_options[] = {
    {"out", 'o', true, OPT_OUT},
    {NULL, 0, false, 0},
};

#define BODY_HELP                                                                  \
  "BODY is JSON text sent with Content-Type: application/json; '@FILE' reads it\n" \
  "from a file and '-' from standard input. Without BODY nothing is sent.\n"

static void raw_help(void) {
  printf("Usage: mistral raw [OPTIONS] METHOD PATH [BODY|@FILE|-]\n"
         "\n"
         "Calls any endpoint of the API with the client's authentication and prints\n"
         "the response body, also when the status is an error (the exit status\n"
         "tells). METHOD is GET, POST, PUT, PATCH or DELETE; PATH starts with '/'\n"
         "and may hold a query string (percent-encoded).\n" BODY_HELP
         "\n"
         "Options:\n"
         "      --server-url URL   the API server (default $MISTRAL_SERVER_URL,\n"
         "                         else " MISTRAL_DEFAULT_SERVER_URL ")\n"
         "  -h, --help             show this help and exit\n"
         "      --version          show the version and exit\n"
         "\n"
         "Examples:\n"
         "  mistral raw GET /v1/models\n"
         "  mistral raw POST /v1/embeddings '{\"model\":\"mistral-embed\",\"input\":[\"hi\"]}'\n"
         "\n"
         "%s\n%s",
         cli_environment_help, cli_exit_help);
}

static void record_help(void) {
  printf("Usage: mistral record --out FILE [OPTIONS] METHOD PATH [BODY|@FILE|-]\n"
         "\n"
         "Makes the call 'mistral raw' makes, prints the response body, and saves\n"
         "the exchange as a fixture file (format: tests/fixtures/README.md) that\n"
         "the test suite and mistral-replay can serve. The API key is never\n"
         "written: the file says 'Bearer {{API_KEY}}', and the key is replaced by\n"
         "{{API_KEY}} wherever the response repeats it. JSON bodies are\n"
         "pretty-printed; other bodies are kept byte for byte. An error response\n"
         "is recorded too (the exit status still tells); nothing is written when\n"
         "no response arrived. The file is replaced atomically.\n" BODY_HELP
         "\n"
         "Options:\n"
         "  -o, --out FILE         the fixture file to write (required)\n"
         "      --server-url URL   the API server (default $MISTRAL_SERVER_URL,\n"
         "                         else " MISTRAL_DEFAULT_SERVER_URL ")\n"
         "  -h, --help             show this help and exit\n"
         "      --version          show the version and exit\n"
         "\n"
         "Example:\n"
         "  mistral record --out tests/fixtures/demo/models.fixture GET /v1/models\n"
         "\n"
         "%s\n%s",
         cli_environment_help, cli_exit_help);
}

typedef struct call_args {
  cli_common common; /* server_url */
  const char *out;
  char method[16];
  const char *path;
  const char *body_arg;
} call_args;

/* Returns CLI_CONTINUE to go on, or the exit status. */
static int parse_call(int argc, char **argv, bool record, call_args *a) {
  cli_parser p;
  const char *command = a->common.command;
  cli_parser_init(&p, argc, argv, &a->common, record ? record_options : raw_options);
  const char *words[3];
  size_t count = 0;
  const char *arg;
  int id;
  while ((id = cli_next(&p, &arg)) != CLI_OPT_END) {
    int status;
    switch (id) {
      case CLI_OPT_POSITIONAL:
        if (count == 3) {
          cli_error("too many arguments: '%s' (see 'mistral %s --help')", arg, command);
          return CLI_EXIT_USAGE;
        }
        words[count++] = arg;
        break;
      case OPT_OUT:
        if (!*arg) {
          cli_error("--out needs a file name");
          return CLI_EXIT_USAGE;
        }
        a->out = arg;
        break;
      default:
        if ((status = cli_common_option(&p, id, arg)) != CLI_CONTINUE) return status;
        break;
    }
  }
  if (count < 2) {
    cli_error("%s (see 'mistral %s --help')",
              count ? "missing PATH after METHOD" : "missing METHOD and PATH", command);
    return CLI_EXIT_USAGE;
  }
  if (record && !a->out) {
    cli_error("missing --out FILE (see 'mistral record --help')");
    return CLI_EXIT_USAGE;
  }
  /* The method in upper case ("get" is GET); the library checks it. */
  size_t n = strlen(words[0]);
  if (n >= sizeof a->method) n = sizeof a->method - 1;
  for (size_t i = 0; i < n; i++) a->method[i] = (char)toupper((unsigned char)words[0][i]);
  a->method[n] = '\0';
  a->path = words[1];
  a->body_arg = count == 3 ? words[2] : NULL;
  return CLI_CONTINUE;
}

static int run_call(int argc, char **argv, bool record) {
  call_args a = {.common = {.command = record ? "record" : "raw",
                            .help = record ? record_help : raw_help}};
  int status = parse_call(argc, argv, record, &a);
  if (status != CLI_CONTINUE) return status;

  char *body = NULL;
  mistral_client *client = NULL;
  mistral_error *err = NULL;
  mistral_raw_response *resp = NULL;

  if (a.body_arg && (status = cli_body_argument(a.body_arg, &body)) != CLI_EXIT_OK) goto done;
  if ((status = cli_error_new(&err)) != CLI_EXIT_OK) goto done;
  if ((status = cli_client_new(&client, &a.common)) != CLI_EXIT_OK) goto done;

  int rc = mistral_raw_call(&resp, client, a.method, a.path, body, err);
  if (resp) {
    size_t len = 0;
    const char *data = mistral_raw_response_body(resp, &len);
    status = cli_print_body(data, len);
    if (record) {
      cli_exchange x = {
          .server_url = mistral_client_server_url(client),
          .method = a.method,
          .target = a.path,
          .body = body,
          .response = resp,
          .api_key = getenv("MISTRAL_API_KEY"),
      };
      int wrote = cli_record_fixture(a.out, &x);
      if (wrote != CLI_EXIT_OK) {
        status = wrote; /* already reported: the one line is about the file */
        goto done;
      }
    }
  }
  if (rc != MISTRAL_OK) {
    status = cli_report(rc, err);
    goto done;
  }
  status = cli_finish_stdout(status);

done:
  mistral_raw_response_free(resp);
  mistral_client_free(client);
  mistral_error_free(err);
  free(body);
  return status;
}

int cmd_raw(int argc, char **argv) { return run_call(argc, argv, false); }

int cmd_record(int argc, char **argv) { return run_call(argc, argv, true); }
