/* cmd_gen.c: `marcpipe gen`, realistic MARC test files from real records.
 *
 * Loads the source pool (the --from files, else the bundled sample), then
 * streams the generated records to -o (a file, or "-" for stdout). The
 * output file is only created once the sources are loaded, and removed
 * again when generation fails. Progress goes to stderr when it is a
 * terminal and the run is long (100,000 records or more). Single thread.
 */
#include "cli/commands.h"
#include "marcpipe/error.h"
#include "marcpipe/gen.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FROM 64

static void usage(FILE *out) {
  fprintf(out,
"usage: marcpipe gen --records N [--from FILE]... [--format FMT] [--seed S]\n"
"                    [--id-prefix P] [--first-id K] [--org CODE]\n"
"                    [--pool-max M] [-q] -o OUT\n"
"\n"
"Write N realistic bibliographic MARC records made from real ones, for\n"
"load tests and benchmarks. Each output record is a variant of a source\n"
"record picked at random:\n"
"  001   P + running number (K, K+1, ...; 9 digits, zero-padded): unique\n"
"  003   CODE\n"
"  010   every $a/$z LCCN replaced by a unique one (prefix letters kept)\n"
"  020   every $a/$z replaced by a new ISBN of the same length (10 or 13)\n"
"        with a valid check digit, unique in the file\n"
"  035   every $a/$z number replaced by a unique 10-digit one, keeping its\n"
"        \"(ORG)\" prefix, e.g. (OCoLC)\n"
"  245   $a extended with 1-3 words taken from other records' titles\n"
"Everything else is copied from the source, so match keys, Kafka partitions\n"
"and field statistics spread as in a real catalogue. The same seed and\n"
"sources give byte-identical output; another seed gives other records.\n"
"Record K depends only on the seed, the sources and K, so files meant for\n"
"one database should share the seed and use disjoint --first-id ranges:\n"
"their identifiers are then disjoint too (gen -n 2000 gives the same\n"
"records as -n 1000 followed by -n 1000 --first-id 1001). Memory stays\n"
"constant whatever N (sources are loaded once, output is streamed).\n"
"\n"
"Sources: only bibliographic records (leader/06 a,c,d,e,f,g,i,j,k,m,o,p,r,t)\n"
"are used; MARC-8 is converted to UTF-8; records that could exceed 99,999\n"
"bytes in ISO 2709 are skipped. Without --from the bundled sample is used:\n"
"$" MP_GEN_SAMPLE_ENV " (a file or a directory of MARC files) when set, else\n"
"the tests/fixtures/gen-sample directory next to the schemas directory.\n"
"\n"
"options:\n"
"  -n, --records N     number of records to write (required; 0 = none)\n"
"      --from FILE     source MARC file or directory (any format; repeatable)\n"
"  -f, --format FMT    iso2709 (default), marcxml (one collection) or json\n"
"                      (MARC-in-JSON, one record per line)\n"
"  -s, --seed S        PRNG seed (default 1)\n"
"      --id-prefix P   001 prefix, at most 32 bytes (default gen)\n"
"      --first-id K    running number of the first record (default 1)\n"
"      --org CODE      003 value, at most 16 bytes (default MPGEN)\n"
"      --pool-max M    most source records kept (default 5000)\n"
"  -o, --output OUT    output file, or - for stdout (required)\n"
"  -q, --quiet         no summary on stderr\n"
"  -h, --help          this help\n"
"\n"
"exit status: 0 ok, 1 failure (unreadable source, no usable source record,\n"
"write error), 2 usage\n");
}

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "marcpipe gen: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n'marcpipe gen --help' explains the options\n");
  return 2;
}

static bool parse_u64(const char *s, uint64_t *v) {
  if (!*s || *s == '-' || *s == '+')
    return false;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(s, &end, 10);
  if (errno || *end)
    return false;
  *v = x;
  return true;
}

static void show_progress(uint64_t done, uint64_t total, void *arg) {
  (void)arg;
  fprintf(stderr, "\rmarcpipe gen: %" PRIu64 "/%" PRIu64 " records", done,
          total);
  if (done == total)
    fputc('\n', stderr);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_gen(int argc, char **argv) {
  static const struct option longopts[] = {
      {"records", required_argument, NULL, 'n'},
      {"from", required_argument, NULL, 'F'},
      {"format", required_argument, NULL, 'f'},
      {"seed", required_argument, NULL, 's'},
      {"id-prefix", required_argument, NULL, 'P'},
      {"first-id", required_argument, NULL, 'K'},
      {"org", required_argument, NULL, 'O'},
      {"pool-max", required_argument, NULL, 'M'},
      {"output", required_argument, NULL, 'o'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  mp_gen_opts_t opts;
  mp_gen_opts_default(&opts);
  const char *from[MAX_FROM];
  int nfrom = 0;
  const char *out_path = NULL;
  uint64_t n = 0, pool_max = 0;
  bool have_n = false, quiet = false;
  mp_marc_format_t fmt = MP_FMT_ISO2709;

  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "n:f:s:o:qh", longopts, NULL)) != -1) {
    switch (c) {
    case 'n':
      if (!parse_u64(optarg, &n))
        return bad_usage("--records wants a count, not '%s'", optarg);
      have_n = true;
      break;
    case 'F':
      if (nfrom == MAX_FROM)
        return bad_usage("more than %s --from options", "64");
      from[nfrom++] = optarg;
      break;
    case 'f': {
      int f = mp_marc_format_parse(optarg);
      if (f != MP_FMT_ISO2709 && f != MP_FMT_MARCXML && f != MP_FMT_JSON)
        return bad_usage("unknown --format '%s' (iso2709, marcxml or json)",
                         optarg);
      fmt = (mp_marc_format_t)f;
      break;
    }
    case 's':
      if (!parse_u64(optarg, &opts.seed))
        return bad_usage("--seed wants a number, not '%s'", optarg);
      break;
    case 'P':
      if (strlen(optarg) > 32)
        return bad_usage("--id-prefix '%s' is longer than 32 bytes", optarg);
      opts.id_prefix = optarg;
      break;
    case 'K':
      if (!parse_u64(optarg, &opts.first_id))
        return bad_usage("--first-id wants a number, not '%s'", optarg);
      break;
    case 'O':
      if (strlen(optarg) > 16)
        return bad_usage("--org '%s' is longer than 16 bytes", optarg);
      opts.org_code = optarg;
      break;
    case 'M':
      if (!parse_u64(optarg, &pool_max) || pool_max == 0)
        return bad_usage("--pool-max wants a positive count, not '%s'", optarg);
      break;
    case 'o':
      out_path = optarg;
      break;
    case 'q':
      quiet = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      return bad_usage("%s", "invalid option");
    }
  }
  if (optind < argc)
    return bad_usage("unexpected argument '%s'", argv[optind]);
  if (!have_n)
    return bad_usage("%s", "missing --records N");
  if (!out_path)
    return bad_usage("%s", "missing -o OUT (use -o - for stdout)");

  int ret = 1, fd = -1;
  bool created = false;
  char err[512] = "";
  double t0 = now();
  mp_gen_pool_t *pool = mp_gen_pool_new((size_t)pool_max);
  if (!pool) {
    fprintf(stderr, "marcpipe gen: %s\n", mp_strerror(MP_ENOMEM));
    goto out;
  }
  if (nfrom == 0)
    from[nfrom++] = mp_gen_default_source();
  for (int i = 0; i < nfrom; i++) {
    if (mp_gen_pool_load(pool, from[i], err, sizeof err)) {
      fprintf(stderr, "marcpipe gen: %s\n", err);
      goto out;
    }
  }
  mp_gen_pool_stats_t st;
  mp_gen_pool_stats(pool, &st);
  if (mp_gen_pool_size(pool) == 0) {
    fprintf(stderr,
            "marcpipe gen: no usable bibliographic record in the sources "
            "(%" PRIu64 " read, %" PRIu64 " not bibliographic, %" PRIu64
            " too large, %" PRIu64 " rejected)\n",
            st.read, st.not_bib, st.too_big, st.rejected);
    goto out;
  }
  if (strcmp(out_path, "-") == 0) {
    fd = STDOUT_FILENO;
  } else {
    fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      fprintf(stderr, "marcpipe gen: cannot create %s: %s\n", out_path,
              mp_strerror(-errno));
      goto out;
    }
    struct stat sb;
    created = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
  }
  double t1 = now();
  bool tty = isatty(STDERR_FILENO) && !quiet && n >= 100000;
  int rc = mp_gen_write(pool, &opts, n, fmt, fd, tty ? show_progress : NULL,
                        NULL);
  if (rc == 0 && fd != STDOUT_FILENO && close(fd) != 0)
    rc = -errno;
  if (fd != STDOUT_FILENO)
    fd = -1;
  if (rc) {
    fprintf(stderr, "marcpipe gen: writing %s: %s\n",
            strcmp(out_path, "-") ? out_path : "stdout", mp_strerror(rc));
    if (created)
      unlink(out_path);
    goto out;
  }
  if (!quiet) {
    double dt = now() - t1;
    fprintf(stderr,
            "marcpipe gen: %" PRIu64 " %s records from %zu sources "
            "(%" PRIu64 " not bibliographic, %" PRIu64 " too large, %" PRIu64
            " rejected; loaded in %.2f s) written in %.2f s (%.0f records/s)\n",
            n, mp_marc_format_name(fmt), mp_gen_pool_size(pool), st.not_bib,
            st.too_big, st.rejected, t1 - t0, dt,
            dt > 0 ? (double)n / dt : 0.0);
  }
  ret = 0;
out:
  if (fd >= 0 && fd != STDOUT_FILENO)
    close(fd);
  mp_gen_pool_destroy(pool);
  return ret;
}
