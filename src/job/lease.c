/* lease.c: leases renewed by a thread of their own (lease.h).
 *
 * The thread owns the connection. It renews, then waits on a condition
 * variable for the interval or a wake-up (set_job, stop). Shared fields
 * (job id, stats, stop flag) are guarded by the mutex; the cancel flag is
 * an atomic read by any thread. Every statement has text parameters only.
 * The holder name is host:pid:role, unique per process and role. */
#include "marcpipe/lease.h"

#include "marcpipe/error.h"
#include "marcpipe/pg.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct mp_lease_s {
  char *conninfo, *tenant, *topic, *group;
  char role[16];
  char holder[320];
  char host[256];
  unsigned interval_ms;
  PGconn *conn;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int64_t job_id; /* mu */
  char *stats;    /* mu */
  bool stop;      /* mu */
  bool wake;      /* mu */
  atomic_bool cancel;
};

static char *dup0(const char *s) { return s ? strdup(s) : NULL; }

static const char renew_sql[] =
    "INSERT INTO leases AS l (holder, role, job_id, topic, group_id, host, pid,"
    " expires_at, stats)"
    " VALUES ($1, $2, $3::bigint, $4, $5, $6, $7::int,"
    "  now() + $8::int * interval '1 millisecond', $9::jsonb)"
    " ON CONFLICT (holder) DO UPDATE SET job_id = EXCLUDED.job_id,"
    " topic = EXCLUDED.topic, group_id = EXCLUDED.group_id,"
    " heartbeat_at = now(), expires_at = EXCLUDED.expires_at,"
    " stats = coalesce(EXCLUDED.stats, l.stats)";

/* A producer's job: one rate sample, and whether a cancel was asked. */
static const char job_sql[] =
    "WITH s AS (INSERT INTO job_samples (job_id, processed)"
    "  SELECT $1::bigint, coalesce(sum(processed), 0) FROM job_progress"
    "  WHERE job_id = $1::bigint ON CONFLICT DO NOTHING)"
    " SELECT cancel_requested_at IS NOT NULL FROM jobs WHERE id = $1::bigint";

static bool ensure_conn(mp_lease_t *l) {
  if (l->conn && PQstatus(l->conn) == CONNECTION_OK)
    return true;
  if (l->conn)
    PQfinish(l->conn);
  l->conn = NULL;
  char err[512];
  return mp_pg_connect(l->conninfo, l->tenant, &l->conn, err, sizeof err) == 0;
}

/* One renewal; 0 or MP_E* (errbuf set). */
static int renew(mp_lease_t *l, char *errbuf, size_t errlen) {
  if (!ensure_conn(l)) {
    snprintf(errbuf, errlen, "lease: cannot connect to PostgreSQL");
    return MP_ETRANSIENT;
  }
  pthread_mutex_lock(&l->mu);
  int64_t job = l->job_id;
  char *stats = l->stats;
  l->stats = NULL;
  pthread_mutex_unlock(&l->mu);
  char jobs[24], pid[24], ttl[24];
  snprintf(jobs, sizeof jobs, "%lld", (long long)job);
  snprintf(pid, sizeof pid, "%d", (int)getpid());
  snprintf(ttl, sizeof ttl, "%u", l->interval_ms * MP_LEASE_TTL_BEATS);
  const char *p[9] = {l->holder, l->role, job > 0 ? jobs : NULL, l->topic, l->group,
                      l->host, pid, ttl, stats};
  PGresult *r = PQexecParams(l->conn, renew_sql, 9, NULL, p, NULL, NULL, 0);
  int rc = 0;
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    rc = mp_pg_fail(l->conn, r, "renewing a lease", errbuf, errlen);
  PQclear(r);
  free(stats);
  if (!rc && job > 0 && !strcmp(l->role, "producer")) {
    const char *jp[1] = {jobs};
    r = PQexecParams(l->conn, job_sql, 1, NULL, jp, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
      rc = mp_pg_fail(l->conn, r, "reading the job's cancel request", errbuf, errlen);
    else if (PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t"))
      atomic_store(&l->cancel, true);
    PQclear(r);
  }
  return rc;
}

static void *beat_thread(void *arg) {
  mp_lease_t *l = arg;
  char err[512];
  pthread_mutex_lock(&l->mu);
  while (!l->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += l->interval_ms / 1000;
    until.tv_nsec += (long)(l->interval_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while (!l->stop && !l->wake &&
           pthread_cond_timedwait(&l->cv, &l->mu, &until) != ETIMEDOUT)
      ;
    l->wake = false;
    if (l->stop)
      break;
    pthread_mutex_unlock(&l->mu);
    renew(l, err, sizeof err); /* a failure is retried at the next beat */
    pthread_mutex_lock(&l->mu);
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

static void lease_free(mp_lease_t *l) {
  if (l->conn)
    PQfinish(l->conn);
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
  free(l->conninfo);
  free(l->tenant);
  free(l->topic);
  free(l->group);
  free(l->stats);
  free(l);
}

int mp_lease_start(const mp_lease_opts_t *o, mp_lease_t **out, char *errbuf,
                   size_t errlen) {
  *out = NULL;
  if (!o->role || (strcmp(o->role, "producer") && strcmp(o->role, "worker"))) {
    snprintf(errbuf, errlen, "lease: role must be producer or worker");
    return MP_EUSAGE;
  }
  mp_lease_t *l = calloc(1, sizeof *l);
  if (!l)
    return MP_ENOMEM;
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  l->conninfo = strdup(o->conninfo ? o->conninfo : "");
  l->tenant = dup0(o->tenant);
  l->topic = dup0(o->topic);
  l->group = dup0(o->group);
  l->job_id = o->job_id;
  snprintf(l->role, sizeof l->role, "%s", o->role);
  const char *env = getenv("MARCPIPE_HEARTBEAT_MS");
  long ms = env ? strtol(env, NULL, 10) : 0;
  l->interval_ms = o->interval_ms ? o->interval_ms
                   : ms > 0       ? (unsigned)ms
                                  : MP_LEASE_INTERVAL_MS;
  if (gethostname(l->host, sizeof l->host - 1))
    snprintf(l->host, sizeof l->host, "localhost");
  snprintf(l->holder, sizeof l->holder, "%s:%d:%s", l->host, (int)getpid(), l->role);
  int rc = (!l->conninfo || (o->tenant && !l->tenant)) ? MP_ENOMEM : 0;
  if (!rc && mp_pg_connect(l->conninfo, l->tenant, &l->conn, errbuf, errlen))
    rc = MP_ETRANSIENT;
  if (!rc)
    rc = renew(l, errbuf, errlen);
  if (!rc) { /* rows of processes long gone (killed, never released) */
    PGresult *r = PQexec(l->conn, "DELETE FROM leases WHERE expires_at < now() - interval '1 day'");
    PQclear(r);
  }
  if (!rc && pthread_create(&l->thread, NULL, beat_thread, l)) {
    snprintf(errbuf, errlen, "lease: cannot start its thread");
    rc = MP_ENOMEM;
  }
  if (rc) {
    lease_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

void mp_lease_set_job(mp_lease_t *l, int64_t job_id) {
  pthread_mutex_lock(&l->mu);
  if (l->job_id != job_id)
    atomic_store(&l->cancel, false);
  l->job_id = job_id;
  l->wake = true;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

void mp_lease_set_stats(mp_lease_t *l, const char *json) {
  char *s = dup0(json);
  pthread_mutex_lock(&l->mu);
  free(l->stats);
  l->stats = s;
  pthread_mutex_unlock(&l->mu);
}

bool mp_lease_cancel_requested(const mp_lease_t *l) {
  return atomic_load(&((mp_lease_t *)l)->cancel);
}

unsigned mp_lease_interval_ms(const mp_lease_t *l) { return l->interval_ms; }

void mp_lease_stop(mp_lease_t *l) {
  if (!l)
    return;
  pthread_mutex_lock(&l->mu);
  l->stop = true;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->thread, NULL);
  if (ensure_conn(l)) {
    const char *p[1] = {l->holder};
    PGresult *r = PQexecParams(l->conn, "DELETE FROM leases WHERE holder = $1", 1,
                               NULL, p, NULL, NULL, 0);
    PQclear(r);
  }
  lease_free(l);
}
