/* escape.c: XML and JSON text escaping (see escape.h). Runs of bytes that
 * need no escaping are appended in one call; pure functions otherwise. */
#include "marc/escape.h"

#include "marcpipe/error.h"

#include <stdio.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

size_t mp__utf8_len(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* no overlong forms */
    if (c == 0xED)
      hi = 0x9F; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90;
    if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  return len;
}

/* What to write for the byte at p instead of itself: NULL = keep it (with
 * *adv bytes of a valid sequence), else the replacement text. */
typedef const char *(*subst_fn)(const unsigned char *p, size_t n, bool attr,
                                size_t *adv, char tmp[8]);

static const char *xml_subst(const unsigned char *p, size_t n, bool attr,
                             size_t *adv, char tmp[8]) {
  unsigned char c = *p;
  *adv = 1;
  switch (c) {
  case '&': return "&amp;";
  case '<': return "&lt;";
  case '>': return "&gt;";
  case '"': return attr ? "&quot;" : NULL;
  case '\r': return "&#13;";
  case '\t': return attr ? "&#9;" : NULL;
  case '\n': return attr ? "&#10;" : NULL;
  default: break;
  }
  (void)tmp;
  if (c < 0x20)
    return replacement;
  if (c < 0x80)
    return NULL;
  *adv = mp__utf8_len(p, n);
  if (*adv == 0) {
    *adv = 1;
    return replacement;
  }
  return NULL;
}

static const char *json_subst(const unsigned char *p, size_t n, bool attr,
                              size_t *adv, char tmp[8]) {
  unsigned char c = *p;
  *adv = 1;
  switch (c) {
  case '"': return "\\\"";
  case '\\': return "\\\\";
  case '\n': return "\\n";
  case '\r': return "\\r";
  case '\t': return "\\t";
  default: break;
  }
  if (c == 0)
    return replacement; /* \u0000 is refused by most JSON readers */
  if (c < 0x20) {
    snprintf(tmp, 8, "\\u%04x", c);
    return tmp;
  }
  if (c < 0x80)
    return NULL;
  *adv = mp__utf8_len(p, n);
  if (*adv == 0) {
    *adv = 1;
    return replacement;
  }
  return NULL;
}

static int escape(mp_buf_t *out, const char *s, size_t n, bool attr,
                  subst_fn subst) {
  const unsigned char *p = (const unsigned char *)s;
  size_t run = 0, i = 0;
  char tmp[8];
  while (i < n) {
    size_t adv;
    const char *rep = subst(p + i, n - i, attr, &adv, tmp);
    if (!rep) {
      i += adv;
      continue;
    }
    if (mp_buf_append(out, s + run, i - run) || mp_buf_puts(out, rep))
      return MP_ENOMEM;
    i += adv;
    run = i;
  }
  return mp_buf_append(out, s + run, n - run);
}

int mp__escape_xml(mp_buf_t *out, const char *p, size_t n, bool attr) {
  return escape(out, p, n, attr, xml_subst);
}

int mp__escape_json(mp_buf_t *out, const char *p, size_t n) {
  return escape(out, p, n, false, json_subst);
}
