/* main.c: the marcpipe-bench program (`marcpipe bench` runs it), full
 * imports measured over configurations.
 *
 * It finds the marcpipe binary and bench_copy beside itself (both built
 * into the same directory; --marcpipe and --copy-bench name others) and
 * speaks as `marcpipe bench` in its messages and --help, the command
 * users know it by. Steps: resolve the database (--db, else the PG* environment, else the
 * managed local PostgreSQL, started once and reused by every run); generate
 * one input per record count with `marcpipe gen`; with --warmup, one
 * uncounted import of the first configuration; then R rounds, each
 * measuring the COPY ceiling per record count with the bench_copy program
 * and then running every configuration once as a child `marcpipe import
 * --json`, each in a fresh tenant that is dropped afterwards (so slow
 * drift of the machine spreads over all configurations, and each run's
 * ratio to the ceiling compares two measurements of the same stretch of
 * time); and
 * write DIR/results.md, DIR/results.json and the plots (bench/harness). The
 * Markdown table also goes to stdout; progress goes to stderr. Single
 * thread: children run one at a time.
 */
#include "cli/cli_util.h"
#include "cli/opt.h"
#include "harness.h"
#include "marcpipe/error.h"
#include "marcpipe/kafka.h"
#include "marcpipe/kafka_admin.h"
#include "marcpipe/pg.h"
#include "marcpipe/pgmanaged.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_VALUES 32
#define MAX_FROM 64
/* The COPY ceiling cycles through at most this many distinct records:
 * bench_copy keeps its whole input mapped in memory. */
#define COPY_SOURCE_MAX 20000

static const char bench_synopsis[] =
    "marcpipe bench [--records N,...] [-w|--workers N,...]\n"
    "               [--partitions N,...] [--window N,...]\n"
    "               [--window-bytes N,...] [--batch N,...] [--sinks N,...]\n"
    "               [--sink-latency-ms N,...] [--max-backlog N,...]\n"
    "               [--mode pull|push,...] [--assign share|group,...]\n"
    "               [--repeat R] [-o|--out DIR] [--source FILE]...\n"
    "               [-b BROKERS] [--db CONNINFO] [--state-dir DIR]\n"
    "               [--timeout S] [--warmup] [--no-copy] [--keep-tenants]\n"
    "               [--keep-inputs]\n"
    "               [--marcpipe PATH] [--copy-bench PATH] [-q]";

static const char bench_description[] =
"Benchmark full imports. Every option taking a list (comma-separated)\n"
"is an axis; each combination of the values is one configuration, run R\n"
"times as `marcpipe import --json` in a child process, one at a time,\n"
"repeats interleaved. An axis not given is left to import's default.\n"
"The input for each record count is generated once with `marcpipe gen`\n"
"(seed 1; --source names its source records, default the bundled sample).\n"
"Each run imports into a fresh tenant (bench_<time>_<n>), dropped after\n"
"the run unless --keep-tenants (with -b, its topics are deleted from the\n"
"cluster too); the database is the same for every run\n"
"(--db, else the PG* environment, else the managed local PostgreSQL,\n"
"started once).\n"
"\n"
"Per configuration it reports the median over the repeats of: end-to-end\n"
"records/s, producer records/s, time to the first and the last record\n"
"committed, worker peak RSS (largest worker), producer peak RSS, most\n"
"records held by any worker, the largest lag (produced - processed),\n"
"and where the CPU went: the share of all cores busy during the run, the\n"
"CPU seconds of the import (with its producer, embedded broker and\n"
"workers), of the workers alone, of the PostgreSQL servers on this\n"
"machine (exited backends included) and of the Kafka brokers on this\n"
"machine (a real cluster's JVMs), so a result can name its limit;\n"
"the lag over time of the median run is plotted. Beside each rate stands\n"
"its ratio to the COPY ceiling: the same tables written with COPY alone\n"
"(the bench_copy program, next to this binary unless --copy-bench; it\n"
"cycles through at most 20,000 distinct records of the input, keys made\n"
"unique). The runs go in rounds: each round measures the ceiling once per\n"
"record count, then runs every configuration once; a run's ratio is to\n"
"its own round's ceiling, and the table shows the median of the ratios\n"
"(the ceiling line: the median, slowest and fastest COPY run). A run\n"
"counts when the import exits 0, the job completed and the records\n"
"committed equal the records generated.\n"
"\n"
"Output in DIR (default bench-out): results.md (also on stdout),\n"
"results.json (every run), *.dat and, with gnuplot, PNGs: rate-workers,\n"
"rss-records, lag, and rate-AXIS / rss-AXIS for other varied axes;\n"
"logs/ (each child's stderr) and, with --keep-inputs, input-N.mrc (the\n"
"generated files, else removed at the end).\n"
"\n"
"This is the marcpipe-bench program (built from bench/harness), which\n"
"`marcpipe bench` runs; it looks for marcpipe and bench_copy beside itself.\n";

static const char bench_footer[] =
"exit status: 0 every run counted, 1 a run failed or did not reconcile\n"
"(the results are still written), 2 usage\n";

static int bad_usage(const char *fmt, const char *arg) {
  return mp__cli_bad_usage("bench", fmt, arg);
}

typedef struct bench_opts_s {
  mp_bench_axes_t axes;
  const char *vals[MP_BENCH_AXES][MAX_VALUES];
  size_t repeat;
  const char *out_dir, *brokers, *db, *state_dir, *marcpipe, *copy_bench;
  const char *from[MAX_FROM];
  int nfrom;
  double timeout_s;
  bool no_copy, keep_tenants, keep_inputs, quiet, warmup;
} bench_opts_t;

/* Split a comma list in place into the axis's values, checking each.
 * 0, or -1 with the reason in err. */
static int set_axis(bench_opts_t *o, int axis, char *list, char *err,
                    size_t n) {
  o->axes.n[axis] = 0;
  for (char *save = NULL, *v = strtok_r(list, ",", &save); v;
       v = strtok_r(NULL, ",", &save)) {
    if (mp_bench_axis_check(axis, v)) {
      const char *choices = mp_bench_axis_choices(axis);
      if (choices)
        snprintf(err, n, "one of %s is expected, not '%s'", choices, v);
      else
        snprintf(err, n, "a count is expected, not '%s'", v);
      return -1;
    }
    if (o->axes.n[axis] == MAX_VALUES) {
      snprintf(err, n, "more than %d values in one list", MAX_VALUES);
      return -1;
    }
    o->vals[axis][o->axes.n[axis]++] = v;
  }
  if (!o->axes.n[axis]) {
    snprintf(err, n, "empty list for --%s", mp_bench_axis_name(axis));
    return -1;
  }
  return 0;
}

/* ---- the run's state ---- */

typedef struct bench_s {
  bench_opts_t *o;
  char self[PATH_MAX];     /* this program */
  char gen[PATH_MAX + 16]; /* the marcpipe that runs gen */
  char conninfo[1024];
  bool have_db;            /* conninfo usable by this process */
  char tag[32];            /* tenant prefix of this benchmark */
  char pg_version[64];
  mp_bench_config_t *configs;
  size_t n_configs;
  mp_bench_run_t *runs;
  mp_bench_summary_t *sums;
  mp_bench_copy_t *copy;   /* one per records value (copy_prepare) */
  size_t n_copy;
  double *copy_rates, *copy_secs; /* n_copy * repeat, by round */
  char (*copy_src)[PATH_MAX + 64]; /* n_copy inputs of bench_copy, "" = none */
} bench_t;

static void input_path(const bench_t *b, const char *records, char *out,
                       size_t n) {
  snprintf(out, n, "%s/input-%s.mrc", b->o->out_dir, records);
}

static void log_path(const bench_t *b, const char *name, char *out,
                     size_t n) {
  snprintf(out, n, "%s/logs/%s.log", b->o->out_dir, name);
}

/* Run a child; its stdout into out (may be NULL). 0 when it exits 0. */
static int run_child(char **argv, const char *log,
                     double timeout_s, mp_buf_t *out, int *status,
                     double *wall) {
  mp_buf_t sink;
  mp_buf_init(&sink);
  int st = -1;
  double w = 0;
  int r = mp_bench_spawn(argv, log, timeout_s, NULL, NULL, out ? out : &sink,
                         &st, &w);
  mp_buf_release(&sink);
  if (status)
    *status = st;
  if (wall)
    *wall = w;
  return r ? r : st == 0 ? 0 : MP_EIO;
}

/* The database every run uses, and whether this process can reach it. */
static int resolve_db(bench_t *b) {
  char err[1024] = "";
  bool managed;
  if (mp_pgmanaged_resolve(b->o->db, b->o->state_dir, b->conninfo,
                           sizeof b->conninfo, &managed, err, sizeof err)) {
    fprintf(stderr, "marcpipe bench: managed PostgreSQL: %s\n", err);
    return 1;
  }
  PGconn *c = PQconnectdb(b->conninfo);
  if (PQstatus(c) != CONNECTION_OK) {
    const char *m = PQerrorMessage(c);
    fprintf(stderr,
            "marcpipe bench: warning: cannot connect to PostgreSQL (%.*s): "
            "tenants are kept and its version is unknown\n",
            (int)strcspn(m, "\n"), m);
  } else {
    b->have_db = true;
    PGresult *r = PQexec(c, "SHOW server_version");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
      snprintf(b->pg_version, sizeof b->pg_version, "%s",
               PQgetvalue(r, 0, 0));
    PQclear(r);
  }
  PQfinish(c);
  return 0;
}

static void quiet_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

static void drop_tenant(const bench_t *b, const char *tenant) {
  if (b->o->keep_tenants || !b->have_db)
    return;
  char schema[128], sql[256];
  if (mp_pg_schema_name(tenant, schema, sizeof schema))
    return;
  snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
  PGconn *c = PQconnectdb(b->conninfo);
  PQsetNoticeProcessor(c, quiet_notice, NULL); /* "drop cascades to..." */
  PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    fprintf(stderr, "marcpipe bench: warning: cannot drop %s: %s", schema,
            PQerrorMessage(c));
  PQclear(r);
  PQfinish(c);
}

/* An import run's topics on an external cluster (-b), deleted with its
 * tenant unless --keep-tenants: benchmarks would otherwise leave three
 * topics per run behind. Its -X properties (SASL) are those the imports
 * get: $MARCPIPE_KAFKA_PROPS. A failure is a warning; the run counts. */
static void drop_topics(const bench_t *b, const char *tenant) {
  if (b->o->keep_tenants || !b->o->brokers)
    return;
  static const char *const events[] = {MP_EVENT_RECORD, MP_EVENT_ERROR,
                                        MP_EVENT_JOB_COMPLETED};
  enum { NEV = sizeof events / sizeof *events };
  char names[NEV][256], err[512], *props_copy;
  const char *props[64], *list[NEV];
  size_t nprops = 0, nlist = 0, ndeleted;
  if (mp__cli_env_props("bench", &props_copy, props, &nprops, 64))
    return;
  for (size_t i = 0; i < NEV; i++)
    if (!mp_topic_name(names[i], sizeof names[i], MP_DEFAULT_ENV,
                       MP_DEFAULT_NAMESPACE, tenant, events[i]))
      list[nlist++] = names[i];
  mp_kafka_admin_opts_t ao = {.brokers = b->o->brokers, .props = props,
                              .nprops = nprops};
  if (mp_kafka_topics_delete(&ao, list, nlist, &ndeleted, err, sizeof err))
    fprintf(stderr, "marcpipe bench: warning: %s\n", err);
  free(props_copy);
}

/* Write the first `count` generated records to path with `marcpipe gen`. */
static int gen_file(const bench_t *b, const char *count, const char *path) {
  char log[PATH_MAX + 64];
  log_path(b, "gen", log, sizeof log);
  char *argv[8 + 2 * MAX_FROM];
  int k = 0;
  argv[k++] = (char *)b->gen;
  argv[k++] = "gen";
  argv[k++] = "-q";
  argv[k++] = "-n";
  argv[k++] = (char *)count;
  argv[k++] = "-o";
  argv[k++] = (char *)path;
  for (int f = 0; f < b->o->nfrom; f++) {
    argv[k++] = "--source";
    argv[k++] = (char *)b->o->from[f];
  }
  argv[k] = NULL;
  if (run_child(argv, log, 0, NULL, NULL, NULL)) {
    fprintf(stderr, "marcpipe bench: marcpipe gen failed for %s records "
                    "(see %s)\n", count, log);
    return 1;
  }
  return 0;
}

/* Generate input-N.mrc for every records value. */
static int generate(const bench_t *b) {
  const mp_bench_axes_t *ax = &b->o->axes;
  for (size_t i = 0; i < ax->n[MP_BENCH_RECORDS]; i++) {
    const char *n = ax->vals[MP_BENCH_RECORDS][i];
    char path[PATH_MAX + 64];
    input_path(b, n, path, sizeof path);
    if (!b->o->quiet)
      fprintf(stderr, "marcpipe bench: generating %s records\n", n);
    if (gen_file(b, n, path))
      return 1;
  }
  return 0;
}

/* The input bench_copy reads for a record count: the input itself when
 * small, else the first COPY_SOURCE_MAX records of the same generator
 * (identical to the start of the input: same seed, same running numbers). */
static int copy_source(const bench_t *b, const char *records, char *path,
                       size_t n) {
  if (strtoull(records, NULL, 10) <= COPY_SOURCE_MAX) {
    input_path(b, records, path, n);
    return 0;
  }
  snprintf(path, n, "%s/copy-source.mrc", b->o->out_dir);
  struct stat st;
  if (stat(path, &st) == 0 && st.st_size > 0)
    return 0;
  char count[32];
  snprintf(count, sizeof count, "%d", COPY_SOURCE_MAX);
  return gen_file(b, count, path);
}

/* One bench_copy run: rows/s and seconds from its --json line. */
static int copy_once(const bench_t *b, const char *records,
                     const char *source, double *rate, double *secs,
                     char *note, size_t notelen) {
  char tenant[64], log[PATH_MAX + 64];
  snprintf(tenant, sizeof tenant, "%s_copy", b->tag);
  log_path(b, "copy", log, sizeof log);
  char *argv[12];
  int k = 0;
  argv[k++] = (char *)b->o->copy_bench;
  argv[k++] = (char *)source;
  argv[k++] = "--rows";
  argv[k++] = (char *)records;
  argv[k++] = "--tenant";
  argv[k++] = tenant;
  argv[k++] = "--json";
  if (b->conninfo[0]) {
    argv[k++] = "--db";
    argv[k++] = (char *)b->conninfo;
  }
  argv[k] = NULL;
  mp_buf_t out;
  mp_buf_init(&out);
  int r = run_child(argv, log, b->o->timeout_s, &out, NULL, NULL);
  json_t *o = r ? NULL : json_loads(out.data ? out.data : "", 0, NULL);
  *rate = json_number_value(json_object_get(o, "rows_per_s"));
  *secs = json_number_value(json_object_get(o, "seconds"));
  if (r == MP_ECANCELED)
    snprintf(note, notelen, "interrupted");
  else if (r)
    snprintf(note, notelen, "bench_copy failed (see logs/copy.log)");
  else if (!o || !(*rate > 0))
    snprintf(note, notelen, "no rows_per_s in the output of bench_copy");
  if (!r && (!o || !(*rate > 0)))
    r = MP_EJSON;
  json_decref(o);
  mp_buf_release(&out);
  drop_tenant(b, tenant);
  return r;
}

/* The COPY ceiling, measured in rounds beside the imports: copy_prepare
 * once, copy_round before each round of imports (one bench_copy run per
 * record count), copy_finish at the end (median, slowest and fastest per
 * record count). b->copy_rates[i * repeat + r] is record count i's rate
 * in round r, NAN when that run failed or the ceiling is not measured
 * (b->copy[i].note says why). */
static int copy_prepare(bench_t *b) {
  size_t n = b->o->axes.n[MP_BENCH_RECORDS], reps = b->o->repeat;
  b->copy = calloc(n, sizeof *b->copy);
  b->copy_rates = malloc(n * reps * sizeof *b->copy_rates);
  b->copy_secs = malloc(n * reps * sizeof *b->copy_secs);
  b->copy_src = calloc(n, sizeof *b->copy_src);
  if (!b->copy || !b->copy_rates || !b->copy_secs || !b->copy_src)
    return MP_ENOMEM;
  b->n_copy = n;
  for (size_t i = 0; i < n * reps; i++)
    b->copy_rates[i] = b->copy_secs[i] = NAN;
  for (size_t i = 0; i < n; i++) {
    const char *records = b->o->axes.vals[MP_BENCH_RECORDS][i];
    mp_bench_copy_t *c = &b->copy[i];
    c->records = strtoull(records, NULL, 10);
    c->records_per_s = c->seconds = c->lo = c->hi = NAN;
    if (b->o->no_copy)
      snprintf(c->note, sizeof c->note, "--no-copy");
    else if (access(b->o->copy_bench, X_OK))
      snprintf(c->note, sizeof c->note, "no bench_copy program (ninja "
               "bench_copy, or --copy-bench PATH)");
    else if (copy_source(b, records, b->copy_src[i], sizeof b->copy_src[i])) {
      b->copy_src[i][0] = '\0';
      snprintf(c->note, sizeof c->note, "no input for bench_copy");
    }
  }
  return 0;
}

/* Round r's bench_copy runs. 0, or MP_ECANCELED when interrupted. */
static int copy_round(bench_t *b, size_t r) {
  size_t reps = b->o->repeat;
  for (size_t i = 0; i < b->n_copy; i++) {
    mp_bench_copy_t *c = &b->copy[i];
    if (!b->copy_src[i][0])
      continue;
    const char *records = b->o->axes.vals[MP_BENCH_RECORDS][i];
    if (!b->o->quiet)
      fprintf(stderr, "marcpipe bench: COPY ceiling, %s rows, run %zu/%zu\n",
              records, r + 1, reps);
    char note[sizeof c->note] = "";
    int ret = copy_once(b, records, b->copy_src[i], &b->copy_rates[i * reps + r],
                        &b->copy_secs[i * reps + r], note, sizeof note);
    if (ret == MP_ECANCELED)
      return ret;
    if (ret) {
      b->copy_rates[i * reps + r] = b->copy_secs[i * reps + r] = NAN;
      snprintf(c->note, sizeof c->note, "%s", note); /* the last failure */
    }
  }
  return 0;
}

static void copy_finish(bench_t *b) {
  size_t reps = b->o->repeat;
  double *v = malloc(reps * sizeof *v);
  for (size_t i = 0; v && i < b->n_copy; i++) {
    mp_bench_copy_t *c = &b->copy[i];
    memcpy(v, &b->copy_rates[i * reps], reps * sizeof *v);
    c->records_per_s = mp_bench_median(v, reps); /* sorts v, NANs last */
    for (c->runs = 0; c->runs < reps && !isnan(v[c->runs]); c->runs++)
      ;
    if (!c->runs)
      continue;
    c->lo = v[0];
    c->hi = v[c->runs - 1];
    memcpy(v, &b->copy_secs[i * reps], reps * sizeof *v);
    c->seconds = mp_bench_median(v, reps);
    c->note[0] = '\0';
  }
  free(v);
}

/* The ceiling of configuration ci's record count in round r (NAN: none). */
static double copy_rate_of(const bench_t *b, size_t ci, size_t r) {
  size_t i = mp_bench_copy_index(b->copy, b->n_copy,
                                 b->configs[ci].v[MP_BENCH_RECORDS]);
  return i < b->n_copy ? b->copy_rates[i * b->o->repeat + r] : NAN;
}

/* The generated files (inputs and the COPY source), when not kept. */
static void remove_inputs(const bench_t *b) {
  char path[PATH_MAX + 64];
  for (size_t i = 0; i < b->o->axes.n[MP_BENCH_RECORDS]; i++) {
    input_path(b, b->o->axes.vals[MP_BENCH_RECORDS][i], path, sizeof path);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/copy-source.mrc", b->o->out_dir);
  unlink(path);
}

/* ---- the imports ---- */

/* The progress line of a running import; arg: what names it. */
static void tick(double elapsed_s, void *arg) {
  fprintf(stderr, "\rmarcpipe bench: %s: %.0f s ", (const char *)arg,
          elapsed_s);
}

/* One import of configuration ci into *run: its stderr goes to
 * logs/NAME.log, its tenant is <tag>_<index> (dropped afterwards), `what`
 * names it in the progress lines. 0, or MP_ECANCELED when interrupted. */
static int import_run(bench_t *b, size_t ci, mp_bench_run_t *run,
                      const char *name, size_t index, const char *what) {
  const bench_opts_t *o = b->o;
  const mp_bench_config_t *c = &b->configs[ci];
  char tenant[64], input[PATH_MAX + 64], log[PATH_MAX + 64];
  snprintf(tenant, sizeof tenant, "%s_%zu", b->tag, index);
  input_path(b, c->v[MP_BENCH_RECORDS], input, sizeof input);
  log_path(b, name, log, sizeof log);
  char *argv[2 * MP_BENCH_AXES + 20];
  int k = 0;
  argv[k++] = (char *)o->marcpipe;
  argv[k++] = "import";
  argv[k++] = "--json";
  argv[k++] = "--quiet";
  argv[k++] = "--tenant";
  argv[k++] = tenant;
  for (int a = 0; a < MP_BENCH_AXES; a++)
    if (mp_bench_axis_flag(a) && c->v[a]) {
      argv[k++] = (char *)mp_bench_axis_flag(a);
      argv[k++] = (char *)c->v[a];
    }
  if (o->brokers) {
    argv[k++] = "-b";
    argv[k++] = (char *)o->brokers;
  }
  if (b->conninfo[0]) {
    argv[k++] = "--db";
    argv[k++] = b->conninfo;
  }
  if (o->state_dir) {
    argv[k++] = "--state-dir";
    argv[k++] = (char *)o->state_dir;
  }
  argv[k++] = input;
  argv[k] = NULL;

  bool tty = !o->quiet && isatty(2);
  mp_buf_t out;
  mp_buf_init(&out);
  double wall = 0;
  mp_bench_cpu_t cpu0, cpu1;
  mp_bench_cpu_sample(&cpu0);
  int r = mp_bench_spawn(argv, log, o->timeout_s, tty ? tick : NULL,
                         (void *)what, &out, &run->exit_code, &wall);
  mp_bench_cpu_sample(&cpu1);
  if (r == 0) {
    mp_bench_run_parse(run, out.data ? out.data : "", out.len);
    run->m[MP_BM_WALL] = wall;
    mp_bench_cpu_apply(&cpu0, &cpu1, run);
  } else {
    snprintf(run->note, sizeof run->note, "cannot run %s: %s", o->marcpipe,
             mp_strerror(r));
  }
  mp_buf_release(&out);
  mp_bench_run_reconcile(run, strtoull(c->v[MP_BENCH_RECORDS], NULL, 10));
  if (run->note[0] && run->exit_code != 0)
    snprintf(run->note + strlen(run->note), sizeof run->note - strlen(run->note),
             " (see logs/%s.log)", name);
  drop_tenant(b, tenant);
  drop_topics(b, tenant);
  if (!o->quiet) {
    fprintf(stderr, "%smarcpipe bench: %s: ", tty ? "\r" : "", what);
    if (run->reconciled)
      fprintf(stderr, "%.0f records/s, worker RSS %.1f MiB, %.2f s\n",
              run->m[MP_BM_RATE], run->m[MP_BM_WORKER_RSS] / 1024, wall);
    else
      fprintf(stderr, "does not count: %s\n", run->note);
  }
  return r == MP_ECANCELED ? r : 0;
}

/* Configuration ci, repeat ri: the index-th of `total` counted runs. */
static int import_once(bench_t *b, size_t ci, size_t ri, size_t index,
                       size_t total) {
  char name[64], label[256], what[400];
  snprintf(name, sizeof name, "import-%zu", index);
  mp_bench_config_label(&b->o->axes, &b->configs[ci], -1, label, sizeof label);
  snprintf(what, sizeof what, "[%zu/%zu] %s, run %zu/%zu", index, total, label,
           ri + 1, b->o->repeat);
  return import_run(b, ci, &b->runs[ci * b->o->repeat + ri], name, index,
                    what);
}

/* --warmup: one import of the first configuration before the rounds, in
 * no table (its stderr in logs/warmup.log). A real cluster's broker JVMs
 * compile their hot paths under the first heavy load after they start;
 * without this the first configuration of the first round pays for it. */
static int warm_up(bench_t *b) {
  char label[256], what[320];
  mp_bench_config_label(&b->o->axes, &b->configs[0], -1, label, sizeof label);
  snprintf(what, sizeof what, "warm-up (%s, not counted)", label);
  mp_bench_run_t run;
  mp_bench_run_init(&run);
  int r = import_run(b, 0, &run, "warmup", 0, what);
  mp_bench_run_release(&run);
  return r;
}

/* ---- results ---- */

static void command_line(int argc, char **argv, mp_buf_t *out) {
  mp_buf_puts(out, "marcpipe bench");
  for (int i = 0; i < argc; i++) {
    bool plain = argv[i][0] != '\0';
    for (const char *p = argv[i]; *p; p++)
      plain = plain && (strchr("-_=,./:+@%", *p) || (*p >= '0' && *p <= '9') ||
                        ((*p | 32) >= 'a' && (*p | 32) <= 'z'));
    if (plain) {
      mp_buf_printf(out, " %s", argv[i]);
      continue;
    }
    mp_buf_puts(out, " '");
    for (const char *p = argv[i]; *p; p++)
      mp_buf_puts(out, *p == '\'' ? "'\\''" : (char[2]){*p, 0});
    mp_buf_putc(out, '\'');
  }
}

static int write_results(const bench_t *b, const mp_bench_t *res) {
  char path[PATH_MAX + 64];
  int ret = 0;
  for (int which = 0; which < 2; which++) {
    snprintf(path, sizeof path, "%s/%s", b->o->out_dir,
             which ? "results.json" : "results.md");
    FILE *f = fopen(path, "w");
    int r = !f ? -errno : which ? mp_bench_write_json(res, f)
                                : mp_bench_write_md(res, f);
    if (f && fclose(f) && !r)
      r = -EIO;
    if (r) {
      fprintf(stderr, "marcpipe bench: %s: %s\n", path, mp_strerror(r));
      ret = 1;
    }
  }
  if (mp_bench_write_md(res, stdout))
    ret = 1;
  size_t pngs = 0;
  char err[1024] = "";
  int r = mp_bench_plot(res, b->o->out_dir, mp_bench_default_plot_dir(),
                        &pngs, err, sizeof err);
  if (r) {
    fprintf(stderr, "marcpipe bench: plots: %s\n", err);
    ret = 1;
  } else if (err[0]) {
    fprintf(stderr, "marcpipe bench: warning: %s\n", err);
  }
  if (!b->o->quiet)
    fprintf(stderr, "marcpipe bench: results in %s (%zu plots)\n",
            b->o->out_dir, pngs);
  return ret;
}

/* ---- the command ---- */

typedef struct axis_ctx_s {
  bench_opts_t *o;
  int axis;
} axis_ctx_t;

static int opt_axis(const mp_opt_t *opt, const char *arg, char *err,
                    size_t n) {
  const axis_ctx_t *a = opt->value;
  return set_axis(a->o, a->axis, (char *)arg, err, n); /* split in place */
}

static int opt_timeout(const mp_opt_t *opt, const char *arg, char *err,
                       size_t n) {
  char *end;
  double v = strtod(arg, &end);
  if (*end || !*arg || !(v >= 0)) {
    snprintf(err, n, "--timeout wants seconds, not '%s'", arg);
    return -1;
  }
  *(double *)opt->value = v;
  return 0;
}

/* -1 after --help, 0 to go on, 2 on a usage error (opt.h: the help is
 * generated from the table). */
static int parse_args(int argc, char **argv, bench_opts_t *o) {
  static char default_records[] = "10000", default_workers[] = "1,2";
  char err[16];
  set_axis(o, MP_BENCH_RECORDS, default_records, err, sizeof err);
  set_axis(o, MP_BENCH_WORKERS, default_workers, err, sizeof err);
  o->repeat = 3;
  o->out_dir = "bench-out";
  axis_ctx_t ax[MP_BENCH_AXES];
  for (int a = 0; a < MP_BENCH_AXES; a++)
    ax[a] = (axis_ctx_t){o, a};
  int64_t repeat = -1;
  mp_opt_list_t src = {o->from, 0, MAX_FROM};
#define AXIS(s, l, a, h) MP_OPT_FN(s, l, "N,...", opt_axis, &ax[a], h)
  mp_opt_t opts[] = {
      MP_OPT_GROUP("options:"),
      AXIS(0, "records", MP_BENCH_RECORDS,
           "records per input (default 10000)"),
      AXIS('w', "workers", MP_BENCH_WORKERS, "worker processes (default 1,2)"),
      AXIS(0, "partitions", MP_BENCH_PARTITIONS, "Kafka partitions"),
      AXIS(0, "window", MP_BENCH_WINDOW,
           "records a worker may hold (pull mode)"),
      AXIS(0, "window-bytes", MP_BENCH_WINDOW_BYTES,
           "bytes a worker may hold (pull mode)"),
      AXIS(0, "batch", MP_BENCH_BATCH, "records per database transaction"),
      AXIS(0, "sinks", MP_BENCH_SINKS, "database connections per worker"),
      AXIS(0, "sink-latency-ms", MP_BENCH_SINK_LATENCY,
           "added latency per sink batch"),
      AXIS(0, "max-backlog", MP_BENCH_MAX_BACKLOG,
           "records produced but not yet processed, at most\n"
           "(the producer's credit)"),
      MP_OPT_FN(0, "mode", "M,...", opt_axis, &ax[MP_BENCH_MODE],
                "pull (bounded window) or push (unbounded)"),
      MP_OPT_FN(0, "assign", "A,...", opt_axis, &ax[MP_BENCH_ASSIGN],
                "share (fixed shares, no consumer group) or group"),
      MP_OPT_COUNT(0, "repeat", &repeat, 1, 1000, "R",
                   "runs per configuration (default 3)"),
      MP_OPT_STRING('o', "out", &o->out_dir, "DIR",
                    "output directory (created; default bench-out)"),
      MP_OPT_FN(0, "source", "FILE", mp_opt_append, &src,
                "source MARC file or directory for gen; repeatable"),
      {.kind = MP_OPT_KIND_FN, .long_name = "from", .argh = "FILE",
       .fn = mp_opt_append, .value = &src,
       .deprecated = "use --source FILE (--from is the input format in every "
                     "other command)"},
      MP_OPT_STRING('b', "brokers", &o->brokers, "LIST",
                    "external Kafka brokers (default: embedded)"),
      MP_OPT_STRING(0, "db", &o->db, "CONNINFO",
                    "PostgreSQL connection string"),
      MP_OPT_STRING(0, "state-dir", &o->state_dir, "DIR",
                    "managed PostgreSQL state directory"),
      MP_OPT_FN(0, "timeout", "S", opt_timeout, &o->timeout_s,
                "kill an import after S seconds (default none)"),
      MP_OPT_FLAG(0, "warmup", &o->warmup,
                  "one import of the first configuration before the\n"
                  "rounds, not counted (a real cluster's JVMs compile\n"
                  "their hot paths under the first load)"),
      MP_OPT_FLAG(0, "no-copy", &o->no_copy, "skip the COPY ceiling"),
      MP_OPT_FLAG(0, "keep-tenants", &o->keep_tenants,
                  "keep each run's tenant schema (-b: and topics)"),
      MP_OPT_FLAG(0, "keep-inputs", &o->keep_inputs,
                  "keep the generated input files"),
      MP_OPT_STRING(0, "marcpipe", &o->marcpipe, "PATH",
                    "the marcpipe binary to benchmark (default: the\n"
                    "one beside this program); runs PATH import ..."),
      MP_OPT_STRING(0, "copy-bench", &o->copy_bench, "PATH",
                    "the bench_copy program"),
      MP_OPT_FLAG('q', "quiet", &o->quiet, "no progress on stderr"),
      MP_OPT_HELP(),
      MP_OPT_END()};
#undef AXIS
  const mp_opt_usage_t u = {bench_synopsis, bench_description, bench_footer};
  int nargs = 0;
  int rc = mp_opt_parse("bench", opts, &u, argc, argv, &nargs);
  if (rc >= 0)
    return rc == 0 ? -1 : rc;
  if (nargs)
    return bad_usage("unexpected argument '%s'", argv[1]);
  if (repeat >= 0)
    o->repeat = (size_t)repeat;
  o->nfrom = src.n;
  for (int a = 0; a < MP_BENCH_AXES; a++)
    o->axes.vals[a] = o->vals[a];
  return 0;
}

/* Paths of this program and of what runs beside it: marcpipe (gen, and
 * the imports unless --marcpipe; "marcpipe" from PATH when there is none
 * beside) and, unless --copy-bench, bench_copy. */
static int locate(bench_t *b, char *copy, size_t n) {
  ssize_t len = readlink("/proc/self/exe", b->self, sizeof b->self - 1);
  if (len <= 0) {
    fprintf(stderr, "marcpipe bench: /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  b->self[len] = '\0';
  int dir = (int)(strrchr(b->self, '/') - b->self);
  snprintf(b->gen, sizeof b->gen, "%.*s/marcpipe", dir, b->self);
  if (access(b->gen, X_OK))
    snprintf(b->gen, sizeof b->gen, "marcpipe");
  if (!b->o->marcpipe)
    b->o->marcpipe = b->gen;
  if (!b->o->copy_bench) {
    snprintf(copy, n, "%.*s/bench_copy", dir, b->self);
    b->o->copy_bench = copy;
  }
  return 0;
}

int main(int argc, char **argv) {
  mp_buf_t cmd; /* before parsing: the lists are split in place */
  mp_buf_init(&cmd);
  command_line(argc - 1, argv + 1, &cmd);
  bench_opts_t o = {0};
  int r = parse_args(argc, argv, &o);
  if (r) {
    mp_buf_release(&cmd);
    return r < 0 ? 0 : r;
  }
  bench_t b = {.o = &o};
  char copy[PATH_MAX + 16], logs[PATH_MAX + 16], machine[512];
  char started[32], method[PATH_MAX + 64];
  int ret = 1;
  time_t t = time(NULL);
  strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  snprintf(b.tag, sizeof b.tag, "bench_%lld_%d", (long long)t,
           (int)(getpid() % 100000));
  snprintf(logs, sizeof logs, "%s/logs", o.out_dir);
  if ((mkdir(o.out_dir, 0755) && errno != EEXIST) ||
      (mkdir(logs, 0755) && errno != EEXIST)) {
    fprintf(stderr, "marcpipe bench: %s: %s\n", logs, strerror(errno));
    goto out;
  }
  if (locate(&b, copy, sizeof copy) || resolve_db(&b) || generate(&b))
    goto out;
  if (mp_bench_expand(&o.axes, &b.configs, &b.n_configs) ||
      !(b.runs = calloc(b.n_configs * o.repeat, sizeof *b.runs)) ||
      !(b.sums = calloc(b.n_configs, sizeof *b.sums))) {
    fprintf(stderr, "marcpipe bench: out of memory\n");
    goto out;
  }
  for (size_t i = 0; i < b.n_configs * o.repeat; i++)
    mp_bench_run_init(&b.runs[i]);
  if (copy_prepare(&b)) {
    fprintf(stderr, "marcpipe bench: out of memory\n");
    goto out;
  }
  /* Rounds: the ceiling, then one run of every configuration, so each
   * import is paired with a COPY run of the same stretch of time. */
  size_t total = b.n_configs * o.repeat, index = 0;
  if (o.warmup && warm_up(&b) == MP_ECANCELED)
    goto out;
  for (size_t ri = 0; ri < o.repeat; ri++) {
    if (copy_round(&b, ri) == MP_ECANCELED)
      goto out;
    for (size_t ci = 0; ci < b.n_configs; ci++) {
      if (import_once(&b, ci, ri, ++index, total) == MP_ECANCELED)
        goto out;
      mp_bench_run_pair(&b.runs[ci * o.repeat + ri], copy_rate_of(&b, ci, ri));
    }
  }
  copy_finish(&b);
  bool all = true;
  for (size_t ci = 0; ci < b.n_configs; ci++) {
    if (mp_bench_summarize(&b.runs[ci * o.repeat], o.repeat, &b.sums[ci]))
      goto out;
    all = all && b.sums[ci].ok == o.repeat;
  }
  mp_bench_machine(machine, sizeof machine);
  snprintf(machine + strlen(machine), sizeof machine - strlen(machine),
           ", PostgreSQL %s", b.pg_version[0] ? b.pg_version : "unknown");
  snprintf(method, sizeof method, "%s, same tables, one transaction per "
           "1,000 rows, database time only", o.copy_bench);
  mp_bench_t res = {.axes = &o.axes, .configs = b.configs,
                    .n_configs = b.n_configs, .repeat = o.repeat,
                    .runs = b.runs, .sums = b.sums, .copy = b.copy,
                    .n_copy = b.n_copy, .copy_method = method,
                    .command = cmd.data, .machine = machine,
                    .started = started};
  ret = write_results(&b, &res) || !all;
out:
  if (!o.keep_inputs)
    remove_inputs(&b);
  if (b.runs)
    for (size_t i = 0; i < b.n_configs * o.repeat; i++)
      mp_bench_run_release(&b.runs[i]);
  free(b.runs);
  free(b.sums);
  free(b.configs);
  free(b.copy);
  free(b.copy_rates);
  free(b.copy_secs);
  free(b.copy_src);
  mp_buf_release(&cmd);
  return ret;
}
