/* SPDX-License-Identifier: Apache-2.0 */
/* mistral models: the models a key may use, as a table or JSON; one
 * model's card; delete, archive, unarchive and rename fine-tuned models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum { OPT_JSON = 1, OPT_NAME, OPT_DESCRIPTION };

/* Besides --server-url, --help and --version (cli.h). */
static const cli_option models_options[] = {
    {"json", 0, false, OPT_JSON},
    {"name", 0, true, OPT_NAME},
    {"description", 0, true, OPT_DESCRIPTION},
    {NULL, 0, false, 0},
};

static void models_help(void) {
  printf("Usage: mistral models [list] [--json] [OPTIONS]\n"
         "       mistral models show [--json] MODEL_ID\n"
         "       mistral models delete MODEL_ID\n"
         "       mistral models archive MODEL_ID\n"
         "       mistral models unarchive MODEL_ID\n"
         "       mistral models update [--name NAME] [--description TEXT] MODEL_ID\n"
         "\n"
         "Without an action (or with 'list'), prints the models your API key may use,\n"
         "one per line: id, type, context length in tokens, capabilities and the\n"
         "deprecation date (with the replacement model, when there is one).\n"
         "'show' prints one model's card; MODEL_ID may be an alias or a fine-tuned\n"
         "model's id (ft:...). 'delete', 'archive', 'unarchive' and 'update' act on\n"
         "fine-tuned models.\n"
         "\n"
         "Capabilities: chat (chat completions), fim (fill-in-the-middle), tools\n"
         "(function calling), ft (fine-tuning), vision, class (classification),\n"
         "reason (reasoning), ocr, mod (moderation), audio, stt (transcription),\n"
         "stt-rt (realtime transcription), tts (speech), unified (unified resources);\n"
         "newer ones by their API name.\n"
         "\n"
         "Options:\n"
         "      --json             print the response JSON instead (list: the body as\n"
         "                         received; show and update: the model's card)\n"
         "      --name NAME        update: the model's new name\n"
         "      --description TEXT update: the model's new description\n"
         "      --server-url URL   the API server (default $MISTRAL_SERVER_URL,\n"
         "                         else " MISTRAL_DEFAULT_SERVER_URL ")\n"
         "  -h, --help             show this help and exit\n"
         "      --version          show the version and exit\n"
         "\n"
         "Examples:\n"
         "  mistral models\n"
         "  mistral models --json > models.json\n"
         "  mistral models show mistral-small-latest\n"
         "  mistral models update --name support-bot ft:open-mistral-7b:587a6b29:20240514:7e773925\n"
         "\n"
         "%s\n%s",
         cli_environment_help, cli_exit_help);
}

typedef enum { ACT_LIST, ACT_SHOW, ACT_DELETE, ACT_ARCHIVE, ACT_UNARCHIVE, ACT_UPDATE } action;

static const struct {
  const char *word;
  action act;
  bool takes_id;
} actions[] = {{"list", ACT_LIST, false},        {"show", ACT_SHOW, true},
               {"delete", ACT_DELETE, true},     {"archive", ACT_ARCHIVE, true},
               {"unarchive", ACT_UNARCHIVE, true}, {"update", ACT_UPDATE, true}};

typedef struct models_args {
  cli_common common; /* server_url */
  action act;
  const char *word; /* the action as typed, for messages */
  const char *id;
  const char *name;
  const char *description;
  bool json;
} models_args;

/* Returns CLI_CONTINUE to go on, or the exit status. */
static int parse_args(int argc, char **argv, models_args *a) {
  cli_parser p;
  cli_parser_init(&p, argc, argv, &a->common, models_options);
  const char *words[2];
  size_t count = 0;
  const char *arg;
  int id;
  while ((id = cli_next(&p, &arg)) != CLI_OPT_END) {
    int status;
    switch (id) {
      case CLI_OPT_POSITIONAL:
        if (count == 2) {
          cli_error("too many arguments: '%s' (see 'mistral models --help')", arg);
          return CLI_EXIT_USAGE;
        }
        words[count++] = arg;
        break;
      case OPT_JSON:
        a->json = true;
        break;
      case OPT_NAME:
        a->name = arg;
        break;
      case OPT_DESCRIPTION:
        a->description = arg;
        break;
      default:
        if ((status = cli_common_option(&p, id, arg)) != CLI_CONTINUE) return status;
        break;
    }
  }
  a->act = ACT_LIST;
  a->word = "list";
  bool takes_id = false;
  if (count > 0) {
    size_t i = 0;
    while (i < sizeof actions / sizeof *actions && strcmp(words[0], actions[i].word) != 0) i++;
    if (i == sizeof actions / sizeof *actions) {
      cli_error("unknown action '%s': use list, show, delete, archive, unarchive or update "
                "(see 'mistral models --help')",
                words[0]);
      return CLI_EXIT_USAGE;
    }
    a->act = actions[i].act;
    a->word = actions[i].word;
    takes_id = actions[i].takes_id;
  }
  if (takes_id && count < 2) {
    cli_error("'models %s' needs a MODEL_ID (see 'mistral models --help')", a->word);
    return CLI_EXIT_USAGE;
  }
  if (!takes_id && count > 1) {
    cli_error("too many arguments: '%s' (see 'mistral models --help')", words[1]);
    return CLI_EXIT_USAGE;
  }
  if (takes_id) a->id = words[1];
  if ((a->name || a->description) && a->act != ACT_UPDATE) {
    cli_error("--name and --description go with 'models update'");
    return CLI_EXIT_USAGE;
  }
  if (a->act == ACT_UPDATE && !a->name && !a->description) {
    cli_error("'models update' needs --name or --description (or both)");
    return CLI_EXIT_USAGE;
  }
  if (a->json && a->act != ACT_LIST && a->act != ACT_SHOW && a->act != ACT_UPDATE) {
    cli_error("--json goes with 'models', 'models show' and 'models update'");
    return CLI_EXIT_USAGE;
  }
  return CLI_CONTINUE;
}

/* ---- output ---- */

/* Prints s with control characters as '?' (a server's text must not move
 * the terminal's cursor), padded with spaces to width display columns
 * (UTF-8 continuation bytes take none) when pad is true. */
static void put_cell(const char *s, size_t width, bool pad) {
  size_t cols = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
    if ((*p & 0xc0) != 0x80) cols++;
  }
  while (pad && cols++ < width) putchar(' ');
}

static size_t cell_width(const char *s) {
  size_t cols = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p & 0xc0) != 0x80) cols++;
  return cols;
}

static const struct {
  const char *name, *flag;
} cap_flags[] = {{"completion_chat", "chat"},
                 {"completion_fim", "fim"},
                 {"function_calling", "tools"},
                 {"fine_tuning", "ft"},
                 {"vision", "vision"},
                 {"classification", "class"},
                 {"reasoning", "reason"},
                 {"ocr", "ocr"},
                 {"moderation", "mod"},
                 {"audio", "audio"},
                 {"audio_transcription", "stt"},
                 {"audio_transcription_realtime", "stt-rt"},
                 {"audio_speech", "tts"},
                 {"unified_resources", "unified"}};

/* The capabilities as short flags, comma-separated, in the server's
 * order ("-" for none); malloc'd. */
static char *caps_text(const mistral_model_capabilities *caps) {
  size_t len = 2;
  for (size_t i = 0; i < caps->name_count; i++) len += strlen(caps->names[i]) + 1;
  char *s = malloc(len);
  if (!s) return NULL;
  s[0] = '\0';
  for (size_t i = 0; i < caps->name_count; i++) {
    const char *flag = caps->names[i];
    for (size_t k = 0; k < sizeof cap_flags / sizeof *cap_flags; k++)
      if (strcmp(flag, cap_flags[k].name) == 0) flag = cap_flags[k].flag;
    if (i) strcat(s, ",");
    strcat(s, flag);
  }
  if (!*s) strcpy(s, "-");
  return s;
}

static const char *type_text(const mistral_model_card *m) {
  switch (m->type) {
    case MISTRAL_MODEL_TYPE_BASE:
      return "base";
    case MISTRAL_MODEL_TYPE_FINE_TUNED:
      return m->archived ? "fine-tuned (archived)" : "fine-tuned";
    default:
      return m->type_raw ? m->type_raw : "-";
  }
}

/* The deprecation column: the date (the whole text when it is not an
 * RFC 3339 date-time), and the replacement; malloc'd. */
static char *deprecation_text(const mistral_model_card *m) {
  const char *dep = m->deprecation;
  const char *repl = m->deprecation_replacement_model;
  size_t n = dep ? (m->deprecation_time ? 10 : strlen(dep)) : 1;
  size_t len = n + (repl ? strlen(repl) + 4 : 0) + 1;
  char *s = malloc(len);
  if (!s) return NULL;
  snprintf(s, len, "%.*s%s%s", (int)n, dep ? dep : "-", repl ? " -> " : "", repl ? repl : "");
  return s;
}

static int print_table(const mistral_model_list *list) {
  size_t n = list->model_count;
  char **caps = calloc(n ? n : 1, sizeof *caps);
  char **deps = calloc(n ? n : 1, sizeof *deps);
  int status = CLI_EXIT_OK;
  if (!caps || !deps) goto oom;
  size_t w_id = strlen("ID"), w_type = strlen("TYPE"), w_ctx = strlen("CONTEXT"),
         w_caps = strlen("CAPABILITIES");
  for (size_t i = 0; i < n; i++) {
    const mistral_model_card *m = list->models[i];
    if (!(caps[i] = caps_text(m->capabilities)) || !(deps[i] = deprecation_text(m))) goto oom;
    char ctx[32];
    int len = snprintf(ctx, sizeof ctx, "%lld", (long long)m->max_context_length);
    if (cell_width(m->id) > w_id) w_id = cell_width(m->id);
    if (cell_width(type_text(m)) > w_type) w_type = cell_width(type_text(m));
    if ((size_t)len > w_ctx) w_ctx = (size_t)len;
    if (cell_width(caps[i]) > w_caps) w_caps = cell_width(caps[i]);
  }
  printf("%-*s  %-*s  %*s  %-*s  DEPRECATION\n", (int)w_id, "ID", (int)w_type, "TYPE",
         (int)w_ctx, "CONTEXT", (int)w_caps, "CAPABILITIES");
  for (size_t i = 0; i < n; i++) {
    const mistral_model_card *m = list->models[i];
    put_cell(m->id, w_id, true);
    fputs("  ", stdout);
    put_cell(type_text(m), w_type, true);
    if (m->max_context_length > 0)
      printf("  %*lld  ", (int)w_ctx, (long long)m->max_context_length);
    else
      printf("  %*s  ", (int)w_ctx, "-");
    put_cell(caps[i], w_caps, true);
    fputs("  ", stdout);
    put_cell(deps[i], 0, false);
    putchar('\n');
  }
  goto done;
oom:
  cli_error("out of memory");
  status = CLI_EXIT_FAILURE;
done:
  for (size_t i = 0; caps && deps && i < n; i++) {
    free(caps[i]);
    free(deps[i]);
  }
  free(caps);
  free(deps);
  return status;
}

static void field(const char *label, const char *value) {
  if (!value) return;
  printf("%-21s", label);
  put_cell(value, 0, false);
  putchar('\n');
}

static int print_card(const mistral_model_card *m) {
  char *caps = caps_text(m->capabilities);
  if (!caps) {
    cli_error("out of memory");
    return CLI_EXIT_FAILURE;
  }
  char buf[64];
  field("id:", m->id);
  field("name:", m->name);
  field("description:", m->description);
  field("type:", type_text(m));
  field("model type:", m->model_type);
  field("owned by:", m->owned_by);
  if (m->created > 0) {
    time_t t = (time_t)m->created;
    struct tm tm;
    if (gmtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm))
      field("created:", buf);
  }
  if (m->max_context_length > 0) {
    snprintf(buf, sizeof buf, "%lld tokens", (long long)m->max_context_length);
    field("context length:", buf);
  }
  field("capabilities:", caps);
  free(caps);
  if (m->alias_count) {
    printf("%-21s", "aliases:");
    for (size_t i = 0; i < m->alias_count; i++) {
      if (i) fputs(", ", stdout);
      put_cell(m->aliases[i], 0, false);
    }
    putchar('\n');
  }
  if (m->has_default_model_temperature) {
    snprintf(buf, sizeof buf, "%g", m->default_model_temperature);
    field("default temperature:", buf);
  }
  field("deprecation:", m->deprecation);
  field("replacement:", m->deprecation_replacement_model);
  field("root:", m->root);
  field("job:", m->job);
  if (m->type == MISTRAL_MODEL_TYPE_FINE_TUNED) field("archived:", m->archived ? "yes" : "no");
  return CLI_EXIT_OK;
}

/* ---- the command ---- */

int cmd_models(int argc, char **argv) {
  models_args a = {.common = {.command = "models", .help = models_help}};
  int status = parse_args(argc, argv, &a);
  if (status != CLI_CONTINUE) return status;

  mistral_client *client = NULL;
  mistral_error *err = NULL;
  mistral_model_list *list = NULL;
  mistral_model_card *card = NULL;
  mistral_model_result *result = NULL;
  if ((status = cli_error_new(&err)) != CLI_EXIT_OK) goto done;
  if ((status = cli_client_new(&client, &a.common)) != CLI_EXIT_OK) goto done;

  int rc = MISTRAL_OK;
  switch (a.act) {
    case ACT_LIST:
      rc = mistral_models_list(&list, client, NULL, err);
      break;
    case ACT_SHOW:
      rc = mistral_models_retrieve(&card, client, a.id, NULL, err);
      break;
    case ACT_UPDATE:
      rc = mistral_models_update(&card, client, a.id, a.name, a.description, NULL, err);
      break;
    case ACT_DELETE:
      rc = mistral_models_delete(&result, client, a.id, NULL, err);
      break;
    case ACT_ARCHIVE:
      rc = mistral_models_archive(&result, client, a.id, NULL, err);
      break;
    case ACT_UNARCHIVE:
      rc = mistral_models_unarchive(&result, client, a.id, NULL, err);
      break;
  }
  if (rc != MISTRAL_OK) {
    status = cli_report(rc, err);
    goto done;
  }

  if (list) {
    status = a.json ? cli_print_body(list->raw_json, list->raw_json_len) : print_table(list);
  } else if (card) {
    status = a.json ? cli_print_body(card->json, strlen(card->json)) : print_card(card);
  } else {
    /* What the server says it did: deleted, archived, unarchived. */
    bool ok = a.act == ACT_DELETE    ? result->deleted
              : a.act == ACT_ARCHIVE ? result->archived
                                     : !result->archived;
    const char *verb = a.act == ACT_DELETE ? "deleted" : a.act == ACT_ARCHIVE ? "archived"
                                                                              : "unarchived";
    if (!ok) {
      cli_error("the server answered, but says '%s' was not %s", result->id, verb);
      status = CLI_EXIT_FAILURE;
    } else {
      printf("%s ", verb);
      put_cell(result->id, 0, false);
      putchar('\n');
    }
  }
  status = cli_finish_stdout(status);

done:
  mistral_model_list_free(list);
  mistral_model_card_free(card);
  mistral_model_result_free(result);
  mistral_client_free(client);
  mistral_error_free(err);
  return status;
}
