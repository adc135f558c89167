/* bench_sink.c: throughput of the PostgreSQL batch sink alone (no Kafka).
 *
 *   bench_sink FILE [--rows N] [--batch B] [--latency MS] [--create-only]
 *              [--db CONNINFO] [--tenant T] [--json]
 *
 * Reads a MARC file (MARC-8 converted to UTF-8, as the producer sends it),
 * re-encodes each record as the message value (ISO 2709, or MARC-in-JSON
 * when too large), and feeds N messages (cycling through the file, 001
 * suffixed per cycle so every message creates an Instance) to
 * mp_sink_write_batch() in batches of B over 4 partitions. Prints rows/s
 * of the sink (decode + map + one transaction per batch); compare with
 * bench_copy, the COPY ceiling of the same tables. Then re-imports the
 * same records as two more jobs: an update pass (leader/05 set to 'c',
 * "corrected": every record matches its Instance by 001 and is UPDATED)
 * and a duplicate pass (the same bytes again: every record is a
 * DUPLICATE), each with its rows/s and its ratio to the create pass.
 * Jobs use the profile {"match":["001"]} so that the cycled copies, which
 * share 035s, stay apart. The tenant schema (default "benchsink") is
 * emptied first (key_claims too: every claim is new, as in a first
 * import). --create-only stops after the create pass. Each pass
 * also prints the CPU time of the PostgreSQL server per row (when it runs
 * on this machine: mp_bench_pg_cpu). MP_SINK_FORCE_STAGED=1 in the
 * environment measures the staged path alone (no batch skips the staging
 * table). Single thread. */
#include "common.h"

#include "marcpipe/error.h"
#include "marcpipe/job.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"
#include "marcpipe/pg.h"
#include "marcpipe/sink.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *value;
  size_t len;
  mp_content_type_t ct;
} msg_t;

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

typedef struct {
  uint64_t created, updated, duplicates, errors, other;
  double secs;
  double pg_s; /* CPU s of the PostgreSQL server (NAN: not readable) */
  uint64_t direct; /* records of batches written without staging */
} pass_t;

/* One job over recs (job ids set here); 0 or -1 with the error printed. */
static int run_pass(PGconn *c, mp_sink_t *sink, const char *file, mp_sink_rec_t *recs,
                    size_t n, size_t batch, pass_t *p) {
  char err[1024];
  int64_t job = 0;
  mp_job_spec_t spec = {.file_name = file, .profile = "{\"match\":[\"001\"]}"};
  if (mp_job_create(c, &spec, &job, err, sizeof err)) {
    fprintf(stderr, "bench_sink: %s\n", err);
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    recs[i].job_id = job;
  memset(p, 0, sizeof *p);
  double pg0 = mp_bench_pg_cpu(c);
  double t0 = mp_bench_now();
  for (size_t i = 0; i < n; i += batch) {
    mp_sink_result_t res;
    size_t k = n - i < batch ? n - i : batch;
    if (mp_sink_write_batch(sink, recs + i, k, &res)) {
      fprintf(stderr, "bench_sink: batch at %zu: %s\n", i, res.errmsg);
      return -1;
    }
    p->created += res.created;
    p->updated += res.updated;
    p->duplicates += res.duplicates;
    p->errors += res.errors;
    p->other += res.skipped;
    p->direct += res.direct;
  }
  p->secs = mp_bench_now() - t0;
  p->pg_s = mp_bench_pg_cpu(c) - pg0;
  return 0;
}

/* Mark a message as a corrected record: leader/05 = 'c'. */
static void correct(msg_t *m) {
  char *l = m->value;
  if (m->ct == MP_CT_JSON) {
    l = strstr(m->value, "\"leader\":\"");
    l = l ? l + 10 : NULL;
  }
  if (l && (size_t)(l - m->value) + 5 < m->len)
    l[5] = l[5] == 'c' ? 'n' : 'c';
}

static void print_pass(const char *name, const char *file, size_t n, size_t batch,
                       const pass_t *p, double base, bool json) {
  double rps = (double)n / p->secs;
  double pg_us = p->pg_s * 1e6 / (double)n; /* NAN when not readable */
  if (json)
    printf("{\"bench\":\"sink\",\"pass\":\"%s\",\"file\":\"%s\",\"rows\":%zu,"
           "\"batch\":%zu,\"created\":%llu,\"updated\":%llu,\"duplicates\":%llu,"
           "\"errors\":%llu,\"other\":%llu,\"direct\":%llu,\"seconds\":%.3f,"
           "\"rows_per_s\":%.0f,\"ratio_to_create\":%.2f,\"pg_cpu_us_per_row\":%.0f}\n",
           name, file, n, batch, (unsigned long long)p->created,
           (unsigned long long)p->updated, (unsigned long long)p->duplicates,
           (unsigned long long)p->errors, (unsigned long long)p->other,
           (unsigned long long)p->direct, p->secs, rps, base > 0 ? rps / base : 1.0,
           isnan(pg_us) ? -1.0 : pg_us);
  else
    printf("bench_sink %-9s %zu rows in batches of %zu: %llu created, %llu updated, "
           "%llu duplicates, %llu errors, %llu other (%llu unstaged); %.3f s, %.0f rows/s "
           "(x%.2f); PostgreSQL %.0f us CPU per row\n",
           name, n, batch, (unsigned long long)p->created, (unsigned long long)p->updated,
           (unsigned long long)p->duplicates, (unsigned long long)p->errors,
           (unsigned long long)p->other, (unsigned long long)p->direct, p->secs, rps,
           base > 0 ? rps / base : 1.0, pg_us);
}

int main(int argc, char **argv) {
  const char *file = NULL;
  mp_bench_db_t o = {.tenant = "benchsink"};
  size_t rows = 20000, batch = 500;
  int latency = 0;
  bool create_only = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rows") && i + 1 < argc)
      rows = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
      batch = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--latency") && i + 1 < argc)
      latency = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--create-only"))
      create_only = true;
    else if (mp_bench_db_opt(argc, argv, &i, &o))
      continue;
    else if (argv[i][0] != '-' && !file)
      file = argv[i];
    else
      file = NULL, i = argc;
  }
  if (!file || !rows || !batch) {
    fprintf(stderr, "usage: bench_sink FILE [--rows N] [--batch B] [--latency MS] "
                    "[--create-only] [--db CONNINFO] [--tenant T] [--json]\n");
    return 2;
  }
  char err[1024], ci[1024];
  int rc = 1;
  msg_t *msgs = calloc(rows, sizeof *msgs);
  mp_sink_rec_t *recs = calloc(rows, sizeof *recs);
  mp_mapping_t *map = mp_bench_mapping("bench_sink");
  mp_sink_t *sink = NULL;
  PGconn *c = NULL;
  mp_buf_t out;
  mp_buf_init(&out);
  if (!map)
    goto done;
  /* load the file once, then encode N messages */
  size_t nrec;
  mp_bench_item_t *kept;
  if (mp_bench_load("bench_sink", file, &kept, &nrec))
    goto done;
  for (size_t i = 0; i < rows; i++)
    if (encode(&kept[i % nrec].rec, i / nrec, &out, &msgs[i]))
      msgs[i].value = NULL;
  mp_bench_items_free(kept, nrec);
  mp_bench_db_conninfo(&o, ci, sizeof ci);
  if (mp_pg_connect(ci, o.tenant, &c, err, sizeof err) ||
      mp_pg_exec(c, "TRUNCATE jobs, job_progress, source_records, instances, instance_keys, "
                    "journal, kafka_offsets, key_claims", err, sizeof err)) {
    fprintf(stderr, "bench_sink: %s\n", err);
    goto done;
  }
  size_t n = 0;
  for (size_t i = 0; i < rows; i++) {
    if (!msgs[i].value)
      continue;
    recs[n] = (mp_sink_rec_t){.topic = "bench", .partition = (int32_t)(i % 4),
                              .offset = (int64_t)(i / 4), .job_id = 0,
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
  pass_t create, update, dup;
  if (run_pass(c, sink, file, recs, n, batch, &create))
    goto done;
  print_pass("create", file, n, batch, &create, 0, o.json);
  double base = (double)n / create.secs;
  if (create_only) {
    rc = 0;
    goto done;
  }
  for (size_t i = 0; i < rows; i++)
    if (msgs[i].value)
      correct(&msgs[i]);
  for (size_t i = 0; i < n; i++)
    recs[i].offset += (int64_t)n; /* later offsets, as a new job would have */
  if (run_pass(c, sink, file, recs, n, batch, &update))
    goto done;
  print_pass("update", file, n, batch, &update, base, o.json);
  for (size_t i = 0; i < n; i++)
    recs[i].offset += (int64_t)n;
  if (run_pass(c, sink, file, recs, n, batch, &dup))
    goto done;
  print_pass("duplicate", file, n, batch, &dup, base, o.json);
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
