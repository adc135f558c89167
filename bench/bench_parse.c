/* bench_parse.c: parsing throughput of the stream reader.
 *
 * Usage: bench_parse FILE [--keep-charset] [--strict] [--format FMT]
 * Reads every record of FILE (ISO 2709 unless --format names another:
 * marcxml, json or auto; charset step included unless --keep-charset)
 * and prints one line: records, rejected, seconds, records/s, MB/s and the
 * peak RSS, so memory can be seen to stay flat whatever the file size.
 */
#include "common.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(stderr, "usage: bench_parse FILE [--keep-charset] [--strict] "
                    "[--format FMT]\n"
                    "parses every record of FILE (default iso2709) and prints "
                    "records, seconds, records/s, MB/s, peak RSS\n");
    return 2;
  }
  mp_marc_reader_opts_t o = {.format = MP_FMT_ISO2709};
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--keep-charset") == 0)
      o.keep_charset = true;
    else if (strcmp(argv[i], "--strict") == 0)
      o.strict = true;
    else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
             mp_marc_format_parse(argv[i + 1]) >= 0)
      o.format = (mp_marc_format_t)mp_marc_format_parse(argv[++i]);
    else {
      fprintf(stderr, "bench_parse: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  double t0 = mp_bench_now();
  int err = 0;
  mp_marc_reader_t *r = mp_marc_reader_open(argv[1], &o, &err);
  if (!r) {
    fprintf(stderr, "bench_parse: %s: %s\n", argv[1], mp_strerror(err));
    return 1;
  }
  mp_record_t *rec;
  uint64_t fields = 0;
  int rc;
  while ((rc = mp_marc_reader_next(r, &rec)) != MP_EOF) {
    if (rc == 0)
      fields += rec->nfields;
    else if (mp_marc_reader_fatal(r))
      break;
  }
  double secs = mp_bench_now() - t0;
  mp_marc_reader_stats_t s;
  mp_marc_reader_stats(r, &s);
  mp_marc_reader_close(r);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("records=%llu rejected=%llu fields=%llu seconds=%.3f "
         "records_per_s=%.0f mb_per_s=%.1f peak_rss_kb=%ld\n",
         (unsigned long long)s.records, (unsigned long long)s.rejected,
         (unsigned long long)fields, secs, (double)s.records / secs,
         (double)s.bytes / 1e6 / secs, ru.ru_maxrss);
  return rc == MP_EOF ? 0 : 1;
}
