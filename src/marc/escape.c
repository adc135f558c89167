/* escape.c: XML and JSON text escaping (see escape.h).
 *
 * A 256-entry class table per language says which bytes need attention;
 * the hot loop skips plain bytes with one table load each (JSON: 8 plain
 * ASCII bytes with one word test, as the COPY encoder does), valid UTF-8
 * sequences stay in the run, and every run of bytes that need no escaping
 * is appended with one memcpy. Room for the unescaped text is reserved up
 * front, so text without special bytes costs one reserve and one copy.
 * The JSON escape also comes COPY-escaped (backslashes doubled) for the
 * sink, which stores MARC-in-JSON through COPY without a second pass.
 * Pure functions; no state.
 */
#include "marc/escape.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"
#include "marcpipe/utf8.h"

#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Byte classes. XML: TEXT = escaped in character data, ATTR = escaped in
 * attribute values ('"', tab and newline only there); JSON uses TEXT.
 * HIGH = first byte of a UTF-8 sequence to validate. */
enum { TEXT = 1, ATTR = 2, HIGH = 4 };

/* XML: & < > CR and C0 controls other than tab/newline are TEXT|ATTR;
 * '"', tab and newline are ATTR. JSON: '"', '\\' and C0 controls. */
static const unsigned char xml_class[256] = {
    3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 3, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};
static const unsigned char json_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/* The replacement for a special ASCII byte c (class bit set for the mode);
 * n receives its length. tmp holds generated text. */
static const char *xml_subst(unsigned char c, size_t *n, char tmp[8]) {
  const char *s;
  (void)tmp;
  switch (c) {
  case '&': s = "&amp;"; break;
  case '<': s = "&lt;"; break;
  case '>': s = "&gt;"; break;
  case '"': s = "&quot;"; break;
  case '\r': s = "&#13;"; break;
  case '\t': s = "&#9;"; break;
  case '\n': s = "&#10;"; break;
  default: s = replacement; break; /* a control XML 1.0 cannot carry */
  }
  *n = strlen(s);
  return s;
}

static const char *json_subst(unsigned char c, size_t *n, char tmp[8]) {
  static const char hex[] = "0123456789abcdef";
  const char *s;
  switch (c) {
  case '"': s = "\\\""; break;
  case '\\': s = "\\\\"; break;
  case '\n': s = "\\n"; break;
  case '\r': s = "\\r"; break;
  case '\t': s = "\\t"; break;
  case 0: s = replacement; break; /* \u0000 is refused by most JSON readers */
  default:
    memcpy(tmp, "\\u00", 4);
    tmp[4] = hex[c >> 4];
    tmp[5] = hex[c & 15];
    *n = 6;
    return tmp;
  }
  *n = strlen(s);
  return s;
}

/* json_subst's text with every backslash doubled: the JSON escape as one
 * value of PostgreSQL's COPY text format (at most 7 bytes, as \\u001f). */
static const char *json_copy_subst(unsigned char c, size_t *n, char tmp[8]) {
  char one[8];
  size_t k, m = 0;
  const char *s = json_subst(c, &k, one);
  for (size_t i = 0; i < k; i++) {
    if (s[i] == '\\')
      tmp[m++] = '\\';
    tmp[m++] = s[i];
  }
  *n = m;
  return tmp;
}

typedef const char *(*subst_fn)(unsigned char c, size_t *n, char tmp[8]);

/* words: skip 8 plain bytes at a time (mp_text_plain8 with '"' and '\\',
 * exactly JSON's specials and HIGH). */
static inline int escape(mp_buf_t *out, const char *s, size_t n,
                         const unsigned char cls[256], unsigned mask,
                         subst_fn subst, bool words) {
  const unsigned char *p = (const unsigned char *)s;
  size_t run = 0, i = 0;
  char tmp[8];
  if (out->len + n >= out->cap && mp_buf_reserve(out, n))
    return MP_ENOMEM;
  while (i < n) {
    uint64_t w;
    if (words && i + 8 <= n && (memcpy(&w, p + i, 8), mp_text_plain8(w, '"', '\\'))) {
      i += 8;
      continue;
    }
    unsigned k = cls[p[i]] & (mask | HIGH);
    if (!k) {
      i++;
      continue;
    }
    const char *rep;
    size_t replen;
    if (k & HIGH) {
      size_t len = mp_utf8_seq(p + i, n - i);
      if (len) {
        i += len;
        continue;
      }
      rep = replacement;
      replen = sizeof replacement - 1;
    } else
      rep = subst(p[i], &replen, tmp);
    if (mp__put(out, s + run, i - run) || mp__put(out, rep, replen))
      return MP_ENOMEM;
    run = ++i;
  }
  return mp__put(out, s + run, n - run);
}

int mp__escape_xml(mp_buf_t *out, const char *p, size_t n, bool attr) {
  return escape(out, p, n, xml_class, attr ? ATTR : TEXT, xml_subst, false);
}

int mp__escape_json(mp_buf_t *out, const char *p, size_t n) {
  return escape(out, p, n, json_class, TEXT, json_subst, true);
}

int mp__escape_json_copy(mp_buf_t *out, const char *p, size_t n) {
  return escape(out, p, n, json_class, TEXT, json_copy_subst, true);
}

int mp__reserve_record(mp_buf_t *out, const mp_record_t *r, size_t per_field,
                       size_t per_subfield) {
  size_t n = 256;
  for (uint32_t i = 0; i < r->nfields; i++)
    n += r->fields[i].len + per_field;
  return mp_buf_reserve(out, n + (size_t)r->nsubfields * per_subfield);
}
