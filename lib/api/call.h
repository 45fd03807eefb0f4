/* SPDX-License-Identifier: Apache-2.0 */
/* The one path every typed blocking call takes to the server: perform the
 * exchange, then turn an HTTP error status into the matching error. */
#ifndef MISTRAL_API_CALL_H
#define MISTRAL_API_CALL_H

#include "http/transport.h"

/* Initialises *resp (always: the caller frees it with
 * m_http_response_free()), performs method path with body (may be NULL), and
 * returns MISTRAL_OK only for a 2xx response. */
int m_api_call(mistral_client *client, const char *method, const char *path, const char *body,
               size_t body_len, const struct mistral_call_options *options,
               m_http_response *resp, mistral_error *err);

/* A 2xx response arrived but could not be decoded: keeps its HTTP status and
 * request id on err (for support requests) and redacts the key, as a
 * decoder's message may quote the body and the body may echo the key. */
void m_api_mark_undecodable(const mistral_client *client, const m_http_response *resp,
                            mistral_error *err);

#endif
