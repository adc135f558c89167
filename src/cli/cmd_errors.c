/* cmd_errors.c: `marcpipe errors JOB [--export FILE] [--json] [--db CONNINFO]
 * [--tenant T]`: a job's rejected records (journal ERROR rows) in sequence
 * order; --export writes their raw bytes, one record after another, as a
 * MARC file a cataloguer can fix and re-import (records that never parsed
 * are exported as the bytes that arrived). */
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

typedef struct {
  bool json, quiet;
  FILE *export;
  size_t count, exported, no_bytes;
} ctx_t;

static int on_error(void *ud, const mp_job_error_t *e) {
  ctx_t *x = ud;
  x->count++;
  if (x->export) {
    if (e->raw && e->raw_len) {
      if (fwrite(e->raw, 1, e->raw_len, x->export) != e->raw_len)
        return MP_EIO;
      x->exported++;
    } else {
      x->no_bytes++;
    }
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
  ctx_t x = {0};
  mp_cli_init(&cl, "errors");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Output:"),
      MP_OPT_STRING(0, "export", &exp, "FILE",
                    "write the rejected records' raw bytes to FILE in\n"
                    "sequence order (a MARC file to fix and re-import;\n"
                    "'-' = stdout)"),
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
    x.export = strcmp(exp, "-") ? fopen(exp, "wb") : stdout;
    x.quiet = !strcmp(exp, "-"); /* stdout carries the records then */
    if (!x.export) {
      snprintf(err, sizeof err, "%s: cannot create export file", exp);
      rc = MP_EIO;
    }
  }
  if (!rc) {
    rc = mp_job_errors(c, id, on_error, &x, err, sizeof err);
    if (rc == MP_EIO || rc == MP_ENOMEM)
      snprintf(err, sizeof err, "%s: %s", exp ? exp : "output", mp_strerror(rc));
  }
  PQfinish(c);
  if (x.export && x.export != stdout && fclose(x.export) && !rc) {
    snprintf(err, sizeof err, "%s: write failed", exp);
    rc = MP_EIO;
  }
  if (rc) {
    fprintf(stderr, "marcpipe errors: %s\n", err);
    return 1;
  }
  if (exp)
    fprintf(stderr, "marcpipe errors: exported %zu of %zu rejected records to %s%s\n",
            x.exported, x.count, exp,
            x.no_bytes ? " (some had no bytes to export)" : "");
  return 0;
}
