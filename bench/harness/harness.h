/* harness.h: end-to-end import benchmarks, the `marcpipe-bench` program
 * (`marcpipe bench` runs it). Its own program beside marcpipe, built from
 * bench/harness/, not part of the product library: it drives the product
 * through child processes (`marcpipe gen`, `marcpipe import --json`,
 * bench_copy, gnuplot) and reads what they print; of the library it uses
 * only buffers, error codes and the database lookup and connection (to
 * find the managed PostgreSQL and drop each run's tenant).
 *
 * A benchmark is a set of configurations (the cartesian product of a few
 * value lists, one per axis: records, workers, partitions...), each run R
 * times as a child `marcpipe import --json`. Every run is read from the
 * last line of the child's stdout into a fixed table of metrics; the runs
 * of a configuration are summarised by the median of each metric, and the
 * lag-over-time series of the run whose rate is the median is kept for the
 * plot. Beside them stands the COPY ceiling: the same rows written by COPY
 * alone, per record count. The results are written as Markdown, JSON and
 * gnuplot data (plus PNGs when gnuplot and the scripts are there).
 *
 * Figures an import does not report are NAN, never 0: a missing field
 * shows as "n/a" and is left out of medians. Single thread; everything
 * here is synchronous (the child runs while the caller waits).
 */
#ifndef MP_BENCH_HARNESS_H
#define MP_BENCH_HARNESS_H

#include "marcpipe/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- configurations ---- */

/* The axes a benchmark can vary. Every axis but records maps to one
 * `marcpipe import` option (mp_bench_axis_flag). */
typedef enum {
  MP_BENCH_RECORDS,
  MP_BENCH_WORKERS,
  MP_BENCH_PARTITIONS,
  MP_BENCH_WINDOW,
  MP_BENCH_WINDOW_BYTES,
  MP_BENCH_BATCH,
  MP_BENCH_SINKS,
  MP_BENCH_SINK_LATENCY,
  MP_BENCH_MAX_BACKLOG,
  MP_BENCH_MODE,
  MP_BENCH_ASSIGN,
  MP_BENCH_AXES
} mp_bench_axis_t;

/* "records", "workers", "partitions", "window", "window_bytes", "batch",
 * "sinks", "sink_latency_ms", "max_backlog", "mode", "assign". */
const char *mp_bench_axis_name(int axis);
/* The import option ("-w", "--partitions" ...); NULL for records. */
const char *mp_bench_axis_flag(int axis);
/* The values of a named-choice axis ("pull|push" for mode, "share|group"
 * for assign); NULL for the numeric axes. */
const char *mp_bench_axis_choices(int axis);
/* Check one value of an axis: a non-negative integer, or one of its
 * choices. 0 or MP_EUSAGE. */
int mp_bench_axis_check(int axis, const char *value);

/* One configuration: a value per axis; NULL = not passed to the import
 * (its default applies). records is never NULL. The strings belong to
 * whoever built the configuration list. */
typedef struct mp_bench_config_s {
  const char *v[MP_BENCH_AXES];
} mp_bench_config_t;

/* The value lists of a benchmark: n[a] values in vals[a] (n[a] == 0 means
 * the import default; records needs at least one value). */
typedef struct mp_bench_axes_s {
  const char **vals[MP_BENCH_AXES];
  size_t n[MP_BENCH_AXES];
} mp_bench_axes_t;

/* Every combination, records varying slowest and mode fastest, into a
 * malloc'ed array of *count (free()). Pointers refer to ax's strings.
 * 0, MP_EUSAGE (no records value) or MP_ENOMEM. */
int mp_bench_expand(const mp_bench_axes_t *ax, mp_bench_config_t **out,
                    size_t *count);
/* True when the axis has more than one value (then labels show it). */
bool mp_bench_axis_varies(const mp_bench_axes_t *ax, int axis);
/* "workers=2 mode=push": the varied axes of c, except skip (-1 = none);
 * "all" when nothing else varies. */
void mp_bench_config_label(const mp_bench_axes_t *ax,
                           const mp_bench_config_t *c, int skip, char *out,
                           size_t n);

/* ---- one run ---- */

/* The figures of one import run. max_lag and max_stall_s come from the lag
 * series: its largest value, and the longest time during which records
 * were waiting (lag > 0) and the lag did not fall (the wait for the first
 * commit included). Worker figures are the maximum over the
 * workers (RSS, held records and bytes) or their sum (pauses, CPU: the
 * import's "workers_cpu_s" when the workers do not report "cpu_s"). */
#define MP_BENCH_METRICS(XX)                                                   \
  XX(RECORDS, "records")                                                       \
  XX(PROCESSED, "processed")                                                   \
  XX(CREATED, "created")                                                       \
  XX(UPDATED, "updated")                                                       \
  XX(DUPLICATES, "duplicates")                                                 \
  XX(SKIPPED, "skipped")                                                       \
  XX(ERRORS, "errors")                                                         \
  XX(ELAPSED, "elapsed_s")                                                     \
  XX(RATE, "records_per_s")                                                    \
  XX(PRODUCER_RATE, "producer_records_per_s")                                  \
  XX(PRODUCER_ELAPSED, "producer_elapsed_s")                                   \
  XX(PRODUCER_RSS, "producer_peak_rss_kb")                                     \
  XX(FIRST_COMMIT, "first_commit_s")                                           \
  XX(LAST_COMMIT, "last_commit_s")                                             \
  XX(WORKER_RSS, "worker_peak_rss_kb")                                         \
  XX(HELD_RECORDS, "max_records_held")                                         \
  XX(HELD_BYTES, "max_bytes_held")                                             \
  XX(PAUSES, "pauses")                                                         \
  XX(RESUMES, "resumes")                                                       \
  XX(WORKER_CPU, "worker_cpu_s")                                               \
  XX(RESTARTS, "worker_restarts")                                              \
  XX(MAX_LAG, "max_lag")                                                       \
  XX(MAX_STALL, "max_stall_s")                                                 \
  XX(CPU_BUSY, "cpu_busy_pct")                                                 \
  XX(IMPORT_CPU, "import_cpu_s")                                               \
  XX(POSTGRES_CPU, "postgres_cpu_s")                                           \
  XX(BROKER_CPU, "broker_cpu_s")                                               \
  XX(WALL, "wall_s")                                                           \
  XX(COPY_RATE, "copy_records_per_s")                                          \
  XX(RATE_OF_COPY, "rate_of_copy")                                             \
  XX(PRODUCER_OF_COPY, "producer_rate_of_copy")

typedef enum {
#define XX(id, _) MP_BM_##id,
  MP_BENCH_METRICS(XX)
#undef XX
  MP_BM_COUNT
} mp_bench_metric_t;

/* The metric's key in results.json (the second column above). */
const char *mp_bench_metric_name(int metric);

typedef struct mp_bench_run_s {
  int exit_code;   /* child exit status; -1 = killed (signal or timeout) */
  bool parsed;     /* the JSON line was read */
  bool reconciled; /* completed and records == records generated */
  char status[32]; /* "COMPLETED", ... ("" when not parsed) */
  char note[256];  /* why the run does not count, "" when it does */
  double m[MP_BM_COUNT];
  double *lag; /* n_lag (seconds, records) pairs, malloc'ed */
  size_t n_lag;
} mp_bench_run_t;

void mp_bench_run_init(mp_bench_run_t *r);
void mp_bench_run_release(mp_bench_run_t *r);
/* Read the last non-empty line of out (an import's stdout) into r, which
 * must be initialised. Only "records" and "status" are required; other
 * fields missing stay NAN. 0, or MP_EJSON with a message in r->note. */
int mp_bench_run_parse(mp_bench_run_t *r, const char *out, size_t len);
/* Set r->reconciled and r->note: exit 0, status COMPLETED or
 * COMPLETED_WITH_ERRORS, records (read) == expected and, when reported,
 * processed (committed) == expected and created + updated + duplicates +
 * skipped + errors == expected. */
void mp_bench_run_reconcile(mp_bench_run_t *r, uint64_t expected);

/* Pair the run with the COPY ceiling measured just before it, in the same
 * round (copy_rate records/s; NAN or <= 0 = none): sets COPY_RATE and the
 * run's own ratios RATE_OF_COPY and PRODUCER_OF_COPY, which the summary
 * then takes the median of. A slow or fast patch of the machine then
 * lands on both sides of a ratio instead of on one. */
void mp_bench_run_pair(mp_bench_run_t *r, double copy_rate);

/* ---- summaries ---- */

/* Median of the non-NAN values of v (sorted in place, NANs last); NAN
 * when there are none. Even counts give the mean of the middle two. */
double mp_bench_median(double *v, size_t n);

/* Medians over the parsed runs of one configuration. rep is the index of
 * the run whose rate is closest to the median rate (its lag series is the
 * one plotted); SIZE_MAX when no run parsed. */
typedef struct mp_bench_summary_s {
  double m[MP_BM_COUNT];
  size_t rep;
  size_t ok; /* reconciled runs */
} mp_bench_summary_t;

/* 0 or MP_ENOMEM. */
int mp_bench_summarize(const mp_bench_run_t *runs, size_t n,
                       mp_bench_summary_t *s);

/* ---- the whole benchmark ---- */

/* The COPY ceiling for one record count. */
typedef struct mp_bench_copy_s {
  uint64_t records;
  double records_per_s; /* median over the repeats; NAN = not measured */
  double seconds;
  double lo, hi;        /* slowest and fastest run's records/s */
  size_t runs;
  char note[256];       /* why it is missing, "" when measured */
} mp_bench_copy_t;

typedef struct mp_bench_s {
  const mp_bench_axes_t *axes;
  const mp_bench_config_t *configs;
  size_t n_configs;
  size_t repeat;
  const mp_bench_run_t *runs; /* n_configs * repeat, config-major */
  const mp_bench_summary_t *sums; /* n_configs */
  const mp_bench_copy_t *copy;    /* one per records value */
  size_t n_copy;
  const char *copy_method; /* how the ceiling was measured */
  const char *command;     /* the command line, for the record */
  const char *machine;     /* one line: cores, memory, kernel */
  const char *started;     /* ISO 8601 UTC */
} mp_bench_t;

/* The index in copy[0..n) of a record count's ceiling, n when none. */
size_t mp_bench_copy_index(const mp_bench_copy_t *copy, size_t n,
                           const char *records);
/* The ceiling entry for a record count, NULL when there is none. */
const mp_bench_copy_t *mp_bench_copy_for(const mp_bench_t *b,
                                         const char *records);
/* The Markdown report: a table per benchmark, one row per configuration.
 * 0 or negated errno of the failing write. */
int mp_bench_write_md(const mp_bench_t *b, FILE *f);
/* Everything, runs included, as one JSON document. 0, MP_ENOMEM or
 * negated errno. */
int mp_bench_write_json(const mp_bench_t *b, FILE *f);

/* Write the gnuplot data files into dir (rate-workers.dat, rss-records.dat,
 * lag.dat, and rate-AXIS.dat / rss-AXIS.dat for every other varied numeric
 * axis), then, when plot_dir holds series.gp and gnuplot runs, the PNG of
 * each. *pngs = PNGs written. 0 when the data files are written (a missing
 * gnuplot or script only leaves a message in err and *pngs short), else
 * negated errno. */
int mp_bench_plot(const mp_bench_t *b, const char *dir, const char *plot_dir,
                  size_t *pngs, char *err, size_t errlen);
/* The gnuplot scripts' directory: $MARCPIPE_PLOTS when set, else
 * bench/plot beside the schemas directory (the source tree for a
 * build-tree binary). Static storage; not thread-safe. */
const char *mp_bench_default_plot_dir(void);

/* ---- CPU accounting (cpu.c) ---- */

/* Cumulative CPU seconds at one moment. */
typedef struct mp_bench_cpu_s {
  double busy_s, all_s; /* all cores: busy, and busy + idle (/proc/stat);
                         * niced time counts as idle */
  double children_s;    /* this process's waited-for children (getrusage) */
  double postgres_s;    /* processes named postgres, exited backends included */
  double broker_s;      /* Kafka broker JVMs on this machine (a java process
                         * whose command line names kafka.Kafka) */
} mp_bench_cpu_t;

void mp_bench_cpu_sample(mp_bench_cpu_t *s);
/* run->m[CPU_BUSY] = % of all cores busy between the samples,
 * [IMPORT_CPU] = CPU s of the children that ended between them (the import
 * with its workers), [POSTGRES_CPU] = CPU s of the PostgreSQL servers,
 * [BROKER_CPU] = CPU s of the local Kafka brokers (a real cluster's; the
 * embedded broker runs inside the import and counts there).
 * NAN where a sample could not read its source. */
void mp_bench_cpu_apply(const mp_bench_cpu_t *before,
                        const mp_bench_cpu_t *after, mp_bench_run_t *run);

/* "2 cores, 23.5 GiB memory, Linux 6.1.0 x86_64" into out. */
void mp_bench_machine(char *out, size_t n);

/* ---- child processes ---- */

/* Called about once a second while a child runs. */
typedef void (*mp_bench_tick_fn)(double elapsed_s, void *arg);

/* Run argv[0] (looked up in PATH unless it has a slash) with argv, stdin from /dev/null, stdout captured
 * into out (appended), stderr appended to the file log_path (NULL =
 * inherited). timeout_s > 0 kills the child's process group after that
 * many seconds. *status = exit code, -1 when killed by a signal or the
 * timeout; *wall_s = elapsed seconds. 0, or negated errno when the child
 * cannot be started. */
int mp_bench_spawn(char *const argv[], const char *log_path, double timeout_s,
                   mp_bench_tick_fn tick, void *arg, mp_buf_t *out,
                   int *status, double *wall_s);

#endif
