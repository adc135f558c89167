/* cmd_map.c: `marcpipe map`: MARC records -> Instance JSON, one per line.
 *
 * Reads each FILE with the MARC reader (any format, MARC-8 converted to
 * UTF-8), maps every record with the rules (schemas/mapping/marc-bib.json
 * unless --rules) and writes one compact Instance object per line on
 * stdout. Problems go to stderr as "FILE: record N at byte OFF: error:
 * reason"; records that are not bibliographic are skipped with a warning.
 * A per-file summary line ends each file. Exit status: 0 every record
 * mapped (or skipped as not bibliographic), 1 a record was rejected by the
 * reader or could not be mapped, or a file could not be read, 2 usage.
 * Single-threaded.
 */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct map_s {
  mp_marc_reader_opts_t opts;
  mp_cli_t cli; /* the shared input and mapping options */
  bool quiet;
  mp_mapping_t *m;
  bool failed;
} map_t;

typedef struct counts_s {
  uint64_t records, mapped, skipped, failed;
} counts_t;

static const char map_description[] =
    "Map MARC bibliographic records (ISO 2709, MARCXML or MARC-in-JSON;\n"
    "'-' is stdin) to Instance JSON by the mapping rules, and write one\n"
    "Instance per line on stdout. The rules format and the Instance shape\n"
    "are described in schemas/mapping/README.md.\n";

static const char map_footer[] =
    "stderr gets one line per problem, \"FILE: record N at byte OFF: error:\n"
    "reason\" (unreadable record, no title, ...); records that are not\n"
    "bibliographic (leader/06 not in acdefgijkmoprt: authority, holdings)\n"
    "are skipped with a warning. Each file ends with \"FILE: N records, M\n"
    "mapped, S skipped (not bibliographic), F failed\".\n"
    "The schemas directory defaults to $MARCPIPE_SCHEMAS, else the one\n"
    "this build was configured with.\n\n"
    "exit status: 0 every bibliographic record mapped, 1 a record could not\n"
    "be read or mapped or a file could not be opened, 2 usage error\n";

/* -1 to go on, 0 after --help, 2 on a usage error. */
static int parse_args(map_t *p, int argc, char **argv) {
  mp_cli_t *c = &p->cli;
  mp_cli_init(c, "map");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("options:"),
      MP_CLI_MAPPING(c),
      {.kind = MP_OPT_KIND_STRING, .long_name = "reference", .argh = "FILE",
       .value = &c->refdata,
       .deprecated = "use --refdata FILE (as in marcpipe work)"},
      MP_CLI_INPUT(c),
      MP_OPT_FLAG('q', "quiet", &p->quiet, "no per-file summary line"),
      MP_OPT_HELP(),
      MP_OPT_END()};
  const mp_opt_usage_t u = {"marcpipe map [options] FILE...", map_description,
                            map_footer};
  int rc = mp_cli_parse(c, opts, &u, argc, argv);
  if (rc >= 0)
    return rc;
  p->opts.format = c->format;
  p->opts.charset = c->charset;
  if (c->nargs == 0)
    return mp__cli_bad_usage("map", "%s", "no input file");
  return -1;
}

static void map_one(map_t *p, const char *name, const mp_record_t *rec,
                    counts_t *n) {
  json_t *inst = NULL;
  char why[256];
  int rc = mp_mapping_map(p->m, rec, &inst, why, sizeof why);
  if (rc == 0) {
    if (json_dumpf(inst, stdout, JSON_COMPACT) == 0)
      fputc('\n', stdout);
    json_decref(inst);
    n->mapped++;
    return;
  }
  bool skip = rc == MP_ENOTBIB;
  fprintf(stderr, "%s: record %llu at byte %llu: %s: %s%s\n", name,
          (unsigned long long)rec->recno, (unsigned long long)rec->offset,
          skip ? "warning" : "error", why, skip ? ", skipped" : "");
  if (skip) {
    n->skipped++;
  } else {
    n->failed++;
    p->failed = true;
  }
}

static void map_file(map_t *p, const char *path) {
  int err = 0;
  counts_t n = {0};
  if (mp_cli_check_input(&p->cli, path)) {
    p->failed = true;
    return;
  }
  mp_marc_reader_t *rd = mp_marc_reader_open(path, &p->opts, &err);
  if (!rd) {
    fprintf(stderr, "marcpipe map: %s: %s\n", path, mp_strerror(err));
    p->failed = true;
    return;
  }
  const char *name = mp_marc_reader_name(rd);
  for (;;) {
    mp_record_t *rec = NULL;
    int rc = mp_marc_reader_next(rd, &rec);
    if (rc == MP_EOF_)
      break;
    mp__cli_print_diags(rd);
    n.records++;
    if (rc) {
      n.failed++;
      p->failed = true;
      if (mp_marc_reader_fatal(rd))
        break;
      continue;
    }
    map_one(p, name, rec, &n);
  }
  if (!p->quiet)
    fprintf(stderr,
            "%s: %llu records, %llu mapped, %llu skipped (not bibliographic), "
            "%llu failed\n",
            name, (unsigned long long)n.records, (unsigned long long)n.mapped,
            (unsigned long long)n.skipped, (unsigned long long)n.failed);
  mp_marc_reader_close(rd);
}

int cmd_map(int argc, char **argv) {
  map_t p;
  memset(&p, 0, sizeof p);
  int rc = parse_args(&p, argc, argv);
  if (rc >= 0)
    return rc;
  char err[512];
  p.m = mp_mapping_load(p.cli.rules, p.cli.refdata, err, sizeof err);
  if (!p.m) {
    fprintf(stderr, "marcpipe map: %s\n", err);
    return 1;
  }
  for (int i = 0; i < p.cli.nargs; i++)
    map_file(&p, p.cli.args[i]);
  mp_mapping_free(p.m);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "marcpipe map: stdout: %s\n", strerror(errno));
    return 1;
  }
  return p.failed ? 1 : 0;
}
