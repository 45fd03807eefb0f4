/* SPDX-License-Identifier: Apache-2.0 */
/*
 * embeddings_search: a tiny semantic search.
 *
 *     MISTRAL_API_KEY=... ./embeddings_search
 *     MISTRAL_API_KEY=... ./embeddings_search "a question of your own"
 *
 * We embed a few sentences once (one request: the answer is one matrix,
 * row i for sentence i), embed the query, and rank the sentences by cosine
 * similarity to it. See docs/embeddings.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mistral/mistral.h>

#define MODEL "mistral-embed"

static const char *const SENTENCES[] = {
    "The cat sleeps on the warm windowsill.",
    "Stock markets fell sharply on Tuesday.",
    "A recipe for a quick tomato soup.",
    "The new telescope photographed a distant galaxy.",
};
#define COUNT (sizeof SENTENCES / sizeof *SENTENCES)

/* Embeds count texts into *out (one row each). */
static int embed(mistral_embeddings_response **out, mistral_client *client,
                 const char *const *texts, size_t count, mistral_error *err) {
  mistral_embeddings_request *req = NULL;
  int rc = mistral_embeddings_request_new(&req, MODEL);
  if (rc == MISTRAL_OK) rc = mistral_embeddings_request_set_inputs(req, texts, count);
  if (rc == MISTRAL_OK) rc = mistral_embeddings_create(out, client, req, err);
  else fprintf(stderr, "embeddings_search: cannot build the request: %s\n", mistral_strerror(rc));
  mistral_embeddings_request_free(req);
  return rc;
}

int main(int argc, char **argv) {
  int exit_code = EXIT_FAILURE;
  mistral_client *client = NULL;
  mistral_embeddings_response *docs = NULL, *query = NULL;
  const char *question = argc > 1 ? argv[1] : "Which sentence is about astronomy?";

  mistral_error *err = mistral_error_new();
  if (!err) {
    fputs("embeddings_search: out of memory\n", stderr);
    return EXIT_FAILURE;
  }
  int rc = mistral_client_new(&client);
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "embeddings_search: cannot create the client: %s\n", mistral_strerror(rc));
    goto done;
  }
  /* The sentences: one request, one rows x cols float matrix. */
  if ((rc = embed(&docs, client, SENTENCES, COUNT, err)) != MISTRAL_OK ||
      (rc = embed(&query, client, &question, 1, err)) != MISTRAL_OK) {
    if (mistral_error_code(err) != MISTRAL_OK)
      fprintf(stderr, "embeddings_search: %s\n", mistral_error_message(err));
    goto done;
  }
  printf("indexed %zu sentences (%zu dimensions, %zu bytes a row)\n", docs->rows, docs->cols,
         docs->row_bytes);

  /* Rank every sentence against the query, best first. */
  size_t best[COUNT], found = 0;
  double score[COUNT];
  rc = mistral_embeddings_top_k(best, score, COUNT, &found, mistral_embeddings_f32(docs),
                                docs->rows, docs->cols, mistral_embeddings_f32(query),
                                MISTRAL_EMBEDDINGS_COSINE);
  if (rc != MISTRAL_OK || found == 0) {
    fprintf(stderr, "embeddings_search: ranking failed: %s\n", mistral_strerror(rc));
    goto done;
  }
  printf("query: %s\n", question);
  printf("best match (cosine %.3f): %s\n", score[0], SENTENCES[best[0]]);
  for (size_t i = 1; i < found; i++) printf("  then (%.3f): %s\n", score[i], SENTENCES[best[i]]);
  printf("tokens: %lld for the sentences, %lld for the query\n",
         (long long)docs->usage->total_tokens, (long long)query->usage->total_tokens);
  exit_code = EXIT_SUCCESS;

done:
  mistral_embeddings_response_free(query);
  mistral_embeddings_response_free(docs);
  mistral_client_free(client);
  mistral_error_free(err);
  return exit_code;
}
