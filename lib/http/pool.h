/* SPDX-License-Identifier: Apache-2.0 */
/* Idle libcurl easy handles, shared by the threads using one client. Each
 * easy handle keeps its own connection cache, so a handle taken back from
 * the pool reuses its kept-alive connection: sequential calls share one TCP
 * connection, concurrent calls get one each. */
#ifndef MISTRAL_HTTP_POOL_H
#define MISTRAL_HTTP_POOL_H

#include <curl/curl.h>

#include "mistral/common.h"

typedef struct m_pool m_pool;

/* Initialises libcurl once per process; MISTRAL_OK or MISTRAL_E_INTERNAL. */
int m_http_global_init(void);

m_pool *m_pool_new(const mistral_allocator *alloc);
void m_pool_free(m_pool *pool); /* cleans up every idle handle */
/* An idle handle, or a new one; NULL when out of memory. */
CURL *m_pool_acquire(m_pool *pool);
/* Gives a handle back. keep == 0 discards it (and its connection), for a
 * transfer that ended in a state the connection should not outlive. */
void m_pool_release(m_pool *pool, CURL *h, int keep);

#endif
