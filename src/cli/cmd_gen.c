/* cmd_gen.c: `marcpipe gen`, realistic MARC test files from real records.
 *
 * Loads the source pool (the --from files, else the bundled sample), then
 * streams the generated records to -o (a file, or "-" for stdout). The
 * output file is only created once the sources are loaded, and removed
 * again when generation fails. Progress goes to stderr when it is a
 * terminal and the run is long (100,000 records or more). Single thread.
 */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "marcpipe/error.h"
#include "marcpipe/gen.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FROM 64

static const char gen_description[] =
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
"bytes in ISO 2709 are skipped. Without --source the bundled sample is used:\n"
"$" MP_GEN_SAMPLE_ENV " (a file or a directory of MARC files) when set, else\n"
"the tests/fixtures/gen-sample directory next to the schemas directory.\n";

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

static int opt_format(const mp_opt_t *o, const char *arg, char *err,
                      size_t n) {
  int f = mp_marc_format_parse(arg);
  if (f != MP_FMT_ISO2709 && f != MP_FMT_MARCXML && f != MP_FMT_JSON) {
    snprintf(err, n, "unknown --format '%s' (iso2709, marcxml or json)", arg);
    return -1;
  }
  *(mp_marc_format_t *)o->value = (mp_marc_format_t)f;
  return 0;
}

static int opt_text(const mp_opt_t *o, const char *arg, char *err, size_t n) {
  size_t max = o->long_name[0] == 'o' ? 16 : 32; /* --org, --id-prefix */
  if (strlen(arg) > max) {
    snprintf(err, n, "--%s '%s' is longer than %zu bytes", o->long_name, arg,
             max);
    return -1;
  }
  *(const char **)o->value = arg;
  return 0;
}

int cmd_gen(int argc, char **argv) {
  mp_gen_opts_t opts;
  mp_gen_opts_default(&opts);
  const char *from[MAX_FROM];
  mp_opt_list_t src = {from, 0, MAX_FROM};
  const char *out_path = NULL;
  int64_t records = MP_CLI_UNSET, seed = MP_CLI_UNSET, first = MP_CLI_UNSET;
  int64_t pool_arg = MP_CLI_UNSET;
  bool quiet = false;
  mp_marc_format_t fmt = MP_FMT_ISO2709;
  mp_cli_t cl;
  mp_cli_init(&cl, "gen");
  mp_opt_t table[] = {
      MP_OPT_GROUP("options:"),
      MP_OPT_COUNT('n', "records", &records, 0, INT64_MAX, "N",
                   "number of records to write (required; 0 = none)"),
      MP_OPT_FN(0, "source", "FILE", mp_opt_append, &src,
                "source MARC file or directory (any format;\n"
                "repeatable)"),
      {.kind = MP_OPT_KIND_FN, .long_name = "from", .argh = "FILE",
       .fn = mp_opt_append, .value = &src,
       .deprecated = "use --source FILE (--from is the input format in every "
                     "other command)"},
      MP_OPT_FN('f', "format", "FMT", opt_format, &fmt,
                "iso2709 (default), marcxml (one collection) or json\n"
                "(MARC-in-JSON, one record per line)"),
      MP_OPT_COUNT('s', "seed", &seed, 0, INT64_MAX, "S",
                   "PRNG seed (default 1)"),
      MP_OPT_FN(0, "id-prefix", "P", opt_text, &opts.id_prefix,
                "001 prefix, at most 32 bytes (default gen)"),
      MP_OPT_COUNT(0, "first-id", &first, 0, INT64_MAX, "K",
                   "running number of the first record (default 1)"),
      MP_OPT_FN(0, "org", "CODE", opt_text, &opts.org_code,
                "003 value, at most 16 bytes (default MPGEN)"),
      MP_OPT_COUNT(0, "pool-max", &pool_arg, 1, INT64_MAX, "M",
                   "most source records kept (default 5000)"),
      MP_OPT_STRING('o', "output", &out_path, "OUT",
                    "output file, or - for stdout (required)"),
      MP_OPT_FLAG('q', "quiet", &quiet, "no summary on stderr"),
      MP_OPT_HELP(),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe gen --records N [--source FILE]... [--format FMT] [--seed S]\n"
      "             [--id-prefix P] [--first-id K] [--org CODE]\n"
      "             [--pool-max M] [-q] -o OUT",
      gen_description,
      "exit status: 0 ok, 1 failure (unreadable source, no usable source\n"
      "record, write error), 2 usage\n"};
  int nargs = 0;
  int prc = mp_opt_parse("gen", table, &u, argc, argv, &nargs);
  if (prc >= 0)
    return prc;
  int nfrom = src.n;
  uint64_t n = records >= 0 ? (uint64_t)records : 0;
  uint64_t pool_max = pool_arg >= 0 ? (uint64_t)pool_arg : 0;
  if (seed >= 0)
    opts.seed = (uint64_t)seed;
  if (first >= 0)
    opts.first_id = (uint64_t)first;
  if (nargs > 0)
    return mp__cli_bad_usage("gen", "unexpected argument '%s'", argv[1]);
  if (records < 0)
    return mp__cli_bad_usage("gen", "%s", "missing --records N");
  if (!out_path)
    return mp__cli_bad_usage("gen", "%s", "missing -o OUT (use -o - for stdout)");

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
