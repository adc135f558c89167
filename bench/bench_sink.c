/* bench_sink.c: throughput of the PostgreSQL batch sink alone (no Kafka).
 *
 *   bench_sink FILE [--rows N] [--batch B] [--latency MS] [--db CONNINFO]
 *              [--tenant T] [--json]
 *
 * Reads a MARC file (MARC-8 converted to UTF-8, as the producer sends it),
 * re-encodes each record as the message value (ISO 2709, or MARC-in-JSON
 * when too large), and feeds N messages (cycling through the file, 001
 * suffixed per cycle so every message creates an Instance) to
 * mp_sink_write_batch() in batches of B over 4 partitions. Prints rows/s
 * of the sink (decode + map + one transaction per batch); compare with
 * bench_copy, the COPY ceiling of the same tables. The tenant schema
 * (default "benchsink") is emptied first. Single thread. */
#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"
#include "marcpipe/pg.h"
#include "marcpipe/pgmanaged.h"
#include "marcpipe/sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  char *value;
  size_t len;
  mp_content_type_t ct;
} msg_t;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Encode rec with 001 suffixed by "-cycle" (cycle > 0). */
static int encode(const mp_record_t *rec, size_t cycle, mp_buf_t *out, msg_t *m) {
  mp_record_t r;
  mp_record_init(&r);
  int rc = mp_record_clone(&r, rec);
  char id[256];
  for (uint32_t i = 0; !rc && cycle && i < r.nfields; i++)
    if (!strcmp(r.fields[i].tag, "001")) {
      int w = snprintf(id, sizeof id, "%.*s-%zu", (int)r.fields[i].len, r.fields[i].data, cycle);
      char *d = mp_arena_dup(&r.arena, id, (size_t)w);
      r.fields[i].data = d;
      r.fields[i].len = (uint32_t)w;
    }
  mp_buf_clear(out);
  m->ct = MP_CT_ISO2709;
  if (!rc && (rc = mp_marc_write_iso2709(&r, out)) == MP_ETOOBIG) {
    mp_buf_clear(out);
    m->ct = MP_CT_JSON;
    rc = mp_marc_write_json(&r, out);
  }
  mp_record_release(&r);
  if (rc)
    return rc;
  m->value = malloc(out->len);
  memcpy(m->value, out->data, out->len);
  m->len = out->len;
  return 0;
}

int main(int argc, char **argv) {
  const char *file = NULL;
  mp_job_cli_t o = {.tenant = "benchsink"};
  size_t rows = 20000, batch = 500;
  int latency = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rows") && i + 1 < argc)
      rows = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
      batch = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--latency") && i + 1 < argc)
      latency = atoi(argv[++i]);
    else if (mp_job_cli_opt(argc, argv, &i, &o))
      continue;
    else if (argv[i][0] != '-' && !file)
      file = argv[i];
    else
      file = NULL, i = argc;
  }
  if (!file || !rows || !batch) {
    fprintf(stderr, "usage: bench_sink FILE [--rows N] [--batch B] [--latency MS] "
                    "[--db CONNINFO] [--tenant T] [--json]\n");
    return 2;
  }
  char err[1024], ci[1024];
  int rc = 1, e = 0;
  msg_t *msgs = calloc(rows, sizeof *msgs);
  mp_sink_rec_t *recs = calloc(rows, sizeof *recs);
  mp_mapping_t *map = mp_mapping_load(NULL, NULL, err, sizeof err);
  mp_sink_t *sink = NULL;
  PGconn *c = NULL;
  mp_buf_t out;
  mp_buf_init(&out);
  if (!map) {
    fprintf(stderr, "bench_sink: %s\n", err);
    goto done;
  }
  /* load the file once, then encode N messages */
  size_t nrec = 0;
  mp_record_t *kept = NULL;
  mp_marc_reader_t *rd = mp_marc_reader_open(file, NULL, &e);
  if (!rd) {
    fprintf(stderr, "bench_sink: %s: %s\n", file, mp_strerror(e));
    goto done;
  }
  mp_record_t *rec;
  while ((e = mp_marc_reader_next(rd, &rec)) != MP_EOF_) {
    if (e < 0) {
      if (mp_marc_reader_fatal(rd))
        break;
      continue;
    }
    kept = realloc(kept, (nrec + 1) * sizeof *kept);
    mp_record_init(&kept[nrec]);
    if (!mp_record_clone(&kept[nrec], rec))
      nrec++;
  }
  mp_marc_reader_close(rd);
  for (size_t i = 0; i < rows && nrec; i++)
    if (encode(&kept[i % nrec], i / nrec, &out, &msgs[i]))
      msgs[i].value = NULL;
  for (size_t i = 0; i < nrec; i++)
    mp_record_release(&kept[i]);
  free(kept);
  if (!nrec) {
    fprintf(stderr, "bench_sink: %s: no records\n", file);
    goto done;
  }
  if (o.db)
    snprintf(ci, sizeof ci, "%s", o.db);
  else
    mp_pgmanaged_default_conninfo(ci, sizeof ci);
  int64_t job = 0;
  mp_job_spec_t spec = {.file_name = file};
  if (mp_pg_connect(ci, o.tenant, &c, err, sizeof err) ||
      mp_pg_exec(c, "TRUNCATE jobs, job_progress, source_records, instances, instance_keys, "
                    "journal, kafka_offsets", err, sizeof err) ||
      mp_job_create(c, &spec, &job, err, sizeof err)) {
    fprintf(stderr, "bench_sink: %s\n", err);
    goto done;
  }
  size_t n = 0;
  for (size_t i = 0; i < rows; i++) {
    if (!msgs[i].value)
      continue;
    recs[n] = (mp_sink_rec_t){.topic = "bench", .partition = (int32_t)(i % 4),
                              .offset = (int64_t)(i / 4), .job_id = job,
                              .seq = (int64_t)i + 1, .key = "", .value = msgs[i].value,
                              .value_len = msgs[i].len, .content_type = msgs[i].ct};
    n++;
  }
  mp_sink_config_t cfg = {.conninfo = ci, .tenant = o.tenant, .group = "bench",
                          .mapping = map, .sink_latency_ms = latency};
  if (mp_sink_open(&cfg, &sink, err, sizeof err)) {
    fprintf(stderr, "bench_sink: %s\n", err);
    goto done;
  }
  uint64_t created = 0, errors = 0, other = 0;
  double t0 = now();
  for (size_t i = 0; i < n; i += batch) {
    mp_sink_result_t res;
    size_t k = n - i < batch ? n - i : batch;
    if (mp_sink_write_batch(sink, recs + i, k, &res)) {
      fprintf(stderr, "bench_sink: batch at %zu: %s\n", i, res.errmsg);
      goto done;
    }
    created += res.created;
    errors += res.errors;
    other += res.updated + res.duplicates + res.skipped;
  }
  double secs = now() - t0;
  if (o.json)
    printf("{\"bench\":\"sink\",\"file\":\"%s\",\"rows\":%zu,\"batch\":%zu,"
           "\"created\":%llu,\"errors\":%llu,\"other\":%llu,\"seconds\":%.3f,"
           "\"rows_per_s\":%.0f}\n",
           file, n, batch, (unsigned long long)created, (unsigned long long)errors,
           (unsigned long long)other, secs, (double)n / secs);
  else
    printf("bench_sink: %zu rows in batches of %zu: %llu created, %llu errors, %llu other; "
           "%.3f s, %.0f rows/s\n",
           n, batch, (unsigned long long)created, (unsigned long long)errors,
           (unsigned long long)other, secs, (double)n / secs);
  rc = 0;
done:
  mp_sink_close(sink);
  PQfinish(c);
  for (size_t i = 0; i < rows; i++)
    free(msgs[i].value);
  free(msgs);
  free(recs);
  mp_buf_release(&out);
  mp_mapping_free(map);
  return rc;
}
