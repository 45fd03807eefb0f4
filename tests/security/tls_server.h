/* Test support for tests/security: throwaway certificates made with the
 * openssl command-line tool, and a tiny HTTPS/1.1 responder on OpenSSL.
 *
 * The responder listens on 127.0.0.1 (ephemeral port), serves one
 * connection at a time on a background thread, reads one request (head and
 * Content-Length body), writes the fixed response it was given (with
 * "Connection: close") and closes. It counts TCP connections, completed TLS
 * handshakes and requests, and keeps a copy of the last request.
 */
#ifndef LIBMISTRAL_TEST_TLS_SERVER_H
#define LIBMISTRAL_TEST_TLS_SERVER_H

#include <stddef.h>

/* Files made by tls_certs_make() in a fresh temporary directory. */
typedef struct tls_certs {
  char dir[64];
  char ca[128];        /* the test CA (PEM) */
  char other_ca[128];  /* an unrelated CA that signed nothing we serve */
  char server[128];    /* leaf for IP 127.0.0.1 and DNS localhost, signed by ca */
  char server_key[128];
  char wrong_name[128]; /* leaf for DNS other.example only, signed by ca */
  char wrong_name_key[128];
} tls_certs;

/* Runs `openssl` (through /bin/sh) to make every file. 0, or -1 with a
 * message on stderr. */
int tls_certs_make(tls_certs *c);
/* Deletes the files and the directory. */
void tls_certs_remove(const tls_certs *c);

/* The whole content of a file, malloc'd and NUL-terminated; *len (when not
 * NULL) gets its length. NULL when it cannot be read. */
char *tls_read_file(const char *path, size_t *len);

typedef struct tls_server tls_server;

/* Starts serving with this certificate chain and key. response is the exact
 * bytes to send to every request, e.g. "HTTP/1.1 200 OK\r\n...\r\n\r\n{...}";
 * it is copied. NULL on failure (message on stderr). */
tls_server *tls_server_start(const char *cert_file, const char *key_file,
                             const char *response);
int tls_server_port(const tls_server *s);
size_t tls_server_connections(const tls_server *s); /* TCP connections accepted */
size_t tls_server_handshakes(const tls_server *s);  /* TLS handshakes completed */
size_t tls_server_requests(const tls_server *s);    /* HTTP requests read whole */
/* The last request read (head and body), malloc'd; NULL when none. */
char *tls_server_last_request(const tls_server *s);
/* Stops the thread, closes every socket and frees s. NULL is a no-op. */
void tls_server_stop(tls_server *s);

#endif
