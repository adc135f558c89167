/* job_args.h: the argument shape shared by the job commands written on
 * top of joblog.h (log, cancel, delete): `marcpipe CMD JOB [options]`
 * with --db, --tenant, --json (mp_job_cli_opt) and a few options of the
 * command's own, described by a small table. Local to these commands. */
#ifndef MP_CLI_JOB_ARGS_H
#define MP_CLI_JOB_ARGS_H

#include "marcpipe/job.h"

#include <stdbool.h>
#include <stdio.h>

/* One option: `name` (and `alt`, may be NULL); a flag sets *flag, an
 * option with a value stores it in *value (exactly one of them set). */
typedef struct mp_job_argopt_s {
  const char *name, *alt;
  bool *flag;
  const char **value;
} mp_job_argopt_t;

/* Parse argv. Returns -1 to go on (*id and *o set, tenant checked), else
 * the exit code: 0 after --help (usage(stdout)), 2 on a usage error (said
 * on stderr). */
int mp__job_args(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
                 const mp_job_argopt_t *opts, size_t nopts, mp_job_cli_t *o,
                 int64_t *id);
/* The command's end: rc 0 -> 0; else "marcpipe CMD: err" on stderr -> 1. */
int mp__job_cmd_exit(const char *cmd, int rc, const char *err);

#endif
