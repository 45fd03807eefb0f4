/* Shared helpers of tests/faults, on top of tests/retry/retry_test_util
 * (a fixture server and a client pointed at it, rt_*): time bounds, a
 * stream run push or pull, a loopback listener whose connects hang, and a
 * client allocator that counts bytes. Every helper fails the running
 * cmocka test on an unexpected condition. */
#ifndef LIBMISTRAL_TEST_FAULTS_UTIL_H
#define LIBMISTRAL_TEST_FAULTS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <mistral/mistral.h>

#include "retry_test_util.h"

/* The timeouts the tests set: short, so that the suite stays fast. */
#define FU_TIMEOUT_MS 400L

/* Monotonic milliseconds. */
int64_t fu_now_ms(void);

/* Fails unless took (ms) fits a timeout of ms: at least 80% of it (it did
 * not fail early, for another reason), at most 4 * ms + 5 s (valgrind runs
 * 10-50 times slower; a hang would take the whole meson timeout). */
void fu_assert_took(int64_t took, long ms, const char *what);

/* Replaces t->fs with a new fixture server (an empty script) and points
 * t->client at it. */
void fu_new_server(rt_ctx *t);

/* A new options object with nothing set. */
mistral_call_options *fu_options(void);

/* What a stream delivered to the caller. */
typedef rt_seen fu_seen;

/* Streams rt_hello(opts) (the stream flag set by the call): push
 * (mistral_chat_complete_streaming) or pull (open, then next until the end
 * or a failure; a failure must then repeat). Returns the status; t->err
 * holds the error. */
int fu_stream(rt_ctx *t, int push, const mistral_call_options *opts, fu_seen *s);

/* A loopback listener that never accepts, its queue full, so that a
 * connect to its port gets no answer (the kernel drops the SYN). */
typedef struct fu_blackhole {
  int listen_fd;
  int port;
  int fds[64]; /* the connections that fill the queue, and the probe */
  size_t n;
} fu_blackhole;

/* Opens it. Returns 1 when a probe connect stayed pending (a connect to
 * bh->port hangs), 0 when this kernel completes connects anyway (the
 * caller skips). fu_blackhole_close() in both cases. */
int fu_blackhole_open(fu_blackhole *bh);
void fu_blackhole_close(fu_blackhole *bh);

/* Bytes allocated through a counting allocator, now and at most. */
typedef struct fu_counter {
  size_t live;
  size_t peak;
} fu_counter;

/* An allocator (for mistral_client_new_with_allocator) counting into c. */
mistral_allocator fu_counting_allocator(fu_counter *c);

/* A client for t->fs (key, URL, one attempt) whose every allocation goes
 * through fu_counting_allocator(c). */
mistral_client *fu_counted_client(const rt_ctx *t, fu_counter *c);

#endif
