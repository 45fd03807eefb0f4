#include "faults_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

int64_t fu_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fu_assert_took(int64_t took, long ms, const char *what) {
  int64_t low = (int64_t)ms * 8 / 10, high = (int64_t)ms * 4 + 5000;
  if (took < low || took > high)
    fail_msg("%s: took %lld ms, expected %lld..%lld ms (timeout %ld ms)", what, (long long)took,
             (long long)low, (long long)high, ms);
}

void fu_new_server(rt_ctx *t) {
  fixture_server_stop(t->fs);
  t->fs = tu_server_start(RT_KEY, NULL);
  assert_int_equal(mistral_client_set_server_url(t->client, fixture_server_url(t->fs)),
                   MISTRAL_OK);
}

mistral_call_options *fu_options(void) {
  mistral_call_options *o = NULL;
  assert_int_equal(mistral_call_options_new(&o), MISTRAL_OK);
  return o;
}

/* ---- streams ---- */

int fu_stream(rt_ctx *t, int push, const mistral_call_options *opts, fu_seen *s) {
  memset(s, 0, sizeof *s);
  mistral_chat_request *req = rt_hello(opts);
  int rc;
  if (push) {
    mistral_chat_response *final = NULL;
    rc = mistral_chat_complete_streaming(&final, t->client, req, rt_on_chunk, s, t->err);
    if (final) {
      s->has_final = 1;
      const char *text = mistral_chat_response_text(final);
      snprintf(s->final_text, sizeof s->final_text, "%s", text ? text : "");
    }
    mistral_chat_response_free(final);
  } else {
    mistral_chat_stream *st = NULL;
    rc = s->open_rc = mistral_chat_stream_open(&st, t->client, req, t->err);
    if (rc == MISTRAL_OK) {
      const mistral_chat_chunk *chunk;
      while ((rc = mistral_chat_stream_next(&chunk, st, t->err)) == MISTRAL_OK && chunk)
        rt_note_chunk(s, chunk);
      /* A failed stream keeps failing with the same status. */
      if (rc != MISTRAL_OK) assert_int_equal(mistral_chat_stream_next(&chunk, st, NULL), rc);
    } else {
      assert_null(st);
    }
    mistral_chat_stream_free(st);
  }
  mistral_chat_request_free(req);
  return rc;
}

/* ---- a listener whose connects hang ---- */

static int loopback_socket(int nonblocking) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  assert_true(fd >= 0);
  return fd;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  return a;
}

int fu_blackhole_open(fu_blackhole *bh) {
  memset(bh, 0, sizeof *bh);
  bh->listen_fd = loopback_socket(0);
  struct sockaddr_in a = loopback(0);
  assert_int_equal(bind(bh->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  /* Backlog 0: Linux queues one connection, then drops SYNs. */
  assert_int_equal(listen(bh->listen_fd, 0), 0);
  socklen_t len = sizeof a;
  assert_int_equal(getsockname(bh->listen_fd, (struct sockaddr *)&a, &len), 0);
  bh->port = ntohs(a.sin_port);
  /* Connect until one stays pending: the ones that complete fill the
   * queue (nobody accepts them). */
  while (bh->n < sizeof bh->fds / sizeof bh->fds[0]) {
    int fd = loopback_socket(1);
    bh->fds[bh->n++] = fd;
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc != 0 && errno != EINPROGRESS) return 0;
    if (rc == 0) continue;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, 300) == 0) return 1; /* no answer: the queue is full */
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) return 0; /* refused: not what we want either */
  }
  return 0;
}

void fu_blackhole_close(fu_blackhole *bh) {
  for (size_t i = 0; i < bh->n; i++) close(bh->fds[i]);
  if (bh->listen_fd > 0) close(bh->listen_fd);
  memset(bh, 0, sizeof *bh);
}

/* ---- a counting allocator ---- */

/* Each block starts with its size, padded to keep malloc's alignment. */
typedef union block_head {
  size_t size;
  max_align_t align;
} block_head;

static void count(fu_counter *c, size_t add, size_t sub) {
  c->live = c->live + add - sub;
  if (c->live > c->peak) c->peak = c->live;
}

static void *counted_malloc(size_t size, void *user_data) {
  block_head *h = malloc(sizeof *h + size);
  if (!h) return NULL;
  h->size = size;
  count(user_data, size, 0);
  return h + 1;
}

static void *counted_realloc(void *ptr, size_t size, void *user_data) {
  if (!ptr) return counted_malloc(size, user_data);
  block_head *old = (block_head *)ptr - 1;
  size_t old_size = old->size;
  block_head *h = realloc(old, sizeof *h + size);
  if (!h) return NULL;
  h->size = size;
  count(user_data, size, old_size);
  return h + 1;
}

static void counted_free(void *ptr, void *user_data) {
  if (!ptr) return;
  block_head *h = (block_head *)ptr - 1;
  count(user_data, 0, h->size);
  free(h);
}

mistral_allocator fu_counting_allocator(fu_counter *c) {
  mistral_allocator a = {counted_malloc, counted_realloc, counted_free, c};
  return a;
}

mistral_client *fu_counted_client(const rt_ctx *t, fu_counter *c) {
  mistral_allocator a = fu_counting_allocator(c);
  mistral_client *client = NULL;
  assert_int_equal(mistral_client_new_with_allocator(&client, &a), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(client, fixture_server_url(t->fs)), MISTRAL_OK);
  assert_int_equal(mistral_client_set_api_key(client, RT_KEY), MISTRAL_OK);
  assert_int_equal(mistral_client_set_max_attempts(client, 1), MISTRAL_OK);
  return client;
}
