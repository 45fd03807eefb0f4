/* Self-test of the fixture parser, matcher and loopback server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zlib.h>

#include "fixture.h"
#include "fixture_server.h"

#define KEY "sk-test-0123456789abcdef"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

typedef struct bytes {
    char *data;
    size_t len, cap;
    size_t writes; /* write callback calls */
} bytes;

static size_t collect_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    bytes *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    b->writes++;
    return n;
}

typedef struct reply {
    CURLcode rc;
    long status;
    bytes body;
    bytes headers;
    int64_t elapsed_ms;
} reply;

static void reply_free(reply *r)
{
    free(r->body.data);
    free(r->headers.data);
    memset(r, 0, sizeof *r);
}

/* For a chunked upload. */
typedef struct upload {
    const char *data;
    size_t len, pos, piece;
} upload;

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
    upload *u = ud;
    size_t n = size * nmemb;
    if (n > u->piece)
        n = u->piece;
    if (n > u->len - u->pos)
        n = u->len - u->pos;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* Performs one request on h (reused across calls for keep-alive).
 * headers: NULL-terminated list; body: NULL for none. */
static reply perform_opts(CURL *h, const fixture_server *fs,
                          const char *method, const char *path,
                          const char *const *headers, const char *body,
                          size_t body_len, bool chunked_upload)
{
    reply r;
    memset(&r, 0, sizeof r);
    char url[256];
    snprintf(url, sizeof url, "%s%s", fixture_server_url(fs), path);
    struct curl_slist *hl = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    upload up = { body, body_len, 0, 1000 };

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 50000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 10000L);
    if (chunked_upload) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    int64_t t0 = now_ms();
    r.rc = curl_easy_perform(h);
    r.elapsed_ms = now_ms() - t0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    return r;
}

static reply perform(CURL *h, const fixture_server *fs, const char *method,
                     const char *path, const char *const *headers,
                     const char *body)
{
    return perform_opts(h, fs, method, path, headers, body,
                        body ? strlen(body) : 0, false);
}

static bool wait_for_requests(const fixture_server *fs, size_t n)
{
    for (int i = 0; i < 5000; i++) {
        if (fixture_server_requests(fs) >= n)
            return true;
        sleep_ms(1);
    }
    return false;
}

static void assert_last_mismatch_contains(const fixture_server *fs,
                                          const char *needle)
{
    char desc[2048];
    fixture_server_last_mismatch(fs, desc, sizeof desc);
    if (!strstr(desc, needle)) {
        print_error("mismatch text: %s\nexpected to contain: %s\n", desc,
                    needle);
        fail();
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static const char chat_fixture[] =
    "# A plain chat completion.\n"
    "=== request\n"
    "POST /v1/chat/completions\n"
    "content-type: application/json\n"
    "accept: application/json\n"
    "authorization: Bearer {{API_KEY}}\n"
    "!x-forbidden:\n"
    "\n"
    "{\"model\": \"mistral-small-latest\",\n"
    " \"temperature\": 1.0,\n"
    " \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n"
    "=== response\n"
    "HTTP/1.1 200 OK\n"
    "content-type: application/json\n"
    "x-request-id: req-1\n"
    "\n"
    "{\"id\": \"cmpl-1\"}\n";

static const char *const chat_headers[] = {
    "Content-Type: application/json",
    "Accept: application/json",
    "Authorization: Bearer " KEY,
    NULL,
};

static const char chat_body[] =
    "{\"messages\":[{\"content\":\"Hi\",\"role\":\"user\"}],"
    "\"temperature\":1,\"model\":\"mistral-small-latest\"}";

/* ------------------------------------------------------------------------ */
/* Parser and matcher                                                       */

static void test_parse_fields(void **state)
{
    (void)state;
    static const char text[] =
        "# comment\n"
        "% chunk-bytes 3\n"
        "%chunk-delay-ms 7\n"
        "% delay-ms 5\n"
        "% transfer-encoding chunked\n"
        "% close\n"
        "% truncate-body 2\n"
        "\n"
        "=== request\n"
        "GET /v1/models?page=2\n"
        "accept:   application/json  \n"
        "!authorization:\n"
        "=== response\n"
        "HTTP/1.1 404 Not Found\n"
        "x-a: b\n"
        "\n"
        "data: x\r\n\r\n\n";
    char err[256];
    fixture *fx = fixture_parse(text, strlen(text), "t", err, sizeof err);
    if (!fx)
        print_error("%s\n", err);
    assert_non_null(fx);
    assert_int_equal(fx->chunk_bytes, 3);
    assert_int_equal(fx->chunk_delay_ms, 7);
    assert_int_equal(fx->delay_ms, 5);
    assert_true(fx->chunked);
    assert_true(fx->close);
    assert_true(fx->truncate);
    assert_int_equal(fx->truncate_body, 2);
    assert_false(fx->hang);
    assert_string_equal(fx->method, "GET");
    assert_string_equal(fx->target, "/v1/models?page=2");
    assert_int_equal(fx->req_header_count, 2);
    assert_string_equal(fx->req_headers[0].name, "accept");
    assert_string_equal(fx->req_headers[0].value, "application/json");
    assert_false(fx->req_headers[0].absent);
    assert_true(fx->req_headers[1].absent);
    assert_int_equal(fx->req_body_len, 0);
    assert_null(fx->req_json);
    assert_int_equal(fx->status, 404);
    assert_string_equal(fx->status_line, "HTTP/1.1 404 Not Found");
    assert_int_equal(fx->resp_header_count, 1);
    /* One trailing LF dropped, CR bytes kept. */
    assert_int_equal(fx->resp_body_len, 11);
    assert_memory_equal(fx->resp_body, "data: x\r\n\r\n", 11);
    fixture_free(fx);

    /* A raw body: one trailing LF dropped. */
    static const char raw[] = "=== request\nPUT /x\n\nhello\n\n=== response\n"
                              "HTTP/1.1 204 No Content\n";
    fx = fixture_parse(raw, strlen(raw), "raw", err, sizeof err);
    assert_non_null(fx);
    assert_null(fx->req_json);
    assert_int_equal(fx->req_body_len, 6);
    assert_memory_equal(fx->req_body, "hello\n", 6);
    assert_int_equal(fx->resp_body_len, 0);
    fixture_free(fx);

    /* A hang needs no response section. */
    static const char hang[] = "% hang\n=== request\nGET /h\n";
    fx = fixture_parse(hang, strlen(hang), "hang", err, sizeof err);
    assert_non_null(fx);
    assert_true(fx->hang);
    assert_false(fx->has_response);
    fixture_free(fx);
    fixture_free(NULL);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        { "% frobnicate\n=== request\nGET /\n=== response\nHTTP/1.1 200 OK\n",
          "t:1: unknown directive 'frobnicate'" },
        { "% delay-ms -3\n=== request\nGET /\n=== response\nHTTP/1.1 200 OK\n",
          "t:1: directive 'delay-ms' needs a non-negative integer" },
        { "% chunk-bytes 0\n=== request\nGET /\n=== response\nHTTP/1.1 200 OK\n",
          "chunk-bytes must be at least 1" },
        { "% close now\n=== request\nGET /\n=== response\nHTTP/1.1 200 OK\n",
          "takes no argument" },
        { "hello\n=== request\nGET /\n=== response\nHTTP/1.1 200 OK\n",
          "t:1: expected a '#' comment" },
        { "# only a comment\n", "missing '=== request'" },
        { "=== request\nGET /\n", "missing '=== response'" },
        { "=== request\nGET\n=== response\nHTTP/1.1 200 OK\n",
          "t:2: expected a request line" },
        { "=== request\nGET /\nno colon here\n=== response\nHTTP/1.1 200 OK\n",
          "t:3: expected a header line" },
        { "=== request\nGET /\n!x-a: b\n=== response\nHTTP/1.1 200 OK\n",
          "takes no value" },
        { "=== request\nGET /\n=== response\nHTTP/1.1 OK\n",
          "t:4: expected a status line" },
        { "% truncate-body 5\n=== request\nGET /\n=== response\n"
          "HTTP/1.1 200 OK\n\nabc\n",
          "t:1: truncate-body 5 must be less than the body length (3)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256];
        fixture *fx = fixture_parse(cases[i].text, strlen(cases[i].text), "t",
                                    err, sizeof err);
        assert_null(fx);
        if (!strstr(err, cases[i].msg)) {
            print_error("case %zu: got \"%s\", expected \"%s\"\n", i, err,
                        cases[i].msg);
            fail();
        }
    }

    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs, cases[0].text, 1), -1);
    assert_int_equal(fixture_server_expect_text(fs, chat_fixture, 0), -1);
    assert_int_equal(fixture_server_expect(fs, "/nonexistent/x.fixture", 1),
                     -1);
    assert_int_equal(fixture_server_pending(fs), 0);
    fixture_server_stop(fs);
    fixture_server_stop(NULL);
}

static bool match_body(const char *fixture_body, const char *actual,
                       char *desc, size_t desclen)
{
    char text[2048];
    snprintf(text, sizeof text,
             "=== request\nPOST /x\n\n%s\n=== response\nHTTP/1.1 200 OK\n",
             fixture_body);
    char err[256];
    fixture *fx = fixture_parse(text, strlen(text), "m", err, sizeof err);
    assert_non_null(fx);
    fixture_request req = {
        .method = "POST",
        .target = "/x",
        .body = actual,
        .body_len = strlen(actual),
    };
    bool ok = fixture_match_request(fx, &req, KEY, desc, desclen);
    size_t dist = fixture_request_distance(fx, &req, KEY);
    assert_true(ok == (dist == 0));
    fixture_free(fx);
    return ok;
}

static void expect_diff(const char *fixture_body, const char *actual,
                        const char *want)
{
    char desc[1024];
    assert_false(match_body(fixture_body, actual, desc, sizeof desc));
    if (strcmp(desc, want) != 0) {
        print_error("got  \"%s\"\nwant \"%s\"\n", desc, want);
        fail();
    }
}

static void test_json_semantics(void **state)
{
    (void)state;
    char desc[1024];
    /* Key order, whitespace, 1 == 1.0, nested. */
    assert_true(match_body("{\"a\": 1.0, \"b\": [1, {\"c\": null, \"d\": true}]}",
                           "{\"b\":[1.0,{\"d\":true,\"c\":null}],\"a\":1}",
                           desc, sizeof desc));
    assert_true(match_body("[1, 2]", " [ 1 , 2 ] ", desc, sizeof desc));
    expect_diff("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}",
                "$.messages[0].content: expected \"Hi\", got \"Hello\"");
    expect_diff("{\"a\": 1}", "{\"a\": 2}", "$.a: expected 1, got 2");
    expect_diff("{\"a\": 1}", "{\"a\": \"1\"}", "$.a: expected 1, got \"1\"");
    expect_diff("{\"a\": 1, \"b\": 2}", "{\"a\": 1}",
                "$.b: missing, expected 2");
    expect_diff("{\"a\": 1}", "{\"a\": 1, \"zz\": [true]}",
                "$.zz: unexpected key, got [true]");
    expect_diff("{\"a b\": {\"x\": [1, 2]}}", "{\"a b\": {\"x\": [1]}}",
                "$[\"a b\"].x: expected 2 elements, got 1");
    assert_false(match_body("{\"a\": 1}", "{\"a\": 1", desc, sizeof desc));
    assert_int_equal(strncmp(desc, "body: expected JSON, got invalid JSON "
                                   "(line 1 column ", 53), 0);
    assert_non_null(strstr(desc, "): \"{\\\"a\\\": 1\""));
    expect_diff("{\"a\": 1}", "", "body: expected JSON, got no body");
    /* Duplicate keys are an error in what the client sends. */
    assert_false(match_body("{\"a\": 1}", "{\"a\": 1, \"a\": 1}", desc,
                            sizeof desc));
    /* Non-JSON bodies compare byte for byte. */
    assert_true(match_body("plain text", "plain text", desc, sizeof desc));
    expect_diff("plain text", "plain test",
                "body: differs at byte 8: expected \"plain text\", got "
                "\"plain test\"");
}

static void test_matcher_headers_and_redaction(void **state)
{
    (void)state;
    static const char text[] =
        "=== request\n"
        "GET /v1/models\n"
        "Authorization: Bearer {{API_KEY}}\n"
        "x-note: hello\n"
        "!x-forbidden:\n"
        "=== response\n"
        "HTTP/1.1 200 OK\n";
    char err[256], desc[1024];
    fixture *fx = fixture_parse(text, strlen(text), "h", err, sizeof err);
    assert_non_null(fx);
    fixture_request_header hs[] = {
        { "authorization", "Bearer " KEY },
        { "X-Note", "hello" },
        { "x-other", "1" },
    };
    fixture_request req = { .method = "GET", .target = "/v1/models",
                            .headers = hs, .header_count = 3 };
    assert_true(fixture_match_request(fx, &req, KEY, desc, sizeof desc));
    assert_int_equal(fixture_request_distance(fx, &req, KEY), 0);
    /* Without a configured key, any bearer token passes. */
    assert_true(fixture_match_request(fx, &req, NULL, desc, sizeof desc));

    hs[0].value = "Bearer sk-wrong-key";
    assert_false(fixture_match_request(fx, &req, KEY, desc, sizeof desc));
    assert_string_equal(desc, "header Authorization: expected \"Bearer "
                              "{{API_KEY}}\", got <redacted>");
    assert_int_equal(fixture_request_distance(fx, &req, KEY), 1);
    hs[0].value = "Basic abc";
    assert_false(fixture_match_request(fx, &req, NULL, desc, sizeof desc));
    assert_null(strstr(desc, "abc"));
    assert_non_null(strstr(desc, "without the \"Bearer \" prefix"));
    hs[0].value = "Bearer " KEY;

    /* The key never shows, whatever header carries it. */
    hs[1].value = "xx" KEY "yy";
    assert_false(fixture_match_request(fx, &req, KEY, desc, sizeof desc));
    assert_string_equal(desc, "header x-note: expected \"hello\", got "
                              "\"xx<redacted>yy\"");
    hs[1].value = "hello";

    hs[2].name = "X-Forbidden";
    assert_false(fixture_match_request(fx, &req, KEY, desc, sizeof desc));
    assert_string_equal(desc, "header x-forbidden: expected absent, got \"1\"");

    req.method = "POST";
    assert_false(fixture_match_request(fx, &req, KEY, desc, sizeof desc));
    assert_string_equal(desc, "request line: expected GET \"/v1/models\", "
                              "got POST \"/v1/models\"");
    assert_int_equal(fixture_request_distance(fx, &req, KEY), SIZE_MAX);
    fixture_free(fx);

    char s[64] = "a " KEY " b";
    fixture_redact(s, sizeof s, KEY);
    assert_string_equal(s, "a <redacted> b");
}

/* ------------------------------------------------------------------------ */
/* Server                                                                   */

static void test_exact_match(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(strncmp(fixture_server_url(fs), "http://127.0.0.1:", 17),
                     0);
    assert_true(fixture_server_port(fs) > 0);
    assert_int_equal(fixture_server_expect_text(fs, chat_fixture, 1), 0);
    assert_int_equal(fixture_server_pending(fs), 1);

    CURL *h = curl_easy_init();
    reply r = perform(h, fs, "POST", "/v1/chat/completions", chat_headers,
                      chat_body);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "{\"id\": \"cmpl-1\"}");
    assert_non_null(strstr(r.headers.data, "x-request-id: req-1\r\n"));
    assert_non_null(strstr(r.headers.data, "Content-Length: 16\r\n"));
    assert_non_null(strstr(r.headers.data, "Connection: keep-alive\r\n"));
    assert_int_equal(fixture_server_mismatches(fs), 0);
    assert_int_equal(fixture_server_pending(fs), 0);
    assert_int_equal(fixture_server_requests(fs), 1);
    char desc[16];
    fixture_server_last_mismatch(fs, desc, sizeof desc);
    assert_string_equal(desc, "");
    reply_free(&r);
    /* Stop while the client still holds the idle keep-alive connection. */
    fixture_server_stop(fs);
    curl_easy_cleanup(h);
}

static void test_mismatches(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs, chat_fixture, 1), 0);
    CURL *h = curl_easy_init();

    /* Header value. */
    const char *const bad_accept[] = {
        "Content-Type: application/json", "Accept: text/plain",
        "Authorization: Bearer " KEY, NULL,
    };
    reply r = perform(h, fs, "POST", "/v1/chat/completions", bad_accept,
                      chat_body);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 599);
    assert_non_null(strstr(r.body.data, "header accept: expected "
                                        "\"application/json\", got "
                                        "\"text/plain\""));
    assert_last_mismatch_contains(fs, "<fixture text>: header accept: "
                                      "expected \"application/json\", got "
                                      "\"text/plain\"");
    assert_int_equal(fixture_server_mismatches(fs), 1);
    assert_int_equal(fixture_server_pending(fs), 1); /* not consumed */
    reply_free(&r);

    /* Wrong key: redacted. */
    const char *const bad_key[] = {
        "Content-Type: application/json", "Accept: application/json",
        "Authorization: Bearer sk-wrong-secret", NULL,
    };
    r = perform(h, fs, "POST", "/v1/chat/completions", bad_key, chat_body);
    assert_int_equal(r.status, 599);
    assert_non_null(strstr(r.body.data, "got <redacted>"));
    assert_null(strstr(r.body.data, "sk-wrong-secret"));
    assert_null(strstr(r.body.data, KEY));
    reply_free(&r);

    /* Header that must be absent. */
    const char *const forbidden[] = {
        "Content-Type: application/json", "Accept: application/json",
        "Authorization: Bearer " KEY, "X-Forbidden: yes", NULL,
    };
    r = perform(h, fs, "POST", "/v1/chat/completions", forbidden, chat_body);
    assert_int_equal(r.status, 599);
    assert_last_mismatch_contains(fs, "header x-forbidden: expected absent, "
                                      "got \"yes\"");
    reply_free(&r);

    /* Body: the first differing path, and the key scrubbed from values. */
    r = perform(h, fs, "POST", "/v1/chat/completions", chat_headers,
                "{\"model\":\"mistral-small-latest\",\"temperature\":1,"
                "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
    assert_int_equal(r.status, 599);
    assert_string_equal(r.body.data,
                        "<fixture text>: $.messages[0].content: expected "
                        "\"Hi\", got \"Hello\"");
    reply_free(&r);
    r = perform(h, fs, "POST", "/v1/chat/completions", chat_headers,
                "{\"model\":\"" KEY "\",\"temperature\":1,"
                "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    assert_int_equal(r.status, 599);
    assert_null(strstr(r.body.data, KEY));
    assert_non_null(strstr(r.body.data, "got \"<redacted>\""));
    reply_free(&r);

    /* Path. */
    r = perform(h, fs, "POST", "/v1/embeddings", chat_headers, chat_body);
    assert_int_equal(r.status, 599);
    assert_last_mismatch_contains(fs, "request line: expected POST "
                                      "\"/v1/chat/completions\", got POST "
                                      "\"/v1/embeddings\"");
    reply_free(&r);

    assert_int_equal(fixture_server_mismatches(fs), 6);
    assert_int_equal(fixture_server_pending(fs), 1);
    /* Mismatches keep the connection. */
    assert_int_equal(fixture_server_connections(fs), 1);

    /* The expected request still works; one more is an unexpected extra. */
    r = perform(h, fs, "POST", "/v1/chat/completions", chat_headers,
                chat_body);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    r = perform(h, fs, "POST", "/v1/chat/completions", chat_headers,
                chat_body);
    assert_int_equal(r.status, 599);
    assert_last_mismatch_contains(fs, "unexpected request POST "
                                      "/v1/chat/completions: no exchange "
                                      "left in the script");
    assert_int_equal(fixture_server_mismatches(fs), 7);
    reply_free(&r);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static void test_no_api_key(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(NULL);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs, chat_fixture, 1), 0);
    CURL *h = curl_easy_init();
    const char *const any_key[] = {
        "Content-Type: application/json", "Accept: application/json",
        "Authorization: Bearer whatever", NULL,
    };
    reply r = perform(h, fs, "POST", "/v1/chat/completions", any_key,
                      chat_body);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static void test_keep_alive_and_repeat(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs, chat_fixture, 3), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "=== request\nGET /v1/models\n=== response\nHTTP/1.1 200 OK\n\n[]\n",
        1), 0);
    assert_int_equal(fixture_server_pending(fs), 4);
    CURL *h = curl_easy_init();
    for (int i = 0; i < 3; i++) {
        reply r = perform(h, fs, "POST", "/v1/chat/completions", chat_headers,
                          chat_body);
        assert_int_equal(r.status, 200);
        reply_free(&r);
        assert_int_equal(fixture_server_pending(fs), (size_t)(3 - i));
    }
    reply r = perform(h, fs, "GET", "/v1/models", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "[]");
    reply_free(&r);
    assert_int_equal(fixture_server_requests(fs), 4);
    assert_int_equal(fixture_server_connections(fs), 1);
    assert_int_equal(fixture_server_pending(fs), 0);
    assert_int_equal(fixture_server_mismatches(fs), 0);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static const char *const no_headers[] = { NULL };

static void test_close(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% close\n=== request\nGET /a\n=== response\nHTTP/1.1 200 OK\n\nA\n",
        2), 0);
    CURL *h = curl_easy_init();
    for (int i = 0; i < 2; i++) {
        reply r = perform(h, fs, "GET", "/a", no_headers, NULL);
        assert_int_equal(r.rc, CURLE_OK);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body.data, "A");
        assert_non_null(strstr(r.headers.data, "Connection: close\r\n"));
        reply_free(&r);
    }
    assert_int_equal(fixture_server_connections(fs), 2);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static void test_delay(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% delay-ms 200\n=== request\nGET /slow\n=== response\n"
        "HTTP/1.1 200 OK\n\nok\n", 1), 0);
    CURL *h = curl_easy_init();
    reply r = perform(h, fs, "GET", "/slow", no_headers, NULL);
    assert_int_equal(r.status, 200);
    assert_true(r.elapsed_ms >= 190);
    reply_free(&r);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static void test_truncate_and_lying_length(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% truncate-body 5\n=== request\nGET /cut\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789\n", 1), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "=== request\nGET /lie\n=== response\nHTTP/1.1 200 OK\n"
        "Content-Length: 100\n\nshort\n", 1), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "% transfer-encoding chunked\n% chunk-bytes 2\n% truncate-body 5\n"
        "=== request\nGET /cut-chunked\n=== response\nHTTP/1.1 200 OK\n\n"
        "0123456789\n", 1), 0);
    CURL *h = curl_easy_init();
    reply r = perform(h, fs, "GET", "/cut", no_headers, NULL);
    assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
    assert_int_equal(r.body.len, 5);
    assert_memory_equal(r.body.data, "01234", 5);
    reply_free(&r);
    r = perform(h, fs, "GET", "/lie", no_headers, NULL);
    assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
    reply_free(&r);
    r = perform(h, fs, "GET", "/cut-chunked", no_headers, NULL);
    assert_true(r.rc == CURLE_PARTIAL_FILE || r.rc == CURLE_RECV_ERROR);
    assert_int_equal(r.body.len, 5);
    reply_free(&r);
    assert_int_equal(fixture_server_mismatches(fs), 0);
    assert_int_equal(fixture_server_connections(fs), 3);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static void test_chunked_response(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% transfer-encoding chunked\n% chunk-bytes 4\n"
        "=== request\nGET /stream\n=== response\nHTTP/1.1 200 OK\n"
        "content-type: text/event-stream\n\n"
        "data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n\n", 1), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "% transfer-encoding chunked\n"
        "=== request\nGET /whole\n=== response\nHTTP/1.1 200 OK\n\nabc\n",
        1), 0);
    CURL *h = curl_easy_init();
    reply r = perform(h, fs, "GET", "/stream", no_headers, NULL);
    assert_int_equal(r.rc, CURLE_OK);
    assert_string_equal(r.body.data,
                        "data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n");
    assert_non_null(strstr(r.headers.data, "Transfer-Encoding: chunked\r\n"));
    assert_null(strstr(r.headers.data, "Content-Length"));
    reply_free(&r);
    r = perform(h, fs, "GET", "/whole", no_headers, NULL);
    assert_int_equal(r.rc, CURLE_OK);
    assert_string_equal(r.body.data, "abc");
    reply_free(&r);
    /* Chunked responses keep the connection alive. */
    assert_int_equal(fixture_server_connections(fs), 1);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static void test_chunk_bytes_and_delay(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% chunk-bytes 4\n% chunk-delay-ms 40\n"
        "=== request\nGET /drip\n=== response\nHTTP/1.1 200 OK\n\n"
        "aaaabbbbccccdddd\n", 1), 0);
    CURL *h = curl_easy_init();
    reply r = perform(h, fs, "GET", "/drip", no_headers, NULL);
    assert_int_equal(r.rc, CURLE_OK);
    assert_string_equal(r.body.data, "aaaabbbbccccdddd");
    assert_non_null(strstr(r.headers.data, "Content-Length: 16\r\n"));
    /* 4 pieces, 3 pauses of 40 ms: curl sees the pieces one by one. */
    assert_true(r.elapsed_ms >= 110);
    assert_true(r.body.writes >= 3);
    reply_free(&r);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static int connect_raw(const fixture_server *fs)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)fixture_server_port(fs));
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_raw(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads until the peer closes or the text holds want. */
static char *recv_until(int fd, const char *want)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    buf[0] = '\0';
    while (!strstr(buf, want) && len + 1 < cap) {
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
    }
    return buf;
}

/* ------------------------------------------------------------------------ */
/* % split-at                                                               */

static void test_split_at_parse(void **state)
{
    (void)state;
    static const char text[] =
        "% split-at 2, 5,9\n"
        "=== request\nGET /s\n=== response\nHTTP/1.1 200 OK\n\n"
        "0123456789AB\n";
    char err[256];
    fixture *fx = fixture_parse(text, strlen(text), "t", err, sizeof err);
    if (!fx)
        print_error("%s\n", err);
    assert_non_null(fx);
    assert_int_equal(fx->split_count, 3);
    assert_int_equal(fx->split_at[0], 2);
    assert_int_equal(fx->split_at[1], 5);
    assert_int_equal(fx->split_at[2], 9);
    fixture_free(fx);

    /* Not given: none. */
    static const char plain[] = "=== request\nGET /s\n=== response\n"
                                "HTTP/1.1 200 OK\n\nabc\n";
    fx = fixture_parse(plain, strlen(plain), "t", err, sizeof err);
    assert_non_null(fx);
    assert_int_equal(fx->split_count, 0);
    assert_null(fx->split_at);
    fixture_free(fx);

    static const struct {
        const char *directive;
        const char *msg;
    } cases[] = {
        { "% split-at\n", "t:1: split-at needs a list of byte offsets" },
        { "% split-at 0\n", "t:1: split-at offsets must be positive integers, got '0'" },
        { "% split-at 3,x\n", "got 'x'" },
        { "% split-at 3,\n", "got ''" },
        { "% split-at -1\n", "got '-1'" },
        { "% split-at 5,5\n", "t:1: split-at offsets must increase (5 after 5)" },
        { "% split-at 7,3\n", "must increase (3 after 7)" },
        { "% split-at 1\n% split-at 2\n", "t:2: directive 'split-at' given twice" },
        { "# c\n% split-at 1,12\n", "t:2: split-at offset 12 must be less than the body length (12)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text2[512];
        snprintf(text2, sizeof text2,
                 "%s=== request\nGET /s\n=== response\nHTTP/1.1 200 OK\n\n"
                 "0123456789AB\n", cases[i].directive);
        fx = fixture_parse(text2, strlen(text2), "t", err, sizeof err);
        assert_null(fx);
        if (!strstr(err, cases[i].msg)) {
            print_error("case %zu: got \"%s\", expected \"%s\"\n", i, err,
                        cases[i].msg);
            fail();
        }
    }
}

/* Reads a whole raw response (head and body) up to the text want. */
static char *raw_exchange(const fixture_server *fs, const char *path,
                          const char *want)
{
    int fd = connect_raw(fs);
    char req[256];
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    send_raw(fd, req);
    char *got = recv_until(fd, want);
    close(fd);
    return got;
}

static void test_split_at_wire(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    /* With chunked encoding every piece is one HTTP chunk: the wire shows
     * exactly where the body was cut. */
    assert_int_equal(fixture_server_expect_text(fs,
        "% transfer-encoding chunked\n% split-at 2,5,9\n"
        "=== request\nGET /cuts\n=== response\nHTTP/1.1 200 OK\n\n"
        "0123456789AB\n", 1), 0);
    /* Combined with chunk-bytes: cut at both. */
    assert_int_equal(fixture_server_expect_text(fs,
        "% transfer-encoding chunked\n% chunk-bytes 4\n% split-at 2,5,8,9\n"
        "=== request\nGET /both\n=== response\nHTTP/1.1 200 OK\n\n"
        "0123456789AB\n", 1), 0);
    /* Offsets past a truncation are ignored. */
    assert_int_equal(fixture_server_expect_text(fs,
        "% transfer-encoding chunked\n% split-at 3,6,10\n% truncate-body 6\n"
        "=== request\nGET /trunc\n=== response\nHTTP/1.1 200 OK\n\n"
        "0123456789AB\n", 1), 0);

    char *got = raw_exchange(fs, "/cuts", "0\r\n\r\n");
    const char *body = strstr(got, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4,
                        "2\r\n01\r\n3\r\n234\r\n4\r\n5678\r\n3\r\n9AB\r\n"
                        "0\r\n\r\n");
    free(got);

    got = raw_exchange(fs, "/both", "0\r\n\r\n");
    body = strstr(got, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4,
                        "2\r\n01\r\n2\r\n23\r\n1\r\n4\r\n3\r\n567\r\n"
                        "1\r\n8\r\n3\r\n9AB\r\n0\r\n\r\n");
    free(got);

    got = raw_exchange(fs, "/trunc", "\x01"); /* read to the close */
    body = strstr(got, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, "3\r\n012\r\n3\r\n345\r\n");
    free(got);

    /* Through curl, without chunked encoding: the body is whole and
     * Content-Length is the full length. */
    assert_int_equal(fixture_server_expect_text(fs,
        "% split-at 1,2,3,10\n"
        "=== request\nGET /plain\n=== response\nHTTP/1.1 200 OK\n\n"
        "data: {\"a\":\"\xc3\xa9\"}\r\n\r\n\n", 1), 0);
    CURL *h = curl_easy_init();
    reply r = perform(h, fs, "GET", "/plain", no_headers, NULL);
    assert_int_equal(r.rc, CURLE_OK);
    assert_string_equal(r.body.data, "data: {\"a\":\"\xc3\xa9\"}\r\n\r\n");
    assert_non_null(strstr(r.headers.data, "Content-Length: 20\r\n"));
    reply_free(&r);
    curl_easy_cleanup(h);
    assert_int_equal(fixture_server_mismatches(fs), 0);
    assert_int_equal(fixture_server_pending(fs), 0);
    fixture_server_stop(fs);
}

/* The first piece arrives alone; the server notices a client that leaves
 * during a pause and closes its side. */
static void test_split_at_pause_and_close(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% split-at 4\n% chunk-delay-ms 600000\n"
        "=== request\nGET /stall\n=== response\nHTTP/1.1 200 OK\n\n"
        "head-and-the-rest\n", 1), 0);
    int fd = connect_raw(fs);
    send_raw(fd, "GET /stall HTTP/1.1\r\nHost: x\r\n\r\n");
    char *got = recv_until(fd, "\r\n\r\nhead");
    const char *body = strstr(got, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, "head");
    free(got);
    /* The rest is ten minutes away: nothing more comes now. */
    struct pollfd p = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, 200), 0);
    assert_int_equal(fixture_server_connections_closed(fs), 0);
    close(fd);
    for (int i = 0; i < 10000 && fixture_server_connections_closed(fs) < 1; i++)
        sleep_ms(1);
    assert_int_equal(fixture_server_connections_closed(fs), 1);
    assert_int_equal(fixture_server_connections(fs), 1);
    fixture_server_stop(fs);
}

static void test_hang_then_stop(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% hang\n=== request\nGET /hang\n", 1), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "% delay-ms 600000\n=== request\nGET /sleep\n=== response\n"
        "HTTP/1.1 200 OK\n", 1), 0);
    int fd1 = connect_raw(fs);
    send_raw(fd1, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for_requests(fs, 1));
    int fd2 = connect_raw(fs);
    send_raw(fd2, "GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for_requests(fs, 2));
    /* And an idle connection that never sends a byte. */
    int fd3 = connect_raw(fs);
    for (int i = 0; i < 5000 && fixture_server_connections(fs) < 3; i++)
        sleep_ms(1);
    assert_int_equal(fixture_server_connections(fs), 3);
    assert_int_equal(fixture_server_pending(fs), 0);

    int64_t t0 = now_ms();
    fixture_server_stop(fs);
    int64_t took = now_ms() - t0;
    assert_true(took < 2000);
    /* The hung exchange was never answered: the socket just closes. */
    char *got = recv_until(fd1, "HTTP/");
    assert_string_equal(got, "");
    free(got);
    close(fd1);
    close(fd2);
    close(fd3);
}

static void test_request_bodies(void **state)
{
    (void)state;
    /* A 2 MB JSON body: curl sends "Expect: 100-continue". */
    size_t big_len = 2u << 20;
    char *big = malloc(big_len + 64);
    assert_non_null(big);
    strcpy(big, "{\"input\": \"");
    size_t pos = strlen(big);
    memset(big + pos, 'x', big_len);
    pos += big_len;
    strcpy(big + pos, "\"}");
    size_t body_len = pos + 2;

    char *fixture_text = malloc(body_len + 256);
    assert_non_null(fixture_text);
    sprintf(fixture_text, "=== request\nPOST /v1/embeddings\n\n%s\n"
                          "=== response\nHTTP/1.1 200 OK\n\n{}\n", big);

    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs, fixture_text, 3), 0);
    CURL *h = curl_easy_init();
    const char *const json_ct[] = { "Content-Type: application/json", NULL };
    reply r = perform_opts(h, fs, "POST", "/v1/embeddings", json_ct, big,
                           body_len, false);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    /* The server answered 100 Continue rather than letting curl wait. */
    assert_non_null(strstr(r.headers.data, "HTTP/1.1 100 Continue\r\n"));
    reply_free(&r);
    char *raw = fixture_server_received(fs, 0);
    assert_non_null(raw);
    assert_non_null(strstr(raw, "Expect: 100-continue\r\n"));
    assert_int_equal(strlen(raw) - (size_t)(strstr(raw, "\r\n\r\n") + 4 - raw),
                     body_len);
    free(raw);

    /* The same body sent with chunked transfer encoding, in 1000-byte
     * pieces; and once more in a single write. */
    const char *const chunked[] = { "Content-Type: application/json",
                                    "Transfer-Encoding: chunked", NULL };
    r = perform_opts(h, fs, "POST", "/v1/embeddings", chunked, big, body_len,
                     true);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    raw = fixture_server_received(fs, 1);
    assert_non_null(raw);
    assert_non_null(strstr(raw, "Transfer-Encoding: chunked\r\n"));
    assert_non_null(strstr(raw, "\r\n\r\n{\"input\": \"xxx"));
    free(raw);

    /* Raw: chunk extensions, trailers, and a pipelined second request. */
    int fd = connect_raw(fs);
    char req[4096];
    snprintf(req, sizeof req,
             "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"
             "b;ext=1\r\n{\"input\": \"\r\n");
    send_raw(fd, req);
    /* Then the run of x as one 2 MB chunk, the end, and a trailer. */
    char size_line[32];
    snprintf(size_line, sizeof size_line, "%zx\r\n", big_len);
    send_raw(fd, size_line);
    const char *xs = big + strlen("{\"input\": \"");
    for (size_t off = 0; off < big_len;) {
        ssize_t n = send(fd, xs + off, big_len - off, MSG_NOSIGNAL);
        assert_true(n > 0);
        off += (size_t)n;
    }
    send_raw(fd, "\r\n2\r\n\"}\r\n0\r\nX-Trailer: 1\r\n\r\n");
    send_raw(fd, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    char *resp = recv_until(fd, "no exchange left");
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(resp, "HTTP/1.1 599 Fixture Mismatch\r\n"));
    free(resp);
    close(fd);

    assert_int_equal(fixture_server_pending(fs), 0);
    assert_int_equal(fixture_server_mismatches(fs), 1);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
    free(fixture_text);
    free(big);
}

static void test_large_response(void **state)
{
    (void)state;
    size_t n = 8u << 20;
    char *text = malloc(n + 128);
    assert_non_null(text);
    int hl = sprintf(text, "=== request\nGET /big\n=== response\n"
                           "HTTP/1.1 200 OK\n\n");
    for (size_t i = 0; i < n; i++)
        text[(size_t)hl + i] = (char)('a' + i % 26);
    strcpy(text + hl + n, "\n");
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs, text, 1), 0);
    CURL *h = curl_easy_init();
    reply r = perform(h, fs, "GET", "/big", no_headers, NULL);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.body.len, n);
    assert_memory_equal(r.body.data, text + hl, n);
    reply_free(&r);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
    free(text);
}

static void test_received(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "=== request\nPOST /echo\nuser-agent: fixture-test/1.0\n\nping\n"
        "=== response\nHTTP/1.1 200 OK\n", 1), 0);
    assert_null(fixture_server_received(fs, 0));
    CURL *h = curl_easy_init();
    const char *const ua[] = { "User-Agent: fixture-test/1.0", NULL };
    reply r = perform(h, fs, "POST", "/echo", ua, "ping");
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, 0);
    reply_free(&r);
    char *raw = fixture_server_received(fs, 0);
    assert_non_null(raw);
    assert_int_equal(strncmp(raw, "POST /echo HTTP/1.1\r\n", 21), 0);
    assert_non_null(strstr(raw, "\r\nUser-Agent: fixture-test/1.0\r\n"));
    assert_null(strstr(raw, "Authorization"));
    size_t len = strlen(raw);
    assert_string_equal(raw + len - 8, "\r\n\r\nping");
    free(raw);
    assert_null(fixture_server_received(fs, 1));
    curl_easy_cleanup(h);
    fixture_server_stop(fs);
}

static void test_directory_mode(void **state)
{
    (void)state;
    char dir[] = "/tmp/fixture-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/a.fixture", dir);
    write_file(path,
               "=== request\nPOST /v1/chat/completions\n\n"
               "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", "
               "\"content\": \"Hi\"}]}\n"
               "=== response\nHTTP/1.1 200 OK\n\nA\n");
    snprintf(path, sizeof path, "%s/sub/b.fixture", dir);
    write_file(path,
               "=== request\nPOST /v1/chat/completions\n\n"
               "{\"model\": \"m\", \"stream\": true, \"messages\": [{\"role\": "
               "\"user\", \"content\": \"Hi\"}]}\n"
               "=== response\nHTTP/1.1 200 OK\n\nB\n");
    snprintf(path, sizeof path, "%s/sub/c.fixture", dir);
    write_file(path, "=== request\nGET /v1/models\n=== response\n"
                     "HTTP/1.1 200 OK\n\nC\n");
    snprintf(path, sizeof path, "%s/sub/notes.txt", dir);
    write_file(path, "not a fixture");
    snprintf(path, sizeof path, "%s/.hidden.fixture", dir);
    write_file(path, "garbage");

    struct {
        const char *method, *path, *body, *want_body, *want_match;
    } cases[] = {
        { "POST", "/v1/chat/completions",
          "{\"messages\":[{\"content\":\"Hi\",\"role\":\"user\"}],\"model\":\"m\"}",
          "A", "exact" },
        { "POST", "/v1/chat/completions",
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Yo\"}]}",
          "A", "closest" },
        { "POST", "/v1/chat/completions",
          "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
          "\"content\":\"Yo\"}]}",
          "B", "closest" },
        { "POST", "/v1/chat/completions",
          "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
          "\"content\":\"Hi\"}]}",
          "B", "exact" },
        { "GET", "/v1/models", NULL, "C", "exact" },
        { "GET", "/v1/models?page=2", NULL, "C", "closest" },
        { "GET", "/v1/models", NULL, "C", "exact" },
    };

    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_load_dir(fs, dir, 1), 0);
    assert_int_equal(fixture_server_loaded(fs), 3);
    CURL *h = curl_easy_init();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reply r = perform(h, fs, cases[i].method, cases[i].path, no_headers,
                          cases[i].body);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body.data, cases[i].want_body);
        char want[64];
        snprintf(want, sizeof want, "x-replay-match: %s\r\n",
                 cases[i].want_match);
        assert_non_null(strstr(r.headers.data, want));
        reply_free(&r);
    }
    reply r = perform(h, fs, "GET", "/v1/files", no_headers, NULL);
    assert_int_equal(r.status, 599);
    assert_string_equal(r.body.data, "no recorded exchange for GET /v1/files");
    reply_free(&r);
    assert_int_equal(fixture_server_mismatches(fs), 1);
    curl_easy_cleanup(h);
    fixture_server_stop(fs);

    /* Strict: no closest match. */
    fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_load_dir(fs, dir, 0), 0);
    h = curl_easy_init();
    r = perform(h, fs, cases[1].method, cases[1].path, no_headers,
                cases[1].body);
    assert_int_equal(r.status, 599);
    assert_string_equal(r.body.data,
                        "no recorded exchange matches POST "
                        "/v1/chat/completions; closest is a.fixture: "
                        "$.messages[0].content: expected \"Hi\", got \"Yo\"");
    reply_free(&r);
    r = perform(h, fs, cases[0].method, cases[0].path, no_headers,
                cases[0].body);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    curl_easy_cleanup(h);

    /* A broken fixture makes the load fail and loads nothing. */
    snprintf(path, sizeof path, "%s/sub/broken.fixture", dir);
    write_file(path, "% nope\n=== request\nGET /\n");
    assert_int_equal(fixture_server_load_dir(fs, dir, 1), -1);
    assert_int_equal(fixture_server_loaded(fs), 3);
    assert_int_equal(fixture_server_load_dir(fs, "/nonexistent-dir", 1), -1);
    fixture_server_stop(fs);

    const char *files[] = { "sub/broken.fixture", "sub/a.fixture",
                            "sub/b.fixture", "sub/c.fixture", "sub/notes.txt",
                            "a.fixture", ".hidden.fixture" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* Many clients at once, each on its own thread and connection. */
typedef struct client_arg {
    const fixture_server *fs;
    int ok;
} client_arg;

static void *client_main(void *p)
{
    client_arg *a = p;
    CURL *h = curl_easy_init();
    for (int i = 0; i < 5; i++) {
        reply r = perform(h, a->fs, "GET", "/v1/models", no_headers, NULL);
        a->ok += r.rc == CURLE_OK && r.status == 200;
        reply_free(&r);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_concurrent_clients(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% delay-ms 5\n=== request\nGET /v1/models\n=== response\n"
        "HTTP/1.1 200 OK\n\n[]\n", 40), 0);
    pthread_t th[8];
    client_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i].fs = fs;
        args[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, client_main, &args[i]),
                         0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].ok, 5);
    }
    assert_int_equal(fixture_server_requests(fs), 40);
    assert_int_equal(fixture_server_pending(fs), 0);
    assert_int_equal(fixture_server_connections(fs), 8);
    fixture_server_stop(fs);
}

/* ------------------------------------------------------------------------ */
/* % stall-after, % reset-after, % gzip                                     */

/* Reads until the peer closes or resets the connection (binary-safe).
 * *last_errno: the errno of the read that ended it, 0 after a close. */
static char *recv_to_end(int fd, size_t *len, int *last_errno)
{
    size_t cap = 65536;
    char *buf = malloc(cap);
    assert_non_null(buf);
    *len = 0;
    *last_errno = 0;
    for (;;) {
        if (*len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t n = recv(fd, buf + *len, cap - *len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *last_errno = n < 0 ? errno : 0;
            break;
        }
        *len += (size_t)n;
    }
    buf[*len] = '\0';
    return buf;
}

/* Sends a GET for path on a new raw connection; returns the socket. */
static int raw_get(const fixture_server *fs, const char *path)
{
    int fd = connect_raw(fs);
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    send_raw(fd, req);
    return fd;
}

/* True when nothing (no byte, no close) arrives on fd within ms. */
static bool silent_for(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) == 0;
}

/* The gzip-decoded form of data, malloc'd (len in *out_len); NULL when
 * data is not one whole gzip member. */
static char *gunzip(const char *data, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 31) != Z_OK)
        return NULL;
    size_t cap = len * 1024 + 65536; /* room for any ratio used here */
    char *out = malloc(cap + 1);
    assert_non_null(out);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    int rc = inflate(&zs, Z_FINISH);
    *out_len = (size_t)zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || zs.avail_in != 0) {
        free(out);
        return NULL;
    }
    out[*out_len] = '\0';
    return out;
}

/* Decodes an HTTP chunked body (the bytes after the head); fails the test
 * unless every chunk holds at most max_chunk bytes. *complete: the final
 * 0 chunk was there. */
static char *dechunk(const char *p, size_t len, size_t max_chunk,
                     size_t *out_len, bool *complete)
{
    char *out = malloc(len + 1);
    assert_non_null(out);
    *out_len = 0;
    *complete = false;
    const char *end = p + len;
    while (p < end) {
        char *after;
        unsigned long size = strtoul(p, &after, 16);
        assert_true(after > p && after + 2 <= end);
        assert_memory_equal(after, "\r\n", 2);
        p = after + 2;
        if (size == 0) {
            *complete = true;
            break;
        }
        assert_true(size <= max_chunk);
        assert_true(p + size + 2 <= end);
        memcpy(out + *out_len, p, size);
        *out_len += size;
        p += size + 2;
    }
    out[*out_len] = '\0';
    return out;
}

/* A GET through libcurl asking for any encoding it can decode, as the
 * library does (CURLOPT_ACCEPT_ENCODING ""). */
static reply perform_decoding(CURL *h, const fixture_server *fs,
                              const char *path, long timeout_ms)
{
    reply r;
    memset(&r, 0, sizeof r);
    char url[256];
    snprintf(url, sizeof url, "%s%s", fixture_server_url(fs), path);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    int64_t t0 = now_ms();
    r.rc = curl_easy_perform(h);
    r.elapsed_ms = now_ms() - t0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
}

static size_t count_ci(const char *hay, const char *needle)
{
    size_t n = 0, m = strlen(needle);
    for (const char *p = hay; *p; p++)
        n += strncasecmp(p, needle, m) == 0;
    return n;
}

static void test_stall_reset_gzip_parse(void **state)
{
    (void)state;
    static const char stall[] =
        "% stall-after 3\n=== request\nGET /s\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789AB\n";
    char err[256];
    fixture *fx = fixture_parse(stall, strlen(stall), "t", err, sizeof err);
    if (!fx)
        print_error("%s\n", err);
    assert_non_null(fx);
    assert_true(fx->stall);
    assert_int_equal(fx->stall_after, 3);
    assert_false(fx->reset);
    assert_false(fx->gzip);
    assert_null(fx->gzip_body);
    fixture_free(fx);

    /* 0 is allowed: the head alone. */
    static const char reset[] =
        "% reset-after 0\n=== request\nGET /s\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789AB\n";
    fx = fixture_parse(reset, strlen(reset), "t", err, sizeof err);
    assert_non_null(fx);
    assert_true(fx->reset);
    assert_int_equal(fx->reset_after, 0);
    assert_false(fx->stall);
    fixture_free(fx);

    /* % gzip: the body stays as written, its compression is kept aside. */
    static const char gz[] =
        "% gzip\n=== request\nGET /s\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789AB\n";
    fx = fixture_parse(gz, strlen(gz), "t", err, sizeof err);
    assert_non_null(fx);
    assert_true(fx->gzip);
    assert_int_equal(fx->resp_body_len, 12);
    assert_non_null(fx->gzip_body);
    size_t plain_len;
    char *plain = gunzip(fx->gzip_body, fx->gzip_body_len, &plain_len);
    assert_non_null(plain);
    assert_int_equal(plain_len, 12);
    assert_memory_equal(plain, "0123456789AB", 12);
    free(plain);
    size_t gz_len = fx->gzip_body_len;
    fixture_free(fx);

    char gz_msg[128];
    snprintf(gz_msg, sizeof gz_msg,
             "t:2: stall-after %zu must be less than the body length "
             "(%zu, gzip-compressed)", gz_len, gz_len);
    char gz_case[64];
    snprintf(gz_case, sizeof gz_case, "%% gzip\n%% stall-after %zu\n",
             gz_len);
    const struct {
        const char *directives;
        const char *msg;
    } cases[] = {
        { "% stall-after\n",
          "t:1: directive 'stall-after' needs a non-negative integer" },
        { "% reset-after -1\n",
          "t:1: directive 'reset-after' needs a non-negative integer" },
        { "% stall-after 1 2\n", "too many arguments" },
        { "% stall-after 12\n",
          "t:1: stall-after 12 must be less than the body length (12)" },
        { "% reset-after 12\n",
          "t:1: reset-after 12 must be less than the body length (12)" },
        { "% stall-after 1\n% stall-after 2\n",
          "t:2: directive 'stall-after' given twice" },
        { "% reset-after 1\n% reset-after 2\n",
          "t:2: directive 'reset-after' given twice" },
        { "% stall-after 1\n% reset-after 2\n",
          "t:2: directive 'reset-after' cannot be combined with "
          "'stall-after' (line 1)" },
        { "% hang\n% stall-after 2\n",
          "t:2: directive 'stall-after' cannot be combined with 'hang'" },
        { "% truncate-body 2\n% reset-after 3\n",
          "directive 'reset-after' cannot be combined with 'truncate-body'" },
        { "% reset-after 1\n# c\n% truncate-body 3\n",
          "t:3: directive 'truncate-body' cannot be combined with "
          "'reset-after' (line 1)" },
        { "% stall-after 1\n% hang\n",
          "directive 'hang' cannot be combined with 'stall-after'" },
        { "% gzip now\n", "t:1: directive 'gzip' takes no argument" },
        { gz_case, gz_msg },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "%s=== request\nGET /s\n=== response\nHTTP/1.1 200 OK\n\n"
                 "0123456789AB\n", cases[i].directives);
        fx = fixture_parse(text, strlen(text), "t", err, sizeof err);
        assert_null(fx);
        if (!strstr(err, cases[i].msg)) {
            print_error("case %zu: got \"%s\", expected \"%s\"\n", i, err,
                        cases[i].msg);
            fail();
        }
    }
}

/* % stall-after: the head (and N bytes) arrive, then silence with the
 * connection open, until the client leaves or the server stops. */
static void test_stall_after_wire(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs,
        "% stall-after 0\n=== request\nGET /s0\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789\n", 1), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "% stall-after 5\n% transfer-encoding chunked\n% chunk-bytes 2\n"
        "=== request\nGET /s5\n=== response\nHTTP/1.1 200 OK\n\n"
        "0123456789\n", 1), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "% stall-after 4\n=== request\nGET /s4\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789\n", 1), 0);

    /* Headers only, announcing the whole body. */
    int fd = raw_get(fs, "/s0");
    char *got = recv_until(fd, "\r\n\r\n");
    assert_non_null(strstr(got, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(got, "Content-Length: 10\r\n"));
    assert_non_null(strstr(got, "Connection: close\r\n"));
    assert_string_equal(strstr(got, "\r\n\r\n"), "\r\n\r\n");
    free(got);
    assert_true(silent_for(fd, 300));
    assert_int_equal(fixture_server_connections_closed(fs), 0);
    close(fd); /* the client leaves: the server lets go */
    for (int i = 0; i < 10000 && fixture_server_connections_closed(fs) < 1; i++)
        sleep_ms(1);
    assert_int_equal(fixture_server_connections_closed(fs), 1);

    /* Chunked, cut inside the third piece: no final 0 chunk. */
    fd = raw_get(fs, "/s5");
    got = recv_until(fd, "1\r\n4\r\n");
    const char *body = strstr(got, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, "2\r\n01\r\n2\r\n23\r\n1\r\n4\r\n");
    free(got);
    assert_true(silent_for(fd, 300));
    close(fd);

    /* Through libcurl: the transfer times out with the 4 bytes. */
    CURL *h = curl_easy_init();
    reply r = perform_decoding(h, fs, "/s4", 500);
    assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "0123");
    assert_true(r.elapsed_ms >= 450);
    reply_free(&r);
    curl_easy_cleanup(h);

    /* The server stops at once, even with a client still waiting. */
    assert_int_equal(fixture_server_expect_text(fs,
        "% stall-after 2\n=== request\nGET /s2\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789\n", 1), 0);
    fd = raw_get(fs, "/s2");
    got = recv_until(fd, "\r\n\r\n01");
    free(got);
    assert_int_equal(fixture_server_pending(fs), 0);
    assert_int_equal(fixture_server_mismatches(fs), 0);
    int64_t t0 = now_ms();
    fixture_server_stop(fs);
    assert_true(now_ms() - t0 < 2000);
    size_t len;
    int e;
    got = recv_to_end(fd, &len, &e);
    assert_int_equal(len, 0); /* nothing more, then the close */
    free(got);
    close(fd);
}

/* % reset-after: N bytes, then an RST: the client reads the bytes, then
 * ECONNRESET (libcurl: CURLE_RECV_ERROR), not an end of file. */
static void test_reset_after_wire(void **state)
{
    (void)state;
    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    static const char reset4[] =
        "% reset-after 4\n=== request\nGET /r4\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789\n";
    assert_int_equal(fixture_server_expect_text(fs, reset4, 2), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "% reset-after 0\n=== request\nGET /r0\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789\n", 1), 0);
    assert_int_equal(fixture_server_expect_text(fs,
        "% reset-after 5\n% transfer-encoding chunked\n% chunk-bytes 2\n"
        "=== request\nGET /r5\n=== response\nHTTP/1.1 200 OK\n\n"
        "0123456789\n", 1), 0);
    /* For comparison: a truncation ends with a FIN. */
    assert_int_equal(fixture_server_expect_text(fs,
        "% truncate-body 4\n=== request\nGET /t4\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789\n", 1), 0);

    int fd = raw_get(fs, "/r4");
    size_t len;
    int e;
    char *got = recv_to_end(fd, &len, &e);
    assert_int_equal(e, ECONNRESET);
    assert_non_null(strstr(got, "Content-Length: 10\r\n"));
    assert_non_null(strstr(got, "Connection: close\r\n"));
    assert_string_equal(strstr(got, "\r\n\r\n"), "\r\n\r\n0123");
    free(got);
    close(fd);

    CURL *h = curl_easy_init();
    reply r = perform_decoding(h, fs, "/r4", 10000);
    assert_int_equal(r.rc, CURLE_RECV_ERROR);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "0123");
    reply_free(&r);
    r = perform_decoding(h, fs, "/r0", 10000);
    assert_int_equal(r.rc, CURLE_RECV_ERROR);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, 0);
    reply_free(&r);
    r = perform_decoding(h, fs, "/r5", 10000);
    assert_int_equal(r.rc, CURLE_RECV_ERROR);
    assert_string_equal(r.body.data, "01234");
    reply_free(&r);
    curl_easy_cleanup(h);

    fd = raw_get(fs, "/t4");
    got = recv_to_end(fd, &len, &e);
    assert_int_equal(e, 0);
    assert_string_equal(strstr(got, "\r\n\r\n"), "\r\n\r\n0123");
    free(got);
    close(fd);
    assert_int_equal(fixture_server_pending(fs), 0);
    assert_int_equal(fixture_server_mismatches(fs), 0);
    assert_int_equal(fixture_server_connections(fs), 5);
    fixture_server_stop(fs);
}

/* % gzip: compressed on the wire (offsets count compressed bytes), plain
 * for a client that decodes. */
static void test_gzip_wire(void **state)
{
    (void)state;
    /* A compressible JSON body of a few kB. */
    char plain[4096] = "{\"data\":[";
    for (int i = 0; i < 60; i++)
        snprintf(plain + strlen(plain), sizeof plain - strlen(plain),
                 "%s{\"index\":%d,\"text\":\"Bonjour, comment allez-vous ?\"}",
                 i ? "," : "", i);
    strcat(plain, "]}");
    size_t plain_len = strlen(plain);
    char text[8192];
    snprintf(text, sizeof text,
             "%% gzip\n=== request\nGET /g\n=== response\nHTTP/1.1 200 OK\n"
             "content-type: application/json\n\n%s\n", plain);
    /* The compressed bytes the server must send: the parser's. */
    char err[256];
    fixture *fx = fixture_parse(text, strlen(text), "g", err, sizeof err);
    assert_non_null(fx);
    size_t gz_len = fx->gzip_body_len;
    assert_true(gz_len < plain_len / 4);
    char *gz = malloc(gz_len);
    assert_non_null(gz);
    memcpy(gz, fx->gzip_body, gz_len);
    fixture_free(fx);

    fixture_server *fs = fixture_server_start(KEY);
    assert_non_null(fs);
    assert_int_equal(fixture_server_expect_text(fs, text, 2), 0);

    char want[64];
    snprintf(want, sizeof want, "Content-Length: %zu\r\n", gz_len);
    size_t len;
    int e;
    int fd = connect_raw(fs);
    send_raw(fd, "GET /g HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    char *got = recv_to_end(fd, &len, &e);
    close(fd);
    assert_non_null(strstr(got, want));
    assert_non_null(strstr(got, "Content-Encoding: gzip\r\n"));
    const char *body = strstr(got, "\r\n\r\n") + 4;
    size_t body_len = len - (size_t)(body - got);
    assert_int_equal(body_len, gz_len);
    assert_memory_equal(body, gz, gz_len);
    size_t dec_len;
    char *dec = gunzip(body, body_len, &dec_len);
    assert_non_null(dec);
    assert_int_equal(dec_len, plain_len);
    assert_string_equal(dec, plain);
    free(dec);
    free(got);

    /* Through libcurl, decoded; also chunked in 7-byte compressed pieces,
     * and with the fixture's own Content-Encoding header (not doubled). */
    snprintf(text, sizeof text,
             "%% gzip\n%% transfer-encoding chunked\n%% chunk-bytes 7\n"
             "=== request\nGET /gc\n=== response\nHTTP/1.1 200 OK\n"
             "Content-Encoding: gzip\n\n%s\n", plain);
    assert_int_equal(fixture_server_expect_text(fs, text, 2), 0);
    CURL *h = curl_easy_init();
    reply r = perform_decoding(h, fs, "/g", 10000);
    assert_int_equal(r.rc, CURLE_OK);
    assert_string_equal(r.body.data, plain);
    reply_free(&r);
    r = perform_decoding(h, fs, "/gc", 10000);
    assert_int_equal(r.rc, CURLE_OK);
    assert_string_equal(r.body.data, plain);
    assert_int_equal(count_ci(r.headers.data, "content-encoding:"), 1);
    reply_free(&r);
    curl_easy_cleanup(h);

    fd = connect_raw(fs);
    send_raw(fd, "GET /gc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    got = recv_to_end(fd, &len, &e);
    close(fd);
    body = strstr(got, "\r\n\r\n") + 4;
    bool complete;
    dec = dechunk(body, len - (size_t)(body - got), 7, &dec_len, &complete);
    assert_true(complete);
    assert_int_equal(dec_len, gz_len);
    assert_memory_equal(dec, gz, gz_len);
    free(dec);
    free(got);

    /* Cuts count compressed bytes: truncate-body 10 sends 10 of them. */
    assert_int_equal(fixture_server_expect_text(fs,
        "% gzip\n% truncate-body 10\n=== request\nGET /gt\n=== response\n"
        "HTTP/1.1 200 OK\n\n0123456789012345678901234567890123456789\n", 1),
        0);
    fd = raw_get(fs, "/gt");
    got = recv_to_end(fd, &len, &e);
    close(fd);
    body = strstr(got, "\r\n\r\n") + 4;
    assert_int_equal(len - (size_t)(body - got), 10);
    assert_memory_equal(body, "\x1f\x8b\x08", 3); /* a gzip member begins */
    free(got);

    assert_int_equal(fixture_server_pending(fs), 0);
    assert_int_equal(fixture_server_mismatches(fs), 0);
    fixture_server_stop(fs);
    free(gz);
}

static int global_setup(void **state)
{
    (void)state;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int global_teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_json_semantics),
        cmocka_unit_test(test_matcher_headers_and_redaction),
        cmocka_unit_test(test_exact_match),
        cmocka_unit_test(test_mismatches),
        cmocka_unit_test(test_no_api_key),
        cmocka_unit_test(test_keep_alive_and_repeat),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_truncate_and_lying_length),
        cmocka_unit_test(test_chunked_response),
        cmocka_unit_test(test_chunk_bytes_and_delay),
        cmocka_unit_test(test_split_at_parse),
        cmocka_unit_test(test_split_at_wire),
        cmocka_unit_test(test_split_at_pause_and_close),
        cmocka_unit_test(test_hang_then_stop),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_large_response),
        cmocka_unit_test(test_received),
        cmocka_unit_test(test_directory_mode),
        cmocka_unit_test(test_concurrent_clients),
        cmocka_unit_test(test_stall_reset_gzip_parse),
        cmocka_unit_test(test_stall_after_wire),
        cmocka_unit_test(test_reset_after_wire),
        cmocka_unit_test(test_gzip_wire),
    };
    return cmocka_run_group_tests(tests, global_setup, global_teardown);
}
