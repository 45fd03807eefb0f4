/* SPDX-License-Identifier: Apache-2.0 */
#include "http/pool.h"

#include <pthread.h>

#include "core/alloc.h"

/* More idle handles than this are closed instead of kept: enough for the
 * concurrency of a busy process without hoarding sockets. */
enum { POOL_MAX_IDLE = 32 };

/* One share object per client holds the connection cache (and DNS and TLS
 * session caches), so every transfer of the client (blocking easy handles,
 * and multi-driven streams) draws on the same kept-alive connections. */
struct m_pool {
  mistral_allocator alloc;
  pthread_mutex_t lock;
  CURL *idle[POOL_MAX_IDLE];
  size_t idle_count;
  CURLSH *share;
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud) {
  (void)h;
  (void)access;
  m_pool *p = ud;
  pthread_mutex_lock(&p->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud) {
  (void)h;
  m_pool *p = ud;
  pthread_mutex_unlock(&p->share_locks[data]);
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = MISTRAL_E_INTERNAL;

static void global_init(void) {
  global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? MISTRAL_OK
                                                                 : MISTRAL_E_INTERNAL;
}

int m_http_global_init(void) {
  pthread_once(&global_once, global_init);
  return global_rc;
}

m_pool *m_pool_new(const mistral_allocator *alloc) {
  m_pool *p = m_calloc(alloc, 1, sizeof *p);
  if (!p) return NULL;
  p->alloc = *alloc;
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    m_free(alloc, p);
    return NULL;
  }
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&p->share_locks[i], NULL);
  p->share = curl_share_init();
  if (!p->share || curl_share_setopt(p->share, CURLSHOPT_LOCKFUNC, share_lock) ||
      curl_share_setopt(p->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
      curl_share_setopt(p->share, CURLSHOPT_USERDATA, p) ||
      curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) ||
      curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
      curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION)) {
    m_pool_free(p);
    return NULL;
  }
  return p;
}

void m_pool_free(m_pool *p) {
  if (!p) return;
  for (size_t i = 0; i < p->idle_count; i++) curl_easy_cleanup(p->idle[i]);
  /* Every handle using the share is gone: the share can go. */
  if (p->share) curl_share_cleanup(p->share);
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&p->share_locks[i]);
  pthread_mutex_destroy(&p->lock);
  mistral_allocator a = p->alloc;
  m_free(&a, p);
}

CURL *m_pool_acquire(m_pool *p) {
  CURL *h = NULL;
  pthread_mutex_lock(&p->lock);
  if (p->idle_count) h = p->idle[--p->idle_count];
  pthread_mutex_unlock(&p->lock);
  if (h) return h;
  h = curl_easy_init();
  if (h && curl_easy_setopt(h, CURLOPT_SHARE, p->share) != CURLE_OK) {
    curl_easy_cleanup(h);
    h = NULL;
  }
  return h;
}

void m_pool_release(m_pool *p, CURL *h, int keep) {
  if (!h) return;
  if (keep) {
    pthread_mutex_lock(&p->lock);
    if (p->idle_count < POOL_MAX_IDLE) {
      p->idle[p->idle_count++] = h;
      h = NULL;
    }
    pthread_mutex_unlock(&p->lock);
  }
  if (h) curl_easy_cleanup(h);
}
