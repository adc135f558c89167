/* bench_parse_xml.c: parsing speed of the MARCXML and MARC-in-JSON readers
 * (the generic reader with its charset step, records not written).
 *   bench_parse_xml FILE [ROUNDS]
 * Reads FILE ROUNDS times (default 20) from memory and prints records/s
 * and MB/s of input. Built with the tree, never run by the tests. */
#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return p;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass; returns the records read, or -1. */
static long pass(const char *name, const char *data, size_t len) {
  int err;
  mp_marc_reader_t *rd = mp_marc_reader_open_mem(name, data, len, NULL, &err);
  if (!rd)
    return -1;
  long n = 0;
  mp_record_t *rec;
  int rc;
  while ((rc = mp_marc_reader_next(rd, &rec)) != MP_EOF_) {
    if (rc == 0)
      n++;
    else if (mp_marc_reader_fatal(rd))
      break;
  }
  mp_marc_reader_close(rd);
  return n;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_parse_xml FILE [ROUNDS]\n");
    return 2;
  }
  int rounds = argc > 2 ? atoi(argv[2]) : 20;
  size_t len;
  char *data = slurp(argv[1], &len);
  if (!data || rounds < 1) {
    fprintf(stderr, "bench_parse_xml: %s: cannot read\n", argv[1]);
    free(data);
    return 1;
  }
  long total = 0;
  double t0 = now();
  for (int i = 0; i < rounds; i++) {
    long n = pass(argv[1], data, len);
    if (n < 0) {
      fprintf(stderr, "bench_parse_xml: %s: cannot open\n", argv[1]);
      free(data);
      return 1;
    }
    total += n;
  }
  double dt = now() - t0;
  printf("%s: %ld records in %.3f s: %.0f records/s, %.1f MB/s\n", argv[1],
         total, dt, (double)total / dt, (double)len * rounds / dt / 1e6);
  free(data);
  return 0;
}
