/* status.c: the job statuses' one name table (the names are what
 * jobs.status stores, schemas/sql 001 and 004) and the two groupings the
 * commands and the console ask about. Pure; any thread. */
#include "marcpipe/job.h"

#include "marcpipe/error.h"

#include <string.h>

static const char *const names[] = {
    [MP_JOB_NEW] = "NEW",
    [MP_JOB_PRODUCING] = "PRODUCING",
    [MP_JOB_IN_PROGRESS] = "IN_PROGRESS",
    [MP_JOB_COMPLETED] = "COMPLETED",
    [MP_JOB_COMPLETED_WITH_ERRORS] = "COMPLETED_WITH_ERRORS",
    [MP_JOB_FAILED] = "FAILED",
    [MP_JOB_CANCELLED] = "CANCELLED",
};
#define NSTATUS (sizeof names / sizeof names[0])

const char *mp_job_status_name(mp_job_status_t st) {
  return (unsigned)st < NSTATUS ? names[st] : "?";
}

int mp_job_status_parse(const char *name, mp_job_status_t *out) {
  for (size_t i = 0; name && i < NSTATUS; i++)
    if (!strcmp(name, names[i])) {
      *out = (mp_job_status_t)i;
      return 0;
    }
  return MP_ENOTFOUND;
}

bool mp_job_status_running(mp_job_status_t st) {
  return st == MP_JOB_NEW || st == MP_JOB_PRODUCING || st == MP_JOB_IN_PROGRESS;
}

bool mp_job_status_final(mp_job_status_t st) {
  return st == MP_JOB_COMPLETED || st == MP_JOB_COMPLETED_WITH_ERRORS ||
         st == MP_JOB_FAILED || st == MP_JOB_CANCELLED;
}
