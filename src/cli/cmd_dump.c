/* cmd_dump.c: `marcpipe dump`: read MARC files (ISO 2709, MARCXML,
 * MARC-in-JSON), check them and convert them, like yaz-marcdump.
 *
 * Records go to stdout (or -o FILE) in the chosen format; every warning
 * and error goes to stderr as "FILE: record N at byte OFF[, field TAG]:
 * error: msg". A bad record never stops the file (only input that cannot
 * be framed does); with --count only per-file totals are printed.
 * Exit status: 0 all records good, 1 a record was rejected or a file could
 * not be read or the output not written, 2 usage. Single-threaded.
 */
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/marc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLUSH_AT (256u * 1024u)

typedef enum { OUT_TEXT, OUT_ISO, OUT_XML, OUT_JSON } out_fmt_t;

typedef struct dump_s {
  mp_marc_reader_opts_t opts;
  out_fmt_t to;
  bool count;
  const char *outpath;
  FILE *out;
  mp_buf_t buf;
  bool failed; /* exit 1 */
} dump_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: marcpipe dump [options] FILE...\n\n"
          "Read MARC records (ISO 2709, MARCXML or MARC-in-JSON; '-' is stdin),\n"
          "report every problem on stderr with file, record number and byte\n"
          "offset, and write the records in another format. Bad records are\n"
          "reported and skipped; the rest of the file is still read.\n\n"
          "options:\n"
          "  --from FMT       input format: iso2709, marcxml, json (default: detect)\n"
          "  --to FMT         output: text (default), iso2709, marcxml, json\n"
          "                   (json: one record per line)\n"
          "  --count          print only \"FILE: N records, E rejected, W warnings\"\n"
          "                   (E also counts the point where a file could not\n"
          "                   be read any further, e.g. malformed XML)\n"
          "  --strict         reject records that would otherwise be repaired\n"
          "  --charset NAME   the input's character set when leader/09 is wrong\n"
          "                   (e.g. cp1251, MARC-8); records are output as UTF-8\n"
          "  --keep-charset   no conversion to UTF-8\n"
          "  --max-errors N   stop a file after N rejected records (0 = no cap)\n"
          "  -o FILE          write records to FILE instead of stdout\n"
          "  -h, --help       this help\n\n"
          "A record longer than 99,999 bytes cannot be written as ISO 2709: it\n"
          "is reported as an error; write it with --to json or --to marcxml.\n\n"
          "exit status: 0 every record good, 1 a record was rejected or a file\n"
          "could not be read, 2 usage error\n");
}

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

/* 0 to go on, 1 after --help, 2 on a usage error. */
static int parse_args(dump_t *d, int argc, char **argv) {
  enum { O_FROM = 256, O_TO, O_COUNT, O_STRICT, O_CHARSET, O_KEEP, O_MAXERR };
  static const struct option longs[] = {
      {"from", required_argument, NULL, O_FROM},
      {"to", required_argument, NULL, O_TO},
      {"count", no_argument, NULL, O_COUNT},
      {"strict", no_argument, NULL, O_STRICT},
      {"charset", required_argument, NULL, O_CHARSET},
      {"keep-charset", no_argument, NULL, O_KEEP},
      {"max-errors", required_argument, NULL, O_MAXERR},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int c, fmt;
  char *end;
  optind = 1;
  opterr = 0; /* refused options are reported by mp__cli_bad_option */
  while ((c = getopt_long(argc, argv, ":ho:", longs, NULL)) != -1) {
    switch (c) {
    case 'h': usage(stdout); return 1;
    case 'o': d->outpath = optarg; break;
    case O_FROM:
      if ((fmt = mp_marc_format_parse(optarg)) < 0)
        return mp__cli_bad_usage("dump", "unknown input format '%s'", optarg);
      d->opts.format = (mp_marc_format_t)fmt;
      break;
    case O_TO:
      if (parse_to(optarg, &d->to))
        return mp__cli_bad_usage("dump", "unknown output format '%s'", optarg);
      break;
    case O_COUNT: d->count = true; break;
    case O_STRICT: d->opts.strict = true; break;
    case O_CHARSET: d->opts.charset = optarg; break;
    case O_KEEP: d->opts.keep_charset = true; break;
    case O_MAXERR:
      errno = 0;
      unsigned long n = strtoul(optarg, &end, 10);
      if (errno || *end || !*optarg || optarg[0] == '-' || n > UINT32_MAX)
        return mp__cli_bad_usage("dump", "--max-errors needs a count, not '%s'", optarg);
      d->opts.max_errors = (uint32_t)n;
      break;
    default: return mp__cli_bad_option("dump", c, argv);
    }
  }
  if (optind >= argc)
    return mp__cli_bad_usage("dump", "%s", "no input file");
  return 0;
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

static void dump_file(dump_t *d, const char *path) {
  int err = 0;
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
    if (rc == MP_EOF_)
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
  if (d->count)
    printf("%s: %llu records, %llu rejected, %llu warnings\n", path,
           (unsigned long long)st.records, (unsigned long long)rejected,
           (unsigned long long)st.warnings);
  else if (unwritten)
    fprintf(stderr, "marcpipe dump: %s: %llu records not written\n", path,
            (unsigned long long)unwritten);
  else if (!st.records && !rejected) /* say so rather than print nothing */
    fprintf(stderr, "marcpipe dump: %s: no records\n", path);
  mp_marc_reader_close(rd);
}

static int open_output(dump_t *d) {
  d->out = stdout;
  if (!d->outpath || d->count)
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
  if (rc)
    return rc == 1 ? 0 : rc;
  if (open_output(&d))
    return 1;
  mp_buf_init(&d.buf);
  bool xml = d.to == OUT_XML && !d.count;
  if (xml && mp_marc_write_marcxml_begin(&d.buf))
    d.failed = true;
  for (int i = optind; i < argc; i++)
    dump_file(&d, argv[i]);
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
  return d.failed ? 1 : 0;
}
