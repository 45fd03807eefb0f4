/* SPDX-License-Identifier: Apache-2.0 */
/* The non-blocking driver: one exchange run through a curl multi handle, a
 * step at a time, on the caller's thread. Streams use it (pull: run until a
 * chunk is ready; push: run to the end), and it enforces the idle timeout
 * that a stream has instead of a total time limit. */
#ifndef MISTRAL_HTTP_TRANSFER_H
#define MISTRAL_HTTP_TRANSFER_H

#include "http/transport.h"

typedef struct m_transfer m_transfer;

/* Starts req. idle_timeout_ms > 0 fails the transfer with MISTRAL_E_TIMEOUT
 * when no byte arrives for that long. */
int m_transfer_start(m_transfer **out, mistral_client *c, const m_http_request *req,
                     m_http_response *resp, long idle_timeout_ms, mistral_error *err);

/* Runs until ready(ready_data) is true (checked after each burst of I/O; may
 * be NULL) or the transfer ends. Returns MISTRAL_OK while it runs or when it
 * ended well, else the transfer's error (then and afterwards). */
int m_transfer_run(m_transfer *t, int (*ready)(void *), void *ready_data, mistral_error *err);

/* Non-zero once the transfer has ended (well or not). */
int m_transfer_finished(const m_transfer *t);

/* Non-zero once the final response headers are in. */
int m_transfer_headers_done(const m_transfer *t);

/* Aborts the transfer if it still runs (its connection is closed) and frees
 * t. NULL is a no-op. */
void m_transfer_free(m_transfer *t);

#endif
