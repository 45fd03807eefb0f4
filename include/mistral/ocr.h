/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/ocr.h
 * Document OCR (POST /v1/ocr): turn a PDF, an office document or an image
 * into Markdown, page by page, with the images found in it, their boxes,
 * and optional structured annotations.
 *
 *     mistral_ocr_request *req;
 *     mistral_ocr_request_new(&req, "mistral-ocr-latest");
 *     mistral_ocr_request_set_document_url(req, "https://arxiv.org/pdf/2201.04234", NULL);
 *     mistral_ocr_response *resp;
 *     if (mistral_ocr_process(&resp, client, req, err) == MISTRAL_OK) {
 *       for (size_t i = 0; i < resp->page_count; i++)
 *         puts(resp->pages[i]->markdown);
 *       mistral_ocr_response_free(resp);
 *     }
 *     mistral_ocr_request_free(req);
 *
 * The document is one of: a URL (document_url; a data: URI works too), an
 * image URL (image_url), the id of a file uploaded to the platform (file),
 * or a local file, sent inline as a base64 data: URI
 * (mistral_ocr_request_set_document_file()).
 *
 * Fields you do not set are not sent; setters check their input and mark
 * the request on failure, as chat setters do (mistral/chat.h).
 *
 * Threads: a request or a response belongs to one thread at a time; calls
 * may run on many threads at once on one client.
 */
#ifndef MISTRAL_OCR_H
#define MISTRAL_OCR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mistral/client.h"
#include "mistral/common.h"
#include "mistral/error.h"
#include "mistral/options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct mistral_ocr_request mistral_ocr_request;

/** Largest local file mistral_ocr_request_set_document_file() reads. */
#define MISTRAL_OCR_FILE_MAX ((long)64 * 1024 * 1024)

/**
 * Creates an empty request. model may be NULL and set later; the model and
 * a document are required when the request is sent.
 * @param out receives the request; free it with mistral_ocr_request_free().
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (out NULL, model empty or not
 *         UTF-8), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_ocr_request_new(mistral_ocr_request **out, const char *model);

/** Frees the request. NULL is a no-op. */
MISTRAL_API void mistral_ocr_request_free(mistral_ocr_request *req);

/**
 * "model": a non-empty model id, e.g. "mistral-ocr-latest".
 * Setters return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL request, NULL or
 * invalid UTF-8 text, invalid JSON text, a value out of range: the request
 * is marked, except for a NULL request) or MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_ocr_request_set_model(mistral_ocr_request *req, const char *model);

/**
 * "document": {"type": "document_url", "document_url": url,
 * "document_name": name}. url is an http(s) URL of a PDF or office
 * document, or a data: URI; name (the file name the server reports) may be
 * NULL (not sent). Each document setter replaces the document set before.
 */
MISTRAL_API int mistral_ocr_request_set_document_url(mistral_ocr_request *req, const char *url,
                                                     const char *name);

/** "document": {"type": "image_url", "image_url": url}: an image's URL or a
 *  data: URI. */
MISTRAL_API int mistral_ocr_request_set_image_url(mistral_ocr_request *req, const char *url);

/** "document": {"type": "file", "file_id": file_id}: a file uploaded to the
 *  platform (its id is a UUID). */
MISTRAL_API int mistral_ocr_request_set_file_id(mistral_ocr_request *req, const char *file_id);

/**
 * Reads a local file (at most MISTRAL_OCR_FILE_MAX bytes) and sends it
 * inline as a base64 data: URI: a PDF (recognised by its first bytes) or a
 * .docx / .pptx file (a ZIP archive with that extension) as document_url,
 * with the file's base name as document_name; a PNG, JPEG, GIF, WebP, TIFF
 * or AVIF image (recognised by its first bytes) as image_url. The file is
 * read now.
 * @return also MISTRAL_E_INVALID_ARG when the file cannot be read, is too
 *         large or is none of these types (the message names the path).
 */
MISTRAL_API int mistral_ocr_request_set_document_file(mistral_ocr_request *req,
                                                      const char *path);

/** "pages": the pages to process, count (>= 1) page numbers from 0, each
 *  >= 0. Without it every page is processed. */
MISTRAL_API int mistral_ocr_request_set_pages(mistral_ocr_request *req, const int64_t *pages,
                                              size_t count);

/** "pages" as text of numbers and ranges, e.g. "0,2-4" (digits, commas,
 *  hyphens and spaces, at least one digit); the server reads it. */
MISTRAL_API int mistral_ocr_request_set_pages_text(mistral_ocr_request *req,
                                                   const char *pages);

/** "include_image_base64": return each extracted image's data
 *  (mistral_ocr_image.image_base64). */
MISTRAL_API int mistral_ocr_request_set_include_image_base64(mistral_ocr_request *req,
                                                             bool include);

/** "image_limit": extract at most this many images, >= 0. */
MISTRAL_API int mistral_ocr_request_set_image_limit(mistral_ocr_request *req, int64_t limit);

/** "image_min_size": extract only images at least this high and wide, in
 *  pixels, >= 0. */
MISTRAL_API int mistral_ocr_request_set_image_min_size(mistral_ocr_request *req,
                                                       int64_t min_size);

/** Values of "table_format". */
typedef enum mistral_ocr_table_format {
  MISTRAL_OCR_TABLE_MARKDOWN = 0, /**< "markdown" */
  MISTRAL_OCR_TABLE_HTML = 1      /**< "html" */
} mistral_ocr_table_format;

/** "table_format": how extracted tables are written (see
 *  mistral_ocr_page.tables). */
MISTRAL_API int mistral_ocr_request_set_table_format(mistral_ocr_request *req,
                                                     mistral_ocr_table_format format);

/**
 * "bbox_annotation_format": {"type": "json_schema", "json_schema": {name,
 * description, schema, strict}}: the model annotates every extracted
 * image/box with JSON following schema_json (JSON text of a JSON Schema
 * object); the annotation arrives in mistral_ocr_image.image_annotation.
 * name must be non-empty; description may be NULL (not sent); strict is
 * sent only when true.
 */
MISTRAL_API int mistral_ocr_request_set_bbox_annotation_format(mistral_ocr_request *req,
                                                               const char *name,
                                                               const char *description,
                                                               const char *schema_json,
                                                               bool strict);

/** "document_annotation_format": as above, for one annotation of the whole
 *  document (mistral_ocr_response.document_annotation). */
MISTRAL_API int mistral_ocr_request_set_document_annotation_format(mistral_ocr_request *req,
                                                                   const char *name,
                                                                   const char *description,
                                                                   const char *schema_json,
                                                                   bool strict);

/** "document_annotation_prompt": guidance for the document annotation (a
 *  document annotation format must be set too; the server checks). */
MISTRAL_API int mistral_ocr_request_set_document_annotation_prompt(mistral_ocr_request *req,
                                                                   const char *prompt);

/** "extract_header": move each page's header out of its Markdown into
 *  mistral_ocr_page.header. */
MISTRAL_API int mistral_ocr_request_set_extract_header(mistral_ocr_request *req, bool extract);

/** "extract_footer": the same for footers (mistral_ocr_page.footer). */
MISTRAL_API int mistral_ocr_request_set_extract_footer(mistral_ocr_request *req, bool extract);

/** "include_blocks": return paragraph-level blocks with their boxes
 *  (mistral_ocr_page.blocks_json). */
MISTRAL_API int mistral_ocr_request_set_include_blocks(mistral_ocr_request *req, bool include);

/** Values of "confidence_scores_granularity". */
typedef enum mistral_ocr_confidence {
  MISTRAL_OCR_CONFIDENCE_PAGE = 0, /**< "page": per-page aggregates */
  MISTRAL_OCR_CONFIDENCE_WORD = 1, /**< "word": per-word scores too */
  MISTRAL_OCR_CONFIDENCE_BLOCK = 2 /**< "block": per-block scores */
} mistral_ocr_confidence;

/** "confidence_scores_granularity" (mistral_ocr_page.confidence_scores_json). */
MISTRAL_API int mistral_ocr_request_set_confidence_scores_granularity(
    mistral_ocr_request *req, mistral_ocr_confidence granularity);

/**
 * Sends an explicit JSON null for a field, where the API allows one: pages,
 * include_image_base64, image_limit, image_min_size, bbox_annotation_format,
 * document_annotation_format, document_annotation_prompt, table_format,
 * confidence_scores_granularity.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (unknown or non-nullable field).
 */
MISTRAL_API int mistral_ocr_request_set_null(mistral_ocr_request *req, const char *field);

/** Forgets a field (named as in the JSON body: "pages", "document",
 *  "extract_header"...) so that it is not sent. "model" and "document" may
 *  be unset too, but are required when sending. */
MISTRAL_API int mistral_ocr_request_unset(mistral_ocr_request *req, const char *field);

/** Per-call settings (timeouts, cancel flag), copied; NULL clears them. */
MISTRAL_API int mistral_ocr_request_set_call_options(mistral_ocr_request *req,
                                                     const mistral_call_options *opts);

/**
 * The body as it would be sent (compact JSON text; free with
 * mistral_free()).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL argument, an error a
 *         setter left, no model, no document), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_ocr_request_to_json(char **out, const mistral_ocr_request *req,
                                            mistral_error *err);

/* ------------------------------------------------------------------------ */
/* Responses                                                                */
/* ------------------------------------------------------------------------ */
/*
 * One allocation tree: every string and array lives until
 * mistral_ocr_response_free(). Absent or null strings are NULL, absent or
 * null integers -1 where noted. Arrays are arrays of pointers, so that
 * later releases can append fields to these structs.
 */

/** An image extracted from a page, with its box in page pixels. */
typedef struct mistral_ocr_image {
  const char *id; /**< e.g. "img-0.jpeg"; the page's Markdown refers to it */
  /** The box: top-left and bottom-right corners; -1 when null. */
  int64_t top_left_x, top_left_y, bottom_right_x, bottom_right_y;
  /** The image as the server sent it (a data: URI with base64 data) when
   *  include_image_base64 was set; NULL otherwise. See
   *  mistral_ocr_image_decode(). */
  const char *image_base64;
  /** The bbox annotation (JSON text following the schema), or NULL. */
  const char *image_annotation;
} mistral_ocr_image;

/** A table extracted from a page (see table_format). */
typedef struct mistral_ocr_table {
  const char *id;
  const char *content; /**< the table in its format */
  const char *format;  /**< "markdown" or "html" */
} mistral_ocr_table;

/** The size of a page's rendering. */
typedef struct mistral_ocr_dimensions {
  int64_t dpi;
  int64_t height; /**< pixels */
  int64_t width;  /**< pixels */
} mistral_ocr_dimensions;

/** One processed page. */
typedef struct mistral_ocr_page {
  int64_t index;        /**< the page number in the document, from 0 */
  const char *markdown; /**< never NULL ("" when absent) */
  size_t image_count;
  const mistral_ocr_image *const *images;
  size_t table_count;
  const mistral_ocr_table *const *tables;
  size_t hyperlink_count;
  const char *const *hyperlinks;
  const char *header; /**< with extract_header; NULL otherwise */
  const char *footer; /**< with extract_footer; NULL otherwise */
  /** NULL when the server sent null or nothing. */
  const mistral_ocr_dimensions *dimensions;
  /** "blocks" (paragraph-level boxes) as compact JSON text, or NULL. */
  const char *blocks_json;
  /** "confidence_scores" as compact JSON text, or NULL. */
  const char *confidence_scores_json;
} mistral_ocr_page;

/** Usage of one OCR call. */
typedef struct mistral_ocr_usage {
  int64_t pages_processed;
  int64_t doc_size_bytes; /**< -1 when null or absent */
  const char *json;       /**< the whole object as compact JSON ("{}" if absent) */
} mistral_ocr_usage;

/** The answer (OCRResponse). */
typedef struct mistral_ocr_response {
  const char *model;
  size_t page_count; /**< pages in the order the server sent them */
  const mistral_ocr_page *const *pages;
  /** The document annotation (JSON text following the schema), or NULL. */
  const char *document_annotation;
  const mistral_ocr_usage *usage_info; /**< never NULL */
  const char *request_id;              /**< the server's request id, or NULL */
  const char *raw_json;                /**< the body exactly as received */
  size_t raw_json_len;
} mistral_ocr_response;

/**
 * Sends the request and waits for the pages (large documents take a while:
 * the client's total timeout applies, or the request's call options).
 *
 * @param out receives the response on success (NULL on failure); free it
 *        with mistral_ocr_response_free().
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (as mistral_ocr_request_to_json();
 *         nothing is sent); MISTRAL_E_NO_API_KEY; MISTRAL_E_NOMEM; transport
 *         errors (MISTRAL_E_CONNECT, _DNS, _TIMEOUT, _TLS, _NETWORK,
 *         _TRUNCATED, _TOO_LARGE, _CANCELLED); HTTP errors
 *         (MISTRAL_E_UNAUTHORIZED, _FORBIDDEN, _NOT_FOUND, _VALIDATION,
 *         _RATE_LIMITED, _SERVER, _HTTP); MISTRAL_E_BAD_RESPONSE (not JSON,
 *         no "pages" array, or a member of the wrong type).
 *
 * Threads: any thread; many at once on one client.
 */
MISTRAL_API int mistral_ocr_process(mistral_ocr_response **out, mistral_client *client,
                                    const mistral_ocr_request *req, mistral_error *err);

/** Frees a response and everything in it. NULL is a no-op. */
MISTRAL_API void mistral_ocr_response_free(mistral_ocr_response *resp);

/**
 * Decodes an image's image_base64 (a data: URI, or bare base64) into its
 * bytes.
 * @param out receives a new buffer (free it with mistral_free()).
 * @param len receives the number of bytes.
 * @param mime when not NULL, receives a new string with the data: URI's
 *        media type ("image/jpeg"), or NULL when there is none (free it
 *        with mistral_free()).
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (a NULL argument, or an image
 *         without data: request it with include_image_base64);
 *         MISTRAL_E_BAD_RESPONSE (not valid base64); MISTRAL_E_NOMEM.
 * Threads: any thread.
 */
MISTRAL_API int mistral_ocr_image_decode(unsigned char **out, size_t *len, char **mime,
                                         const mistral_ocr_image *image, mistral_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_OCR_H */
