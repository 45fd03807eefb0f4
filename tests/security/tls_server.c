#include "tls_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* ---- certificates ---- */

/* The generator, run by /bin/sh in the target directory. EC P-256 keys
 * (fast to make); leaves carry subjectAltName, as host name checks ignore
 * the CN. */
static const char gen_script[] =
    "set -e\n"
    "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \"$1\"; }\n"
    "ca() { key \"$1.key\"; openssl req -x509 -new -key \"$1.key\" -out \"$1.pem\" -days 2 "
    "-subj \"/CN=$2\" -addext basicConstraints=critical,CA:TRUE "
    "-addext keyUsage=critical,keyCertSign,cRLSign; }\n"
    "leaf() { key \"$1.key\"; openssl req -new -key \"$1.key\" -out \"$1.csr\" -subj \"/CN=$2\";"
    " printf 'basicConstraints=CA:FALSE\\nkeyUsage=digitalSignature\\n"
    "extendedKeyUsage=serverAuth\\nsubjectAltName=%s\\n' \"$3\" > \"$1.ext\";"
    " openssl x509 -req -in \"$1.csr\" -CA ca.pem -CAkey ca.key -CAcreateserial"
    " -out \"$1.pem\" -days 2 -extfile \"$1.ext\"; }\n"
    "ca ca 'libmistral test CA'\n"
    "ca other-ca 'unrelated test CA'\n"
    "leaf server 127.0.0.1 IP:127.0.0.1,DNS:localhost\n"
    "leaf wrong-name other.example DNS:other.example\n";

static const char *const generated[] = {
    "ca.key",     "ca.pem",     "ca.srl",         "other-ca.key",   "other-ca.pem",
    "server.key", "server.csr", "server.ext",     "server.pem",     "wrong-name.key",
    "wrong-name.csr", "wrong-name.ext", "wrong-name.pem", "gen.sh", "gen.log"};

static void join(char *out, size_t n, const char *dir, const char *name) {
  snprintf(out, n, "%s/%s", dir, name);
}

int tls_certs_make(tls_certs *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->dir, sizeof c->dir, "/tmp/mistral-tls-XXXXXX");
  if (!mkdtemp(c->dir)) {
    perror("mkdtemp");
    return -1;
  }
  char script[128];
  join(script, sizeof script, c->dir, "gen.sh");
  FILE *f = fopen(script, "w");
  if (!f || fputs(gen_script, f) == EOF || fclose(f) != 0) {
    perror(script);
    return -1;
  }
  char cmd[512];
  snprintf(cmd, sizeof cmd, "cd '%s' && /bin/sh gen.sh >gen.log 2>&1", c->dir);
  if (system(cmd) != 0) {
    fprintf(stderr,
            "tls_certs_make: the openssl command failed (is the Debian package "
            "'openssl' installed?); see %s/gen.log\n",
            c->dir);
    return -1;
  }
  join(c->ca, sizeof c->ca, c->dir, "ca.pem");
  join(c->other_ca, sizeof c->other_ca, c->dir, "other-ca.pem");
  join(c->server, sizeof c->server, c->dir, "server.pem");
  join(c->server_key, sizeof c->server_key, c->dir, "server.key");
  join(c->wrong_name, sizeof c->wrong_name, c->dir, "wrong-name.pem");
  join(c->wrong_name_key, sizeof c->wrong_name_key, c->dir, "wrong-name.key");
  return 0;
}

void tls_certs_remove(const tls_certs *c) {
  if (!c->dir[0]) return;
  char path[128];
  for (size_t i = 0; i < sizeof generated / sizeof *generated; i++) {
    join(path, sizeof path, c->dir, generated[i]);
    unlink(path);
  }
  rmdir(c->dir);
}

char *tls_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
    if (cap - n - 1 == 0) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) return NULL;
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* ---- the responder ---- */

struct tls_server {
  SSL_CTX *ctx;
  int listen_fd, port;
  char *response;
  pthread_t thread;
  pthread_mutex_t lock;
  int stop; /* under lock */
  size_t connections, handshakes, requests;
  char *last_request;
};

static int stopping(tls_server *s) {
  pthread_mutex_lock(&s->lock);
  int stop = s->stop;
  pthread_mutex_unlock(&s->lock);
  return stop;
}

static void count(tls_server *s, size_t *counter) {
  pthread_mutex_lock(&s->lock);
  (*counter)++;
  pthread_mutex_unlock(&s->lock);
}

/* Reads one request: the head to the blank line, then Content-Length bytes.
 * Returns it malloc'd, or NULL when the peer went away first. */
static char *read_request(SSL *ssl) {
  size_t cap = 8192, n = 0, need = 0;
  char *buf = malloc(cap);
  char *head_end = NULL;
  while (buf) {
    if (n + 1 >= cap) {
      char *grown = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;
      if (!grown) break;
      buf = grown;
      cap *= 2;
      head_end = NULL;
    }
    int got = SSL_read(ssl, buf + n, (int)(cap - n - 1));
    if (got <= 0) break;
    n += (size_t)got;
    buf[n] = '\0';
    if (!head_end && (head_end = strstr(buf, "\r\n\r\n")) != NULL) {
      const char *cl = strstr(buf, "\r\nContent-Length:");
      if (!cl) cl = strstr(buf, "\r\ncontent-length:");
      need = (size_t)(head_end + 4 - buf) + (cl && cl < head_end ? strtoul(cl + 17, NULL, 10) : 0);
    }
    if (head_end && n >= need) return buf;
  }
  free(buf);
  return NULL;
}

static void serve(tls_server *s, int fd) {
  struct timeval tv = {5, 0}; /* a stuck client cannot stall the tests */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SSL *ssl = SSL_new(s->ctx);
  if (!ssl) return;
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    count(s, &s->handshakes);
    char *req = read_request(ssl);
    if (req) {
      pthread_mutex_lock(&s->lock);
      s->requests++;
      free(s->last_request);
      s->last_request = req;
      pthread_mutex_unlock(&s->lock);
      size_t len = strlen(s->response), off = 0;
      while (off < len) {
        int w = SSL_write(ssl, s->response + off, (int)(len - off));
        if (w <= 0) break;
        off += (size_t)w;
      }
      SSL_shutdown(ssl);
    }
  }
  ERR_clear_error();
  SSL_free(ssl);
}

static void *accept_loop(void *arg) {
  tls_server *s = arg;
  while (!stopping(s)) {
    struct pollfd p = {s->listen_fd, POLLIN, 0};
    int r = poll(&p, 1, 50);
    if (r <= 0) continue;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) continue;
    count(s, &s->connections);
    serve(s, fd);
    close(fd);
  }
  return NULL;
}

tls_server *tls_server_start(const char *cert_file, const char *key_file,
                             const char *response) {
  /* A client that hangs up mid-response must not kill the test. */
  signal(SIGPIPE, SIG_IGN);
  tls_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->listen_fd = -1;
  pthread_mutex_init(&s->lock, NULL);
  s->response = strdup(response);
  s->ctx = SSL_CTX_new(TLS_server_method());
  if (!s->response || !s->ctx ||
      SSL_CTX_use_certificate_chain_file(s->ctx, cert_file) != 1 ||
      SSL_CTX_use_PrivateKey_file(s->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
    fprintf(stderr, "tls_server_start: cannot load %s / %s\n", cert_file, key_file);
    ERR_print_errors_fp(stderr);
    goto fail;
  }
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(s->listen_fd, 16) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen) != 0) {
    perror("tls_server_start");
    goto fail;
  }
  s->port = ntohs(addr.sin_port);
  if (pthread_create(&s->thread, NULL, accept_loop, s) != 0) goto fail;
  return s;
fail:
  if (s->listen_fd >= 0) close(s->listen_fd);
  SSL_CTX_free(s->ctx);
  free(s->response);
  pthread_mutex_destroy(&s->lock);
  free(s);
  return NULL;
}

int tls_server_port(const tls_server *s) { return s->port; }

static size_t read_counter(const tls_server *s, const size_t *counter) {
  tls_server *m = (tls_server *)s;
  pthread_mutex_lock(&m->lock);
  size_t v = *counter;
  pthread_mutex_unlock(&m->lock);
  return v;
}

size_t tls_server_connections(const tls_server *s) { return read_counter(s, &s->connections); }
size_t tls_server_handshakes(const tls_server *s) { return read_counter(s, &s->handshakes); }
size_t tls_server_requests(const tls_server *s) { return read_counter(s, &s->requests); }

char *tls_server_last_request(const tls_server *s) {
  tls_server *m = (tls_server *)s;
  pthread_mutex_lock(&m->lock);
  char *copy = m->last_request ? strdup(m->last_request) : NULL;
  pthread_mutex_unlock(&m->lock);
  return copy;
}

void tls_server_stop(tls_server *s) {
  if (!s) return;
  pthread_mutex_lock(&s->lock);
  s->stop = 1;
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  close(s->listen_fd);
  SSL_CTX_free(s->ctx);
  free(s->response);
  free(s->last_request);
  pthread_mutex_destroy(&s->lock);
  free(s);
}
