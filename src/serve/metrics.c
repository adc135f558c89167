/* metrics.c: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4). Job series come from jobs + job_progress (the newest
 * 100 jobs of the tenant), the producer's credit from its lease's stats;
 * worker series from the live leases' stats
 * (lease.h, work_metrics.h: what only the workers know). Label values are
 * escaped as the format requires (backslash, double quote, newline). */
#include "serve_impl.h"

#include "marcpipe/job.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void label(mp_buf_t *b, const char *v) {
  for (const char *p = v ? v : ""; *p; p++) {
    if (*p == '\\' || *p == '"')
      mp_buf_printf(b, "\\%c", *p);
    else if (*p == '\n')
      mp_buf_puts(b, "\\n");
    else
      mp_buf_putc(b, *p);
  }
}

static void help(mp_buf_t *b, const char *name, const char *type, const char *text) {
  mp_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Producer credit in use per job, from the producers' leases (records
 * read but not yet processed; import publishes it): -1 when none says. */
static int64_t producer_credit(PGresult *pl, int64_t job) {
  for (int i = 0; pl && i < PQntuples(pl); i++)
    if (strtoll(PQgetvalue(pl, i, 0), NULL, 10) == job)
      return strtoll(PQgetvalue(pl, i, 1), NULL, 10);
  return -1;
}

static void job_series(mp_buf_t *b, const char *tenant, const mp_job_summary_t *v,
                       size_t n, PGresult *pl) {
  help(b, "marcpipe_job_records_total", "counter",
       "Records of a job by outcome (journal rows written).");
  for (size_t i = 0; i < n; i++) {
    const char *names[] = {"created", "updated", "duplicate", "skipped", "error"};
    int64_t vals[] = {v[i].created, v[i].updated, v[i].duplicates, v[i].skipped,
                      v[i].errors};
    for (int k = 0; k < 5; k++) {
      mp_buf_puts(b, "marcpipe_job_records_total{tenant=\"");
      label(b, tenant);
      mp_buf_printf(b, "\",job=\"%lld\",outcome=\"%s\"} %lld\n", (long long)v[i].id,
                    names[k], (long long)vals[k]);
    }
  }
  struct {
    const char *name, *type, *help;
  } m[] = {{"marcpipe_job_processed_total", "counter", "Records of a job processed."},
           {"marcpipe_job_produced_total", "counter",
            "Records of a job delivered to Kafka (contiguous prefix)."},
           {"marcpipe_job_total_records", "gauge", "Records of a job's input, once known."},
           {"marcpipe_producer_credit_in_use", "gauge",
            "Records of a running job read by its producer but not yet processed."}};
  for (int k = 0; k < 4; k++) {
    help(b, m[k].name, m[k].type, m[k].help);
    for (size_t i = 0; i < n; i++) {
      int64_t val = k == 0 ? v[i].processed : k == 1 ? v[i].produced
                  : k == 2 ? v[i].total
                           : producer_credit(pl, v[i].id);
      bool run = v[i].status == MP_JOB_PRODUCING || v[i].status == MP_JOB_IN_PROGRESS;
      if ((k == 2 || k == 3) && val < 0)
        continue;
      if (k == 3 && (!run || v[i].stalled))
        continue;
      mp_buf_printf(b, "%s{tenant=\"", m[k].name);
      label(b, tenant);
      mp_buf_printf(b, "\",job=\"%lld\"} %lld\n", (long long)v[i].id, (long long)val);
    }
  }
  help(b, "marcpipe_job_state", "gauge", "1 for the state a job is in.");
  for (size_t i = 0; i < n; i++) {
    mp_buf_puts(b, "marcpipe_job_state{tenant=\"");
    label(b, tenant);
    mp_buf_printf(b, "\",job=\"%lld\",state=\"%s\"} 1\n", (long long)v[i].id,
                  mp_job_display_status(&v[i]));
  }
}

static json_int_t num(json_t *o, const char *k) {
  return json_integer_value(json_object_get(o, k));
}

static void histogram(mp_buf_t *b, const char *name, const char *worker, json_t *h) {
  json_t *le = json_object_get(h, "le"), *cum = json_object_get(h, "cumulative");
  size_t n = json_array_size(le);
  for (size_t i = 0; i <= n && i < json_array_size(cum); i++) {
    mp_buf_printf(b, "%s_bucket{worker=\"", name);
    label(b, worker);
    if (i < n)
      mp_buf_printf(b, "\",le=\"%g\"} ", json_real_value(json_array_get(le, i)));
    else
      mp_buf_puts(b, "\",le=\"+Inf\"} ");
    mp_buf_printf(b, "%lld\n", (long long)json_integer_value(json_array_get(cum, i)));
  }
  mp_buf_printf(b, "%s_sum{worker=\"", name);
  label(b, worker);
  mp_buf_printf(b, "\"} %.6f\n%s_count{worker=\"", json_real_value(json_object_get(h, "sum")),
                name);
  label(b, worker);
  mp_buf_printf(b, "\"} %lld\n", (long long)num(h, "count"));
}

typedef struct {
  char *holder, *topic;
  json_t *st;
} worker_t;

static void worker_series(mp_buf_t *b, worker_t *w, int n) {
  struct {
    const char *name, *type, *key, *help;
  } g[] = {
      {"marcpipe_worker_window_records", "gauge", "records_held", "Records in the window."},
      {"marcpipe_worker_window_limit_records", "gauge", "window_records",
       "The window's record bound (0 = none)."},
      {"marcpipe_worker_window_bytes", "gauge", "bytes_held", "Bytes in the window."},
      {"marcpipe_worker_window_limit_bytes", "gauge", "window_bytes",
       "The window's byte bound (0 = none)."},
      {"marcpipe_worker_committed_total", "counter", "committed",
       "Records in batches the database committed."},
      {"marcpipe_worker_pauses_total", "counter", "pauses", "Times the window paused."},
      {"marcpipe_worker_fetch_restarts_total", "counter", "fetch_restarts",
       "Partition fetches the stall check restarted (work --stall-ms)."}};
  help(b, "marcpipe_worker_up", "gauge", "1 for each worker holding a live lease.");
  for (int i = 0; i < n; i++) {
    mp_buf_puts(b, "marcpipe_worker_up{worker=\"");
    label(b, w[i].holder);
    mp_buf_puts(b, "\",topic=\"");
    label(b, w[i].topic);
    mp_buf_puts(b, "\"} 1\n");
  }
  for (size_t k = 0; k < sizeof g / sizeof *g; k++) {
    help(b, g[k].name, g[k].type, g[k].help);
    for (int i = 0; i < n; i++) {
      mp_buf_printf(b, "%s{worker=\"", g[k].name);
      label(b, w[i].holder);
      mp_buf_printf(b, "\"} %lld\n", (long long)num(w[i].st, g[k].key));
    }
  }
  help(b, "marcpipe_worker_paused_seconds_total", "counter",
       "Time the window spent paused (100 ms samples).");
  for (int i = 0; i < n; i++) {
    mp_buf_puts(b, "marcpipe_worker_paused_seconds_total{worker=\"");
    label(b, w[i].holder);
    mp_buf_printf(b, "\"} %.1f\n",
                  json_real_value(json_object_get(w[i].st, "paused_seconds")));
  }
  help(b, "marcpipe_partition_lag", "gauge",
       "Records of a partition not yet read by its worker (high watermark - position).");
  for (int i = 0; i < n; i++) {
    const char *part;
    json_t *v;
    json_object_foreach(json_object_get(w[i].st, "lag"), part, v) {
      mp_buf_puts(b, "marcpipe_partition_lag{worker=\"");
      label(b, w[i].holder);
      mp_buf_puts(b, "\",topic=\"");
      label(b, w[i].topic);
      mp_buf_puts(b, "\",partition=\"");
      label(b, part);
      mp_buf_printf(b, "\"} %lld\n", (long long)json_integer_value(v));
    }
  }
  help(b, "marcpipe_batch_size", "histogram", "Records per committed batch.");
  for (int i = 0; i < n; i++)
    histogram(b, "marcpipe_batch_size", w[i].holder, json_object_get(w[i].st, "batch_size"));
  help(b, "marcpipe_transaction_seconds", "histogram",
       "Seconds per batch transaction (committed batches).");
  for (int i = 0; i < n; i++)
    histogram(b, "marcpipe_transaction_seconds", w[i].holder,
              json_object_get(w[i].st, "txn_seconds"));
  help(b, "marcpipe_pg_errors_total", "counter",
       "Failed batch writes by class (retried; MP_ETRANSIENT = connection lost).");
  for (int i = 0; i < n; i++) {
    const char *cls;
    json_t *v;
    json_object_foreach(json_object_get(w[i].st, "pg_errors"), cls, v) {
      mp_buf_puts(b, "marcpipe_pg_errors_total{worker=\"");
      label(b, w[i].holder);
      mp_buf_puts(b, "\",class=\"");
      label(b, cls);
      mp_buf_printf(b, "\"} %lld\n", (long long)json_integer_value(v));
    }
  }
}

void mp__metrics(mp_req_t *r, mp_resp_t *p) {
  mp_job_summary_t *v = NULL;
  size_t n = 0;
  char err[512];
  if (mp_job_list(r->db, 100, &v, &n, err, sizeof err))
    return mp__resp_error(p, 500, "cannot list jobs");
  PGresult *q = PQexec(r->db, "SELECT holder, coalesce(topic, ''), coalesce(stats::text, '{}')"
                              " FROM leases WHERE role = 'worker' AND expires_at > now()"
                              " ORDER BY holder LIMIT 1000");
  if (PQresultStatus(q) != PGRES_TUPLES_OK) {
    PQclear(q);
    free(v);
    return mp__resp_error(p, 500, "cannot read leases");
  }
  int nw = PQntuples(q);
  worker_t *w = calloc((size_t)(nw ? nw : 1), sizeof *w);
  for (int i = 0; w && i < nw; i++) {
    w[i].holder = PQgetvalue(q, i, 0);
    w[i].topic = PQgetvalue(q, i, 1);
    w[i].st = json_loads(PQgetvalue(q, i, 2), 0, NULL);
    if (!w[i].st)
      w[i].st = json_object();
  }
  PGresult *pl = PQexec(r->db, "SELECT job_id, (stats->>'credit_in_use')::bigint"
                              " FROM leases WHERE role = 'producer' AND expires_at > now()"
                              " AND stats ? 'credit_in_use' ORDER BY holder LIMIT 1000");
  if (PQresultStatus(pl) != PGRES_TUPLES_OK) {
    PQclear(pl);
    pl = NULL;
  }
  p->content_type = "text/plain; version=0.0.4; charset=utf-8";
  job_series(&p->body, r->srv->tenant, v, n, pl);
  PQclear(pl);
  if (w)
    worker_series(&p->body, w, nw);
  for (int i = 0; w && i < nw; i++)
    json_decref(w[i].st);
  free(w);
  PQclear(q);
  free(v);
}
