/* worker_report.h: what a worker command (`marcpipe work`, `marcpipe circ
 * work`) prints when its worker is done, the same way in both: the
 * counters as one JSON object on stdout (--stats-json) or else the
 * command's own summary line on stderr, then, when the worker stopped on
 * an error, "marcpipe CMD: stopped: <reason>" on stderr. Called from the
 * worker's done callback, on the loop thread. */
#ifndef MP_CLI_WORKER_REPORT_H
#define MP_CLI_WORKER_REPORT_H

#include "marcpipe/worker.h"

#include <stdbool.h>

/* Prints the command's summary of st on stderr. */
typedef void (*mp_cli_worker_summary_fn)(const mp_worker_stats_t *st);

/* Report the end of w (status as given to the done callback); *st gets
 * the final counters for the caller's own follow-up. */
void mp__cli_worker_report(const char *cmd, mp_worker_t *w, int status,
                           bool json, mp_cli_worker_summary_fn summary,
                           mp_worker_stats_t *st);

#endif
