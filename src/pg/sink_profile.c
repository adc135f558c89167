/* sink_profile.c: the sink's per-job profile cache. A batch may hold
 * records of several jobs; each record is applied with its job's profile
 * (jobs.profile, include/marcpipe/profile.h). Profiles are read once per
 * job id per sink, in one query for a batch's missing jobs; the
 * cache is emptied when full (it holds the few jobs running at a time).
 * Runs on the sink's thread; the cache lives in the sink. */
#include "sink_impl.h"

#include "marcpipe/buf.h"
#include "marcpipe/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mp__sink_prof_t *find(mp_sink_t *s, int64_t job) {
  for (size_t i = 0; i < s->nprof; i++)
    if (s->prof[i].job == job)
      return &s->prof[i];
  return NULL;
}

const mp__sink_prof_t *mp__sink_profile(mp_sink_t *s, int64_t job) {
  static const mp__sink_prof_t dflt = {
      .job = 0, .rc = 0, .p = {2, {MP_MATCH_CONTROL, MP_MATCH_OCLC}, MP_ON_UPDATE, MP_ON_CREATE}};
  const mp__sink_prof_t *p = find(s, job);
  return p ? p : &dflt;
}

static void store(mp_sink_t *s, int64_t job, const char *json) {
  if (s->nprof == MP_SINK_PROF_CACHE)
    s->nprof = 0;
  mp__sink_prof_t *p = &s->prof[s->nprof++];
  memset(p, 0, sizeof *p);
  p->job = job;
  p->rc = mp_profile_parse(json, &p->p, p->err, sizeof p->err);
}

int mp__sink_load_profiles(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                           char *errbuf, size_t errlen) {
  mp_buf_t ids;
  mp_buf_init(&ids);
  int rc = 0;
  size_t nmiss = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    if (find(s, recs[i].job_id))
      continue;
    bool seen = false; /* a job repeated in the batch is listed once */
    for (size_t j = 0; j < i && !seen; j++)
      seen = recs[j].job_id == recs[i].job_id;
    if (!seen)
      rc = mp_buf_printf(&ids, "%s%lld", nmiss++ ? "," : "{", (long long)recs[i].job_id);
  }
  if (!rc && nmiss && s->nprof + nmiss > MP_SINK_PROF_CACHE)
    s->nprof = 0;
  if (!rc && nmiss && !(rc = mp_buf_putc(&ids, '}'))) {
    const char *prm[1] = {ids.data};
    PGresult *r = PQexecParams(s->conn,
                               "SELECT id, profile::text FROM jobs WHERE id = ANY($1::bigint[])",
                               1, NULL, prm, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
      rc = mp_pg_fail(s->conn, r, "loading job profiles", errbuf, errlen);
    for (int row = 0; !rc && row < PQntuples(r); row++)
      store(s, strtoll(PQgetvalue(r, row, 0), NULL, 10),
            PQgetisnull(r, row, 1) ? NULL : PQgetvalue(r, row, 1));
    PQclear(r);
  }
  mp_buf_release(&ids);
  return rc;
}
