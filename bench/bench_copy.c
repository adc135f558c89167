/* bench_copy.c: the COPY ceiling of the sink's tables on this machine.
 *
 *   bench_copy FILE [--rows N] [--db CONNINFO] [--tenant T] [--json]
 *
 * Reads a MARC file, decodes and maps every record (untimed), then writes N
 * rows (cycling through the file; keys made unique per cycle) with plain
 * COPY into source_records + instances + instance_keys + journal of a
 * scratch tenant schema (the rows the sink writes for a created record),
 * one transaction per 1,000 rows, and prints rows/s of the database part
 * only. The pipeline benchmarks report end-to-end throughput
 * as a ratio to this number. The schema (default tenant "benchcopy") is
 * emptied first. Single thread, blocking libpq. */
#include "common.h"
#include "pg/copy.h"

#include "marcpipe/error.h"
#include "marcpipe/mapping.h"
#include "marcpipe/marc.h"
#include "marcpipe/pg.h"
#include "marcpipe/utf8.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 1000
#define NTABLES 4

typedef struct {
  char *raw, *parsed, *instance, *hrid, key[160];
  size_t raw_len;
  mp_match_keys_t keys; /* the secondary keys: rows of instance_keys */
} prep_t;

static unsigned long long fnv(const char *p, size_t n) {
  unsigned long long h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
  return h;
}

typedef struct prepare_s {
  const mp_mapping_t *map;
  prep_t *v;
  size_t n, cap;
  mp_buf_t js;
} prepare_t;

/* One record of the file into the next prep_t (left out when it does not
 * map or its JSON is not valid UTF-8). */
static int prepare_one(mp_marc_reader_t *r, mp_record_t *rec, void *arg) {
  prepare_t *pr = arg;
  json_t *inst = NULL;
  char e[256];
  if (mp_mapping_map(pr->map, rec, &inst, e, sizeof e))
    return 0;
  size_t rl;
  const char *raw = mp_marc_reader_raw(r, &rl);
  mp_match_keys_t k;
  mp_match_keys(rec, raw, rl, &k);
  mp_buf_clear(&pr->js);
  if (mp_marc_write_json(rec, &pr->js) ||
      !mp_utf8_valid(pr->js.data, pr->js.len)) {
    json_decref(inst);
    return 0;
  }
  if (pr->n == pr->cap) {
    pr->cap = pr->cap ? 2 * pr->cap : 1024;
    pr->v = realloc(pr->v, pr->cap * sizeof *pr->v);
  }
  prep_t *p = &pr->v[pr->n++];
  p->raw = malloc(rl);
  memcpy(p->raw, raw, rl);
  p->raw_len = rl;
  p->parsed = strdup(pr->js.data);
  p->instance = json_dumps(inst, JSON_COMPACT);
  const char *h = json_string_value(json_object_get(inst, "hrid"));
  p->hrid = h ? strdup(h) : NULL;
  snprintf(p->key, sizeof p->key, "%s", k.primary);
  p->keys = k;
  json_decref(inst);
  return 0;
}

/* Decode and map the whole file (records that fail are left out). */
static int prepare(const char *path, const mp_mapping_t *map, prep_t **out,
                   size_t *n) {
  prepare_t pr = {.map = map};
  mp_buf_init(&pr.js);
  int rc = mp_bench_each_record("bench_copy", path, NULL, prepare_one, &pr);
  mp_buf_release(&pr.js);
  *out = pr.v;
  *n = pr.n;
  return rc || !pr.n ? 1 : 0;
}

/* instance_keys rows of one kind: n values `width` bytes apart, each once
 * (a key can come from two fields: the table's primary key would refuse
 * the second). */
static void key_list(mp_buf_t *b, const char *uuid, const char *kind,
                     const char *vals, size_t width, int n) {
  for (int i = 0; i < n && i < MP_MAX_KEYS; i++) {
    const char *v = vals + (size_t)i * width;
    bool seen = false;
    for (int j = 0; j < i && !seen; j++)
      seen = !strcmp(vals + (size_t)j * width, v);
    if (seen)
      continue;
    mp__copy_str(b, uuid), mp__copy_sep(b), mp__copy_str(b, kind), mp__copy_sep(b);
    mp__copy_str(b, v), mp__copy_end_row(b);
  }
}

/* The instance_keys rows of one Instance, as the sink writes them: the
 * control number (made unique per cycle like the match key), OCLC numbers,
 * ISBNs, ISSNs. */
static void key_rows(mp_buf_t *b, const mp_match_keys_t *k, const char *uuid,
                     const char *control) {
  if (k->control[0])
    key_list(b, uuid, "control", control, 0, 1);
  key_list(b, uuid, "oclc", k->oclc[0], sizeof k->oclc[0], k->noclc);
  key_list(b, uuid, "isbn", k->isbn[0], sizeof k->isbn[0], k->nisbn);
  key_list(b, uuid, "issn", k->issn[0], sizeof k->issn[0], k->nissn);
}

/* Build the COPY data of rows [first, first+k) for the four tables. */
static void build_chunk(const prep_t *v, size_t nv, size_t first, size_t k,
                        mp_buf_t bufs[NTABLES]) {
  for (int t = 0; t < NTABLES; t++)
    mp_buf_clear(&bufs[t]);
  for (size_t i = first; i < first + k; i++) {
    const prep_t *p = &v[i % nv];
    char key[200], uuid[48], hash[20];
    snprintf(key, sizeof key, "%s#%zu", p->key, i / nv);
    snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012zx", i);
    snprintf(hash, sizeof hash, "%016llx", fnv(p->raw, p->raw_len));
    int64_t seq = (int64_t)i + 1;
    mp_buf_t *b = &bufs[0]; /* source_records */
    mp__copy_int(b, 1), mp__copy_sep(b), mp__copy_int(b, seq), mp__copy_sep(b);
    mp__copy_str(b, key), mp__copy_sep(b), mp__copy_str(b, "application/marc");
    mp__copy_sep(b), mp__copy_bytea(b, p->raw, p->raw_len), mp__copy_sep(b);
    mp__copy_str(b, p->parsed), mp__copy_sep(b), mp__copy_str(b, hash), mp__copy_end_row(b);
    b = &bufs[1]; /* instances */
    mp__copy_str(b, uuid), mp__copy_sep(b), mp__copy_str(b, p->hrid), mp__copy_sep(b);
    mp__copy_str(b, key), mp__copy_sep(b), mp__copy_str(b, p->instance), mp__copy_sep(b), mp__copy_int(b, 1), mp__copy_sep(b);
    mp__copy_int(b, seq), mp__copy_sep(b), mp__copy_str(b, hash), mp__copy_end_row(b);
    key_rows(&bufs[2], &p->keys, uuid, key);
    b = &bufs[3]; /* journal */
    mp__copy_int(b, 1), mp__copy_sep(b), mp__copy_int(b, seq), mp__copy_sep(b);
    mp__copy_int(b, (int64_t)(i % 4)), mp__copy_sep(b), mp__copy_int(b, (int64_t)i);
    mp__copy_sep(b), mp__copy_str(b, "CREATED"), mp__copy_sep(b), mp__copy_str(b, uuid);
    mp__copy_sep(b), mp__copy_str(b, key), mp__copy_end_row(b);
  }
}

/* Send the four COPY streams (the timed part). */
static int send_chunk(PGconn *c, mp_buf_t bufs[NTABLES]) {
  static const char *const sql[NTABLES] = {
      "COPY source_records (job_id, seq, match_key, content_type, raw, parsed, "
      "content_hash) FROM STDIN",
      "COPY instances (id, hrid, match_key, instance, source_job, source_seq, "
      "content_hash) "
      "FROM STDIN",
      "COPY instance_keys (instance_id, kind, value) FROM STDIN",
      "COPY journal (job_id, seq, partition, kafka_offset, outcome, instance_id, "
      "match_key) FROM STDIN"};
  for (int t = 0; t < NTABLES; t++) {
    PGresult *r = PQexec(c, sql[t]);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok || PQputCopyData(c, bufs[t].data, (int)bufs[t].len) != 1 ||
        PQputCopyEnd(c, NULL) != 1)
      return -1;
    while ((r = PQgetResult(c))) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bench_copy: %s", PQresultErrorMessage(r));
        ok = 0;
      }
      PQclear(r);
    }
    if (!ok)
      return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *file = NULL;
  mp_bench_db_t o = {.tenant = "benchcopy"};
  size_t rows = 100000;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rows") && i + 1 < argc)
      rows = strtoul(argv[++i], NULL, 10);
    else if (mp_bench_db_opt(argc, argv, &i, &o))
      continue;
    else if (argv[i][0] != '-' && !file)
      file = argv[i];
    else {
      fprintf(stderr, "usage: bench_copy FILE [--rows N] [--db CONNINFO] [--tenant T] [--json]\n");
      return 2;
    }
  }
  if (!file || !rows) {
    fprintf(stderr, "usage: bench_copy FILE [--rows N] [--db CONNINFO] [--tenant T] [--json]\n");
    return 2;
  }
  char err[1024];
  mp_mapping_t *map = mp_bench_mapping("bench_copy");
  if (!map)
    return 1;
  prep_t *v = NULL;
  size_t nv = 0;
  int rc = 1;
  PGconn *c = NULL;
  char ci[1024];
  mp_buf_t bufs[NTABLES];
  for (int t = 0; t < NTABLES; t++)
    mp_buf_init(&bufs[t]);
  if (prepare(file, map, &v, &nv)) {
    fprintf(stderr, "bench_copy: %s: no mappable record\n", file);
    goto out;
  }
  mp_bench_db_conninfo(&o, ci, sizeof ci);
  if (mp_pg_connect(ci, o.tenant, &c, err, sizeof err) ||
      mp_pg_exec(c, "TRUNCATE source_records, instances, instance_keys, journal", err, sizeof err)) {
    fprintf(stderr, "bench_copy: %s\n", err);
    goto out;
  }
  double db_time = 0, pg0 = mp_bench_pg_cpu(c);
  size_t txns = 0;
  for (size_t first = 0; first < rows; first += CHUNK) {
    size_t k = rows - first < CHUNK ? rows - first : CHUNK;
    build_chunk(v, nv, first, k, bufs);
    double t0 = mp_bench_now();
    if (mp_pg_exec(c, "BEGIN", err, sizeof err) || send_chunk(c, bufs) ||
        mp_pg_exec(c, "COMMIT", err, sizeof err)) {
      fprintf(stderr, "bench_copy: COPY failed at row %zu: %s\n", first, PQerrorMessage(c));
      goto out;
    }
    db_time += mp_bench_now() - t0;
    txns++;
  }
  double dbonly = db_time;
  double pg_us = (mp_bench_pg_cpu(c) - pg0) * 1e6 / (double)rows; /* NAN: unreadable */
  if (o.json)
    printf("{\"bench\":\"copy\",\"file\":\"%s\",\"rows\":%zu,\"distinct_records\":%zu,"
           "\"transactions\":%zu,\"seconds\":%.3f,\"rows_per_s\":%.0f,"
           "\"pg_cpu_us_per_row\":%.0f}\n",
           file, rows, nv, txns, dbonly, (double)rows / dbonly, isnan(pg_us) ? -1.0 : pg_us);
  else
    printf("bench_copy: %zu rows (%zu distinct records of %s) in %zu transactions: "
           "%.3f s database time, %.0f rows/s; PostgreSQL %.0f us CPU per row\n",
           rows, nv, file, txns, dbonly, (double)rows / dbonly, pg_us);
  rc = 0;
out:
  PQfinish(c);
  for (size_t i = 0; i < nv; i++) {
    free(v[i].raw);
    free(v[i].parsed);
    free(v[i].instance);
    free(v[i].hrid);
  }
  free(v);
  for (int t = 0; t < NTABLES; t++)
    mp_buf_release(&bufs[t]);
  mp_mapping_free(map);
  return rc;
}
