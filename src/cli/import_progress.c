/* import_progress.c: see import_progress.h. Pure formatting; the caller
 * decides when to call (the import's progress timer). */
#include "cli/import_progress.h"

#include <unistd.h>

void mp_progress_init(mp_progress_t *p, FILE *out, bool quiet) {
  p->out = out;
  p->tty = isatty(fileno(out));
  p->quiet = quiet;
  p->every_s = 5.0;
  p->last_print = -1e9;
  p->drawn = false;
}

static double rate(const mp_progress_view_t *v) {
  return v->elapsed_s > 0 ? (double)v->processed / v->elapsed_s : 0;
}

void mp_progress_update(mp_progress_t *p, const mp_progress_view_t *v) {
  if (p->quiet)
    return;
  int64_t denom = v->total >= 0 ? v->total : v->read;
  double frac = denom > 0 ? (double)v->processed / (double)denom : 0;
  if (frac > 1)
    frac = 1;
  if (p->tty) {
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
      bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(p->out,
            "\r[%s] %lld/%lld%s %3.0f%%  %.0f rec/s  errors %lld  %s   ",
            bar, (long long)v->processed, (long long)denom,
            v->total >= 0 ? "" : "+", frac * 100, rate(v),
            (long long)v->errors, v->status);
    fflush(p->out);
    p->drawn = true;
    return;
  }
  if (v->elapsed_s - p->last_print < p->every_s)
    return;
  p->last_print = v->elapsed_s;
  fprintf(p->out,
          "import: %.1fs read %lld processed %lld/%s%lld errors %lld %.0f rec/s "
          "%s\n",
          v->elapsed_s, (long long)v->read, (long long)v->processed,
          v->total >= 0 ? "" : ">=", (long long)denom, (long long)v->errors,
          rate(v), v->status);
  fflush(p->out);
}

void mp_progress_end(mp_progress_t *p) {
  if (p->tty && p->drawn) {
    fputc('\n', p->out);
    p->drawn = false;
  }
}
