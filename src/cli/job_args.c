/* job_args.c: argument parsing shared by log, cancel and delete
 * (job_args.h). */
#include "cli/job_args.h"

#include "cli/cli_util.h"
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"

#include <string.h>

int mp__job_args(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
                 const mp_job_argopt_t *opts, size_t nopts, mp_job_cli_t *o,
                 int64_t *id) {
  const char *jobarg = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    if (mp_job_cli_opt(argc, argv, &i, o))
      continue;
    size_t k = 0;
    while (k < nopts && strcmp(a, opts[k].name) && !(opts[k].alt && !strcmp(a, opts[k].alt)))
      k++;
    if (k < nopts && opts[k].flag) {
      *opts[k].flag = true;
    } else if (k < nopts && i + 1 < argc) {
      *opts[k].value = argv[++i];
    } else if (k == nopts && a[0] != '-' && !jobarg) {
      jobarg = a;
    } else {
      char msg[128];
      snprintf(msg, sizeof msg, k < nopts ? "option '%s' needs a value"
                                          : "unexpected argument '%s'", a);
      return mp__cli_bad_usage(cmd, "%s", msg);
    }
  }
  if ((*id = mp_job_cli_id(jobarg)) < 0)
    return mp__cli_bad_usage(cmd, "%s", "expected a job id");
  if (!mp_tenant_valid(o->tenant))
    return mp__cli_bad_usage(cmd, "%s", "--tenant wants [a-z][a-z0-9_]{0,30}");
  return -1;
}

int mp__job_cmd_exit(const char *cmd, int rc, const char *err) {
  if (!rc)
    return 0;
  fprintf(stderr, "marcpipe %s: %s\n", cmd, err && err[0] ? err : mp_strerror(rc));
  return 1;
}
