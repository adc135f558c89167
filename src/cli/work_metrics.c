/* work_metrics.c: worker metrics published through its lease
 * (work_metrics.h). */
#include "cli/work_metrics.h"

#include "marcpipe/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* upper bounds, Prometheus style (le); serve prints them as given here */
static const double batch_le[MP_WM_BATCH_BUCKETS] = {1,   10,   50,   100, 250,
                                                     500, 1000, 2000, 5000};
static const double lat_le[MP_WM_LAT_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                 0.5,   1,    2.5,   5,    10};

typedef struct {
  mp_work_metrics_t *m;
  void *inner;
} wsink_t;

static int w_open(void *ctx, int index, void **sink, char *errbuf, size_t errlen) {
  mp_work_metrics_t *m = ctx;
  wsink_t *s = calloc(1, sizeof *s);
  if (!s)
    return MP_ENOMEM;
  s->m = m;
  int rc = m->inner->open(m->inner_ctx, index, &s->inner, errbuf, errlen);
  if (rc) {
    free(s);
    return rc;
  }
  *sink = s;
  return 0;
}

static size_t bucket(const double *le, size_t n, double v) {
  size_t i = 0;
  while (i < n && v > le[i])
    i++;
  return i; /* n = +Inf */
}

static void count_class(mp_work_metrics_t *m, const char *name) {
  for (int i = 0; i < MP_WM_CLASSES; i++) {
    if (!m->class_name[i][0])
      snprintf(m->class_name[i], sizeof m->class_name[i], "%s", name);
    if (!strcmp(m->class_name[i], name)) {
      m->class_count[i]++;
      return;
    }
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int w_write(void *sink, const mp_sink_rec_t *recs, size_t n,
                   mp_sink_result_t *res) {
  wsink_t *s = sink;
  mp_work_metrics_t *m = s->m;
  double t0 = now_s();
  int rc = m->inner->write_batch(s->inner, recs, n, res);
  double dt = now_s() - t0;
  pthread_mutex_lock(&m->mu);
  if (rc) {
    count_class(m, mp_err_name(rc));
  } else if (n) {
    m->batch_counts[bucket(batch_le, MP_WM_BATCH_BUCKETS, (double)n)]++;
    m->lat_counts[bucket(lat_le, MP_WM_LAT_BUCKETS, dt)]++;
    m->batch_sum += (double)n;
    m->lat_sum += dt;
    m->nbatches++;
  }
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static int w_load(void *sink, const char *topic, const int32_t *parts,
                  mp_sink_offset_t *offs, size_t n) {
  wsink_t *s = sink;
  return s->m->inner->load_offsets(s->inner, topic, parts, offs, n);
}

static int w_reset(void *sink, const char *topic, int32_t partition,
                   int64_t next, const char *cluster_id) {
  wsink_t *s = sink;
  return s->m->inner->reset_offset(s->inner, topic, partition, next,
                                   cluster_id);
}

static void w_close(void *sink) {
  wsink_t *s = sink;
  if (!s)
    return;
  s->m->inner->close(s->inner);
  free(s);
}

void mp__work_metrics_wrap(mp_work_metrics_t *m, mp_worker_config_t *cfg) {
  pthread_mutex_init(&m->mu, NULL);
  m->inner = cfg->sink;
  m->inner_ctx = cfg->sink_ctx;
  m->ops = (mp_worker_sink_ops_t){.open = w_open,
                                  .write_batch = w_write,
                                  .load_offsets = w_load,
                                  .reset_offset = m->inner->reset_offset
                                                      ? w_reset
                                                      : NULL,
                                  .close = w_close};
  cfg->sink = &m->ops;
  cfg->sink_ctx = m;
}

static json_t *histogram(const double *le, size_t n, const uint64_t *counts,
                         double sum, uint64_t count) {
  json_t *b = json_array(), *c = json_array();
  uint64_t cum = 0;
  for (size_t i = 0; i <= n; i++) { /* cumulative, as Prometheus wants */
    cum += counts[i];
    if (i < n)
      json_array_append_new(b, json_real(le[i]));
    json_array_append_new(c, json_integer((json_int_t)cum));
  }
  return json_pack("{s:o s:o s:f s:I}", "le", b, "cumulative", c, "sum", sum,
                   "count", (json_int_t)count);
}

static char *snapshot(mp_work_metrics_t *m) {
  mp_worker_stats_t st;
  mp_worker_get_stats(m->w, &st);
  json_t *o = json_object();
  json_object_set_new(o, "consumed", json_integer((json_int_t)st.consumed));
  json_object_set_new(o, "committed", json_integer((json_int_t)st.committed));
  json_object_set_new(o, "batches", json_integer((json_int_t)st.batches));
  json_object_set_new(o, "records_held", json_integer((json_int_t)st.records_held));
  json_object_set_new(o, "bytes_held", json_integer((json_int_t)st.bytes_held));
  json_object_set_new(o, "window_records", json_integer((json_int_t)st.window_records));
  json_object_set_new(o, "window_bytes", json_integer((json_int_t)st.window_bytes));
  json_object_set_new(o, "paused", json_boolean(st.paused));
  json_object_set_new(o, "pauses", json_integer((json_int_t)st.pauses));
  json_object_set_new(o, "paused_seconds", json_real((double)m->paused_ms / 1000.0));
  json_object_set_new(o, "retries", json_integer((json_int_t)st.retries));
  json_object_set_new(o, "fetch_restarts", json_integer((json_int_t)st.fetch_restarts));
  json_object_set_new(o, "peak_rss_kb", json_integer((json_int_t)st.peak_rss_kb));
  pthread_mutex_lock(&m->mu);
  json_object_set_new(o, "batch_size",
                      histogram(batch_le, MP_WM_BATCH_BUCKETS, m->batch_counts,
                                m->batch_sum, m->nbatches));
  json_object_set_new(o, "txn_seconds",
                      histogram(lat_le, MP_WM_LAT_BUCKETS, m->lat_counts, m->lat_sum,
                                m->nbatches));
  json_t *cls = json_object();
  for (int i = 0; i < MP_WM_CLASSES && m->class_name[i][0]; i++)
    json_object_set_new(cls, m->class_name[i],
                        json_integer((json_int_t)m->class_count[i]));
  pthread_mutex_unlock(&m->mu);
  json_object_set_new(o, "pg_errors", cls);
  int32_t parts[256];
  int64_t lag[256];
  size_t n = mp_worker_partition_lag(m->w, parts, lag, 256);
  json_t *l = json_object();
  for (size_t i = 0; i < n; i++) {
    char k[16];
    snprintf(k, sizeof k, "%d", (int)parts[i]);
    json_object_set_new(l, k, json_integer(lag[i]));
  }
  json_object_set_new(o, "lag", l);
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return s;
}

#define TICK_MS 100

static void on_tick(uv_timer_t *t) {
  mp_work_metrics_t *m = t->data;
  mp_worker_stats_t st;
  mp_worker_get_stats(m->w, &st);
  if (st.paused)
    m->paused_ms += TICK_MS;
  unsigned every = mp_lease_interval_ms(m->lease) / TICK_MS;
  if (++m->ticks % (every ? every : 1) == 0) {
    char *s = snapshot(m);
    mp_lease_set_stats(m->lease, s);
    free(s);
  }
}

void mp__work_metrics_start(mp_work_metrics_t *m, uv_loop_t *loop, mp_worker_t *w,
                            const char *conninfo, const char *tenant,
                            const char *topic, const char *group) {
  m->w = w;
  char err[512];
  mp_lease_opts_t lo = {.conninfo = conninfo, .tenant = tenant, .role = "worker",
                        .topic = topic, .group = group};
  if (mp_lease_start(&lo, &m->lease, err, sizeof err)) {
    fprintf(stderr, "marcpipe work: no lease (liveness and metrics not "
                    "published): %s\n", err);
    return;
  }
  uv_timer_init(loop, &m->timer);
  m->timer.data = m;
  uv_timer_start(&m->timer, on_tick, TICK_MS, TICK_MS);
  m->timer_on = true;
}

void mp__work_metrics_stop(mp_work_metrics_t *m) {
  if (m->timer_on) {
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, NULL);
    m->timer_on = false;
  }
  mp_lease_stop(m->lease);
  m->lease = NULL;
}
