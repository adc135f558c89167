/* plot.c: the benchmark's gnuplot data files and PNGs.
 *
 * Every plot is a set of series: configurations that differ only in the
 * x axis form one series, titled by their other varied axes. Data files
 * hold one block per series (a quoted title line, then "x y" lines, two
 * blank lines between blocks), the format bench/plot/series.gp reads.
 * Plots: records/s (with the COPY ceiling) against workers and RSS
 * against records always, lag
 * against time (the median run of each configuration), and records/s and
 * worker RSS against every other numeric axis that varies. PNGs are drawn
 * by `gnuplot` (a child process, stderr to DIR/gnuplot.log). Single thread.
 */
#include "harness.h"
#include "marcpipe/error.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* snprintf into a message buffer; truncation of long paths is fine. */
static void msg(char *err, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
}

typedef struct point_s {
  double x, y;
} point_t;

static int cmp_x(const void *a, const void *b) {
  double x = ((const point_t *)a)->x, y = ((const point_t *)b)->x;
  return (x > y) - (x < y);
}

/* One block; nothing when no point has a value. *blocks counts written. */
static void block(FILE *f, const char *title, point_t *pts, size_t n,
                  size_t *blocks) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(pts[i].x) && !isnan(pts[i].y))
      pts[k++] = pts[i];
  if (!k)
    return;
  qsort(pts, k, sizeof *pts, cmp_x);
  fprintf(f, "%s\"%s\"\n", *blocks ? "\n\n" : "", title);
  for (size_t i = 0; i < k; i++)
    fprintf(f, "%.6g %.6g\n", pts[i].x, pts[i].y);
  (*blocks)++;
}

/* The COPY ceiling beside the rates: against records, one series of the
 * ceiling per record count; against another axis, a flat line per record
 * count over that axis's values. pts has room for n_configs points. */
static void copy_series(const mp_bench_t *b, FILE *f, int x, point_t *pts,
                        size_t *blocks) {
  const mp_bench_axes_t *ax = b->axes;
  bool by_records = x == MP_BENCH_RECORDS;
  for (size_t r = 0; r < (by_records ? 1 : ax->n[MP_BENCH_RECORDS]); r++) {
    const char *rec = ax->vals[MP_BENCH_RECORDS][r];
    size_t k = 0;
    for (size_t i = 0; i < b->n_configs; i++) {
      const mp_bench_config_t *c = &b->configs[i];
      const mp_bench_copy_t *cp = mp_bench_copy_for(b, c->v[MP_BENCH_RECORDS]);
      if ((!by_records && strcmp(c->v[MP_BENCH_RECORDS], rec)) || !cp ||
          !c->v[x])
        continue;
      pts[k++] = (point_t){strtod(c->v[x], NULL), cp->records_per_s};
    }
    char title[128];
    if (by_records || ax->n[MP_BENCH_RECORDS] == 1)
      snprintf(title, sizeof title, "COPY ceiling");
    else
      snprintf(title, sizeof title, "COPY ceiling records=%s", rec);
    block(f, title, pts, k, blocks);
  }
}

/* Series of metric (times scale) against axis x. Worker RSS plots also get
 * the producer's RSS as series of their own. */
static int write_xy(const mp_bench_t *b, FILE *f, int x, int metric,
                    double scale, size_t *blocks) {
  size_t n = b->n_configs;
  bool *done = calloc(n ? n : 1, sizeof *done);
  point_t *pts = malloc((n ? n : 1) * sizeof *pts);
  if (!done || !pts) {
    free(done);
    free(pts);
    return MP_ENOMEM;
  }
  int extra = metric == MP_BM_WORKER_RSS ? MP_BM_PRODUCER_RSS : -1;
  for (size_t i = 0; i < n; i++) {
    if (done[i])
      continue;
    char label[256], other[256], title[300];
    mp_bench_config_label(b->axes, &b->configs[i], x, label, sizeof label);
    for (int pass = 0; pass < (extra < 0 ? 1 : 2); pass++) {
      int m = pass ? extra : metric;
      size_t k = 0;
      for (size_t j = i; j < n; j++) {
        mp_bench_config_label(b->axes, &b->configs[j], x, other,
                              sizeof other);
        if (strcmp(label, other))
          continue;
        done[j] = true;
        const char *xv = b->configs[j].v[x];
        pts[k].x = xv ? strtod(xv, NULL) : NAN;
        pts[k++].y = b->sums[j].m[m] / scale;
      }
      /* "all" (nothing else varies) says nothing in a legend */
      bool all = !strcmp(label, "all");
      snprintf(title, sizeof title, "%s%s%s",
               extra < 0 ? (all ? "end to end" : "")
               : pass    ? "producer"
                         : "worker",
               extra >= 0 && !all ? " " : "", all ? "" : label);
      block(f, title, pts, k, blocks);
    }
  }
  if (metric == MP_BM_RATE)
    copy_series(b, f, x, pts, blocks);
  free(done);
  free(pts);
  return 0;
}

static void write_lag(const mp_bench_t *b, FILE *f, size_t *blocks) {
  for (size_t i = 0; i < b->n_configs; i++) {
    const mp_bench_summary_t *s = &b->sums[i];
    if (s->rep == SIZE_MAX)
      continue;
    const mp_bench_run_t *r = &b->runs[i * b->repeat + s->rep];
    char label[256];
    mp_bench_config_label(b->axes, &b->configs[i], -1, label, sizeof label);
    /* the series is copied as points: block() reorders what it gets */
    point_t *pts = malloc((r->n_lag ? r->n_lag : 1) * sizeof *pts);
    if (!pts)
      continue;
    for (size_t k = 0; k < r->n_lag; k++)
      pts[k] = (point_t){r->lag[2 * k], r->lag[2 * k + 1]};
    block(f, label, pts, r->n_lag, blocks);
    free(pts);
  }
}

typedef struct plot_s {
  char name[64];
  const char *title, *ylabel;
  char xlabel[64];
  int x, metric; /* x < 0: the lag plot */
  double scale;
} plot_t;

/* Values spanning two decades or more get a logarithmic axis. */
static bool wide(const mp_bench_axes_t *ax, int a) {
  double lo = INFINITY, hi = 0;
  for (size_t i = 0; i < ax->n[a]; i++) {
    double v = strtod(ax->vals[a][i], NULL);
    lo = fmin(lo, v);
    hi = fmax(hi, v);
  }
  return lo > 0 && hi / lo >= 100;
}

static int draw(const mp_bench_t *b, const plot_t *p, const char *dir,
                const char *script, size_t *pngs, char *err, size_t errlen) {
  char dat[4096], png[4096], log[4096], expr[16384];
  snprintf(dat, sizeof dat, "%s/%s.dat", dir, p->name);
  snprintf(png, sizeof png, "%s/%s.png", dir, p->name);
  snprintf(log, sizeof log, "%s/gnuplot.log", dir);
  FILE *f = fopen(dat, "w");
  if (!f) {
    int e = errno;
    msg(err, errlen, "%s: %s", dat, strerror(e));
    return -e;
  }
  size_t blocks = 0;
  int ret = p->x < 0 ? (write_lag(b, f, &blocks), 0)
                     : write_xy(b, f, p->x, p->metric, p->scale, &blocks);
  if (fclose(f) && !ret)
    ret = -EIO;
  if (ret) {
    msg(err, errlen, "%s: %s", dat, mp_strerror(ret));
    return ret;
  }
  if (!script || !blocks)
    return 0; /* nothing to draw, or no script: the data file stays */
  snprintf(expr, sizeof expr,
           "data='%s'; out='%s'; title='%s'; xlabel='%s'; ylabel='%s'; "
           "logx=%d; style='%s'",
           dat, png, p->title, p->xlabel, p->ylabel,
           p->x >= 0 && wide(b->axes, p->x), p->x < 0 ? "lines" : "linespoints");
  char *argv[] = {"gnuplot", "-e", expr, (char *)script, NULL};
  mp_buf_t out;
  mp_buf_init(&out);
  int status;
  double wall;
  int r = mp_bench_spawn(argv, log, 120, NULL, NULL, &out, &status, &wall);
  mp_buf_release(&out);
  struct stat st;
  if (r == 0 && status == 0 && stat(png, &st) == 0 && st.st_size > 0)
    (*pngs)++;
  else
    msg(err, errlen, "gnuplot failed for %s (see %s)", png, log);
  return r == MP_ECANCELED ? r : 0;
}

int mp_bench_plot(const mp_bench_t *b, const char *dir, const char *plot_dir,
                  size_t *pngs, char *err, size_t errlen) {
  *pngs = 0;
  if (errlen)
    err[0] = '\0';
  char script[4096];
  snprintf(script, sizeof script, "%s/series.gp", plot_dir ? plot_dir : "");
  struct stat st;
  bool have_script = plot_dir && stat(script, &st) == 0;
  if (!have_script)
    msg(err, errlen, "no gnuplot script %s: data files only", script);
  plot_t plots[2 * MP_BENCH_AXES + 1];
  size_t np = 0;
  plots[np++] = (plot_t){"lag", "lag (produced - processed), median run",
                         "records not yet committed", "seconds since start",
                         -1, 0, 1};
  for (int a = 0; a < MP_BENCH_AXES; a++) {
    if (mp_bench_axis_choices(a))
      continue; /* not numeric: it separates series instead */
    if (a == MP_BENCH_WORKERS || mp_bench_axis_varies(b->axes, a)) {
      plot_t *p = &plots[np++];
      *p = (plot_t){"", "end-to-end records/s (median)", "records/s", "",
                    a, MP_BM_RATE, 1};
      snprintf(p->name, sizeof p->name, "rate-%s", mp_bench_axis_name(a));
      snprintf(p->xlabel, sizeof p->xlabel, "%s", mp_bench_axis_name(a));
    }
    if (a == MP_BENCH_RECORDS || mp_bench_axis_varies(b->axes, a)) {
      plot_t *p = &plots[np++];
      *p = (plot_t){"", "peak RSS (median; worker = largest worker)",
                    "MiB", "", a, MP_BM_WORKER_RSS, 1024};
      snprintf(p->name, sizeof p->name, "rss-%s", mp_bench_axis_name(a));
      snprintf(p->xlabel, sizeof p->xlabel, "%s", mp_bench_axis_name(a));
    }
  }
  for (size_t i = 0; i < np; i++) {
    char e[1024] = "";
    int r = draw(b, &plots[i], dir, have_script ? script : NULL, pngs, e,
                 sizeof e);
    if (e[0] && errlen)
      msg(err, errlen, "%s", e);
    if (r < 0)
      return r;
  }
  return 0;
}

const char *mp_bench_default_plot_dir(void) {
  static char dir[4096];
  const char *env = getenv("MARCPIPE_PLOTS");
  if (env && *env)
    return env;
  const char *schemas = MP_SCHEMAS_DIR;
  const char *slash = strrchr(schemas, '/');
  size_t n = slash ? (size_t)(slash - schemas) : 0;
  snprintf(dir, sizeof dir, "%.*s%sbench/plot", (int)n, schemas,
           slash ? "/" : "");
  return dir;
}
