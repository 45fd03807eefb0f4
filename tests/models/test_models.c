/* SPDX-License-Identifier: Apache-2.0 */
/* The models calls (mistral/models.h) over the loopback fixture server
 * (tests/fixtures/models/): every field of the cards, lists and results;
 * percent-encoded ids and query values on the wire; bad ids and NULL
 * arguments refused with no traffic; HTTP errors (401, 404, 400);
 * malformed bodies and wrong shapes; per-call options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mistral/mistral.h>

#include "test_util.h"

#define KEY "test-key"
#define FT_ID "ft:open-mistral-7b:587a6b29:20240514:7e773925"
#define FT_ID_ENC "ft%3Aopen-mistral-7b%3A587a6b29%3A20240514%3A7e773925"
#define FT_DESCRIPTION "Answers support tickets in our house style."

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

/* The request line of the i-th request the server received, malloc'd. */
static char *request_line(const fixture_server *fs, size_t i) {
  char *all = fixture_server_received(fs, i);
  assert_non_null(all);
  char *eol = strpbrk(all, "\r\n");
  if (eol) *eol = '\0';
  return all;
}

static void assert_contains(const char *hay, const char *needle) {
  if (!hay || !strstr(hay, needle)) fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static void assert_caps(const mistral_model_capabilities *c, const char *const *names,
                        size_t count) {
  assert_non_null(c);
  assert_int_equal(c->name_count, count);
  for (size_t i = 0; i < count; i++) assert_string_equal(c->names[i], names[i]);
}

#define CAPS(c, ...)                                             \
  do {                                                           \
    static const char *const names_[] = {__VA_ARGS__};           \
    assert_caps((c), names_, sizeof names_ / sizeof *names_);    \
  } while (0)

/* ------------------------------------------------------------------------ */
/* list                                                                     */

static void check_small(const mistral_model_card *m) {
  assert_string_equal(m->id, "mistral-small-2506");
  assert_string_equal(m->object, "model");
  assert_int_equal(m->created, 1764240600);
  assert_string_equal(m->owned_by, "mistralai");
  assert_int_equal(m->type, MISTRAL_MODEL_TYPE_BASE);
  assert_string_equal(m->type_raw, "base");
  const mistral_model_capabilities *c = m->capabilities;
  assert_true(c->completion_chat);
  assert_true(c->function_calling);
  assert_true(c->fine_tuning);
  assert_true(c->vision);
  assert_false(c->reasoning);
  assert_false(c->completion_fim);
  assert_false(c->ocr);
  assert_false(c->classification);
  assert_false(c->moderation);
  assert_false(c->audio);
  assert_false(c->audio_transcription);
  assert_false(c->audio_transcription_realtime);
  assert_false(c->audio_speech);
  assert_false(c->unified_resources);
  CAPS(c, "completion_chat", "function_calling", "fine_tuning", "vision");
  assert_contains(c->json, "{\"completion_chat\":true,\"function_calling\":true,");
  assert_contains(c->json, "\"unified_resources\":false}");
  assert_string_equal(m->name, "mistral-small-2506");
  assert_string_equal(m->description, "Our latest enterprise-grade small model.");
  assert_int_equal(m->max_context_length, 131072);
  assert_int_equal(m->alias_count, 1);
  assert_string_equal(m->aliases[0], "mistral-small-latest");
  assert_null(m->deprecation);
  assert_int_equal(m->deprecation_time, 0);
  assert_null(m->deprecation_replacement_model);
  assert_true(m->has_default_model_temperature);
  assert_true(m->default_model_temperature == 0.3);
  assert_false(m->internal);
  assert_null(m->job);
  assert_null(m->root);
  assert_false(m->archived);
  assert_null(m->model_type);
  assert_null(m->workspace_id);
  assert_null(m->root_version);
  assert_null(m->classifier_targets_json);
  assert_non_null(m->json);
  assert_int_equal(strncmp(m->json, "{\"id\":\"mistral-small-2506\",", 27), 0);
  assert_contains(m->json, "\"type\":\"base\"}");
  assert_true(mistral_model_card_has_capability(m, "vision"));
  assert_false(mistral_model_card_has_capability(m, "ocr"));
  assert_false(mistral_model_card_has_capability(m, "telepathy"));
}

static void check_ft(const mistral_model_card *m, bool archived) {
  assert_string_equal(m->id, FT_ID);
  assert_string_equal(m->object, "model");
  assert_int_equal(m->created, 1715696400);
  assert_string_equal(m->owned_by, "587a6b29-4c8e-4f3a-9b2d-1e0f5a6c7d8e");
  assert_int_equal(m->type, MISTRAL_MODEL_TYPE_FINE_TUNED);
  assert_string_equal(m->type_raw, "fine-tuned");
  CAPS(m->capabilities, "completion_chat");
  assert_true(m->capabilities->completion_chat);
  assert_false(m->capabilities->function_calling);
  assert_int_equal(m->max_context_length, 32768);
  assert_int_equal(m->alias_count, 0);
  assert_non_null(m->aliases);
  assert_false(m->has_default_model_temperature);
  assert_true(m->default_model_temperature == 0.0);
  assert_string_equal(m->job, "7e773925-0f6a-4d1b-8c2e-5a9b3d4f6e10");
  assert_string_equal(m->root, "open-mistral-7b");
  assert_int_equal(m->archived, archived);
  assert_null(m->model_type);
}

static void test_list_every_field(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/list.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_list *list = NULL;
  int rc = mistral_models_list(&list, client, NULL, err);
  if (rc) fail_msg("%s", mistral_error_message(err));
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);
  assert_non_null(list);
  assert_string_equal(list->object, "list");
  assert_int_equal(list->model_count, 5);
  assert_string_equal(list->request_id, "3f2a9c1d7e6b4a5f8c0d1e2f3a4b5c6d");
  size_t len;
  char *body = tu_fixture_body("models/list.fixture", &len);
  assert_int_equal(list->raw_json_len, len);
  assert_memory_equal(list->raw_json, body, len);
  assert_int_equal(list->raw_json[len], '\0');
  free(body);

  check_small(list->models[0]);

  const mistral_model_card *large = list->models[1];
  assert_string_equal(large->id, "mistral-large-2407");
  assert_string_equal(large->deprecation, "2025-11-30T12:00:00Z");
  assert_int_equal(large->deprecation_time, 1764504000);
  assert_string_equal(large->deprecation_replacement_model, "mistral-medium-latest");
  assert_true(large->default_model_temperature == 0.7);
  assert_false(large->capabilities->vision);
  assert_int_equal(large->alias_count, 0);

  const mistral_model_card *code = list->models[2];
  assert_string_equal(code->id, "codestral-2508");
  assert_true(code->capabilities->completion_fim);
  assert_int_equal(code->max_context_length, 256000);
  CAPS(code->capabilities, "completion_chat", "function_calling", "completion_fim");

  const mistral_model_card *embed = list->models[3];
  assert_string_equal(embed->id, "mistral-embed");
  assert_int_equal(embed->capabilities->name_count, 0);
  assert_non_null(embed->capabilities->names);
  assert_false(embed->has_default_model_temperature);
  assert_int_equal(embed->max_context_length, 8192);

  check_ft(list->models[4], false);
  assert_null(list->models[4]->name);
  assert_null(list->models[4]->description);
  for (size_t i = 0; i < list->model_count; i++) assert_null(list->models[i]->request_id);

  /* find: by id, by alias, unknown. */
  assert_ptr_equal(mistral_model_list_find(list, "codestral-2508"), code);
  assert_ptr_equal(mistral_model_list_find(list, "codestral-latest"), code);
  assert_ptr_equal(mistral_model_list_find(list, "mistral-small-latest"), list->models[0]);
  assert_ptr_equal(mistral_model_list_find(list, FT_ID), list->models[4]);
  assert_null(mistral_model_list_find(list, "mistral-small"));
  assert_null(mistral_model_list_find(list, NULL));
  assert_null(mistral_model_list_find(NULL, "mistral-embed"));

  mistral_model_list_free(list);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* Newer servers: unknown type, flags and members, duplicates, absent
 * capabilities, dates with offsets or not dates at all. */
static void test_list_newer_server(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/list-newer.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_list *list = NULL;
  assert_int_equal(mistral_models_list(&list, client, NULL, NULL), MISTRAL_OK);
  assert_int_equal(list->model_count, 2);
  assert_string_equal(list->object, "list");
  assert_null(list->request_id);

  const mistral_model_card *tiny = list->models[0];
  assert_string_equal(tiny->id, "mistral-tiny-2601");
  assert_int_equal(tiny->type, MISTRAL_MODEL_TYPE_UNKNOWN);
  assert_string_equal(tiny->type_raw, "distilled");
  assert_null(tiny->object);
  assert_null(tiny->owned_by);
  assert_int_equal(tiny->created, 0);
  /* The duplicate "vision" counts with its last value; null is absent. */
  assert_true(tiny->capabilities->vision);
  assert_true(tiny->capabilities->completion_chat);
  assert_false(tiny->capabilities->completion_fim);
  CAPS(tiny->capabilities, "completion_chat", "telepathy", "vision");
  assert_true(mistral_model_card_has_capability(tiny, "telepathy"));
  assert_false(mistral_model_card_has_capability(tiny, "completion_fim"));
  assert_false(mistral_model_card_has_capability(tiny, NULL));
  assert_false(mistral_model_card_has_capability(NULL, "vision"));
  assert_contains(tiny->capabilities->json, "\"telepathy\":true");
  /* Unknown members stay in the card's JSON. */
  assert_contains(tiny->json, "\"pricing\":{\"input\":0.1,\"output\":0.3}");
  assert_true(tiny->internal);
  assert_int_equal(tiny->max_context_length, 65536);
  assert_string_equal(tiny->deprecation, "2026-07-01T09:30:15.250+02:00");
  assert_int_equal(tiny->deprecation_time, 1782891015);
  assert_true(tiny->has_default_model_temperature);
  assert_true(tiny->default_model_temperature == 1.0);

  const mistral_model_card *ocr = list->models[1];
  assert_string_equal(ocr->id, "mistral-ocr-2505");
  assert_int_equal(ocr->type, MISTRAL_MODEL_TYPE_BASE);
  /* No capabilities at all: all false, "{}". */
  assert_non_null(ocr->capabilities);
  assert_false(ocr->capabilities->completion_chat);
  assert_int_equal(ocr->capabilities->name_count, 0);
  assert_string_equal(ocr->capabilities->json, "{}");
  assert_false(mistral_model_card_has_capability(ocr, "completion_chat"));
  /* A deprecation that is not a date: the text, no time. */
  assert_string_equal(ocr->deprecation, "next spring");
  assert_int_equal(ocr->deprecation_time, 0);
  assert_int_equal(ocr->max_context_length, 0);
  assert_ptr_equal(mistral_model_list_find(list, "mistral-ocr-latest"), ocr);

  mistral_model_list_free(list);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_list_empty(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/list-empty.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_list *list = NULL;
  assert_int_equal(mistral_models_list(&list, client, NULL, NULL), MISTRAL_OK);
  assert_int_equal(list->model_count, 0);
  assert_non_null(list->models);
  assert_null(mistral_model_list_find(list, "mistral-embed"));
  mistral_model_list_free(list);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* Query values are percent-encoded; NULL filters send no query. */
static void test_list_filtered(void **state) {
  (void)state;
  fixture_server *fs =
      tu_server_start(KEY, "models/list-filtered.fixture", "models/list-empty.fixture", NULL);
  assert_int_equal(fixture_server_expect_text(fs,
                                              "=== request\nGET /v1/models?provider=\n\n"
                                              "=== response\nHTTP/1.1 200 OK\n\n"
                                              "{\"object\":\"list\",\"data\":[]}\n",
                                              1),
                   0);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_list *list = NULL;
  assert_int_equal(mistral_models_list_filtered(&list, client, "mistralai", FT_ID, NULL, NULL),
                   MISTRAL_OK);
  assert_int_equal(list->model_count, 1);
  check_ft(list->models[0], false);
  mistral_model_list_free(list);
  char *line = request_line(fs, 0);
  assert_string_equal(line, "GET /v1/models?provider=mistralai&model=" FT_ID_ENC " HTTP/1.1");
  free(line);

  assert_int_equal(mistral_models_list_filtered(&list, client, NULL, NULL, NULL, NULL),
                   MISTRAL_OK);
  mistral_model_list_free(list);

  /* A value with CR, LF or invalid UTF-8 is refused before any traffic. */
  mistral_error *err = mistral_error_new();
  const char *bad[] = {"mistral\r\nX-Evil: 1", "mistral\n", "caf\xe9"};
  for (size_t i = 0; i < 3; i++) {
    list = (mistral_model_list *)1;
    assert_int_equal(mistral_models_list_filtered(&list, client, bad[i], NULL, NULL, err),
                     MISTRAL_E_INVALID_ARG);
    assert_null(list);
    assert_contains(mistral_error_message(err), "provider");
    assert_int_equal(mistral_models_list_filtered(&list, client, NULL, bad[i], NULL, err),
                     MISTRAL_E_INVALID_ARG);
    assert_contains(mistral_error_message(err), "model");
  }
  assert_int_equal(fixture_server_requests(fs), 2);
  /* An empty value is sent as such. */
  assert_int_equal(mistral_models_list_filtered(&list, client, "", NULL, NULL, err), MISTRAL_OK);
  assert_int_equal(list->model_count, 0);
  mistral_model_list_free(list);
  line = request_line(fs, 2);
  assert_string_equal(line, "GET /v1/models?provider= HTTP/1.1");
  free(line);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* An id that is also another card's alias: the id wins. */
static void test_list_find_prefers_id(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  assert_int_equal(
      fixture_server_expect_text(
          fs,
          "=== request\nGET /v1/models\n\n=== response\nHTTP/1.1 200 OK\n"
          "content-type: application/json\n\n"
          "{\"object\":\"list\",\"data\":[{\"id\":\"mistral-small-2506\",\"aliases\":"
          "[\"mistral-small-latest\"],\"capabilities\":{}},{\"id\":\"mistral-small-latest\","
          "\"aliases\":[\"mistral-small-2506\"],\"capabilities\":{}}]}\n",
          1),
      0);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_list *list = NULL;
  assert_int_equal(mistral_models_list(&list, client, NULL, NULL), MISTRAL_OK);
  assert_ptr_equal(mistral_model_list_find(list, "mistral-small-latest"), list->models[1]);
  assert_ptr_equal(mistral_model_list_find(list, "mistral-small-2506"), list->models[0]);
  assert_int_equal(list->models[0]->type, MISTRAL_MODEL_TYPE_UNKNOWN);
  assert_null(list->models[0]->type_raw);
  mistral_model_list_free(list);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_list_401(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/list-401.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_list *list = (mistral_model_list *)1;
  assert_int_equal(mistral_models_list(&list, client, NULL, err), MISTRAL_E_UNAUTHORIZED);
  assert_null(list);
  assert_int_equal(mistral_error_code(err), MISTRAL_E_UNAUTHORIZED);
  assert_int_equal(mistral_error_http_status(err), 401);
  assert_string_equal(mistral_error_api_message(err), "Unauthorized");
  assert_string_equal(mistral_error_request_id(err), "8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d");
  assert_false(mistral_error_is_retryable(err));
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* ------------------------------------------------------------------------ */
/* retrieve                                                                 */

static void test_retrieve_by_alias(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/retrieve-base.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_card *card = NULL;
  assert_int_equal(mistral_models_retrieve(&card, client, "mistral-small-latest", NULL, err),
                   MISTRAL_OK);
  check_small(card);
  assert_string_equal(card->request_id, "019ac6c2-0f5a-7c62-9d25-3a7f9b1d4e62");
  /* The card's JSON is the body, compact. */
  size_t len;
  char *body = tu_fixture_body("models/retrieve-base.fixture", &len);
  assert_string_equal(card->json, body);
  free(body);
  mistral_model_card_free(card);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* A fine-tuned model's id goes out percent-encoded. */
static void test_retrieve_fine_tuned_encoded(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/retrieve-ft.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_card *card = NULL;
  assert_int_equal(mistral_models_retrieve(&card, client, FT_ID, NULL, NULL), MISTRAL_OK);
  check_ft(card, true);
  assert_string_equal(card->name, "support-bot");
  assert_string_equal(card->description, FT_DESCRIPTION);
  assert_string_equal(card->request_id, "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b");
  char *line = request_line(fs, 0);
  assert_string_equal(line, "GET /v1/models/" FT_ID_ENC " HTTP/1.1");
  free(line);
  mistral_model_card_free(card);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* '/', '?', '#', '%' and spaces stay inside the one segment. */
static void test_retrieve_slash_id_404(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/retrieve-slash.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_card *card = (mistral_model_card *)1;
  assert_int_equal(mistral_models_retrieve(&card, client, "acme/support bot?v=2#x%y", NULL, err),
                   MISTRAL_E_NOT_FOUND);
  assert_null(card);
  char *line = request_line(fs, 0);
  assert_string_equal(line, "GET /v1/models/acme%2Fsupport%20bot%3Fv%3D2%23x%25y HTTP/1.1");
  free(line);
  assert_string_equal(mistral_error_api_message(err), "Invalid model: acme/support bot?v=2#x%y");
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_retrieve_404(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/retrieve-404.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_card *card = (mistral_model_card *)1;
  assert_int_equal(mistral_models_retrieve(&card, client, "mistral-nonexistent-model", NULL, err),
                   MISTRAL_E_NOT_FOUND);
  assert_null(card);
  assert_int_equal(mistral_error_http_status(err), 404);
  assert_string_equal(mistral_error_api_message(err), "Invalid model: mistral-nonexistent-model");
  assert_string_equal(mistral_error_api_type(err), "invalid_model");
  assert_string_equal(mistral_error_api_code(err), "1500");
  assert_string_equal(mistral_error_request_id(err), "0c9b8a7f6e5d44c3b2a1f0e9d8c7b6a5");
  assert_false(mistral_error_is_retryable(err));
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* ------------------------------------------------------------------------ */
/* delete, update, archive, unarchive                                       */

static void test_delete(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/delete.fixture", NULL);
  tu_expect(fs, "models/delete.fixture", 1);
  tu_expect(fs, "models/delete-base-400.fixture", 1);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_result *r = NULL;
  assert_int_equal(mistral_models_delete(&r, client, FT_ID, NULL, err), MISTRAL_OK);
  assert_string_equal(r->id, FT_ID);
  assert_string_equal(r->object, "model");
  assert_true(r->deleted);
  assert_false(r->archived);
  assert_string_equal(r->request_id, "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d");
  size_t len;
  char *body = tu_fixture_body("models/delete.fixture", &len);
  assert_int_equal(r->raw_json_len, len);
  assert_string_equal(r->raw_json, body);
  free(body);
  mistral_model_result_free(r);
  char *line = request_line(fs, 0);
  assert_string_equal(line, "DELETE /v1/models/" FT_ID_ENC " HTTP/1.1");
  free(line);

  /* Without out: the status alone. */
  assert_int_equal(mistral_models_delete(NULL, client, FT_ID, NULL, err), MISTRAL_OK);
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);

  /* A base model cannot be deleted: 400. */
  r = (mistral_model_result *)1;
  assert_int_equal(mistral_models_delete(&r, client, "mistral-small-latest", NULL, err),
                   MISTRAL_E_HTTP);
  assert_null(r);
  assert_int_equal(mistral_error_http_status(err), 400);
  assert_string_equal(mistral_error_api_message(err), "Only fine-tuned models can be deleted.");
  assert_string_equal(mistral_error_api_type(err), "invalid_request_error");
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_update(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/update.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_card *card = NULL;
  int rc = mistral_models_update(&card, client, FT_ID, "support-bot", FT_DESCRIPTION, NULL, err);
  if (rc) fail_msg("%s", mistral_error_message(err));
  assert_string_equal(card->id, FT_ID);
  assert_int_equal(card->type, MISTRAL_MODEL_TYPE_FINE_TUNED);
  assert_null(card->type_raw);
  assert_string_equal(card->model_type, "completion");
  assert_string_equal(card->workspace_id, "c0ffee00-1234-4abc-8def-0123456789ab");
  assert_string_equal(card->root_version, "0.1");
  assert_string_equal(card->root, "open-mistral-7b");
  assert_string_equal(card->job, "7e773925-0f6a-4d1b-8c2e-5a9b3d4f6e10");
  assert_string_equal(card->name, "support-bot");
  assert_string_equal(card->description, FT_DESCRIPTION);
  assert_false(card->archived);
  assert_int_equal(card->created, 1715696400);
  assert_int_equal(card->max_context_length, 32768);
  CAPS(card->capabilities, "completion_chat");
  assert_null(card->classifier_targets_json);
  assert_string_equal(card->request_id, "1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a");
  mistral_model_card_free(card);
  char *line = request_line(fs, 0);
  assert_string_equal(line, "PATCH /v1/fine_tuning/models/" FT_ID_ENC " HTTP/1.1");
  free(line);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* A name alone (non-ASCII); a classifier's targets; the description is
 * not sent. */
static void test_update_classifier_name_only(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, "models/update-classifier.fixture", NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_card *card = NULL;
  assert_int_equal(mistral_models_update(&card, client,
                                         "ft:ministral-3b-latest:587a6b29:20250301:c1a55e01",
                                         "ticket-router \xe2\x9c\x93", NULL, NULL, NULL),
                   MISTRAL_OK);
  assert_string_equal(card->name, "ticket-router \xe2\x9c\x93");
  assert_null(card->description);
  assert_null(card->job);
  assert_string_equal(card->model_type, "classifier");
  assert_int_equal(card->type, MISTRAL_MODEL_TYPE_FINE_TUNED);
  assert_true(card->capabilities->classification);
  assert_false(card->capabilities->completion_chat);
  assert_string_equal(card->classifier_targets_json,
                      "[{\"name\":\"department\",\"labels\":[\"billing\",\"technical\","
                      "\"sales\"],\"weight\":1.0,\"loss_function\":\"single_class\"}]");
  assert_null(card->request_id);
  mistral_model_card_free(card);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* Neither name nor description: an empty object. */
static void test_update_nothing(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  assert_int_equal(fixture_server_expect_text(
                       fs,
                       "=== request\nPATCH /v1/fine_tuning/models/" FT_ID_ENC "\n"
                       "content-type: application/json\n\n{}\n=== response\nHTTP/1.1 200 OK\n"
                       "content-type: application/json\n\n{\"id\":\"" FT_ID "\","
                       "\"type\":\"fine-tuned\",\"archived\":true}\n",
                       1),
                   0);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_card *card = NULL;
  assert_int_equal(mistral_models_update(&card, client, FT_ID, NULL, NULL, NULL, NULL),
                   MISTRAL_OK);
  assert_int_equal(card->type, MISTRAL_MODEL_TYPE_FINE_TUNED);
  assert_string_equal(card->type_raw, "fine-tuned");
  assert_true(card->archived);
  assert_string_equal(card->capabilities->json, "{}");
  mistral_model_card_free(card);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_archive_unarchive(void **state) {
  (void)state;
  fixture_server *fs =
      tu_server_start(KEY, "models/archive.fixture", "models/unarchive.fixture", NULL);
  tu_expect(fs, "models/archive.fixture", 1);
  tu_expect(fs, "models/unarchive.fixture", 1);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_result *r = NULL;
  assert_int_equal(mistral_models_archive(&r, client, FT_ID, NULL, err), MISTRAL_OK);
  assert_string_equal(r->id, FT_ID);
  assert_string_equal(r->object, "model");
  assert_true(r->archived);
  assert_false(r->deleted);
  assert_null(r->request_id);
  mistral_model_result_free(r);
  char *req = fixture_server_received(fs, 0);
  assert_non_null(req);
  assert_int_equal(strncmp(req, "POST /v1/fine_tuning/models/" FT_ID_ENC "/archive HTTP/1.1",
                           strlen("POST /v1/fine_tuning/models/" FT_ID_ENC "/archive HTTP/1.1")),
                   0);
  /* An empty POST says so: "Content-Length: 0" (any case), and no body. */
  for (char *p = req; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  assert_contains(req, "\r\ncontent-length: 0\r\n");
  assert_int_equal(strcmp(req + strlen(req) - 4, "\r\n\r\n"), 0);
  free(req);

  assert_int_equal(mistral_models_unarchive(&r, client, FT_ID, NULL, err), MISTRAL_OK);
  assert_string_equal(r->id, FT_ID);
  assert_false(r->archived);
  assert_false(r->deleted);
  mistral_model_result_free(r);
  char *line = request_line(fs, 1);
  assert_string_equal(line, "DELETE /v1/fine_tuning/models/" FT_ID_ENC "/archive HTTP/1.1");
  free(line);

  assert_int_equal(mistral_models_archive(NULL, client, FT_ID, NULL, err), MISTRAL_OK);
  assert_int_equal(mistral_models_unarchive(NULL, client, FT_ID, NULL, err), MISTRAL_OK);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* "deleted" and "archived" absent: the API's defaults. */
static void test_result_defaults(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  static const char *const texts[] = {
      "=== request\nDELETE /v1/models/" FT_ID_ENC "\n\n=== response\nHTTP/1.1 200 OK\n\n"
      "{\"id\":\"" FT_ID "\",\"deleted\":null}\n",
      "=== request\nPOST /v1/fine_tuning/models/" FT_ID_ENC "/archive\n\n=== response\n"
      "HTTP/1.1 200 OK\n\n{\"id\":\"" FT_ID "\"}\n",
      "=== request\nDELETE /v1/fine_tuning/models/" FT_ID_ENC "/archive\n\n=== response\n"
      "HTTP/1.1 200 OK\n\n{\"id\":\"" FT_ID "\"}\n",
      "=== request\nDELETE /v1/models/" FT_ID_ENC "\n\n=== response\nHTTP/1.1 200 OK\n\n"
      "{\"id\":\"" FT_ID "\",\"deleted\":false}\n",
  };
  for (size_t i = 0; i < 4; i++) assert_int_equal(fixture_server_expect_text(fs, texts[i], 1), 0);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_result *r = NULL;
  assert_int_equal(mistral_models_delete(&r, client, FT_ID, NULL, NULL), MISTRAL_OK);
  assert_true(r->deleted);
  assert_null(r->object);
  mistral_model_result_free(r);
  assert_int_equal(mistral_models_archive(&r, client, FT_ID, NULL, NULL), MISTRAL_OK);
  assert_true(r->archived);
  mistral_model_result_free(r);
  assert_int_equal(mistral_models_unarchive(&r, client, FT_ID, NULL, NULL), MISTRAL_OK);
  assert_false(r->archived);
  mistral_model_result_free(r);
  assert_int_equal(mistral_models_delete(&r, client, FT_ID, NULL, NULL), MISTRAL_OK);
  assert_false(r->deleted);
  mistral_model_result_free(r);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* ------------------------------------------------------------------------ */
/* Bad input: refused before any traffic                                    */

/* Every call taking a model id, with this id: INVALID_ARG naming
 * "model_id", every out NULL. */
static void assert_id_refused(mistral_client *client, const char *id) {
  mistral_error *err = mistral_error_new();
  mistral_model_card *card = (mistral_model_card *)1;
  mistral_model_result *r = (mistral_model_result *)1;
  int rcs[6];
  const char *msgs[6];
  char buf[6][256];
  rcs[0] = mistral_models_retrieve(&card, client, id, NULL, err);
  snprintf(buf[0], sizeof buf[0], "%s", mistral_error_message(err));
  assert_null(card);
  card = (mistral_model_card *)1;
  rcs[1] = mistral_models_update(&card, client, id, "n", "d", NULL, err);
  snprintf(buf[1], sizeof buf[1], "%s", mistral_error_message(err));
  assert_null(card);
  rcs[2] = mistral_models_delete(&r, client, id, NULL, err);
  snprintf(buf[2], sizeof buf[2], "%s", mistral_error_message(err));
  assert_null(r);
  r = (mistral_model_result *)1;
  rcs[3] = mistral_models_archive(&r, client, id, NULL, err);
  snprintf(buf[3], sizeof buf[3], "%s", mistral_error_message(err));
  assert_null(r);
  r = (mistral_model_result *)1;
  rcs[4] = mistral_models_unarchive(&r, client, id, NULL, err);
  snprintf(buf[4], sizeof buf[4], "%s", mistral_error_message(err));
  assert_null(r);
  rcs[5] = mistral_models_delete(NULL, client, id, NULL, err);
  snprintf(buf[5], sizeof buf[5], "%s", mistral_error_message(err));
  for (size_t i = 0; i < 6; i++) {
    msgs[i] = buf[i];
    if (rcs[i] != MISTRAL_E_INVALID_ARG) fail_msg("call %zu: rc %d for a bad id", i, rcs[i]);
    assert_contains(msgs[i], "model_id");
    assert_string_equal(msgs[i], msgs[0]);
  }
  assert_int_equal(mistral_error_code(err), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_error_http_status(err), 0);
  mistral_error_free(err);
}

static void test_bad_model_ids(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  static const char *const bad_ids[] = {
      NULL,
      "",
      ".",
      "..",
      "mistral-small\r\nX-Injected: 1",
      "mistral\rsmall",
      "mistral\nsmall",
      "ft:\xff\xfe",
      "caf\xc3",               /* cut sequence */
      "\xc0\xaf",              /* overlong '/' */
      "\xed\xa0\x80",          /* surrogate */
  };
  for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) assert_id_refused(client, bad_ids[i]);
  /* Nothing reached the server. */
  assert_int_equal(fixture_server_connections(fs), 0);
  assert_int_equal(fixture_server_requests(fs), 0);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_bad_messages(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_card *card = NULL;
  assert_int_equal(mistral_models_retrieve(&card, client, NULL, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "model_id is NULL");
  assert_int_equal(mistral_models_retrieve(&card, client, "", NULL, err), MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "model_id: must not be empty");
  assert_int_equal(mistral_models_retrieve(&card, client, "..", NULL, err), MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "model_id: \"..\" is not a valid path segment");
  assert_int_equal(mistral_models_retrieve(&card, client, "a\nb", NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "model_id: contains an LF");
  assert_int_equal(mistral_models_retrieve(&card, client, "a\rb", NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "model_id: contains a CR");
  assert_int_equal(mistral_models_retrieve(&card, client, "ab\xff", NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "model_id: invalid UTF-8 at byte 2");
  assert_int_equal(fixture_server_connections(fs), 0);
  /* Dots are fine where they do not make a dot segment: sent as is. */
  assert_int_equal(fixture_server_expect_text(fs,
                                              "=== request\nGET /v1/models/...\n\n"
                                              "=== response\nHTTP/1.1 200 OK\n\n"
                                              "{\"id\":\"...\"}\n",
                                              1),
                   0);
  assert_int_equal(fixture_server_expect_text(fs,
                                              "=== request\nGET /v1/models/.a..\n\n"
                                              "=== response\nHTTP/1.1 200 OK\n\n"
                                              "{\"id\":\".a..\"}\n",
                                              1),
                   0);
  assert_int_equal(mistral_models_retrieve(&card, client, "...", NULL, err), MISTRAL_OK);
  assert_string_equal(card->id, "...");
  mistral_model_card_free(card);
  assert_int_equal(mistral_models_retrieve(&card, client, ".a..", NULL, err), MISTRAL_OK);
  assert_string_equal(card->id, ".a..");
  mistral_model_card_free(card);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_null_arguments(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_model_list *list = (mistral_model_list *)1;
  mistral_model_card *card = (mistral_model_card *)1;
  mistral_model_result *r = (mistral_model_result *)1;

  assert_int_equal(mistral_models_list(NULL, client, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "out is NULL");
  assert_int_equal(mistral_models_list_filtered(NULL, client, "a", "b", NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_models_retrieve(NULL, client, FT_ID, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "out is NULL");
  assert_int_equal(mistral_models_update(NULL, client, FT_ID, "n", NULL, NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_string_equal(mistral_error_message(err), "out is NULL");

  assert_int_equal(mistral_models_list(&list, NULL, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(list);
  assert_string_equal(mistral_error_message(err), "client is NULL");
  list = (mistral_model_list *)1;
  assert_int_equal(mistral_models_list_filtered(&list, NULL, NULL, NULL, NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(list);
  assert_int_equal(mistral_models_retrieve(&card, NULL, FT_ID, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(card);
  card = (mistral_model_card *)1;
  assert_int_equal(mistral_models_update(&card, NULL, FT_ID, NULL, NULL, NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(card);
  assert_int_equal(mistral_models_delete(&r, NULL, FT_ID, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(r);
  r = (mistral_model_result *)1;
  assert_int_equal(mistral_models_archive(&r, NULL, FT_ID, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(r);
  r = (mistral_model_result *)1;
  assert_int_equal(mistral_models_unarchive(&r, NULL, FT_ID, NULL, err), MISTRAL_E_INVALID_ARG);
  assert_null(r);
  assert_string_equal(mistral_error_message(err), "client is NULL");
  /* Without an error object, the status alone. */
  assert_int_equal(mistral_models_delete(NULL, NULL, FT_ID, NULL, NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_models_retrieve(&card, client, NULL, NULL, NULL),
                   MISTRAL_E_INVALID_ARG);

  /* Name and description must be UTF-8. */
  card = (mistral_model_card *)1;
  assert_int_equal(mistral_models_update(&card, client, FT_ID, "bad\xff", NULL, NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_null(card);
  assert_contains(mistral_error_message(err), "name");
  assert_int_equal(mistral_models_update(&card, client, FT_ID, NULL, "\xc3(", NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_contains(mistral_error_message(err), "description");

  /* Freeing NULL is fine. */
  mistral_model_list_free(NULL);
  mistral_model_card_free(NULL);
  mistral_model_result_free(NULL);

  assert_int_equal(fixture_server_connections(fs), 0);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_no_api_key(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  tu_clean_env();
  mistral_client *client = NULL;
  assert_int_equal(mistral_client_new(&client), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(client, fixture_server_url(fs)), MISTRAL_OK);
  mistral_error *err = mistral_error_new();
  mistral_model_list *list = NULL;
  assert_int_equal(mistral_models_list(&list, client, NULL, err), MISTRAL_E_NO_API_KEY);
  assert_null(list);
  assert_int_equal(mistral_models_delete(NULL, client, FT_ID, NULL, err), MISTRAL_E_NO_API_KEY);
  /* A bad id is reported first: it is the caller's bug either way. */
  assert_int_equal(mistral_models_delete(NULL, client, "a\nb", NULL, err),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(fixture_server_connections(fs), 0);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* ------------------------------------------------------------------------ */
/* Malformed bodies and wrong shapes                                        */

typedef enum { CALL_LIST, CALL_RETRIEVE, CALL_DELETE, CALL_ARCHIVE, CALL_UPDATE } call_kind;

static const char *const call_lines[] = {
    "GET /v1/models",
    "GET /v1/models/" FT_ID_ENC,
    "DELETE /v1/models/" FT_ID_ENC,
    "POST /v1/fine_tuning/models/" FT_ID_ENC "/archive",
    "PATCH /v1/fine_tuning/models/" FT_ID_ENC,
};

/* Serves body with status 200 to the call and checks that it fails with
 * MISTRAL_E_BAD_RESPONSE, a message holding needle, the HTTP status and
 * request id kept, and no output. */
static void assert_bad_body(call_kind kind, const char *body, const char *needle) {
  fixture_server *fs = tu_server_start(KEY, NULL);
  size_t n = strlen(body) + 512;
  char *text = malloc(n);
  assert_non_null(text);
  snprintf(text, n,
           "=== request\n%s\n\n%s=== response\nHTTP/1.1 200 OK\ncontent-type: application/json\n"
           "x-request-id: bad-body-rid\n\n%s\n",
           call_lines[kind], kind == CALL_UPDATE ? "{\"name\":\"x\"}\n" : "", body);
  assert_int_equal(fixture_server_expect_text(fs, text, 1), 0);
  free(text);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_error *err = mistral_error_new();
  void *out = (void *)1;
  int rc = MISTRAL_OK;
  switch (kind) {
  case CALL_LIST: rc = mistral_models_list((mistral_model_list **)&out, client, NULL, err); break;
  case CALL_RETRIEVE:
    rc = mistral_models_retrieve((mistral_model_card **)&out, client, FT_ID, NULL, err);
    break;
  case CALL_DELETE:
    rc = mistral_models_delete((mistral_model_result **)&out, client, FT_ID, NULL, err);
    break;
  case CALL_ARCHIVE:
    rc = mistral_models_archive((mistral_model_result **)&out, client, FT_ID, NULL, err);
    break;
  case CALL_UPDATE:
    rc = mistral_models_update((mistral_model_card **)&out, client, FT_ID, "x", NULL, NULL, err);
    break;
  }
  if (rc != MISTRAL_E_BAD_RESPONSE)
    fail_msg("%s with body %s: rc %d (%s)", call_lines[kind], body, rc,
             mistral_error_message(err));
  assert_null(out);
  assert_contains(mistral_error_message(err), "malformed models response");
  assert_contains(mistral_error_message(err), needle);
  assert_int_equal(mistral_error_http_status(err), 200);
  assert_string_equal(mistral_error_request_id(err), "bad-body-rid");
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

static void test_malformed_bodies(void **state) {
  (void)state;
  for (call_kind k = CALL_LIST; k <= CALL_UPDATE; k++) {
    assert_bad_body(k, "", "empty body");
    assert_bad_body(k, "{\"id\":", "invalid JSON at byte 6");
    assert_bad_body(k, "{\"id\":\"x\"} trailing", "invalid JSON at byte 11");
    assert_bad_body(k, "[]", "not a JSON object");
    assert_bad_body(k, "\"model\"", "not a JSON object");
    assert_bad_body(k, "null", "not a JSON object");
  }
}

static void test_wrong_list_shapes(void **state) {
  (void)state;
  assert_bad_body(CALL_LIST, "{\"object\":\"list\"}", "no \"data\" array");
  assert_bad_body(CALL_LIST, "{\"data\":null}", "no \"data\" array");
  assert_bad_body(CALL_LIST, "{\"data\":{\"id\":\"m\"}}", "no \"data\" array");
  assert_bad_body(CALL_LIST, "{\"object\":7,\"data\":[]}", "object is not a string");
  assert_bad_body(CALL_LIST, "{\"data\":[{\"id\":\"a\"},\"b\"]}", "data[1] is not an object");
  assert_bad_body(CALL_LIST, "{\"data\":[{\"id\":\"a\"},{\"name\":\"b\"}]}",
                  "data[1].id is not a string");
  assert_bad_body(CALL_LIST, "{\"data\":[{\"id\":\"a\",\"capabilities\":{\"vision\":\"yes\"}}]}",
                  "data[0].capabilities.vision is not a boolean");
  assert_bad_body(CALL_LIST, "{\"data\":[{\"id\":\"a\",\"aliases\":[\"b\",null]}]}",
                  "data[0].aliases[1] is not a string");
}

static void test_wrong_card_shapes(void **state) {
  (void)state;
  static const struct {
    const char *body;
    const char *needle;
  } cases[] = {
      {"{\"object\":\"model\"}", "id is not a string"},
      {"{\"id\":null}", "id is not a string"},
      {"{\"id\":42}", "id is not a string"},
      {"{\"id\":\"m\",\"object\":[]}", "object is not a string"},
      {"{\"id\":\"m\",\"created\":\"1764240600\"}", "created is not an integer"},
      {"{\"id\":\"m\",\"created\":1764240600.5}", "created is not an integer"},
      {"{\"id\":\"m\",\"owned_by\":1}", "owned_by is not a string"},
      {"{\"id\":\"m\",\"type\":1}", "type is not a string"},
      {"{\"id\":\"m\",\"capabilities\":[]}", "capabilities is not an object"},
      {"{\"id\":\"m\",\"capabilities\":true}", "capabilities is not an object"},
      {"{\"id\":\"m\",\"capabilities\":{\"completion_chat\":1}}",
       "capabilities.completion_chat is not a boolean"},
      {"{\"id\":\"m\",\"capabilities\":{\"telepathy\":\"maybe\"}}",
       "capabilities.telepathy is not a boolean"},
      {"{\"id\":\"m\",\"name\":false}", "name is not a string"},
      {"{\"id\":\"m\",\"description\":{}}", "description is not a string"},
      {"{\"id\":\"m\",\"max_context_length\":\"32k\"}", "max_context_length is not an integer"},
      {"{\"id\":\"m\",\"aliases\":\"mistral-small-latest\"}", "aliases is not an array"},
      {"{\"id\":\"m\",\"aliases\":[1]}", "aliases[0] is not a string"},
      {"{\"id\":\"m\",\"deprecation\":1764504000}", "deprecation is not a string"},
      {"{\"id\":\"m\",\"deprecation_replacement_model\":true}",
       "deprecation_replacement_model is not a string"},
      {"{\"id\":\"m\",\"default_model_temperature\":\"0.3\"}",
       "default_model_temperature is not a number"},
      {"{\"id\":\"m\",\"internal\":\"no\"}", "internal is not a boolean"},
      {"{\"id\":\"m\",\"job\":7}", "job is not a string"},
      {"{\"id\":\"m\",\"root\":[]}", "root is not a string"},
      {"{\"id\":\"m\",\"archived\":0}", "archived is not a boolean"},
      {"{\"id\":\"m\",\"model_type\":0}", "model_type is not a string"},
      {"{\"id\":\"m\",\"workspace_id\":0}", "workspace_id is not a string"},
      {"{\"id\":\"m\",\"root_version\":2410}", "root_version is not a string"},
      {"{\"id\":\"m\",\"classifier_targets\":{}}", "classifier_targets is not an array"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    assert_bad_body(CALL_RETRIEVE, cases[i].body, cases[i].needle);
    /* The same card inside a list names its place. */
    char body[512], needle[256];
    snprintf(body, sizeof body, "{\"data\":[{\"id\":\"ok\"},%s]}", cases[i].body);
    snprintf(needle, sizeof needle, "data[1].%s", cases[i].needle);
    assert_bad_body(CALL_LIST, body, needle);
  }
  assert_bad_body(CALL_UPDATE, "{\"id\":\"m\",\"archived\":\"true\"}", "archived is not a boolean");
}

static void test_wrong_result_shapes(void **state) {
  (void)state;
  assert_bad_body(CALL_DELETE, "{\"object\":\"model\",\"deleted\":true}", "id is not a string");
  assert_bad_body(CALL_DELETE, "{\"id\":\"m\",\"deleted\":\"true\"}", "deleted is not a boolean");
  assert_bad_body(CALL_DELETE, "{\"id\":\"m\",\"object\":1}", "object is not a string");
  assert_bad_body(CALL_ARCHIVE, "{\"id\":[\"m\"]}", "id is not a string");
  assert_bad_body(CALL_ARCHIVE, "{\"id\":\"m\",\"archived\":1}", "archived is not a boolean");
}

/* Null members count as absent. */
static void test_nulls_are_absent(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  assert_int_equal(
      fixture_server_expect_text(
          fs,
          "=== request\nGET /v1/models/m\n\n=== response\nHTTP/1.1 200 OK\n\n"
          "{\"id\":\"m\",\"object\":null,\"created\":null,\"owned_by\":null,\"type\":null,"
          "\"capabilities\":null,\"name\":null,\"description\":null,\"max_context_length\":null,"
          "\"aliases\":null,\"deprecation\":null,\"deprecation_replacement_model\":null,"
          "\"default_model_temperature\":null,\"internal\":null,\"job\":null,\"root\":null,"
          "\"archived\":null,\"classifier_targets\":null}\n",
          1),
      0);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_model_card *c = NULL;
  assert_int_equal(mistral_models_retrieve(&c, client, "m", NULL, NULL), MISTRAL_OK);
  assert_string_equal(c->id, "m");
  assert_null(c->object);
  assert_int_equal(c->created, 0);
  assert_int_equal(c->type, MISTRAL_MODEL_TYPE_UNKNOWN);
  assert_null(c->type_raw);
  assert_string_equal(c->capabilities->json, "{}");
  assert_int_equal(c->alias_count, 0);
  assert_false(c->has_default_model_temperature);
  assert_false(c->internal);
  assert_false(c->archived);
  assert_null(c->classifier_targets_json);
  mistral_model_card_free(c);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* ------------------------------------------------------------------------ */
/* Per-call options                                                         */

static void test_call_options_timeout(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(KEY, NULL);
  assert_int_equal(fixture_server_expect_text(fs,
                                              "% delay-ms 2000\n=== request\nGET /v1/models\n\n"
                                              "=== response\nHTTP/1.1 200 OK\n\n"
                                              "{\"object\":\"list\",\"data\":[]}\n",
                                              1),
                   0);
  mistral_client *client = tu_client(fs, KEY, 1);
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_timeout_ms(opts, 200), MISTRAL_OK);
  mistral_error *err = mistral_error_new();
  mistral_model_list *list = (mistral_model_list *)1;
  assert_int_equal(mistral_models_list(&list, client, opts, err), MISTRAL_E_TIMEOUT);
  assert_null(list);
  assert_true(mistral_error_is_retryable(err));
  mistral_call_options_free(opts);
  mistral_error_free(err);
  mistral_client_free(client);
  tu_assert_served(fs);
  fixture_server_stop(fs);
}

/* A server that is not there: a port bound but never listening (held
 * for the whole call, so no other test can take it) refuses the
 * connection. */
static void test_connect_error(void **state) {
  (void)state;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t alen = sizeof a;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
  mistral_client *client = tu_client_for_url(url, KEY, 0);
  mistral_error *err = mistral_error_new();
  mistral_model_card *card = (mistral_model_card *)1;
  assert_int_equal(mistral_models_retrieve(&card, client, FT_ID, NULL, err), MISTRAL_E_CONNECT);
  assert_null(card);
  assert_int_equal(mistral_error_http_status(err), 0);
  assert_true(mistral_error_is_retryable(err));
  close(fd);
  mistral_error_free(err);
  mistral_client_free(client);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_list_every_field),
      cmocka_unit_test(test_list_newer_server),
      cmocka_unit_test(test_list_empty),
      cmocka_unit_test(test_list_filtered),
      cmocka_unit_test(test_list_find_prefers_id),
      cmocka_unit_test(test_list_401),
      cmocka_unit_test(test_retrieve_by_alias),
      cmocka_unit_test(test_retrieve_fine_tuned_encoded),
      cmocka_unit_test(test_retrieve_slash_id_404),
      cmocka_unit_test(test_retrieve_404),
      cmocka_unit_test(test_delete),
      cmocka_unit_test(test_update),
      cmocka_unit_test(test_update_classifier_name_only),
      cmocka_unit_test(test_update_nothing),
      cmocka_unit_test(test_archive_unarchive),
      cmocka_unit_test(test_result_defaults),
      cmocka_unit_test(test_bad_model_ids),
      cmocka_unit_test(test_bad_messages),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_no_api_key),
      cmocka_unit_test(test_malformed_bodies),
      cmocka_unit_test(test_wrong_list_shapes),
      cmocka_unit_test(test_wrong_card_shapes),
      cmocka_unit_test(test_wrong_result_shapes),
      cmocka_unit_test(test_nulls_are_absent),
      cmocka_unit_test(test_call_options_timeout),
      cmocka_unit_test(test_connect_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
