/* report.c: the benchmark's results as Markdown and as JSON.
 *
 * Markdown: one row per configuration with the medians, the end-to-end
 * and producer rates also as a fraction of the COPY ceiling for the same
 * record count (the median of the runs' ratios to the ceiling of their
 * round, see mp_bench_run_pair), then the runs that did not reconcile.
 * JSON: the same plus every run. Missing figures are "n/a" and null.
 * Single thread.
 */
#include "harness.h"
#include "marcpipe/error.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

size_t mp_bench_copy_index(const mp_bench_copy_t *copy, size_t n,
                           const char *records) {
  for (size_t i = 0; records && i < n; i++)
    if (copy[i].records == strtoull(records, NULL, 10))
      return i;
  return n;
}

const mp_bench_copy_t *mp_bench_copy_for(const mp_bench_t *b,
                                         const char *records) {
  size_t i = mp_bench_copy_index(b->copy, b->n_copy, records);
  return i < b->n_copy ? &b->copy[i] : NULL;
}

/* A figure in a table cell: scale then print with decimals, "n/a" for NAN. */
static void cell(FILE *f, double v, double scale, int decimals) {
  if (isnan(v))
    fputs(" n/a |", f);
  else
    fprintf(f, " %.*f |", decimals, v / scale);
}

/* The axes shown as columns: records and workers always, others when set. */
static bool shown(const mp_bench_t *b, int a) {
  return a == MP_BENCH_RECORDS || a == MP_BENCH_WORKERS || b->axes->n[a];
}

static const struct {
  const char *head;
  int metric;
  double scale;
  int decimals;
} columns[] = {
    {"records/s", MP_BM_RATE, 1, 0},
    /* the median of the runs' ratios to their rounds' ceilings */
    {"/ COPY", MP_BM_RATE_OF_COPY, 1, 2},
    {"producer rec/s", MP_BM_PRODUCER_RATE, 1, 0},
    {"producer / COPY", MP_BM_PRODUCER_OF_COPY, 1, 2},
    {"first commit s", MP_BM_FIRST_COMMIT, 1, 2},
    {"last commit s", MP_BM_LAST_COMMIT, 1, 2},
    {"worker RSS MiB", MP_BM_WORKER_RSS, 1024, 1},
    {"producer RSS MiB", MP_BM_PRODUCER_RSS, 1024, 1},
    {"max held records", MP_BM_HELD_RECORDS, 1, 0},
    {"max lag", MP_BM_MAX_LAG, 1, 0},
    {"max stall s", MP_BM_MAX_STALL, 1, 1},
    {"CPU busy %", MP_BM_CPU_BUSY, 1, 0},
    {"import CPU s", MP_BM_IMPORT_CPU, 1, 1},
    {"workers CPU s", MP_BM_WORKER_CPU, 1, 1},
    {"PostgreSQL CPU s", MP_BM_POSTGRES_CPU, 1, 1},
    {"broker CPU s", MP_BM_BROKER_CPU, 1, 1},
    {"errors", MP_BM_ERRORS, 1, 0},
};
#define N_COLUMNS (sizeof columns / sizeof *columns)

int mp_bench_write_md(const mp_bench_t *b, FILE *f) {
  fprintf(f, "# marcpipe bench\n\n");
  fprintf(f, "- started: %s\n- command: `%s`\n- machine: %s\n", b->started,
          b->command, b->machine);
  fprintf(f, "- runs: %zu per configuration; figures are medians\n",
          b->repeat);
  fprintf(f, "- COPY ceiling (%s):", b->copy_method);
  for (size_t i = 0; i < b->n_copy; i++) {
    const mp_bench_copy_t *c = &b->copy[i];
    if (isnan(c->records_per_s))
      fprintf(f, "%s %llu records: not measured (%s)", i ? ";" : "",
              (unsigned long long)c->records, c->note);
    else if (c->runs > 1 && c->hi > c->lo)
      fprintf(f, "%s %llu records in %.2f s = %.0f records/s (median of %zu "
                 "runs, %.0f-%.0f)",
              i ? ";" : "", (unsigned long long)c->records, c->seconds,
              c->records_per_s, c->runs, c->lo, c->hi);
    else
      fprintf(f, "%s %llu records in %.2f s = %.0f records/s", i ? ";" : "",
              (unsigned long long)c->records, c->seconds, c->records_per_s);
  }
  fprintf(f, "\n- / COPY: each run's rate over the ceiling measured just "
             "before it, in the same round; the median of those ratios\n");
  fprintf(f, "\n|");
  for (int a = 0; a < MP_BENCH_AXES; a++)
    if (shown(b, a))
      fprintf(f, " %s |", mp_bench_axis_name(a));
  fprintf(f, " runs ok |");
  for (size_t k = 0; k < N_COLUMNS; k++)
    fprintf(f, " %s |", columns[k].head);
  fprintf(f, "\n|");
  for (int a = 0; a < MP_BENCH_AXES; a++)
    if (shown(b, a))
      fprintf(f, "---|");
  for (size_t k = 0; k <= N_COLUMNS; k++)
    fprintf(f, "---:|");
  fprintf(f, "\n");
  for (size_t i = 0; i < b->n_configs; i++) {
    const mp_bench_config_t *c = &b->configs[i];
    const mp_bench_summary_t *s = &b->sums[i];
    fprintf(f, "|");
    for (int a = 0; a < MP_BENCH_AXES; a++)
      if (shown(b, a))
        fprintf(f, " %s |", c->v[a] ? c->v[a] : "default");
    fprintf(f, " %zu/%zu |", s->ok, b->repeat);
    for (size_t k = 0; k < N_COLUMNS; k++)
      cell(f, s->m[columns[k].metric], columns[k].scale, columns[k].decimals);
    fprintf(f, "\n");
  }
  bool heading = false;
  for (size_t i = 0; i < b->n_configs * b->repeat; i++) {
    const mp_bench_run_t *r = &b->runs[i];
    if (r->reconciled)
      continue;
    if (!heading)
      fprintf(f, "\nRuns that do not count:\n\n");
    heading = true;
    char label[256];
    mp_bench_config_label(b->axes, &b->configs[i / b->repeat], -1, label,
                          sizeof label);
    fprintf(f, "- %s, run %zu: %s\n", label, i % b->repeat + 1, r->note);
  }
  fflush(f);
  return ferror(f) ? -EIO : 0;
}

static json_t *jnum(double v) {
  return isnan(v) ? json_null() : json_real(v);
}

static json_t *metrics_json(const double *m) {
  json_t *o = json_object();
  for (int k = 0; o && k < MP_BM_COUNT; k++)
    json_object_set_new(o, mp_bench_metric_name(k), jnum(m[k]));
  return o;
}

static json_t *run_json(const mp_bench_run_t *r) {
  json_t *o = metrics_json(r->m);
  json_t *lag = json_array();
  for (size_t i = 0; lag && i < r->n_lag; i++)
    json_array_append_new(lag, json_pack("[ff]", r->lag[2 * i],
                                         r->lag[2 * i + 1]));
  json_object_set_new(o, "exit_code", json_integer(r->exit_code));
  json_object_set_new(o, "status", json_string(r->status));
  json_object_set_new(o, "reconciled", json_boolean(r->reconciled));
  json_object_set_new(o, "note", json_string(r->note));
  json_object_set_new(o, "lag", lag);
  return o;
}

static json_t *config_json(const mp_bench_t *b, size_t i) {
  const mp_bench_config_t *c = &b->configs[i];
  json_t *o = json_object(), *runs = json_array();
  for (int a = 0; a < MP_BENCH_AXES; a++) {
    json_t *v = !c->v[a] ? json_null()
                : mp_bench_axis_choices(a)
                    ? json_string(c->v[a])
                    : json_integer((json_int_t)strtoll(c->v[a], NULL, 10));
    json_object_set_new(o, mp_bench_axis_name(a), v);
  }
  const mp_bench_summary_t *s = &b->sums[i];
  json_object_set_new(o, "runs_ok", json_integer((json_int_t)s->ok));
  json_object_set_new(o, "median", metrics_json(s->m));
  /* also in "median"; kept at this level for readers of older files */
  json_object_set_new(o, "rate_of_copy", jnum(s->m[MP_BM_RATE_OF_COPY]));
  json_object_set_new(o, "producer_rate_of_copy",
                      jnum(s->m[MP_BM_PRODUCER_OF_COPY]));
  json_object_set_new(o, "lag_run",
                      s->rep == SIZE_MAX ? json_null()
                                         : json_integer((json_int_t)s->rep));
  for (size_t k = 0; runs && k < b->repeat; k++)
    json_array_append_new(runs, run_json(&b->runs[i * b->repeat + k]));
  json_object_set_new(o, "runs", runs);
  return o;
}

int mp_bench_write_json(const mp_bench_t *b, FILE *f) {
  json_t *doc = json_object(), *copy = json_array(), *cfgs = json_array();
  int ret = MP_ENOMEM;
  if (!doc || !copy || !cfgs)
    goto out;
  for (size_t i = 0; i < b->n_copy; i++) {
    const mp_bench_copy_t *c = &b->copy[i];
    json_array_append_new(
        copy, json_pack("{sIsosososososIss}", "records",
                        (json_int_t)c->records, "records_per_s",
                        jnum(c->records_per_s), "seconds", jnum(c->seconds),
                        "min_records_per_s", jnum(c->lo),
                        "max_records_per_s", jnum(c->hi), "method",
                        json_string(b->copy_method), "runs",
                        (json_int_t)c->runs, "note", c->note));
  }
  for (size_t i = 0; i < b->n_configs; i++)
    json_array_append_new(cfgs, config_json(b, i));
  json_object_set_new(doc, "started", json_string(b->started));
  json_object_set_new(doc, "command", json_string(b->command));
  json_object_set_new(doc, "machine", json_string(b->machine));
  json_object_set_new(doc, "repeat", json_integer((json_int_t)b->repeat));
  json_object_set_new(doc, "copy", copy);
  json_object_set_new(doc, "configs", cfgs);
  copy = cfgs = NULL;
  ret = json_dumpf(doc, f, JSON_INDENT(1)) || fputc('\n', f) == EOF ? -EIO : 0;
out:
  json_decref(copy);
  json_decref(cfgs);
  json_decref(doc);
  return ret;
}
