/* The OCR request builder (mistral/ocr.h) without the network: the body for
 * every field and document kind, local files turned into data: URIs (PDF,
 * DOCX, PPTX, each image type; refused files), explicit nulls and unset,
 * and every bad input: NULL arguments, invalid UTF-8 and JSON, out-of-range
 * values, unknown enum values, errors that stick to the request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt_util.h"

#define MODEL "mistral-ocr-latest"
#define DOC_URL "https://example.com/a.pdf"
#define BASE "\"model\":\"" MODEL "\",\"document\":{\"type\":\"document_url\",\"document_url\":\"" DOC_URL "\"}"
#define BAD_UTF8 "caf\xc3("

static char tmpdir[256];

static int make_tmpdir(void **state) {
  (void)state;
  const char *t = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/mistral-ocr-req-XXXXXX", t && *t ? t : "/tmp");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) {
  (void)state;
  static const char *const names[] = {"x.docx", "y.PPTX", "z.zip", "text.txt", "empty.pdf",
                                      "big.pdf", "a.gif", "b.webp", "c.tif", "d.tiff",
                                      "e.jpg", "f.avif", "g.gif"};
  char path[512];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
    unlink(path);
  }
  rmdir(tmpdir);
  return 0;
}

static void tmp_path(const char *name, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void write_bytes(const char *name, const void *data, size_t n) {
  char path[512];
  tmp_path(name, path, sizeof path);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

static mistral_ocr_request *base_req(void) {
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_url(req, DOC_URL, NULL), MISTRAL_OK);
  return req;
}

static char *body_of(const mistral_ocr_request *req, const char *file, int line) {
  mistral_error *err = mistral_error_new();
  char *json = NULL;
  int rc = mistral_ocr_request_to_json(&json, req, err);
  if (rc != MISTRAL_OK) {
    print_error("to_json: %d (%s)\n", rc, mistral_error_message(err));
    mistral_error_free(err);
    _fail(file, line);
  }
  mistral_error_free(err);
  return json;
}

static void assert_body_at(const mistral_ocr_request *req, const char *want, const char *file,
                           int line) {
  char *json = body_of(req, file, line);
  tu_assert_json_at(json, want, file, line);
  mistral_free(json);
}
#define assert_body(req, want) assert_body_at((req), (want), __FILE__, __LINE__)

/* {BASE, members} */
static void assert_base_with_at(const mistral_ocr_request *req, const char *members,
                                const char *file, int line) {
  char want[4096];
  snprintf(want, sizeof want, "{" BASE "%s%s}", *members ? "," : "", members);
  assert_body_at(req, want, file, line);
}
#define assert_base_with(req, members) assert_base_with_at((req), (members), __FILE__, __LINE__)

static void assert_refused_at(const mistral_ocr_request *req, int code, const char *needle,
                              const char *file, int line) {
  mistral_error *err = mistral_error_new();
  char *json = (char *)"sentinel";
  int rc = mistral_ocr_request_to_json(&json, req, err);
  if (rc == MISTRAL_OK) mistral_free(json);
  mt_assert_failed_at(rc, err, code, needle, file, line);
  _assert_true(json == NULL, "to_json left *out set", file, line);
  mistral_error_free(err);
}
#define assert_refused(req, needle) \
  assert_refused_at((req), MISTRAL_E_INVALID_ARG, (needle), __FILE__, __LINE__)

/* A setter failed with code naming needle, and marked the request. */
static void assert_marked_at(const mistral_ocr_request *req, int rc, int code,
                             const char *needle, const char *file, int line) {
  _assert_int_equal(rc, code, file, line);
  assert_refused_at(req, code, needle, file, line);
  assert_refused_at(req, code, "invalid request: ", file, line);
}
#define assert_marked(req, rc, needle) \
  assert_marked_at((req), (rc), MISTRAL_E_INVALID_ARG, (needle), __FILE__, __LINE__)

/* ---- fields ---- */

static void test_minimal_and_documents(void **state) {
  (void)state;
  mistral_ocr_request *req = base_req();
  assert_base_with(req, "");
  assert_int_equal(mistral_ocr_request_set_document_url(req, DOC_URL, "a.pdf"), MISTRAL_OK);
  assert_body(req, "{\"model\":\"" MODEL "\",\"document\":{\"type\":\"document_url\","
                   "\"document_url\":\"" DOC_URL "\",\"document_name\":\"a.pdf\"}}");
  /* Each document setter replaces the document. */
  assert_int_equal(mistral_ocr_request_set_image_url(req, "https://example.com/i.png"), MISTRAL_OK);
  assert_body(req, "{\"model\":\"" MODEL "\",\"document\":{\"type\":\"image_url\","
                   "\"image_url\":\"https://example.com/i.png\"}}");
  assert_int_equal(mistral_ocr_request_set_file_id(req, "3b1f8c2e-5a7d-4e9b-8c1f-2d4e6a8b0c1d"),
                   MISTRAL_OK);
  assert_body(req, "{\"model\":\"" MODEL "\",\"document\":{\"type\":\"file\","
                   "\"file_id\":\"3b1f8c2e-5a7d-4e9b-8c1f-2d4e6a8b0c1d\"}}");
  /* data: URIs are URLs too. */
  assert_int_equal(mistral_ocr_request_set_document_url(req, "data:application/pdf;base64,JVBE", NULL),
                   MISTRAL_OK);
  assert_body(req, "{\"model\":\"" MODEL "\",\"document\":{\"type\":\"document_url\","
                   "\"document_url\":\"data:application/pdf;base64,JVBE\"}}");
  /* model and document are required. */
  assert_int_equal(mistral_ocr_request_unset(req, "document"), MISTRAL_OK);
  assert_refused(req, "document: not set");
  assert_int_equal(mistral_ocr_request_set_image_url(req, "https://example.com/i.png"), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_unset(req, "model"), MISTRAL_OK);
  assert_refused(req, "model: not set");
  assert_int_equal(mistral_ocr_request_set_model(req, "mistral-ocr-2505"), MISTRAL_OK);
  assert_body(req, "{\"model\":\"mistral-ocr-2505\",\"document\":{\"type\":\"image_url\","
                   "\"image_url\":\"https://example.com/i.png\"}}");
  mistral_ocr_request_free(req);

  req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, NULL), MISTRAL_OK);
  assert_refused(req, "model: not set");
  mistral_ocr_request_free(req);
}

static void test_every_field(void **state) {
  (void)state;
  static const int64_t pages[] = {0, 2, 7};
  const struct {
    int which;
    const char *members;
  } cases[] = {
      {0, "\"pages\":[0,2,7]"},
      {1, "\"pages\":\"0, 2-4,9\""},
      {2, "\"include_image_base64\":true"},
      {3, "\"include_image_base64\":false"},
      {4, "\"image_limit\":0"},
      {5, "\"image_limit\":12"},
      {6, "\"image_min_size\":0"},
      {7, "\"image_min_size\":64"},
      {8, "\"table_format\":\"markdown\""},
      {9, "\"table_format\":\"html\""},
      {10, "\"document_annotation_prompt\":\"Extract the total. \xe2\x82\xac\""},
      {11, "\"extract_header\":true"},
      {12, "\"extract_footer\":false"},
      {13, "\"include_blocks\":true"},
      {14, "\"confidence_scores_granularity\":\"page\""},
      {15, "\"confidence_scores_granularity\":\"word\""},
      {16, "\"confidence_scores_granularity\":\"block\""},
      {17, "\"bbox_annotation_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"fig\","
           "\"description\":\"A figure\",\"schema\":{\"type\":\"object\"},\"strict\":true}}"},
      {18, "\"document_annotation_format\":{\"type\":\"json_schema\",\"json_schema\":{"
           "\"name\":\"doc\",\"schema\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":"
           "\"number\"}}}}}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_ocr_request *req = base_req();
    int rc = -999;
    switch (cases[i].which) {
      case 0: rc = mistral_ocr_request_set_pages(req, pages, 3); break;
      case 1: rc = mistral_ocr_request_set_pages_text(req, "0, 2-4,9"); break;
      case 2: rc = mistral_ocr_request_set_include_image_base64(req, true); break;
      case 3: rc = mistral_ocr_request_set_include_image_base64(req, false); break;
      case 4: rc = mistral_ocr_request_set_image_limit(req, 0); break;
      case 5: rc = mistral_ocr_request_set_image_limit(req, 12); break;
      case 6: rc = mistral_ocr_request_set_image_min_size(req, 0); break;
      case 7: rc = mistral_ocr_request_set_image_min_size(req, 64); break;
      case 8: rc = mistral_ocr_request_set_table_format(req, MISTRAL_OCR_TABLE_MARKDOWN); break;
      case 9: rc = mistral_ocr_request_set_table_format(req, MISTRAL_OCR_TABLE_HTML); break;
      case 10:
        rc = mistral_ocr_request_set_document_annotation_prompt(req, "Extract the total. \xe2\x82\xac");
        break;
      case 11: rc = mistral_ocr_request_set_extract_header(req, true); break;
      case 12: rc = mistral_ocr_request_set_extract_footer(req, false); break;
      case 13: rc = mistral_ocr_request_set_include_blocks(req, true); break;
      case 14:
        rc = mistral_ocr_request_set_confidence_scores_granularity(req, MISTRAL_OCR_CONFIDENCE_PAGE);
        break;
      case 15:
        rc = mistral_ocr_request_set_confidence_scores_granularity(req, MISTRAL_OCR_CONFIDENCE_WORD);
        break;
      case 16:
        rc = mistral_ocr_request_set_confidence_scores_granularity(req, MISTRAL_OCR_CONFIDENCE_BLOCK);
        break;
      case 17:
        rc = mistral_ocr_request_set_bbox_annotation_format(req, "fig", "A figure",
                                                            "{\"type\": \"object\"}", true);
        break;
      case 18:
        rc = mistral_ocr_request_set_document_annotation_format(
            req, "doc", NULL, "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\"}}}",
            false);
        break;
    }
    assert_int_equal(rc, MISTRAL_OK);
    assert_base_with(req, cases[i].members);
    mistral_ocr_request_free(req);
  }
}

/* The request of tests/fixtures/ocr/all-fields.fixture, built in another
 * order: the body equals the fixture's. */
static void test_all_fields_match_fixture(void **state) {
  (void)state;
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_confidence_scores_granularity(req, MISTRAL_OCR_CONFIDENCE_PAGE),
                   MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_include_blocks(req, false), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_extract_footer(req, true), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_extract_header(req, true), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_annotation_prompt(
                       req, "Extract the invoice number and the total amount due."),
                   MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_annotation_format(
                       req, "invoice", NULL,
                       "{\"type\": \"object\", \"properties\": {\"number\": {\"type\": \"string\"}, "
                       "\"total\": {\"type\": \"number\"}}, \"required\": [\"number\", \"total\"]}",
                       false),
                   MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_bbox_annotation_format(
                       req, "figure", "What an image shows",
                       "{\"type\": \"object\", \"properties\": {\"kind\": {\"type\": \"string\", "
                       "\"enum\": [\"chart\", \"photo\", \"logo\"]}, \"caption\": {\"type\": "
                       "\"string\"}}, \"required\": [\"kind\"], \"additionalProperties\": false}",
                       true),
                   MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_table_format(req, MISTRAL_OCR_TABLE_HTML), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_image_min_size(req, 32), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_image_limit(req, 4), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_include_image_base64(req, true), MISTRAL_OK);
  static const int64_t pages[] = {0, 2};
  assert_int_equal(mistral_ocr_request_set_pages(req, pages, 2), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_url(
                       req, "https://example.com/invoices/2025-03.pdf", "2025-03.pdf"),
                   MISTRAL_OK);

  char *text = tu_fixture_text("ocr/all-fields.fixture", NULL);
  char *start = strstr(text, "\n\n{");
  char *end = strstr(text, "\n=== response");
  assert_non_null(start);
  assert_non_null(end);
  *end = '\0';
  char *json = body_of(req, __FILE__, __LINE__);
  tu_assert_json(json, start + 2);
  mistral_free(json);
  free(text);
  mistral_ocr_request_free(req);
}

static void test_null_and_unset(void **state) {
  (void)state;
  static const char *const nullable[] = {"pages",
                                         "include_image_base64",
                                         "image_limit",
                                         "image_min_size",
                                         "bbox_annotation_format",
                                         "document_annotation_format",
                                         "document_annotation_prompt",
                                         "table_format",
                                         "confidence_scores_granularity"};
  static const char *const not_nullable[] = {"model", "document", "extract_header",
                                             "extract_footer", "include_blocks", "id", ""};
  for (size_t i = 0; i < sizeof nullable / sizeof *nullable; i++) {
    mistral_ocr_request *req = base_req();
    assert_int_equal(mistral_ocr_request_set_null(req, nullable[i]), MISTRAL_OK);
    char members[128];
    snprintf(members, sizeof members, "\"%s\":null", nullable[i]);
    assert_base_with(req, members);
    assert_int_equal(mistral_ocr_request_unset(req, nullable[i]), MISTRAL_OK);
    assert_base_with(req, "");
    mistral_ocr_request_free(req);
  }
  for (size_t i = 0; i < sizeof not_nullable / sizeof *not_nullable; i++) {
    mistral_ocr_request *req = base_req();
    int rc = mistral_ocr_request_set_null(req, not_nullable[i]);
    assert_marked(req, rc, "is not a nullable field");
    mistral_ocr_request_free(req);
  }
  /* Unset works for the booleans and refuses unknown names. */
  mistral_ocr_request *req = base_req();
  assert_int_equal(mistral_ocr_request_set_extract_header(req, true), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_extract_footer(req, true), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_include_blocks(req, true), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_unset(req, "extract_header"), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_unset(req, "extract_footer"), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_unset(req, "include_blocks"), MISTRAL_OK);
  assert_base_with(req, "");
  assert_marked(req, mistral_ocr_request_unset(req, "temperature"),
                "unset: \"temperature\" is not an optional field");
  mistral_ocr_request_free(req);
  req = base_req();
  assert_marked(req, mistral_ocr_request_set_null(req, NULL), "\"(null)\" is not a nullable field");
  mistral_ocr_request_free(req);
  req = base_req();
  assert_marked(req, mistral_ocr_request_unset(req, NULL), "unset: field name is NULL");
  mistral_ocr_request_free(req);
}

static void test_bad_values(void **state) {
  (void)state;
  static const int64_t negative[] = {0, 3, -1};
  const struct {
    int which;
    const char *needle;
  } cases[] = {
      {0, "model: must not be empty"},
      {1, "model: invalid UTF-8 at byte 3"},
      {2, "model: must not be NULL"},
      {3, "document.document_url: must not be NULL"},
      {4, "document.document_url: invalid UTF-8 at byte 3"},
      {5, "document.document_name: invalid UTF-8 at byte 3"},
      {6, "document.image_url: must not be NULL"},
      {7, "document.image_url: invalid UTF-8"},
      {8, "document.file_id: must not be NULL"},
      {9, "document.file_id: must not be empty"},
      {10, "document.file_id: invalid UTF-8"},
      {11, "pages: the list is empty"},
      {12, "pages: list is NULL"},
      {13, "pages[2]: -1 is below the minimum 0"},
      {14, "pages: must not be NULL"},
      {15, "pages: invalid character at byte 1"},
      {16, "pages: no page number"},
      {17, "pages: no page number"},
      {18, "image_limit: -1 is below the minimum 0"},
      {19, "image_min_size: -64 is below the minimum 0"},
      {20, "table_format: unknown value"},
      {21, "table_format: unknown value"},
      {22, "confidence_scores_granularity: unknown value"},
      {23, "document_annotation_prompt: must not be NULL"},
      {24, "document_annotation_prompt: invalid UTF-8"},
      {25, "bbox_annotation_format.json_schema.name: must not be NULL"},
      {26, "bbox_annotation_format.json_schema.name: must not be empty"},
      {27, "bbox_annotation_format.json_schema.description: invalid UTF-8"},
      {28, "bbox_annotation_format.json_schema.schema: must be JSON text of an object"},
      {29, "bbox_annotation_format.json_schema.schema: invalid JSON at line 1"},
      {30, "document_annotation_format.json_schema.schema: must not be NULL"},
      {31, "document_annotation_format.json_schema.name: invalid UTF-8"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_ocr_request *req = base_req();
    int rc = MISTRAL_OK;
    switch (cases[i].which) {
      case 0: rc = mistral_ocr_request_set_model(req, ""); break;
      case 1: rc = mistral_ocr_request_set_model(req, BAD_UTF8); break;
      case 2: rc = mistral_ocr_request_set_model(req, NULL); break;
      case 3: rc = mistral_ocr_request_set_document_url(req, NULL, "n"); break;
      case 4: rc = mistral_ocr_request_set_document_url(req, BAD_UTF8, NULL); break;
      case 5: rc = mistral_ocr_request_set_document_url(req, DOC_URL, BAD_UTF8); break;
      case 6: rc = mistral_ocr_request_set_image_url(req, NULL); break;
      case 7: rc = mistral_ocr_request_set_image_url(req, BAD_UTF8); break;
      case 8: rc = mistral_ocr_request_set_file_id(req, NULL); break;
      case 9: rc = mistral_ocr_request_set_file_id(req, ""); break;
      case 10: rc = mistral_ocr_request_set_file_id(req, BAD_UTF8); break;
      case 11: rc = mistral_ocr_request_set_pages(req, negative, 0); break;
      case 12: rc = mistral_ocr_request_set_pages(req, NULL, 2); break;
      case 13: rc = mistral_ocr_request_set_pages(req, negative, 3); break;
      case 14: rc = mistral_ocr_request_set_pages_text(req, NULL); break;
      case 15: rc = mistral_ocr_request_set_pages_text(req, "0;1"); break;
      case 16: rc = mistral_ocr_request_set_pages_text(req, ""); break;
      case 17: rc = mistral_ocr_request_set_pages_text(req, " , - "); break;
      case 18: rc = mistral_ocr_request_set_image_limit(req, -1); break;
      case 19: rc = mistral_ocr_request_set_image_min_size(req, -64); break;
      case 20: rc = mistral_ocr_request_set_table_format(req, (mistral_ocr_table_format)2); break;
      case 21: rc = mistral_ocr_request_set_table_format(req, (mistral_ocr_table_format)-1); break;
      case 22:
        rc = mistral_ocr_request_set_confidence_scores_granularity(req, (mistral_ocr_confidence)3);
        break;
      case 23: rc = mistral_ocr_request_set_document_annotation_prompt(req, NULL); break;
      case 24: rc = mistral_ocr_request_set_document_annotation_prompt(req, BAD_UTF8); break;
      case 25: rc = mistral_ocr_request_set_bbox_annotation_format(req, NULL, NULL, "{}", false); break;
      case 26: rc = mistral_ocr_request_set_bbox_annotation_format(req, "", NULL, "{}", false); break;
      case 27:
        rc = mistral_ocr_request_set_bbox_annotation_format(req, "n", BAD_UTF8, "{}", false);
        break;
      case 28: rc = mistral_ocr_request_set_bbox_annotation_format(req, "n", NULL, "[]", true); break;
      case 29:
        rc = mistral_ocr_request_set_bbox_annotation_format(req, "n", NULL, "{\"a\":}", true);
        break;
      case 30:
        rc = mistral_ocr_request_set_document_annotation_format(req, "n", "d", NULL, false);
        break;
      case 31:
        rc = mistral_ocr_request_set_document_annotation_format(req, BAD_UTF8, NULL, "{}", false);
        break;
    }
    assert_marked(req, rc, cases[i].needle);
    mistral_ocr_request_free(req);
  }
}

static void test_first_error_sticks(void **state) {
  (void)state;
  mistral_ocr_request *req = base_req();
  assert_int_equal(mistral_ocr_request_set_image_limit(req, -3), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_pages_text(req, "x"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_image_limit(req, 3), MISTRAL_OK);
  assert_marked(req, MISTRAL_E_INVALID_ARG, "image_limit: -3");
  mistral_error *err = mistral_error_new();
  char *json = NULL;
  mistral_ocr_request_to_json(&json, req, err);
  assert_null(strstr(mistral_error_message(err), "pages"));
  mistral_error_free(err);
  mistral_ocr_request_free(req);
}

static void test_null_arguments(void **state) {
  (void)state;
  static const int64_t pages[] = {1};
  mistral_ocr_request *req = (mistral_ocr_request *)(void *)&req;
  assert_int_equal(mistral_ocr_request_new(NULL, MODEL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_new(&req, ""), MISTRAL_E_INVALID_ARG);
  assert_null(req);
  req = (mistral_ocr_request *)(void *)&req;
  assert_int_equal(mistral_ocr_request_new(&req, BAD_UTF8), MISTRAL_E_INVALID_ARG);
  assert_null(req);
  mistral_ocr_request_free(NULL);
  assert_int_equal(mistral_ocr_request_set_model(NULL, MODEL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_document_url(NULL, DOC_URL, NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_image_url(NULL, DOC_URL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_file_id(NULL, "f"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_document_file(NULL, "/dev/null"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_pages(NULL, pages, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_pages_text(NULL, "1"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_include_image_base64(NULL, true), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_image_limit(NULL, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_image_min_size(NULL, 1), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_table_format(NULL, MISTRAL_OCR_TABLE_HTML),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_bbox_annotation_format(NULL, "n", NULL, "{}", false),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_document_annotation_format(NULL, "n", NULL, "{}", false),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_document_annotation_prompt(NULL, "p"),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_extract_header(NULL, true), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_extract_footer(NULL, true), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_include_blocks(NULL, true), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_confidence_scores_granularity(NULL,
                                                                         MISTRAL_OCR_CONFIDENCE_PAGE),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_null(NULL, "pages"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_unset(NULL, "pages"), MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_ocr_request_set_call_options(NULL, NULL), MISTRAL_E_INVALID_ARG);

  mistral_error *err = mistral_error_new();
  char *json = (char *)"sentinel";
  mt_assert_failed(mistral_ocr_request_to_json(&json, NULL, err), err, MISTRAL_E_INVALID_ARG,
                   "request is NULL");
  assert_null(json);
  req = base_req();
  mt_assert_failed(mistral_ocr_request_to_json(NULL, req, err), err, MISTRAL_E_INVALID_ARG,
                   "out is NULL");
  /* Call options are not part of the body. */
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  assert_base_with(req, "");
  assert_int_equal(mistral_ocr_request_set_call_options(req, NULL), MISTRAL_OK);
  mistral_ocr_request_free(req);
  mistral_error_free(err);
}

/* ---- local files ---- */

/* The document member of the body, as a new JSON value. */
static json_t *document_of(const mistral_ocr_request *req) {
  char *json = body_of(req, __FILE__, __LINE__);
  json_t *body = tu_parse(json);
  mistral_free(json);
  json_t *doc = json_incref(json_object_get(body, "document"));
  json_decref(body);
  assert_non_null(doc);
  return doc;
}

static void test_document_files(void **state) {
  (void)state;
  /* The two files of tests/ocr/data: as the fixtures record them. */
  static const struct {
    const char *file;
    const char *fixture;
  } known[] = {{OCR_DATA_DIR "/hello.pdf", "ocr/local-pdf.fixture"},
               {OCR_DATA_DIR "/dots.png", "ocr/local-png.fixture"}};
  for (size_t i = 0; i < 2; i++) {
    mistral_ocr_request *req = NULL;
    assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
    assert_int_equal(mistral_ocr_request_set_document_file(req, known[i].file), MISTRAL_OK);
    char *text = tu_fixture_text(known[i].fixture, NULL);
    char *start = strstr(text, "\n\n{");
    char *end = strstr(text, "\n=== response");
    *end = '\0';
    char *json = body_of(req, __FILE__, __LINE__);
    tu_assert_json(json, start + 2);
    mistral_free(json);
    free(text);
    mistral_ocr_request_free(req);
  }

  /* Each type, by its first bytes or (ZIP) its extension. */
  static const unsigned char zip[] = "PK\x03\x04rest-of-archive";
  static const unsigned char gif[] = "GIF87a....";
  static const unsigned char gif9[] = "GIF89a....";
  static const unsigned char webp[] = "RIFF\x10\0\0\0WEBPVP8 ";
  static const unsigned char tif[] = "II*\0\x08\0\0\0";
  static const unsigned char tiff[] = "MM\0*\0\0\0\x08";
  static const unsigned char jpg[] = "\xff\xd8\xff\xe0\0\x10JFIF";
  static const unsigned char avif[] = "\0\0\0\x1c" "ftypavif\0\0\0\0";
  const struct {
    const char *name;
    const unsigned char *data;
    size_t len;
    const char *type;
    const char *prefix;
    const char *doc_name;
  } cases[] = {
      {"x.docx", zip, sizeof zip - 1, "document_url",
       "data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,UEsDBHJ",
       "x.docx"},
      {"y.PPTX", zip, sizeof zip - 1, "document_url",
       "data:application/vnd.openxmlformats-officedocument.presentationml.presentation;base64,",
       "y.PPTX"},
      {"a.gif", gif, sizeof gif - 1, "image_url", "data:image/gif;base64,R0lGODdh", NULL},
      {"g.gif", gif9, sizeof gif9 - 1, "image_url", "data:image/gif;base64,R0lGODlh", NULL},
      {"b.webp", webp, sizeof webp - 1, "image_url", "data:image/webp;base64,UklGR", NULL},
      {"c.tif", tif, sizeof tif - 1, "image_url", "data:image/tiff;base64,SUkqAA", NULL},
      {"d.tiff", tiff, sizeof tiff - 1, "image_url", "data:image/tiff;base64,TU0AKg", NULL},
      {"e.jpg", jpg, sizeof jpg - 1, "image_url", "data:image/jpeg;base64,/9j/", NULL},
      {"f.avif", avif, sizeof avif - 1, "image_url", "data:image/avif;base64,AAAAHGZ0eXBhdmlm",
       NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    write_bytes(cases[i].name, cases[i].data, cases[i].len);
    char path[512];
    tmp_path(cases[i].name, path, sizeof path);
    mistral_ocr_request *req = NULL;
    assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
    assert_int_equal(mistral_ocr_request_set_document_file(req, path), MISTRAL_OK);
    json_t *doc = document_of(req);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), cases[i].type);
    const char *uri = json_string_value(json_object_get(doc, cases[i].type));
    assert_non_null(uri);
    if (strncmp(uri, cases[i].prefix, strlen(cases[i].prefix)) != 0)
      fail_msg("%s: %s does not start with %s", cases[i].name, uri, cases[i].prefix);
    const char *name = json_string_value(json_object_get(doc, "document_name"));
    if (cases[i].doc_name)
      assert_string_equal(name, cases[i].doc_name);
    else
      assert_null(json_object_get(doc, "document_name"));
    json_decref(doc);
    mistral_ocr_request_free(req);
  }
}

static void test_refused_files(void **state) {
  (void)state;
  static const unsigned char zip[] = "PK\x03\x04rest";
  write_bytes("z.zip", zip, sizeof zip - 1);
  write_bytes("text.txt", "just text\n", 10);
  write_bytes("empty.pdf", "", 0);
  /* A sparse file one byte over the limit: refused before reading. */
  char big[512];
  tmp_path("big.pdf", big, sizeof big);
  int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)MISTRAL_OCR_FILE_MAX + 1), 0);
  close(fd);

  char p_zip[512], p_txt[512], p_empty[512], p_missing[512];
  tmp_path("z.zip", p_zip, sizeof p_zip);
  tmp_path("text.txt", p_txt, sizeof p_txt);
  tmp_path("empty.pdf", p_empty, sizeof p_empty);
  tmp_path("missing.pdf", p_missing, sizeof p_missing);
  const struct {
    const char *path;
    const char *needle;
  } cases[] = {
      {p_zip, "not a PDF, DOCX, PPTX or PNG, JPEG, GIF, WebP, TIFF or AVIF image"},
      {p_txt, "text.txt: not a PDF"},
      {p_empty, "empty.pdf: not a PDF"},
      {p_missing, "missing.pdf: No such file or directory"},
      {big, "big.pdf: larger than 67108864 bytes"},
      {tmpdir, "document file"},
      {NULL, "document file: path is NULL"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_ocr_request *req = base_req();
    int rc = mistral_ocr_request_set_document_file(req, cases[i].path);
    assert_marked(req, rc, cases[i].needle);
    mistral_ocr_request_free(req);
  }
}

/* Every jansson allocation failing in turn: each call returns MISTRAL_OK or
 * MISTRAL_E_NOMEM (a failed setter marks the request, so later calls may
 * fail with it), nothing crashes, and (under ASan or valgrind) nothing
 * leaks (MT_STEP, MT_PAUSED: mt_util.h). */

static void test_out_of_memory(void **state) {
  (void)state;
  static const int64_t pages[] = {0, 1, 2};
  long n;
  for (n = 1; n < 100000; n++) {
    mt_jansson_fail_at(n);
    mistral_ocr_request *req = NULL;
    int rc = mistral_ocr_request_new(&req, MODEL);
    assert_true(rc == MISTRAL_OK || rc == MISTRAL_E_NOMEM);
    if (rc != MISTRAL_OK) {
      assert_null(req);
      continue;
    }
    char *json = NULL;
    MT_STEP(mistral_ocr_request_set_document_url(req, DOC_URL, "a.pdf"));
    MT_STEP(mistral_ocr_request_set_image_url(req, DOC_URL));
    MT_STEP(mistral_ocr_request_set_file_id(req, "f"));
    MT_STEP(mistral_ocr_request_set_document_file(req, OCR_DATA_DIR "/dots.png"));
    MT_STEP(mistral_ocr_request_set_document_file(req, OCR_DATA_DIR "/hello.pdf"));
    MT_STEP(mistral_ocr_request_set_pages(req, pages, 3));
    MT_STEP(mistral_ocr_request_set_pages_text(req, "0-2"));
    MT_STEP(mistral_ocr_request_set_include_image_base64(req, true));
    MT_STEP(mistral_ocr_request_set_image_limit(req, 2));
    MT_STEP(mistral_ocr_request_set_image_min_size(req, 2));
    MT_STEP(mistral_ocr_request_set_table_format(req, MISTRAL_OCR_TABLE_HTML));
    MT_PAUSED(mistral_ocr_request_set_bbox_annotation_format(req, "b", "d",
                                                          "{\"type\":\"object\",\"x\":[1]}", true));
    MT_PAUSED(mistral_ocr_request_set_document_annotation_format(req, "d", NULL, "{}", false));
    MT_STEP(mistral_ocr_request_set_document_annotation_prompt(req, "p"));
    MT_STEP(mistral_ocr_request_set_extract_header(req, true));
    MT_STEP(mistral_ocr_request_set_extract_footer(req, true));
    MT_STEP(mistral_ocr_request_set_include_blocks(req, true));
    MT_STEP(mistral_ocr_request_set_confidence_scores_granularity(req, MISTRAL_OCR_CONFIDENCE_WORD));
    MT_STEP(mistral_ocr_request_set_null(req, "image_limit"));
    MT_STEP(mistral_ocr_request_unset(req, "pages"));
    MT_STEP(mistral_ocr_request_to_json(&json, req, NULL));
    mistral_free(json);
    mistral_ocr_request_free(req);
    if (!mt_jansson_failed()) break;
  }
  mt_jansson_restore();
  assert_true(n > 10 && n < 100000);
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal_and_documents),
      cmocka_unit_test(test_every_field),
      cmocka_unit_test(test_all_fields_match_fixture),
      cmocka_unit_test(test_null_and_unset),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_first_error_sticks),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_document_files),
      cmocka_unit_test(test_refused_files),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
