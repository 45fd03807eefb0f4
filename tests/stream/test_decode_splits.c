/* A. The sans-I/O path (stream decoder + accumulator) on every stream
 * fixture's body, fed whole, one byte at a time, and in two feeds split at
 * every byte offset (empty feeds included): the chunks, the completed tool
 * calls, the outcome and the accumulated response must be the same in
 * every mode, and match the expectations written in stream_test_util.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream_test_util.h"

static void test_splits(void **state) {
  const stream_case *c = *state;
  size_t len = 0;
  char *body = stream_fixture_body(c->file, &len);
  assert_true(len > 0);

  /* Whole: the reference, checked against the expectations. */
  stream_record ref;
  record_init(&ref);
  mistral_chat_response *resp = NULL;
  run_sansio(body, len, NULL, 0, &ref, &resp);
  check_case(c, &ref, resp, true);
  mistral_chat_response_free(resp);

  char what[128];
  /* One byte at a time. */
  size_t *cuts = malloc(len * sizeof *cuts);
  assert_non_null(cuts);
  for (size_t i = 1; i < len; i++) cuts[i - 1] = i;
  stream_record r;
  record_init(&r);
  run_sansio(body, len, cuts, len - 1, &r, NULL);
  snprintf(what, sizeof what, "%s, one byte at a time", c->file);
  record_assert_equal(&ref, &r, true, what);
  record_free(&r);

  /* Two feeds, split at every offset, 0 and len included. */
  for (size_t k = 0; k <= len; k++) {
    record_init(&r);
    run_sansio(body, len, &k, 1, &r, NULL);
    snprintf(what, sizeof what, "%s, split at byte %zu of %zu", c->file, k, len);
    record_assert_equal(&ref, &r, true, what);
    record_free(&r);
  }

  /* Three feeds around every event boundary's blank line and every
   * multi-byte character: a cut on each side. */
  for (size_t k = 1; k + 1 < len; k++) {
    unsigned char b = (unsigned char)body[k];
    if (!(b == '\n' || b == '\r' || b >= 0x80)) continue;
    size_t three[2] = {k, k + 1};
    record_init(&r);
    run_sansio(body, len, three, 2, &r, NULL);
    snprintf(what, sizeof what, "%s, byte %zu alone", c->file, k);
    record_assert_equal(&ref, &r, true, what);
    record_free(&r);
  }
  free(cuts);
  record_free(&ref);
  free(body);
}

/* With an argument "I/N", only the cases whose position modulo N is I:
 * meson runs the shards in parallel (this test is long under valgrind). */
int main(int argc, char **argv) {
  tu_clean_env();
  unsigned shard = 0, shards = 1;
  if (argc > 1 && (sscanf(argv[1], "%u/%u", &shard, &shards) != 2 || shards == 0 ||
                   shard >= shards)) {
    fprintf(stderr, "usage: %s [I/N]\n", argv[0]);
    return 2;
  }
  struct CMUnitTest *tests = calloc(stream_case_count, sizeof *tests);
  if (!tests) return 1;
  size_t n = 0;
  for (size_t i = 0; i < stream_case_count; i++) {
    if (i % shards != shard) continue;
    tests[n].name = stream_cases[i].file;
    tests[n].test_func = test_splits;
    tests[n].initial_state = (void *)&stream_cases[i];
    n++;
  }
  int rc = _cmocka_run_group_tests("stream_decode_splits", tests, n, NULL, NULL);
  free(tests);
  return rc;
}
