/* run.c: one import run, read from `marcpipe import --json`.
 *
 * The import's last stdout line is a JSON object (the contract in
 * `marcpipe import --help`). Each metric is read from a table of
 * (object, key, how to fold the workers array); a field the import does
 * not report stays NAN. Pure functions over caller-owned structs.
 */
#include "harness.h"
#include "marcpipe/error.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TOP, PRODUCER, WORKERS_MAX, WORKERS_SUM, DERIVED };

static const struct {
  int from;
  const char *key;
} sources[MP_BM_COUNT] = {
    [MP_BM_RECORDS] = {TOP, "records"},
    [MP_BM_PROCESSED] = {TOP, "processed"},
    [MP_BM_CREATED] = {TOP, "created"},
    [MP_BM_UPDATED] = {TOP, "updated"},
    [MP_BM_DUPLICATES] = {TOP, "duplicates"},
    [MP_BM_SKIPPED] = {TOP, "skipped"},
    [MP_BM_ERRORS] = {TOP, "errors"},
    [MP_BM_ELAPSED] = {TOP, "elapsed_s"},
    [MP_BM_RATE] = {TOP, "records_per_s"},
    [MP_BM_PRODUCER_RATE] = {PRODUCER, "records_per_s"},
    [MP_BM_PRODUCER_ELAPSED] = {PRODUCER, "elapsed_s"},
    [MP_BM_PRODUCER_RSS] = {PRODUCER, "peak_rss_kb"},
    [MP_BM_FIRST_COMMIT] = {TOP, "first_commit_s"},
    [MP_BM_LAST_COMMIT] = {TOP, "last_commit_s"},
    [MP_BM_WORKER_RSS] = {WORKERS_MAX, "peak_rss_kb"},
    [MP_BM_HELD_RECORDS] = {WORKERS_MAX, "max_records_held"},
    [MP_BM_HELD_BYTES] = {WORKERS_MAX, "max_bytes_held"},
    [MP_BM_PAUSES] = {WORKERS_SUM, "pauses"},
    [MP_BM_RESUMES] = {WORKERS_SUM, "resumes"},
    [MP_BM_WORKER_CPU] = {WORKERS_SUM, "cpu_s"},
    [MP_BM_RESTARTS] = {TOP, "worker_restarts"},
    [MP_BM_MAX_LAG] = {DERIVED, NULL}, /* from "lag" */
    [MP_BM_MAX_STALL] = {DERIVED, NULL},
    [MP_BM_CPU_BUSY] = {DERIVED, NULL}, /* measured around the child */
    [MP_BM_IMPORT_CPU] = {DERIVED, NULL},
    [MP_BM_POSTGRES_CPU] = {DERIVED, NULL},
    [MP_BM_BROKER_CPU] = {DERIVED, NULL},
    [MP_BM_WALL] = {DERIVED, NULL},    /* measured around the child */
    [MP_BM_COPY_RATE] = {DERIVED, NULL}, /* mp_bench_run_pair */
    [MP_BM_RATE_OF_COPY] = {DERIVED, NULL},
    [MP_BM_PRODUCER_OF_COPY] = {DERIVED, NULL},
};

static const char *const metric_names[MP_BM_COUNT] = {
#define XX(id, name) [MP_BM_##id] = name,
    MP_BENCH_METRICS(XX)
#undef XX
};

const char *mp_bench_metric_name(int metric) {
  return metric >= 0 && metric < MP_BM_COUNT ? metric_names[metric] : "?";
}

void mp_bench_run_init(mp_bench_run_t *r) {
  memset(r, 0, sizeof *r);
  for (int i = 0; i < MP_BM_COUNT; i++)
    r->m[i] = NAN;
}

void mp_bench_run_release(mp_bench_run_t *r) {
  free(r->lag);
  r->lag = NULL;
  r->n_lag = 0;
}

static double num(const json_t *o, const char *key) {
  const json_t *v = o ? json_object_get(o, key) : NULL;
  return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Fold one key over the workers array: max or sum of the values present. */
static double fold_workers(const json_t *ws, const char *key, bool sum) {
  double acc = NAN;
  size_t i;
  const json_t *w;
  json_array_foreach(ws, i, w) {
    double v = num(w, key);
    if (isnan(v))
      continue;
    if (isnan(acc))
      acc = v;
    else
      acc = sum ? acc + v : fmax(acc, v);
  }
  return acc;
}

static int read_lag(mp_bench_run_t *r, const json_t *lag) {
  size_t n = json_array_size(lag), i;
  if (!n)
    return 0;
  r->lag = malloc(2 * n * sizeof *r->lag);
  if (!r->lag)
    return MP_ENOMEM;
  double max = NAN, stall = NAN, since = NAN, prev = NAN;
  const json_t *pt;
  json_array_foreach(lag, i, pt) {
    if (json_array_size(pt) != 2 || !json_is_number(json_array_get(pt, 0)) ||
        !json_is_number(json_array_get(pt, 1)))
      continue; /* a malformed point is skipped, not fatal */
    double t = json_number_value(json_array_get(pt, 0));
    double v = json_number_value(json_array_get(pt, 1));
    r->lag[2 * r->n_lag] = t;
    r->lag[2 * r->n_lag + 1] = v;
    r->n_lag++;
    max = isnan(max) ? v : fmax(max, v);
    /* a stall runs from the point where the lag last fell (or became
     * positive) for as long as it stays positive and does not fall */
    if (v <= 0)
      since = NAN;
    else if (isnan(since) || v < prev)
      since = t;
    if (!isnan(since))
      stall = isnan(stall) ? t - since : fmax(stall, t - since);
    prev = v;
  }
  r->m[MP_BM_MAX_LAG] = max;
  r->m[MP_BM_MAX_STALL] = stall;
  return 0;
}

int mp_bench_run_parse(mp_bench_run_t *r, const char *out, size_t len) {
  /* the last non-empty line */
  size_t end = len;
  while (end && (out[end - 1] == '\n' || out[end - 1] == '\r' ||
                 out[end - 1] == ' '))
    end--;
  size_t start = end;
  while (start && out[start - 1] != '\n')
    start--;
  if (start == end) {
    snprintf(r->note, sizeof r->note, "no output on stdout");
    return MP_EJSON;
  }
  json_error_t jerr;
  json_t *o = json_loadb(out + start, end - start, 0, &jerr);
  if (!json_is_object(o)) {
    snprintf(r->note, sizeof r->note, "last stdout line is not a JSON object: %s",
             o ? "another JSON value" : jerr.text);
    json_decref(o);
    return MP_EJSON;
  }
  int ret = MP_EJSON;
  const json_t *status = json_object_get(o, "status");
  if (!json_is_string(status) || isnan(num(o, "records"))) {
    snprintf(r->note, sizeof r->note,
             "the import's JSON line lacks \"status\" or \"records\"");
    goto out;
  }
  snprintf(r->status, sizeof r->status, "%s", json_string_value(status));
  const json_t *prod = json_object_get(o, "producer");
  const json_t *ws = json_object_get(o, "workers");
  for (int i = 0; i < MP_BM_COUNT; i++) {
    switch (sources[i].from) {
    case TOP:
      r->m[i] = num(o, sources[i].key);
      break;
    case PRODUCER:
      r->m[i] = num(prod, sources[i].key);
      break;
    case WORKERS_MAX:
    case WORKERS_SUM:
      r->m[i] = fold_workers(ws, sources[i].key,
                             sources[i].from == WORKERS_SUM);
      break;
    default:
      break;
    }
  }
  if (isnan(r->m[MP_BM_WORKER_CPU]))
    r->m[MP_BM_WORKER_CPU] = num(o, "workers_cpu_s");
  ret = read_lag(r, json_object_get(o, "lag"));
  if (ret) {
    snprintf(r->note, sizeof r->note, "out of memory");
    goto out;
  }
  r->parsed = true;
out:
  json_decref(o);
  return ret;
}

void mp_bench_run_reconcile(mp_bench_run_t *r, uint64_t expected) {
  r->reconciled = false;
  if (!r->parsed) {
    if (!r->note[0])
      snprintf(r->note, sizeof r->note, "no result");
    return;
  }
  if (r->exit_code != 0) {
    snprintf(r->note, sizeof r->note, "import exited with %d (status %s)",
             r->exit_code, r->status);
    return;
  }
  if (strcmp(r->status, "COMPLETED") &&
      strcmp(r->status, "COMPLETED_WITH_ERRORS")) {
    snprintf(r->note, sizeof r->note, "job status %s", r->status);
    return;
  }
  if (r->m[MP_BM_RECORDS] != (double)expected) {
    snprintf(r->note, sizeof r->note, "%.0f records read, %llu generated",
             r->m[MP_BM_RECORDS], (unsigned long long)expected);
    return;
  }
  if (!isnan(r->m[MP_BM_PROCESSED]) &&
      r->m[MP_BM_PROCESSED] != (double)expected) {
    snprintf(r->note, sizeof r->note,
             "%.0f records committed, %llu generated",
             r->m[MP_BM_PROCESSED], (unsigned long long)expected);
    return;
  }
  static const int outcomes[] = {MP_BM_CREATED, MP_BM_UPDATED,
                                 MP_BM_DUPLICATES, MP_BM_SKIPPED,
                                 MP_BM_ERRORS};
  double sum = 0;
  bool all = true;
  for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes; i++) {
    all = all && !isnan(r->m[outcomes[i]]);
    sum += isnan(r->m[outcomes[i]]) ? 0 : r->m[outcomes[i]];
  }
  if (all && sum != r->m[MP_BM_RECORDS]) {
    snprintf(r->note, sizeof r->note,
             "outcomes add up to %.0f, not %.0f records", sum,
             r->m[MP_BM_RECORDS]);
    return;
  }
  r->note[0] = '\0';
  r->reconciled = true;
}

void mp_bench_run_pair(mp_bench_run_t *r, double copy_rate) {
  bool ok = copy_rate > 0; /* false for NAN too */
  r->m[MP_BM_COPY_RATE] = ok ? copy_rate : NAN;
  r->m[MP_BM_RATE_OF_COPY] = ok ? r->m[MP_BM_RATE] / copy_rate : NAN;
  r->m[MP_BM_PRODUCER_OF_COPY] =
      ok ? r->m[MP_BM_PRODUCER_RATE] / copy_rate : NAN;
}
