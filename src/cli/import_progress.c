/* import_progress.c: see import_progress.h. Pure formatting; the caller
 * decides when to call (the import's progress timer). */
#include "cli/import_progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void mp_progress_init(mp_progress_t *p, FILE *out, bool quiet) {
  memset(p, 0, sizeof *p);
  p->out = out;
  p->tty = isatty(fileno(out));
  p->quiet = quiet;
  p->every_s = 60.0;
  p->last_print = -1e9;
}

static int term_columns(const mp_progress_t *p) {
  struct winsize ws;
  if (p->columns > 0)
    return p->columns;
  if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  const char *c = getenv("COLUMNS");
  int v = c ? atoi(c) : 0;
  return v > 0 ? v : 80;
}

/* Add a sample; the rate over the oldest sample within the window. */
static double sample_rate(mp_progress_t *p, double t, int64_t done) {
  if (p->nsamples == 0 || t > p->t[(p->head + MP_PROGRESS_SAMPLES - 1) %
                                   MP_PROGRESS_SAMPLES]) {
    p->t[p->head] = t;
    p->done[p->head] = done;
    p->head = (p->head + 1) % MP_PROGRESS_SAMPLES;
    if (p->nsamples < MP_PROGRESS_SAMPLES)
      p->nsamples++;
  }
  int newest = (p->head + MP_PROGRESS_SAMPLES - 1) % MP_PROGRESS_SAMPLES;
  int oldest = newest;
  for (int k = 1; k < p->nsamples; k++) {
    int i = (newest + MP_PROGRESS_SAMPLES - k) % MP_PROGRESS_SAMPLES;
    if (p->t[newest] - p->t[i] > MP_PROGRESS_RATE_WINDOW_S)
      break;
    oldest = i;
  }
  double dt = p->t[newest] - p->t[oldest];
  return dt > 0 ? (double)(p->done[newest] - p->done[oldest]) / dt : 0;
}

static void hms(char *buf, size_t n, double s) {
  long v = s > 0 ? (long)(s + 0.5) : 0;
  if (v >= 3600)
    snprintf(buf, n, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
  else
    snprintf(buf, n, "%ld:%02ld", v / 60, v % 60);
}

static double done_frac(const mp_progress_view_t *v) {
  return mp_job_share_done(v->total, v->read, v->processed, v->input_read);
}

/* The facts, most important first; `bar_room` tells the caller how much
 * width is left for the bar. */
static size_t facts(const mp_progress_view_t *v, double rate, char *buf,
                    size_t n) {
  char el[24], eta[40] = "";
  int64_t denom = v->total >= 0 ? v->total : v->read;
  double frac = done_frac(v),
         all = mp_job_records_expected(v->total, v->read, v->input_read);
  hms(el, sizeof el, v->elapsed_s);
  if (all > 0 && rate > 0 && (double)v->processed < all) {
    char t[24];
    hms(t, sizeof t, (all - (double)v->processed) / rate);
    snprintf(eta, sizeof eta, " ETA %s%s", v->total >= 0 ? "" : "~", t);
  }
  char what[96];
  if (v->phase && *v->phase)
    snprintf(what, sizeof what, "%s", v->phase);
  else
    snprintf(what, sizeof what, "%.0f rec/s%s", rate, eta);
  /* whole percents, rounded down: 99.6% of the way is not 100% */
  int w = snprintf(buf, n, "%s %lld/%lld%s %d%% %s", el,
                   (long long)v->processed, (long long)denom,
                   v->total >= 0 ? "" : "+", (int)(frac * 100), what);
  if (w > 0 && (size_t)w < n && v->errors > 0)
    w += snprintf(buf + w, n - (size_t)w, " errors %lld",
                  (long long)v->errors);
  if (w > 0 && (size_t)w < n && v->status != MP_JOB_IN_PROGRESS &&
      v->status != MP_JOB_PRODUCING)
    w += snprintf(buf + w, n - (size_t)w, " %s", mp_job_status_name(v->status));
  return w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
}

size_t mp_progress_format(mp_progress_t *p, const mp_progress_view_t *v,
                          int cols, char *buf, size_t n) {
  double rate = sample_rate(p, v->elapsed_s, v->processed);
  char text[256];
  size_t tl = facts(v, rate, text, sizeof text);
  size_t max = cols > 1 ? (size_t)cols - 1 : 1; /* the last column wraps */
  if (max >= n)
    max = n - 1;
  double frac = done_frac(v);
  size_t room = max > tl + 3 ? max - tl - 3 : 0; /* "[" bar "] " */
  size_t bar = room > 30 ? 30 : room;
  size_t len = 0;
  if (bar >= 10) {
    size_t fill = (size_t)(frac * (double)bar);
    buf[len++] = '[';
    for (size_t i = 0; i < bar; i++)
      buf[len++] = i < fill ? '#' : '.';
    buf[len++] = ']';
    buf[len++] = ' ';
  }
  size_t take = tl < max - len ? tl : max - len;
  memcpy(buf + len, text, take);
  len += take;
  buf[len] = '\0';
  return len;
}

void mp_progress_update(mp_progress_t *p, const mp_progress_view_t *v) {
  if (p->quiet)
    return;
  char line[512];
  if (p->tty) {
    mp_progress_format(p, v, term_columns(p), line, sizeof line);
    /* back to column 0, the line, then clear what an older, longer line
     * left behind */
    fprintf(p->out, "\r%s\x1b[K", line);
    fflush(p->out);
    p->drawn = true;
    return;
  }
  /* the rate needs every sample, printed or not */
  double rate = sample_rate(p, v->elapsed_s, v->processed);
  if (v->elapsed_s - p->last_print < p->every_s)
    return;
  p->last_print = v->elapsed_s;
  facts(v, rate, line, sizeof line);
  fprintf(p->out, "marcpipe import: %s\n", line);
  fflush(p->out);
}

void mp_progress_end(mp_progress_t *p) {
  if (p->tty && p->drawn) {
    fputc('\n', p->out);
    p->drawn = false;
  }
}
