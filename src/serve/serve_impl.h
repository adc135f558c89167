/* serve_impl.h: internals of the web console (serve.h) shared by its
 * files: the server, one request, the response being built, helpers.
 * Handlers run on libmicrohttpd's pool threads, each with one pooled
 * database connection for the length of the request. */
#ifndef MP_SERVE_IMPL_H
#define MP_SERVE_IMPL_H

#include "marcpipe/buf.h"
#include "marcpipe/serve.h"

#include <libpq-fe.h>
#include <pthread.h>

struct MHD_Connection;

typedef struct mp_serve_pool_s {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  PGconn **conns;
  bool *busy;
  int n;
} mp_serve_pool_t;

struct mp_serve_s {
  struct MHD_Daemon *d;
  mp_serve_pool_t pool;
  char *conninfo, *tenant, *token, *self_exe, *host;
  bool allow_control;
  int port;
};

typedef struct mp_req_s {
  mp_serve_t *srv;
  struct MHD_Connection *mc;
  PGconn *db;
  const char *method;
  const char *path;
} mp_req_t;

typedef struct mp_resp_s {
  int status;
  const char *content_type;
  const char *disposition; /* Content-Disposition, or NULL */
  mp_buf_t body;
} mp_resp_t;

/* Query-string argument, NULL when absent. */
const char *mp__req_arg(const mp_req_t *r, const char *name);
/* A positive integer argument: 0 when absent, -1 when malformed. */
int64_t mp__req_int(const mp_req_t *r, const char *name);

/* Plain-text error page with the status. */
void mp__resp_error(mp_resp_t *p, int status, const char *msg);

/* HTML escaping of s (NULL = "") into b: & < > " ' */
int mp__html(mp_buf_t *b, const char *s);
/* Page head (title escaped) and foot. */
int mp__html_head(mp_buf_t *b, const char *title);
int mp__html_foot(mp_buf_t *b, const char *script);

/* Handlers; each fills p (status 200 unless it says otherwise). */
void mp__page_jobs(mp_req_t *r, mp_resp_t *p);
void mp__page_job(mp_req_t *r, int64_t job, mp_resp_t *p);
void mp__page_record(mp_req_t *r, int64_t job, int64_t seq, mp_resp_t *p);
void mp__page_chart(mp_req_t *r, int64_t job, mp_resp_t *p);
void mp__export_errors(mp_req_t *r, int64_t job, mp_resp_t *p);
void mp__api_jobs(mp_req_t *r, mp_resp_t *p);
void mp__api_job(mp_req_t *r, int64_t job, mp_resp_t *p);
void mp__metrics(mp_req_t *r, mp_resp_t *p);
void mp__control(mp_req_t *r, int64_t job, const char *action, mp_resp_t *p);

/* Recent rate (records/s over the last samples) of a job, -1 unknown. */
double mp__job_rate(PGconn *c, int64_t job);
struct mp_job_summary_s;
/* Running: NEW, PRODUCING or IN_PROGRESS and not stalled. */
bool mp__job_running(const struct mp_job_summary_s *s);
/* Records/s to show: recent for a running job, the average otherwise
 * (-1 unknown). */
double mp__job_shown_rate(PGconn *c, const struct mp_job_summary_s *s);
/* Progress in percent: processed of total; while the total is unknown, of
 * the records the input holds estimated from the share of its bytes read
 * (input_read), else of produced; then at most 99.9. */
double mp__job_percent(const struct mp_job_summary_s *s);

#endif
