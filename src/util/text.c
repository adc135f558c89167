/* text.c: control characters escaped for line-oriented output (text.h). */
#include "marcpipe/text.h"

#include <stdio.h>
#include <string.h>

char *mp_text_shown(const char *s, char *out, size_t n) {
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    char e[5] = {0};
    switch (*p) {
    case '\\': memcpy(e, "\\\\", 2); break;
    case '\t': memcpy(e, "\\t", 2); break;
    case '\n': memcpy(e, "\\n", 2); break;
    case '\r': memcpy(e, "\\r", 2); break;
    default:
      if (*p < 0x20 || *p == 0x7F)
        snprintf(e, sizeof e, "\\x%02X", *p);
      else
        e[0] = (char)*p;
    }
    size_t k = strlen(e);
    if (o + k >= n)
      break;
    memcpy(out + o, e, k);
    o += k;
  }
  out[o] = '\0';
  return out;
}
