/* `mistral ocr`, run as a subprocess against the loopback fixture server:
 * a document URL (pages marked), an image URL (recognised by extension,
 * query string aside), local PDF and PNG files (sent as data: URIs), a file
 * id with a page range, --pages as a list, --images (listed), --image-dir
 * (saved, byte for byte), --table-format, --json; usage errors (exit 2,
 * nothing sent), an API error (exit 3), an unwritable image directory
 * (exit 1), and the help text.
 *
 * Usage: test_cli_ocr PATH-TO-mistral (MISTRAL_FIXTURES: fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_run.h"

static void test_document_url_pages(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "ocr/document-url.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "ocr", "https://arxiv.org/pdf/2201.04234");
  cr_assert_success(&r);
  assert_true(strncmp(r.out, "<!-- page 0 -->\n# LEVERAGING UNLABELED DATA", 42) == 0);
  assert_non_null(strstr(r.out, "target (test) distributions.\n\n<!-- page 1 -->\n## 1 INTRODUCTION\n"));
  assert_int_equal(r.out[r.out_len - 1], '\n');
  assert_int_equal(r.out[r.out_len - 2], ')');
  /* Without --images the images are not listed. */
  assert_null(strstr(r.out, "[image "));
  tu_cli_result_free(&r);
}

static void test_image_url_by_extension(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "ocr/cli-image-url.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "ocr", "https://example.com/scans/receipt.JPG?size=large");
  cr_assert_success(&r);
  assert_string_equal(r.out, "RECEIPT\n\nCoffee 3.20\nCroissant 1.80\n\n**Total 5.00**\n");
  tu_cli_result_free(&r);
}

static void test_local_files(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "ocr/local-pdf.fixture", 1);
  tu_expect(c->fs, "ocr/local-png.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "ocr", OCR_DATA_DIR "/hello.pdf");
  cr_assert_success(&r);
  assert_string_equal(r.out, "Hello OCR\n");
  tu_cli_result_free(&r);
  CR_RUN(c, &r, "ocr", "-m", "mistral-ocr-latest", OCR_DATA_DIR "/dots.png");
  cr_assert_success(&r);
  assert_string_equal(r.out, ""); /* an empty page */
  tu_cli_result_free(&r);
}

static void test_file_id_and_page_range(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "ocr/file-id.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "ocr", "--file-id", "3b1f8c2e-5a7d-4e9b-8c1f-2d4e6a8b0c1d", "--pages", "0-1");
  cr_assert_success(&r);
  assert_string_equal(r.out,
                      "<!-- page 0 -->\nFirst page.\n\n<!-- page 1 -->\nSecond page.\n");
  tu_cli_result_free(&r);
}

static void test_images_listed_and_saved(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "ocr/cli-options.fixture", 3);
  tu_cli_result r;
  CR_RUN(c, &r, "ocr", "--pages", "0,2", "--images", "--table-format", "html",
         "https://example.com/invoices/2025-03.pdf");
  cr_assert_success(&r);
  assert_string_equal(r.out,
                      "<!-- page 0 -->\n"
                      "# Invoice 2025-03-117\n\n![img-0.png](img-0.png)\n\n[tbl-0.html](tbl-0.html)\n"
                      "[image img-0.png (40,30)-(240,130), 70 bytes]\n"
                      "\n<!-- page 2 -->\n"
                      "Total due: **37.50**\n");
  tu_cli_result_free(&r);

  /* --image-dir saves each image under its id. */
  char dir[512], saved[600];
  tu_cli_ctx_path(c, "figures", dir, sizeof dir);
  assert_int_equal(mkdir(dir, 0700), 0);
  CR_RUN(c, &r, "ocr", "-p", "0,2", "--image-dir", dir, "--table-format=html",
         "https://example.com/invoices/2025-03.pdf");
  cr_assert_success(&r);
  snprintf(saved, sizeof saved, "[image img-0.png saved to %s/img-0.png, 70 bytes]\n", dir);
  assert_non_null(strstr(r.out, saved));
  tu_cli_result_free(&r);
  snprintf(saved, sizeof saved, "%s/img-0.png", dir);
  size_t got_len = 0, want_len = 0;
  char *got = tu_read_file(saved, &got_len);
  char *want = tu_read_file(OCR_DATA_DIR "/dots.png", &want_len);
  assert_non_null(got);
  assert_non_null(want);
  assert_int_equal(got_len, want_len);
  assert_memory_equal(got, want, want_len);
  free(got);
  free(want);

  /* A directory that does not exist: exit 1, one line. */
  snprintf(saved, sizeof saved, "%s/none", dir);
  CR_RUN(c, &r, "ocr", "--pages", "0,2", "--image-dir", saved, "--table-format", "html",
         "https://example.com/invoices/2025-03.pdf");
  assert_int_equal(r.status, 1);
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "cannot write"));
  tu_cli_result_free(&r);
}

static void test_json_prints_the_body(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "ocr/local-pdf.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "ocr", "--json", OCR_DATA_DIR "/hello.pdf");
  cr_assert_success(&r);
  assert_true(strncmp(r.out, "{\"pages\":[{\"index\":0,\"markdown\":\"Hello OCR\"", 43) == 0);
  assert_int_equal(r.out[r.out_len - 1], '\n');
  tu_cli_result_free(&r);
}

static void test_api_error_exits_3(void **state) {
  tu_cli_ctx *c = *state;
  tu_expect(c->fs, "ocr/400-bad-document.fixture", 1);
  tu_cli_result r;
  CR_RUN(c, &r, "ocr", "https://example.com/missing.pdf");
  assert_int_equal(r.status, 3);
  assert_string_equal(r.out, "");
  tu_assert_one_error_line(&r);
  assert_non_null(strstr(r.err, "Could not download the document"));
  tu_cli_result_free(&r);
}

static void test_usage_errors_exit_2(void **state) {
  tu_cli_ctx *c = *state;
  char text_file[512];
  tu_cli_ctx_path(c, "notes.txt", text_file, sizeof text_file);
  FILE *f = fopen(text_file, "wb");
  assert_non_null(f);
  fputs("plain text\n", f);
  fclose(f);
  static const struct {
    const char *args[6];
    const char *needle;
  } cases[] = {
      {{"ocr", NULL}, "missing URL or FILE"},
      {{"ocr", "a.pdf", "b.pdf", NULL}, "too many arguments: 'b.pdf'"},
      {{"ocr", "--file-id", "f", "a.pdf", NULL}, "not both"},
      {{"ocr", "--file-id", "", NULL}, "--file-id needs a file id"},
      {{"ocr", "--table-format", "latex", "a.pdf", NULL}, "'markdown' or 'html', not 'latex'"},
      {{"ocr", "--image-dir", "", "a.pdf", NULL}, "--image-dir needs a directory"},
      {{"ocr", "-m", "", "a.pdf", NULL}, "--model needs a model id"},
      {{"ocr", "-m", "m\xff", "a.pdf", NULL}, "invalid --model"},
      {{"ocr", "--bogus", NULL}, "unknown option '--bogus'"},
      {{"ocr", OCR_DATA_DIR "/missing.pdf", NULL}, "missing.pdf: No such file or directory"},
      {{"ocr", "TEXT", NULL}, "notes.txt: not a PDF"},
      {{"ocr", "--pages", "one", "https://e.x/a.pdf", NULL}, "pages: invalid character"},
      {{"ocr", "--pages", "", "https://e.x/a.pdf", NULL}, "pages: no page number"},
      {{"ocr", "https://e.x/\xff.pdf", NULL}, "document.document_url: invalid UTF-8"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *args[6];
    for (size_t k = 0; k < 6; k++)
      args[k] = cases[i].args[k] && strcmp(cases[i].args[k], "TEXT") == 0 ? text_file
                                                                         : cases[i].args[k];
    tu_cli_result r;
    cr_run(c, &r, NULL, true, args);
    if (r.status != 2 || !strstr(r.err, cases[i].needle))
      fail_msg("case %zu: status %d, stderr \"%s\" (want 2 and \"%s\")", i, r.status, r.err,
               cases[i].needle);
    tu_assert_one_error_line(&r);
    assert_string_equal(r.out, "");
    tu_cli_result_free(&r);
  }
  tu_cli_result r;
  cr_run(c, &r, NULL, false, TU_ARGS("ocr", "https://e.x/a.pdf"));
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "MISTRAL_API_KEY"));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

static void test_help(void **state) {
  tu_cli_ctx *c = *state;
  tu_cli_result r;
  CR_RUN(c, &r, "ocr", "--help");
  cr_assert_success(&r);
  assert_non_null(strstr(r.out, "Usage: mistral ocr [OPTIONS] URL|FILE"));
  assert_non_null(strstr(r.out, "--image-dir DIR"));
  assert_non_null(strstr(r.out, "Exit status:"));
  tu_cli_result_free(&r);
  CR_RUN(c, &r, "help", "ocr");
  cr_assert_success(&r);
  assert_non_null(strstr(r.out, "Usage: mistral ocr"));
  tu_cli_result_free(&r);
  assert_int_equal(fixture_server_requests(c->fs), 0);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH-TO-mistral\n", argv[0]);
    return 2;
  }
  cr_cli_path = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_document_url_pages, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_image_url_by_extension, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_local_files, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_file_id_and_page_range, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_images_listed_and_saved, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_json_prints_the_body, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_api_error_exits_3, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_usage_errors_exit_2, cr_setup, cr_teardown),
      cmocka_unit_test_setup_teardown(test_help, cr_setup, cr_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
