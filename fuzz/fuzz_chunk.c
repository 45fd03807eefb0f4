/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the stream chunk decoder: the input is the data of
 * one stream event (a CompletionChunk, lib/stream/chunk.h).
 *
 *  1. Straight: the input parsed with jv and decoded with m_chunk_decode(),
 *     every field of the chunk read and checked (walkers in fuzz_util.c);
 *     then again with an allocator failing after a few allocations (the
 *     same answer or MISTRAL_E_NOMEM, nothing leaked).
 *  2. As the network delivers it: `data: <input>\n\n` fed to a
 *     mistral_stream_decoder, each chunk read and merged into an
 *     accumulator, whose response is read too. When the input holds no line
 *     break (so it is exactly one event's data), the decoder's verdict
 *     must agree with step 1: one chunk for a chunk, MISTRAL_E_STREAM for
 *     anything else (error frames included), nothing for [DONE].
 *
 *   fuzz_chunk -max_total_time=60 -dict=fuzz/json.dict <scratch> fuzz/corpus/chunk
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "fuzz_util.h"
#include "json/jv.h"
#include "mistral/stream.h"
#include "stream/chunk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Step 1: MISTRAL_OK, MISTRAL_E_STREAM (not a chunk: not JSON, not an
 * object, no choices array...), MISTRAL_E_NOMEM. */
static int straight(const char *text, size_t size, const mistral_allocator *a, int *is_error) {
  m_arena ar;
  m_arena_init(&ar, a);
  const m_jv *root;
  int rc = m_jv_parse(&root, &ar, text, size, NULL);
  if (rc == MISTRAL_OK && !m_jv_is_object(root)) rc = MISTRAL_E_STREAM;
  if (rc == MISTRAL_E_BAD_RESPONSE) rc = MISTRAL_E_STREAM;
  if (rc == MISTRAL_OK) {
    const char *object = m_jv_string(m_jv_get(root, "object"), NULL);
    *is_error = m_jv_get(root, "error") || (object && strcmp(object, "error") == 0);
    const mistral_chat_chunk *c = NULL;
    rc = m_chunk_decode(&c, &ar, root, text, size);
    FZ_CHECK(rc == MISTRAL_OK || rc == MISTRAL_E_STREAM || rc == MISTRAL_E_NOMEM);
    if (rc == MISTRAL_OK) {
      fz_walk_chunk(c);
      FZ_CHECK(c->raw_json_len == size && memcmp(c->raw_json, text, size) == 0);
    } else {
      FZ_CHECK(c == NULL);
    }
  }
  m_arena_release(&ar);
  return rc;
}

typedef struct seen {
  size_t chunks;
  mistral_chat_accumulator *acc;
} seen;

static int on_chunk(const mistral_chat_chunk *c, void *ud) {
  seen *s = ud;
  fz_walk_chunk(c);
  s->chunks++;
  FZ_CHECK(mistral_chat_accumulator_add(s->acc, c) == MISTRAL_OK);
  for (size_t i = 0; i < mistral_chat_accumulator_completed_count(s->acc); i++) {
    int64_t choice = -1;
    const mistral_tool_call *t = mistral_chat_accumulator_completed(s->acc, i, &choice);
    FZ_CHECK(t != NULL && t->type != NULL && t->arguments != NULL);
    fz_str(t->id);
    fz_str(t->name);
    fz_str(t->arguments);
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fz_copy(data, size, 0);
  uint64_t h = fz_hash(data, size);

  int is_error = 0;
  int rc = straight(text, size, &mistral_default_allocator, &is_error);
  FZ_CHECK(rc != MISTRAL_E_NOMEM);
  fz_alloc fa;
  fz_alloc_init(&fa, (long)(h % 16));
  int unused;
  int frc = straight(text, size, &fa.a, &unused);
  FZ_CHECK(frc == rc || (frc == MISTRAL_E_NOMEM && fa.failures > 0));
  FZ_CHECK(fa.live == 0);

  /* Step 2: one SSE event. */
  char *frame = malloc(size + 8);
  FZ_CHECK(frame != NULL);
  memcpy(frame, "data: ", 6);
  if (size) memcpy(frame + 6, data, size);
  memcpy(frame + 6 + size, "\n\n", 2);

  mistral_stream_decoder *dec = NULL;
  FZ_CHECK(mistral_stream_decoder_new(&dec) == MISTRAL_OK);
  seen s = {0, NULL};
  FZ_CHECK(mistral_chat_accumulator_new(&s.acc) == MISTRAL_OK);
  mistral_error *err = mistral_error_new();
  FZ_CHECK(err != NULL);
  int drc = mistral_stream_decoder_feed(dec, frame, size + 8, on_chunk, &s, err);
  FZ_CHECK(drc == MISTRAL_OK || drc == MISTRAL_E_STREAM);
  if (drc != MISTRAL_OK) {
    FZ_CHECK(mistral_error_code(err) == drc);
    fz_walk_error(err);
  }
  int one_event = memchr(data, '\n', size) == NULL && memchr(data, '\r', size) == NULL;
  if (one_event) {
    int done = size == 6 && memcmp(data, "[DONE]", 6) == 0;
    if (done) {
      FZ_CHECK(drc == MISTRAL_OK && s.chunks == 0 && mistral_stream_decoder_done(dec));
    } else if (rc == MISTRAL_OK && !is_error) {
      FZ_CHECK(drc == MISTRAL_OK && s.chunks == 1);
    } else {
      FZ_CHECK(drc == MISTRAL_E_STREAM && s.chunks == 0);
      /* The error carries the raw data. */
      FZ_CHECK(mistral_error_body(err) != NULL);
    }
  }
  mistral_error_clear(err);
  int finish = mistral_stream_decoder_finish(dec, err);
  FZ_CHECK(drc != MISTRAL_OK || finish == MISTRAL_OK || finish == MISTRAL_E_TRUNCATED);
  FZ_CHECK(drc == MISTRAL_OK || finish == drc);
  FZ_CHECK(mistral_error_code(err) == finish);

  FZ_CHECK(mistral_chat_accumulator_finish(s.acc) == MISTRAL_OK);
  mistral_chat_response *resp = NULL;
  FZ_CHECK(mistral_chat_accumulator_response(&resp, s.acc) == MISTRAL_OK);
  fz_walk_chat_response(resp);
  mistral_chat_response_free(resp);

  mistral_error_free(err);
  mistral_chat_accumulator_free(s.acc);
  mistral_stream_decoder_free(dec);
  free(frame);
  free(text);
  return 0;
}
