/* Test support: parse *.fixture files and match requests against them.
 * Format: tests/fixtures/README.md. */
#include "fixture.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <zlib.h>

#if defined(__GNUC__) || defined(__clang__)
#define FX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FX_PRINTF(fmt, args)
#endif

#define API_KEY_PLACEHOLDER "{{API_KEY}}"
#define REDACTED "<redacted>"
/* Longest excerpt of a value quoted in a mismatch description. */
#define EXCERPT_MAX 120

/* ------------------------------------------------------------------------ */
/* Growable string                                                          */

typedef struct strbuf {
    char *data;
    size_t len;
    size_t cap;
    bool oom;
    const char *key; /* API key that excerpts must not show */
} strbuf;

static void sb_reserve(strbuf *sb, size_t extra)
{
    if (sb->oom)
        return;
    if (sb->len + extra + 1 <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (!p) {
        sb->oom = true;
        return;
    }
    sb->data = p;
    sb->cap = cap;
}

static void sb_add(strbuf *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    if (sb->oom)
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

static void sb_adds(strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

static void sb_printf(strbuf *sb, const char *fmt, ...) FX_PRINTF(2, 3);

static void sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb_reserve(sb, (size_t)n);
    if (sb->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

static const char *sb_str(const strbuf *sb)
{
    if (sb->oom)
        return "(out of memory)";
    return sb->data ? sb->data : "";
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static char *dup_range(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_tchar(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static void set_err(char *err, size_t errlen, const char *name, size_t line,
                    const char *fmt, ...) FX_PRINTF(5, 6);

static void set_err(char *err, size_t errlen, const char *name, size_t line,
                    const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    int n = snprintf(err, errlen, "%s:%zu: ", name, line);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Appends an excerpt of s[0..n): at most EXCERPT_MAX source bytes, with
 * C-style escapes when escape is set. Occurrences of sb->key are written as
 * <redacted>, also one that straddles the cut. Returns true if cut. */
static bool sb_add_excerpt(strbuf *sb, const char *s, size_t n, bool escape)
{
    size_t klen = sb->key ? strlen(sb->key) : 0;
    size_t shown = n > EXCERPT_MAX ? EXCERPT_MAX : n;
    size_t i = 0;
    while (i < shown) {
        if (klen && n - i >= klen && memcmp(s + i, sb->key, klen) == 0) {
            sb_adds(sb, REDACTED);
            i += klen;
            continue;
        }
        unsigned char c = (unsigned char)s[i++];
        if (!escape) {
            sb_add(sb, (const char *)&c, 1);
            continue;
        }
        switch (c) {
        case '"': sb_adds(sb, "\\\""); break;
        case '\\': sb_adds(sb, "\\\\"); break;
        case '\n': sb_adds(sb, "\\n"); break;
        case '\r': sb_adds(sb, "\\r"); break;
        case '\t': sb_adds(sb, "\\t"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                sb_printf(sb, "\\x%02x", c);
            else
                sb_add(sb, (const char *)&c, 1);
        }
    }
    return i < n;
}

/* Appends s[0..n) as a double-quoted, escaped excerpt. */
static void sb_add_quoted(strbuf *sb, const char *s, size_t n)
{
    sb_adds(sb, "\"");
    bool cut = sb_add_excerpt(sb, s, n, true);
    sb_adds(sb, cut ? "\"..." : "\"");
}

/* Appends a compact JSON rendering of v, cut to EXCERPT_MAX bytes. */
static void sb_add_json(strbuf *sb, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        sb_adds(sb, "(unprintable)");
        return;
    }
    if (sb_add_excerpt(sb, text, strlen(text), false))
        sb_adds(sb, "...");
    free(text);
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                   */

typedef struct cursor {
    const char *text;
    size_t len;
    size_t pos;    /* start of the next line */
    size_t line;   /* number of the next line (1-based) */
} cursor;

/* Next line of the cursor: [*start, *start + *n), without LF and without a
 * trailing CR. Returns false at end of text. */
static bool next_line(cursor *cur, const char **start, size_t *n)
{
    if (cur->pos >= cur->len)
        return false;
    const char *s = cur->text + cur->pos;
    size_t rest = cur->len - cur->pos;
    const char *nl = memchr(s, '\n', rest);
    size_t linelen = nl ? (size_t)(nl - s) : rest;
    cur->pos += nl ? linelen + 1 : linelen;
    cur->line++;
    if (linelen && s[linelen - 1] == '\r')
        linelen--;
    *start = s;
    *n = linelen;
    return true;
}

static bool line_is(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* "=== request" / "=== response", tolerating trailing whitespace. */
static bool is_marker(const char *s, size_t n, const char *lit)
{
    while (n && is_ows(s[n - 1]))
        n--;
    return line_is(s, n, lit);
}

static bool line_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_ows(s[i]))
            return false;
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_ows(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_ows((*s)[*n - 1]))
        (*n)--;
}

/* Splits off the next whitespace-separated word of [*s, *s + *n). */
static bool next_word(const char **s, size_t *n, const char **w, size_t *wn)
{
    trim(s, n);
    if (*n == 0)
        return false;
    size_t i = 0;
    while (i < *n && !is_ows((*s)[i]))
        i++;
    *w = *s;
    *wn = i;
    *s += i;
    *n -= i;
    return true;
}

static bool parse_uint(const char *s, size_t n, unsigned long long max,
                       unsigned long long *out)
{
    if (n == 0 || n > 20)
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

typedef struct parse_ctx {
    fixture *fx;
    cursor cur;
    char *err;
    size_t errlen;
    size_t req_line;       /* line of "=== request", for messages */
    /* directive values checked once the body is known */
    bool truncate_given;
    size_t truncate_line;
    size_t split_line;
    size_t stall_line;
    size_t reset_line;
    /* The directive that decides how the exchange ends early (hang,
     * truncate-body, stall-after, reset-after): at most one may be given. */
    const char *ending;
    size_t ending_line;
} parse_ctx;

#define PERR(ctx, line, ...) \
    set_err((ctx)->err, (ctx)->errlen, (ctx)->fx->name, (line), __VA_ARGS__)

/* "% split-at N,N,...": positive, strictly increasing body offsets,
 * separated by commas (whitespace around them allowed). Checked against the
 * body length once the body is known. */
static bool parse_split_at(parse_ctx *ctx, const char *s, size_t n,
                           size_t line)
{
    fixture *fx = ctx->fx;
    if (fx->split_at) {
        PERR(ctx, line, "directive 'split-at' given twice");
        return false;
    }
    trim(&s, &n);
    if (n == 0) {
        PERR(ctx, line, "split-at needs a list of byte offsets 'N,N,...'");
        return false;
    }
    for (;;) {
        const char *comma = memchr(s, ',', n);
        size_t itemn = comma ? (size_t)(comma - s) : n;
        const char *item = s;
        trim(&item, &itemn);
        unsigned long long v;
        if (!parse_uint(item, itemn, SIZE_MAX, &v) || v == 0) {
            PERR(ctx, line,
                 "split-at offsets must be positive integers, got '%.*s'",
                 (int)itemn, item);
            return false;
        }
        if (fx->split_count && (size_t)v <= fx->split_at[fx->split_count - 1]) {
            PERR(ctx, line, "split-at offsets must increase (%llu after %zu)",
                 v, fx->split_at[fx->split_count - 1]);
            return false;
        }
        size_t *grown = realloc(fx->split_at,
                                (fx->split_count + 1) * sizeof *grown);
        if (!grown) {
            PERR(ctx, line, "out of memory");
            return false;
        }
        fx->split_at = grown;
        fx->split_at[fx->split_count++] = (size_t)v;
        if (!comma)
            break;
        n -= (size_t)(comma - s) + 1;
        s = comma + 1;
    }
    ctx->split_line = line;
    return true;
}

/* Records that the directive name ends the exchange early; two different
 * ones contradict each other (which would win is not obvious). */
static bool note_ending(parse_ctx *ctx, const char *name, size_t line)
{
    if (ctx->ending && strcmp(ctx->ending, name) != 0) {
        PERR(ctx, line,
             "directive '%s' cannot be combined with '%s' (line %zu)", name,
             ctx->ending, ctx->ending_line);
        return false;
    }
    ctx->ending = name;
    ctx->ending_line = line;
    return true;
}

static bool parse_directive(parse_ctx *ctx, const char *s, size_t n,
                            size_t line)
{
    fixture *fx = ctx->fx;
    const char *w;
    size_t wn;
    s++; /* '%' */
    n--;
    if (!next_word(&s, &n, &w, &wn)) {
        PERR(ctx, line, "empty directive");
        return false;
    }
    if (line_is(w, wn, "split-at"))
        return parse_split_at(ctx, s, n, line);
    const char *arg = NULL;
    size_t argn = 0;
    bool has_arg = next_word(&s, &n, &arg, &argn);
    const char *extra;
    size_t extran;
    if (has_arg && next_word(&s, &n, &extra, &extran)) {
        PERR(ctx, line, "too many arguments to directive '%.*s'", (int)wn, w);
        return false;
    }

    if (line_is(w, wn, "close") || line_is(w, wn, "hang")
        || line_is(w, wn, "gzip")) {
        if (has_arg) {
            PERR(ctx, line, "directive '%.*s' takes no argument", (int)wn, w);
            return false;
        }
        if (w[0] == 'c') {
            fx->close = true;
        } else if (w[0] == 'g') {
            fx->gzip = true;
        } else {
            if (!note_ending(ctx, "hang", line))
                return false;
            fx->hang = true;
        }
        return true;
    }
    if (line_is(w, wn, "transfer-encoding")) {
        if (!has_arg || !line_is(arg, argn, "chunked")) {
            PERR(ctx, line, "expected '%% transfer-encoding chunked'");
            return false;
        }
        fx->chunked = true;
        return true;
    }

    unsigned long long v;
    bool is_delay = line_is(w, wn, "delay-ms");
    bool is_cdelay = line_is(w, wn, "chunk-delay-ms");
    bool is_cbytes = line_is(w, wn, "chunk-bytes");
    bool is_trunc = line_is(w, wn, "truncate-body");
    bool is_stall = line_is(w, wn, "stall-after");
    bool is_reset = line_is(w, wn, "reset-after");
    if (!is_delay && !is_cdelay && !is_cbytes && !is_trunc && !is_stall
        && !is_reset) {
        PERR(ctx, line, "unknown directive '%.*s'", (int)wn, w);
        return false;
    }
    unsigned long long max = (is_delay || is_cdelay) ? UINT_MAX : SIZE_MAX;
    if (!has_arg || !parse_uint(arg, argn, max, &v)) {
        PERR(ctx, line, "directive '%.*s' needs a non-negative integer",
             (int)wn, w);
        return false;
    }
    if (is_delay) {
        fx->delay_ms = (unsigned)v;
    } else if (is_cdelay) {
        fx->chunk_delay_ms = (unsigned)v;
    } else if (is_cbytes) {
        if (v == 0) {
            PERR(ctx, line, "chunk-bytes must be at least 1");
            return false;
        }
        fx->chunk_bytes = (size_t)v;
    } else if (is_stall || is_reset) {
        const char *name = is_stall ? "stall-after" : "reset-after";
        if (is_stall ? fx->stall : fx->reset) {
            PERR(ctx, line, "directive '%s' given twice", name);
            return false;
        }
        if (!note_ending(ctx, name, line))
            return false;
        if (is_stall) {
            fx->stall = true;
            fx->stall_after = (size_t)v;
            ctx->stall_line = line;
        } else {
            fx->reset = true;
            fx->reset_after = (size_t)v;
            ctx->reset_line = line;
        }
    } else {
        if (!note_ending(ctx, "truncate-body", line))
            return false;
        fx->truncate = true;
        fx->truncate_body = (size_t)v;
        ctx->truncate_given = true;
        ctx->truncate_line = line;
    }
    return true;
}

static bool add_header(parse_ctx *ctx, fixture_header **arr, size_t *count,
                       const char *s, size_t n, size_t line, bool allow_absent)
{
    bool absent = false;
    if (allow_absent && n && s[0] == '!') {
        absent = true;
        s++;
        n--;
    }
    const char *colon = memchr(s, ':', n);
    if (!colon) {
        PERR(ctx, line, "expected a header line 'name: value'");
        return false;
    }
    size_t namelen = (size_t)(colon - s);
    if (namelen == 0) {
        PERR(ctx, line, "empty header name");
        return false;
    }
    for (size_t i = 0; i < namelen; i++) {
        if (!is_tchar((unsigned char)s[i])) {
            PERR(ctx, line, "invalid character in header name '%.*s'",
                 (int)namelen, s);
            return false;
        }
    }
    const char *v = colon + 1;
    size_t vn = n - namelen - 1;
    trim(&v, &vn);
    if (absent && vn) {
        PERR(ctx, line, "an absence rule '!%.*s:' takes no value",
             (int)namelen, s);
        return false;
    }
    fixture_header *grown = realloc(*arr, (*count + 1) * sizeof **arr);
    if (!grown) {
        PERR(ctx, line, "out of memory");
        return false;
    }
    *arr = grown;
    fixture_header *h = &grown[*count];
    h->name = dup_range(s, namelen);
    h->value = dup_range(v, vn);
    h->absent = absent;
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        PERR(ctx, line, "out of memory");
        return false;
    }
    (*count)++;
    return true;
}

static bool parse_preamble(parse_ctx *ctx)
{
    const char *s;
    size_t n;
    for (;;) {
        size_t line = ctx->cur.line;
        if (!next_line(&ctx->cur, &s, &n)) {
            PERR(ctx, line, "missing '=== request' section");
            return false;
        }
        if (is_marker(s, n, "=== request")) {
            ctx->req_line = line;
            return true;
        }
        if (n && s[0] == '#')
            continue;
        if (n && s[0] == '%') {
            if (!parse_directive(ctx, s, n, line))
                return false;
            continue;
        }
        if (line_blank(s, n))
            continue;
        PERR(ctx, line,
             "expected a '#' comment, a '%%' directive or '=== request'");
        return false;
    }
}

static bool parse_request(parse_ctx *ctx)
{
    fixture *fx = ctx->fx;
    const char *s;
    size_t n;
    size_t line = ctx->cur.line;
    if (!next_line(&ctx->cur, &s, &n) || is_marker(s, n, "=== response")) {
        PERR(ctx, line, "expected a request line 'METHOD /path'");
        return false;
    }
    const char *m, *t, *extra;
    size_t mn, tn, extran;
    if (!next_word(&s, &n, &m, &mn) || !next_word(&s, &n, &t, &tn)
        || next_word(&s, &n, &extra, &extran)) {
        PERR(ctx, line, "expected a request line 'METHOD /path'");
        return false;
    }
    fx->method = dup_range(m, mn);
    fx->target = dup_range(t, tn);
    if (!fx->method || !fx->target) {
        PERR(ctx, line, "out of memory");
        return false;
    }

    /* Headers, up to a blank line or the response marker. */
    bool have_body = false;
    for (;;) {
        line = ctx->cur.line;
        size_t line_start = ctx->cur.pos;
        if (!next_line(&ctx->cur, &s, &n))
            break; /* parse_response reports the missing section */
        if (is_marker(s, n, "=== response")) {
            ctx->cur.pos = line_start; /* let parse_response see it */
            ctx->cur.line = line;
            break;
        }
        if (line_blank(s, n)) {
            have_body = true;
            break;
        }
        if (!add_header(ctx, &fx->req_headers, &fx->req_header_count, s, n,
                        line, true))
            return false;
    }

    /* Body: everything up to the line "=== response". */
    size_t body_start = ctx->cur.pos;
    size_t body_end = body_start;
    size_t body_line = ctx->cur.line;
    if (have_body) {
        for (;;) {
            line = ctx->cur.line;
            size_t line_start = ctx->cur.pos;
            if (!next_line(&ctx->cur, &s, &n)) {
                body_end = ctx->cur.len;
                break;
            }
            if (is_marker(s, n, "=== response")) {
                body_end = line_start;
                ctx->cur.pos = line_start;
                ctx->cur.line = line;
                break;
            }
        }
    }
    size_t blen = body_end - body_start;
    const char *b = ctx->cur.text + body_start;
    if (blen && b[blen - 1] == '\n')
        blen--;
    bool all_ws = true;
    for (size_t i = 0; i < blen && all_ws; i++)
        all_ws = is_ows(b[i]) || b[i] == '\n' || b[i] == '\r';
    if (all_ws)
        blen = 0; /* an empty (or blank) body section: no body expected */
    fx->req_body = dup_range(b, blen);
    fx->req_body_len = blen;
    if (!fx->req_body) {
        PERR(ctx, body_line, "out of memory");
        return false;
    }
    if (blen) {
        json_error_t jerr;
        fx->req_json = json_loadb(b, blen,
                                  JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                                  &jerr);
    }
    return true;
}

/* % gzip: compresses fx->resp_body into fx->gzip_body, in the gzip format
 * (windowBits 31). zlib's output is deterministic for given input and
 * level, so the offsets written in a fixture stay valid. */
static bool gzip_compress(fixture *fx)
{
    if (fx->resp_body_len > UINT_MAX)
        return false;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    uLong bound = deflateBound(&zs, (uLong)fx->resp_body_len);
    unsigned char *out = bound <= UINT_MAX ? malloc(bound) : NULL;
    bool ok = false;
    if (out) {
        zs.next_in = (Bytef *)fx->resp_body;
        zs.avail_in = (uInt)fx->resp_body_len;
        zs.next_out = out;
        zs.avail_out = (uInt)bound;
        ok = deflate(&zs, Z_FINISH) == Z_STREAM_END;
    }
    if (ok) {
        fx->gzip_body = (char *)out;
        fx->gzip_body_len = (size_t)zs.total_out;
    } else {
        free(out);
    }
    deflateEnd(&zs);
    return ok;
}

static bool parse_response(parse_ctx *ctx)
{
    fixture *fx = ctx->fx;
    const char *s;
    size_t n;
    size_t line = ctx->cur.line;
    if (!next_line(&ctx->cur, &s, &n)) {
        if (fx->hang)
            return true; /* a hung exchange needs no response */
        PERR(ctx, line, "missing '=== response' section");
        return false;
    }
    if (!is_marker(s, n, "=== response")) {
        PERR(ctx, line, "expected '=== response'");
        return false;
    }
    fx->has_response = true;

    line = ctx->cur.line;
    if (!next_line(&ctx->cur, &s, &n)) {
        PERR(ctx, line, "expected a status line 'HTTP/1.1 200 OK'");
        return false;
    }
    /* "HTTP/x.y NNN[ reason]" */
    if (n < 12 || memcmp(s, "HTTP/", 5) != 0 || s[8] != ' '
        || s[9] < '1' || s[9] > '9' || s[10] < '0' || s[10] > '9'
        || s[11] < '0' || s[11] > '9' || (n > 12 && s[12] != ' ')) {
        PERR(ctx, line, "expected a status line 'HTTP/1.1 200 OK'");
        return false;
    }
    fx->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    fx->status_line = dup_range(s, n);
    if (!fx->status_line) {
        PERR(ctx, line, "out of memory");
        return false;
    }

    for (;;) {
        line = ctx->cur.line;
        if (!next_line(&ctx->cur, &s, &n) || line_blank(s, n))
            break;
        if (!add_header(ctx, &fx->resp_headers, &fx->resp_header_count, s, n,
                        line, false))
            return false;
    }

    size_t blen = ctx->cur.len - ctx->cur.pos;
    const char *b = ctx->cur.text + ctx->cur.pos;
    if (blen && b[blen - 1] == '\n')
        blen--;
    fx->resp_body = dup_range(b, blen);
    fx->resp_body_len = blen;
    if (!fx->resp_body) {
        PERR(ctx, line, "out of memory");
        return false;
    }
    if (fx->gzip && !gzip_compress(fx)) {
        PERR(ctx, line, "cannot gzip the body (out of memory)");
        return false;
    }
    /* Offsets count bytes as sent: compressed ones with % gzip. */
    size_t sent = fx->gzip ? fx->gzip_body_len : blen;
    const char *what = fx->gzip ? ", gzip-compressed" : "";
    if (fx->split_count && fx->split_at[fx->split_count - 1] >= sent) {
        PERR(ctx, ctx->split_line,
             "split-at offset %zu must be less than the body length (%zu%s)",
             fx->split_at[fx->split_count - 1], sent, what);
        return false;
    }
    if (ctx->truncate_given && fx->truncate_body >= sent) {
        PERR(ctx, ctx->truncate_line,
             "truncate-body %zu must be less than the body length (%zu%s)",
             fx->truncate_body, sent, what);
        return false;
    }
    /* A stall or reset at the end of the body would come after the client
     * has it all: it would test nothing. */
    if (fx->stall && fx->stall_after >= sent) {
        PERR(ctx, ctx->stall_line,
             "stall-after %zu must be less than the body length (%zu%s)",
             fx->stall_after, sent, what);
        return false;
    }
    if (fx->reset && fx->reset_after >= sent) {
        PERR(ctx, ctx->reset_line,
             "reset-after %zu must be less than the body length (%zu%s)",
             fx->reset_after, sent, what);
        return false;
    }
    return true;
}

fixture *fixture_parse(const char *text, size_t len, const char *name,
                       char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!name)
        name = "<fixture>";
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx || !(fx->name = dup_range(name, strlen(name)))) {
        free(fx);
        set_err(err, errlen, name, 0, "out of memory");
        return NULL;
    }
    parse_ctx ctx = {
        .fx = fx,
        .cur = { .text = text ? text : "", .len = text ? len : 0, .line = 1 },
        .err = err,
        .errlen = errlen,
    };
    if (!parse_preamble(&ctx) || !parse_request(&ctx)
        || !parse_response(&ctx)) {
        fixture_free(fx);
        return NULL;
    }
    return fx;
}

fixture *fixture_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    strbuf sb = { 0 };
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0)
        sb_reserve(&sb, (size_t)st.st_size);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_add(&sb, chunk, n);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || sb.oom) {
        set_err(err, errlen, path, 0, "cannot read: %s",
                failed ? "I/O error" : "out of memory");
        free(sb.data);
        return NULL;
    }
    fixture *fx = fixture_parse(sb.data, sb.len, path, err, errlen);
    free(sb.data);
    return fx;
}

static void free_headers(fixture_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

void fixture_free(fixture *fx)
{
    if (!fx)
        return;
    free(fx->name);
    free(fx->method);
    free(fx->target);
    free_headers(fx->req_headers, fx->req_header_count);
    free(fx->req_body);
    json_decref(fx->req_json);
    free(fx->status_line);
    free_headers(fx->resp_headers, fx->resp_header_count);
    free(fx->resp_body);
    free(fx->split_at);
    free(fx->gzip_body);
    free(fx);
}

/* ------------------------------------------------------------------------ */
/* Redaction                                                                */

/* Writes src to dst (cut to dstlen) with every api_key replaced. */
static void redact_into(const char *src, char *dst, size_t dstlen,
                        const char *api_key)
{
    if (!dst || dstlen == 0)
        return;
    if (!api_key || !api_key[0] || !strstr(src, api_key)) {
        if (dst != src)
            snprintf(dst, dstlen, "%s", src);
        return;
    }
    size_t klen = strlen(api_key);
    strbuf out = { 0 };
    const char *p = src;
    const char *hit;
    while ((hit = strstr(p, api_key)) != NULL) {
        sb_add(&out, p, (size_t)(hit - p));
        sb_adds(&out, REDACTED);
        p = hit + klen;
    }
    sb_adds(&out, p);
    /* Without memory to rebuild, blank the text rather than leak the key. */
    snprintf(dst, dstlen, "%s", out.oom ? REDACTED : out.data);
    free(out.data);
}

void fixture_redact(char *s, size_t size, const char *api_key)
{
    if (s && size)
        redact_into(s, s, size, api_key);
}

/* ------------------------------------------------------------------------ */
/* JSON comparison                                                          */

static bool json_num_equal(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
}

static bool is_ident(const char *k)
{
    if (!k[0] || (k[0] >= '0' && k[0] <= '9'))
        return false;
    for (const char *p = k; *p; p++) {
        char c = *p;
        if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

static void path_push_key(strbuf *path, const char *key)
{
    if (is_ident(key)) {
        sb_printf(path, ".%s", key);
        return;
    }
    json_t *s = json_string(key);
    char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    sb_printf(path, "[%s]", q ? q : "?");
    free(q);
    json_decref(s);
}

typedef struct jdiff {
    strbuf path;
    strbuf *desc;   /* first difference written here; NULL: count only */
    bool stop;      /* stop at the first difference */
    size_t count;
} jdiff;

static void jdiff_report(jdiff *d, const char *what, const json_t *exp,
                         const json_t *act)
{
    d->count++;
    if (!d->desc || d->desc->len)
        return;
    sb_printf(d->desc, "%s: ", sb_str(&d->path));
    if (strcmp(what, "missing") == 0) {
        sb_adds(d->desc, "missing, expected ");
        sb_add_json(d->desc, exp);
    } else if (strcmp(what, "unexpected") == 0) {
        sb_adds(d->desc, "unexpected key, got ");
        sb_add_json(d->desc, act);
    } else {
        sb_adds(d->desc, "expected ");
        sb_add_json(d->desc, exp);
        sb_adds(d->desc, ", got ");
        sb_add_json(d->desc, act);
    }
}

static void jdiff_walk(jdiff *d, const json_t *e, const json_t *a)
{
    if (d->stop && d->count)
        return;
    size_t mark = d->path.len;
    if (json_is_number(e) && json_is_number(a)) {
        if (!json_num_equal(e, a))
            jdiff_report(d, "value", e, a);
        return;
    }
    if (json_typeof(e) != json_typeof(a)) {
        jdiff_report(d, "value", e, a);
        return;
    }
    switch (json_typeof(e)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *ev;
        json_object_foreach((json_t *)e, key, ev) {
            json_t *av = json_object_get(a, key);
            path_push_key(&d->path, key);
            if (!av)
                jdiff_report(d, "missing", ev, NULL);
            else
                jdiff_walk(d, ev, av);
            d->path.len = mark;
            if (d->path.data)
                d->path.data[mark] = '\0';
            if (d->stop && d->count)
                return;
        }
        json_t *av;
        json_object_foreach((json_t *)a, key, av) {
            if (json_object_get(e, key))
                continue;
            path_push_key(&d->path, key);
            jdiff_report(d, "unexpected", NULL, av);
            d->path.len = mark;
            if (d->path.data)
                d->path.data[mark] = '\0';
            if (d->stop && d->count)
                return;
        }
        return;
    }
    case JSON_ARRAY: {
        size_t ne = json_array_size(e), na = json_array_size(a);
        size_t nmin = ne < na ? ne : na;
        for (size_t i = 0; i < nmin; i++) {
            sb_printf(&d->path, "[%zu]", i);
            jdiff_walk(d, json_array_get(e, i), json_array_get(a, i));
            d->path.len = mark;
            if (d->path.data)
                d->path.data[mark] = '\0';
            if (d->stop && d->count)
                return;
        }
        if (ne != na) {
            if (d->desc && !d->desc->len)
                sb_printf(d->desc, "%s: expected %zu elements, got %zu",
                          sb_str(&d->path), ne, na);
            d->count += ne > na ? ne - na : na - ne;
        }
        return;
    }
    case JSON_STRING:
        if (json_string_length(e) != json_string_length(a)
            || memcmp(json_string_value(e), json_string_value(a),
                      json_string_length(e)) != 0)
            jdiff_report(d, "value", e, a);
        return;
    default: /* true, false, null: same type means same value */
        return;
    }
}

/* Number of differences between e and a; the first one described in desc
 * (if non-NULL). */
static size_t json_diff(const json_t *e, const json_t *a, strbuf *desc,
                        bool stop)
{
    jdiff d = { .desc = desc, .stop = stop };
    sb_adds(&d.path, "$");
    jdiff_walk(&d, e, a);
    free(d.path.data);
    return d.count;
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                 */

static bool stream_flag(const json_t *body)
{
    return json_is_object(body) && json_is_true(json_object_get(body, "stream"));
}

/* Does actual satisfy the expected header value (with {{API_KEY}})? */
static bool header_value_ok(const char *expected, const char *actual,
                            const char *api_key)
{
    const char *ph = strstr(expected, API_KEY_PLACEHOLDER);
    if (!ph)
        return strcmp(expected, actual) == 0;
    if (api_key) {
        /* Substitute every placeholder, then compare. */
        strbuf sb = { 0 };
        const char *p = expected;
        const char *hit;
        while ((hit = strstr(p, API_KEY_PLACEHOLDER)) != NULL) {
            sb_add(&sb, p, (size_t)(hit - p));
            sb_adds(&sb, api_key);
            p = hit + strlen(API_KEY_PLACEHOLDER);
        }
        sb_adds(&sb, p);
        bool ok = !sb.oom && strcmp(sb_str(&sb), actual) == 0;
        free(sb.data);
        return ok;
    }
    /* No key configured: the text around the placeholder must match. */
    size_t pre = (size_t)(ph - expected);
    const char *last = ph;
    const char *hit;
    while ((hit = strstr(last + 1, API_KEY_PLACEHOLDER)) != NULL)
        last = hit;
    const char *suf = last + strlen(API_KEY_PLACEHOLDER);
    size_t sufn = strlen(suf);
    size_t alen = strlen(actual);
    return alen >= pre + sufn && strncmp(actual, expected, pre) == 0
           && memcmp(actual + alen - sufn, suf, sufn) == 0;
}

static bool secret_header(const fixture_header *h)
{
    return strcasecmp(h->name, "authorization") == 0
           || strcasecmp(h->name, "proxy-authorization") == 0
           || strstr(h->value, API_KEY_PLACEHOLDER) != NULL;
}

/* Checks one header rule; on failure describes it in desc (if non-NULL). */
static bool header_rule_ok(const fixture_header *h, const fixture_request *req,
                           const char *api_key, strbuf *desc)
{
    const char *first = NULL;
    for (size_t i = 0; i < req->header_count; i++) {
        const fixture_request_header *rh = &req->headers[i];
        if (strcasecmp(rh->name, h->name) != 0)
            continue;
        if (h->absent) {
            first = rh->value;
            break;
        }
        if (header_value_ok(h->value, rh->value, api_key))
            return true;
        if (!first)
            first = rh->value;
    }
    if (h->absent && !first)
        return true;
    if (!desc)
        return false;
    sb_printf(desc, "header %s: expected ", h->name);
    if (h->absent)
        sb_adds(desc, "absent");
    else
        sb_add_quoted(desc, h->value, strlen(h->value));
    sb_adds(desc, ", got ");
    if (!first) {
        sb_adds(desc, "no such header");
    } else if (secret_header(h)) {
        sb_adds(desc, REDACTED);
        if (strncmp(h->value, "Bearer ", 7) == 0
            && strncmp(first, "Bearer ", 7) != 0)
            sb_adds(desc, " (without the \"Bearer \" prefix)");
    } else {
        sb_add_quoted(desc, first, strlen(first));
    }
    return false;
}

/* Body check. Returns the number of differences (0: equal); describes the
 * first one in desc when desc is non-NULL. */
static size_t body_diff(const fixture *fx, const fixture_request *req,
                        const json_t *act_json, const char *json_errtext,
                        strbuf *desc, bool stop)
{
    const char *body = req->body ? req->body : "";
    size_t blen = req->body ? req->body_len : 0;
    if (fx->req_body_len == 0) {
        if (blen == 0)
            return 0;
        if (desc) {
            sb_printf(desc, "body: expected no body, got %zu bytes ", blen);
            sb_add_quoted(desc, body, blen);
        }
        return 1;
    }
    if (fx->req_json) {
        if (blen == 0) {
            if (desc)
                sb_adds(desc, "body: expected JSON, got no body");
            return 1000;
        }
        if (!act_json) {
            if (desc) {
                sb_printf(desc, "body: expected JSON, got invalid JSON (%s): ",
                          json_errtext ? json_errtext : "?");
                sb_add_quoted(desc, body, blen);
            }
            return 1000;
        }
        return json_diff(fx->req_json, act_json, desc, stop);
    }
    if (blen == fx->req_body_len && memcmp(body, fx->req_body, blen) == 0)
        return 0;
    if (desc) {
        size_t i = 0;
        while (i < blen && i < fx->req_body_len && body[i] == fx->req_body[i])
            i++;
        size_t from = i > 20 ? i - 20 : 0;
        sb_printf(desc, "body: differs at byte %zu: expected ", i);
        sb_add_quoted(desc, fx->req_body + from, fx->req_body_len - from);
        sb_adds(desc, ", got ");
        sb_add_quoted(desc, body + from, blen - from);
    }
    return 1;
}

/* Parses the request body when the caller did not. *owned receives a
 * reference to drop. */
static const json_t *request_json(const fixture_request *req, json_t **owned,
                                  char *errtext, size_t errlen)
{
    *owned = NULL;
    if (errlen)
        errtext[0] = '\0';
    if (req->body_json)
        return req->body_json;
    if (!req->body || req->body_len == 0)
        return NULL;
    json_error_t jerr;
    *owned = json_loadb(req->body, req->body_len,
                        JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!*owned && errlen)
        snprintf(errtext, errlen, "line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
    return *owned;
}

static void finish_desc(strbuf *sb, char *desc, size_t desclen,
                        const char *api_key)
{
    redact_into(sb_str(sb), desc, desclen, api_key);
}

bool fixture_match_request(const fixture *fx, const fixture_request *req,
                           const char *api_key, char *desc, size_t desclen)
{
    strbuf sb = { .key = api_key && api_key[0] ? api_key : NULL };
    bool ok = false;
    if (desc && desclen)
        desc[0] = '\0';

    if (strcmp(fx->method, req->method) != 0
        || strcmp(fx->target, req->target) != 0) {
        sb_adds(&sb, "request line: expected ");
        sb_printf(&sb, "%s ", fx->method);
        sb_add_quoted(&sb, fx->target, strlen(fx->target));
        sb_printf(&sb, ", got %s ", req->method);
        sb_add_quoted(&sb, req->target, strlen(req->target));
        goto done;
    }
    for (size_t i = 0; i < fx->req_header_count; i++)
        if (!header_rule_ok(&fx->req_headers[i], req, api_key, &sb))
            goto done;

    json_t *owned = NULL;
    char jerr[200];
    const json_t *aj = NULL;
    if (fx->req_json)
        aj = request_json(req, &owned, jerr, sizeof jerr);
    size_t n = body_diff(fx, req, aj, jerr, &sb, true);
    json_decref(owned);
    ok = n == 0;

done:
    if (!ok)
        finish_desc(&sb, desc, desclen, api_key);
    free(sb.data);
    return ok;
}

static size_t path_len(const char *target)
{
    const char *q = strchr(target, '?');
    return q ? (size_t)(q - target) : strlen(target);
}

size_t fixture_request_distance(const fixture *fx, const fixture_request *req,
                                const char *api_key)
{
    if (strcmp(fx->method, req->method) != 0)
        return SIZE_MAX;
    size_t pl = path_len(fx->target);
    if (pl != path_len(req->target) || memcmp(fx->target, req->target, pl))
        return SIZE_MAX;

    json_t *owned = NULL;
    char jerr[200];
    const json_t *aj = request_json(req, &owned, jerr, sizeof jerr);
    size_t dist = SIZE_MAX;
    if (stream_flag(fx->req_json) != stream_flag(aj))
        goto out;
    dist = strcmp(fx->target + pl, req->target + pl) != 0;
    for (size_t i = 0; i < fx->req_header_count; i++)
        dist += !header_rule_ok(&fx->req_headers[i], req, api_key, NULL);
    dist += body_diff(fx, req, aj, jerr, NULL, false);
out:
    json_decref(owned);
    return dist;
}
