/* common.h: the helpers every benchmark program under bench/ shares (the
 * component programs bench_*.c and the marcpipe-bench harness): clocks,
 * reading a whole file, walking or keeping the records of a MARC file,
 * loading the default mapping rules, the database options. The C
 * counterpart of bench/common.sh. Built into each program, not into the
 * product library. No state; thread-safe as the calls they wrap.
 */
#ifndef MP_BENCH_COMMON_H
#define MP_BENCH_COMMON_H

#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* Seconds on the monotonic clock (wall time between two calls). */
double mp_bench_now(void);
/* CPU seconds of the calling thread: other load on the machine does not
 * count against a figure timed with it (cache contention still does). */
double mp_bench_thread_cpu(void);

/* The whole regular file at path in a malloc'ed buffer (the caller frees it), its
 * size in *len, one NUL byte after the data. NULL with errno set when it
 * cannot be read. */
char *mp_bench_slurp(const char *path, size_t *len);

/* Called for each record read without error; rd is the open reader (for
 * mp_marc_reader_raw), rec is valid until fn returns. Nonzero stops the
 * walk and is returned by mp_bench_each_record. */
typedef int (*mp_bench_record_fn)(mp_marc_reader_t *rd, mp_record_t *rec,
                                  void *arg);

/* Read every record of path (opts as mp_marc_reader_open, NULL for the
 * defaults) and call fn on each: rejected records are skipped, a fatal
 * reader error ends the walk as the end of the file does. 0 after the
 * last record; fn's nonzero value when it stopped the walk; the reader's
 * error (< 0) when the file cannot be opened, after "PROG: PATH: reason"
 * on stderr. */
int mp_bench_each_record(const char *prog, const char *path,
                         const mp_marc_reader_opts_t *opts,
                         mp_bench_record_fn fn, void *arg);

/* A record kept in memory: its clone and a copy of its raw bytes. */
typedef struct mp_bench_item_s {
  mp_record_t rec;
  char *raw;
  size_t raw_len;
} mp_bench_item_t;

/* Every record of path (default reader options: MARC-8 converted to
 * UTF-8) kept in a malloc'ed array of *n items; release it with
 * mp_bench_items_free. 0 with at least one record; else -1 after
 * "PROG: PATH: reason" on stderr (and *items NULL). */
int mp_bench_load(const char *prog, const char *path, mp_bench_item_t **items,
                  size_t *n);
void mp_bench_items_free(mp_bench_item_t *items, size_t n);

/* The default mapping rules (mp_mapping_load(NULL, NULL, ...)); NULL after
 * "PROG: reason" on stderr. The caller frees them with mp_mapping_free. */
mp_mapping_t *mp_bench_mapping(const char *prog);

/* One process of this machine, from its /proc/PID/stat. */
typedef struct mp_bench_proc_s {
  long pid, ppid;
  char name[32];   /* the kernel's name for it (comm, at most 15 bytes) */
  double self_s;   /* its own CPU: utime + stime, seconds */
  double reaped_s; /* its exited children's that it waited for: cutime +
                      cstime */
} mp_bench_proc_t;

/* Every process named `name` (NULL: every process) into a new array *out
 * (the caller frees it), *n of them; false (and none) when /proc cannot be
 * read or memory runs out. Linux only. */
bool mp_bench_procs(const char *name, mp_bench_proc_t **out, size_t *n);

/* CPU seconds of the server whose main process is pm, among v[0..n): its
 * own with its reaped children (a PostgreSQL postmaster's exited backends)
 * plus each live child's own; NAN when pm is not among them. */
double mp_bench_server_cpu(const mp_bench_proc_t *v, size_t n, long pm);

/* CPU seconds used so far by the PostgreSQL server c is connected to: its
 * postmaster with the children it reaped (exited backends) plus each live
 * child, from /proc. Needs the server on this machine, its data directory
 * readable and a role allowed to read data_directory (the throwaway server
 * of scripts/pgtmp.sh qualifies); NAN otherwise. Subtract two samples. */
double mp_bench_pg_cpu(PGconn *c);
/* The database options of the programs that write to PostgreSQL
 * (bench_sink, bench_copy): --db CONNINFO, --tenant T, --json. */
typedef struct mp_bench_db_s {
  const char *db;     /* NULL = mp_bench_db_conninfo's default */
  const char *tenant; /* initialise to the program's own tenant */
  bool json;
} mp_bench_db_t;
/* When argv[*i] is --db V, --tenant V or --json: store it, step *i past
 * its value, return true. */
bool mp_bench_db_opt(int argc, char **argv, int *i, mp_bench_db_t *o);
/* The conninfo to use into ci: o->db, else mp_pgmanaged_default_conninfo
 * (the PG* environment, else the managed PostgreSQL when it runs). */
void mp_bench_db_conninfo(const mp_bench_db_t *o, char *ci, size_t n);

#endif
