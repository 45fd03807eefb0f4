/* SPDX-License-Identifier: Apache-2.0 */
/* The mistral command-line program: what its parts share.
 *
 * The program is built on the public API only (<mistral/mistral.h>). Each
 * subcommand is one function `int cmd_x(int argc, char **argv)` that gets
 * the arguments after its name and returns the process exit status. */
#ifndef MISTRAL_CLI_H
#define MISTRAL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mistral/mistral.h>

#if defined(__GNUC__) || defined(__clang__)
#define CLI_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CLI_PRINTF(fmt, args)
#endif

/* Exit statuses, the same for every subcommand (also in `mistral --help`):
 *   0  success
 *   1  anything else: a response that is not what the API promises, out of
 *      memory, an internal error, a file that cannot be written
 *   2  usage or configuration error: unknown option, bad number, missing
 *      argument, invalid input, no API key; nothing was sent
 *   3  API error: the server answered with an HTTP error status
 *   4  network error: connect, DNS, timeout, TLS, connection lost or
 *      response cut short */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_FAILURE = 1,
  CLI_EXIT_USAGE = 2,
  CLI_EXIT_API = 3,
  CLI_EXIT_NETWORK = 4,
  CLI_EXIT_INTERRUPTED = 130 /* Ctrl-C stopped a call (128 + SIGINT) */
};

/* Not an exit status: what a step returns when the command goes on (an
 * option was taken, the options are parsed). */
enum { CLI_CONTINUE = -1 };

/* The user agent suffix the program adds to the library's. */
#define CLI_USER_AGENT "mistral-cli/" MISTRAL_VERSION_STRING

/* ---- Errors ------------------------------------------------------------ */

/* Prints "mistral: <message>" as one line on stderr (control characters in
 * the message become spaces). */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* The exit status for a library status code (the table above). */
int cli_exit_code(int status);

/* Reports a failed library call: the one stderr line and the exit status.
 * A missing API key gets a hint instead of the library's message. */
int cli_report(int status, const mistral_error *err);

/* Creates the error object the library's calls fill. Returns CLI_EXIT_OK,
 * or CLI_EXIT_FAILURE after reporting (out of memory). */
int cli_error_new(mistral_error **out);

/* The exit status for what mistral_<x>_request_new(&req, model) returned:
 * CLI_EXIT_OK, a usage error for an invalid --model (not UTF-8), or the
 * reported failure. */
int cli_request_new_status(int rc);

/* The exit status after a request setter refused a value (rc): the request
 * keeps the error, and building its body (which returned build) brings out
 * the message naming the field, without sending anything. Build only when
 * rc is not MISTRAL_E_NOMEM; then pass rc as build. */
int cli_refused(int rc, int build, const mistral_error *err);

/* ---- Options ----------------------------------------------------------- */

/* One option a subcommand accepts. */
typedef struct cli_option {
  const char *long_name; /* without "--"; NULL ends a table */
  char short_name;       /* 0: none */
  bool has_arg;
  int id;                /* positive, returned by cli_next() */
} cli_option;

enum {
  CLI_OPT_END = 0,         /* no more arguments */
  CLI_OPT_POSITIONAL = -1, /* *arg is a positional word */
  CLI_OPT_ERROR = -2       /* a usage error, already reported */
};

/* The shared options: the parser takes them for every command after its
 * own table (which needs no rows for them) and returns their ids, which
 * are above any command's own, for cli_common_option(): --server-url URL,
 * -h/--help, --version, and -m/--model MODEL for a command that has a
 * default model. */
enum {
  CLI_OPT_MODEL = 1000,
  CLI_OPT_SERVER_URL,
  CLI_OPT_HELP,
  CLI_OPT_VERSION
};

/* What a command tells the shared options, and what they set. */
typedef struct cli_common {
  const char *command;    /* for messages: "chat", "raw"... */
  void (*help)(void);     /* prints the command's help text */
  const char *model;      /* the default model, then --model; NULL: the
                             command takes no --model */
  const char *server_url; /* --server-url, or NULL */
} cli_common;

/* A GNU-style option scanner: options may come anywhere among the
 * positional words ("--" ends the options; "-" alone is a word), long
 * options take their value as "--name=value" or "--name value", short ones
 * as "-xVALUE" or "-x VALUE", and flags may be grouped ("-hv").
 *
 * The global options, which every command takes, are handled here too and
 * never reach the command: --timeout-ms N, --retries N and -v/--verbose
 * (an option of the command's own table, or a shared one, with the same
 * name wins). They are remembered for cli_client_new(); a bad value is a
 * usage error (CLI_OPT_ERROR). */
typedef struct cli_parser {
  int argc;
  char **argv;
  int index;            /* next argv element */
  const char *cluster;  /* rest of a group of short options, or NULL */
  bool only_positional; /* after "--" */
  cli_common *common;
  const cli_option *options; /* the command's own */
  const cli_option *shared;  /* the shared options the command takes */
} cli_parser;

void cli_parser_init(cli_parser *p, int argc, char **argv, cli_common *common,
                     const cli_option *options);

/* The next option's id (its value, if it takes one, in *arg),
 * CLI_OPT_POSITIONAL with the word in *arg, CLI_OPT_END, or CLI_OPT_ERROR
 * (unknown option, missing or unexpected value: the message is printed). */
int cli_next(cli_parser *p, const char **arg);

/* What every command does with an id cli_next() returned that is none of
 * its own: CLI_OPT_ERROR is a usage error, the shared options set
 * p->common (an empty --model is refused), --help prints the command's
 * help and --version the version. Returns CLI_CONTINUE when the option was
 * taken, else the exit status (after --help, --version or an error; an id
 * nobody handles is an internal error). CLI_OPT_END and
 * CLI_OPT_POSITIONAL are the command's to handle. */
int cli_common_option(cli_parser *p, int id, const char *arg);

/* Strict number parsing: the whole string must be the number, without
 * leading spaces; out of range is an error. On failure the message is
 * printed, naming the option, and false is returned. */
bool cli_parse_double(const char *option, const char *text, double *out);
bool cli_parse_int64(const char *option, const char *text, int64_t min, int64_t *out);

/* ---- Input and output -------------------------------------------------- */

/* Reads a whole stream or file into a new NUL-terminated buffer (*len gets
 * the length). Returns CLI_EXIT_OK, or an exit status after reporting. A
 * file that cannot be read is a usage error. */
int cli_read_stream(FILE *f, const char *name, char **out, size_t *len);
int cli_read_file(const char *path, char **out, size_t *len);

/* The text of a BODY argument: "-" reads stdin, "@file" a file, anything
 * else is the text itself (copied). NUL bytes are refused. */
int cli_body_argument(const char *arg, char **out);

/* Writes len bytes to stdout and a newline unless they end with one (or
 * are empty). Returns CLI_EXIT_OK, or CLI_EXIT_FAILURE after reporting a
 * write error. */
int cli_print_body(const char *data, size_t len);

/* Flushes stdout; reports and returns CLI_EXIT_FAILURE if that fails
 * (e.g. a full disk or a closed pipe). */
int cli_finish_stdout(int status);

/* ---- Client ------------------------------------------------------------ */

/* Creates the client from the environment (MISTRAL_API_KEY,
 * MISTRAL_SERVER_URL), then applies --server-url when given, the user
 * agent suffix and the global options cli_next() saw: --timeout-ms (else
 * MISTRAL_TIMEOUT_MS) as the time limit of each attempt and a stream's idle
 * timeout, --retries N as N + 1 attempts, and -v as a log callback printing
 * "* <line>" on stderr for each attempt. Returns CLI_EXIT_OK or an exit
 * status after reporting (an invalid MISTRAL_TIMEOUT_MS is a usage
 * error). */
int cli_client_new(mistral_client **out, const cli_common *common);

/* ---- Ctrl-C ------------------------------------------------------------ */

/* Call options whose cancel flag SIGINT sets, so that Ctrl-C stops the
 * call cleanly; the handler is installed until cli_sigint_end(). Returns
 * CLI_EXIT_OK (free *out once the request has copied it), or an exit
 * status after reporting. */
int cli_sigint_begin(mistral_call_options **out);

/* Restores the previous SIGINT handler and gives the exit status for the
 * call that returned rc (err its error): CLI_EXIT_OK, CLI_EXIT_INTERRUPTED
 * when Ctrl-C stopped it (stdout is flushed, then "interrupted" reported),
 * or cli_report()'s. */
int cli_sigint_end(int rc, const mistral_error *err);

/* ---- JSON text --------------------------------------------------------- */

/* Whether text[0..len) is one valid JSON value (RFC 8259; surrounding
 * whitespace allowed). */
bool cli_json_valid(const char *text, size_t len);

/* Re-indents valid JSON text with two spaces per level, one member or
 * element per line, keeping every token byte for byte (numbers and string
 * escapes are not rewritten). Returns a new NUL-terminated string, or NULL
 * when the text is not valid JSON or memory runs out. */
char *cli_json_pretty(const char *text, size_t len);

/* ---- Fixtures --------------------------------------------------------- */

/* One exchange to record. */
typedef struct cli_exchange {
  const char *server_url; /* for the comment line */
  const char *method;
  const char *target;     /* path and query */
  const char *body;       /* the request body sent, or NULL */
  const mistral_raw_response *response;
  const char *api_key;    /* replaced by {{API_KEY}} wherever it appears;
                             may be NULL */
} cli_exchange;

/* Writes the exchange to path as a fixture file (tests/fixtures/README.md),
 * atomically (a temporary file in the same directory, then rename).
 * Returns CLI_EXIT_OK or an exit status after reporting. */
int cli_record_fixture(const char *path, const cli_exchange *x);

/* ---- Help texts ------------------------------------------------------- */

/* The "Global options:" plus "Environment:" sections, and the "Exit
 * status:" section, that every help text ends with, each ending with a
 * newline. */
extern const char cli_environment_help[];
extern const char cli_exit_help[];

/* Prints "mistral VERSION (libmistral VERSION)"; returns the exit status. */
int cli_version(void);

/* ---- Subcommands -------------------------------------------------------- */

int cmd_chat(int argc, char **argv);
int cmd_raw(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_fim(int argc, char **argv);
int cmd_moderate(int argc, char **argv);
int cmd_ocr(int argc, char **argv);
int cmd_models(int argc, char **argv);

#endif /* MISTRAL_CLI_H */
