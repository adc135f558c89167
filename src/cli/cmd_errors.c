/* cmd_errors.c: `marcpipe errors JOB [--export FILE] [--json] [--db CONNINFO]
 * [--tenant T]`: a job's rejected records (journal ERROR rows) in sequence
 * order; --export writes their raw bytes, one record after another, as a
 * MARC file a cataloguer can fix and re-import (records that never parsed
 * are exported as the bytes that arrived). Bytes are never converted: each
 * record goes to the file of its own format (ISO 2709, MARC-in-JSON,
 * MARCXML: the first met goes to FILE, another to FILE.json / FILE.xml /
 * FILE.mrc), and a record with no bytes to export makes the exit status 1. */
#include "cli/cli_groups.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FMT_ISO, FMT_JSON, FMT_XML, NFMT };
static const char *const fmt_ext[NFMT] = {"mrc", "json", "xml"};

typedef struct {
  bool json, quiet;
  const char *path;          /* --export FILE; "-" = stdout */
  int first;                 /* format of FILE itself; -1 = none yet */
  FILE *out[NFMT];
  char name[NFMT][1100];
  size_t per[NFMT];
  size_t count, exported, no_bytes, refused;
  int64_t first_missing;     /* seq of the first record not exported */
  char err[1200];
} ctx_t;

/* The format of a record's raw bytes, by its first byte. */
static int raw_format(const char *p, size_t n) {
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
    i++;
  return i < n && p[i] == '{' ? FMT_JSON : i < n && p[i] == '<' ? FMT_XML : FMT_ISO;
}

/* The file of format f, opened on first use: FILE for the first format
 * met, FILE.ext for the others. NULL when it cannot be (x->err set, or
 * refused: stdout carries one format only). */
static FILE *export_file(ctx_t *x, int f) {
  if (x->out[f])
    return x->out[f];
  bool std = !strcmp(x->path, "-");
  if (x->first < 0)
    x->first = f;
  if (x->first == f)
    snprintf(x->name[f], sizeof x->name[f], "%s", std ? "stdout" : x->path);
  else if (std)
    return NULL;
  else
    snprintf(x->name[f], sizeof x->name[f], "%s.%s", x->path, fmt_ext[f]);
  x->out[f] = x->first == f && std ? stdout : fopen(x->name[f], "wb");
  if (!x->out[f])
    snprintf(x->err, sizeof x->err, "%s: cannot create export file", x->name[f]);
  else if (f == FMT_XML)
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n", x->out[f]);
  return x->out[f];
}

static int export_one(ctx_t *x, const mp_job_error_t *e) {
  if (!e->raw || !e->raw_len) {
    if (!x->no_bytes++ && !x->refused)
      x->first_missing = e->seq;
    return 0;
  }
  int f = raw_format(e->raw, e->raw_len);
  FILE *out = export_file(x, f);
  if (!out) {
    if (x->err[0])
      return MP_EIO;
    if (!x->refused++ && !x->no_bytes)
      x->first_missing = e->seq;
    return 0;
  }
  if (fwrite(e->raw, 1, e->raw_len, out) != e->raw_len)
    return MP_EIO;
  if (f == FMT_XML)
    fputc('\n', out);
  x->per[f]++;
  x->exported++;
  return 0;
}

static int on_error(void *ud, const mp_job_error_t *e) {
  ctx_t *x = ud;
  x->count++;
  if (x->path) {
    int rc = export_one(x, e);
    if (rc)
      return rc;
  }
  if (x->quiet)
    return 0;
  if (x->json) {
    json_t *o = json_pack("{s:I s:i s:s s:s s:s s:I}", "seq", (json_int_t)e->seq,
                          "partition", e->partition, "match_key", e->match_key,
                          "error_class", e->error_class, "reason", e->reason,
                          "raw_length", (json_int_t)e->raw_len);
    if (!o)
      return MP_ENOMEM;
    json_object_set_new(o, "kafka_offset",
                        e->kafka_offset >= 0 ? json_integer(e->kafka_offset) : json_null());
    json_object_set_new(o, "file_offset",
                        e->file_offset >= 0 ? json_integer(e->file_offset) : json_null());
    json_dumpf(o, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(o);
  } else {
    char where[64];
    if (e->partition < 0)
      snprintf(where, sizeof where, "byte %lld", (long long)e->file_offset);
    else
      snprintf(where, sizeof where, "p%d@%lld", e->partition, (long long)e->kafka_offset);
    printf("%lld\t%s\t%s\t%s\n", (long long)e->seq, where, e->error_class, e->reason);
  }
  return 0;
}

int cmd_errors(int argc, char **argv) {
  const char *exp = NULL;
  mp_cli_t cl;
  ctx_t x = {.first = -1};
  mp_cli_init(&cl, "errors");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Output:"),
      MP_OPT_STRING(0, "export", &exp, "FILE",
                    "write the rejected records' raw bytes to FILE in\n"
                    "sequence order (a MARC file to fix and re-import;\n"
                    "'-' = stdout); each record goes to the file of its\n"
                    "own format: the first format met to FILE, others\n"
                    "to FILE.json / FILE.xml / FILE.mrc"),
      MP_OPT_FLAG(0, "json", &x.json,
                  "one JSON object per line instead of the text table"),
      MP_OPT_HELP(),
      MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&cl), MP_CLI_TENANT(&cl),
      MP_OPT_END()};
  const mp_opt_usage_t u = {
      "marcpipe errors JOB [options]",
      "List the records of job JOB that were rejected (by the reader, or by the\n"
      "worker when decoding or mapping failed): sequence number, partition,\n"
      "Kafka offset or file byte offset, error class and reason.\n",
      NULL};
  int prc = mp_cli_parse(&cl, opts, &u, argc, argv);
  if (prc >= 0)
    return prc;
  int64_t id;
  if (mp_cli_job_arg(&cl, &id))
    return 2;
  PGconn *c = NULL;
  char err[1024] = "";
  if (mp_cli_db_open(&cl, x.json, &c)) {
    PQfinish(c);
    return 1;
  }
  int rc = 0;
  if (!rc && exp) {
    x.path = exp;
    x.quiet = !strcmp(exp, "-"); /* stdout carries the records then */
  }
  if (!rc) {
    rc = mp_job_errors(c, id, on_error, &x, err, sizeof err);
    if (rc == MP_EIO && x.err[0])
      snprintf(err, sizeof err, "%.1000s", x.err);
    else if (rc == MP_EIO || rc == MP_ENOMEM)
      snprintf(err, sizeof err, "%s: %s", exp ? exp : "output", mp_strerror(rc));
  }
  PQfinish(c);
  for (int f = 0; f < NFMT; f++) {
    if (!x.out[f])
      continue;
    if (f == FMT_XML)
      fputs("</collection>\n", x.out[f]);
    if ((x.out[f] == stdout ? fflush(stdout) : fclose(x.out[f])) && !rc) {
      snprintf(err, sizeof err, "%.1000s: write failed", x.name[f]);
      rc = MP_EIO;
    }
  }
  if (rc) {
    fprintf(stderr, "marcpipe errors: %s\n", err);
    return 1;
  }
  if (!exp)
    return 0;
  fprintf(stderr, "marcpipe errors: exported %zu of %zu rejected records", x.exported,
          x.count);
  const char *sep = ":";
  for (int f = 0; f < NFMT; f++)
    if (x.per[f]) {
      fprintf(stderr, "%s %zu to %s", sep, x.per[f], x.name[f]);
      sep = ",";
    }
  fputc('\n', stderr);
  if (x.no_bytes)
    fprintf(stderr, "marcpipe errors: %zu rejected records have no bytes to export "
                    "(the first is seq %lld): see their reasons with `marcpipe errors %lld`\n",
            x.no_bytes, (long long)x.first_missing, (long long)id);
  if (x.refused)
    fprintf(stderr, "marcpipe errors: %zu rejected records are in another format than "
                    "the first and stdout holds one format: give --export FILE\n",
            x.refused);
  return x.no_bytes || x.refused ? 1 : 0;
}
