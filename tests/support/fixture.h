/* Test support: recorded HTTP exchanges (*.fixture files).
 *
 * The file format is described in tests/fixtures/README.md. This header
 * parses a fixture into a plain struct and matches a received HTTP request
 * against the request the fixture expects. Nothing here does I/O except
 * fixture_load(), which reads one file.
 *
 * Thread safety: a parsed fixture is immutable; any number of threads may
 * match requests against the same fixture at once.
 */
#ifndef LIBMISTRAL_TEST_FIXTURE_H
#define LIBMISTRAL_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One header line of a fixture. */
typedef struct fixture_header {
    char *name;   /* as written; compared case-insensitively */
    char *value;  /* trimmed; "" for an absence rule */
    bool absent;  /* request side only: written "!name:", must be absent */
} fixture_header;

/* A parsed fixture. Every pointer is owned by the fixture. */
typedef struct fixture {
    char *name; /* file path or caller-given label, used in messages */

    /* Directives ('%' lines). */
    bool close;             /* % close */
    bool hang;              /* % hang */
    bool chunked;           /* % transfer-encoding chunked */
    unsigned delay_ms;      /* % delay-ms N (0: none) */
    unsigned chunk_delay_ms;/* % chunk-delay-ms N (0: none) */
    size_t chunk_bytes;     /* % chunk-bytes N (0: whole body at once) */
    bool truncate;          /* % truncate-body N given */
    size_t truncate_body;   /* N, always < the sent body's length */
    size_t *split_at;       /* % split-at N,N,...: body offsets to cut the
                               body at, strictly increasing, each in
                               [1, sent length); NULL when not given */
    size_t split_count;
    bool stall;             /* % stall-after N given */
    size_t stall_after;     /* N, always < the sent body's length */
    bool reset;             /* % reset-after N given */
    size_t reset_after;     /* N, always < the sent body's length */
    bool gzip;              /* % gzip: the body goes out gzip-compressed */

    /* Expected request. */
    char *method;
    char *target;                /* path and query string */
    fixture_header *req_headers;
    size_t req_header_count;
    char *req_body;              /* one trailing LF removed; NUL-terminated */
    size_t req_body_len;         /* 0: no body expected */
    json_t *req_json;            /* the body parsed, when it is JSON */

    /* Response. */
    char *status_line;           /* e.g. "HTTP/1.1 200 OK", no CR/LF */
    int status;                  /* e.g. 200 */
    fixture_header *resp_headers;
    size_t resp_header_count;
    char *resp_body;             /* one trailing LF removed; NUL-terminated */
    size_t resp_body_len;
    bool has_response;           /* false only for a "% hang" fixture
                                    without a response section */
    /* With % gzip: resp_body compressed (gzip format, made once at parse
     * time so that the byte offsets of the directives can be checked
     * against it); NULL otherwise. The offsets of truncate-body, split-at,
     * stall-after, reset-after and chunk-bytes count bytes of the body as
     * sent: these compressed bytes when % gzip is given. */
    char *gzip_body;
    size_t gzip_body_len;
} fixture;

/* Parses len bytes of fixture text. name labels the fixture in messages.
 * Returns a new fixture (free with fixture_free) or NULL on a syntax error,
 * with "name:line: message" written to err (if errlen > 0). */
fixture *fixture_parse(const char *text, size_t len, const char *name,
                       char *err, size_t errlen);

/* Reads and parses the file at path; NULL on error (message in err). */
fixture *fixture_load(const char *path, char *err, size_t errlen);

/* Frees fx; NULL is a no-op. */
void fixture_free(fixture *fx);

/* A header of a received request (borrowed strings). */
typedef struct fixture_request_header {
    const char *name;
    const char *value; /* without surrounding whitespace */
} fixture_request_header;

/* A received request. All pointers are borrowed. */
typedef struct fixture_request {
    const char *method;
    const char *target;  /* path and query string, as on the request line */
    const fixture_request_header *headers;
    size_t header_count;
    const char *body;    /* de-chunked; may be NULL when body_len == 0 */
    size_t body_len;
    /* Optional: the body already parsed as JSON (borrowed), so that a
     * caller matching one request against many fixtures parses it once.
     * NULL: the matcher parses the body itself when it needs to. */
    const json_t *body_json;
} fixture_request;

/* Compares req with the request fx expects. Returns true on a match.
 * Otherwise writes a one-line description of the first difference to desc
 * (if desclen > 0), e.g.
 *   $.messages[0].content: expected "Hi", got "Hello"
 *   header accept: expected "application/json", got "text/event-stream"
 * api_key replaces {{API_KEY}} in expected header values; NULL accepts any
 * text in its place. The description never contains the received value of
 * an authorization header (or of a header whose expectation uses
 * {{API_KEY}}), and every occurrence of api_key is replaced by <redacted>. */
bool fixture_match_request(const fixture *fx, const fixture_request *req,
                           const char *api_key, char *desc, size_t desclen);

/* How far req is from fx, for choosing the closest fixture: SIZE_MAX when
 * the method, the path (without query string) or the "stream" flag of a
 * JSON object body differ; otherwise the number of differences (query
 * string, header rules, JSON leaves; a non-JSON body that differs counts 1).
 * 0 exactly when fixture_match_request() would return true. */
size_t fixture_request_distance(const fixture *fx, const fixture_request *req,
                                const char *api_key);

/* Replaces every occurrence of api_key (when non-NULL and non-empty) in the
 * NUL-terminated text s with "<redacted>", in place, keeping the result
 * within size bytes (truncating if needed). */
void fixture_redact(char *s, size_t size, const char *api_key);

#ifdef __cplusplus
}
#endif

#endif
