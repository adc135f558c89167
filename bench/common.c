/* common.c: clocks, whole-file reads, the record walk, the default
 * mapping rules and the database options, shared by the benchmark
 * programs (common.h). */
#include "common.h"

#include "marcpipe/error.h"
#include "marcpipe/pgmanaged.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double mp_bench_now(void) { return clock_s(CLOCK_MONOTONIC); }

double mp_bench_thread_cpu(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

char *mp_bench_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  struct stat st;
  char *p = NULL;
  if (!f)
    return NULL;
  if (fstat(fileno(f), &st) == 0 && (p = malloc((size_t)st.st_size + 1))) {
    *len = fread(p, 1, (size_t)st.st_size, f);
    p[*len] = '\0';
    if (ferror(f)) {
      free(p);
      p = NULL;
      errno = EIO;
    }
  }
  fclose(f);
  return p;
}

int mp_bench_each_record(const char *prog, const char *path,
                         const mp_marc_reader_opts_t *opts,
                         mp_bench_record_fn fn, void *arg) {
  int err = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open(path, opts, &err);
  if (!rd) {
    fprintf(stderr, "%s: %s: %s\n", prog, path, mp_strerror(err));
    return err ? err : MP_EIO;
  }
  mp_record_t *rec;
  int rc, ret = 0;
  while (!ret && (rc = mp_marc_reader_next(rd, &rec)) != MP_EOF) {
    if (rc == 0)
      ret = fn(rd, rec, arg);
    else if (mp_marc_reader_fatal(rd))
      break;
  }
  mp_marc_reader_close(rd);
  return ret;
}

typedef struct load_s {
  mp_bench_item_t *v;
  size_t n, cap;
  int err; /* keep()'s failure, 0 when none */
} load_t;

static int keep(mp_marc_reader_t *rd, mp_record_t *rec, void *arg) {
  load_t *l = arg;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 1024;
    mp_bench_item_t *v = realloc(l->v, cap * sizeof *v);
    if (!v)
      return l->err = MP_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  size_t len;
  const char *raw = mp_marc_reader_raw(rd, &len);
  mp_bench_item_t *it = &l->v[l->n];
  mp_record_init(&it->rec);
  it->raw_len = len;
  if (!(it->raw = malloc(len ? len : 1)) || mp_record_clone(&it->rec, rec)) {
    free(it->raw);
    mp_record_release(&it->rec);
    return l->err = MP_ENOMEM;
  }
  memcpy(it->raw, raw, len);
  l->n++;
  return 0;
}

int mp_bench_load(const char *prog, const char *path, mp_bench_item_t **items,
                  size_t *n) {
  load_t l = {0};
  int rc = mp_bench_each_record(prog, path, NULL, keep, &l);
  if (l.err || (!rc && !l.n)) /* an open failure is already said */
    fprintf(stderr, "%s: %s: %s\n", prog, path,
            l.err ? mp_strerror(l.err) : "no records");
  if (rc || !l.n) {
    mp_bench_items_free(l.v, l.n);
    l.v = NULL;
    l.n = 0;
  }
  *items = l.v;
  *n = l.n;
  return l.n ? 0 : -1;
}

void mp_bench_items_free(mp_bench_item_t *items, size_t n) {
  for (size_t i = 0; i < n; i++) {
    mp_record_release(&items[i].rec);
    free(items[i].raw);
  }
  free(items);
}

mp_mapping_t *mp_bench_mapping(const char *prog) {
  char err[1024];
  mp_mapping_t *m = mp_mapping_load(NULL, NULL, err, sizeof err);
  if (!m)
    fprintf(stderr, "%s: %s\n", prog, err);
  return m;
}

/* /proc/PID/stat into *p; false when it cannot be read (the process may
 * have exited since the directory was listed). */
static bool proc_stat(long pid, mp_bench_proc_t *p) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[len] = '\0';
  /* "pid (name) state ppid ...": the name may hold spaces and ')' */
  const char *open = strchr(buf, '('), *close = strrchr(buf, ')');
  if (!open || !close || close < open)
    return false;
  snprintf(p->name, sizeof p->name, "%.*s", (int)(close - open - 1), open + 1);
  /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
   * majflt cmajflt utime stime cutime cstime */
  unsigned long long ut, st, cut, cst;
  char state;
  long skip;
  if (sscanf(close + 1, " %c %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %llu %llu %llu %llu",
             &state, &p->ppid, &skip, &skip, &skip, &skip, &skip, &skip, &skip, &skip,
             &skip, &ut, &st, &cut, &cst) != 15)
    return false;
  double hz = (double)sysconf(_SC_CLK_TCK);
  p->pid = pid;
  p->self_s = (double)(ut + st) / hz;
  p->reaped_s = (double)(cut + cst) / hz;
  return true;
}

bool mp_bench_procs(const char *name, mp_bench_proc_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  DIR *d = opendir("/proc");
  if (!d)
    return false;
  size_t cap = 0;
  bool ok = true;
  for (struct dirent *e; ok && (e = readdir(d));) {
    mp_bench_proc_t p;
    if (!isdigit((unsigned char)e->d_name[0]) ||
        !proc_stat(strtol(e->d_name, NULL, 10), &p) ||
        (name && strcmp(p.name, name)))
      continue;
    if (*n == cap) {
      mp_bench_proc_t *g = realloc(*out, (cap = cap ? 2 * cap : 64) * sizeof **out);
      if (!(ok = g != NULL))
        break;
      *out = g;
    }
    (*out)[(*n)++] = p;
  }
  closedir(d);
  if (!ok) {
    free(*out);
    *out = NULL;
    *n = 0;
  }
  return ok;
}

double mp_bench_server_cpu(const mp_bench_proc_t *v, size_t n, long pm) {
  double sum = NAN;
  for (size_t i = 0; i < n; i++)
    if (v[i].pid == pm)
      sum = v[i].self_s + v[i].reaped_s;
  for (size_t i = 0; i < n && !isnan(sum); i++)
    if (v[i].ppid == pm)
      sum += v[i].self_s;
  return sum;
}

double mp_bench_pg_cpu(PGconn *c) {
  PGresult *r = PQexec(c, "SELECT current_setting('data_directory')");
  char path[4096] = "";
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
    snprintf(path, sizeof path, "%s/postmaster.pid", PQgetvalue(r, 0, 0));
  PQclear(r);
  FILE *f = path[0] ? fopen(path, "r") : NULL;
  long pm = 0;
  if (!f || fscanf(f, "%ld", &pm) != 1)
    pm = 0;
  if (f)
    fclose(f);
  mp_bench_proc_t *v;
  size_t n;
  if (pm <= 0 || !mp_bench_procs("postgres", &v, &n))
    return NAN;
  double sum = mp_bench_server_cpu(v, n, pm);
  free(v);
  return sum;
}

bool mp_bench_db_opt(int argc, char **argv, int *i, mp_bench_db_t *o) {
  const char *a = argv[*i];
  if (!strcmp(a, "--json")) {
    o->json = true;
    return true;
  }
  const char **dst = !strcmp(a, "--db") ? &o->db : !strcmp(a, "--tenant") ? &o->tenant : NULL;
  if (!dst || *i + 1 >= argc)
    return false;
  *dst = argv[++*i];
  return true;
}

void mp_bench_db_conninfo(const mp_bench_db_t *o, char *ci, size_t n) {
  if (o->db)
    snprintf(ci, n, "%s", o->db);
  else
    mp_pgmanaged_default_conninfo(ci, n);
}
