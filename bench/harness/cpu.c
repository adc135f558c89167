/* cpu.c: where the CPU time of a benchmark run went, so that a result can
 * name its limit from measurements: the machine's busy share (all cores,
 * /proc/stat); the CPU of this process's waited-for children (the import
 * and, through it, its producer, embedded broker and reaped workers;
 * getrusage); of the PostgreSQL servers on this machine (every process
 * named "postgres": a server's postmaster counts with its reaped children,
 * i.e. the backends that have exited, the others alone); and of the Kafka
 * brokers on this machine (a real cluster's JVMs: a process named java
 * with kafka.Kafka, the broker's main class, among its arguments; their
 * own CPU only, as a broker lives as long as its cluster).
 * Samples are taken before and after a run and subtracted; CPU time of
 * niced processes (nice > 0) counts as idle, see machine(). Linux only;
 * a figure that cannot be read is NAN. Main thread only. */
#include "harness.h"

#include "common.h"

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

/* Every PostgreSQL server: each postmaster (a process named postgres whose
 * parent is not one) with its backends, live and exited. */
static void postgres(mp_bench_cpu_t *s) {
  s->postgres_s = NAN;
  mp_bench_proc_t *v;
  size_t n;
  if (!mp_bench_procs("postgres", &v, &n))
    return;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    bool postmaster = true;
    for (size_t j = 0; j < n && postmaster; j++)
      postmaster = v[j].pid != v[i].ppid;
    if (postmaster)
      sum += mp_bench_server_cpu(v, n, v[i].pid);
  }
  s->postgres_s = sum;
  free(v);
}

/* Does /proc/PID/cmdline hold `arg` as one of its arguments? */
static bool cmdline_has(long pid, const char *arg) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  bool found = false;
  char cur[4096];
  size_t len = 0;
  for (int c; !found && (c = fgetc(f)) != EOF;) {
    if (c) {
      if (len < sizeof cur - 1)
        cur[len++] = (char)c;
      continue;
    }
    cur[len] = '\0';
    found = !strcmp(cur, arg);
    len = 0;
  }
  fclose(f);
  return found;
}

static void brokers(mp_bench_cpu_t *s) {
  s->broker_s = NAN;
  mp_bench_proc_t *v;
  size_t n;
  if (!mp_bench_procs("java", &v, &n))
    return;
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    if (cmdline_has(v[i].pid, "kafka.Kafka"))
      sum += v[i].self_s;
  s->broker_s = sum;
  free(v);
}

void mp_bench_cpu_sample(mp_bench_cpu_t *s) {
  machine(s);
  struct rusage ru;
  s->children_s = getrusage(RUSAGE_CHILDREN, &ru) == 0
                      ? tv(ru.ru_utime) + tv(ru.ru_stime)
                      : NAN;
  postgres(s);
  brokers(s);
}

void mp_bench_cpu_apply(const mp_bench_cpu_t *before,
                        const mp_bench_cpu_t *after, mp_bench_run_t *run) {
  double all = after->all_s - before->all_s;
  run->m[MP_BM_CPU_BUSY] =
      all > 0 ? 100.0 * (after->busy_s - before->busy_s) / all : NAN;
  run->m[MP_BM_IMPORT_CPU] = after->children_s - before->children_s;
  run->m[MP_BM_POSTGRES_CPU] = after->postgres_s - before->postgres_s;
  run->m[MP_BM_BROKER_CPU] = after->broker_s - before->broker_s;
}
