/* SPDX-License-Identifier: Apache-2.0 */
/* mistral ocr: a document or image (URL, local file or uploaded file id) in,
 * each page's Markdown out. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_MODEL "mistral-ocr-latest"

enum { OPT_PAGES = 1, OPT_IMAGES, OPT_IMAGE_DIR, OPT_TABLE_FORMAT, OPT_FILE_ID, OPT_JSON };

/* Besides --model, --server-url, --help and --version (cli.h). */
static const cli_option ocr_options[] = {
    {"pages", 'p', true, OPT_PAGES},
    {"images", 0, false, OPT_IMAGES},
    {"image-dir", 0, true, OPT_IMAGE_DIR},
    {"table-format", 0, true, OPT_TABLE_FORMAT},
    {"file-id", 0, true, OPT_FILE_ID},
    {"json", 0, false, OPT_JSON},
    {NULL, 0, false, 0},
};

static void ocr_help(void) {
  printf("Usage: mistral ocr [OPTIONS] URL|FILE\n"
         "       mistral ocr [OPTIONS] --file-id ID\n"
         "\n"
         "Runs OCR on a document or an image and prints each page's Markdown. With\n"
         "more than one page, each starts with a line '<!-- page N -->' (N from 0).\n"
         "\n"
         "URL is an http(s) URL or a data: URI; one ending in .png, .jpg, .jpeg,\n"
         ".gif, .webp, .tif, .tiff or .avif (or a data:image/ URI) is sent as an\n"
         "image, anything else as a document (PDF, DOCX, PPTX...). FILE is a local\n"
         "PDF, DOCX, PPTX or image, sent inline as base64 (at most 64 MiB).\n"
         "\n"
         "Options:\n"
         "  -m, --model MODEL         the model (default " DEFAULT_MODEL ")\n"
         "  -p, --pages LIST          only these pages, from 0: '0,1' or ranges '0-3,7'\n"
         "      --images              also fetch the extracted images: after its page,\n"
         "                            each is listed as '[image ID (X1,Y1)-(X2,Y2),\n"
         "                            N bytes]'\n"
         "      --image-dir DIR       save the extracted images as DIR/ID (implies\n"
         "                            --images; DIR must exist)\n"
         "      --table-format FMT    extract tables as 'markdown' or 'html'\n"
         "      --file-id ID          a file uploaded to the platform, instead of URL\n"
         "                            or FILE\n"
         "      --json                print the response JSON as received\n"
         "      --server-url URL      the API server (default $MISTRAL_SERVER_URL,\n"
         "                            else " MISTRAL_DEFAULT_SERVER_URL ")\n"
         "  -h, --help                show this help and exit\n"
         "      --version             show the version and exit\n"
         "\n"
         "Examples:\n"
         "  mistral ocr https://arxiv.org/pdf/2201.04234 > paper.md\n"
         "  mistral ocr --pages 0,1 scan.pdf\n"
         "  mistral ocr --image-dir figures report.pdf\n"
         "\n"
         "%s\n%s",
         cli_environment_help, cli_exit_help);
}

typedef struct ocr_args {
  cli_common common; /* model, server_url */
  const char *pages;
  const char *image_dir;
  const char *table_format;
  const char *file_id;
  const char *source; /* URL or FILE */
  bool images;
  bool json;
} ocr_args;

/* Returns CLI_CONTINUE to go on, or the exit status. */
static int parse_args(int argc, char **argv, ocr_args *a) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, &a->common, ocr_options);
  const char *arg;
  int id;
  while ((id = cli_next(&p, &arg)) != CLI_OPT_END) {
    int status;
    switch (id) {
      case CLI_OPT_POSITIONAL:
        if (a->source) {
          cli_error("too many arguments: '%s' (one URL or FILE; see 'mistral ocr --help')", arg);
          return CLI_EXIT_USAGE;
        }
        a->source = arg;
        break;
      case OPT_PAGES:
        a->pages = arg;
        break;
      case OPT_IMAGES:
        a->images = true;
        break;
      case OPT_IMAGE_DIR:
        if (!*arg) {
          cli_error("--image-dir needs a directory");
          return CLI_EXIT_USAGE;
        }
        a->image_dir = arg;
        a->images = true;
        break;
      case OPT_TABLE_FORMAT:
        if (strcmp(arg, "markdown") != 0 && strcmp(arg, "html") != 0) {
          cli_error("--table-format must be 'markdown' or 'html', not '%s'", arg);
          return CLI_EXIT_USAGE;
        }
        a->table_format = arg;
        break;
      case OPT_FILE_ID:
        if (!*arg) {
          cli_error("--file-id needs a file id");
          return CLI_EXIT_USAGE;
        }
        a->file_id = arg;
        break;
      case OPT_JSON:
        a->json = true;
        break;
      default:
        if ((status = cli_common_option(&p, id, arg)) != CLI_CONTINUE) return status;
        break;
    }
  }
  return CLI_CONTINUE;
}

static bool starts_with_ci(const char *s, const char *prefix) {
  for (; *prefix; s++, prefix++)
    if (tolower((unsigned char)*s) != *prefix) return false;
  return true;
}

/* Whether a URL names an image: its path (before any query or fragment)
 * ends with an image extension. */
static bool image_url(const char *url) {
  static const char *const exts[] = {".png",  ".jpg", ".jpeg", ".gif", ".webp",
                                     ".tif", ".tiff", ".avif"};
  if (starts_with_ci(url, "data:")) return starts_with_ci(url + 5, "image/");
  size_t n = strcspn(url, "?#");
  for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
    size_t k = strlen(exts[i]);
    if (n > k && starts_with_ci(url + n - k, exts[i])) return true;
  }
  return false;
}

/* "0,1,5" as numbers when it is only that; NULL otherwise (then the text
 * goes to the server, which reads ranges). count receives the length. */
static int64_t *page_numbers(const char *text, size_t *count) {
  size_t n = 1;
  for (const char *p = text; *p; p++) {
    if (*p == ',') n++;
    else if (*p < '0' || *p > '9') return NULL;
  }
  int64_t *pages = malloc(n * sizeof *pages);
  if (!pages) return NULL;
  const char *p = text;
  for (size_t i = 0; i < n; i++) {
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (end == p || errno == ERANGE) {
      free(pages);
      return NULL;
    }
    pages[i] = (int64_t)v;
    p = *end == ',' ? end + 1 : end;
  }
  *count = n;
  return pages;
}

/* A setter refused a value: building the body brings its message out. */
static int refused(int rc, const mistral_ocr_request *req, mistral_error *err) {
  char *json = NULL;
  int build = rc == MISTRAL_E_NOMEM ? rc : mistral_ocr_request_to_json(&json, req, err);
  mistral_free(json);
  return cli_refused(rc, build, err);
}

static int build_request(mistral_ocr_request *req, const ocr_args *a, mistral_error *err) {
  int rc;
  if (a->file_id)
    rc = mistral_ocr_request_set_file_id(req, a->file_id);
  else if (starts_with_ci(a->source, "http://") || starts_with_ci(a->source, "https://") ||
           starts_with_ci(a->source, "data:"))
    rc = image_url(a->source) ? mistral_ocr_request_set_image_url(req, a->source)
                              : mistral_ocr_request_set_document_url(req, a->source, NULL);
  else
    rc = mistral_ocr_request_set_document_file(req, a->source);
  if (rc == MISTRAL_OK && a->pages) {
    size_t count = 0;
    int64_t *pages = page_numbers(a->pages, &count);
    rc = pages ? mistral_ocr_request_set_pages(req, pages, count)
               : mistral_ocr_request_set_pages_text(req, a->pages);
    free(pages);
  }
  if (rc == MISTRAL_OK && a->images) rc = mistral_ocr_request_set_include_image_base64(req, true);
  if (rc == MISTRAL_OK && a->table_format)
    rc = mistral_ocr_request_set_table_format(req, strcmp(a->table_format, "html") == 0
                                                       ? MISTRAL_OCR_TABLE_HTML
                                                       : MISTRAL_OCR_TABLE_MARKDOWN);
  return rc == MISTRAL_OK ? CLI_EXIT_OK : refused(rc, req, err);
}

/* The image's id as a safe file name: letters, digits, '.', '-' and '_'
 * kept, anything else '_', no leading dot. */
static void safe_name(const char *id, char *buf, size_t len) {
  size_t n = 0;
  for (const char *p = id ? id : ""; *p && n + 1 < len; p++) {
    unsigned char c = (unsigned char)*p;
    bool keep = isalnum(c) || c == '-' || c == '_' || (c == '.' && n > 0);
    buf[n++] = keep ? (char)c : '_';
  }
  if (n == 0) buf[n++] = '_';
  buf[n] = '\0';
}

/* Saves one image; returns the exit status. */
static int save_image(const char *dir, const mistral_ocr_image *im, mistral_error *err) {
  unsigned char *data = NULL;
  size_t len = 0;
  int rc = mistral_ocr_image_decode(&data, &len, NULL, im, err);
  if (rc != MISTRAL_OK) return cli_report(rc, err);
  char name[128], path[4096];
  safe_name(im->id, name, sizeof name);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  bool ok = f && fwrite(data, 1, len, f) == len;
  if (f && fclose(f) != 0) ok = false;
  mistral_free(data);
  if (!ok) {
    cli_error("cannot write %s: %s", path, strerror(errno));
    return CLI_EXIT_FAILURE;
  }
  printf("[image %s saved to %s, %zu bytes]\n", im->id ? im->id : "?", path, len);
  return CLI_EXIT_OK;
}

static void print_image(const mistral_ocr_image *im) {
  size_t bytes = 0;
  if (im->image_base64) {
    const char *comma = strchr(im->image_base64, ',');
    const char *data = comma ? comma + 1 : im->image_base64;
    size_t n = strlen(data);
    bytes = n / 4 * 3;
    if (n >= 1 && data[n - 1] == '=') bytes--;
    if (n >= 2 && data[n - 2] == '=') bytes--;
  }
  printf("[image %s (%lld,%lld)-(%lld,%lld), %zu bytes]\n", im->id ? im->id : "?",
         (long long)im->top_left_x, (long long)im->top_left_y, (long long)im->bottom_right_x,
         (long long)im->bottom_right_y, bytes);
}

static int print_pages(const mistral_ocr_response *resp, const ocr_args *a, mistral_error *err) {
  for (size_t i = 0; i < resp->page_count; i++) {
    const mistral_ocr_page *page = resp->pages[i];
    if (resp->page_count > 1) printf("%s<!-- page %lld -->\n", i ? "\n" : "", (long long)page->index);
    size_t n = strlen(page->markdown);
    fputs(page->markdown, stdout);
    if (n && page->markdown[n - 1] != '\n') putchar('\n');
    if (!a->images) continue;
    for (size_t k = 0; k < page->image_count; k++) {
      if (a->image_dir && page->images[k]->image_base64) {
        int status = save_image(a->image_dir, page->images[k], err);
        if (status != CLI_EXIT_OK) return status;
      } else {
        print_image(page->images[k]);
      }
    }
  }
  return CLI_EXIT_OK;
}

int cmd_ocr(int argc, char **argv) {
  ocr_args a = {.common = {.command = "ocr", .help = ocr_help, .model = DEFAULT_MODEL}};
  int status = parse_args(argc, argv, &a);
  if (status != CLI_CONTINUE) return status;
  if (!a.source == !a.file_id) {
    cli_error(a.source ? "give either URL|FILE or --file-id, not both"
                       : "missing URL or FILE (see 'mistral ocr --help')");
    return CLI_EXIT_USAGE;
  }

  mistral_client *client = NULL;
  mistral_error *err = NULL;
  mistral_ocr_request *req = NULL;
  mistral_ocr_response *resp = NULL;
  if ((status = cli_error_new(&err)) != CLI_EXIT_OK) goto done;
  status = cli_request_new_status(mistral_ocr_request_new(&req, a.common.model));
  if (status != CLI_EXIT_OK) goto done;
  if ((status = build_request(req, &a, err)) != CLI_EXIT_OK) goto done;
  if ((status = cli_client_new(&client, &a.common)) != CLI_EXIT_OK) goto done;
  int rc = mistral_ocr_process(&resp, client, req, err);
  if (rc != MISTRAL_OK) {
    status = cli_report(rc, err);
    goto done;
  }
  status = a.json ? cli_print_body(resp->raw_json, resp->raw_json_len)
                  : print_pages(resp, &a, err);
  status = cli_finish_stdout(status);

done:
  mistral_ocr_response_free(resp);
  mistral_ocr_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  return status;
}
