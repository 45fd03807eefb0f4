/* Helpers shared by the moderation/classifier and OCR tests
 * (tests/moderation/, tests/ocr/).
 *
 * JSON bodies are compared semantically, key order aside and numbers by
 * value, as the fixture server compares them. Every helper fails the
 * running cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_MT_UTIL_H
#define LIBMISTRAL_TEST_MT_UTIL_H

#include <stddef.h>

#include <jansson.h>
#include <mistral/mistral.h>

#include "fixture_server.h"

/* The API key the tests give the client and the fixture server. */
#define MT_KEY "test-key"

/* Removes MISTRAL_API_KEY and MISTRAL_SERVER_URL from the environment. */
void mt_clean_env(void);

/* Non-zero when s is valid UTF-8 (no overlongs, no surrogates). */
int mt_utf8_valid(const char *s);

/* Parses a JSON literal written in a test; fails on bad JSON. */
json_t *mt_parse_at(const char *text, const char *file, int line);
#define mt_parse(text) mt_parse_at((text), __FILE__, __LINE__)

/* Compares got with want (both stolen; numbers by value); prints both and
 * fails when they differ. */
void mt_compare_at(json_t *got, json_t *want, const char *file, int line);

/* Asserts that JSON text got equals the JSON literal want. */
void mt_assert_json_at(const char *got, const char *want, const char *file, int line);
#define mt_assert_json(got, want) mt_assert_json_at((got), (want), __FILE__, __LINE__)

/* |got - want| <= eps (eps 0: exactly equal), printing both at full
 * precision otherwise. */
void mt_assert_double_at(double got, double want, double eps, const char *file, int line);
#define mt_assert_double(got, want, eps) \
  mt_assert_double_at((got), (want), (eps), __FILE__, __LINE__)

/* "$MISTRAL_FIXTURES/<rel>", malloc'd. */
char *mt_fixture_path(const char *rel);

/* A whole file, malloc'd and NUL-terminated; *len (may be NULL) gets its
 * length. Fails the test when it cannot be read. */
char *mt_read_file(const char *path, size_t *len);

/* Starts a fixture server with MT_KEY and queues the fixtures named
 * (relative to $MISTRAL_FIXTURES), each once; NULL-terminated. */
fixture_server *mt_server_start(const char *fixture, ...);

/* Queues one more fixture, repeat times. */
void mt_expect(fixture_server *fs, const char *rel, unsigned repeat);

/* A client talking to fs with MT_KEY. */
mistral_client *mt_client(const fixture_server *fs);

/* Every queued exchange was served and nothing mismatched. */
void mt_assert_server_done_at(const fixture_server *fs, const char *file, int line);
#define mt_assert_server_done(fs) mt_assert_server_done_at((fs), __FILE__, __LINE__)

/* The JSON body of the i-th request the server received, parsed. */
json_t *mt_received_body_at(const fixture_server *fs, size_t i, const char *file, int line);
#define mt_received_body(fs, i) mt_received_body_at((fs), (i), __FILE__, __LINE__)

/* A fixture text answering method path with status line `status` (e.g.
 * "200 OK") and body, for any request body ("% " directives may go in
 * head, "" for none). malloc'd. */
char *mt_fixture_text(const char *head, const char *method, const char *path,
                      const char *request_body, const char *status, const char *response_body);

/* Asserts a failed call: rc and the error's code are want, the message is
 * valid UTF-8 and contains needle (when not NULL). */
void mt_assert_failed_at(int rc, const mistral_error *err, int want, const char *needle,
                         const char *file, int line);
#define mt_assert_failed(rc, err, want, needle) \
  mt_assert_failed_at((rc), (err), (want), (needle), __FILE__, __LINE__)

/* ---- a failing allocator (for white-box out-of-memory tests) ---- */

typedef struct mt_alloc_state {
  long fail_at;   /* the 1-based allocation that fails; 0: none */
  long count;     /* allocations so far */
  long live;      /* blocks not yet freed */
} mt_alloc_state;

/* An allocator counting into st and failing its fail_at-th allocation
 * (malloc or realloc). */
mistral_allocator mt_failing_allocator(mt_alloc_state *st);

/* ---- jansson allocations failing (request builders build JSON with
 * jansson, whose allocator is global) ---- */

/* From now on the n-th jansson allocation fails (n >= 1; counting restarts
 * here). */
void mt_jansson_fail_at(long n);
/* Whether the allocation meant to fail has been reached. */
int mt_jansson_failed(void);
/* Back to malloc/free. */
void mt_jansson_restore(void);
/* While paused (on != 0), jansson allocations are neither counted nor
 * failed. The request tests pause around JSON-text setters: see the note
 * on m_json_parse_text() in their out-of-memory tests. */
void mt_jansson_pause(int on);

#endif
