/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mistral/client.h
 * The client: where requests go, how they authenticate, how long they may
 * take. Create one per application (or per API key) and reuse it: it keeps
 * connections alive between calls.
 *
 * Threads: configure a client (the setters) before sharing it. After that,
 * any number of threads may make calls on the same client at once; each call
 * borrows a connection of its own from the client's pool. Setters must not
 * run while calls are in flight. mistral_client_free() must not run while
 * calls are in flight. Getters (mistral_client_server_url()) may run on any
 * thread at any time setters do not. The log callback and the allocator are
 * called on the threads making calls, possibly at the same time: they must
 * be thread-safe. Proved by tests/threads (8 threads x 200 calls on one
 * client, under ThreadSanitizer in CI).
 */
#ifndef MISTRAL_CLIENT_H
#define MISTRAL_CLIENT_H

#include <stddef.h>

#include "mistral/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mistral_client mistral_client;

/** The default server, used when neither the setter nor MISTRAL_SERVER_URL
 *  says otherwise. */
#define MISTRAL_DEFAULT_SERVER_URL "https://api.mistral.ai"

/** Default connect timeout: 10 s. */
#define MISTRAL_DEFAULT_CONNECT_TIMEOUT_MS 10000L
/** Default time limit of one non-streaming request: 10 min (long answers
 *  from large models take minutes). */
#define MISTRAL_DEFAULT_TIMEOUT_MS 600000L
/** Default idle timeout of a stream (longest wait for the next byte):
 *  2 min. Streams have no total time limit. */
#define MISTRAL_DEFAULT_STREAM_IDLE_TIMEOUT_MS 120000L
/** Default response size limit: 256 MiB. */
#define MISTRAL_DEFAULT_MAX_RESPONSE_BYTES ((size_t)256 * 1024 * 1024)

/**
 * @name Retry defaults
 * A failed call is tried again, up to MISTRAL_DEFAULT_MAX_ATTEMPTS attempts
 * in all (the first and two retries), when the failure is one that may
 * pass: a connection failure (MISTRAL_E_CONNECT, MISTRAL_E_DNS,
 * MISTRAL_E_NETWORK, MISTRAL_E_TRUNCATED, MISTRAL_E_TIMEOUT) or HTTP 408,
 * 409, 429, 500, 502, 503 or 504. Never on other 4xx statuses, and never on
 * MISTRAL_E_INVALID_ARG, MISTRAL_E_NO_API_KEY, MISTRAL_E_CANCELLED,
 * MISTRAL_E_TOO_LARGE, MISTRAL_E_BAD_RESPONSE, MISTRAL_E_TLS or
 * MISTRAL_E_NOMEM. A stream is retried only while nothing has reached the
 * caller (an HTTP error before the stream, a failure before the first
 * chunk); once a chunk was delivered, a failure ends the stream.
 *
 * Before retry n (n = 1 after the first attempt) the client waits
 * w = min(initial * multiplier^(n-1), max interval), less a random part:
 * the wait is drawn uniformly from [w * (1 - jitter), w]. When the failed
 * response carries `Retry-After-Ms` (milliseconds) or `Retry-After`
 * (seconds or an HTTP date), that wait is used instead, capped at
 * MISTRAL_DEFAULT_RETRY_AFTER_MAX_MS (settable). The error response is read
 * whole before the wait; the request body is sent again unchanged. A wait
 * looks at the call's cancel flag (mistral_call_options_set_cancel_flag())
 * at least every 50 ms.
 *
 * The deadline (none by default) bounds the whole call: attempts and waits.
 * No wait runs past it and no attempt starts after it; a non-streaming
 * attempt is also cut (MISTRAL_E_TIMEOUT) when the deadline comes. A
 * stream's deadline bounds its attempts and waits, not the stream once it
 * flows (the idle timeout guards that).
 *
 * Every attempt is reported to the log callback (method, path, attempt n/N,
 * the status or error, the wait before the next; never the key), and an
 * error after several attempts ends with "(after N attempts)"
 * (mistral_error_attempts() gives the count).
 * @{
 */
/** Attempts in all, the first included (2 retries). */
#define MISTRAL_DEFAULT_MAX_ATTEMPTS 3
/** The most attempts a setter accepts. */
#define MISTRAL_MAX_ATTEMPTS_LIMIT 100
/** No overall deadline (0). */
#define MISTRAL_DEFAULT_DEADLINE_MS 0L
/** Wait before the first retry: 500 ms. */
#define MISTRAL_DEFAULT_RETRY_INITIAL_MS 500L
/** Longest computed wait: 8 s. */
#define MISTRAL_DEFAULT_RETRY_MAX_INTERVAL_MS 8000L
/** Each wait is twice the one before (before jitter). */
#define MISTRAL_DEFAULT_RETRY_MULTIPLIER 2.0
/** Up to a quarter of each wait is taken off at random. */
#define MISTRAL_DEFAULT_RETRY_JITTER 0.25
/** A server's Retry-After / Retry-After-Ms is honoured up to 60 s. */
#define MISTRAL_DEFAULT_RETRY_AFTER_MAX_MS 60000L
/** @} */

/**
 * Creates a client with the default settings, reading two environment
 * variables once, here: MISTRAL_API_KEY (the key; if unset, calls fail with
 * MISTRAL_E_NO_API_KEY until mistral_client_set_api_key() gives one) and
 * MISTRAL_SERVER_URL (overrides MISTRAL_DEFAULT_SERVER_URL). An empty
 * variable counts as unset.
 *
 * Also initialises libcurl globally on first use (thread-safe with
 * libcurl >= 7.84; with older libcurl, create the first client before
 * starting threads).
 *
 * @param out receives the client; free it with mistral_client_free().
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (out is NULL, or an environment
 *         variable holds an invalid value), MISTRAL_E_NOMEM, MISTRAL_E_INTERNAL
 *         (libcurl failed to initialise).
 */
MISTRAL_API int mistral_client_new(mistral_client **out);

/**
 * Like mistral_client_new(), with every allocation the client makes (its own
 * state, transport buffers, stream state, responses) going through alloc.
 * The allocator is copied; its functions must stay valid until the client
 * and every response it returned are freed. When alloc returns NULL, the
 * call fails with MISTRAL_E_NOMEM and frees what it made.
 *
 * Not through alloc: libcurl's and jansson's own allocations (each has only
 * a process-wide hook, curl_global_init_mem() and json_set_alloc_funcs(),
 * which the library leaves to the application), a call's request body text,
 * and objects that belong to no client (requests, errors). See
 * docs/threads-and-memory.md.
 *
 * @return as mistral_client_new(); MISTRAL_E_INVALID_ARG if alloc lacks a
 *         function.
 */
MISTRAL_API int mistral_client_new_with_allocator(mistral_client **out,
                                                  const mistral_allocator *alloc);

/** Closes the client's connections, wipes the API key from memory and frees
 *  the client. NULL is a no-op. */
MISTRAL_API void mistral_client_free(mistral_client *client);

/**
 * Sets the API key, sent as "Authorization: Bearer <key>". NULL removes it
 * (calls then fail with MISTRAL_E_NO_API_KEY). The key is copied, never
 * logged, and wiped from memory when replaced or when the client is freed.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL client, empty key, or a
 *         key with spaces, tabs, control characters or invalid UTF-8),
 *         MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_client_set_api_key(mistral_client *client, const char *api_key);

/**
 * Sets the server's base URL, e.g. "https://api.mistral.ai" or
 * "http://127.0.0.1:8080". A trailing slash is ignored. NULL restores the
 * default. Only http and https URLs are accepted.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_client_set_server_url(mistral_client *client, const char *url);

/** The server URL in use (without trailing slash). Borrowed from the client. */
MISTRAL_API const char *mistral_client_server_url(const mistral_client *client);

/**
 * Time allowed to establish a connection (TCP and TLS), in milliseconds;
 * 0 restores the default (MISTRAL_DEFAULT_CONNECT_TIMEOUT_MS).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (negative value or NULL client).
 */
MISTRAL_API int mistral_client_set_connect_timeout_ms(mistral_client *client, long ms);

/**
 * Time allowed for one whole non-streaming request, from connecting to the
 * last byte of the response, in milliseconds; 0 means no limit. Default
 * MISTRAL_DEFAULT_TIMEOUT_MS.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG.
 */
MISTRAL_API int mistral_client_set_timeout_ms(mistral_client *client, long ms);

/**
 * Idle timeout of streams: a stream fails with MISTRAL_E_TIMEOUT when no
 * byte arrives for this long, in ms; 0 means no limit. Streams have no total
 * time limit, so a long generation is never cut while it is flowing.
 * Default MISTRAL_DEFAULT_STREAM_IDLE_TIMEOUT_MS.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG.
 */
MISTRAL_API int mistral_client_set_stream_idle_timeout_ms(mistral_client *client, long ms);

/**
 * Largest response body the client accepts, in bytes; a larger one fails
 * with MISTRAL_E_TOO_LARGE as soon as it passes the limit instead of growing
 * memory without bound. 0 restores the default
 * (MISTRAL_DEFAULT_MAX_RESPONSE_BYTES).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG.
 */
MISTRAL_API int mistral_client_set_max_response_bytes(mistral_client *client, size_t max);

/**
 * Appends an application name to the User-Agent, which is
 * "mistral-client-c/<version>" alone by default and
 * "mistral-client-c/<version> <suffix>" with one, e.g. "my-app/1.2".
 * NULL removes the suffix.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (control characters or invalid
 *         UTF-8), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_client_set_user_agent_suffix(mistral_client *client,
                                                     const char *suffix);

/**
 * Adds a header sent with every request, e.g. ("X-Team", "search").
 * Adding a name again replaces its value. The headers the library owns
 * (Authorization, Content-Type, Accept, User-Agent, Content-Length, Host,
 * Transfer-Encoding, Connection, Expect) cannot be set here.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (bad name, a reserved name, CR,
 *         LF or NUL in the value, invalid UTF-8), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_client_add_header(mistral_client *client, const char *name,
                                          const char *value);

/**
 * Sends requests through a proxy, e.g. "http://proxy.local:3128". NULL
 * means libcurl's default behaviour (which honours the usual proxy
 * environment variables).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_client_set_proxy(mistral_client *client, const char *proxy_url);

/**
 * Verifies the server against the CA certificates in this PEM file instead
 * of the system's. Verification of the peer's certificate chain and of its
 * host name is always on: no setting, environment variable or per-call
 * option turns it off. With none of mistral_client_set_ca_file(),
 * _set_ca_path() and _set_ca_pem() in effect, libcurl's system store is used
 * (on Debian /etc/ssl/certs/ca-certificates.crt); with any of them, only the
 * CAs they give are trusted (several combine). A failed verification fails
 * the call with MISTRAL_E_TLS. NULL restores the system store.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG, MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_client_set_ca_file(mistral_client *client, const char *path);

/** Like mistral_client_set_ca_file(), for a directory of hashed CA files. */
MISTRAL_API int mistral_client_set_ca_path(mistral_client *client, const char *dir);

/**
 * Like mistral_client_set_ca_file(), with the CA certificates given in
 * memory: len bytes of PEM text holding one or more
 * "-----BEGIN CERTIFICATE-----" blocks (need not be NUL-terminated). The
 * bytes are copied. NULL (len ignored) removes the bundle. Certificates are
 * parsed when a connection is made: a bundle libcurl cannot read fails calls
 * with MISTRAL_E_TLS.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL client, len 0, or no
 *         certificate block in the text), MISTRAL_E_NOMEM.
 */
MISTRAL_API int mistral_client_set_ca_pem(mistral_client *client, const char *pem, size_t len);

/**
 * Attempts per call, the first included: 1 turns retries off. Default
 * MISTRAL_DEFAULT_MAX_ATTEMPTS (see "Retry defaults" above for which
 * failures are retried). A call's options may override it
 * (mistral_call_options_set_max_attempts()).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL client, attempts < 1 or
 *         > MISTRAL_MAX_ATTEMPTS_LIMIT).
 */
MISTRAL_API int mistral_client_set_max_attempts(mistral_client *client, int attempts);

/**
 * Overall deadline of a call, in ms, across every attempt and every wait
 * between them; 0 means none (the default). A wait that would end past it
 * is not made: the last failure is returned. A non-streaming attempt still
 * running at the deadline fails with MISTRAL_E_TIMEOUT. For a stream it
 * bounds the attempts before the stream begins, not the stream itself.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (negative, NULL client).
 */
MISTRAL_API int mistral_client_set_deadline_ms(mistral_client *client, long ms);

/**
 * The backoff between attempts: the wait before retry n is
 * min(initial_ms * multiplier^(n-1), max_interval_ms), reduced by a random
 * fraction of at most `jitter` (0: no randomness; 1: anywhere from 0 to the
 * full wait). Defaults: MISTRAL_DEFAULT_RETRY_INITIAL_MS,
 * MISTRAL_DEFAULT_RETRY_MAX_INTERVAL_MS, MISTRAL_DEFAULT_RETRY_MULTIPLIER,
 * MISTRAL_DEFAULT_RETRY_JITTER. A server's Retry-After replaces the
 * computed wait (see mistral_client_set_retry_after_max_ms()).
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (NULL client, initial_ms < 0,
 *         max_interval_ms < initial_ms, multiplier < 1 or not finite,
 *         jitter outside [0, 1]).
 */
MISTRAL_API int mistral_client_set_retry_backoff(mistral_client *client, long initial_ms,
                                                 long max_interval_ms, double multiplier,
                                                 double jitter);

/**
 * The longest wait a server may ask for with `Retry-After-Ms` or
 * `Retry-After`, in ms; a longer request is cut to this. 0 retries at once
 * whatever the server says. Default MISTRAL_DEFAULT_RETRY_AFTER_MAX_MS.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG (negative, NULL client).
 */
MISTRAL_API int mistral_client_set_retry_after_max_ms(mistral_client *client, long ms);

/**
 * Receives the library's diagnostics (one line each; never the API key).
 * NULL turns logging off (the default). min_level filters: messages above
 * it are not even formatted.
 * @return MISTRAL_OK, MISTRAL_E_INVALID_ARG.
 */
MISTRAL_API int mistral_client_set_log_callback(mistral_client *client, mistral_log_fn fn,
                                                mistral_log_level min_level, void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* MISTRAL_CLIENT_H */
