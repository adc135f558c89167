/* cmd_map.c: `marcpipe map`: MARC records -> inventory records, one per line.
 *
 * Reads each FILE with the MARC reader (any format, MARC-8 converted to
 * UTF-8), maps every record by its family (leader/06, or --family) with
 * FOLIO's rules (the defaults unless --rules) and writes one line per
 * record on stdout: {"family":"bib","target":"Instance","record":{...}}.
 * --explain N prints, instead, which rule produced which value for record
 * N of each file. Problems go to stderr as "FILE: record N at byte OFF:
 * error: reason"; records of no family are skipped with a warning. A
 * per-file summary line ends each file. Exit status: 0 every record mapped
 * (or skipped), 1 a record was rejected by the reader or could not be
 * mapped, or a file could not be read, 2 usage. Single-threaded.
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
  long long explain;       /* record number to explain, 0 none */
  mp_family_t family;      /* MP_FAMILY_NONE: by leader/06 */
  mp_mapping_t *m;
  mp_buf_t line; /* the record's text, reused */
  bool failed;
} map_t;

typedef struct counts_s {
  uint64_t records, mapped, skipped, failed, fam[MP_FAMILIES];
} counts_t;

/* --explain: one line per value written. */
static void explain_step(void *ud, const char *tag, int index, int member,
                         const char *target, const char *value) {
  (void)ud;
  if (member >= 0)
    printf("%s rule %d entity %d -> %s = \"%s\"\n", tag, index + 1,
           member + 1, target, value);
  else
    printf("%s rule %d -> %s = \"%s\"\n", tag, index + 1, target, value);
}

static const char map_description[] =
    "Map MARC records (ISO 2709, MARCXML or MARC-in-JSON; '-' is stdin) by\n"
    "FOLIO's mapping rules: bibliographic records to Instances, holdings\n"
    "(leader/06 u v x y) to Holdings, authorities (z) to Authorities. One\n"
    "line per record on stdout: {\"family\":F,\"target\":T,\"record\":{...}}.\n"
    "Rules and reference data are described in schemas/mapping/README.md.\n";

static const char map_footer[] =
    "stderr gets one line per problem, \"FILE: record N at byte OFF: error:\n"
    "reason\" (unreadable record, no title, ...); records of no family\n"
    "are skipped with a warning. Each file ends with \"FILE: N records, M\n"
    "mapped (B bib, H holdings, A authority), S skipped, F failed\".\n"
    "The schemas directory defaults to $MARCPIPE_SCHEMAS, else the one\n"
    "this build was configured with.\n\n"
    "exit status: 0 every record mapped (or skipped), 1 a record could not\n"
    "be read or mapped or a file could not be opened, 2 usage error\n";

/* -1 to go on, 0 after --help, 2 on a usage error. */
static int parse_args(map_t *p, int argc, char **argv) {
  mp_cli_t *c = &p->cli;
  const char *family = NULL;
  int64_t explain = MP_CLI_UNSET;
  mp_cli_init(c, "map");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("options:"),
      MP_CLI_MAPPING(c),
      {.kind = MP_OPT_KIND_STRING, .long_name = "reference", .argh = "PATH",
       .value = &c->refdata,
       .deprecated = "use --refdata PATH (as in marcpipe work and import)"},
      MP_OPT_STRING(0, "family", &family, "F",
                    "map every record as bib, holdings or authority\n"
                    "(default: by leader/06)"),
      MP_OPT_COUNT(0, "explain", &explain, 1, INT64_MAX, "N",
                   "print which rule produced which value for record N\n"
                   "of each file, instead of the records"),
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
  if (family && (p->family = mp_family_parse(family)) == MP_FAMILY_NONE)
    return mp__cli_bad_usage("map", "unknown family '%s' (bib, holdings or "
                             "authority)", family);
  if (explain != MP_CLI_UNSET)
    p->explain = (long long)explain;
  if (c->nargs == 0)
    return mp__cli_bad_usage("map", "%s", "no input file");
  return -1;
}

static void map_one(map_t *p, const char *name, const mp_record_t *rec,
                    counts_t *n) {
  char why[256];
  mp_mapped_t info;
  bool explain = p->explain > 0;
  if (explain && (long long)rec->recno != p->explain)
    return;
  mp_buf_t *b = &p->line;
  mp_buf_clear(b);
  int rc = mp_mapping_map_text(p->m, rec, p->family, NULL, b, &info,
                               explain ? explain_step : NULL, NULL, why,
                               sizeof why);
  if (rc == 0) {
    mp_family_t fam = info.family;
    if (explain)
      printf("record %llu: %s -> %s\n", (unsigned long long)rec->recno,
             mp_family_name(fam), mp_family_target(fam));
    else
      printf("{\"family\":\"%s\",\"target\":\"%s\",\"record\":%s}\n",
             mp_family_name(fam), mp_family_target(fam), b->data);
    n->mapped++;
    n->fam[fam]++;
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
    if (rc == MP_EOF)
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
            "%s: %llu records, %llu mapped (%llu bib, %llu holdings, %llu "
            "authority), %llu skipped, %llu failed\n",
            name, (unsigned long long)n.records, (unsigned long long)n.mapped,
            (unsigned long long)n.fam[MP_FAMILY_BIB],
            (unsigned long long)n.fam[MP_FAMILY_HOLDINGS],
            (unsigned long long)n.fam[MP_FAMILY_AUTHORITY],
            (unsigned long long)n.skipped, (unsigned long long)n.failed);
  mp_marc_reader_close(rd);
}

int cmd_map(int argc, char **argv) {
  map_t p;
  memset(&p, 0, sizeof p);
  p.family = MP_FAMILY_NONE;
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
  mp_buf_release(&p.line);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "marcpipe map: stdout: %s\n", strerror(errno));
    return 1;
  }
  return p.failed ? 1 : 0;
}
