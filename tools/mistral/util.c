/* SPDX-License-Identifier: Apache-2.0 */
/* Errors, option scanning, input and output, the client: what every
 * subcommand of the mistral program uses. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Help texts ------------------------------------------------------- */

const char cli_environment_help[] =
    "Global options (every command takes them, after its name):\n"
    "      --timeout-ms N     time limit of each attempt of a request, in ms; for a\n"
    "                         stream, the longest wait for the next byte. 0: no\n"
    "                         limit. Default $MISTRAL_TIMEOUT_MS, else 600000\n"
    "                         (a stream: 120000)\n"
    "      --retries N        retry a failed request up to N times (default 2; 0:\n"
    "                         never) on connection failures, timeouts and HTTP\n"
    "                         408, 409, 429, 500, 502, 503, 504; the server's\n"
    "                         Retry-After is honoured (up to 60 s)\n"
    "  -v, --verbose          report each attempt on standard error: its status\n"
    "                         and the wait before the next (never the API key)\n"
    "\n"
    "Environment:\n"
    "  MISTRAL_API_KEY     the API key (required; never printed or recorded)\n"
    "  MISTRAL_SERVER_URL  the API server (default " MISTRAL_DEFAULT_SERVER_URL ")\n"
    "  MISTRAL_TIMEOUT_MS  the default of --timeout-ms\n";

const char cli_exit_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  other failure (unexpected response, out of memory, cannot write a file)\n"
    "  2  usage or configuration error (bad option or number, no API key):\n"
    "     nothing was sent\n"
    "  3  API error: the server answered with an HTTP error status\n"
    "  4  network error (connection, DNS, timeout, TLS, response cut short)\n";

/* ---- Errors ------------------------------------------------------------ */

void cli_error(const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) snprintf(line, sizeof line, "error");
  /* One line, whatever the message holds (API messages may span lines). */
  size_t len = strlen(line);
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)line[i];
    if (ch < 0x20 || ch == 0x7f) line[i] = ' ';
  }
  while (len > 0 && line[len - 1] == ' ') line[--len] = '\0';
  fprintf(stderr, "mistral: %s\n", line);
  fflush(stderr);
}

int cli_exit_code(int status) {
  switch (status) {
    case MISTRAL_OK:
      return CLI_EXIT_OK;
    case MISTRAL_E_INVALID_ARG:
    case MISTRAL_E_NO_API_KEY:
      return CLI_EXIT_USAGE;
    case MISTRAL_E_UNAUTHORIZED:
    case MISTRAL_E_FORBIDDEN:
    case MISTRAL_E_NOT_FOUND:
    case MISTRAL_E_VALIDATION:
    case MISTRAL_E_RATE_LIMITED:
    case MISTRAL_E_SERVER:
    case MISTRAL_E_HTTP:
      return CLI_EXIT_API;
    case MISTRAL_E_CONNECT:
    case MISTRAL_E_DNS:
    case MISTRAL_E_TIMEOUT:
    case MISTRAL_E_TLS:
    case MISTRAL_E_NETWORK:
    case MISTRAL_E_TRUNCATED:
      return CLI_EXIT_NETWORK;
    default: /* BAD_RESPONSE, NOMEM, TOO_LARGE, CANCELLED, INTERNAL, newer */
      return CLI_EXIT_FAILURE;
  }
}

int cli_report(int status, const mistral_error *err) {
  if (status == MISTRAL_E_NO_API_KEY) {
    cli_error("no API key: set MISTRAL_API_KEY (create a key at "
              "https://console.mistral.ai/api-keys)");
    return CLI_EXIT_USAGE;
  }
  const char *msg = mistral_error_message(err);
  if (!msg || !*msg) msg = mistral_strerror(status);
  cli_error("%s", msg);
  return cli_exit_code(status);
}

int cli_error_new(mistral_error **out) {
  *out = mistral_error_new();
  return *out ? CLI_EXIT_OK : cli_report(MISTRAL_E_NOMEM, NULL);
}

int cli_request_new_status(int rc) {
  if (rc == MISTRAL_OK) return CLI_EXIT_OK;
  if (rc == MISTRAL_E_INVALID_ARG) {
    cli_error("invalid --model (not UTF-8)");
    return CLI_EXIT_USAGE;
  }
  return cli_report(rc, NULL);
}

int cli_refused(int rc, int build, const mistral_error *err) {
  if (rc == MISTRAL_E_NOMEM) return cli_report(rc, NULL);
  return build != MISTRAL_OK ? cli_report(build, err) : cli_report(rc, NULL);
}

/* ---- Options ----------------------------------------------------------- */

/* The global options: cli_next() takes them for every command (after the
 * command's own table had no match) and cli_client_new() applies them. */
enum { GLOBAL_TIMEOUT_MS = 1, GLOBAL_RETRIES, GLOBAL_VERBOSE };

static const cli_option global_options[] = {
    {"timeout-ms", 0, true, GLOBAL_TIMEOUT_MS},
    {"retries", 0, true, GLOBAL_RETRIES},
    {"verbose", 'v', false, GLOBAL_VERBOSE},
    {NULL, 0, false, 0},
};

static struct {
  bool timeout_set;
  int64_t timeout_ms;
  bool retries_set;
  int64_t retries;
  bool verbose;
} globals;

/* The shared options: a command's table is searched first, then these (the
 * whole table for a command with a default model, else from
 * "server-url" on), then the global ones. */
static const cli_option shared_options[] = {
    {"model", 'm', true, CLI_OPT_MODEL},
    {"server-url", 0, true, CLI_OPT_SERVER_URL},
    {"help", 'h', false, CLI_OPT_HELP},
    {"version", 0, false, CLI_OPT_VERSION},
    {NULL, 0, false, 0},
};

/* A global option was taken: cli_next() goes on to the next argument. */
enum { GLOBAL_TAKEN = -100 };

static int take_global(const cli_option *o, const char *arg) {
  switch (o->id) {
    case GLOBAL_TIMEOUT_MS:
      if (!cli_parse_int64("--timeout-ms", arg, 0, &globals.timeout_ms)) return CLI_OPT_ERROR;
#if LONG_MAX < INT64_MAX
      if (globals.timeout_ms > LONG_MAX) {
        cli_error("--timeout-ms is too large");
        return CLI_OPT_ERROR;
      }
#endif
      globals.timeout_set = true;
      return GLOBAL_TAKEN;
    case GLOBAL_RETRIES:
      if (!cli_parse_int64("--retries", arg, 0, &globals.retries)) return CLI_OPT_ERROR;
      if (globals.retries > MISTRAL_MAX_ATTEMPTS_LIMIT - 1) {
        cli_error("--retries must be at most %d", MISTRAL_MAX_ATTEMPTS_LIMIT - 1);
        return CLI_OPT_ERROR;
      }
      globals.retries_set = true;
      return GLOBAL_TAKEN;
    default:
      globals.verbose = true;
      return GLOBAL_TAKEN;
  }
}

/* The option named by short name c (or long name name[0..n)) in table. */
static const cli_option *find_option(const cli_option *table, char c, const char *name,
                                     size_t n) {
  for (const cli_option *o = table; o->long_name; o++) {
    if (name ? strlen(o->long_name) == n && strncmp(o->long_name, name, n) == 0
             : o->short_name == c)
      return o;
  }
  return NULL;
}

void cli_parser_init(cli_parser *p, int argc, char **argv, cli_common *common,
                     const cli_option *options) {
  memset(p, 0, sizeof *p);
  p->argc = argc;
  p->argv = argv;
  p->index = 1; /* argv[0] is the command's name */
  p->common = common;
  p->options = options;
  p->shared = common->model ? shared_options : shared_options + 1; /* no "model" row */
}

/* The option named by short name c (or long name name[0..n)): the
 * command's own, else a shared one; NULL when neither. */
static const cli_option *command_option(const cli_parser *p, char c, const char *name,
                                        size_t n) {
  const cli_option *o = find_option(p->options, c, name, n);
  return o ? o : find_option(p->shared, c, name, n);
}

static void see_help(const cli_parser *p, const char *what) {
  if (p->common->command)
    cli_error("%s (see 'mistral %s --help')", what, p->common->command);
  else
    cli_error("%s (see 'mistral --help')", what);
}

static int short_option(cli_parser *p, const char **arg) {
  char c = *p->cluster++;
  const cli_option *o = command_option(p, c, NULL, 0);
  bool global = false;
  if (!o && (o = find_option(global_options, c, NULL, 0)) != NULL) global = true;
  if (!o) {
    char what[64];
    snprintf(what, sizeof what, "unknown option '-%c'", c);
    p->cluster = NULL;
    see_help(p, what);
    return CLI_OPT_ERROR;
  }
  if (!o->has_arg) return global ? take_global(o, NULL) : o->id;
  if (*p->cluster) {
    *arg = p->cluster;
  } else if (p->index < p->argc) {
    *arg = p->argv[p->index++];
  } else {
    char what[64];
    snprintf(what, sizeof what, "option '-%c' needs a value", c);
    see_help(p, what);
    return CLI_OPT_ERROR;
  }
  p->cluster = NULL;
  return global ? take_global(o, *arg) : o->id;
}

static int long_option(cli_parser *p, const char *name, const char **arg) {
  const char *eq = strchr(name, '=');
  size_t n = eq ? (size_t)(eq - name) : strlen(name);
  const cli_option *o = command_option(p, 0, name, n);
  bool global = false;
  if (!o && (o = find_option(global_options, 0, name, n)) != NULL) global = true;
  char what[256];
  if (!o) {
    snprintf(what, sizeof what, "unknown option '--%.*s'", n > 64 ? 64 : (int)n, name);
    see_help(p, what);
    return CLI_OPT_ERROR;
  }
  if (!o->has_arg) {
    if (!eq) return global ? take_global(o, NULL) : o->id;
    snprintf(what, sizeof what, "option '--%s' takes no value", o->long_name);
    see_help(p, what);
    return CLI_OPT_ERROR;
  }
  if (eq) {
    *arg = eq + 1;
  } else if (p->index < p->argc) {
    *arg = p->argv[p->index++];
  } else {
    snprintf(what, sizeof what, "option '--%s' needs a value", o->long_name);
    see_help(p, what);
    return CLI_OPT_ERROR;
  }
  return global ? take_global(o, *arg) : o->id;
}

int cli_next(cli_parser *p, const char **arg) {
  *arg = NULL;
  for (;;) {
    if (p->cluster && *p->cluster) {
      int id = short_option(p, arg);
      if (id == GLOBAL_TAKEN) {
        *arg = NULL;
        continue;
      }
      return id;
    }
    p->cluster = NULL;
    if (p->index >= p->argc) return CLI_OPT_END;
    const char *a = p->argv[p->index++];
    if (p->only_positional || a[0] != '-' || a[1] == '\0') {
      *arg = a;
      return CLI_OPT_POSITIONAL;
    }
    if (a[1] != '-') {
      p->cluster = a + 1;
      continue;
    }
    if (a[2] == '\0') { /* "--": only words from here on */
      p->only_positional = true;
      continue;
    }
    int id = long_option(p, a + 2, arg);
    if (id == GLOBAL_TAKEN) {
      *arg = NULL;
      continue;
    }
    return id;
  }
}

int cli_common_option(cli_parser *p, int id, const char *arg) {
  switch (id) {
    case CLI_OPT_ERROR:
      return CLI_EXIT_USAGE;
    case CLI_OPT_MODEL:
      if (!*arg) {
        cli_error("--model needs a model id");
        return CLI_EXIT_USAGE;
      }
      p->common->model = arg;
      return CLI_CONTINUE;
    case CLI_OPT_SERVER_URL:
      p->common->server_url = arg;
      return CLI_CONTINUE;
    case CLI_OPT_HELP:
      p->common->help();
      return cli_finish_stdout(CLI_EXIT_OK);
    case CLI_OPT_VERSION:
      return cli_version();
    default:
      cli_error("internal error: unhandled option %d", id);
      return CLI_EXIT_FAILURE;
  }
}

bool cli_parse_double(const char *option, const char *text, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  /* strtod skips leading white space and accepts "nan" and "inf": neither
   * is a number a user means. */
  if (!*text || *text == ' ' || *text == '\t' || *text == '\n' || end == text || *end != '\0' ||
      errno == ERANGE || !isfinite(v)) {
    cli_error("invalid number '%s' for %s", text, option);
    return false;
  }
  *out = v;
  return true;
}

bool cli_parse_int64(const char *option, const char *text, int64_t min, int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (!*text || *text == ' ' || *text == '\t' || *text == '\n' || end == text || *end != '\0' ||
      errno == ERANGE
#if LLONG_MAX > INT64_MAX
      || v < INT64_MIN || v > INT64_MAX
#endif
  ) {
    cli_error("invalid integer '%s' for %s", text, option);
    return false;
  }
  if (v < min) {
    cli_error("%s must be at least %lld, not %lld", option, (long long)min, v);
    return false;
  }
  *out = (int64_t)v;
  return true;
}

/* ---- Input and output -------------------------------------------------- */

int cli_read_stream(FILE *f, const char *name, char **out, size_t *len) {
  size_t cap = 8192, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
  }
  for (;;) {
    if (cap - n < 4096) {
      if (cap > SIZE_MAX / 2) {
        free(buf);
        cli_error("%s is too large", name);
        return CLI_EXIT_USAGE;
      }
      char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
      }
      buf = grown;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    int e = errno;
    free(buf);
    cli_error("cannot read %s: %s", name, strerror(e));
    return CLI_EXIT_USAGE;
  }
  buf[n] = '\0';
  *out = buf;
  if (len) *len = n;
  return CLI_EXIT_OK;
}

int cli_read_file(const char *path, char **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    cli_error("cannot open %s: %s", path, strerror(errno));
    return CLI_EXIT_USAGE;
  }
  int rc = cli_read_stream(f, path, out, len);
  fclose(f);
  return rc;
}

int cli_body_argument(const char *arg, char **out) {
  char *text = NULL;
  size_t len = 0;
  int rc;
  if (strcmp(arg, "-") == 0) {
    rc = cli_read_stream(stdin, "standard input", &text, &len);
  } else if (arg[0] == '@') {
    rc = cli_read_file(arg + 1, &text, &len);
  } else {
    len = strlen(arg);
    text = malloc(len + 1);
    if (text) memcpy(text, arg, len + 1);
    rc = text ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    if (!text) cli_error("out of memory");
  }
  if (rc != CLI_EXIT_OK) return rc;
  if (memchr(text, '\0', len)) {
    free(text);
    cli_error("the request body contains a NUL byte");
    return CLI_EXIT_USAGE;
  }
  *out = text;
  return CLI_EXIT_OK;
}

int cli_print_body(const char *data, size_t len) {
  /* A write error sticks to stdout; cli_finish_stdout() reports it. */
  if (len) fwrite(data, 1, len, stdout);
  if (len && data[len - 1] != '\n') putchar('\n');
  return ferror(stdout) ? cli_finish_stdout(CLI_EXIT_OK) : CLI_EXIT_OK;
}

int cli_finish_stdout(int status) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    cli_error("cannot write to standard output: %s", strerror(errno));
    return status == CLI_EXIT_OK ? CLI_EXIT_FAILURE : status;
  }
  return status;
}

/* ---- Client ------------------------------------------------------------ */

/* -v: the library's diagnostics, one "* " line each on stderr. The library
 * never logs the key; the line is cleaned of it anyway. */
static void verbose_log(mistral_log_level level, const char *message, void *user_data) {
  (void)level;
  const char *key = user_data;
  char line[2048];
  snprintf(line, sizeof line, "%s", message);
  if (key && *key) {
    for (char *hit; (hit = strstr(line, key)) != NULL;) memset(hit, '*', strlen(key));
  }
  for (char *q = line; *q; q++)
    if ((unsigned char)*q < 0x20 || *q == 0x7f) *q = ' ';
  fprintf(stderr, "* %s\n", line);
  fflush(stderr);
}

/* --timeout-ms, else $MISTRAL_TIMEOUT_MS; --retries; -v. */
static int apply_globals(mistral_client *client) {
  int64_t timeout = globals.timeout_ms;
  bool timeout_set = globals.timeout_set;
  const char *env = getenv("MISTRAL_TIMEOUT_MS");
  if (!timeout_set && env && *env) {
    if (!cli_parse_int64("MISTRAL_TIMEOUT_MS", env, 0, &timeout)) return CLI_EXIT_USAGE;
#if LONG_MAX < INT64_MAX
    if (timeout > LONG_MAX) {
      cli_error("MISTRAL_TIMEOUT_MS is too large");
      return CLI_EXIT_USAGE;
    }
#endif
    timeout_set = true;
  }
  int rc = MISTRAL_OK;
  if (timeout_set) {
    rc = mistral_client_set_timeout_ms(client, (long)timeout);
    if (rc == MISTRAL_OK) rc = mistral_client_set_stream_idle_timeout_ms(client, (long)timeout);
  }
  if (rc == MISTRAL_OK && globals.retries_set)
    rc = mistral_client_set_max_attempts(client, (int)globals.retries + 1);
  if (rc == MISTRAL_OK && globals.verbose)
    rc = mistral_client_set_log_callback(client, verbose_log, MISTRAL_LOG_INFO,
                                         getenv("MISTRAL_API_KEY"));
  if (rc != MISTRAL_OK) {
    cli_error("%s", mistral_strerror(rc));
    return rc == MISTRAL_E_INVALID_ARG ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
  }
  return CLI_EXIT_OK;
}

int cli_client_new(mistral_client **out, const cli_common *common) {
  *out = NULL;
  const char *server_url = common->server_url;
  mistral_client *client = NULL;
  int rc = mistral_client_new(&client);
  if (rc == MISTRAL_E_INVALID_ARG) {
    cli_error("invalid MISTRAL_API_KEY or MISTRAL_SERVER_URL in the environment "
              "(the URL must start with http:// or https://)");
    return CLI_EXIT_USAGE;
  }
  if (rc != MISTRAL_OK) {
    cli_error("cannot create the client: %s", mistral_strerror(rc));
    return CLI_EXIT_FAILURE;
  }
  if (server_url && (rc = mistral_client_set_server_url(client, server_url)) != MISTRAL_OK) {
    mistral_client_free(client);
    if (rc == MISTRAL_E_INVALID_ARG) {
      cli_error("invalid --server-url '%s' (it must start with http:// or https://)", server_url);
      return CLI_EXIT_USAGE;
    }
    cli_error("%s", mistral_strerror(rc));
    return CLI_EXIT_FAILURE;
  }
  if ((rc = mistral_client_set_user_agent_suffix(client, CLI_USER_AGENT)) != MISTRAL_OK) {
    mistral_client_free(client);
    cli_error("%s", mistral_strerror(rc));
    return CLI_EXIT_FAILURE;
  }
  int status = apply_globals(client);
  if (status != CLI_EXIT_OK) {
    mistral_client_free(client);
    return status;
  }
  *out = client;
  return CLI_EXIT_OK;
}
