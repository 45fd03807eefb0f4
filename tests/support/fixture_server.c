/* Test support: loopback HTTP/1.1 server replaying *.fixture files.
 *
 * One accept thread plus one thread per connection. Every socket is
 * blocking; reads and sleeps poll() a wake pipe whose write end
 * fixture_server_stop closes, and stop shutdown()s the connection sockets
 * so that a send blocked on a client that does not read returns too.
 * Shared state lives under fs->mu, which is never held across I/O. */
#include "fixture_server.h"

#include "fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__GNUC__) || defined(__clang__)
#define FS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FS_PRINTF(fmt, args)
#endif

#define MAX_HEAD_BYTES ((size_t)1 << 20)
#define MAX_BODY_BYTES ((size_t)1 << 30)
#define MAX_RECORDED 4096
#define MAX_RECORDED_BYTES ((size_t)256 << 20)
#define DESC_MAX 2048
#define CONN_STACK_BYTES ((size_t)1 << 20)
#define MAX_DIR_DEPTH 32
/* Shortest pause at a % split-at offset. */
#define SPLIT_PAUSE_MS 2u
/* Longest wait for the client's kernel to acknowledge the bytes sent
 * before a % reset-after resets the connection. */
#define RESET_DRAIN_MS 2000u

typedef struct conn conn;

struct conn {
    fixture_server *fs;
    pthread_t thread;
    int fd;      /* under fs->mu; -1 once closed */
    bool done;   /* under fs->mu: the thread has finished */
    conn *next;  /* under fs->mu */
    /* Read buffer, used by the connection thread only. */
    char *buf;
    size_t len;
    size_t cap;
    size_t scan; /* where the search for the end of the head resumes */
};

typedef struct script_entry {
    const fixture *fx;
    unsigned remaining;
} script_entry;

typedef struct recorded {
    char *data;
    size_t len;
} recorded;

struct fixture_server {
    pthread_mutex_t mu;
    int listen_fd;
    int wake_rd;
    int wake_wr;
    int port;
    char url[48];
    char *api_key;
    pthread_t accept_thread;
    bool accept_started;

    /* Everything below is under mu. */
    conn *conns;
    fixture **owned; /* every fixture parsed, freed at stop */
    size_t n_owned, cap_owned;
    script_entry *script; /* pending entries are [script_head, script_len) */
    size_t script_head, script_len, script_cap;
    fixture **dir;
    size_t n_dir, cap_dir;
    bool dir_loaded;
    bool lenient;
    size_t n_connections, n_closed, n_requests, n_mismatches;
    char *last_mismatch;
    recorded *rec;
    size_t n_rec, cap_rec, rec_bytes;
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

typedef struct buf {
    char *data;
    size_t len, cap;
    bool oom;
} buf;

static bool buf_reserve(buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

static void buf_add(buf *b, const void *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_printf(buf *b, const char *fmt, ...) FS_PRINTF(2, 3);

static void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void lock(const fixture_server *fs)
{
    pthread_mutex_lock((pthread_mutex_t *)&fs->mu);
}

static void unlock(const fixture_server *fs)
{
    pthread_mutex_unlock((pthread_mutex_t *)&fs->mu);
}

static void set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
        fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

static bool wake_ready(short revents)
{
    return (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds; returns true early if the server is stopping. */
static bool sleep_or_stop(fixture_server *fs, unsigned ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = { .fd = fs->wake_rd, .events = POLLIN };
        int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (r > 0 && wake_ready(p.revents))
            return true;
        if (r < 0 && errno != EINTR)
            return true;
    }
}

/* Pause between two pieces of a response body (% chunk-delay-ms, % split-at):
 * sleeps ms milliseconds; returns true early if the server is stopping or
 * the client has closed the connection (then the rest is not worth
 * sending, and the connection is released at once). */
static bool pause_or_gone(conn *c, unsigned ms)
{
    int64_t deadline = now_ms() + ms;
    bool watch = true; /* stop watching once the client sent more bytes */
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p[2] = {
            { .fd = c->fs->wake_rd, .events = POLLIN },
            { .fd = c->fd, .events = POLLIN },
        };
        int r = poll(p, watch ? 2 : 1,
                     left > INT32_MAX ? INT32_MAX : (int)left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return true;
        }
        if (r == 0)
            continue;
        if (wake_ready(p[0].revents))
            return true;
        if (!watch || !p[1].revents)
            continue;
        if (p[1].revents & (POLLERR | POLLNVAL))
            return true;
        char byte;
        ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0)
            return true; /* orderly close */
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK
            && errno != EINTR)
            return true; /* reset */
        if (n > 0)
            watch = false; /* a pipelined request: leave it for later */
    }
}

static bool token_in_list(const char *value, const char *token)
{
    size_t tn = strlen(token);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == tn && strncasecmp(start, token, tn) == 0)
            return true;
    }
    return false;
}

static bool parse_size(const char *s, size_t *out)
{
    if (!*s)
        return false;
    size_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (SIZE_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Connection I/O                                                           */

/* Reads more bytes into c->buf. 1: got some; 0: peer closed; -1: error or
 * the server is stopping. */
static int conn_fill(conn *c)
{
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        char *p = realloc(c->buf, cap);
        if (!p)
            return -1;
        c->buf = p;
        c->cap = cap;
    }
    for (;;) {
        struct pollfd p[2] = {
            { .fd = c->fd, .events = POLLIN },
            { .fd = c->fs->wake_rd, .events = POLLIN },
        };
        int r = poll(p, 2, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (wake_ready(p[1].revents))
            return -1;
        if (!p[0].revents)
            continue;
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            return 0;
        c->len += (size_t)n;
        return 1;
    }
}

/* Makes sure c->buf holds at least n bytes. */
static bool conn_need(conn *c, size_t n)
{
    if (n > c->cap) {
        char *p = realloc(c->buf, n + 1);
        if (!p)
            return false;
        c->buf = p;
        c->cap = n + 1;
    }
    while (c->len < n)
        if (conn_fill(c) <= 0)
            return false;
    return true;
}

static void conn_consume(conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    c->scan = 0;
}

static bool send_all(conn *c, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Request parsing                                                          */

typedef struct http_request {
    char *head;   /* copy of the head, split in place */
    const char *method;
    const char *target;
    fixture_request_header *headers;
    size_t n_headers;
    char *body;
    size_t body_len;
    bool close;   /* the client asked to close after this exchange */
    char *raw;    /* head + body as recorded */
    size_t raw_len;
} http_request;

static void request_free(http_request *req)
{
    free(req->head);
    free(req->headers);
    free(req->body);
    free(req->raw);
}

static const char *req_header(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

/* Finds the end of the head (after the empty line) in c->buf. */
static bool find_head_end(conn *c, size_t *end)
{
    size_t i = c->scan;
    for (;;) {
        const char *nl = i < c->len ? memchr(c->buf + i, '\n', c->len - i)
                                    : NULL;
        if (!nl) {
            c->scan = c->len;
            return false;
        }
        size_t p = (size_t)(nl - c->buf);
        if (p + 1 < c->len && c->buf[p + 1] == '\n') {
            *end = p + 2;
            return true;
        }
        if (p + 2 < c->len && c->buf[p + 1] == '\r' && c->buf[p + 2] == '\n') {
            *end = p + 3;
            return true;
        }
        if (p + 2 >= c->len) {
            c->scan = p; /* look at this line end again with more bytes */
            return false;
        }
        i = p + 1;
    }
}

/* Splits the head copy into request line and headers. */
static bool parse_head(http_request *req, size_t head_len, char *err,
                       size_t errlen)
{
    char *s = req->head;
    char *end = s + head_len;
    size_t max_headers = 0;
    for (char *p = s; p < end; p++)
        max_headers += *p == '\n';
    req->headers = calloc(max_headers + 1, sizeof *req->headers);
    if (!req->headers) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool first = true;
    bool http10 = false;
    while (s < end) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            nl = end;
        char *line = s;
        s = nl + 1;
        *nl = '\0';
        if (nl > line && nl[-1] == '\r')
            nl[-1] = '\0';
        if (!*line)
            break;
        if (first) {
            first = false;
            char *sp1 = strchr(line, ' ');
            char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
            if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1
                || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
                snprintf(err, errlen, "bad request line");
                return false;
            }
            *sp1 = *sp2 = '\0';
            req->method = line;
            req->target = sp1 + 1;
            http10 = strcmp(sp2 + 1, "HTTP/1.0") == 0;
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line || line[0] == ' ' || line[0] == '\t') {
            snprintf(err, errlen, "bad header line");
            return false;
        }
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *ve = v + strlen(v);
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            *--ve = '\0';
        req->headers[req->n_headers].name = line;
        req->headers[req->n_headers].value = v;
        req->n_headers++;
    }
    if (first) {
        snprintf(err, errlen, "empty request");
        return false;
    }
    const char *connection = req_header(req, "connection");
    if (connection && token_in_list(connection, "close"))
        req->close = true;
    if (http10 && !(connection && token_in_list(connection, "keep-alive")))
        req->close = true;
    return true;
}

static bool read_chunked(conn *c, size_t pos, buf *body, size_t *consumed,
                         char *err, size_t errlen)
{
    for (;;) {
        const char *nl;
        while (!(nl = memchr(c->buf + pos, '\n', c->len - pos))) {
            if (c->len - pos > 4096) {
                snprintf(err, errlen, "chunk size line too long");
                return false;
            }
            if (conn_fill(c) <= 0)
                return false;
        }
        size_t size = 0;
        size_t i = pos;
        int digits = 0;
        for (;; i++, digits++) {
            char ch = c->buf[i];
            unsigned d;
            if (ch >= '0' && ch <= '9')
                d = (unsigned)(ch - '0');
            else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
                d = (unsigned)((ch | 0x20) - 'a' + 10);
            else
                break;
            if (size > (MAX_BODY_BYTES >> 4)) {
                snprintf(err, errlen, "chunk too large");
                return false;
            }
            size = size * 16 + d;
        }
        if (!digits) {
            snprintf(err, errlen, "bad chunk size line");
            return false;
        }
        pos = (size_t)(nl - c->buf) + 1;
        if (size == 0) {
            /* Trailer section, up to an empty line. */
            for (;;) {
                while (!(nl = memchr(c->buf + pos, '\n', c->len - pos))) {
                    if (c->len - pos > MAX_HEAD_BYTES) {
                        snprintf(err, errlen, "trailers too long");
                        return false;
                    }
                    if (conn_fill(c) <= 0)
                        return false;
                }
                size_t n = (size_t)(nl - c->buf) - pos;
                bool empty = n == 0 || (n == 1 && c->buf[pos] == '\r');
                pos += n + 1;
                if (empty) {
                    *consumed = pos;
                    return true;
                }
            }
        }
        if (size > MAX_BODY_BYTES - body->len) {
            snprintf(err, errlen, "body too large");
            return false;
        }
        if (!conn_need(c, pos + size + 1))
            return false;
        buf_add(body, c->buf + pos, size);
        if (body->oom) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        pos += size;
        if (c->buf[pos] == '\r') {
            if (!conn_need(c, pos + 2))
                return false;
            pos++;
        }
        if (c->buf[pos] != '\n') {
            snprintf(err, errlen, "missing CRLF after chunk data");
            return false;
        }
        pos++;
    }
}

/* Reads one request. 1: read; 0: connection over (closed, error, stop);
 * -1: malformed request (err set; answer and close). */
static int read_request(conn *c, http_request *req, char *err, size_t errlen)
{
    memset(req, 0, sizeof *req);
    size_t head_end;
    for (;;) {
        size_t k = 0;
        while (k < c->len && (c->buf[k] == '\r' || c->buf[k] == '\n'))
            k++;
        if (k)
            conn_consume(c, k);
        if (c->len && find_head_end(c, &head_end))
            break;
        if (c->len > MAX_HEAD_BYTES) {
            snprintf(err, errlen, "request head too large");
            return -1;
        }
        if (conn_fill(c) <= 0)
            return 0;
    }

    req->head = malloc(head_end + 1);
    if (!req->head) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(req->head, c->buf, head_end);
    req->head[head_end] = '\0';
    if (!parse_head(req, head_end, err, errlen))
        return -1;

    const char *te = req_header(req, "transfer-encoding");
    const char *cl = req_header(req, "content-length");
    bool chunked = te && token_in_list(te, "chunked");
    size_t content_length = 0;
    if (te && !chunked) {
        snprintf(err, errlen, "unsupported transfer-encoding");
        return -1;
    }
    if (!chunked && cl && !parse_size(cl, &content_length)) {
        snprintf(err, errlen, "bad content-length");
        return -1;
    }
    if (content_length > MAX_BODY_BYTES) {
        snprintf(err, errlen, "body too large");
        return -1;
    }

    const char *expect = req_header(req, "expect");
    if (expect && strcasecmp(expect, "100-continue") == 0
        && (chunked || c->len < head_end + content_length)) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!send_all(c, cont, sizeof cont - 1))
            return 0;
    }

    size_t consumed;
    if (chunked) {
        buf body = { 0 };
        if (!read_chunked(c, head_end, &body, &consumed, err, errlen)) {
            free(body.data);
            return err[0] ? -1 : 0;
        }
        req->body = body.data;
        req->body_len = body.len;
    } else {
        if (!conn_need(c, head_end + content_length))
            return 0;
        req->body = malloc(content_length + 1);
        if (!req->body) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(req->body, c->buf + head_end, content_length);
        req->body[content_length] = '\0';
        req->body_len = content_length;
        consumed = head_end + content_length;
    }

    req->raw_len = head_end + req->body_len;
    req->raw = malloc(req->raw_len + 1);
    if (req->raw) {
        memcpy(req->raw, c->buf, head_end);
        if (req->body_len)
            memcpy(req->raw + head_end, req->body, req->body_len);
        req->raw[req->raw_len] = '\0';
    }
    conn_consume(c, consumed);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Choosing the answer                                                      */

typedef struct plan {
    const fixture *fx;  /* NULL: mismatch, see desc */
    const char *match;  /* x-replay-match value, or NULL */
    char desc[DESC_MAX];
} plan;

static void note_mismatch(fixture_server *fs, const char *desc)
{
    fs->n_mismatches++;
    size_t n = strlen(desc);
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, desc, n + 1);
        free(fs->last_mismatch);
        fs->last_mismatch = copy;
    }
}

static void decide(fixture_server *fs, const http_request *hr, plan *p)
{
    p->fx = NULL;
    p->match = NULL;
    p->desc[0] = '\0';

    fixture_request req = {
        .method = hr->method,
        .target = hr->target,
        .headers = hr->headers,
        .header_count = hr->n_headers,
        .body = hr->body,
        .body_len = hr->body_len,
    };
    json_t *body_json = NULL;
    if (hr->body_len) {
        json_error_t jerr;
        body_json = json_loadb(hr->body, hr->body_len,
                               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
        req.body_json = body_json;
    }

    char desc[DESC_MAX / 2]; /* leaves room for what decide() adds */
    lock(fs);
    if (fs->script_head < fs->script_len) {
        script_entry *e = &fs->script[fs->script_head];
        if (fixture_match_request(e->fx, &req, fs->api_key, desc,
                                  sizeof desc)) {
            p->fx = e->fx;
            if (--e->remaining == 0)
                fs->script_head++;
        } else {
            snprintf(p->desc, sizeof p->desc, "%s: %s", e->fx->name, desc);
        }
    } else if (fs->dir_loaded) {
        for (size_t i = 0; i < fs->n_dir && !p->fx; i++)
            if (fixture_match_request(fs->dir[i], &req, fs->api_key, NULL, 0))
                p->fx = fs->dir[i];
        if (p->fx) {
            p->match = "exact";
        } else {
            const fixture *best = NULL;
            size_t best_d = SIZE_MAX;
            for (size_t i = 0; i < fs->n_dir; i++) {
                size_t d = fixture_request_distance(fs->dir[i], &req,
                                                    fs->api_key);
                if (d < best_d) {
                    best_d = d;
                    best = fs->dir[i];
                }
            }
            if (best && fs->lenient) {
                p->fx = best;
                p->match = "closest";
            } else if (best) {
                fixture_match_request(best, &req, fs->api_key, desc,
                                      sizeof desc);
                snprintf(p->desc, sizeof p->desc,
                         "no recorded exchange matches %s %s; closest is "
                         "%s: %s",
                         hr->method, hr->target, best->name, desc);
            } else {
                snprintf(p->desc, sizeof p->desc,
                         "no recorded exchange for %s %s", hr->method,
                         hr->target);
            }
        }
    } else {
        snprintf(p->desc, sizeof p->desc,
                 "unexpected request %s %s: no exchange left in the script",
                 hr->method, hr->target);
    }
    if (!p->fx) {
        fixture_redact(p->desc, sizeof p->desc, fs->api_key);
        note_mismatch(fs, p->desc);
    }
    unlock(fs);
    json_decref(body_json);
}

/* ------------------------------------------------------------------------ */
/* Answering                                                                */

static bool send_mismatch(conn *c, const char *desc, bool close)
{
    buf b = { 0 };
    size_t n = strlen(desc);
    buf_printf(&b,
               "HTTP/1.1 599 Fixture Mismatch\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Length: %zu\r\n"
               "Connection: %s\r\n\r\n",
               n, close ? "close" : "keep-alive");
    buf_add(&b, desc, n);
    bool ok = !b.oom && send_all(c, b.data, b.len);
    free(b.data);
    return ok && !close;
}

static const fixture_header *resp_header(const fixture *fx, const char *name)
{
    for (size_t i = 0; i < fx->resp_header_count; i++)
        if (strcasecmp(fx->resp_headers[i].name, name) == 0)
            return &fx->resp_headers[i];
    return NULL;
}

/* Waits, without answering, until the server stops or the client leaves. */
static void hang(conn *c)
{
    for (;;) {
        struct pollfd p[2] = {
            { .fd = c->fd, .events = POLLIN },
            { .fd = c->fs->wake_rd, .events = POLLIN },
        };
        int r = poll(p, 2, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (wake_ready(p[1].revents))
            return;
        if (p[0].revents) {
            char tmp[4096];
            ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
            if (n == 0 || (n < 0 && errno != EINTR))
                return;
        }
    }
}

/* % reset-after: ends the connection with a TCP RST instead of a FIN.
 * The bytes already sent must reach the client first (an RST discards
 * whatever is still in our send queue), so wait until its kernel has
 * acknowledged them (or the server stops); then SO_LINGER {1, 0} makes the
 * close() in conn_main send the RST. */
static void arm_reset(conn *c)
{
    int64_t deadline = now_ms() + RESET_DRAIN_MS;
    for (;;) {
        int queued = 0;
        if (ioctl(c->fd, TIOCOUTQ, &queued) != 0 || queued <= 0)
            break;
        if (now_ms() >= deadline || sleep_or_stop(c->fs, 1))
            break;
    }
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* What happens once the body (or its first bytes) went out. Returns true
 * to keep the connection open. */
static bool end_exchange(conn *c, const fixture *fx, bool closing)
{
    if (fx->stall) {
        hang(c); /* % stall-after: silent until the client leaves */
        return false;
    }
    if (fx->reset) {
        arm_reset(c);
        return false;
    }
    return !closing;
}

/* Sends fx's response. Returns true to keep the connection open. */
static bool send_fixture(conn *c, const fixture *fx, const char *match,
                         bool req_close)
{
    fixture_server *fs = c->fs;
    if (fx->hang || !fx->has_response) {
        hang(c);
        return false;
    }
    if (fx->delay_ms && sleep_or_stop(fs, fx->delay_ms))
        return false;

    const fixture_header *h_cl = resp_header(fx, "content-length");
    const fixture_header *h_te = resp_header(fx, "transfer-encoding");
    const fixture_header *h_conn = resp_header(fx, "connection");
    const fixture_header *h_ce = resp_header(fx, "content-encoding");
    /* The body as sent: compressed with % gzip. */
    const char *body = fx->gzip ? fx->gzip_body : fx->resp_body;
    size_t body_len = fx->gzip ? fx->gzip_body_len : fx->resp_body_len;
    size_t declared = 0;
    bool lying = h_cl && (!parse_size(h_cl->value, &declared)
                          || declared != body_len);
    bool closing = fx->close || fx->truncate || fx->stall || fx->reset
                   || lying || req_close
                   || (h_conn && token_in_list(h_conn->value, "close"));
    bool no_body_status = fx->status < 200 || fx->status == 204
                          || fx->status == 304;

    buf head = { 0 };
    buf_printf(&head, "%s\r\n", fx->status_line);
    for (size_t i = 0; i < fx->resp_header_count; i++)
        buf_printf(&head, "%s: %s\r\n", fx->resp_headers[i].name,
                   fx->resp_headers[i].value);
    if (fx->gzip && !h_ce)
        buf_printf(&head, "Content-Encoding: gzip\r\n");
    if (fx->chunked && !h_te)
        buf_printf(&head, "Transfer-Encoding: chunked\r\n");
    else if (!fx->chunked && !h_cl && !h_te && !no_body_status)
        buf_printf(&head, "Content-Length: %zu\r\n", body_len);
    if (!h_conn)
        buf_printf(&head, "Connection: %s\r\n",
                   closing ? "close" : "keep-alive");
    if (match)
        buf_printf(&head, "x-replay-match: %s\r\n", match);
    buf_printf(&head, "\r\n");

    /* How much of the body goes out before the exchange ends. */
    size_t total = fx->truncate ? fx->truncate_body
                   : fx->stall  ? fx->stall_after
                   : fx->reset  ? fx->reset_after
                                : body_len;
    /* A small body goes out with the head, in one write. */
    bool together = !fx->chunked && !fx->chunk_bytes && !fx->split_count
                    && total <= 65536;
    if (together)
        buf_add(&head, body, total);
    bool ok = !head.oom && send_all(c, head.data, head.len);
    free(head.data);
    if (!ok)
        return false;
    if (together)
        return end_exchange(c, fx, closing);

    /* Pieces end at every multiple of chunk-bytes and at every split-at
     * offset. Pieces are separated by chunk-delay-ms, or, at a split-at
     * offset, by SPLIT_PAUSE_MS at least, so that each write reaches the
     * client as a read of its own (the socket has TCP_NODELAY). */
    size_t split = 0; /* next split-at offset to honour */
    bool at_split = false; /* off is a split-at offset */
    size_t off = 0;
    while (off < total) {
        size_t stop = total;
        if (fx->chunk_bytes) {
            size_t next = (off / fx->chunk_bytes + 1) * fx->chunk_bytes;
            if (next < stop)
                stop = next;
        }
        while (split < fx->split_count && fx->split_at[split] <= off)
            split++;
        bool cut = split < fx->split_count && fx->split_at[split] <= stop;
        if (cut)
            stop = fx->split_at[split];
        size_t n = stop - off;
        unsigned pause = fx->chunk_delay_ms;
        if (at_split && pause < SPLIT_PAUSE_MS)
            pause = SPLIT_PAUSE_MS;
        if (off && pause && pause_or_gone(c, pause))
            return false;
        at_split = cut;
        if (fx->chunked) {
            char line[32];
            int ln = snprintf(line, sizeof line, "%zx\r\n", n);
            if (!send_all(c, line, (size_t)ln)
                || !send_all(c, body + off, n)
                || !send_all(c, "\r\n", 2))
                return false;
        } else if (!send_all(c, body + off, n)) {
            return false;
        }
        off = stop;
    }
    bool whole = !fx->truncate && !fx->stall && !fx->reset;
    if (fx->chunked && whole && !send_all(c, "0\r\n\r\n", 5))
        return false;
    return end_exchange(c, fx, closing);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */

static void record_request(fixture_server *fs, http_request *req)
{
    lock(fs);
    fs->n_requests++;
    if (req->raw && fs->n_rec < MAX_RECORDED
        && req->raw_len <= MAX_RECORDED_BYTES - fs->rec_bytes) {
        if (fs->n_rec == fs->cap_rec) {
            size_t cap = fs->cap_rec ? fs->cap_rec * 2 : 16;
            recorded *r = realloc(fs->rec, cap * sizeof *r);
            if (r) {
                fs->rec = r;
                fs->cap_rec = cap;
            }
        }
        if (fs->n_rec < fs->cap_rec) {
            fs->rec[fs->n_rec].data = req->raw;
            fs->rec[fs->n_rec].len = req->raw_len;
            fs->n_rec++;
            fs->rec_bytes += req->raw_len;
            req->raw = NULL;
        }
    }
    unlock(fs);
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    fixture_server *fs = c->fs;
    for (;;) {
        http_request req;
        char err[256] = "";
        int r = read_request(c, &req, err, sizeof err);
        if (r == 0) {
            request_free(&req);
            break;
        }
        if (r < 0) {
            char desc[DESC_MAX];
            snprintf(desc, sizeof desc, "malformed request: %s", err);
            lock(fs);
            note_mismatch(fs, desc);
            unlock(fs);
            send_mismatch(c, desc, true);
            request_free(&req);
            break;
        }
        record_request(fs, &req);
        plan *p = malloc(sizeof *p);
        bool keep = false;
        if (p) {
            decide(fs, &req, p);
            if (p->fx)
                keep = send_fixture(c, p->fx, p->match, req.close);
            else
                keep = send_mismatch(c, p->desc, req.close);
            free(p);
        }
        request_free(&req);
        if (!keep)
            break;
    }
    lock(fs);
    close(c->fd);
    c->fd = -1;
    c->done = true;
    fs->n_closed++;
    unlock(fs);
    return NULL;
}

/* Joins and frees connections whose thread has finished. */
static void reap(fixture_server *fs)
{
    for (;;) {
        conn *found = NULL;
        lock(fs);
        for (conn **pp = &fs->conns; *pp; pp = &(*pp)->next) {
            if ((*pp)->done) {
                found = *pp;
                *pp = found->next;
                break;
            }
        }
        unlock(fs);
        if (!found)
            return;
        pthread_join(found->thread, NULL);
        free(found->buf);
        free(found);
    }
}

static void *accept_main(void *arg)
{
    fixture_server *fs = arg;
    pthread_attr_t attr;
    bool have_attr = pthread_attr_init(&attr) == 0;
    if (have_attr)
        pthread_attr_setstacksize(&attr, CONN_STACK_BYTES);
    for (;;) {
        reap(fs);
        struct pollfd p[2] = {
            { .fd = fs->listen_fd, .events = POLLIN },
            { .fd = fs->wake_rd, .events = POLLIN },
        };
        int r = poll(p, 2, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (wake_ready(p[1].revents))
            break;
        if (!p[0].revents)
            continue;
        int fd = accept(fs->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
                || errno == ENOMEM) {
                if (sleep_or_stop(fs, 10))
                    break;
            }
            continue; /* EINTR, ECONNABORTED, ... */
        }
        set_cloexec(fd);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

        conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fs = fs;
        c->fd = fd;
        lock(fs);
        fs->n_connections++;
        c->next = fs->conns;
        fs->conns = c;
        unlock(fs);
        if (pthread_create(&c->thread, have_attr ? &attr : NULL, conn_main,
                           c) != 0) {
            lock(fs);
            for (conn **pp = &fs->conns; *pp; pp = &(*pp)->next) {
                if (*pp == c) {
                    *pp = c->next;
                    break;
                }
            }
            close(fd);
            unlock(fs);
            free(c);
        }
    }
    if (have_attr)
        pthread_attr_destroy(&attr);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

static void destroy(fixture_server *fs)
{
    for (conn *c = fs->conns, *next; c; c = next) {
        next = c->next;
        free(c->buf);
        free(c);
    }
    for (size_t i = 0; i < fs->n_owned; i++)
        fixture_free(fs->owned[i]);
    free(fs->owned);
    free(fs->script);
    free(fs->dir);
    for (size_t i = 0; i < fs->n_rec; i++)
        free(fs->rec[i].data);
    free(fs->rec);
    free(fs->last_mismatch);
    free(fs->api_key);
    if (fs->listen_fd >= 0)
        close(fs->listen_fd);
    if (fs->wake_rd >= 0)
        close(fs->wake_rd);
    if (fs->wake_wr >= 0)
        close(fs->wake_wr);
    pthread_mutex_destroy(&fs->mu);
    free(fs);
}

fixture_server *fixture_server_start(const char *api_key)
{
    fixture_server *fs = calloc(1, sizeof *fs);
    if (!fs) {
        fprintf(stderr, "fixture_server: out of memory\n");
        return NULL;
    }
    fs->listen_fd = fs->wake_rd = fs->wake_wr = -1;
    if (pthread_mutex_init(&fs->mu, NULL) != 0) {
        free(fs);
        fprintf(stderr, "fixture_server: cannot create a mutex\n");
        return NULL;
    }
    if (api_key && !(fs->api_key = strdup(api_key)))
        goto fail;

    fs->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fs->listen_fd < 0)
        goto fail;
    set_cloexec(fs->listen_fd);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    if (bind(fs->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0
        || listen(fs->listen_fd, 128) != 0)
        goto fail;
    socklen_t salen = sizeof sa;
    if (getsockname(fs->listen_fd, (struct sockaddr *)&sa, &salen) != 0)
        goto fail;
    fs->port = ntohs(sa.sin_port);
    snprintf(fs->url, sizeof fs->url, "http://127.0.0.1:%d", fs->port);

    int pfd[2];
    if (pipe(pfd) != 0)
        goto fail;
    fs->wake_rd = pfd[0];
    fs->wake_wr = pfd[1];
    set_cloexec(fs->wake_rd);
    set_cloexec(fs->wake_wr);

    if (pthread_create(&fs->accept_thread, NULL, accept_main, fs) != 0)
        goto fail;
    fs->accept_started = true;
    return fs;

fail:
    fprintf(stderr, "fixture_server: cannot start: %s\n", strerror(errno));
    destroy(fs);
    return NULL;
}

const char *fixture_server_url(const fixture_server *fs)
{
    return fs->url;
}

int fixture_server_port(const fixture_server *fs)
{
    return fs->port;
}

/* Takes ownership of fx (also on failure). Call with fs->mu held. */
static bool own(fixture_server *fs, fixture *fx)
{
    if (fs->n_owned == fs->cap_owned) {
        size_t cap = fs->cap_owned ? fs->cap_owned * 2 : 16;
        fixture **p = realloc(fs->owned, cap * sizeof *p);
        if (!p) {
            fixture_free(fx);
            return false;
        }
        fs->owned = p;
        fs->cap_owned = cap;
    }
    fs->owned[fs->n_owned++] = fx;
    return true;
}

static int queue(fixture_server *fs, fixture *fx, unsigned repeat)
{
    if (repeat == 0) {
        fprintf(stderr, "%s: repeat must be at least 1\n", fx->name);
        fixture_free(fx);
        return -1;
    }
    int rc = -1;
    lock(fs);
    if (fs->script_len == fs->script_cap) {
        size_t cap = fs->script_cap ? fs->script_cap * 2 : 16;
        script_entry *p = realloc(fs->script, cap * sizeof *p);
        if (!p) {
            fixture_free(fx);
            goto out;
        }
        fs->script = p;
        fs->script_cap = cap;
    }
    if (!own(fs, fx))
        goto out;
    fs->script[fs->script_len].fx = fx;
    fs->script[fs->script_len].remaining = repeat;
    fs->script_len++;
    rc = 0;
out:
    unlock(fs);
    if (rc)
        fprintf(stderr, "fixture_server: out of memory\n");
    return rc;
}

int fixture_server_expect(fixture_server *fs, const char *fixture_path,
                          unsigned repeat)
{
    char err[512];
    fixture *fx = fixture_load(fixture_path, err, sizeof err);
    if (!fx) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return queue(fs, fx, repeat);
}

int fixture_server_expect_text(fixture_server *fs, const char *fixture_text,
                               unsigned repeat)
{
    char err[512];
    fixture *fx = fixture_parse(fixture_text, strlen(fixture_text),
                                "<fixture text>", err, sizeof err);
    if (!fx) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return queue(fs, fx, repeat);
}

typedef struct path_list {
    char **paths;
    size_t n, cap;
} path_list;

static char *join_path(const char *a, const char *b)
{
    if (!*a)
        return strdup(b);
    if (!*b)
        return strdup(a);
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Collects the relative paths of *.fixture files under root/rel. */
static bool collect(const char *root, const char *rel, path_list *out,
                    int depth)
{
    if (depth > MAX_DIR_DEPTH) {
        fprintf(stderr, "%s/%s: directories nested too deep\n", root, rel);
        return false;
    }
    char *dirpath = join_path(root, rel);
    if (!dirpath)
        return false;
    DIR *d = opendir(dirpath);
    if (!d) {
        fprintf(stderr, "%s: %s\n", dirpath, strerror(errno));
        free(dirpath);
        return false;
    }
    bool ok = true;
    struct dirent *de;
    while (ok && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *full = join_path(dirpath, de->d_name);
        char *relname = join_path(rel, de->d_name);
        struct stat st;
        if (!full || !relname) {
            ok = false;
        } else if (stat(full, &st) != 0) {
            /* A dangling link or a file that went away: skip it. */
        } else if (S_ISDIR(st.st_mode)) {
            ok = collect(root, relname, out, depth + 1);
        } else if (S_ISREG(st.st_mode) && ends_with(de->d_name, ".fixture")) {
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 64;
                char **p = realloc(out->paths, cap * sizeof *p);
                if (!p) {
                    ok = false;
                } else {
                    out->paths = p;
                    out->cap = cap;
                }
            }
            if (ok) {
                out->paths[out->n++] = relname;
                relname = NULL;
            }
        }
        free(full);
        free(relname);
    }
    closedir(d);
    free(dirpath);
    return ok;
}

static int cmp_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fixture_server_load_dir(fixture_server *fs, const char *dir, int lenient)
{
    path_list list = { 0 };
    fixture **loaded = NULL;
    size_t n_loaded = 0;
    int rc = -1;

    if (!collect(dir, "", &list, 0))
        goto out;
    if (list.n > 1)
        qsort(list.paths, list.n, sizeof *list.paths, cmp_paths);
    loaded = calloc(list.n + 1, sizeof *loaded);
    if (!loaded)
        goto out;
    for (size_t i = 0; i < list.n; i++) {
        char *full = join_path(dir, list.paths[i]);
        char err[512] = "out of memory";
        fixture *fx = full ? fixture_load(full, err, sizeof err) : NULL;
        free(full);
        if (!fx) {
            fprintf(stderr, "%s\n", err);
            goto out;
        }
        /* Name fixtures by their path under dir in messages. */
        free(fx->name);
        fx->name = list.paths[i];
        list.paths[i] = NULL;
        loaded[n_loaded++] = fx;
    }

    lock(fs);
    if (fs->n_dir + n_loaded > fs->cap_dir) {
        size_t cap = fs->cap_dir ? fs->cap_dir : 16;
        while (cap < fs->n_dir + n_loaded)
            cap *= 2;
        fixture **p = realloc(fs->dir, cap * sizeof *p);
        if (!p) {
            unlock(fs);
            goto out;
        }
        fs->dir = p;
        fs->cap_dir = cap;
    }
    size_t moved = 0;
    for (; moved < n_loaded; moved++) {
        fixture *fx = loaded[moved];
        loaded[moved] = NULL;
        if (!own(fs, fx))
            break;
        fs->dir[fs->n_dir++] = fx;
    }
    if (moved == n_loaded) {
        fs->dir_loaded = true;
        fs->lenient = lenient != 0;
        rc = 0;
    }
    unlock(fs);

out:
    if (rc)
        fprintf(stderr, "fixture_server: cannot load %s\n", dir);
    for (size_t i = 0; i < n_loaded; i++)
        fixture_free(loaded[i]);
    free(loaded);
    for (size_t i = 0; i < list.n; i++)
        free(list.paths[i]);
    free(list.paths);
    return rc;
}

size_t fixture_server_loaded(const fixture_server *fs)
{
    lock(fs);
    size_t n = fs->n_dir;
    unlock(fs);
    return n;
}

size_t fixture_server_connections(const fixture_server *fs)
{
    lock(fs);
    size_t n = fs->n_connections;
    unlock(fs);
    return n;
}

size_t fixture_server_connections_closed(const fixture_server *fs)
{
    lock(fs);
    size_t n = fs->n_closed;
    unlock(fs);
    return n;
}

size_t fixture_server_requests(const fixture_server *fs)
{
    lock(fs);
    size_t n = fs->n_requests;
    unlock(fs);
    return n;
}

size_t fixture_server_pending(const fixture_server *fs)
{
    lock(fs);
    size_t n = 0;
    for (size_t i = fs->script_head; i < fs->script_len; i++)
        n += fs->script[i].remaining;
    unlock(fs);
    return n;
}

size_t fixture_server_mismatches(const fixture_server *fs)
{
    lock(fs);
    size_t n = fs->n_mismatches;
    unlock(fs);
    return n;
}

void fixture_server_last_mismatch(const fixture_server *fs, char *out,
                                  size_t outlen)
{
    if (!out || outlen == 0)
        return;
    lock(fs);
    snprintf(out, outlen, "%s", fs->last_mismatch ? fs->last_mismatch : "");
    unlock(fs);
}

char *fixture_server_received(const fixture_server *fs, size_t i)
{
    char *copy = NULL;
    lock(fs);
    if (i < fs->n_rec) {
        copy = malloc(fs->rec[i].len + 1);
        if (copy)
            memcpy(copy, fs->rec[i].data, fs->rec[i].len + 1);
    }
    unlock(fs);
    return copy;
}

void fixture_server_stop(fixture_server *fs)
{
    if (!fs)
        return;
    /* Closing the write end wakes every poll() on the read end. */
    close(fs->wake_wr);
    fs->wake_wr = -1;
    if (fs->accept_started)
        pthread_join(fs->accept_thread, NULL);

    /* No new connections now. Unblock sends to clients that do not read. */
    lock(fs);
    for (conn *c = fs->conns; c; c = c->next)
        if (c->fd >= 0)
            shutdown(c->fd, SHUT_RDWR);
    conn *list = fs->conns;
    fs->conns = NULL;
    unlock(fs);
    for (conn *c = list, *next; c; c = next) {
        next = c->next;
        pthread_join(c->thread, NULL);
        free(c->buf);
        free(c);
    }
    destroy(fs);
}
