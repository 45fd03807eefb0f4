/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_mode: answers as JSON, two ways.
 *
 *     MISTRAL_API_KEY=... ./json_mode
 *
 * 1. json_schema (strict): the answer follows a JSON Schema we give. The
 *    reliable choice when a program reads the answer.
 * 2. json_object: the answer is some JSON object; the prompt says which.
 *
 * Either way the answer arrives as JSON *text* in the message content: parse
 * it with the JSON library of your choice (this example prints it, to need
 * nothing but libmistral). See docs/json-mode.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mistral/mistral.h>

#define MODEL "mistral-small-latest"

/* What we want back: a city, described by exactly these three fields.
 * "additionalProperties": false and "required" listing every field are what
 * strict mode needs to pin the shape down. */
static const char CITY_SCHEMA[] =
    "{\"type\": \"object\","
    " \"properties\": {"
    "   \"name\": {\"type\": \"string\"},"
    "   \"country\": {\"type\": \"string\"},"
    "   \"population\": {\"type\": \"integer\"}},"
    " \"required\": [\"name\", \"country\", \"population\"],"
    " \"additionalProperties\": false}";

/* Sends req and prints the JSON answer. Returns 0 on success. */
static int ask(mistral_client *client, const mistral_chat_request *req, mistral_error *err,
               const char *label) {
  mistral_chat_response *resp = NULL;
  if (mistral_chat_complete(&resp, client, req, err) != MISTRAL_OK) {
    fprintf(stderr, "json_mode: %s: %s\n", label, mistral_error_message(err));
    return -1;
  }
  int result = -1;
  const mistral_chat_choice *choice = resp->choice_count > 0 ? resp->choices[0] : NULL;
  const char *json = mistral_chat_response_text(resp);
  if (!choice || !json) {
    fprintf(stderr, "json_mode: %s: the answer has no text\n", label);
  } else if (choice->finish_reason != MISTRAL_FINISH_STOP) {
    /* JSON mode guarantees JSON only for an answer that ran to its end: one
     * cut by max_tokens ("length") is a truncated document. */
    fprintf(stderr, "json_mode: %s: the answer stopped early (%s)\n", label,
            choice->finish_reason_raw ? choice->finish_reason_raw : "no finish reason");
  } else {
    printf("%s: %s\n", label, json);
    result = 0;
  }
  mistral_chat_response_free(resp);
  return result;
}

int main(void) {
  int exit_code = EXIT_FAILURE;
  mistral_client *client = NULL;
  mistral_chat_request *by_schema = NULL, *by_object = NULL;

  mistral_error *err = mistral_error_new();
  if (!err) {
    fputs("json_mode: out of memory\n", stderr);
    return EXIT_FAILURE;
  }
  int rc = mistral_client_new(&client);
  if (rc != MISTRAL_OK) {
    fprintf(stderr, "json_mode: cannot create the client: %s\n", mistral_strerror(rc));
    goto done;
  }

  /* 1. json_schema: the schema is the contract; the prompt only has to
   *    say what to fill it with. */
  if ((rc = mistral_chat_request_new(&by_schema, MODEL)) != MISTRAL_OK ||
      (rc = mistral_chat_request_set_json_schema(by_schema, "city",
                                                 "A city and how many people live there.",
                                                 CITY_SCHEMA, true)) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(NULL, by_schema, MISTRAL_ROLE_USER,
                                             "Describe the capital of France.")) !=
          MISTRAL_OK) {
    fprintf(stderr, "json_mode: cannot build the schema request: %s\n", mistral_strerror(rc));
    goto done;
  }

  /* 2. json_object: the API only promises *a* JSON object, so the prompt
   *    must ask for JSON and describe its shape, or the model may pick
   *    its own. */
  if ((rc = mistral_chat_request_new(&by_object, MODEL)) != MISTRAL_OK ||
      (rc = mistral_chat_request_set_response_format(
           by_object, MISTRAL_RESPONSE_FORMAT_JSON_OBJECT)) != MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(
           NULL, by_object, MISTRAL_ROLE_SYSTEM,
           "Reply with a JSON object only, of the form {\"colors\": [string, ...]}.")) !=
          MISTRAL_OK ||
      (rc = mistral_chat_request_add_message(NULL, by_object, MISTRAL_ROLE_USER,
                                             "Name the three primary colors.")) !=
          MISTRAL_OK) {
    fprintf(stderr, "json_mode: cannot build the object request: %s\n", mistral_strerror(rc));
    goto done;
  }

  if (ask(client, by_schema, err, "json_schema") != 0) goto done;
  if (ask(client, by_object, err, "json_object") != 0) goto done;
  exit_code = EXIT_SUCCESS;

done:
  mistral_chat_request_free(by_object);
  mistral_chat_request_free(by_schema);
  mistral_client_free(client);
  mistral_error_free(err);
  return exit_code;
}
