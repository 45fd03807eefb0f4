/* Test support: a loopback HTTP/1.1 server that replays *.fixture files.
 *
 * Two modes:
 * - Script mode (fixture_server_expect*): exchanges are served in the order
 *   queued; each request is compared with the next expected one.
 * - Directory mode (fixture_server_load_dir): every fixture is a candidate
 *   for every request. Used by tools/replay/mistral-replay.
 * While script exchanges are pending they take precedence; with the script
 * empty, a loaded directory answers, and otherwise the request is an
 * unexpected extra.
 *
 * A request that matches nothing gets "HTTP/1.1 599 Fixture Mismatch" with
 * a text/plain body describing the difference; it is counted and remembered
 * (fixture_server_mismatches, fixture_server_last_mismatch). A mismatching
 * request does not consume the script exchange it was compared with.
 *
 * Threads: the server runs an accept thread and one thread per connection.
 * Every function may be called from any thread while the server runs,
 * except fixture_server_stop, which must be called once, last.
 */
#ifndef LIBMISTRAL_TEST_FIXTURE_SERVER_H
#define LIBMISTRAL_TEST_FIXTURE_SERVER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fixture_server fixture_server;

/* Binds 127.0.0.1 on an ephemeral port and starts serving on a background
 * thread. api_key replaces {{API_KEY}} in fixtures (may be NULL: then
 * authorization only has to start with "Bearer "); it is copied, and never
 * appears in a mismatch description. NULL on failure (message to stderr). */
fixture_server *fixture_server_start(const char *api_key);

/* "http://127.0.0.1:PORT"; lives as long as fs. */
const char *fixture_server_url(const fixture_server *fs);
int fixture_server_port(const fixture_server *fs);

/* Script mode: queue one exchange, served repeat (>= 1) times in a row.
 * Return 0, or -1 on a parse error (message to stderr). */
int fixture_server_expect(fixture_server *fs, const char *fixture_path,
                          unsigned repeat);
int fixture_server_expect_text(fixture_server *fs, const char *fixture_text,
                               unsigned repeat);

/* Directory mode: every *.fixture under dir (recursive; names starting
 * with '.' skipped) answers any matching request, any number of times; the
 * first exact match in path order wins. lenient: when none matches
 * exactly, answer with the closest fixture of the same method and path
 * (query string aside) and the same "stream" flag of a JSON body, and add
 * the response header "x-replay-match: closest" (exact matches get
 * "x-replay-match: exact"). Return 0, or -1 if dir cannot be read or a
 * fixture does not parse (message to stderr; nothing is loaded then). */
int fixture_server_load_dir(fixture_server *fs, const char *dir, int lenient);

/* Number of fixtures loaded by fixture_server_load_dir so far. */
size_t fixture_server_loaded(const fixture_server *fs);

size_t fixture_server_connections(const fixture_server *fs); /* TCP connections accepted so far */
/* TCP connections the server is done with: the client closed or reset
 * it (also noticed during the pauses of % chunk-delay-ms and % split-at),
 * or the server closed it after an exchange. */
size_t fixture_server_connections_closed(const fixture_server *fs);
size_t fixture_server_requests(const fixture_server *fs);    /* requests fully read so far */
size_t fixture_server_pending(const fixture_server *fs);     /* script exchanges not yet served (repeats included) */
size_t fixture_server_mismatches(const fixture_server *fs);

/* Copies the last mismatch description ("" if none) into buf, cut to
 * buflen - 1 bytes. */
void fixture_server_last_mismatch(const fixture_server *fs, char *buf,
                                  size_t buflen);

/* The i-th request received (0-based): request line and headers as
 * received, then the body (de-chunked if it was sent chunked), in a
 * malloc'd NUL-terminated string the caller frees; NULL if there is no
 * such request. Only the first 4096 requests (and 256 MiB) are kept. */
char *fixture_server_received(const fixture_server *fs, size_t i);

/* Closes every socket, wakes hung and sleeping exchanges, joins every
 * thread and frees fs. NULL is a no-op. */
void fixture_server_stop(fixture_server *fs);

#ifdef __cplusplus
}
#endif

#endif
