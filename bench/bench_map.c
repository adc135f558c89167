/* bench_map.c: MARC -> Instance mapping speed against parsing speed.
 *
 * usage: bench_map FILE.mrc [MIN_RECORDS_PER_PASS]
 * Reads an ISO 2709 file once (through the reader: framing, MARC-8 ->
 * UTF-8), keeps every record (cloned) and its raw bytes in memory, then
 * times, in the same run, 5 passes of each:
 *   parse    mp_marc_parse_iso2709 on the raw bytes (no charset step)
 *   map      mp_mapping_map_text on the parsed records: the Instance's
 *            JSON text into one reused buffer (what the sink does)
 *   map+tree mp_mapping_map: the same text parsed into a jansson tree
 *            (what tools and tests look into), freed
 * A pass walks the records as many times as needed to reach
 * MIN_RECORDS_PER_PASS (default 200000). Reports the median records/s of
 * each and the map/parse ratio. Single thread; times are the thread's CPU
 * time, so other load on the machine does not count against it (cache
 * contention still does).
 */
#include "common.h"

#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSES 5

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
            "times parse-only, map (text) and map+tree on the records of FILE (CPU\n"
            "time of this thread, median of %d passes) and prints records/s\n",
            PASSES);
    return 2;
  }
  const char *path = argv[1];
  long min_per_pass = argc > 2 ? atol(argv[2]) : 200000;
  if (min_per_pass < 1)
    min_per_pass = 1;
  int rc = 1;
  mp_bench_item_t *items;
  size_t n;
  if (mp_bench_load("bench_map", path, &items, &n))
    return 1;
  char msg[512];
  mp_mapping_t *m = mp_bench_mapping("bench_map");
  if (!m) {
    mp_bench_items_free(items, n);
    return 1;
  }
  size_t reps = ((size_t)min_per_pass + n - 1) / n;
  double parse[PASSES], map[PASSES], tree[PASSES];
  mp_buf_t tb;
  mp_buf_init(&tb);
  size_t mapped = 0, bytes = 0;
  mp_record_t scratch;
  mp_record_init(&scratch);
  for (int p = 0; p < PASSES; p++) {
    double t0 = mp_bench_thread_cpu();
    for (size_t k = 0; k < reps; k++)
      for (size_t i = 0; i < n; i++)
        mp_marc_parse_iso2709(items[i].raw, items[i].raw_len, &scratch, NULL);
    double t1 = mp_bench_thread_cpu();
    mapped = bytes = 0;
    for (size_t k = 0; k < reps; k++)
      for (size_t i = 0; i < n; i++) {
        mp_buf_clear(&tb); /* bibliographic only, as mp_mapping_map */
        if (mp_mapping_family_of(items[i].rec.leader[6]) == MP_FAMILY_BIB &&
            mp_mapping_map_text(m, &items[i].rec, MP_FAMILY_BIB, NULL, &tb,
                                NULL, NULL, NULL, msg, sizeof msg) == 0) {
          mapped++;
          bytes += tb.len + 1;
        }
      }
    double t2 = mp_bench_thread_cpu();
    for (size_t k = 0; k < reps; k++)
      for (size_t i = 0; i < n; i++) {
        json_t *inst;
        if (mp_mapping_map(m, &items[i].rec, &inst, msg, sizeof msg) == 0)
          json_decref(inst);
      }
    double t3 = mp_bench_thread_cpu();
    double total = (double)(reps * n);
    parse[p] = total / (t1 - t0);
    map[p] = total / (t2 - t1);
    tree[p] = total / (t3 - t2);
  }
  double mp = median(parse), mm = median(map), mt = median(tree);
  printf("file: %s\n", path);
  printf("records: %zu (%zu mapped per pass of %zu), passes: %d, median of each\n",
         n, mapped, reps * n, PASSES);
  printf("parse-only: %.0f records/s\n", mp);
  printf("map:        %.0f records/s (%.2f us/record, %.0f bytes of JSON per record)\n",
         mm, 1e6 / mm, (double)bytes / (double)(reps * n));
  printf("map+tree:   %.0f records/s (%.2f us/record)\n", mt, 1e6 / mt);
  printf("map/parse ratio: %.2f (map takes %.1fx the parse time)\n", mm / mp,
         mp / mm);
  rc = 0;
  mp_record_release(&scratch);
  mp_buf_release(&tb);
  mp_mapping_free(m);
  mp_bench_items_free(items, n);
  return rc;
}
