/* cli_util.c: usage errors and reader diagnostics, printed the same way by
 * every command (see cli_util.h). Single-threaded, stderr only. */
#include "cli/cli_util.h"

#include <stdio.h>

int mp__cli_bad_usage(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "marcpipe %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see marcpipe %s --help)\n", cmd);
  return 2;
}

void mp__cli_print_diags(const mp_marc_reader_t *rd) {
  size_t n;
  const mp_marc_diag_t *dg = mp_marc_reader_diags(rd, &n);
  char line[512];
  for (size_t i = 0; i < n; i++) {
    mp_marc_diag_format(&dg[i], mp_marc_reader_name(rd), line, sizeof line);
    fprintf(stderr, "%s\n", line);
  }
}
