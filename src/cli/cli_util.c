/* cli_util.c: usage errors and reader diagnostics, printed the same way by
 * every command (see cli_util.h). Single-threaded, stderr only. */
#include "cli/cli_util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int mp__cli_bad_usage(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "marcpipe %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see marcpipe %s --help)\n", cmd);
  return 2;
}

int mp__cli_bad_option(const char *cmd, int c, char **argv) {
  char opt[64];
  const char *arg = argv[optind - 1];
  if (c == '?' && optopt > 0 && optopt < 128) /* unknown short option */
    snprintf(opt, sizeof opt, "-%c", optopt);
  else /* the word as typed, without an attached value */
    snprintf(opt, sizeof opt, "%.*s", (int)strcspn(arg, "="), arg);
  return mp__cli_bad_usage(cmd,
                           c == ':' ? "option '%s' needs a value"
                                    : "unknown option '%s'",
                           opt);
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
