/* cmd_dump.c: `marcpipe dump`: read MARC files (ISO 2709, MARCXML,
 * MARC-in-JSON), check them and convert them, like yaz-marcdump.
 *
 * Records go to stdout (or --output FILE) in the chosen format; every warning
 * and error goes to stderr as "FILE: record N at byte OFF[, field TAG]:
 * error: msg". A bad record never stops the file (only input that cannot
 * be framed does); with --count only per-file totals are printed.
 * Exit status: 0 all records good, 1 a record was rejected or a file could
 * not be read or the output not written, 2 usage. Single-threaded.
 */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FLUSH_AT (256u * 1024u)

typedef enum { OUT_TEXT, OUT_ISO, OUT_XML, OUT_JSON } out_fmt_t;

typedef struct dump_s {
  mp_marc_reader_opts_t opts;
  out_fmt_t to;
  bool count;
  bool no_output;      /* -n: check only */
  bool positions;      /* -p: "<!-- Record N offset O (0xO) -->" */
  bool summary;        /* -r: counts on stderr */
  int64_t first, limit; /* -O, -L: records to write (-1: all) */
  uint64_t seen;       /* good records read so far, over all files */
  uint64_t written;
  const char *outpath;
  FILE *out;
  mp_buf_t buf;
  bool failed; /* exit 1 */
  mp_cli_t cli;
} dump_t;

static int parse_to(const char *s, out_fmt_t *to) {
  static const struct {
    const char *name;
    out_fmt_t fmt;
  } names[] = {{"text", OUT_TEXT},    {"iso2709", OUT_ISO}, {"marc", OUT_ISO},
               {"marcxml", OUT_XML}, {"xml", OUT_XML},     {"json", OUT_JSON}};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(s, names[i].name)) {
      *to = names[i].fmt;
      return 0;
    }
  return MP_EUSAGE;
}

static int opt_to(const mp_opt_t *o, const char *arg, char *err, size_t n) {
  dump_t *d = o->value;
  if (!strcmp(arg, "line")) /* yaz-marcdump's name of the text form */
    arg = "text";
  if (!parse_to(arg, &d->to))
    return 0;
  if (o->short_name == 'o')
    snprintf(err, n,
             "-o wants an output format as in yaz-marcdump (marc, marcxml, "
             "json, line; got '%s'); write to a file with --output FILE",
             arg);
  else
    snprintf(err, n, "unknown output format '%s'", arg);
  return -1;
}

static int opt_in(const mp_opt_t *o, const char *arg, char *err, size_t n) {
  dump_t *d = o->value;
  mp_opt_t from = {.value = &d->cli};
  if (!mp__cli_opt_from(&from, arg, err, n)) {
    d->opts.format = d->cli.format;
    return 0;
  }
  snprintf(err, n, "-i wants an input format: marc (iso2709), marcxml or "
                   "json (got '%s')", arg);
  return -1;
}

static int opt_to_charset(const mp_opt_t *o, const char *arg, char *err,
                          size_t n) {
  (void)o;
  if (!strcasecmp(arg, "utf-8") || !strcasecmp(arg, "utf8"))
    return 0;
  snprintf(err, n, "-t %s: records are written as UTF-8 only (use "
                   "yaz-marcdump to convert to another character set)", arg);
  return -1;
}

static int opt_refused(const mp_opt_t *o, const char *arg, char *err,
                       size_t n) {
  (void)arg;
  snprintf(err, n, "-%c is a yaz-marcdump option that marcpipe dump does not "
                   "have: %s", o->short_name, o->help);
  return -1;
}

static const char dump_description[] =
    "Read MARC records (ISO 2709, MARCXML or MARC-in-JSON; '-' is stdin),\n"
    "report every problem on stderr with file, record number and byte\n"
    "offset, and write the records in another format. Bad records are\n"
    "reported and skipped; the rest of the file is still read. The short\n"
    "options mean what they mean to yaz-marcdump; its options that marcpipe\n"
    "dump does not have are refused with a hint, never read as something\n"
    "else.\n";

static const char dump_footer[] =
    "A record longer than 99,999 bytes cannot be written as ISO 2709: it\n"
    "is reported as an error; write it with --to json or --to marcxml.\n\n"
    "exit status: 0 every record good, 1 a record was rejected or a file\n"
    "could not be read, 2 usage error\n";

/* -1 to go on, 0 after --help, 2 on a usage error. */
static int parse_args(dump_t *d, int argc, char **argv) {
  int64_t maxerr = MP_CLI_UNSET;
  bool strict = false, keep = false;
  d->first = d->limit = MP_CLI_UNSET;
  mp_cli_init(&d->cli, "dump");
  mp_cli_t *c = &d->cli;
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Input:"),
      MP_CLI_INPUT(c),
      MP_OPT_FN('i', NULL, "FMT", opt_in, d,
                "input format as in yaz-marcdump: marc, marcxml or\n"
                "json (the same as --from)"),
      MP_OPT_STRING('f', NULL, &c->charset, "CHARSET",
                    "the input's character set (the same as --charset)"),
      MP_OPT_FLAG(0, "strict", &strict,
                  "reject records that would otherwise be repaired"),
      MP_OPT_FLAG(0, "keep-charset", &keep, "no conversion to UTF-8"),
      MP_OPT_COUNT(0, "max-errors", &maxerr, 0, UINT32_MAX, "N",
                   "stop a file after N rejected records (0 = no cap)"),
      MP_OPT_GROUP("Output:"),
      MP_OPT_FN(0, "to", "FMT", opt_to, d,
                "output: text (default), iso2709, marcxml, json\n"
                "(json: one record per line)"),
      MP_OPT_FN('o', NULL, "FMT", opt_to, d,
                "output format as in yaz-marcdump: marc, marcxml,\n"
                "json or line (the same as --to)"),
      MP_OPT_STRING(0, "output", &d->outpath, "FILE",
                    "write records to FILE instead of stdout"),
      MP_OPT_FN('t', NULL, "CHARSET", opt_to_charset, d,
                "output character set: utf-8 only"),
      MP_OPT_FLAG(0, "count", &d->count,
                  "print only \"FILE: N records, E rejected, W warnings\"\n"
                  "(E also counts the point where a file could not\n"
                  "be read any further, e.g. malformed XML)"),
      MP_OPT_FLAG('n', NULL, &d->no_output,
                  "no record output: check only (diagnostics on stderr)"),
      MP_OPT_FLAG('p', NULL, &d->positions,
                  "before each record, its number and byte offset:\n"
                  "<!-- Record N offset O (0xO) -->"),
      MP_OPT_FLAG('r', NULL, &d->summary,
                  "a summary per file on stderr (records read, rejected,\n"
                  "warnings)"),
      MP_OPT_COUNT('O', NULL, &d->first, 0, INT64_MAX, "OFFSET",
                   "write records from this one on (0 = the first; counts\n"
                   "good records over all files)"),
      MP_OPT_COUNT('L', NULL, &d->limit, 0, INT64_MAX, "LIMIT",
                   "write at most LIMIT records, then stop reading"),
      MP_OPT_HELP(),
      MP_OPT_GROUP("yaz-marcdump options refused (with this hint):"),
      MP_OPT_FN('l', NULL, NULL, opt_refused, d,
                "leader changes: edit the records with a MARC editor"),
      MP_OPT_FN('s', NULL, NULL, opt_refused, d,
                "split output: use gen or split the file"),
      MP_OPT_FN('C', NULL, NULL, opt_refused, d,
                "chunk size of -s: splitting is not supported"),
      MP_OPT_FN('c', NULL, NULL, opt_refused, d,
                "CCL output: not supported"),
      MP_OPT_FN('v', NULL, NULL, opt_refused, d,
                "verbose: every problem is always reported"),
      MP_OPT_FN('V', NULL, NULL, opt_refused, d,
                "version: use marcpipe --version"),
      MP_OPT_END()};
  const mp_opt_usage_t u = {"marcpipe dump [options] FILE...",
                            dump_description, dump_footer};
  int rc = mp_cli_parse(c, opts, &u, argc, argv);
  if (rc >= 0)
    return rc;
  if (c->format)
    d->opts.format = c->format;
  d->opts.charset = c->charset;
  d->opts.strict = strict;
  d->opts.keep_charset = keep;
  if (maxerr != MP_CLI_UNSET)
    d->opts.max_errors = (uint32_t)maxerr;
  if (c->nargs == 0)
    return mp__cli_bad_usage("dump", "%s", "no input file");
  return -1;
}

static int flush(dump_t *d, bool force) {
  if (!force && d->buf.len < FLUSH_AT)
    return 0;
  if (d->buf.len && fwrite(d->buf.data, 1, d->buf.len, d->out) != d->buf.len) {
    fprintf(stderr, "marcpipe dump: %s: %s\n", d->outpath ? d->outpath : "stdout",
            strerror(errno));
    mp_buf_clear(&d->buf);
    d->failed = true;
    return MP_EIO;
  }
  mp_buf_clear(&d->buf);
  return 0;
}

static int write_record(dump_t *d, const mp_record_t *rec) {
  size_t mark = d->buf.len;
  int rc;
  switch (d->to) {
  case OUT_ISO: rc = mp_marc_write_iso2709(rec, &d->buf); break;
  case OUT_XML: rc = mp_marc_write_marcxml(rec, &d->buf); break;
  case OUT_JSON:
    rc = mp_marc_write_json(rec, &d->buf);
    if (!rc)
      rc = mp_buf_putc(&d->buf, '\n');
    break;
  default:
    rc = mp_marc_write_text(rec, &d->buf);
    if (!rc)
      rc = mp_buf_putc(&d->buf, '\n');
    break;
  }
  if (rc) { /* drop the partial record */
    d->buf.len = mark;
    if (d->buf.data)
      d->buf.data[mark] = '\0';
  }
  return rc;
}

/* A record the writer refused: report it like a reader error. */
static void write_failed(const char *file, const mp_record_t *rec, int rc) {
  mp_marc_diag_t dg = {.code = rc, .severity = MP_SEV_ERROR,
                       .recno = rec->recno, .offset = rec->offset};
  if (rc == MP_ETOOBIG)
    snprintf(dg.msg, sizeof dg.msg,
             "record too large for iso 2709 (over %d bytes); "
             "use --to json or --to marcxml", MP_MARC_ISO_MAX);
  else
    snprintf(dg.msg, sizeof dg.msg, "cannot write record: %s",
             mp_strerror(rc));
  char line[512];
  mp_marc_diag_format(&dg, file, line, sizeof line);
  fprintf(stderr, "%s\n", line);
}

static bool limit_reached(const dump_t *d) {
  return d->limit >= 0 && d->written >= (uint64_t)d->limit;
}

static void dump_file(dump_t *d, const char *path) {
  int err = 0;
  if (mp_cli_check_input(&d->cli, path)) {
    d->failed = true;
    return;
  }
  mp_marc_reader_t *rd = mp_marc_reader_open(path, &d->opts, &err);
  if (!rd) {
    fprintf(stderr, "marcpipe dump: %s: %s\n", path, mp_strerror(err));
    d->failed = true;
    return;
  }
  uint64_t unwritten = 0, rejected = 0;
  for (;;) {
    mp_record_t *rec = NULL;
    int rc = mp_marc_reader_next(rd, &rec);
    if (rc == MP_EOF)
      break;
    mp__cli_print_diags(rd);
    if (rc < 0) {
      rejected++;
      d->failed = true;
      if (mp_marc_reader_fatal(rd))
        break;
      continue;
    }
    if (d->count)
      continue;
    if (limit_reached(d))
      break;
    if (d->positions) { /* every record read, as yaz-marcdump -p */
      mp_buf_printf(&d->buf, "<!-- Record %llu offset %llu (0x%llx) -->\n",
                    (unsigned long long)rec->recno,
                    (unsigned long long)rec->offset,
                    (unsigned long long)rec->offset);
      if (flush(d, false))
        break;
    }
    if (d->no_output)
      continue;
    if (d->first >= 0 && d->seen++ < (uint64_t)d->first)
      continue;
    d->written++;
    if ((rc = write_record(d, rec))) {
      write_failed(path, rec, rc);
      unwritten++;
      d->failed = true;
    } else if (flush(d, false)) {
      break;
    }
  }
  mp_marc_reader_stats_t st;
  mp_marc_reader_stats(rd, &st);
  if (d->count || d->summary)
    fprintf(d->count ? stdout : stderr,
            "%s: %llu records, %llu rejected, %llu warnings\n", path,
            (unsigned long long)st.records, (unsigned long long)rejected,
            (unsigned long long)st.warnings);
  else if (unwritten)
    fprintf(stderr, "marcpipe dump: %s: %llu records not written\n", path,
            (unsigned long long)unwritten);
  else if (!st.records && !rejected && !d->summary) /* not silent */
    fprintf(stderr, "marcpipe dump: %s: no records\n", path);
  mp_marc_reader_close(rd);
}

static int open_output(dump_t *d) {
  d->out = stdout;
  if (!d->outpath || d->count || d->no_output)
    return 0;
  d->out = fopen(d->outpath, "wb");
  if (!d->out) {
    fprintf(stderr, "marcpipe dump: %s: %s\n", d->outpath, strerror(errno));
    return 1;
  }
  return 0;
}

int cmd_dump(int argc, char **argv) {
  dump_t d = {0};
  int rc = parse_args(&d, argc, argv);
  if (rc >= 0) {
    mp_cli_release(&d.cli);
    return rc;
  }
  if (open_output(&d))
    return 1;
  mp_buf_init(&d.buf);
  bool xml = d.to == OUT_XML && !d.count && !d.no_output;
  if (xml && mp_marc_write_marcxml_begin(&d.buf))
    d.failed = true;
  for (int i = 0; i < d.cli.nargs && !limit_reached(&d); i++)
    dump_file(&d, d.cli.args[i]);
  if (xml && mp_marc_write_marcxml_end(&d.buf))
    d.failed = true;
  flush(&d, true);
  if (d.out != stdout && fclose(d.out) != 0) {
    fprintf(stderr, "marcpipe dump: %s: %s\n", d.outpath, strerror(errno));
    d.failed = true;
  } else if (d.out == stdout && fflush(stdout) != 0) {
    d.failed = true;
  }
  mp_buf_release(&d.buf);
  mp_cli_release(&d.cli);
  return d.failed ? 1 : 0;
}
