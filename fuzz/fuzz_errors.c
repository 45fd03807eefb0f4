/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for error bodies (m_http_status_error, lib/http/status.c):
 * the first byte picks the HTTP status (400, 401, 422, 429, 500: its value
 * modulo 5) and which request-id headers the response carries (bits 6 and
 * 7); the rest is the body.
 *
 * Checks: the status maps to its code (also without an error object); the
 * error object says so (code, HTTP status, retryable or not); its message
 * is valid UTF-8, "HTTP <status> (...): ..." and names the header's
 * request id; the raw body is kept; every field and validation detail is
 * read.
 *
 *   fuzz_errors -max_total_time=60 -dict=fuzz/json.dict <scratch> fuzz/corpus/errors
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/utf8.h"
#include "fuzz_util.h"
#include "http/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
  int http, code, retryable;
} statuses[5] = {{400, MISTRAL_E_HTTP, 0},
                 {401, MISTRAL_E_UNAUTHORIZED, 0},
                 {422, MISTRAL_E_VALIDATION, 0},
                 {429, MISTRAL_E_RATE_LIMITED, 1},
                 {500, MISTRAL_E_SERVER, 1}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  int pick = data[0] % 5;
  const uint8_t *body = data + 1;
  size_t len = size - 1;

  m_http_response resp;
  m_http_response_init(&resp, &mistral_default_allocator);
  resp.status = statuses[pick].http;
  FZ_CHECK(m_buf_append(&resp.body, body, len) == MISTRAL_OK);
  char n_rid[] = "x-request-id", v_rid[] = "req-7d1f";
  char n_cid[] = "mistral-correlation-id", v_cid[] = "corr-0b5e";
  m_header headers[2];
  size_t nh = 0;
  if (data[0] & 0x80) headers[nh++] = (m_header){n_rid, v_rid};
  if (data[0] & 0x40) headers[nh++] = (m_header){n_cid, v_cid};
  resp.headers = headers;
  resp.header_count = nh;

  FZ_CHECK(m_http_status_error(&resp, NULL) == statuses[pick].code);

  mistral_error *err = mistral_error_new();
  FZ_CHECK(err != NULL);
  int rc = m_http_status_error(&resp, err);
  FZ_CHECK(rc == statuses[pick].code);
  FZ_CHECK(mistral_error_code(err) == rc);
  FZ_CHECK(mistral_error_http_status(err) == statuses[pick].http);
  FZ_CHECK(!mistral_error_is_retryable(err) == !statuses[pick].retryable);
  fz_walk_error(err);

  const char *msg = mistral_error_message(err);
  /* Whatever bytes the body holds, the message is UTF-8. */
  FZ_CHECK(m_utf8_valid(msg, strlen(msg), NULL));
  char head[32];
  int hn = snprintf(head, sizeof head, "HTTP %d (", statuses[pick].http);
  FZ_CHECK(strncmp(msg, head, (size_t)hn) == 0);
  if (nh) {
    /* The header's request id wins over the body's and is quoted. */
    const char *rid = mistral_error_request_id(err);
    FZ_CHECK(rid && strcmp(rid, headers[0].value) == 0);
    FZ_CHECK(strstr(msg, rid) != NULL);
  }
  /* The raw body, up to its first NUL (a C string). */
  const char *raw = mistral_error_body(err);
  if (len) {
    FZ_CHECK(raw != NULL);
    size_t c_len = strnlen((const char *)body, len);
    FZ_CHECK(strlen(raw) == c_len && memcmp(raw, body, c_len) == 0);
  }

  mistral_error_free(err);
  resp.headers = NULL;
  resp.header_count = 0;
  m_http_response_free(&resp);
  return 0;
}
