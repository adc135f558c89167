/* api.c: /api/jobs and /api/jobs/ID (JSON for scripts and the pages'
 * live updates), and the control actions (POST cancel, resume, delete),
 * allowed only with --allow-control and the token. Resume starts `marcpipe
 * import --resume ID` as a detached process of its own (the producer and
 * workers of the job), with the conninfo in its environment. */
#include "serve_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/joblog.h"

#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static json_t *job_json(PGconn *c, const mp_job_summary_t *s) {
  json_t *o = mp_job_summary_json(s);
  if (!o)
    return NULL;
  double rate = mp__job_shown_rate(c, s), pct = mp__job_percent(s);
  json_object_set_new(o, "rate", json_real(rate));
  json_object_set_new(o, "percent", json_real(pct));
  json_object_set_new(o, "running", json_boolean(mp__job_running(s)));
  return o;
}

static void send_json(mp_resp_t *p, json_t *o) {
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s)
    return mp__resp_error(p, 500, "out of memory");
  p->content_type = "application/json";
  mp_buf_puts(&p->body, s);
  free(s);
}

void mp__api_jobs(mp_req_t *r, mp_resp_t *p) {
  mp_job_summary_t *v = NULL;
  size_t n = 0;
  char err[512];
  if (mp_job_list(r->db, 100, &v, &n, err, sizeof err))
    return mp__resp_error(p, 500, "cannot list jobs");
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, job_json(r->db, &v[i]));
  free(v);
  send_json(p, a);
}

void mp__api_job(mp_req_t *r, int64_t job, mp_resp_t *p) {
  mp_job_summary_t s;
  char err[512];
  int rc = mp_job_get(r->db, job, &s, err, sizeof err);
  if (rc)
    return mp__resp_error(p, rc == MP_ENOTFOUND ? 404 : 500,
                          rc == MP_ENOTFOUND ? "no such job" : "cannot read the job");
  send_json(p, job_json(r->db, &s));
}

/* Constant-time comparison of the presented token. */
static bool token_ok(const mp_serve_t *s, const char *given) {
  if (!given || !s->token || strlen(given) != strlen(s->token))
    return false;
  unsigned char d = 0;
  for (size_t i = 0; s->token[i]; i++)
    d |= (unsigned char)(given[i] ^ s->token[i]);
  return d == 0;
}

/* Start `self import --resume ID -q --tenant T` detached (double fork: no
 * zombie; its own session: a signal to serve does not reach it). */
static int spawn_resume(mp_serve_t *s, int64_t job) {
  if (!s->self_exe)
    return MP_ECONFIG;
  char id[24], dbenv[1200];
  snprintf(id, sizeof id, "%lld", (long long)job);
  snprintf(dbenv, sizeof dbenv, "MARCPIPE_DB=%s", s->conninfo);
  char *argv[] = {s->self_exe, "import", "--resume", id, "-q", "--tenant", s->tenant, NULL};
  size_t ne = 0;
  while (environ[ne])
    ne++;
  char **envp = calloc(ne + 2, sizeof *envp);
  if (!envp)
    return MP_ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < ne; i++)
    if (strncmp(environ[i], "MARCPIPE_DB=", 12))
      envp[k++] = environ[i];
  envp[k++] = dbenv;
  envp[k] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    if (fork() == 0) {
      int fd = open("/dev/null", O_RDWR);
      if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execve(argv[0], argv, envp);
      _exit(127);
    }
    _exit(0);
  }
  free(envp);
  if (pid < 0)
    return MP_EIO;
  waitpid(pid, NULL, 0);
  return 0;
}

void mp__control(mp_req_t *r, int64_t job, const char *action, mp_resp_t *p) {
  mp_serve_t *s = r->srv;
  if (!s->allow_control)
    return mp__resp_error(p, 403, "control actions are off (serve --allow-control)");
  if (!token_ok(s, MHD_lookup_connection_value(r->mc, MHD_HEADER_KIND,
                                               "X-Marcpipe-Token")))
    return mp__resp_error(p, 403, "missing or wrong X-Marcpipe-Token");
  char err[512] = "";
  int rc = 0;
  mp_buf_t *b = &p->body;
  p->content_type = "text/plain; charset=utf-8";
  if (!strcmp(action, "cancel")) {
    mp_cancel_result_t res;
    if (!(rc = mp_job_cancel(r->db, job, &res, err, sizeof err)))
      mp_buf_printf(b, "job %lld %s\n", (long long)job,
                    res == MP_CANCEL_DONE ? "CANCELLED" : "asked to cancel");
  } else if (!strcmp(action, "delete")) {
    int64_t rows = 0;
    if (!(rc = mp_job_delete(r->db, job, &rows, err, sizeof err)))
      mp_buf_printf(b, "job %lld deleted (%lld journal rows); Instances kept\n",
                    (long long)job, (long long)rows);
  } else { /* resume: checked here, done by the import it starts */
    mp_job_summary_t js;
    if (!(rc = mp_job_get(r->db, job, &js, err, sizeof err))) {
      if (js.status != MP_JOB_CANCELLED && !js.stalled) {
        snprintf(err, sizeof err, "job %lld is %s: only a cancelled or stalled job "
                                  "can be resumed", (long long)job,
                                  mp_job_status_name(js.status));
        rc = MP_EUSAGE;
      } else if ((rc = spawn_resume(s, job))) {
        snprintf(err, sizeof err, "cannot start the import: %s", mp_strerror(rc));
      } else {
        mp_buf_printf(b, "job %lld resuming (marcpipe import --resume %lld)\n",
                      (long long)job, (long long)job);
      }
    }
  }
  if (rc)
    mp__resp_error(p, rc == MP_ENOTFOUND ? 404 : rc == MP_EUSAGE ? 409 : 500, err);
}
