/* query.c: reading jobs back: summaries (counters summed over the
 * per-partition progress rows; the share of the input read, from the live
 * producer's lease stats), lists, journal errors with raw bytes, the
 * seqs journaled (resume), the records that replaced one of the same job.
 * Read-only statements on a blocking libpq connection. */
#include "job_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/pg.h"
#include "marcpipe/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_SELECT                                                         \
  "SELECT j.id, j.status, coalesce(j.file_name, ''), "                         \
  "coalesce(j.file_format, ''), coalesce(j.topic, ''), coalesce(j.total, -1), " \
  "j.produced, coalesce(sum(p.processed), 0), coalesce(sum(p.created), 0), "   \
  "coalesce(sum(p.updated), 0), coalesce(sum(p.duplicates), 0), "              \
  "coalesce(sum(p.skipped), 0), coalesce(sum(p.errors), 0), "                  \
  "coalesce(j.failure_reason, ''), extract(epoch FROM j.created_at), "         \
  "coalesce(extract(epoch FROM j.started_at), 0), "                            \
  "coalesce(extract(epoch FROM j.completed_at), 0), "                          \
  "coalesce(sum(p.skipped_matched), 0), coalesce(sum(p.skipped_no_match), 0), " \
  "coalesce(j.profile::text, ''), " MP__JOB_STALLED_SQL ", "                  \
  "j.cancel_requested_at IS NOT NULL, j.resumes, "                             \
  "coalesce((SELECT max((l.stats->>'input_read')::float8) FROM leases l "      \
  "WHERE l.job_id = j.id AND l.role = 'producer' AND l.expires_at > now()), -1) " \
  "FROM jobs j LEFT JOIN job_progress p ON p.job_id = j.id "

static void copy_str(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src);
}

static void read_summary(const PGresult *r, int row, mp_job_summary_t *s) {
  memset(s, 0, sizeof *s);
  s->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
  /* jobs_status_check (migration 004) admits only the names of the table */
  (void)mp_job_status_parse(PQgetvalue(r, row, 1), &s->status);
  copy_str(s->file_name, sizeof s->file_name, PQgetvalue(r, row, 2));
  copy_str(s->file_format, sizeof s->file_format, PQgetvalue(r, row, 3));
  copy_str(s->topic, sizeof s->topic, PQgetvalue(r, row, 4));
  int64_t *nums[] = {&s->total,   &s->produced, &s->processed,  &s->created,
                     &s->updated, &s->duplicates, &s->skipped, &s->errors};
  for (int i = 0; i < 8; i++)
    *nums[i] = strtoll(PQgetvalue(r, row, 5 + i), NULL, 10);
  copy_str(s->failure_reason, sizeof s->failure_reason, PQgetvalue(r, row, 13));
  s->created_at = strtod(PQgetvalue(r, row, 14), NULL);
  s->started_at = strtod(PQgetvalue(r, row, 15), NULL);
  s->completed_at = strtod(PQgetvalue(r, row, 16), NULL);
  s->skipped_matched = strtoll(PQgetvalue(r, row, 17), NULL, 10);
  s->skipped_no_match = strtoll(PQgetvalue(r, row, 18), NULL, 10);
  copy_str(s->profile, sizeof s->profile, PQgetvalue(r, row, 19));
  s->stalled = !strcmp(PQgetvalue(r, row, 20), "t");
  s->cancel_requested = !strcmp(PQgetvalue(r, row, 21), "t");
  s->resumes = atoi(PQgetvalue(r, row, 22));
  s->input_read = strtod(PQgetvalue(r, row, 23), NULL);
  if (!(s->input_read > 0 && s->input_read <= 1))
    s->input_read = -1;
}

int mp_job_get(PGconn *c, int64_t id, mp_job_summary_t *out, char *errbuf,
               size_t errlen) {
  PGresult *r;
  int rc = mp__job_query_id(c, SUMMARY_SELECT "WHERE j.id = $1 GROUP BY j.id", id, NULL,
                            true, "reading a job", &r, errbuf, errlen);
  if (rc)
    return rc;
  read_summary(r, 0, out);
  PQclear(r);
  return 0;
}

int mp_job_self_matches(PGconn *c, int64_t id, mp_job_self_matches_t *out,
                        char *errbuf, size_t errlen) {
  memset(out, 0, sizeof *out);
  PGresult *r;
  int rc = mp__job_query_id(
      c,
      "WITH g AS (SELECT coalesce(min(match_key), '') AS k, count(*) - 1 AS m"
      " FROM journal WHERE job_id = $1 AND instance_id IS NOT NULL"
      " AND outcome IN ('CREATED', 'UPDATED', 'DUPLICATE')"
      " GROUP BY instance_id HAVING count(*) > 1),"
      " t AS (SELECT k, sum(m) AS m FROM g GROUP BY k ORDER BY 2 DESC, 1 LIMIT 1)"
      " SELECT coalesce((SELECT sum(m) FROM g), 0),"
      " coalesce((SELECT k FROM t), ''), coalesce((SELECT m FROM t), 0)",
      id, NULL, false, "counting matches inside the job", &r, errbuf, errlen);
  if (rc)
    return rc;
  out->records = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  snprintf(out->key, sizeof out->key, "%s", PQgetvalue(r, 0, 1));
  out->key_records = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
  PQclear(r);
  return 0;
}

void mp_job_self_matches_line(const mp_job_self_matches_t *m, char *out,
                              size_t n) {
  if (!m->records) {
    snprintf(out, n, "%s", "");
    return;
  }
  char key[3 * sizeof m->key];
  mp_text_shown(m->key, key, sizeof key);
  snprintf(out, n,
           "%lld record%s matched a record of the same job (by match key "
           "%s: %lld); each replaced the one before",
           (long long)m->records, m->records == 1 ? "" : "s", key,
           (long long)m->key_records);
}

int mp_job_journaled(PGconn *c, int64_t id, uint8_t **bits, int64_t *nbits,
                     int64_t *prefix, char *errbuf, size_t errlen) {
  *bits = NULL;
  *nbits = *prefix = 0;
  PGresult *r;
  /* text mode, one row per seq: 10 M seqs are ~100 MB of result at worst,
   * read once per resume */
  int rc = mp__job_query_id(c, "SELECT seq FROM journal WHERE job_id = $1 "
                               "AND seq > 0 ORDER BY seq",
                            id, NULL, false, "reading journaled seqs", &r,
                            errbuf, errlen);
  if (rc)
    return rc;
  int rows = PQntuples(r);
  int64_t max = rows ? strtoll(PQgetvalue(r, rows - 1, 0), NULL, 10) : 0;
  uint8_t *b = max > 0 ? calloc((size_t)(max + 7) / 8, 1) : NULL;
  if (max > 0 && !b) {
    PQclear(r);
    return MP_ENOMEM;
  }
  int64_t k = 0;
  for (int i = 0; i < rows; i++) {
    int64_t seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    if (seq < 1 || seq > max)
      continue;
    b[(seq - 1) / 8] |= (uint8_t)(1u << ((seq - 1) % 8));
    if (seq == k + 1)
      k = seq;
  }
  PQclear(r);
  *bits = b;
  *nbits = max;
  *prefix = k;
  return 0;
}

int mp_job_list(PGconn *c, size_t limit, mp_job_summary_t **out, size_t *n,
                char *errbuf, size_t errlen) {
  return mp_job_list_before(c, 0, limit, out, n, errbuf, errlen);
}

int mp_job_list_before(PGconn *c, int64_t before, size_t limit, mp_job_summary_t **out,
                       size_t *n, char *errbuf, size_t errlen) {
  *out = NULL;
  *n = 0;
  char lim[24], bef[24];
  snprintf(lim, sizeof lim, "%zu", limit);
  snprintf(bef, sizeof bef, "%lld", (long long)before);
  const char *p[2] = {limit ? lim : NULL, before > 0 ? bef : NULL};
  PGresult *r;
  int rc = mp__job_query(c, SUMMARY_SELECT "WHERE $2::bigint IS NULL OR j.id < $2::bigint "
                         "GROUP BY j.id ORDER BY j.id DESC LIMIT $1::bigint",
                         2, p, "listing jobs", &r, errbuf, errlen);
  if (rc)
    return rc;
  int rows = PQntuples(r);
  mp_job_summary_t *v = rows ? calloc((size_t)rows, sizeof *v) : NULL;
  if (rows && !v) {
    PQclear(r);
    return MP_ENOMEM;
  }
  for (int i = 0; i < rows; i++)
    read_summary(r, i, &v[i]);
  PQclear(r);
  *out = v;
  *n = (size_t)rows;
  return 0;
}

int mp_job_errors(PGconn *c, int64_t id, mp_job_error_cb cb, void *ud,
                  char *errbuf, size_t errlen) {
  mp_job_summary_t s;
  int rc = mp_job_get(c, id, &s, errbuf, errlen);
  if (rc)
    return rc;
  PGresult *r;
  rc = mp__job_query_id(c,
                        "SELECT seq, partition, coalesce(kafka_offset, -1), "
                        "coalesce(file_offset, -1), coalesce(match_key, ''), "
                        "coalesce(error_class, ''), coalesce(reason, ''), raw "
                        "FROM journal WHERE job_id = $1 AND outcome = 'ERROR' ORDER BY seq",
                        id, NULL, false, "reading journal errors", &r, errbuf, errlen);
  if (rc)
    return rc;
  for (int i = 0; i < PQntuples(r) && !rc; i++) {
    mp_job_error_t e = {0};
    e.seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    e.partition = atoi(PQgetvalue(r, i, 1));
    e.kafka_offset = strtoll(PQgetvalue(r, i, 2), NULL, 10);
    e.file_offset = strtoll(PQgetvalue(r, i, 3), NULL, 10);
    e.match_key = PQgetvalue(r, i, 4);
    e.error_class = PQgetvalue(r, i, 5);
    e.reason = PQgetvalue(r, i, 6);
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    if (!PQgetisnull(r, i, 7)) {
      raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 7), &rawlen);
      if (!raw) {
        rc = MP_ENOMEM;
        break;
      }
    }
    e.raw = (const char *)raw;
    e.raw_len = rawlen;
    rc = cb(ud, &e);
    PQfreemem(raw);
  }
  PQclear(r);
  return rc;
}
