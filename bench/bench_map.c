/* bench_map.c: MARC -> Instance mapping speed against parsing speed.
 *
 * usage: bench_map FILE.mrc [MIN_RECORDS_PER_PASS]
 * Reads an ISO 2709 file once (through the reader: framing, MARC-8 ->
 * UTF-8), keeps every record (cloned) and its raw bytes in memory, then
 * times, in the same run, 5 passes of each:
 *   parse    mp_marc_parse_iso2709 on the raw bytes (no charset step)
 *   map      mp_mapping_map on the parsed records (JSON tree built, freed)
 *   map+dump the same plus json_dumps of the Instance (the text
 *            `marcpipe map` writes)
 *   map+text the same with mp_mapping_dump instead (the sink's writer: the
 *            same bytes, into one reused buffer)
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
            "times parse-only, map and map+dump on the records of FILE (CPU\n"
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
  double parse[PASSES], map[PASSES], dump[PASSES], text[PASSES];
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
    mapped = 0;
    for (size_t k = 0; k < reps; k++)
      for (size_t i = 0; i < n; i++) {
        json_t *inst;
        if (mp_mapping_map(m, &items[i].rec, &inst, msg, sizeof msg) == 0) {
          mapped++;
          json_decref(inst);
        }
      }
    double t2 = mp_bench_thread_cpu();
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
    double t3 = mp_bench_thread_cpu();
    for (size_t k = 0; k < reps; k++)
      for (size_t i = 0; i < n; i++) {
        json_t *inst;
        if (mp_mapping_map(m, &items[i].rec, &inst, msg, sizeof msg) == 0) {
          mp_buf_clear(&tb);
          if (mp_mapping_dump(inst, &tb)) /* left to jansson */
            free(json_dumps(inst, JSON_COMPACT));
          json_decref(inst);
        }
      }
    double t4 = mp_bench_thread_cpu();
    double total = (double)(reps * n);
    text[p] = total / (t4 - t3);
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
  double mt = median(text);
  printf("map+text:   %.0f records/s (dump %.2f us/record, json_dumps %.2f)\n", mt,
         1e6 / mt - 1e6 / mm, 1e6 / md - 1e6 / mm);
  printf("map/parse ratio: %.2f (map takes %.1fx the parse time)\n", mm / mp,
         mp / mm);
  rc = 0;
  mp_record_release(&scratch);
  mp_buf_release(&tb);
  mp_mapping_free(m);
  mp_bench_items_free(items, n);
  return rc;
}
