/* Helpers every test area shares (prefix tu_): the environment, fixture
 * files, the loopback fixture server and a client pointed at it, JSON
 * comparisons, UTF-8, and the mistral program run as a subprocess.
 *
 * Every helper that checks something fails the running cmocka test (with
 * a message naming what was wrong) on an unexpected condition: a file that
 * cannot be read, a fixture that does not parse, an allocation that fails,
 * a server that saw a mismatch. The *_at variants take the caller's
 * __FILE__ and __LINE__ so that the failure points at the test, not here;
 * the macros without _at pass them.
 *
 * Public API only: white-box tests link this library next to the static
 * libmistral, black-box tests next to the shared one. */
#ifndef LIBMISTRAL_TEST_UTIL_H
#define LIBMISTRAL_TEST_UTIL_H

#include <stddef.h>

#include <jansson.h>
#include <mistral/mistral.h>

#include "fixture_server.h"

/* ---- the environment and files ---- */

/* Unsets MISTRAL_API_KEY and MISTRAL_SERVER_URL, which mistral_client_new()
 * reads: a developer's settings must not change what the tests see. */
void tu_clean_env(void);

/* "$MISTRAL_FIXTURES/<rel>", malloc'd. Fails when MISTRAL_FIXTURES is not
 * set. */
char *tu_fixture_path(const char *rel);

/* The whole file at path, malloc'd and NUL-terminated; *len (may be NULL)
 * receives its length. Fails when it cannot be read. */
char *tu_read_file(const char *path, size_t *len);

/* Writes len bytes of data to path (created or truncated). Fails when it
 * cannot. */
void tu_write_file(const char *path, const void *data, size_t len);

/* The text of the fixture file tests/fixtures/<rel>, malloc'd; *len (may
 * be NULL) receives its length. */
char *tu_fixture_text(const char *rel, size_t *len);

/* The response body of fixture rel as the fixture parser reads it (what
 * the server sends, before any "% gzip"), malloc'd and NUL-terminated;
 * *len (may be NULL) receives its length. Fails when it does not parse. */
char *tu_fixture_body(const char *rel, size_t *len);

/* ---- the fixture server ---- */

/* Starts a fixture server with key (its {{API_KEY}}) and queues the
 * fixtures named after it (relative to $MISTRAL_FIXTURES), each once; the
 * list ends with NULL. */
fixture_server *tu_server_start(const char *key, ...);

/* Queues fixture rel, repeat times. */
void tu_expect(fixture_server *fs, const char *rel, unsigned repeat);

/* Queues fixture rel with directives ("% chunk-bytes 1\n", may be "")
 * written before its text, repeat times. */
void tu_expect_with(fixture_server *fs, const char *rel, const char *directives,
                    unsigned repeat);

/* Asserts that the server saw no mismatch (printing the last one
 * otherwise) and served every queued exchange. */
void tu_assert_served_at(const fixture_server *fs, const char *file, int line);
#define tu_assert_served(fs) tu_assert_served_at((fs), __FILE__, __LINE__)

/* The same check for a cmocka teardown, which must not fail the test from
 * inside: prints what was wrong to stderr and returns -1, or returns 0. */
int tu_served_ok(const fixture_server *fs);

/* The body of the i-th request the server received ("" when it had none),
 * malloc'd. Fails when there is no such request. */
char *tu_received_body(const fixture_server *fs, size_t i);

/* The same body parsed; fails unless it is a JSON object. */
json_t *tu_received_json_at(const fixture_server *fs, size_t i, const char *file, int line);
#define tu_received_json(fs, i) tu_received_json_at((fs), (i), __FILE__, __LINE__)

/* A loopback TCP port nothing listens on (bound, then closed without
 * listening: a connect to it is refused). */
int tu_closed_port(void);

/* ---- a client ---- */

/* A new client for url with key, made after tu_clean_env() so that the
 * environment adds nothing. max_attempts: 1 for one attempt per call
 * (tests that map single responses to errors; retries are tested in
 * tests/retry), 0 to keep the library's default. Everything else is the
 * library's default. */
mistral_client *tu_client_for_url(const char *url, const char *key, unsigned max_attempts);

/* tu_client_for_url() with the URL of fs. */
mistral_client *tu_client(const fixture_server *fs, const char *key, unsigned max_attempts);

/* {"model": "mistral-small-latest", "messages": [user "Hello"]}. */
mistral_chat_request *tu_hello_request(void);

/* ---- strings ---- */

/* Non-zero when s is valid UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). Written apart from the library's own check. */
int tu_utf8_valid(const char *s);
/* The same for the n bytes at s (NUL bytes allowed). */
int tu_utf8_valid_n(const char *s, size_t n);

/* Non-zero when needle occurs in haystack (NULL haystack: 0). */
int tu_contains(const char *haystack, const char *needle);

/* Asserts that msg, an error message of the call `what`, is valid UTF-8
 * and contains needle and needle2 (each when not NULL). */
void tu_assert_message_at(const char *what, const char *msg, const char *needle,
                          const char *needle2, const char *file, int line);

/* Fails, naming what (where s came from) and printing s, when the API key
 * occurs in s (which may be NULL). */
void tu_assert_no_key(const char *what, const char *s, const char *key);

/* tu_assert_no_key() on every string err exposes: the message, the API
 * message, type, code and param, the request id, the body, the transport
 * message and every detail's loc, msg and type. */
void tu_assert_error_clean(const mistral_error *err, const char *key);

/* ---- JSON ---- */

/* Parses JSON text (any value, duplicate keys refused), usually a literal
 * written in the test; fails on bad JSON. */
json_t *tu_parse_at(const char *text, const char *file, int line);
#define tu_parse(text) tu_parse_at((text), __FILE__, __LINE__)

/* Asserts that got equals want, key order aside and numbers by value (1
 * equals 1.0), as the fixture server compares them; prints both when they
 * differ. Steals both references (either may be NULL: a failure). */
void tu_compare_at(json_t *got, json_t *want, const char *file, int line);
#define tu_compare(got, want) tu_compare_at((got), (want), __FILE__, __LINE__)

/* The same with json_equal(): an integer never equals a real (1 is not
 * 1.0), for tests of how numbers are written. */
void tu_compare_exact_at(json_t *got, json_t *want, const char *file, int line);

/* Asserts that the JSON text got (not NULL) equals the JSON literal want,
 * as tu_compare_at() compares. */
void tu_assert_json_at(const char *got, const char *want, const char *file, int line);
#define tu_assert_json(got, want) tu_assert_json_at((got), (want), __FILE__, __LINE__)

/* ---- the mistral program ---- */

/* What a run of a program gave. */
typedef struct tu_cli_result {
  int status; /* exit status */
  char *out;  /* standard output, malloc'd, NUL-terminated */
  size_t out_len;
  char *err;  /* standard error, likewise */
  size_t err_len;
} tu_cli_result;

/* Runs program (posix_spawn) with args (NULL-terminated, without argv[0])
 * and waits for it. Its environment: ours without any MISTRAL_* variable
 * (a developer's key, URL or timeout must not change the run), plus env
 * ("NAME=value", NULL-terminated; may be NULL). Its standard input: the
 * stdin_len bytes at stdin_data, or /dev/null when stdin_data is NULL.
 * Fills *r; fails when the program cannot be started or is killed by a
 * signal. */
void tu_run_cli(tu_cli_result *r, const char *program, const char *const *args,
                const char *const *env, const char *stdin_data, size_t stdin_len);

/* Frees what tu_run_cli() put in r and clears it. */
void tu_cli_result_free(tu_cli_result *r);

/* Asserts that stderr holds exactly one line, "mistral: ...". */
void tu_assert_one_error_line(const tu_cli_result *r);

/* A NULL-terminated argument list for tu_run_cli(). */
#define TU_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* One CLI test's world: a fixture server for the program to talk to and a
 * fresh temporary directory for the files a test writes. */
typedef struct tu_cli_ctx {
  const char *program; /* the mistral program */
  fixture_server *fs;  /* started with the key given */
  char dir[256];       /* removed, with what it holds, by tu_cli_ctx_free() */
  char url_env[160];   /* "MISTRAL_SERVER_URL=<the URL of fs>" */
  char key_env[160];   /* "MISTRAL_API_KEY=<the key>" */
} tu_cli_ctx;

/* For a cmocka setup: NULL when the server or the directory cannot be
 * made (message to stderr). */
tu_cli_ctx *tu_cli_ctx_new(const char *program, const char *key);

/* For a cmocka teardown: stops the server, removes the directory, frees
 * c; returns -1 (message to stderr) when the server saw a mismatch or
 * still had exchanges queued, else 0. */
int tu_cli_ctx_free(tu_cli_ctx *c);

/* "<c->dir>/<name>" into buf; fails when it does not fit. */
void tu_cli_ctx_path(const tu_cli_ctx *c, const char *name, char *buf, size_t len);

#endif
