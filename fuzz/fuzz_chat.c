/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the chat response decoder (m_chat_response_decode,
 * lib/api/chat_decode.h): the input is a ChatCompletionResponse body.
 *
 * The body is decoded (with or without response headers, as the input's
 * hash picks); on success every field of the response is read and checked
 * against the header's promises (usage, message, tool call type and
 * arguments never NULL; finish_reason NONE exactly when the raw string is
 * NULL; a chunk list's text view is its text chunks concatenated; raw_json
 * is the body), on failure the status is MISTRAL_E_BAD_RESPONSE with a
 * message. Then again with an allocator that fails after a few allocations:
 * the same answer or MISTRAL_E_NOMEM, nothing leaked.
 *
 *   fuzz_chat -max_total_time=60 -dict=fuzz/json.dict <scratch> fuzz/corpus/chat
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_decode.h"
#include "core/alloc.h"
#include "fuzz_util.h"
#include "http/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int decode(mistral_chat_response **out, const mistral_allocator *a, const char *body,
                  size_t size, const m_http_response *http) {
  mistral_error *err = mistral_error_new();
  FZ_CHECK(err != NULL);
  int rc = m_chat_response_decode(out, a, body, size, http, err);
  if (rc == MISTRAL_OK) {
    const mistral_chat_response *r = *out;
    FZ_CHECK(r != NULL);
    fz_walk_chat_response(r);
    FZ_CHECK(r->raw_json_len == size && memcmp(r->raw_json, body, size) == 0);
    const char *rid = http ? m_http_request_id(http) : NULL;
    FZ_CHECK(rid ? r->request_id && strcmp(rid, r->request_id) == 0 : r->request_id == NULL);
  } else {
    FZ_CHECK(*out == NULL);
    fz_check_decode_failure(rc, err);
  }
  mistral_error_free(err);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *body = fz_copy(data, size, 0);
  uint64_t h = fz_hash(data, size);

  char n_rid[] = "x-request-id", v_rid[] = "5f1c0e7d-fuzz";
  char n_dep[] = "x-model-deprecation-timestamp", v_dep[] = "2026-03-01T00:00:00Z";
  m_header headers[2] = {{n_rid, v_rid}, {n_dep, v_dep}};
  m_http_response http;
  m_http_response_init(&http, &mistral_default_allocator);
  http.headers = headers;
  http.header_count = (size_t)(h >> 1) % 3;
  const m_http_response *hp = h & 2 ? &http : NULL;

  mistral_chat_response *r = NULL;
  int rc = decode(&r, &mistral_default_allocator, body, size, hp);
  FZ_CHECK(rc != MISTRAL_E_NOMEM);
  if (r && hp && http.header_count == 2)
    FZ_CHECK(r->model_deprecation && strcmp(r->model_deprecation, v_dep) == 0);

  /* Allocation failures at a point the input picks. */
  fz_alloc fa;
  fz_alloc_init(&fa, (long)((h >> 8) % 24));
  mistral_chat_response *r2 = NULL;
  int frc = decode(&r2, &fa.a, body, size, hp);
  FZ_CHECK(frc == rc || (frc == MISTRAL_E_NOMEM && fa.failures > 0));
  if (frc == MISTRAL_OK) FZ_CHECK(r2->choice_count == r->choice_count);
  mistral_chat_response_free(r2);
  FZ_CHECK(fa.live == 0);

  mistral_chat_response_free(r);
  http.headers = NULL;
  http.header_count = 0;
  m_http_response_free(&http);
  free(body);
  return 0;
}
