/* serve.h: the web console and metrics endpoint (`marcpipe serve`).
 *
 * An HTTP server (libmicrohttpd, its own thread pool) over one tenant's
 * database: server-rendered HTML pages (job list with live progress, job
 * page with counters, rate chart, log with outcome filter and keyset
 * paging, record view, error export, cancel/resume/delete buttons),
 * /metrics in Prometheus text format and /api/jobs[/ID] JSON. It reads
 * only PostgreSQL (jobs, journal, leases: what workers publish), so it can
 * run anywhere and as many times as wanted.
 *
 * Security: meant for loopback (the default); a request whose Host header
 * names another host is refused (DNS rebinding). Control actions (POST
 * cancel, resume, delete) exist only with allow_control and need the token
 * in the X-Marcpipe-Token header (pages served to the browser carry it;
 * other sites cannot read it). Every value from the database is
 * HTML-escaped; request strings reach SQL only as parameters, after
 * validation (ids are positive integers, outcomes one of five names); bad
 * requests get 400, unknown paths and jobs 404.
 */
#ifndef MARCPIPE_SERVE_H
#define MARCPIPE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mp_serve_opts_s {
  const char *conninfo;   /* libpq conninfo */
  const char *tenant;
  const char *host;       /* listen address, IPv4 dotted (default 127.0.0.1) */
  int port;               /* 0 = any free port (mp_serve_port) */
  bool allow_control;
  const char *token;      /* required with allow_control */
  const char *self_exe;   /* this binary, for resume (spawns import --resume) */
  int threads;            /* 0 = 4; also the database connections */
} mp_serve_opts_t;

typedef struct mp_serve_s mp_serve_t;

/* Connect the pool, bind and start serving. 0 or MP_E* with errbuf set. */
int mp_serve_start(const mp_serve_opts_t *o, mp_serve_t **out, char *errbuf,
                   size_t errlen);
int mp_serve_port(const mp_serve_t *s);
/* Stop serving (waits for requests in progress) and free. NULL ok. */
void mp_serve_stop(mp_serve_t *s);

#endif
