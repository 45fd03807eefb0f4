/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/embeddings.h
 * Embeddings (POST /v1/embeddings): texts in, one contiguous row-major
 * matrix of vectors out, ready for BLAS or a vector database without a copy.
 *
 *     const char *texts[] = {"first sentence", "second sentence"};
 *     mistral_embeddings_request *req;
 *     mistral_embeddings_request_new(&req, "mistral-embed");
 *     mistral_embeddings_request_set_inputs(req, texts, 2);
 *     mistral_embeddings_response *resp;
 *     if (mistral_embeddings_create(&resp, client, req, err) == MISTRAL_OK) {
 *       const float *m = mistral_embeddings_f32(resp); // rows x cols floats
 *       // row i (input i) starts at m + i * resp->cols
 *       mistral_embeddings_response_free(resp);
 *     }
 *     mistral_embeddings_request_free(req);
 *
 * The matrix: row i is the embedding of input i, whatever order the server
 * listed them in (each item's "index" places it; every index must be
 * present once). Element types by "output_dtype":
 *
 *   dtype    element   cols                  row_bytes
 *   float    float     dimension             4 * cols
 *   int8     int8_t    dimension             cols
 *   uint8    uint8_t   dimension             cols
 *   binary   int8_t    8 * row_bytes (bits)  dimension / 8 (packed bits)
 *   ubinary  uint8_t   8 * row_bytes (bits)  dimension / 8 (packed bits)
 *
 * The binary types pack 8 dimensions per byte, most significant bit first;
 * "binary" sends each byte in offset binary (byte value minus 128, as
 * int8), "ubinary" as is (uint8). So for binary, the packed bits of a
 * byte b are ((uint8_t)b ^ 0x80).
 *
 * With "encoding_format": "base64" each vector comes as one base64 string
 * of its raw bytes (float32 little-endian, or the 1-byte types); the matrix
 * is the same either way (floats are converted on big-endian hosts).
 *
 * Decoding is incremental: the body is decoded while it arrives, numbers
 * written straight into the matrix, so a call holds the matrix plus a
 * bounded amount of memory (never the whole JSON body). Numbers are
 * converted to the float nearest to the double nearest to the decimal text
 * (what strtod() then a cast to float give), which for numbers printed from
 * float32 values is the value itself.
 *
 * Request fields you do not set are not sent. Setters copy their arguments
 * and check them at once; a setter that fails also marks the request, so
 * the call that sends it fails with the same error (as chat requests do,
 * see mistral/chat.h).
 *
 * Threads: a request, a response, a decoder or a batch result belongs to one
 * thread at a time. mistral_embeddings_create() may run on many threads at
 * once with one client.
 */
#ifndef MISTRAL_EMBEDDINGS_H
#define MISTRAL_EMBEDDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "mistral/chat.h"
#include "mistral/client.h"
#include "mistral/common.h"
#include "mistral/error.h"
#include "mistral/options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** "output_dtype": the type of the vectors' elements. */
typedef enum mistral_embeddings_dtype {
  MISTRAL_EMBEDDINGS_DTYPE_FLOAT = 0,  /**< float32 (the API's default) */
  MISTRAL_EMBEDDINGS_DTYPE_INT8 = 1,   /**< int8, -128 to 127 */
  MISTRAL_EMBEDDINGS_DTYPE_UINT8 = 2,  /**< uint8, 0 to 255 */
  MISTRAL_EMBEDDINGS_DTYPE_BINARY = 3, /**< packed bits, offset binary int8 */
  MISTRAL_EMBEDDINGS_DTYPE_UBINARY = 4 /**< packed bits, uint8 */
} mistral_embeddings_dtype;

/** "encoding_format": how the server writes the vectors in the JSON. */
typedef enum mistral_embeddings_encoding {
  MISTRAL_EMBEDDINGS_ENCODING_FLOAT = 0, /**< JSON arrays of numbers (default) */
  MISTRAL_EMBEDDINGS_ENCODING_BASE64 = 1 /**< one base64 string per vector */
} mistral_embeddings_encoding;

/** The API's name of a dtype ("float", "int8", "uint8", "binary",
 *  "ubinary"), or NULL for a value outside the enum. Any thread. */
MISTRAL_API const char *mistral_embeddings_dtype_name(mistral_embeddings_dtype dtype);

/**
 * The dtype named name (as mistral_embeddings_dtype_name() spells it) into
 * *out. Any thread.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL argument, unknown name).
 */
MISTRAL_API int mistral_embeddings_dtype_from_name(mistral_embeddings_dtype *out,
                                                   const char *name);

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct mistral_embeddings_request mistral_embeddings_request;

/**
 * A new request. model may be NULL and set later; a model and an input are
 * required when the request is sent.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (out NULL, model empty or not
 *         UTF-8), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_embeddings_request_new(mistral_embeddings_request **out,
                                               const char *model);

/** Frees the request. NULL is a no-op. */
MISTRAL_API void mistral_embeddings_request_free(mistral_embeddings_request *req);

/** "model", e.g. "mistral-embed" or "codestral-embed" (not empty).
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM. */
MISTRAL_API int mistral_embeddings_request_set_model(mistral_embeddings_request *req,
                                                     const char *model);

/** "input" as one string: the response has one row. Replaces any input.
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL, not UTF-8),
 *          MISTRAL_E_NOMEM. */
MISTRAL_API int mistral_embeddings_request_set_input(mistral_embeddings_request *req,
                                                     const char *text);

/**
 * "input" as a list of count strings (copied): row i of the response is the
 * embedding of texts[i]. Replaces any input. An empty list is accepted here
 * but refused when sent (MISTRAL_E_INVALID_ARG).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (texts NULL with count > 0, a
 *         NULL item, an item not UTF-8; the message names the item),
 *         MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_embeddings_request_set_inputs(mistral_embeddings_request *req,
                                                      const char *const *texts, size_t count);

/** Number of inputs (1 for a single string, 0 when none is set). */
MISTRAL_API size_t mistral_embeddings_request_input_count(const mistral_embeddings_request *req);

/** "output_dimension", at least 1 (models that support it truncate their
 *  vectors to this length).
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (below 1), MISTRAL_E_NOMEM. */
MISTRAL_API int mistral_embeddings_request_set_output_dimension(
    mistral_embeddings_request *req, int64_t dimension);

/** "output_dtype". Also tells the decoder how to read the answer.
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (not a dtype), MISTRAL_E_NOMEM. */
MISTRAL_API int mistral_embeddings_request_set_output_dtype(mistral_embeddings_request *req,
                                                            mistral_embeddings_dtype dtype);

/** "encoding_format": "float" or "base64" (smaller and much faster to decode).
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM. */
MISTRAL_API int mistral_embeddings_request_set_encoding_format(
    mistral_embeddings_request *req, mistral_embeddings_encoding encoding);

/** "metadata": JSON text of an object, e.g. "{\"user\":\"42\"}".
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (not a JSON object),
 *          MISTRAL_E_NOMEM. */
MISTRAL_API int mistral_embeddings_request_set_metadata_json(mistral_embeddings_request *req,
                                                             const char *json_object);

/** Sends an explicit JSON null for "output_dimension" or "metadata".
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (another name). */
MISTRAL_API int mistral_embeddings_request_set_null(mistral_embeddings_request *req,
                                                    const char *field);

/** Forgets a field so that it is not sent: "model", "input",
 *  "output_dimension", "output_dtype", "encoding_format", "metadata".
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (another name). */
MISTRAL_API int mistral_embeddings_request_unset(mistral_embeddings_request *req,
                                                 const char *field);

/** Per-call settings (timeouts, cancel flag) for calls sending this
 *  request; copied. NULL clears them. Not part of the body.
 *  @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (req NULL). */
MISTRAL_API int mistral_embeddings_request_set_call_options(mistral_embeddings_request *req,
                                                            const mistral_call_options *opts);

/**
 * The body as it would be sent (compact JSON); free it with mistral_free().
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL argument, the error a
 *         setter left, no model, no input, an empty input list),
 *         MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_embeddings_request_to_json(char **out,
                                                   const mistral_embeddings_request *req,
                                                   mistral_error *err);

/* ------------------------------------------------------------------------ */
/* Responses                                                                */
/* ------------------------------------------------------------------------ */

/**
 * An embeddings response: one allocation tree, freed with
 * mistral_embeddings_response_free(). Strings are NUL-terminated UTF-8, NULL
 * when absent. Later releases may append fields.
 */
typedef struct mistral_embeddings_response {
  const char *id;
  const char *object;         /**< "list" */
  const char *model;
  const mistral_usage *usage; /**< never NULL (zeros and "{}" when absent) */
  /** The server's request id (header), or NULL. */
  const char *request_id;
  /** The element type of the matrix (the request's output_dtype). */
  mistral_embeddings_dtype dtype;
  /** rows * row_bytes bytes, row-major, row i the embedding of input i;
   *  aligned for float (malloc alignment); NULL only when rows is 0. */
  const void *data;
  size_t rows;      /**< one per input */
  size_t cols;      /**< the dimension (bits per row for the binary types) */
  size_t row_bytes; /**< bytes per row: the stride between rows */
} mistral_embeddings_response;

/**
 * Sends the request and decodes the answer into the matrix as it arrives.
 *
 * @param out receives the response (NULL on failure); free it with
 *        mistral_embeddings_response_free().
 * @param err optional; filled on failure.
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (NULL argument, no model, no
 *         input, an empty input list, an error left by a setter; nothing is
 *         sent); MISTRAL_E_NO_API_KEY; MISTRAL_E_NOMEM; transport errors
 *         (MISTRAL_E_CONNECT, _DNS, _TIMEOUT, _TLS, _NETWORK, _TRUNCATED);
 *         MISTRAL_E_TOO_LARGE (the body passed the client's
 *         max_response_bytes: the transfer stops there); MISTRAL_E_CANCELLED
 *         (the call options' cancel flag); HTTP errors
 *         (MISTRAL_E_UNAUTHORIZED, _FORBIDDEN, _NOT_FOUND, _VALIDATION,
 *         _RATE_LIMITED, _SERVER, _HTTP); MISTRAL_E_BAD_RESPONSE (invalid
 *         JSON, wrong shape, a row count other than the input count, a
 *         missing, repeated or out-of-range index, rows of different
 *         lengths, values out of range for the dtype, bad base64).
 *
 * Threads: any thread; many at once on one client.
 */
MISTRAL_API int mistral_embeddings_create(mistral_embeddings_response **out,
                                          mistral_client *client,
                                          const mistral_embeddings_request *req,
                                          mistral_error *err);

/** Frees a response and its matrix. NULL is a no-op. */
MISTRAL_API void mistral_embeddings_response_free(mistral_embeddings_response *resp);

/** The matrix as floats (rows * cols), or NULL when resp is NULL, empty or
 *  not of dtype float. Borrowed from resp. */
MISTRAL_API const float *mistral_embeddings_f32(const mistral_embeddings_response *resp);

/** The matrix as int8_t (rows * row_bytes) for dtypes int8 and binary, or
 *  NULL (resp NULL or empty, another dtype). Borrowed. */
MISTRAL_API const int8_t *mistral_embeddings_i8(const mistral_embeddings_response *resp);

/** The matrix as uint8_t (rows * row_bytes) for dtypes uint8 and ubinary,
 *  or NULL (resp NULL or empty, another dtype). Borrowed. */
MISTRAL_API const uint8_t *mistral_embeddings_u8(const mistral_embeddings_response *resp);

/** The first byte of row i (row_bytes bytes), or NULL when i >= rows.
 *  Borrowed. */
MISTRAL_API const void *mistral_embeddings_row(const mistral_embeddings_response *resp,
                                               size_t i);

/* ------------------------------------------------------------------------ */
/* Decoding without the network                                             */
/* ------------------------------------------------------------------------ */

/**
 * An incremental decoder of EmbeddingResponse bodies, for callers who bring
 * their own transport: feed it the body's bytes as they arrive, split
 * anywhere, then finish. It does no I/O and keeps the matrix plus a bounded
 * amount of state, never the body.
 */
typedef struct mistral_embeddings_decoder mistral_embeddings_decoder;

/**
 * A new decoder for a response to a request with this output_dtype.
 * expected_rows, when not 0, is the number of inputs sent: the response
 * must then have exactly that many rows (the matrix is sized for them at
 * once). 0 accepts any number.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (out NULL, not a dtype),
 *         MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_embeddings_decoder_new(mistral_embeddings_decoder **out,
                                               mistral_embeddings_dtype dtype,
                                               size_t expected_rows);

/**
 * Decodes len more bytes of the body. After a failure every later call fails
 * the same way.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (d NULL, data NULL with len > 0,
 *         feeding after finish), MISTRAL_E_BAD_RESPONSE (with the byte offset
 *         in the message), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_embeddings_decoder_feed(mistral_embeddings_decoder *d,
                                                const char *data, size_t len,
                                                mistral_error *err);

/**
 * Ends the body: checks it is complete and consistent and hands over the
 * response (the decoder is then spent: free it).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL argument, finished twice),
 *         MISTRAL_E_BAD_RESPONSE (the body ended early, or a check failed),
 *         MISTRAL_E_NOMEM, or the error of an earlier feed.
 */
MISTRAL_API int mistral_embeddings_decoder_finish(mistral_embeddings_response **out,
                                                  mistral_embeddings_decoder *d,
                                                  mistral_error *err);

/** Frees the decoder (and any matrix it holds). NULL is a no-op. */
MISTRAL_API void mistral_embeddings_decoder_free(mistral_embeddings_decoder *d);

/**
 * Decodes a whole body at once (a decoder fed once, then finished).
 * @return as mistral_embeddings_decoder_feed() and _finish().
 */
MISTRAL_API int mistral_embeddings_response_parse(mistral_embeddings_response **out,
                                                  const char *json, size_t len,
                                                  mistral_embeddings_dtype dtype,
                                                  size_t expected_rows, mistral_error *err);

/* ------------------------------------------------------------------------ */
/* Batching                                                                 */
/* ------------------------------------------------------------------------ */

/** One request of a batched call that failed. */
typedef struct mistral_embeddings_batch_failure {
  size_t batch;       /**< which request (0-based) */
  size_t first_input; /**< its first input's index */
  size_t input_count; /**< how many inputs it carried */
  int status;         /**< its status code */
  int http_status;    /**< mistral_error_http_status() of its error */
  const char *message;    /**< mistral_error_message() of its error */
  const char *request_id; /**< the server's request id, or NULL */
} mistral_embeddings_batch_failure;

/** The result of mistral_embeddings_create_batched(). */
typedef struct mistral_embeddings_batch {
  /** MISTRAL_OK when every request succeeded, else the first failure's
   *  status (the function's return value). */
  int status;
  /** The stitched matrix: rows = every input, in input order. Rows of
   *  inputs whose request failed or was not sent are zero (see row_ok).
   *  id and request_id are the first successful request's; usage sums
   *  every successful request's token counts (its json is "{}"); cols and
   *  row_bytes are 0 and data NULL when no request succeeded. Never NULL;
   *  owned by the batch (freed with it, never alone). */
  const mistral_embeddings_response *response;
  /** Per input: 1 when its row holds its embedding, 0 otherwise. */
  const unsigned char *row_ok;
  size_t request_count;  /**< requests sent */
  size_t failure_count;
  const mistral_embeddings_batch_failure *const *failures;
} mistral_embeddings_batch;

/** mistral_embeddings_create_batched() flags. */
enum {
  /** Go on with the next requests after one fails (the default is to stop
   *  at the first failure: the rest are not sent). */
  MISTRAL_EMBEDDINGS_BATCH_CONTINUE = 1u << 0
};

/**
 * Embeds any number of inputs: sends req's fields with its inputs split into
 * requests of at most batch_size inputs each, one after the other, and
 * stitches one matrix in input order. Every row must have the same length
 * (a request whose rows differ from the first successful one's fails with
 * MISTRAL_E_BAD_RESPONSE).
 *
 * @param out receives the result whenever the inputs were valid, even when a
 *        request failed (then with the failures listed and partial rows);
 *        NULL when nothing was sent. Free it with
 *        mistral_embeddings_batch_free() (NULL is a no-op).
 * @param batch_size at least 1.
 * @param flags 0 or MISTRAL_EMBEDDINGS_BATCH_CONTINUE.
 * @param err optional; receives the first failure, its message prefixed
 *        with the batch ("batch 3 (inputs 200..299): ...").
 * @return MISTRAL_OK; MISTRAL_E_INVALID_ARG (as mistral_embeddings_create(),
 *         and batch_size 0, unknown flags) and MISTRAL_E_NO_API_KEY, with
 *         *out NULL and nothing sent; otherwise the first failed request's
 *         status (*out set, with its status).
 *
 * Threads: any thread; many at once on one client.
 */
MISTRAL_API int mistral_embeddings_create_batched(mistral_embeddings_batch **out,
                                                  mistral_client *client,
                                                  const mistral_embeddings_request *req,
                                                  size_t batch_size, unsigned flags,
                                                  mistral_error *err);

/** Frees a batch result and everything in it. NULL is a no-op. */
MISTRAL_API void mistral_embeddings_batch_free(mistral_embeddings_batch *batch);

/* ------------------------------------------------------------------------ */
/* Similarity                                                               */
/* ------------------------------------------------------------------------ */

/** The dot product of two vectors of n floats (accumulated in double).
 *  0 when n is 0. Any thread. */
MISTRAL_API double mistral_embeddings_dot(const float *a, const float *b, size_t n);

/** The cosine similarity of two vectors of n floats, in [-1, 1]; 0 when
 *  either vector is all zeros or n is 0. Any thread. */
MISTRAL_API double mistral_embeddings_cosine(const float *a, const float *b, size_t n);

/** Scores for mistral_embeddings_top_k(). */
typedef enum mistral_embeddings_metric {
  MISTRAL_EMBEDDINGS_COSINE = 0, /**< cosine similarity */
  MISTRAL_EMBEDDINGS_DOT = 1     /**< dot product (equal to cosine for
                                      unit-length vectors, and cheaper) */
} mistral_embeddings_metric;

/**
 * The k rows of a float matrix (rows x cols, row-major, e.g.
 * mistral_embeddings_f32(resp)) most similar to query (cols floats), best
 * first; ties go to the lower row. Rows scoring NaN come last.
 *
 * @param out_rows receives up to k row numbers.
 * @param out_scores receives their scores (may be NULL).
 * @param out_count receives min(k, rows).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (a NULL pointer other than
 *         out_scores, or matrix NULL with rows > 0, cols 0, unknown
 *         metric), MISTRAL_E_NOMEM. Any thread.
 */
MISTRAL_API int mistral_embeddings_top_k(size_t *out_rows, double *out_scores, size_t k,
                                         size_t *out_count, const float *matrix, size_t rows,
                                         size_t cols, const float *query,
                                         mistral_embeddings_metric metric);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_EMBEDDINGS_H */
