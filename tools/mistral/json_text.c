/* SPDX-License-Identifier: Apache-2.0 */
/* JSON text: a strict validator and a pretty-printer that keeps every token
 * as written. The program needs no JSON library: the library hands JSON
 * across its API as text, and a fixture should show the numbers and
 * strings exactly as the server sent them. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Deeper nesting is refused rather than risking the stack. */
#define MAX_DEPTH 512

typedef struct out_buf {
  char *data;
  size_t len;
  size_t cap;
  bool failed; /* out of memory */
} out_buf;

typedef struct json_scan {
  const char *s;
  size_t len;
  size_t pos;
  out_buf *out; /* NULL: validate only */
} json_scan;

static void emit(json_scan *j, const char *p, size_t n) {
  out_buf *o = j->out;
  if (!o || o->failed) return;
  if (o->cap - o->len <= n) {
    size_t cap = o->cap ? o->cap : 256;
    while (cap - o->len <= n) {
      if (cap > SIZE_MAX / 2) {
        o->failed = true;
        return;
      }
      cap *= 2;
    }
    char *grown = realloc(o->data, cap);
    if (!grown) {
      o->failed = true;
      return;
    }
    o->data = grown;
    o->cap = cap;
  }
  memcpy(o->data + o->len, p, n);
  o->len += n;
  o->data[o->len] = '\0';
}

static void emit_newline(json_scan *j, int indent) {
  emit(j, "\n", 1);
  for (int i = 0; i < indent; i++) emit(j, "  ", 2);
}

static void skip_ws(json_scan *j) {
  while (j->pos < j->len) {
    char c = j->s[j->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    j->pos++;
  }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool scan_string(json_scan *j) {
  size_t start = j->pos;
  j->pos++; /* the opening quote */
  while (j->pos < j->len) {
    unsigned char c = (unsigned char)j->s[j->pos];
    if (c == '"') {
      j->pos++;
      emit(j, j->s + start, j->pos - start);
      return true;
    }
    if (c < 0x20) return false;
    if (c == '\\') {
      if (++j->pos >= j->len) return false;
      char e = j->s[j->pos];
      if (e == 'u') {
        if (j->len - j->pos < 5) return false;
        for (int i = 1; i <= 4; i++)
          if (!is_hex(j->s[j->pos + (size_t)i])) return false;
        j->pos += 4;
      } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
        return false;
      }
    }
    j->pos++;
  }
  return false;
}

static bool scan_digits(json_scan *j) {
  size_t start = j->pos;
  while (j->pos < j->len && is_digit(j->s[j->pos])) j->pos++;
  return j->pos > start;
}

static bool scan_number(json_scan *j) {
  size_t start = j->pos;
  if (j->s[j->pos] == '-') j->pos++;
  if (j->pos >= j->len) return false;
  if (j->s[j->pos] == '0') {
    j->pos++;
  } else if (!scan_digits(j)) {
    return false;
  }
  if (j->pos < j->len && j->s[j->pos] == '.') {
    j->pos++;
    if (!scan_digits(j)) return false;
  }
  if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
    j->pos++;
    if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-')) j->pos++;
    if (!scan_digits(j)) return false;
  }
  emit(j, j->s + start, j->pos - start);
  return true;
}

static bool scan_literal(json_scan *j, const char *word) {
  size_t n = strlen(word);
  if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0) return false;
  emit(j, word, n);
  j->pos += n;
  return true;
}

static bool scan_value(json_scan *j, int depth);

/* An object or an array, from its opening bracket. */
static bool scan_container(json_scan *j, int depth) {
  bool object = j->s[j->pos] == '{';
  char close = object ? '}' : ']';
  if (depth >= MAX_DEPTH) return false;
  emit(j, j->s + j->pos, 1);
  j->pos++;
  skip_ws(j);
  if (j->pos < j->len && j->s[j->pos] == close) {
    emit(j, &close, 1);
    j->pos++;
    return true;
  }
  for (;;) {
    emit_newline(j, depth + 1);
    skip_ws(j);
    if (object) {
      if (j->pos >= j->len || j->s[j->pos] != '"' || !scan_string(j)) return false;
      skip_ws(j);
      if (j->pos >= j->len || j->s[j->pos] != ':') return false;
      j->pos++;
      emit(j, ": ", 2);
    }
    if (!scan_value(j, depth + 1)) return false;
    skip_ws(j);
    if (j->pos >= j->len) return false;
    char c = j->s[j->pos++];
    if (c == ',') {
      emit(j, ",", 1);
      continue;
    }
    if (c != close) return false;
    emit_newline(j, depth);
    emit(j, &close, 1);
    return true;
  }
}

static bool scan_value(json_scan *j, int depth) {
  skip_ws(j);
  if (j->pos >= j->len) return false;
  switch (j->s[j->pos]) {
    case '{':
    case '[':
      return scan_container(j, depth);
    case '"':
      return scan_string(j);
    case 't':
      return scan_literal(j, "true");
    case 'f':
      return scan_literal(j, "false");
    case 'n':
      return scan_literal(j, "null");
    default:
      return scan_number(j);
  }
}

static bool scan_document(json_scan *j) {
  if (!scan_value(j, 0)) return false;
  skip_ws(j);
  return j->pos == j->len;
}

bool cli_json_valid(const char *text, size_t len) {
  json_scan j = {.s = text, .len = len, .pos = 0, .out = NULL};
  return text && scan_document(&j);
}

char *cli_json_pretty(const char *text, size_t len) {
  if (!text) return NULL;
  out_buf o = {0};
  json_scan j = {.s = text, .len = len, .pos = 0, .out = &o};
  if (!scan_document(&j) || o.failed) {
    free(o.data);
    return NULL;
  }
  return o.data;
}
