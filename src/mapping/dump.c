/* dump.c: compact JSON text of a mapped record (see mapping.h,
 * mp_mapping_dump).
 *
 * json_dumps(v, JSON_COMPACT) was a quarter of a worker's CPU: jansson
 * writes through a callback per piece, decodes every string code point by
 * code point and grows its own buffer. This writer makes the same bytes
 * straight into an mp_buf_t: members in the object's own (insertion)
 * order, "," and ":" with no spaces, strings with jansson's escapes ('"',
 * '\\', \b \f \n \r \t, other C0 controls as \u00XX in upper-case hex;
 * '/' and non-ASCII as they are), integers as %lld, true, false, null.
 * It takes no part it cannot write as jansson does: a real, or a string
 * that is not valid UTF-8 (json_dumps fails on it), makes it return
 * MP_EFORMAT with the buffer as it was, and the caller uses json_dumps.
 * Pure function; any thread.
 */
#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Bytes jansson escapes: '"', '\\' and C0 controls. */
static bool needs_escape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

/* mp_buf_putc with the common case (room reserved) inline. */
static inline int put_c(mp_buf_t *b, char c) {
  if (b->len + 1 >= b->cap)
    return mp_buf_putc(b, c);
  b->data[b->len++] = c;
  b->data[b->len] = '\0';
  return 0;
}

static int put_string(mp_buf_t *b, const char *p, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *u = (const unsigned char *)p;
  int rc = mp_buf_reserve(b, n + 2);
  rc = rc ? rc : put_c(b, '"');
  size_t run = 0; /* start of the bytes not yet appended */
  for (size_t i = 0; i < n && !rc;) {
    uint64_t w;
    if (i + 8 <= n && (memcpy(&w, u + i, 8), mp_text_plain8(w, '"', '\\'))) {
      i += 8;
      continue;
    }
    if (u[i] >= 0x80) {
      size_t k = mp_utf8_seq(u + i, n - i);
      if (!k)
        return MP_EFORMAT;
      i += k;
      continue;
    }
    if (!needs_escape(u[i])) {
      i++;
      continue;
    }
    rc = mp_buf_append(b, p + run, i - run);
    char e[6] = {'\\', 0};
    size_t en = 2;
    switch (u[i]) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\b': e[1] = 'b'; break;
    case '\f': e[1] = 'f'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    default:
      memcpy(e + 1, "u00", 3);
      e[4] = hex[u[i] >> 4];
      e[5] = hex[u[i] & 15];
      en = 6;
    }
    rc = rc ? rc : mp_buf_append(b, e, en);
    run = ++i;
  }
  rc = rc ? rc : mp_buf_append(b, p + run, n - run);
  return rc ? rc : put_c(b, '"');
}

static int put_value(mp_buf_t *b, const json_t *v, int depth) {
  if (depth > 2048) /* jansson's own limit on nesting */
    return MP_EFORMAT;
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    int rc = put_c(b, '{');
    bool first = true;
    for (void *it = json_object_iter((json_t *)v); it && !rc;
         it = json_object_iter_next((json_t *)v, it)) {
      rc = first ? 0 : put_c(b, ',');
      first = false;
      rc = rc ? rc : put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
      rc = rc ? rc : put_c(b, ':');
      rc = rc ? rc : put_value(b, json_object_iter_value(it), depth + 1);
    }
    return rc ? rc : put_c(b, '}');
  }
  case JSON_ARRAY: {
    int rc = put_c(b, '[');
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n && !rc; i++) {
      rc = i ? put_c(b, ',') : 0;
      rc = rc ? rc : put_value(b, json_array_get(v, i), depth + 1);
    }
    return rc ? rc : put_c(b, ']');
  }
  case JSON_STRING:
    return put_string(b, json_string_value(v), json_string_length(v));
  case JSON_INTEGER:
    return mp_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  case JSON_TRUE:
    return mp_buf_append(b, "true", 4);
  case JSON_FALSE:
    return mp_buf_append(b, "false", 5);
  case JSON_NULL:
    return mp_buf_append(b, "null", 4);
  default: /* JSON_REAL: jansson's own number format */
    return MP_EFORMAT;
  }
}

int mp_mapping_dump(const json_t *v, mp_buf_t *out) {
  size_t mark = out->len;
  int rc = v ? put_value(out, v, 0) : MP_EFORMAT;
  if (rc) {
    out->len = mark;
    if (out->data)
      out->data[mark] = '\0';
  }
  return rc;
}
