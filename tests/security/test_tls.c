/* TLS verification against a local HTTPS responder with throwaway
 * certificates (made by the openssl CLI when the group starts):
 * - the right CA, given as a file or as an in-memory PEM bundle, verifies;
 * - no CA (the system store), an unrelated CA, a cert for another host name,
 *   an unreadable bundle: MISTRAL_E_TLS, and no request is ever sent;
 * - clearing a CA setting really goes back to the system store (pooled
 *   handles keep no stale trust), and by default the system store is loaded
 *   (white-box: libcurl's verbose trace of the handshake);
 * - environment variables (SSL_CERT_FILE, CURL_CA_BUNDLE...) add no trust;
 * - an HTTPS server's redirect to plain HTTP is not followed (no downgrade);
 * - no error string or log line holds the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include <mistral/mistral.h>

#include "fixture_server.h"
#include "core/alloc.h"
#include "http/transport.h"
#include "sec_util.h"
#include "tls_server.h"

static const char ok_body[] =
    "{\"id\":\"cmpl-3c9e1f7a2b8d4c6e9f0a1b2c3d4e5f60\",\"object\":\"chat.completion\","
    "\"created\":1764250000,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"Hello over TLS!\",\"tool_calls\":null},"
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":5,"
    "\"total_tokens\":10}}";

/* The whole 200 response, made by group_setup. */
static char ok_response[1024];

typedef struct world {
  tls_certs certs;
  char *ca_pem, *other_pem;
  size_t ca_pem_len, other_pem_len;
  /* per test */
  tls_server *server;
  mistral_client *client;
  mistral_error *err;
  sec_log *log;
  char url[64];
} world;

static int group_setup(void **state) {
  snprintf(ok_response, sizeof ok_response,
           "HTTP/1.1 200 OK\r\n"
           "Content-Type: application/json\r\n"
           "x-request-id: 6a1f0c2e9b7d4e3f8a5c1b2d3e4f5a6b\r\n"
           "Content-Length: %zu\r\n"
           "Connection: close\r\n"
           "\r\n%s",
           strlen(ok_body), ok_body);
  world *w = calloc(1, sizeof *w);
  if (!w || tls_certs_make(&w->certs) != 0) {
    if (w) tls_certs_remove(&w->certs);
    free(w);
    return -1;
  }
  w->ca_pem = tls_read_file(w->certs.ca, &w->ca_pem_len);
  w->other_pem = tls_read_file(w->certs.other_ca, &w->other_pem_len);
  *state = w;
  return w->ca_pem && w->other_pem ? 0 : -1;
}

static int group_teardown(void **state) {
  world *w = *state;
  if (!w) return 0;
  tls_certs_remove(&w->certs);
  free(w->ca_pem);
  free(w->other_pem);
  free(w);
  return 0;
}

/* Starts the responder with the leaf cert (or the wrong-name one) and a
 * client pointed at https://127.0.0.1:PORT. */
static void start(world *w, int wrong_name, const char *response) {
  w->server = wrong_name ? tls_server_start(w->certs.wrong_name, w->certs.wrong_name_key,
                                            response)
                         : tls_server_start(w->certs.server, w->certs.server_key, response);
  assert_non_null(w->server);
  snprintf(w->url, sizeof w->url, "https://127.0.0.1:%d", tls_server_port(w->server));
  w->client = sec_client(w->url);
  w->err = mistral_error_new();
  w->log = sec_log_new();
  sec_log_attach(w->log, w->client);
}

static int test_teardown(void **state) {
  world *w = *state;
  mistral_client_free(w->client);
  tls_server_stop(w->server);
  mistral_error_free(w->err);
  sec_log_free(w->log);
  w->client = NULL;
  w->server = NULL;
  w->err = NULL;
  w->log = NULL;
  return 0;
}

/* One chat call; returns its status, checking the text on success and the
 * absence of the key everywhere on failure. */
static int hello(world *w) {
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  int rc = mistral_chat_complete(&resp, w->client, req, w->err);
  mistral_chat_request_free(req);
  if (rc == MISTRAL_OK) {
    assert_string_equal(mistral_chat_response_text(resp), "Hello over TLS!");
    mistral_chat_response_free(resp);
  } else {
    assert_null(resp);
    assert_int_equal(mistral_error_code(w->err), rc);
    assert_int_equal(mistral_error_http_status(w->err), 0);
    tu_assert_error_clean(w->err, SEC_TEST_KEY);
  }
  sec_assert_log_clean(w->log, SEC_TEST_KEY);
  return rc;
}

/* Asserts a TLS failure with nothing sent: the handshake never completed,
 * so no request (and no Authorization header) reached the server. */
static void assert_tls_refused(world *w) {
  size_t before = tls_server_connections(w->server);
  size_t requests = tls_server_requests(w->server);
  int rc = hello(w);
  if (rc != MISTRAL_E_TLS) print_error("got %d: %s\n", rc, mistral_error_message(w->err));
  assert_int_equal(rc, MISTRAL_E_TLS);
  assert_true(strlen(mistral_error_message(w->err)) > 0);
  assert_true(tls_server_connections(w->server) > before); /* it did connect */
  assert_int_equal(tls_server_requests(w->server), requests);
}

/* Asserts a verified call that sent the key to the right server. */
static void assert_verified(world *w) {
  size_t before = tls_server_requests(w->server);
  int rc = hello(w);
  if (rc != MISTRAL_OK) print_error("got %d: %s\n", rc, mistral_error_message(w->err));
  assert_int_equal(rc, MISTRAL_OK);
  assert_int_equal(tls_server_requests(w->server), before + 1);
  char *req = tls_server_last_request(w->server);
  assert_non_null(req);
  assert_non_null(strstr(req, "POST /v1/chat/completions HTTP/1.1\r\n"));
  assert_non_null(strstr(req, "\r\nAuthorization: Bearer " SEC_TEST_KEY "\r\n"));
  free(req);
}

/* A copy of the bytes without a terminating NUL (ASan would catch a read
 * past the end). */
static char *unterminated(const char *s, size_t n) {
  char *copy = malloc(n);
  assert_non_null(copy);
  memcpy(copy, s, n);
  return copy;
}

static void test_right_ca_file(void **state) {
  world *w = *state;
  start(w, 0, ok_response);
  assert_int_equal(mistral_client_set_ca_file(w->client, w->certs.ca), MISTRAL_OK);
  assert_verified(w);
  assert_verified(w);
  assert_true(tls_server_handshakes(w->server) >= 1);
}

static void test_right_ca_pem(void **state) {
  world *w = *state;
  start(w, 0, ok_response);
  char *pem = unterminated(w->ca_pem, w->ca_pem_len);
  assert_int_equal(mistral_client_set_ca_pem(w->client, pem, w->ca_pem_len), MISTRAL_OK);
  memset(pem, 'x', w->ca_pem_len); /* the client took a copy */
  free(pem);
  assert_verified(w);
  /* A bundle: an unrelated CA first, ours second. */
  size_t n = w->other_pem_len + w->ca_pem_len;
  char *bundle = malloc(n);
  assert_non_null(bundle);
  memcpy(bundle, w->other_pem, w->other_pem_len);
  memcpy(bundle + w->other_pem_len, w->ca_pem, w->ca_pem_len);
  assert_int_equal(mistral_client_set_ca_pem(w->client, bundle, n), MISTRAL_OK);
  free(bundle);
  assert_verified(w);
}

static void test_no_ca_is_system_store(void **state) {
  world *w = *state;
  start(w, 0, ok_response);
  assert_tls_refused(w); /* our throwaway CA is in no system store */
}

static void test_unrelated_ca(void **state) {
  world *w = *state;
  start(w, 0, ok_response);
  assert_int_equal(mistral_client_set_ca_file(w->client, w->certs.other_ca), MISTRAL_OK);
  assert_tls_refused(w);
  assert_int_equal(mistral_client_set_ca_file(w->client, NULL), MISTRAL_OK);
  assert_int_equal(mistral_client_set_ca_pem(w->client, w->other_pem, w->other_pem_len),
                   MISTRAL_OK);
  assert_tls_refused(w);
  /* A directory holding no hashed CA. */
  assert_int_equal(mistral_client_set_ca_pem(w->client, NULL, 0), MISTRAL_OK);
  assert_int_equal(mistral_client_set_ca_path(w->client, w->certs.dir), MISTRAL_OK);
  assert_tls_refused(w);
}

static void test_host_name_mismatch(void **state) {
  world *w = *state;
  start(w, 1, ok_response); /* signed by our CA, but for other.example */
  assert_int_equal(mistral_client_set_ca_file(w->client, w->certs.ca), MISTRAL_OK);
  assert_tls_refused(w);
  assert_int_equal(mistral_client_set_ca_file(w->client, NULL), MISTRAL_OK);
  assert_int_equal(mistral_client_set_ca_pem(w->client, w->ca_pem, w->ca_pem_len), MISTRAL_OK);
  assert_tls_refused(w);
}

/* Clearing a setting goes back to the system store, also on the pooled
 * connection handles that verified with the old setting. */
static void test_clearing_restores_system_store(void **state) {
  world *w = *state;
  start(w, 0, ok_response);
  assert_int_equal(mistral_client_set_ca_pem(w->client, w->ca_pem, w->ca_pem_len), MISTRAL_OK);
  assert_verified(w);
  assert_int_equal(mistral_client_set_ca_pem(w->client, NULL, 12345), MISTRAL_OK);
  assert_tls_refused(w);
  assert_int_equal(mistral_client_set_ca_file(w->client, w->certs.ca), MISTRAL_OK);
  assert_verified(w);
  assert_int_equal(mistral_client_set_ca_file(w->client, NULL), MISTRAL_OK);
  assert_tls_refused(w);
  assert_int_equal(mistral_client_set_ca_file(w->client, w->certs.ca), MISTRAL_OK);
  assert_verified(w);
}

static void test_ca_pem_arguments(void **state) {
  world *w = *state;
  start(w, 0, ok_response);
  assert_int_equal(mistral_client_set_ca_pem(NULL, w->ca_pem, w->ca_pem_len),
                   MISTRAL_E_INVALID_ARG);
  assert_int_equal(mistral_client_set_ca_pem(w->client, w->ca_pem, 0), MISTRAL_E_INVALID_ARG);
  static const char not_pem[] = "MIIBszCCAVmgAwIBAgIU";
  assert_int_equal(mistral_client_set_ca_pem(w->client, not_pem, sizeof not_pem - 1),
                   MISTRAL_E_INVALID_ARG);
  /* The marker must lie within len. */
  assert_int_equal(mistral_client_set_ca_pem(w->client, w->ca_pem, 20), MISTRAL_E_INVALID_ARG);
  /* Refused calls left the client on the system store. */
  assert_tls_refused(w);
  /* A block libcurl cannot parse: the call fails as a TLS error. */
  static const char broken[] = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                               "-----END CERTIFICATE-----\n";
  assert_int_equal(mistral_client_set_ca_pem(w->client, broken, sizeof broken - 1), MISTRAL_OK);
  int rc = hello(w);
  assert_int_equal(rc, MISTRAL_E_TLS);
  assert_int_equal(tls_server_requests(w->server), 0);
  /* A file that does not exist. */
  assert_int_equal(mistral_client_set_ca_pem(w->client, NULL, 0), MISTRAL_OK);
  assert_int_equal(mistral_client_set_ca_file(w->client, "/nonexistent/ca.pem"), MISTRAL_OK);
  assert_int_equal(hello(w), MISTRAL_E_TLS);
  assert_int_equal(tls_server_requests(w->server), 0);
}

/* Variables other TLS software honours give no trust here (and none turns
 * verification off): libmistral reads only MISTRAL_API_KEY and
 * MISTRAL_SERVER_URL. */
static void test_environment_adds_no_trust(void **state) {
  world *w = *state;
  static const char *const vars[] = {"SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    assert_int_equal(setenv(vars[i], w->certs.ca, 1), 0);
  assert_int_equal(setenv("SSL_CERT_DIR", w->certs.dir, 1), 0);
  assert_int_equal(setenv("CURL_SSL_NO_VERIFY", "1", 1), 0);
  assert_int_equal(setenv("MISTRAL_INSECURE", "1", 1), 0);
  start(w, 0, ok_response); /* the client is made with the variables set */
  assert_tls_refused(w);
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
  unsetenv("SSL_CERT_DIR");
  unsetenv("CURL_SSL_NO_VERIFY");
  unsetenv("MISTRAL_INSECURE");
}

/* ---- white-box: which CA store libcurl loads ---- */

typedef struct trace {
  char text[16384];
  size_t len;
} trace;

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud) {
  (void)h;
  trace *t = ud;
  if (type != CURLINFO_TEXT) return 0;
  size_t room = sizeof t->text - 1 - t->len;
  if (size > room) size = room;
  memcpy(t->text + t->len, data, size);
  t->len += size;
  t->text[t->len] = '\0';
  return 0;
}

/* Runs one exchange on client with libcurl's trace captured into t; returns
 * the status. */
static int traced_exchange(mistral_client *client, trace *t, mistral_error *err) {
  m_http_request hr;
  memset(&hr, 0, sizeof hr);
  hr.method = "POST";
  hr.path = "/v1/chat/completions";
  hr.body = "{}";
  hr.body_len = 2;
  m_http_response resp;
  m_http_response_init(&resp, &mistral_default_allocator);
  m_exchange *x = NULL;
  assert_int_equal(m_exchange_begin(&x, client, &hr, &resp, err), MISTRAL_OK);
  CURL *h = m_exchange_handle(x);
  t->len = 0;
  t->text[0] = '\0';
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, t);
  CURLcode cc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, NULL);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, NULL);
  int rc = m_exchange_end(x, cc, err);
  m_http_response_free(&resp);
  return rc;
}

static void test_default_loads_system_store(void **state) {
  world *w = *state;
  start(w, 0, ok_response);
  char *def_file = NULL, *def_path = NULL;
  CURL *probe = curl_easy_init();
  assert_non_null(probe);
  curl_easy_getinfo(probe, CURLINFO_CAINFO, &def_file);
  curl_easy_getinfo(probe, CURLINFO_CAPATH, &def_path);
  char want_file[512], want_path[512];
  snprintf(want_file, sizeof want_file, "CAfile: %s", def_file ? def_file : "none");
  snprintf(want_path, sizeof want_path, "CApath: %s", def_path ? def_path : "none");
  curl_easy_cleanup(probe);
  assert_true(def_file || def_path); /* a libcurl built with a system store */

  trace *t = calloc(1, sizeof *t);
  assert_non_null(t);
  /* Default: libcurl's system store, as curl(1) would load it. */
  assert_int_equal(traced_exchange(w->client, t, w->err), MISTRAL_E_TLS);
  if (!strstr(t->text, want_file)) print_error("trace:\n%s\n", t->text);
  assert_non_null(strstr(t->text, want_file));
  assert_non_null(strstr(t->text, want_path));
  /* A CA file replaces the store (no system directory either)... */
  assert_int_equal(mistral_client_set_ca_file(w->client, w->certs.ca), MISTRAL_OK);
  assert_int_equal(traced_exchange(w->client, t, w->err), MISTRAL_OK);
  char ours[256];
  snprintf(ours, sizeof ours, "CAfile: %s", w->certs.ca);
  assert_non_null(strstr(t->text, ours));
  assert_non_null(strstr(t->text, "CApath: none"));
  /* ...and clearing it brings the store back on the same pooled handle. */
  assert_int_equal(mistral_client_set_ca_file(w->client, NULL), MISTRAL_OK);
  assert_int_equal(traced_exchange(w->client, t, w->err), MISTRAL_E_TLS);
  assert_non_null(strstr(t->text, want_file));
  free(t);
}

/* ---- redirects from an HTTPS server ---- */

/* A 307 from the verified HTTPS server to plain HTTP elsewhere: returned as
 * an error, never followed (no downgrade, the key stays where it was sent). */
static void test_no_downgrade_redirect(void **state) {
  world *w = *state;
  fixture_server *plain = tu_server_start(SEC_TEST_KEY, NULL);
  char response[512];
  snprintf(response, sizeof response,
           "HTTP/1.1 307 Temporary Redirect\r\n"
           "Location: %s/v1/chat/completions\r\n"
           "Content-Length: 0\r\nConnection: close\r\n\r\n",
           fixture_server_url(plain));
  start(w, 0, response);
  assert_int_equal(mistral_client_set_ca_file(w->client, w->certs.ca), MISTRAL_OK);
  mistral_chat_request *req = tu_hello_request();
  mistral_chat_response *resp = NULL;
  assert_int_equal(mistral_chat_complete(&resp, w->client, req, w->err), MISTRAL_E_HTTP);
  mistral_chat_request_free(req);
  assert_null(resp);
  assert_int_equal(mistral_error_http_status(w->err), 307);
  tu_assert_error_clean(w->err, SEC_TEST_KEY);
  sec_assert_log_clean(w->log, SEC_TEST_KEY);
  assert_int_equal(tls_server_requests(w->server), 1);
  assert_int_equal(fixture_server_connections(plain), 0);
  fixture_server_stop(plain);
}

int main(void) {
#define T(f) cmocka_unit_test_teardown(f, test_teardown)
  const struct CMUnitTest tests[] = {
      T(test_right_ca_file),
      T(test_right_ca_pem),
      T(test_no_ca_is_system_store),
      T(test_unrelated_ca),
      T(test_host_name_mismatch),
      T(test_clearing_restores_system_store),
      T(test_ca_pem_arguments),
      T(test_environment_adds_no_trust),
      T(test_default_loads_system_store),
      T(test_no_downgrade_redirect),
  };
#undef T
  return cmocka_run_group_tests_name("security_tls", tests, group_setup, group_teardown);
}
