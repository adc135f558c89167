/* cpu.c: where the CPU time of a benchmark run went, so that a result can
 * name its limit from measurements: the machine's busy share (all cores,
 * /proc/stat), the CPU of this process's waited-for children (the import
 * and, through it, its producer, embedded broker and reaped workers;
 * getrusage), and the CPU of the PostgreSQL servers on this machine (every
 * process named "postgres": a server's postmaster counts with its reaped
 * children, i.e. the backends that have exited, the others alone).
 * Samples are taken before and after a run and subtracted; CPU time of
 * niced processes (nice > 0) counts as idle, see machine(). Linux only;
 * a figure that cannot be read is NAN. Main thread only. */
#include "harness.h"

#include "common.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static double tv(struct timeval t) { return (double)t.tv_sec + t.tv_usec / 1e6; }

static void machine(mp_bench_cpu_t *s) {
  s->busy_s = s->all_s = NAN;
  FILE *f = fopen("/proc/stat", "r");
  unsigned long long v[8] = {0};
  if (!f)
    return;
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 4)
    return;
  /* user nice system idle iowait irq softirq steal; time at nice > 0
   * counts as idle: a low-priority background job yields to the run and
   * must not hide how much of the machine the run itself used */
  double hz = (double)sysconf(_SC_CLK_TCK);
  double idle = (double)(v[1] + v[3] + v[4]);
  double busy = (double)(v[0] + v[2] + v[5] + v[6] + v[7]);
  s->busy_s = busy / hz;
  s->all_s = (busy + idle) / hz;
}

typedef struct {
  long pid, ppid;
  double self_s, reaped_s;
} proc_t;

/* /proc/PID/stat of a process named "postgres" into *p; false otherwise. */
static bool read_postgres(long pid, proc_t *p) {
  char name[32];
  long ppid;
  double self, reaped;
  if (!mp_bench_proc_stat(pid, name, sizeof name, &ppid, &self, &reaped) ||
      strcmp(name, "postgres"))
    return false;
  *p = (proc_t){pid, ppid, self, reaped};
  return true;
}

static void postgres(mp_bench_cpu_t *s) {
  s->postgres_s = NAN;
  DIR *d = opendir("/proc");
  if (!d)
    return;
  proc_t *v = NULL;
  size_t n = 0, cap = 0;
  bool ok = true;
  for (struct dirent *e; ok && (e = readdir(d));) {
    if (!isdigit((unsigned char)e->d_name[0]))
      continue;
    proc_t p;
    if (!read_postgres(strtol(e->d_name, NULL, 10), &p))
      continue;
    if (n == cap) {
      proc_t *g = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
      if (!(ok = g != NULL))
        break;
      v = g;
    }
    v[n++] = p;
  }
  closedir(d);
  if (ok) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
      bool postmaster = true;
      for (size_t j = 0; j < n && postmaster; j++)
        postmaster = v[j].pid != v[i].ppid;
      sum += v[i].self_s + (postmaster ? v[i].reaped_s : 0);
    }
    s->postgres_s = sum;
  }
  free(v);
}

void mp_bench_cpu_sample(mp_bench_cpu_t *s) {
  machine(s);
  struct rusage ru;
  s->children_s = getrusage(RUSAGE_CHILDREN, &ru) == 0
                      ? tv(ru.ru_utime) + tv(ru.ru_stime)
                      : NAN;
  postgres(s);
}

void mp_bench_cpu_apply(const mp_bench_cpu_t *before,
                        const mp_bench_cpu_t *after, mp_bench_run_t *run) {
  double all = after->all_s - before->all_s;
  run->m[MP_BM_CPU_BUSY] =
      all > 0 ? 100.0 * (after->busy_s - before->busy_s) / all : NAN;
  run->m[MP_BM_IMPORT_CPU] = after->children_s - before->children_s;
  run->m[MP_BM_POSTGRES_CPU] = after->postgres_s - before->postgres_s;
}
