/* config.c: benchmark axes and their configurations.
 *
 * The axes are one table (name, import option, kind); a configuration is
 * one value per axis, and a benchmark runs the cartesian product of the
 * value lists. Labels name only the axes that vary, so tables and plot
 * legends stay short. Pure functions.
 */
#include "harness.h"
#include "marcpipe/error.h"

#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  const char *flag; /* marcpipe import option; NULL = the input itself */
  const char *choices; /* "a|b" for a named-choice axis; NULL = a count */
} axes[MP_BENCH_AXES] = {
    [MP_BENCH_RECORDS] = {"records", NULL, NULL},
    [MP_BENCH_WORKERS] = {"workers", "-w", NULL},
    [MP_BENCH_PARTITIONS] = {"partitions", "--partitions", NULL},
    [MP_BENCH_WINDOW] = {"window", "--window", NULL},
    [MP_BENCH_WINDOW_BYTES] = {"window_bytes", "--window-bytes", NULL},
    [MP_BENCH_BATCH] = {"batch", "--batch", NULL},
    [MP_BENCH_SINKS] = {"sinks", "--sinks", NULL},
    [MP_BENCH_SINK_LATENCY] = {"sink_latency_ms", "--sink-latency-ms", NULL},
    [MP_BENCH_MAX_BACKLOG] = {"max_backlog", "--max-backlog", NULL},
    [MP_BENCH_MODE] = {"mode", "--mode", "pull|push"},
    [MP_BENCH_ASSIGN] = {"assign", "--assign", "share|group"},
};

const char *mp_bench_axis_name(int axis) {
  return axis >= 0 && axis < MP_BENCH_AXES ? axes[axis].name : "?";
}

const char *mp_bench_axis_flag(int axis) {
  return axis >= 0 && axis < MP_BENCH_AXES ? axes[axis].flag : NULL;
}

const char *mp_bench_axis_choices(int axis) {
  return axis >= 0 && axis < MP_BENCH_AXES ? axes[axis].choices : NULL;
}

int mp_bench_axis_check(int axis, const char *value) {
  if (axis < 0 || axis >= MP_BENCH_AXES || !value || !*value)
    return MP_EUSAGE;
  if (axes[axis].choices) { /* one of the '|'-separated words */
    size_t n = strlen(value);
    if (strchr(value, '|'))
      return MP_EUSAGE;
    for (const char *c = axes[axis].choices; c; c = strchr(c, '|')) {
      if (*c == '|')
        c++;
      if (!strncmp(c, value, n) && (c[n] == '|' || !c[n]))
        return 0;
    }
    return MP_EUSAGE;
  }
  if (strlen(value) > 18) /* keeps every value below 10^18 */
    return MP_EUSAGE;
  for (const char *p = value; *p; p++)
    if (*p < '0' || *p > '9')
      return MP_EUSAGE;
  return 0;
}

int mp_bench_expand(const mp_bench_axes_t *ax, mp_bench_config_t **out,
                    size_t *count) {
  *out = NULL;
  *count = 0;
  if (ax->n[MP_BENCH_RECORDS] == 0)
    return MP_EUSAGE;
  size_t total = 1;
  for (int a = 0; a < MP_BENCH_AXES; a++)
    if (ax->n[a]) {
      if (total > SIZE_MAX / sizeof(mp_bench_config_t) / ax->n[a])
        return MP_ENOMEM;
      total *= ax->n[a];
    }
  mp_bench_config_t *c = calloc(total, sizeof *c);
  if (!c)
    return MP_ENOMEM;
  for (size_t i = 0; i < total; i++) {
    /* mixed-radix digits of i, the last axis varying fastest */
    size_t rest = i;
    for (int a = MP_BENCH_AXES - 1; a >= 0; a--) {
      if (!ax->n[a])
        continue;
      c[i].v[a] = ax->vals[a][rest % ax->n[a]];
      rest /= ax->n[a];
    }
  }
  *out = c;
  *count = total;
  return 0;
}

bool mp_bench_axis_varies(const mp_bench_axes_t *ax, int axis) {
  return axis >= 0 && axis < MP_BENCH_AXES && ax->n[axis] > 1;
}

void mp_bench_config_label(const mp_bench_axes_t *ax,
                           const mp_bench_config_t *c, int skip, char *out,
                           size_t n) {
  size_t len = 0;
  if (n)
    out[0] = '\0';
  for (int a = 0; a < MP_BENCH_AXES && len < n; a++) {
    if (a == skip || !mp_bench_axis_varies(ax, a))
      continue;
    int k = snprintf(out + len, n - len, "%s%s=%s", len ? " " : "",
                     axes[a].name, c->v[a]);
    if (k < 0)
      break;
    len += (size_t)k;
  }
  if (n && !out[0])
    snprintf(out, n, "all");
}
