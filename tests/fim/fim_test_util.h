/* Helpers shared by the FIM and agents tests (tests/fim/test_*.c).
 *
 * Request bodies are compared semantically: the text the library produces
 * is parsed with jansson and compared with an expected JSON literal, key
 * order aside and numbers by value (0 equals 0.0), as the fixture server
 * compares them. Every helper fails the running cmocka test on an
 * unexpected condition. */
#ifndef LIBMISTRAL_TEST_FIM_UTIL_H
#define LIBMISTRAL_TEST_FIM_UTIL_H

#include <stddef.h>

#include <jansson.h>
#include <mistral/mistral.h>

#include "test_util.h"

/* The API key the tests give the client and the fixture server. */
#define FT_KEY "test-key"
/* The model and prompt of ft_fim_base(). */
#define FT_MODEL "codestral-latest"
#define FT_PROMPT "def fib(n):\n    "

/* ---- FIM requests ---- */

/* A request with model FT_MODEL and prompt FT_PROMPT. */
mistral_fim_request *ft_fim_base(void);

/* The body mistral_fim_request_to_json() gives, parsed (a JSON object). */
json_t *ft_fim_json_at(const mistral_fim_request *req, const char *file, int line);
#define ft_fim_json(req) ft_fim_json_at((req), __FILE__, __LINE__)

/* Asserts the body equals expected_json. */
void ft_assert_fim_body_at(const mistral_fim_request *req, const char *expected_json,
                           const char *file, int line);
#define ft_assert_fim_body(req, expected) \
  ft_assert_fim_body_at((req), (expected), __FILE__, __LINE__)

/* Asserts the body is {"model": FT_MODEL, "prompt": FT_PROMPT, <members>}
 * (members: comma-separated JSON members, "" for none). */
void ft_assert_fim_base_with_at(const mistral_fim_request *req, const char *members,
                                const char *file, int line);
#define ft_assert_fim_base_with(req, members) \
  ft_assert_fim_base_with_at((req), (members), __FILE__, __LINE__)

/* Asserts that to_json, mistral_fim_complete, mistral_fim_complete_streaming
 * and mistral_fim_stream_open all fail with MISTRAL_E_INVALID_ARG and the
 * same error message, valid UTF-8, naming needle (and needle2 when not
 * NULL); that every out pointer is left NULL; and that a fixture server
 * with nothing queued saw no connection at all. */
void ft_assert_fim_rejected_at(const mistral_fim_request *req, const char *needle,
                               const char *needle2, const char *file, int line);
#define ft_assert_fim_rejected(req, needle, needle2) \
  ft_assert_fim_rejected_at((req), (needle), (needle2), __FILE__, __LINE__)

/* The same for the three agents calls (agent_id may be anything). */
void ft_assert_agents_rejected_at(const char *agent_id, const mistral_chat_request *req,
                                  const char *needle, const char *needle2, const char *file,
                                  int line);
#define ft_assert_agents_rejected(agent_id, req, needle, needle2) \
  ft_assert_agents_rejected_at((agent_id), (req), (needle), (needle2), __FILE__, __LINE__)

/* Stops the idle server the two helpers above share, if started. */
void ft_idle_server_stop(void);

/* ---- streams ---- */

/* "% split-at ...\n" cutting body between the two line ends of every event
 * boundary, inside every "data:" and inside every multi-byte UTF-8
 * character; malloc'd. */
char *ft_split_directive(const char *body, size_t len);

/* What a stream delivered. */
typedef struct ft_stream_log {
  size_t chunks;
  size_t with_usage;      /* chunks that carried usage */
  char text[4096];        /* choice 0's delta text, concatenated */
  char last_id[128];      /* the last chunk's id */
  char last_model[128];   /* the last chunk's model */
  int finish;             /* choice 0's last finish reason */
  size_t stop_after;      /* when non-zero, the callback stops after this many chunks */
} ft_stream_log;

/* A mistral_chat_chunk_fn that appends to the ft_stream_log in user_data
 * (checking that every text is valid UTF-8 and every chunk says
 * "chat.completion.chunk"). */
int ft_log_chunk(const mistral_chat_chunk *chunk, void *user_data);

/* Pulls every chunk of s into log; returns the status that ended it. */
int ft_pull_all(mistral_chat_stream *s, ft_stream_log *log, mistral_error *err);

#endif
