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
  CLI_EXIT_NETWORK = 4
};

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

/* A GNU-style option scanner: options may come anywhere among the
 * positional words ("--" ends the options; "-" alone is a word), long
 * options take their value as "--name=value" or "--name value", short ones
 * as "-xVALUE" or "-x VALUE", and flags may be grouped ("-hv").
 *
 * The global options, which every command takes, are handled here too and
 * never reach the command: --timeout-ms N, --retries N and -v/--verbose
 * (an option of the command's own table with the same name wins). They are
 * remembered for cli_client_new(); a bad value is a usage error
 * (CLI_OPT_ERROR). */
typedef struct cli_parser {
  int argc;
  char **argv;
  int index;            /* next argv element */
  const char *cluster;  /* rest of a group of short options, or NULL */
  bool only_positional; /* after "--" */
  const char *command;  /* for messages: "chat", "raw"... */
  const cli_option *options;
} cli_parser;

void cli_parser_init(cli_parser *p, int argc, char **argv, const char *command,
                     const cli_option *options);

/* The next option's id (its value, if it takes one, in *arg),
 * CLI_OPT_POSITIONAL with the word in *arg, CLI_OPT_END, or CLI_OPT_ERROR
 * (unknown option, missing or unexpected value: the message is printed). */
int cli_next(cli_parser *p, const char **arg);

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
 * MISTRAL_SERVER_URL), then applies server_url when not NULL, the user
 * agent suffix and the global options cli_next() saw: --timeout-ms (else
 * MISTRAL_TIMEOUT_MS) as the time limit of each attempt and a stream's idle
 * timeout, --retries N as N + 1 attempts, and -v as a log callback printing
 * "* <line>" on stderr for each attempt. Returns CLI_EXIT_OK or an exit
 * status after reporting (an invalid MISTRAL_TIMEOUT_MS is a usage
 * error). */
int cli_client_new(mistral_client **out, const char *server_url);

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
