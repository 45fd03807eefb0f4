/* SPDX-License-Identifier: Apache-2.0 */
/* mistral embed: texts in, vectors out (JSON lines, or the raw matrix in a
 * file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_MODEL "mistral-embed"
#define DEFAULT_BATCH 128

enum { OPT_DIMENSION = 1, OPT_DTYPE, OPT_BASE64, OPT_BATCH, OPT_OUT };

/* Besides --model, --server-url, --help and --version (cli.h). */
static const cli_option embed_options[] = {
    {"dimension", 0, true, OPT_DIMENSION},
    {"dtype", 0, true, OPT_DTYPE},
    {"base64", 0, false, OPT_BASE64},
    {"batch", 0, true, OPT_BATCH},
    {"out", 'o', true, OPT_OUT},
    {NULL, 0, false, 0},
};

static void embed_help(void) {
  printf("Usage: mistral embed [OPTIONS] [TEXT...]\n"
         "\n"
         "Embeds each TEXT (one vector per argument) or, without TEXT, each line of\n"
         "standard input (empty lines are skipped), and prints one JSON array per\n"
         "input, in input order. Inputs are sent in requests of at most --batch\n"
         "texts; the first failed request stops the command.\n"
         "\n"
         "Options:\n"
         "  -m, --model MODEL      the model (default " DEFAULT_MODEL ")\n"
         "      --dimension N      output_dimension: vectors of N values (models\n"
         "                         that support it, e.g. codestral-embed)\n"
         "      --dtype TYPE       output_dtype: float (default), int8, uint8,\n"
         "                         binary or ubinary (the binary types pack 8\n"
         "                         dimensions per byte and print the bytes)\n"
         "      --base64           encoding_format base64: smaller answers, faster\n"
         "                         decoding; the output is the same\n"
         "      --batch K          at most K texts per request (default %d)\n"
         "  -o, --out FILE         write the matrix to FILE as raw row-major values\n"
         "                         (float32 in this machine's byte order, or one\n"
         "                         byte per value for the other dtypes) instead of\n"
         "                         printing it; the shape goes to standard error\n"
         "      --server-url URL   the API server (default $MISTRAL_SERVER_URL,\n"
         "                         else " MISTRAL_DEFAULT_SERVER_URL ")\n"
         "  -h, --help             show this help and exit\n"
         "      --version          show the version and exit\n"
         "\n"
         "Examples:\n"
         "  mistral embed 'The cat sleeps.' 'Markets fell.'\n"
         "  mistral embed --out vectors.f32 < sentences.txt\n"
         "  mistral embed -m codestral-embed --dimension 256 --dtype int8 'int main(void)'\n"
         "\n"
         "%s\n%s",
         DEFAULT_BATCH, cli_environment_help, cli_exit_help);
}

typedef struct embed_options_set {
  cli_common common; /* model, server_url */
  const char *out;
  bool has_dimension, base64;
  int64_t dimension;
  mistral_embeddings_dtype dtype;
  int64_t batch;
} embed_options_set;

/* Parses the options into o and the texts into words (count in *count).
 * Returns CLI_CONTINUE to go on, or the exit status. */
static int parse_options(int argc, char **argv, embed_options_set *o, const char **words,
                         size_t *count) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, &o->common, embed_options);
  const char *arg;
  int id;
  while ((id = cli_next(&p, &arg)) != CLI_OPT_END) {
    int status;
    switch (id) {
      case CLI_OPT_POSITIONAL:
        words[(*count)++] = arg;
        break;
      case OPT_DIMENSION:
        if (!cli_parse_int64("--dimension", arg, 1, &o->dimension)) return CLI_EXIT_USAGE;
        o->has_dimension = true;
        break;
      case OPT_DTYPE:
        if (mistral_embeddings_dtype_from_name(&o->dtype, arg) != MISTRAL_OK) {
          cli_error("--dtype must be float, int8, uint8, binary or ubinary, not '%s'", arg);
          return CLI_EXIT_USAGE;
        }
        break;
      case OPT_BASE64:
        o->base64 = true;
        break;
      case OPT_BATCH:
        if (!cli_parse_int64("--batch", arg, 1, &o->batch)) return CLI_EXIT_USAGE;
        break;
      case OPT_OUT:
        if (!*arg) {
          cli_error("--out needs a file name");
          return CLI_EXIT_USAGE;
        }
        o->out = arg;
        break;
      default:
        if ((status = cli_common_option(&p, id, arg)) != CLI_CONTINUE) return status;
        break;
    }
  }
  return CLI_CONTINUE;
}

/* The non-empty lines of text (modified in place: line ends become NULs). */
static int split_lines(char *text, size_t len, const char ***out, size_t *count) {
  size_t cap = 16, n = 0;
  const char **lines = malloc(cap * sizeof *lines);
  if (!lines) return cli_report(MISTRAL_E_NOMEM, NULL);
  char *p = text, *end = text + len;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    char *e = nl ? nl : end;
    if (e > p && e[-1] == '\r') e[-1] = '\0';
    *e = '\0';
    if (*p) {
      if (n == cap) {
        const char **grown = realloc((void *)lines, (cap *= 2) * sizeof *lines);
        if (!grown) {
          free((void *)lines);
          return cli_report(MISTRAL_E_NOMEM, NULL);
        }
        lines = grown;
      }
      lines[n++] = p;
    }
    p = e + 1;
  }
  *out = lines;
  *count = n;
  return CLI_EXIT_OK;
}

/* A setter refused a value: building the body brings out its message. */
static int refused(int rc, const mistral_embeddings_request *req, mistral_error *err) {
  char *json = NULL;
  int build = rc == MISTRAL_E_NOMEM ? rc : mistral_embeddings_request_to_json(&json, req, err);
  mistral_free(json);
  return cli_refused(rc, build, err);
}

static int build_request(mistral_embeddings_request **out, const embed_options_set *o,
                         const char *const *texts, size_t count, mistral_error *err) {
  mistral_embeddings_request *req = NULL;
  int rc = mistral_embeddings_request_new(&req, o->common.model);
  if (rc != MISTRAL_OK) {
    mistral_embeddings_request_free(req);
    return cli_request_new_status(rc);
  }
  rc = mistral_embeddings_request_set_inputs(req, texts, count);
  if (rc == MISTRAL_OK && o->has_dimension)
    rc = mistral_embeddings_request_set_output_dimension(req, o->dimension);
  if (rc == MISTRAL_OK && o->dtype != MISTRAL_EMBEDDINGS_DTYPE_FLOAT)
    rc = mistral_embeddings_request_set_output_dtype(req, o->dtype);
  if (rc == MISTRAL_OK && o->base64)
    rc = mistral_embeddings_request_set_encoding_format(req, MISTRAL_EMBEDDINGS_ENCODING_BASE64);
  if (rc != MISTRAL_OK) {
    int status = refused(rc, req, err);
    mistral_embeddings_request_free(req);
    return status;
  }
  *out = req;
  return CLI_EXIT_OK;
}

/* The shortest text that reads back as the same float. */
static void print_float(float f) {
  char buf[32];
  for (int prec = 6; prec <= 9; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
    if (prec == 9 || strtof(buf, NULL) == f) break;
  }
  fputs(buf, stdout);
}

static int print_rows(const mistral_embeddings_response *r) {
  const float *f = mistral_embeddings_f32(r);
  const int8_t *s = mistral_embeddings_i8(r);
  const uint8_t *u = mistral_embeddings_u8(r);
  size_t per_row = f ? r->cols : r->row_bytes;
  for (size_t i = 0; i < r->rows; i++) {
    putchar('[');
    for (size_t k = 0; k < per_row; k++) {
      if (k) putchar(',');
      if (f) print_float(f[i * per_row + k]);
      else if (s) printf("%d", s[i * per_row + k]);
      else printf("%u", (unsigned)u[i * per_row + k]);
    }
    putchar(']');
    putchar('\n');
  }
  return cli_finish_stdout(CLI_EXIT_OK);
}

static int write_matrix(const mistral_embeddings_response *r, const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    cli_error("cannot write %s", path);
    return CLI_EXIT_FAILURE;
  }
  size_t bytes = r->rows * r->row_bytes;
  int ok = fwrite(r->data, 1, bytes, f) == bytes;
  ok = fclose(f) == 0 && ok;
  if (!ok) {
    cli_error("cannot write %s", path);
    return CLI_EXIT_FAILURE;
  }
  const char *dtype = mistral_embeddings_dtype_name(r->dtype);
  if (r->dtype == MISTRAL_EMBEDDINGS_DTYPE_FLOAT)
    fprintf(stderr, "%zu x %zu float32 (%zu bytes) written to %s\n", r->rows, r->cols, bytes,
            path);
  else if (r->dtype == MISTRAL_EMBEDDINGS_DTYPE_INT8 || r->dtype == MISTRAL_EMBEDDINGS_DTYPE_UINT8)
    fprintf(stderr, "%zu x %zu %s (%zu bytes) written to %s\n", r->rows, r->cols, dtype, bytes,
            path);
  else
    fprintf(stderr, "%zu x %zu %s (%zu packed bytes a row, %zu bytes) written to %s\n", r->rows,
            r->cols, dtype, r->row_bytes, bytes, path);
  return CLI_EXIT_OK;
}

static int embed(mistral_client *client, mistral_embeddings_request *req,
                 const embed_options_set *o, mistral_error *err) {
  mistral_call_options *opts = NULL;
  int status = cli_sigint_begin(&opts);
  if (status != CLI_EXIT_OK) return status;
  mistral_embeddings_request_set_call_options(req, opts);
  mistral_call_options_free(opts);

  mistral_embeddings_batch *batch = NULL;
  int rc = mistral_embeddings_create_batched(&batch, client, req, (size_t)o->batch, 0, err);
  status = cli_sigint_end(rc, err);
  if (status == CLI_EXIT_OK)
    status = o->out ? write_matrix(batch->response, o->out) : print_rows(batch->response);
  mistral_embeddings_batch_free(batch);
  return status;
}

int cmd_embed(int argc, char **argv) {
  embed_options_set o = {
      .common = {.command = "embed", .help = embed_help, .model = DEFAULT_MODEL},
      .batch = DEFAULT_BATCH,
  };
  const char **words = malloc(sizeof *words * (size_t)argc);
  if (!words) {
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
  }
  size_t count = 0;
  int status = parse_options(argc, argv, &o, words, &count);
  if (status != CLI_CONTINUE) {
    free((void *)words);
    return status;
  }

  char *input = NULL;
  const char **lines = NULL;
  mistral_client *client = NULL;
  mistral_error *err = NULL;
  mistral_embeddings_request *req = NULL;
  const char *const *texts = words;

  if (count == 0) {
    size_t len = 0;
    status = cli_read_stream(stdin, "standard input", &input, &len);
    if (status != CLI_EXIT_OK) goto done;
    if (memchr(input, '\0', len)) {
      cli_error("standard input contains a NUL byte");
      status = CLI_EXIT_USAGE;
      goto done;
    }
    status = split_lines(input, len, &lines, &count);
    if (status != CLI_EXIT_OK) goto done;
    texts = lines;
  }
  if (count == 0) {
    cli_error("nothing to embed (give texts as arguments or lines on standard input)");
    status = CLI_EXIT_USAGE;
    goto done;
  }
  if ((status = cli_error_new(&err)) != CLI_EXIT_OK) goto done;
  if ((status = build_request(&req, &o, texts, count, err)) != CLI_EXIT_OK) goto done;
  if ((status = cli_client_new(&client, &o.common)) != CLI_EXIT_OK) goto done;
  status = embed(client, req, &o, err);

done:
  mistral_embeddings_request_free(req);
  mistral_client_free(client);
  mistral_error_free(err);
  free((void *)lines);
  free(input);
  free((void *)words);
  return status;
}
