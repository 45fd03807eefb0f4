/* SPDX-License-Identifier: Apache-2.0 */
#include "http/pool.h"

#include <pthread.h>

#include "core/alloc.h"

/* More idle handles than this are closed instead of kept: enough for the
 * concurrency of a busy process without hoarding sockets. */
enum { POOL_MAX_IDLE = 32 };

struct m_pool {
  mistral_allocator alloc;
  pthread_mutex_t lock;
  CURL *idle[POOL_MAX_IDLE];
  size_t idle_count;
};

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
  return p;
}

void m_pool_free(m_pool *p) {
  if (!p) return;
  for (size_t i = 0; i < p->idle_count; i++) curl_easy_cleanup(p->idle[i]);
  pthread_mutex_destroy(&p->lock);
  mistral_allocator a = p->alloc;
  m_free(&a, p);
}

CURL *m_pool_acquire(m_pool *p) {
  CURL *h = NULL;
  pthread_mutex_lock(&p->lock);
  if (p->idle_count) h = p->idle[--p->idle_count];
  pthread_mutex_unlock(&p->lock);
  return h ? h : curl_easy_init();
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
