/* SPDX-License-Identifier: Apache-2.0 */
#include "http/transfer.h"

#include "core/alloc.h"
#include "core/error.h"
#include "core/options.h"

struct m_transfer {
  mistral_client *client;
  m_exchange *x; /* NULL once ended */
  CURLM *multi;
  long idle_timeout_ms;
  const struct mistral_call_options *options;
  int headers_done;
  int status; /* the outcome, once ended */
};

int m_transfer_start(m_transfer **out, mistral_client *c, const m_http_request *req,
                     m_http_response *resp, long idle_timeout_ms, mistral_error *err) {
  *out = NULL;
  m_transfer *t = m_calloc(&c->alloc, 1, sizeof *t);
  if (!t) return m_err_set(err, MISTRAL_E_NOMEM, "out of memory");
  t->client = c;
  t->idle_timeout_ms = idle_timeout_ms;
  t->options = req->options;
  int rc = m_exchange_begin(&t->x, c, req, resp, err);
  if (rc != MISTRAL_OK) {
    m_free(&c->alloc, t);
    return rc;
  }
  t->multi = curl_multi_init();
  /* Keep connections for reuse beyond libcurl's default of 4 a multi. */
  if (t->multi) curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, 32L);
  if (!t->multi || curl_multi_add_handle(t->multi, m_exchange_handle(t->x)) != CURLM_OK) {
    m_transfer_free(t);
    return m_err_set(err, MISTRAL_E_NOMEM, "out of memory (curl multi handle)");
  }
  *out = t;
  return MISTRAL_OK;
}

/* Detaches the easy handle and maps the outcome. */
static int end(m_transfer *t, CURLcode cc, mistral_error *err) {
  curl_multi_remove_handle(t->multi, m_exchange_handle(t->x));
  t->headers_done = t->headers_done || m_exchange_headers_done(t->x);
  t->status = m_exchange_end(t->x, cc, err);
  t->x = NULL;
  return t->status;
}

int m_transfer_run(m_transfer *t, int (*ready)(void *), void *ready_data, mistral_error *err) {
  while (t->x) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(t->multi, &running);
    if (mc != CURLM_OK) {
      end(t, CURLE_OUT_OF_MEMORY, err);
      return t->status = m_err_set(err, MISTRAL_E_INTERNAL, "curl_multi_perform: %s",
                                   curl_multi_strerror(mc));
    }
    int queued;
    CURLMsg *msg;
    while (t->x && (msg = curl_multi_info_read(t->multi, &queued)) != NULL)
      if (msg->msg == CURLMSG_DONE) end(t, msg->data.result, err);
    if (t->x) t->headers_done = m_exchange_headers_done(t->x);
    if (ready && ready(ready_data)) return t->x ? MISTRAL_OK : t->status;
    if (!t->x) break;

    /* With a cancel flag, wake often enough to notice it promptly. */
    const struct mistral_call_options *o = t->options;
    if (o && o->cancel && *o->cancel) return end(t, CURLE_ABORTED_BY_CALLBACK, err);
    int wait_ms = o && o->cancel ? 100 : 1000;
    if (t->idle_timeout_ms > 0) {
      double idle = m_exchange_idle_ms(t->x);
      if (idle >= (double)t->idle_timeout_ms) {
        long limit = t->idle_timeout_ms;
        end(t, CURLE_OPERATION_TIMEDOUT, err);
        return t->status = m_err_set(err, MISTRAL_E_TIMEOUT,
                                     "stream: no data for %ld ms (idle timeout)", limit);
      }
      double left = (double)t->idle_timeout_ms - idle;
      if (left < wait_ms) wait_ms = (int)left + 1;
    }
    if (running && curl_multi_poll(t->multi, NULL, 0, wait_ms, NULL) != CURLM_OK) {
      end(t, CURLE_OUT_OF_MEMORY, err);
      return t->status = m_err_set(err, MISTRAL_E_INTERNAL, "curl_multi_poll failed");
    }
  }
  return t->status;
}

int m_transfer_finished(const m_transfer *t) { return t->x == NULL; }

int m_transfer_headers_done(const m_transfer *t) { return t->headers_done; }

void m_transfer_free(m_transfer *t) {
  if (!t) return;
  mistral_client *c = t->client;
  if (t->x) {
    /* Abandoned mid-transfer: detach and drop the handle; libcurl closes a
     * connection whose transfer did not finish. */
    curl_multi_remove_handle(t->multi, m_exchange_handle(t->x));
    m_exchange_end(t->x, CURLE_ABORTED_BY_CALLBACK, NULL);
  }
  if (t->multi) curl_multi_cleanup(t->multi);
  m_free(&c->alloc, t);
}
