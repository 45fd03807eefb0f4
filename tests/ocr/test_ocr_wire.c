/* OCR over the loopback fixture server (tests/fixtures/ocr/): every
 * document kind (URL, image URL, file id, local PDF and PNG), every
 * response part decoded (pages, Markdown, images and their boxes, null
 * boxes, image data and annotations, tables, hyperlinks, headers, footers,
 * dimensions, blocks and confidence scores as JSON, document annotation,
 * usage info, raw JSON, request id), image data decoded back to bytes; an
 * HTTP error; every malformed response the decoder refuses and what it
 * tolerates; requests refused before anything is sent; NULL arguments;
 * per-call options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt_util.h"

#define MODEL "mistral-ocr-latest"
#define OCR_MODEL "mistral-ocr-2505-completion"

/* Sends req to a server answering with fixture rel; returns the response
 * (asserting success and that the server saw what the fixture expects). */
static mistral_ocr_response *process(const mistral_ocr_request *req, const char *rel) {
  fixture_server *fs = tu_server_start(MT_KEY, rel, NULL);
  mistral_client *client = tu_client(fs, MT_KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_ocr_response *resp = NULL;
  int rc = mistral_ocr_process(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s: %s\n", rel, mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_int_equal(mistral_error_code(err), MISTRAL_OK);
  assert_non_null(resp);
  tu_assert_served(fs);
  /* raw_json is the body as sent. */
  size_t len;
  char *body = tu_fixture_body(rel, &len);
  assert_int_equal(resp->raw_json_len, len);
  assert_memory_equal(resp->raw_json, body, len);
  free(body);
  mistral_error_free(err);
  mistral_client_free(client);
  fixture_server_stop(fs);
  return resp;
}

static void assert_box(const mistral_ocr_image *im, int64_t x1, int64_t y1, int64_t x2,
                       int64_t y2) {
  assert_int_equal(im->top_left_x, x1);
  assert_int_equal(im->top_left_y, y1);
  assert_int_equal(im->bottom_right_x, x2);
  assert_int_equal(im->bottom_right_y, y2);
}

static void test_document_url(void **state) {
  (void)state;
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_url(req, "https://arxiv.org/pdf/2201.04234", NULL),
                   MISTRAL_OK);
  mistral_ocr_response *resp = process(req, "ocr/document-url.fixture");
  assert_string_equal(resp->model, OCR_MODEL);
  assert_string_equal(resp->request_id, "5a7c9e1b3d5f47a9c1e3b5d7f9a1c3e5");
  assert_null(resp->document_annotation);
  assert_non_null(resp->usage_info);
  assert_int_equal(resp->usage_info->pages_processed, 2);
  assert_int_equal(resp->usage_info->doc_size_bytes, 3002783);
  tu_assert_json(resp->usage_info->json, "{\"pages_processed\":2,\"doc_size_bytes\":3002783}");
  assert_int_equal(resp->page_count, 2);

  const mistral_ocr_page *p = resp->pages[0];
  assert_int_equal(p->index, 0);
  assert_true(strncmp(p->markdown, "# LEVERAGING UNLABELED DATA", 27) == 0);
  assert_non_null(strstr(p->markdown, "![img-0.jpeg](img-0.jpeg)"));
  assert_int_equal(p->image_count, 1);
  assert_string_equal(p->images[0]->id, "img-0.jpeg");
  assert_box(p->images[0], 292, 217, 1405, 649);
  assert_null(p->images[0]->image_base64);
  assert_null(p->images[0]->image_annotation);
  assert_int_equal(p->table_count, 0);
  assert_int_equal(p->hyperlink_count, 0);
  assert_null(p->header);
  assert_null(p->footer);
  assert_non_null(p->dimensions);
  assert_int_equal(p->dimensions->dpi, 200);
  assert_int_equal(p->dimensions->height, 2200);
  assert_int_equal(p->dimensions->width, 1700);
  assert_null(p->blocks_json);
  assert_null(p->confidence_scores_json);

  p = resp->pages[1];
  assert_int_equal(p->index, 1);
  assert_non_null(strstr(p->markdown, "\xe2\x80\x94 \xe2\x80\x9cshift\xe2\x80\x9d"));
  assert_box(p->images[0], -1, -1, -1, -1); /* null coordinates */
  assert_int_equal(p->hyperlink_count, 1);
  assert_string_equal(p->hyperlinks[0], "https://github.com/saurabhgarg1996/ATC_code");
  mistral_ocr_response_free(resp);
  mistral_ocr_request_free(req);
}

static void test_all_fields(void **state) {
  (void)state;
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_url(
                       req, "https://example.com/invoices/2025-03.pdf", "2025-03.pdf"),
                   MISTRAL_OK);
  static const int64_t pages[] = {0, 2};
  assert_int_equal(mistral_ocr_request_set_pages(req, pages, 2), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_include_image_base64(req, true), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_image_limit(req, 4), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_image_min_size(req, 32), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_table_format(req, MISTRAL_OCR_TABLE_HTML), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_bbox_annotation_format(
                       req, "figure", "What an image shows",
                       "{\"type\":\"object\",\"properties\":{\"kind\":{\"type\":\"string\","
                       "\"enum\":[\"chart\",\"photo\",\"logo\"]},\"caption\":{\"type\":"
                       "\"string\"}},\"required\":[\"kind\"],\"additionalProperties\":false}",
                       true),
                   MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_annotation_format(
                       req, "invoice", NULL,
                       "{\"type\":\"object\",\"properties\":{\"number\":{\"type\":\"string\"},"
                       "\"total\":{\"type\":\"number\"}},\"required\":[\"number\",\"total\"]}",
                       false),
                   MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_annotation_prompt(
                       req, "Extract the invoice number and the total amount due."),
                   MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_extract_header(req, true), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_extract_footer(req, true), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_include_blocks(req, false), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_confidence_scores_granularity(req, MISTRAL_OCR_CONFIDENCE_PAGE),
                   MISTRAL_OK);
  mistral_ocr_response *resp = process(req, "ocr/all-fields.fixture");

  assert_string_equal(resp->document_annotation, "{\"number\": \"2025-03-117\", \"total\": 37.5}");
  assert_int_equal(resp->usage_info->doc_size_bytes, 48213);
  assert_int_equal(resp->page_count, 2);
  const mistral_ocr_page *p = resp->pages[0];
  assert_string_equal(p->header, "Acme Corp. \xe2\x80\x94 Invoice");
  assert_string_equal(p->footer, "Page 1 of 3");
  assert_int_equal(p->image_count, 1);
  const mistral_ocr_image *im = p->images[0];
  assert_string_equal(im->id, "img-0.png");
  assert_box(im, 40, 30, 240, 130);
  assert_non_null(im->image_base64);
  assert_true(strncmp(im->image_base64, "data:image/png;base64,iVBORw0KGgo", 33) == 0);
  assert_string_equal(im->image_annotation, "{\"kind\": \"logo\", \"caption\": \"Acme Corp.\"}");
  assert_int_equal(p->table_count, 1);
  assert_string_equal(p->tables[0]->id, "tbl-0.html");
  assert_string_equal(p->tables[0]->format, "html");
  assert_non_null(strstr(p->tables[0]->content, "<td>\xe2\x82\xac 12.50</td>"));
  assert_int_equal(p->hyperlink_count, 1);
  assert_string_equal(p->hyperlinks[0], "https://example.com/help");
  tu_assert_json(p->confidence_scores_json,
                 "{\"average_page_confidence_score\":0.981,\"minimum_page_confidence_score\":0.702}");
  assert_null(p->blocks_json);
  assert_int_equal(p->dimensions->height, 2339);

  p = resp->pages[1];
  assert_int_equal(p->index, 2);
  assert_string_equal(p->markdown, "Total due: **\xe2\x82\xac 37.50**");
  assert_null(p->dimensions); /* null */
  assert_int_equal(p->image_count, 0);
  assert_string_equal(p->footer, "Page 3 of 3");

  /* The image data, decoded: the PNG of tests/ocr/data. */
  unsigned char *bytes = NULL;
  size_t len = 0;
  char *mime = NULL;
  mistral_error *err = mistral_error_new();
  assert_int_equal(mistral_ocr_image_decode(&bytes, &len, &mime, im, err), MISTRAL_OK);
  size_t want_len;
  char *want = tu_read_file(OCR_DATA_DIR "/dots.png", &want_len);
  assert_int_equal(len, want_len);
  assert_memory_equal(bytes, want, len);
  assert_string_equal(mime, "image/png");
  mistral_free(bytes);
  mistral_free(mime);
  /* mime is optional. */
  assert_int_equal(mistral_ocr_image_decode(&bytes, &len, NULL, im, err), MISTRAL_OK);
  assert_int_equal(len, want_len);
  mistral_free(bytes);
  free(want);
  mistral_error_free(err);
  mistral_ocr_response_free(resp);
  mistral_ocr_request_free(req);
}

static void test_image_url_and_nulls(void **state) {
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
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_image_url(req, "https://example.com/receipt.jpg"),
                   MISTRAL_OK);
  /* Values first, then null over each. */
  assert_int_equal(mistral_ocr_request_set_image_limit(req, 3), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_pages_text(req, "0"), MISTRAL_OK);
  for (size_t i = 0; i < sizeof nullable / sizeof *nullable; i++)
    assert_int_equal(mistral_ocr_request_set_null(req, nullable[i]), MISTRAL_OK);
  mistral_ocr_response *resp = process(req, "ocr/nulls.fixture");
  assert_int_equal(resp->page_count, 1);
  assert_non_null(strstr(resp->pages[0]->markdown, "**Total 5.00**"));
  assert_int_equal(resp->usage_info->pages_processed, 1);
  assert_int_equal(resp->usage_info->doc_size_bytes, -1); /* null */
  mistral_ocr_response_free(resp);
  mistral_ocr_request_free(req);
}

static void test_file_id_and_page_text(void **state) {
  (void)state;
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_file_id(req, "3b1f8c2e-5a7d-4e9b-8c1f-2d4e6a8b0c1d"),
                   MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_pages_text(req, "0-1"), MISTRAL_OK);
  mistral_ocr_response *resp = process(req, "ocr/file-id.fixture");
  assert_int_equal(resp->page_count, 2);
  assert_string_equal(resp->pages[1]->markdown, "Second page.");
  /* Members the answer leaves out take their defaults. */
  assert_int_equal(resp->pages[1]->table_count, 0);
  assert_int_equal(resp->pages[1]->hyperlink_count, 0);
  assert_null(resp->pages[1]->header);
  assert_null(resp->document_annotation);
  assert_int_equal(resp->usage_info->doc_size_bytes, -1);
  mistral_ocr_response_free(resp);
  mistral_ocr_request_free(req);
}

static void test_local_files(void **state) {
  (void)state;
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_file(req, OCR_DATA_DIR "/hello.pdf"), MISTRAL_OK);
  mistral_ocr_response *resp = process(req, "ocr/local-pdf.fixture");
  assert_string_equal(resp->pages[0]->markdown, "Hello OCR");
  assert_int_equal(resp->usage_info->doc_size_bytes, 583);
  mistral_ocr_response_free(resp);
  assert_int_equal(mistral_ocr_request_set_document_file(req, OCR_DATA_DIR "/dots.png"), MISTRAL_OK);
  resp = process(req, "ocr/local-png.fixture");
  assert_string_equal(resp->pages[0]->markdown, "");
  assert_int_equal(resp->pages[0]->dimensions->width, 2);
  mistral_ocr_response_free(resp);
  mistral_ocr_request_free(req);
}

static void test_http_error(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(MT_KEY, "ocr/400-bad-document.fixture", NULL);
  mistral_client *client = tu_client(fs, MT_KEY, 1);
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_url(req, "https://example.com/missing.pdf", NULL),
                   MISTRAL_OK);
  mistral_error *err = mistral_error_new();
  mistral_ocr_response *resp = (mistral_ocr_response *)(void *)&resp;
  mt_assert_failed(mistral_ocr_process(&resp, client, req, err), err, MISTRAL_E_HTTP,
                   "Could not download the document");
  assert_null(resp);
  assert_int_equal(mistral_error_http_status(err), 400);
  assert_string_equal(mistral_error_api_code(err), "3310");
  assert_string_equal(mistral_error_request_id(err), "1b3d5f7a9c0e42b4d6f8a0c2e4b6d8f0");
  tu_assert_served(fs);
  mistral_error_free(err);
  mistral_ocr_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

#define REQ_BODY \
  "{\"model\":\"" MODEL "\",\"document\":{\"type\":\"image_url\",\"image_url\":\"https://e.x/i.png\"}}"

static mistral_ocr_request *simple_req(void) {
  mistral_ocr_request *req = NULL;
  assert_int_equal(mistral_ocr_request_new(&req, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_image_url(req, "https://e.x/i.png"), MISTRAL_OK);
  return req;
}

/* Answers simple_req() with body; returns the call's status. */
static int answer_with(const char *body, mistral_ocr_response **out, mistral_error *err) {
  fixture_server *fs = tu_server_start(MT_KEY, NULL);
  char *fx = mt_fixture_text("", "POST", "/v1/ocr", REQ_BODY, "200 OK", body);
  assert_int_equal(fixture_server_expect_text(fs, fx, 1), 0);
  free(fx);
  mistral_client *client = tu_client(fs, MT_KEY, 1);
  mistral_ocr_request *req = simple_req();
  int rc = mistral_ocr_process(out, client, req, err);
  tu_assert_served(fs);
  mistral_ocr_request_free(req);
  mistral_client_free(client);
  fixture_server_stop(fs);
  return rc;
}

static void test_malformed_responses(void **state) {
  (void)state;
  static const struct {
    const char *body;
    const char *needle;
  } cases[] = {
      {"", "empty body"},
      {"{\"pages\":[{\"index\":0,}]}", "invalid JSON at byte"},
      {"[]", "the body is not a JSON object"},
      {"{\"model\":\"m\"}", "no \"pages\" array"},
      {"{\"pages\":{}}", "no \"pages\" array"},
      {"{\"pages\":[7]}", "pages[0] is not an object"},
      {"{\"pages\":[{},{\"markdown\":5}]}", "pages[1].markdown is not a string"},
      {"{\"pages\":[{\"index\":\"0\"}]}", "pages[0].index is not an integer"},
      {"{\"pages\":[{\"index\":1.5}]}", "pages[0].index is not an integer"},
      {"{\"pages\":[{\"header\":[]}]}", "pages[0].header is not a string"},
      {"{\"pages\":[{\"footer\":true}]}", "pages[0].footer is not a string"},
      {"{\"pages\":[{\"images\":{}}]}", "pages[0].images is not an array"},
      {"{\"pages\":[{\"images\":[{},\"img\"]}]}", "pages[0].images[1] is not an object"},
      {"{\"pages\":[{\"images\":[{\"id\":3}]}]}", "pages[0].images[0].id is not a string"},
      {"{\"pages\":[{\"images\":[{\"top_left_x\":\"1\"}]}]}",
       "pages[0].images[0].top_left_x is not an integer"},
      {"{\"pages\":[{\"images\":[{\"top_left_y\":1.0}]}]}",
       "pages[0].images[0].top_left_y is not an integer"},
      {"{\"pages\":[{\"images\":[{\"bottom_right_x\":{}}]}]}",
       "pages[0].images[0].bottom_right_x is not an integer"},
      {"{\"pages\":[{\"images\":[{\"bottom_right_y\":[]}]}]}",
       "pages[0].images[0].bottom_right_y is not an integer"},
      {"{\"pages\":[{\"images\":[{\"image_base64\":1}]}]}",
       "pages[0].images[0].image_base64 is not a string"},
      {"{\"pages\":[{\"images\":[{\"image_annotation\":{}}]}]}",
       "pages[0].images[0].image_annotation is not a string"},
      {"{\"pages\":[{\"tables\":\"\"}]}", "pages[0].tables is not an array"},
      {"{\"pages\":[{\"tables\":[null]}]}", "pages[0].tables[0] is not an object"},
      {"{\"pages\":[{\"tables\":[{\"id\":1}]}]}", "pages[0].tables[0].id is not a string"},
      {"{\"pages\":[{\"tables\":[{\"content\":[]}]}]}", "pages[0].tables[0].content is not a string"},
      {"{\"pages\":[{\"tables\":[{\"format\":0}]}]}", "pages[0].tables[0].format is not a string"},
      {"{\"pages\":[{\"hyperlinks\":{}}]}", "pages[0].hyperlinks is not an array"},
      {"{\"pages\":[{\"hyperlinks\":[\"a\",null]}]}", "pages[0].hyperlinks[1] is not a string"},
      {"{\"pages\":[{\"dimensions\":[]}]}", "pages[0].dimensions is not an object"},
      {"{\"pages\":[{\"dimensions\":{\"dpi\":\"200\"}}]}", "pages[0].dimensions.dpi is not an integer"},
      {"{\"pages\":[{\"dimensions\":{\"height\":1e3}}]}",
       "pages[0].dimensions.height is not an integer"},
      {"{\"pages\":[{\"dimensions\":{\"width\":false}}]}",
       "pages[0].dimensions.width is not an integer"},
      {"{\"pages\":[],\"model\":1}", "model is not a string"},
      {"{\"pages\":[],\"document_annotation\":{}}", "document_annotation is not a string"},
      {"{\"pages\":[],\"usage_info\":[]}", "usage_info is not an object"},
      {"{\"pages\":[],\"usage_info\":{\"pages_processed\":\"1\"}}",
       "usage_info.pages_processed is not an integer"},
      {"{\"pages\":[],\"usage_info\":{\"doc_size_bytes\":2.5}}",
       "usage_info.doc_size_bytes is not an integer"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_error *err = mistral_error_new();
    mistral_ocr_response *resp = (mistral_ocr_response *)(void *)&resp;
    int rc = answer_with(cases[i].body, &resp, err);
    if (rc != MISTRAL_E_BAD_RESPONSE) print_error("case %zu: %s\n", i, cases[i].body);
    mt_assert_failed(rc, err, MISTRAL_E_BAD_RESPONSE, cases[i].needle);
    assert_non_null(strstr(mistral_error_message(err), "malformed OCR response: "));
    assert_null(resp);
    assert_int_equal(mistral_error_http_status(err), 200);
    assert_string_equal(mistral_error_request_id(err), "req-mt-0001");
    mistral_error_free(err);
  }
}

static void test_tolerated_responses(void **state) {
  (void)state;
  mistral_error *err = mistral_error_new();
  mistral_ocr_response *resp = NULL;
  int rc = answer_with("{\"pages\":[{},{\"index\":null,\"markdown\":null,\"images\":null,"
                       "\"tables\":null,\"hyperlinks\":null,\"dimensions\":null,"
                       "\"blocks\":[{\"type\":\"text\",\"content\":\"Hi\",\"top_left_x\":1}],"
                       "\"confidence_scores\":null,\"new\":{\"x\":1},"
                       "\"images\":[{\"id\":\"i\",\"top_left_x\":null,\"top_left_y\":0}]}],"
                       "\"usage_info\":null,\"document_annotation\":null}",
                       &resp, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_null(resp->model);
  assert_null(resp->document_annotation);
  assert_int_equal(resp->usage_info->pages_processed, 0);
  assert_int_equal(resp->usage_info->doc_size_bytes, -1);
  assert_string_equal(resp->usage_info->json, "{}");
  assert_int_equal(resp->page_count, 2);
  /* Absent index: the page's position; absent markdown: "". */
  assert_int_equal(resp->pages[0]->index, 0);
  assert_string_equal(resp->pages[0]->markdown, "");
  assert_int_equal(resp->pages[0]->image_count, 0);
  assert_null(resp->pages[0]->dimensions);
  const mistral_ocr_page *p = resp->pages[1];
  assert_int_equal(p->index, 1);
  assert_string_equal(p->markdown, "");
  tu_assert_json(p->blocks_json, "[{\"type\":\"text\",\"content\":\"Hi\",\"top_left_x\":1}]");
  assert_null(p->confidence_scores_json);
  /* The last "images" member counts. */
  assert_int_equal(p->image_count, 1);
  assert_box(p->images[0], -1, 0, -1, -1);
  assert_null(p->images[0]->image_base64);
  mistral_ocr_response_free(resp);
  mistral_error_free(err);
}

/* Requests that cannot be sent never reach the network; NULL arguments. */
static void test_refused_before_sending(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(MT_KEY, NULL);
  mistral_client *client = tu_client(fs, MT_KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_ocr_request *no_doc = NULL, *no_model = NULL, *marked = simple_req();
  assert_int_equal(mistral_ocr_request_new(&no_doc, MODEL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_new(&no_model, NULL), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_image_url(no_model, "https://e.x/i.png"), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_document_file(marked, OCR_DATA_DIR "/nope.pdf"),
                   MISTRAL_E_INVALID_ARG);
  const struct {
    const mistral_ocr_request *req;
    mistral_client *client;
    int out;
    const char *needle;
  } cases[] = {
      {no_doc, client, 1, "invalid request: document: not set"},
      {no_model, client, 1, "invalid request: model: not set"},
      {marked, client, 1, "nope.pdf: No such file"},
      {NULL, client, 1, "request is NULL"},
      {no_doc, NULL, 1, "client is NULL"},
      {no_doc, client, 0, "out is NULL"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mistral_ocr_response *resp = (mistral_ocr_response *)(void *)&resp;
    int rc = mistral_ocr_process(cases[i].out ? &resp : NULL, cases[i].client, cases[i].req, err);
    mt_assert_failed(rc, err, MISTRAL_E_INVALID_ARG, cases[i].needle);
    if (cases[i].out) assert_null(resp);
    assert_int_equal(mistral_error_http_status(err), 0);
  }
  mistral_ocr_response *resp = NULL;
  assert_int_equal(mistral_ocr_process(&resp, client, marked, NULL), MISTRAL_E_INVALID_ARG);
  assert_int_equal(fixture_server_connections(fs), 0);

  mistral_client *keyless = NULL;
  assert_int_equal(mistral_client_new(&keyless), MISTRAL_OK);
  assert_int_equal(mistral_client_set_server_url(keyless, fixture_server_url(fs)), MISTRAL_OK);
  mistral_ocr_request *ok = simple_req();
  mt_assert_failed(mistral_ocr_process(&resp, keyless, ok, err), err, MISTRAL_E_NO_API_KEY, NULL);
  assert_null(resp);
  assert_int_equal(fixture_server_connections(fs), 0);
  mistral_ocr_response_free(NULL);

  mistral_ocr_request_free(ok);
  mistral_client_free(keyless);
  mistral_ocr_request_free(no_doc);
  mistral_ocr_request_free(no_model);
  mistral_ocr_request_free(marked);
  mistral_error_free(err);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static void test_call_options(void **state) {
  (void)state;
  fixture_server *fs = tu_server_start(MT_KEY, NULL);
  char *fx = mt_fixture_text("% delay-ms 2000\n", "POST", "/v1/ocr", REQ_BODY, "200 OK",
                             "{\"pages\":[{\"index\":0,\"markdown\":\"late\"}],\"model\":\"m\","
                             "\"usage_info\":{\"pages_processed\":1}}");
  assert_int_equal(fixture_server_expect_text(fs, fx, 2), 0);
  free(fx);
  mistral_client *client = tu_client(fs, MT_KEY, 1);
  mistral_error *err = mistral_error_new();
  mistral_ocr_request *req = simple_req();
  mistral_call_options *opts = NULL;
  assert_int_equal(mistral_call_options_new(&opts), MISTRAL_OK);
  assert_int_equal(mistral_call_options_set_timeout_ms(opts, 200), MISTRAL_OK);
  assert_int_equal(mistral_ocr_request_set_call_options(req, opts), MISTRAL_OK);
  mistral_call_options_free(opts);
  mistral_ocr_response *resp = NULL;
  mt_assert_failed(mistral_ocr_process(&resp, client, req, err), err, MISTRAL_E_TIMEOUT, NULL);
  assert_null(resp);
  assert_int_equal(mistral_ocr_request_set_call_options(req, NULL), MISTRAL_OK);
  int rc = mistral_ocr_process(&resp, client, req, err);
  if (rc != MISTRAL_OK) print_error("%s\n", mistral_error_message(err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_string_equal(resp->pages[0]->markdown, "late");
  mistral_ocr_response_free(resp);
  tu_assert_served(fs);
  mistral_ocr_request_free(req);
  mistral_error_free(err);
  mistral_client_free(client);
  fixture_server_stop(fs);
}

static void test_image_decode(void **state) {
  (void)state;
  mistral_error *err = mistral_error_new();
  unsigned char *bytes = (unsigned char *)"sentinel";
  size_t len = 99;
  char *mime = (char *)"sentinel";
  mistral_ocr_image im = {.id = "img-0.png", .top_left_x = -1};
  const struct {
    const char *data;
    const char *bytes; /* NULL: refused */
    size_t len;
    const char *mime;
    int code;
    const char *needle;
  } cases[] = {
      {"YQ==", "a", 1, NULL, MISTRAL_OK, NULL},
      {"YWI=", "ab", 2, NULL, MISTRAL_OK, NULL},
      {"YWJj", "abc", 3, NULL, MISTRAL_OK, NULL},
      {"", "", 0, NULL, MISTRAL_OK, NULL},
      {"data:text/plain;base64,aGk=", "hi", 2, "text/plain", MISTRAL_OK, NULL},
      {"data:;base64,aGk=", "hi", 2, "", MISTRAL_OK, NULL},
      {"YQ=", NULL, 0, NULL, MISTRAL_E_BAD_RESPONSE, "image img-0.png: invalid base64 data"},
      {"Y===", NULL, 0, NULL, MISTRAL_E_BAD_RESPONSE, "invalid base64 data"},
      {"YQ==YQ==", NULL, 0, NULL, MISTRAL_E_BAD_RESPONSE, "invalid base64 data"},
      {"YW J", NULL, 0, NULL, MISTRAL_E_BAD_RESPONSE, "invalid base64 data"},
      {"YW\nJ", NULL, 0, NULL, MISTRAL_E_BAD_RESPONSE, "invalid base64 data"},
      {"data:image/png,abcd", NULL, 0, NULL, MISTRAL_E_BAD_RESPONSE,
       "a data: URI without base64 data"},
      {"data:image/png;base64", NULL, 0, NULL, MISTRAL_E_BAD_RESPONSE,
       "a data: URI without base64 data"},
      {"data:image/png;charset=x,abcd", NULL, 0, NULL, MISTRAL_E_BAD_RESPONSE,
       "a data: URI without base64 data"},
      {NULL, NULL, 0, NULL, MISTRAL_E_INVALID_ARG, "image img-0.png has no data"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    im.image_base64 = cases[i].data;
    int rc = mistral_ocr_image_decode(&bytes, &len, &mime, &im, err);
    if (cases[i].code == MISTRAL_OK) {
      if (rc != MISTRAL_OK) print_error("case %zu: %s\n", i, mistral_error_message(err));
      assert_int_equal(rc, MISTRAL_OK);
      assert_int_equal(len, cases[i].len);
      assert_memory_equal(bytes, cases[i].bytes, len);
      if (cases[i].mime)
        assert_string_equal(mime, cases[i].mime);
      else
        assert_null(mime);
      mistral_free(bytes);
      mistral_free(mime);
    } else {
      mt_assert_failed(rc, err, cases[i].code, cases[i].needle);
      assert_null(bytes);
      assert_int_equal(len, 0);
      assert_null(mime);
    }
  }
  im.image_base64 = "YQ==";
  mt_assert_failed(mistral_ocr_image_decode(NULL, &len, NULL, &im, err), err,
                   MISTRAL_E_INVALID_ARG, "out or len is NULL");
  mt_assert_failed(mistral_ocr_image_decode(&bytes, NULL, NULL, &im, err), err,
                   MISTRAL_E_INVALID_ARG, "out or len is NULL");
  mt_assert_failed(mistral_ocr_image_decode(&bytes, &len, &mime, NULL, err), err,
                   MISTRAL_E_INVALID_ARG, "image is NULL");
  assert_null(bytes);
  assert_null(mime);
  im.id = NULL;
  im.image_base64 = NULL;
  assert_int_equal(mistral_ocr_image_decode(&bytes, &len, NULL, &im, NULL), MISTRAL_E_INVALID_ARG);
  mistral_error_free(err);
}

int main(void) {
  tu_clean_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_document_url),
      cmocka_unit_test(test_all_fields),
      cmocka_unit_test(test_image_url_and_nulls),
      cmocka_unit_test(test_file_id_and_page_text),
      cmocka_unit_test(test_local_files),
      cmocka_unit_test(test_http_error),
      cmocka_unit_test(test_malformed_responses),
      cmocka_unit_test(test_tolerated_responses),
      cmocka_unit_test(test_refused_before_sending),
      cmocka_unit_test(test_call_options),
      cmocka_unit_test(test_image_decode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
