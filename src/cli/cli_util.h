/* cli_util.h: small pieces shared by the `marcpipe <command>` files. */
#ifndef MP_CLI_UTIL_H
#define MP_CLI_UTIL_H

#include "marcpipe/marc.h"

/* Print "marcpipe CMD: <fmt with arg>" and a pointer to --help on stderr;
 * returns 2 (the usage exit status). */
int mp__cli_bad_usage(const char *cmd, const char *fmt, const char *arg);
/* The same for an option getopt_long refused: call it when getopt_long
 * (with opterr = 0 and an optstring starting with ':') returned c = '?'
 * (unknown option) or ':' (missing value). Returns 2. */
int mp__cli_bad_option(const char *cmd, int c, char **argv);
/* Print the diagnostics of the reader's last record on stderr, one
 * "FILE: record N at byte OFF[, field TAG]: LEVEL: msg" line each. */
void mp__cli_print_diags(const mp_marc_reader_t *rd);

#endif
