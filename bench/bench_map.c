/* bench_map.c: MARC -> Instance mapping speed against parsing speed.
 *
 * usage: bench_map FILE.mrc [MIN_RECORDS_PER_PASS]
 * Reads an ISO 2709 file once (through the reader: framing, MARC-8 ->
 * UTF-8), keeps every record (cloned) and its raw bytes in memory, then
 * times, in the same run, 5 passes of each:
 *   parse    mp_marc_parse_iso2709 on the raw bytes (no charset step)
 *   map      mp_mapping_map on the parsed records (JSON tree built, freed)
 *   map+dump the same plus json_dumps of the Instance (the text a sink or
 *            `marcpipe map` writes)
 * A pass walks the records as many times as needed to reach
 * MIN_RECORDS_PER_PASS (default 200000). Reports the median records/s of
 * each and the map/parse ratio. Single thread; times are the thread's CPU
 * time, so other load on the machine does not count against it (cache
 * contention still does).
 */
#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PASSES 5

typedef struct item_s {
  mp_record_t rec;
  char *raw;
  size_t raw_len;
} item_t;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v) {
  qsort(v, PASSES, sizeof *v, cmp_double);
  return v[PASSES / 2];
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(stderr,
            "usage: bench_map FILE.mrc [MIN_RECORDS_PER_PASS]\n"
            "times parse-only, map and map+dump on the records of FILE (CPU\n"
            "time of this thread, median of %d passes) and prints records/s\n",
            PASSES);
    return 2;
  }
  const char *path = argv[1];
  long min_per_pass = argc > 2 ? atol(argv[2]) : 200000;
  if (min_per_pass < 1)
    min_per_pass = 1;
  int err = 0, rc = 1;
  item_t *items = NULL;
  size_t n = 0, cap = 0;
  mp_marc_reader_t *rd = mp_marc_reader_open(path, NULL, &err);
  if (!rd) {
    fprintf(stderr, "bench_map: %s: %s\n", path, mp_strerror(err));
    return 1;
  }
  mp_record_t *rec;
  int r;
  while ((r = mp_marc_reader_next(rd, &rec)) != MP_EOF_) {
    if (r) {
      if (mp_marc_reader_fatal(rd))
        break;
      continue;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 1024;
      items = realloc(items, cap * sizeof *items);
      if (!items)
        return 1;
    }
    size_t len;
    const char *raw = mp_marc_reader_raw(rd, &len);
    item_t *it = &items[n++];
    mp_record_init(&it->rec);
    it->raw = malloc(len);
    it->raw_len = len;
    if (!it->raw || mp_record_clone(&it->rec, rec))
      return 1;
    memcpy(it->raw, raw, len);
  }
  mp_marc_reader_close(rd);
  if (n == 0) {
    fprintf(stderr, "bench_map: %s: no records\n", path);
    return 1;
  }
  char msg[512];
  mp_mapping_t *m = mp_mapping_load(NULL, NULL, msg, sizeof msg);
  if (!m) {
    fprintf(stderr, "bench_map: %s\n", msg);
    return 1;
  }
  size_t reps = ((size_t)min_per_pass + n - 1) / n;
  double parse[PASSES], map[PASSES], dump[PASSES];
  size_t mapped = 0, bytes = 0;
  mp_record_t scratch;
  mp_record_init(&scratch);
  for (int p = 0; p < PASSES; p++) {
    double t0 = now();
    for (size_t k = 0; k < reps; k++)
      for (size_t i = 0; i < n; i++)
        mp_marc_parse_iso2709(items[i].raw, items[i].raw_len, &scratch, NULL);
    double t1 = now();
    mapped = 0;
    for (size_t k = 0; k < reps; k++)
      for (size_t i = 0; i < n; i++) {
        json_t *inst;
        if (mp_mapping_map(m, &items[i].rec, &inst, msg, sizeof msg) == 0) {
          mapped++;
          json_decref(inst);
        }
      }
    double t2 = now();
    bytes = 0;
    for (size_t k = 0; k < reps; k++)
      for (size_t i = 0; i < n; i++) {
        json_t *inst;
        if (mp_mapping_map(m, &items[i].rec, &inst, msg, sizeof msg) == 0) {
          char *s = json_dumps(inst, JSON_COMPACT);
          bytes += s ? strlen(s) + 1 : 0;
          free(s);
          json_decref(inst);
        }
      }
    double t3 = now();
    double total = (double)(reps * n);
    parse[p] = total / (t1 - t0);
    map[p] = total / (t2 - t1);
    dump[p] = total / (t3 - t2);
  }
  double mp = median(parse), mm = median(map), md = median(dump);
  printf("file: %s\n", path);
  printf("records: %zu (%zu mapped per pass of %zu), passes: %d, median of each\n",
         n, mapped, reps * n, PASSES);
  printf("parse-only: %.0f records/s\n", mp);
  printf("map:        %.0f records/s (%.2f us/record)\n", mm, 1e6 / mm);
  printf("map+dump:   %.0f records/s (%.0f bytes of JSON per record)\n", md,
         (double)bytes / (double)(reps * n));
  printf("map/parse ratio: %.2f (map takes %.1fx the parse time)\n", mm / mp,
         mp / mm);
  rc = 0;
  mp_record_release(&scratch);
  mp_mapping_free(m);
  for (size_t i = 0; i < n; i++) {
    mp_record_release(&items[i].rec);
    free(items[i].raw);
  }
  free(items);
  return rc;
}
