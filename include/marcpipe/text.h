/* text.h: strings from data (file names, reasons) shown in line-oriented
 * text output. A control character in them (a file name with a newline)
 * would forge a line, e.g. a row of `marcpipe jobs`; mp_text_shown writes
 * them escaped instead. Pure, thread-safe. */
#ifndef MARCPIPE_TEXT_H
#define MARCPIPE_TEXT_H

#include <stddef.h>

/* Copy s into out (n > 0 bytes, always NUL-terminated, truncated if need
 * be) with backslash as "\\", tab, newline and carriage return as "\t",
 * "\n", "\r", and every other byte below 0x20 and 0x7F as "\xHH". Other
 * bytes (UTF-8 text) are kept. Returns out. */
char *mp_text_shown(const char *s, char *out, size_t n);

#endif
