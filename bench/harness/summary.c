/* summary.c: medians over the repeats of one configuration.
 *
 * Every metric is summarised on its own (the median rate and the median
 * RSS may come from different runs); the lag series shown is the one of
 * the run whose rate is closest to the median rate. Runs whose JSON line
 * could not be read do not count; runs that did not reconcile still do
 * (their figures are real, the report flags them). Pure functions.
 */
#include "harness.h"
#include "marcpipe/error.h"

#include <math.h>
#include <stdlib.h>

static int cmp_nan_last(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  if (isnan(x) || isnan(y))
    return isnan(x) - isnan(y);
  return (x > y) - (x < y);
}

double mp_bench_median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_nan_last);
  while (n && isnan(v[n - 1]))
    n--;
  if (!n)
    return NAN;
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int mp_bench_summarize(const mp_bench_run_t *runs, size_t n,
                       mp_bench_summary_t *s) {
  s->rep = SIZE_MAX;
  s->ok = 0;
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!v)
    return MP_ENOMEM;
  for (int m = 0; m < MP_BM_COUNT; m++) {
    for (size_t i = 0; i < n; i++)
      v[i] = runs[i].parsed ? runs[i].m[m] : NAN;
    s->m[m] = mp_bench_median(v, n);
  }
  free(v);
  double best = INFINITY;
  for (size_t i = 0; i < n; i++) {
    s->ok += runs[i].reconciled;
    if (!runs[i].parsed)
      continue;
    double d = fabs(runs[i].m[MP_BM_RATE] - s->m[MP_BM_RATE]);
    if (isnan(d))
      d = INFINITY; /* a parsed run without a rate still beats none */
    if (s->rep == SIZE_MAX || d < best) {
      best = d;
      s->rep = i;
    }
  }
  return 0;
}
