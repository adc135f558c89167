/* worker_report.c: the end-of-run report of a worker command
 * (worker_report.h). Loop thread; stdout and stderr only. */
#include "cli/worker_report.h"

#include "marcpipe/error.h"

#include <stdio.h>

void mp__cli_worker_report(const char *cmd, mp_worker_t *w, int status,
                           bool json, mp_cli_worker_summary_fn summary,
                           mp_worker_stats_t *st) {
  mp_worker_get_stats(w, st);
  if (json) {
    mp_worker_stats_json(st, stdout);
    fputc('\n', stdout);
    fflush(stdout);
  } else {
    summary(st);
  }
  if (status)
    fprintf(stderr, "marcpipe %s: stopped: %s\n", cmd, mp_strerror(status));
}
