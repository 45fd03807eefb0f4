/* Helpers shared by the chat request tests (tests/chat/test_*.c).
 *
 * Every comparison of a request body is semantic: the text the library
 * produces is parsed with jansson and compared with json_equal() against an
 * expected JSON literal, so key order and number spelling do not matter
 * (0.7 and 0.69999999999999996 are the same double). */
#ifndef LIBMISTRAL_TEST_CHAT_UTIL_H
#define LIBMISTRAL_TEST_CHAT_UTIL_H

#include <stddef.h>

#include <jansson.h>
#include <mistral/mistral.h>

#include "test_util.h"

/* The model and the one user message of ct_base_request(). */
#define CT_MODEL "mistral-small-latest"
#define CT_BASE_MESSAGES "[{\"role\":\"user\",\"content\":\"Hi\"}]"
/* The API key the tests give the client and the fixture server. */
#define CT_KEY "test-key"

/* A request with model CT_MODEL and one user message "Hi". */
mistral_chat_request *ct_base_request(void);

/* The request body mistral_chat_request_to_json() gives, parsed. Fails the
 * test when to_json fails or the text is not a JSON object. */
json_t *ct_request_json_at(const mistral_chat_request *req, const char *file, int line);
#define ct_request_json(req) ct_request_json_at((req), __FILE__, __LINE__)

/* Asserts that the request body equals expected_json (JSON text). */
void ct_assert_body_at(const mistral_chat_request *req, const char *expected_json,
                       const char *file, int line);
#define ct_assert_body(req, expected) ct_assert_body_at((req), (expected), __FILE__, __LINE__)

/* Asserts that the body is exactly {"model": CT_MODEL, "messages":
 * CT_BASE_MESSAGES, <members>} where members is a comma-separated list of
 * JSON members ("" for none). */
void ct_assert_base_with_at(const mistral_chat_request *req, const char *members,
                            const char *file, int line);
#define ct_assert_base_with(req, members) \
  ct_assert_base_with_at((req), (members), __FILE__, __LINE__)

/* Asserts that the messages array of the body equals expected_json. */
void ct_assert_messages_at(const mistral_chat_request *req, const char *expected_json,
                           const char *file, int line);
#define ct_assert_messages(req, expected) \
  ct_assert_messages_at((req), (expected), __FILE__, __LINE__)

/* Asserts that mistral_chat_request_to_json() fails with code, leaves *out
 * NULL, and that the error message contains every non-NULL needle. */
void ct_assert_to_json_fails_at(const mistral_chat_request *req, int code, const char *needle,
                                const char *needle2, const char *file, int line);
#define ct_assert_to_json_fails(req, code, needle) \
  ct_assert_to_json_fails_at((req), (code), (needle), NULL, __FILE__, __LINE__)

/* Writes len bytes to a new temporary file; returns its malloc'd path (the
 * caller unlinks and frees it). */
char *ct_write_temp(const void *data, size_t len);

/* Strict base64 (RFC 4648, padded) decoder; returns a malloc'd buffer and
 * its length in *len, or NULL when text is not valid base64. */
unsigned char *ct_base64_decode(const char *text, size_t *len);

/* Asserts that to_json and mistral_chat_complete (against a fixture server
 * with nothing queued, shared by the process) both fail with code and an error message, valid
 * UTF-8, that contains needle (and needle2 when not NULL), and that the
 * server saw no connection at all. */
void ct_assert_rejected_at(const mistral_chat_request *req, int code, const char *needle,
                           const char *needle2, const char *file, int line);
#define ct_assert_rejected(req, code, needle, needle2) \
  ct_assert_rejected_at((req), (code), (needle), (needle2), __FILE__, __LINE__)

/* Stops the idle server ct_assert_rejected() started, if any. */
void ct_idle_server_stop(void);

#endif
