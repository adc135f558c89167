/* sink_fast.c: the sink's fast path for batches of new records only.
 *
 * The staged path (sink.c) COPYs every record, with its raw bytes, its
 * MARC-in-JSON and its Instance, into a temp table and then copies them on
 * into the final tables: each large value is written and read twice. Most
 * batches of a first import only create. For those, this file decides the
 * matches with one narrow query on the match keys (no large value is
 * sent) and, when nothing matches, COPYs each row straight into its final
 * table: Instances (with their id), their keys, source records, journal;
 * then the same progress, offset and completion statements as the staged
 * path, in the same transaction.
 *
 * A batch takes the fast path only when the outcome of every record is
 * known to be CREATED (or an ERROR found by the mapping) with no set
 * logic left: every record decodes, is bibliographic, its job's profile
 * is valid and creates on no match; no record is journaled yet; no two
 * records share a (job, seq), the Instance they would create or a key of
 * their profile's match steps; and none of those keys is held by a
 * stored Instance (nor, with the 001 step, the primary key), after the
 * batch claimed those keys but the 001 as the staged path does
 * (key_claims: a batch of another sink holding one of them is waited
 * for, and its Instances are then seen). Anything else (updates,
 * duplicates, skips, holdings, authorities, replays) is staged. The rows
 * written are those the staged path writes for the same input (ids are
 * md5(match key) or md5('new:job:seq') as uuids, content hashes md5(raw),
 * version 1). The two COPYs carrying the large values (instances,
 * source_records) use COPY's binary format: the raw record goes as its
 * bytes instead of hex, and neither JSON text is COPY-escaped (workers
 * ~10% less CPU, the server unchanged; bench/README.md "Binary COPY");
 * keys and journal stay in text format. Between the check and the COPY
 * another transaction may create one of the keys or journal one of the
 * records: the unique constraints then refuse the COPY and sink.c stages
 * the batch again in a new transaction, where ON CONFLICT decides as
 * before.
 *
 * Memory: the large rows are made while they are sent (sink.c's chunks).
 * Each record is decoded once, by the check, which keeps its match keys
 * and a snapshot of its parsed form (fields and subfields as views into
 * the raw bytes the batch holds anyway, ~2-3 KB a record) in s->parsed
 * for the Instance and source-record COPYs, as long as they fit in
 * MP_SINK_PARSED_BYTES; the records after that (a batch larger than the
 * budget), or with bytes of their own (a record's arena), are decoded
 * again by each COPY. Only the narrow rows (keys, journal) and those
 * snapshots are held. Runs on the sink's thread. */
#include "copy.h"
#include "sink_impl.h"

#include "marcpipe/error.h"
#include "marcpipe/utf8.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per record of the batch. */
typedef struct {
  char iid[37];  /* the Instance it creates */
  char hash[33]; /* md5(raw), hex */
  bool claims;   /* profile has the 001 step: the Instance owns the key */
  bool err;      /* the mapping refused it: an ERROR, no rows but journal */
  size_t snap;   /* 1 + offset of its keys and snapshot in s->parsed; 0 none */
} frec_t;

typedef struct {
  const mp_sink_rec_t *recs;
  size_t n, base;
  frec_t *f;
  mp_buf_t keys, journal; /* COPY rows of instance_keys and journal */
  uint32_t created, errors;
} fast_t;

/* MD5 fetched once for the process: EVP_md5() makes each EVP_Digest look
 * the algorithm up again (a lock and a search in OpenSSL 3, a quarter of
 * the digest's time on ~1.5 KB records). A fetched method is immutable
 * and may be shared by threads. */
static EVP_MD *md5_md;
static pthread_once_t md5_once = PTHREAD_ONCE_INIT;
static void md5_fetch(void) { md5_md = EVP_MD_fetch(NULL, "MD5", NULL); }

static int md5_hex(const void *p, size_t n, char out[33]) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int dl = 0;
  pthread_once(&md5_once, md5_fetch);
  if (!EVP_Digest(p, n, d, &dl, md5_md ? md5_md : EVP_md5(), NULL) || dl != 16)
    return MP_ENOMEM;
  static const char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < 16; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[32] = '\0';
  return 0;
}

/* md5(text)::uuid as PostgreSQL prints it. */
static int md5_uuid(const char *text, char out[37]) {
  char h[33];
  int rc = md5_hex(text, strlen(text), h);
  if (!rc)
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
  return rc;
}

/* Call fn(kind, value) for each secondary key of k of the given kind
 * (NULL = every kind), in the order of the staged path's keys. */
typedef int (*key_fn)(void *ctx, const char *kind, const char *value);
static int each_key(const mp_match_keys_t *k, const char *only, key_fn fn, void *ctx) {
  int rc = 0;
  if (k->control[0] && (!only || !strcmp(only, "control")))
    rc = fn(ctx, "control", k->control);
  for (int i = 0; !rc && i < k->noclc && i < MP_MAX_KEYS; i++)
    if (!only || !strcmp(only, "oclc"))
      rc = fn(ctx, "oclc", k->oclc[i]);
  for (int i = 0; !rc && i < k->nisbn && i < MP_MAX_KEYS; i++)
    if (!only || !strcmp(only, "isbn"))
      rc = fn(ctx, "isbn", k->isbn[i]);
  for (int i = 0; !rc && i < k->nissn && i < MP_MAX_KEYS; i++)
    if (!only || !strcmp(only, "issn"))
      rc = fn(ctx, "issn", k->issn[i]);
  return rc;
}

/* ---- the decoded records, kept (see the note at the top) ---- */

/* Room for the match keys before a snapshot, keeping it 8-aligned. */
#define KEYS_BYTES ((sizeof(mp_match_keys_t) + 7) & ~(size_t)7)

/* Keep k and a snapshot of s->rec as record i's, when they fit. */
static void keep(mp_sink_t *s, frec_t *f, const mp_match_keys_t *k) {
  mp_buf_t *b = &s->parsed;
  size_t sz = mp_record_snapshot_size(&s->rec);
  if (!sz || b->len + KEYS_BYTES + sz + 1 > MP_SINK_PARSED_BYTES ||
      mp_buf_reserve(b, KEYS_BYTES + sz))
    return; /* decoded again when needed */
  memcpy(b->data + b->len, k, sizeof *k);
  mp_record_snapshot(&s->rec, b->data + b->len + KEYS_BYTES);
  f->snap = b->len + 1;
  b->len += KEYS_BYTES + sz;
  b->data[b->len] = '\0';
}

/* Record i's keys into k and its decoded form into *rec: a view of its
 * snapshot (in *view, valid until s->parsed changes: not during the
 * COPYs), or s->rec decoded again (the check decoded it without error:
 * another outcome is a bug). */
static int load(mp_sink_t *s, fast_t *x, size_t i, mp_match_keys_t *k,
                mp_record_t *view, const mp_record_t **rec) {
  const frec_t *f = &x->f[i];
  *rec = &s->rec;
  if (!f->snap) {
    char reason[600];
    return mp__sink_decode(s, &x->recs[i], k, reason, sizeof reason) ? MP_EPG : 0;
  }
  const char *p = s->parsed.data + f->snap - 1;
  memcpy(k, p, sizeof *k);
  mp_record_view(view, p + KEYS_BYTES);
  *rec = view;
  return 0;
}

/* ---- 1. the check ---- */

enum { NLIT = 6 };
typedef struct {
  mp_buf_t lit[NLIT]; /* text of the array literals: job, seq, kind, value
                       * (of the profiles' match steps), prim, and the
                       * index of the record of each key */
  size_t nkeys, nprim;
  size_t cur;      /* the record whose keys are being added */
  bool bad;        /* a key the staged path would store differently */
} check_t;

static int arr_add(mp_buf_t *b, size_t *n, const char *v) {
  int rc = mp_buf_puts(b, (*n)++ ? "," : "");
  return rc ? rc : mp__sink_array_text(b, v);
}

/* The staged path passes keys through jansson, which drops a value that
 * is not UTF-8: such a batch is staged. */
static int check_utf8(void *ctx, const char *kind, const char *value) {
  check_t *c = ctx;
  c->bad |= !mp_utf8_valid(value, strlen(value));
  return 0;
}

static int check_key(void *ctx, const char *kind, const char *value) {
  check_t *c = ctx;
  size_t nk = c->nkeys;
  int rc = arr_add(&c->lit[2], &nk, kind);
  rc = rc ? rc : c->nkeys ? mp_buf_putc(&c->lit[5], ',') : 0;
  rc = rc ? rc : mp__copy_int(&c->lit[5], (int64_t)c->cur);
  return rc ? rc : arr_add(&c->lit[3], &c->nkeys, value);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

static int cmp_rec(const void *a, const void *b) {
  const mp_sink_rec_t *x = *(const mp_sink_rec_t *const *)a;
  const mp_sink_rec_t *y = *(const mp_sink_rec_t *const *)b;
  if (x->job_id != y->job_id)
    return x->job_id < y->job_id ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* No two records of one (job, seq), no two creating one Instance. */
static int distinct(fast_t *x) {
  size_t n = x->n;
  char(*ids)[37] = malloc(n * sizeof *ids);
  const mp_sink_rec_t **rs = malloc(n * sizeof *rs);
  int rc = (!ids || !rs) ? MP_ENOMEM : 0;
  for (size_t i = 0; !rc && i < n; i++) {
    memcpy(ids[i], x->f[i].iid, 37);
    rs[i] = &x->recs[i];
  }
  if (!rc) {
    qsort(ids, n, sizeof *ids, cmp_str);
    qsort(rs, n, sizeof *rs, cmp_rec);
    for (size_t i = 1; !rc && i < n; i++)
      if (!strcmp(ids[i - 1], ids[i]) || !cmp_rec(&rs[i - 1], &rs[i]))
        rc = MP__SINK_STAGE;
  }
  free(ids);
  free(rs);
  return rc;
}

static const char check_sql[] =
    "SELECT EXISTS (SELECT 1 FROM unnest($1::bigint[], $2::bigint[]) AS u(job, seq)"
    "  JOIN journal j ON j.job_id = u.job AND j.seq = u.seq)"
    " OR EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) AS u(kind, value)"
    "  JOIN instance_keys k ON k.kind = u.kind AND k.value = u.value)"
    " OR EXISTS (SELECT 1 FROM instances i WHERE i.match_key = ANY ($5::text[]))"
    /* two records of the batch share a key: the later must match the
     * earlier's Instance, which only the staged path (sink.c) arranges */
    " OR EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[], $6::bigint[])"
    "  AS u(kind, value, rec) GROUP BY kind, value HAVING count(DISTINCT rec) > 1)";

/* Record i's part of the check: its profile, family, keys, Instance id. */
static int check_rec(mp_sink_t *s, fast_t *x, size_t i, check_t *c) {
  const mp_sink_rec_t *r = &x->recs[i];
  frec_t *f = &x->f[i];
  const mp__sink_prof_t *prof = mp__sink_profile(s, r->job_id);
  mp_match_keys_t k;
  char reason[600], tmp[64];
  if (prof->rc || prof->p.on_no_match != MP_ON_CREATE ||
      mp__sink_decode(s, r, &k, reason, sizeof reason) ||
      mp_mapping_family_of(s->rec.leader[6]) != MP_FAMILY_BIB ||
      !mp_utf8_valid(k.primary, strlen(k.primary)))
    return MP__SINK_STAGE;
  each_key(&k, NULL, check_utf8, c);
  c->cur = i;
  int rc = i ? mp_buf_putc(&c->lit[0], ',') : 0;
  rc = rc ? rc : mp__copy_int(&c->lit[0], r->job_id);
  rc = rc ? rc : i ? mp_buf_putc(&c->lit[1], ',') : 0;
  rc = rc ? rc : mp__copy_int(&c->lit[1], r->seq);
  for (int st = 0; !rc && st < prof->p.nsteps; st++) {
    f->claims |= prof->p.steps[st] == MP_MATCH_CONTROL;
    rc = each_key(&k, mp_profile_key_kind(prof->p.steps[st]), check_key, c);
  }
  if (!rc && f->claims) {
    rc = md5_uuid(k.primary, f->iid);
    rc = rc ? rc : arr_add(&c->lit[4], &c->nprim, k.primary);
  } else if (!rc) {
    snprintf(tmp, sizeof tmp, "new:%lld:%lld", (long long)r->job_id, (long long)r->seq);
    rc = md5_uuid(tmp, f->iid);
  }
  if (!rc && !c->bad)
    keep(s, f, &k);
  return rc ? rc : c->bad ? MP__SINK_STAGE : 0;
}

/* The staged path's claim (sink.c, apply step 0b) for the fast path's
 * records: the keys of their profiles' match steps but the 001, before
 * check_sql, whose snapshot then includes what a batch holding one of
 * them committed. */
static const char claim_sql[] =
    MP__SINK_CLAIM("FROM unnest($1::text[], $2::text[]) AS u(kind, value)"
                   " WHERE kind <> 'control'");

static int exec_params(mp_sink_t *s, const char *sql, int np, const char *const *p,
                       const char *what, char *errbuf, size_t errlen) {
  PGresult *r = PQexecParams(s->conn, sql, np, NULL, p, NULL, NULL, 0);
  int rc = PQresultStatus(r) == PGRES_COMMAND_OK
               ? 0 : mp_pg_fail(s->conn, r, what, errbuf, errlen);
  PQclear(r);
  return rc;
}

/* Decide whether the batch may take the fast path: 0 yes (x->f filled),
 * MP__SINK_STAGE no, else an error. */
static int check(mp_sink_t *s, fast_t *x, char *errbuf, size_t errlen) {
  check_t c;
  memset(&c, 0, sizeof c);
  int rc = 0;
  for (int i = 0; i < NLIT && !rc; i++) {
    mp_buf_init(&c.lit[i]);
    rc = mp_buf_putc(&c.lit[i], '{');
  }
  for (size_t i = 0; i < x->n && !rc; i++)
    rc = check_rec(s, x, i, &c);
  rc = rc ? rc : distinct(x);
  for (int i = 0; i < NLIT && !rc; i++)
    rc = mp_buf_putc(&c.lit[i], '}');
  const char *p[NLIT];
  for (int i = 0; i < NLIT; i++)
    p[i] = c.lit[i].data;
  if (!rc && c.nkeys)
    rc = exec_params(s, claim_sql, 2, p + 2, "claiming a batch's keys", errbuf, errlen);
  if (!rc) {
    PGresult *r = PQexecParams(s->conn, check_sql, 6, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
      rc = mp_pg_fail(s->conn, r, "matching a batch", errbuf, errlen);
    else if (strcmp(PQgetvalue(r, 0, 0), "f"))
      rc = MP__SINK_STAGE;
    PQclear(r);
  }
  for (int i = 0; i < NLIT; i++)
    mp_buf_release(&c.lit[i]);
  return rc;
}

/* ---- 2. the rows ---- */

/* Leading journal columns: job_id, seq, partition, kafka_offset, outcome. */
static int journal_head(mp_buf_t *b, const mp_sink_rec_t *r, const char *outcome) {
  const int64_t v[] = {r->job_id, r->seq, r->partition, r->offset};
  int rc = mp__copy_int(b, v[0]);
  for (size_t i = 1; i < 4 && !rc; i++)
    if (!(rc = mp__copy_sep(b)))
      rc = mp__copy_int(b, v[i]);
  rc = rc ? rc : mp__copy_sep(b);
  return rc ? rc : mp__copy_str(b, outcome);
}

/* The journal row of a record the mapping refused, as the staged path's
 * ERROR rows: the Kafka key as match key, the raw bytes kept. */
static int journal_error(fast_t *x, mp_sink_t *s, size_t i, const char *cls,
                         const char *reason) {
  const mp_sink_rec_t *r = &x->recs[i];
  mp_buf_t *b = &x->journal;
  int rc = journal_head(b, r, "ERROR");
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_null(b); /* instance_id */
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : (r->key ? mp__copy_text(b, r->key, r->key_len) : mp__copy_null(b));
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, cls);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, reason);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_bytea(b, r->value, r->value_len);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_null(b); /* family */
  rc = rc ? rc : mp__copy_end_row(b);
  rc = rc ? rc : mp__sink_add_error(s, x->base + i, cls, reason);
  x->errors++;
  return rc;
}

typedef struct {
  mp_buf_t *b;
  const char *iid;
  const char *seen[4 * MP_MAX_KEYS + 1][2];
  int nseen;
} keyrows_t;

/* One instance_keys row per distinct (kind, value). */
static int key_row(void *ctx, const char *kind, const char *value) {
  keyrows_t *k = ctx;
  for (int i = 0; i < k->nseen; i++)
    if (!strcmp(k->seen[i][0], kind) && !strcmp(k->seen[i][1], value))
      return 0;
  k->seen[k->nseen][0] = kind;
  k->seen[k->nseen++][1] = value;
  int rc = mp__copy_str(k->b, k->iid);
  rc = rc ? rc : mp__copy_sep(k->b);
  rc = rc ? rc : mp__copy_str(k->b, kind);
  rc = rc ? rc : mp__copy_sep(k->b);
  rc = rc ? rc : mp__copy_str(k->b, value);
  return rc ? rc : mp__copy_end_row(k->b);
}

/* Instance row of record i (mapped now), its keys and journal rows. */
static int instance_row(mp_sink_t *s, size_t i, void *ctx) {
  fast_t *x = ctx;
  const mp_sink_rec_t *r = &x->recs[i];
  frec_t *f = &x->f[i];
  char reason[600];
  mp_match_keys_t k;
  mp_record_t view;
  const mp_record_t *rec;
  int rc = load(s, x, i, &k, &view, &rec);
  if (rc)
    return rc;
  mp__sink_mapped_t m;
  int mrc = mp__sink_map(s, rec, r, f->iid, &m, reason, sizeof reason);
  if (mrc < 0 && m.cls && mrc != MP_ENOTBIB) {
    f->err = true;
    return journal_error(x, s, i, m.cls, reason);
  }
  if (mrc < 0)
    return mrc == MP_ENOTBIB ? MP_EPG : mrc;
  if ((rc = md5_hex(r->value, r->value_len, f->hash)))
    goto out;
  mp_buf_t *b = &s->copy; /* binary rows: m.inst is checked jsonb text */
  size_t at;
  rc = mp__copyb_row(b, 7);
  rc = rc ? rc : mp__copyb_uuid(b, f->iid);
  rc = rc ? rc : mp__copyb_str(b, m.hrid);
  rc = rc ? rc : mp__copyb_str(b, f->claims ? k.primary : NULL);
  rc = rc ? rc : mp__copyb_jsonb_open(b, &at);
  rc = rc ? rc : mp_buf_append(b, m.inst, strlen(m.inst));
  rc = rc ? rc : mp__copyb_close(b, at);
  rc = rc ? rc : mp__copyb_int8(b, r->job_id);
  rc = rc ? rc : mp__copyb_int8(b, r->seq);
  rc = rc ? rc : mp__copyb_bytes(b, f->hash, 32);
  keyrows_t kr = {.b = &x->keys, .iid = f->iid};
  rc = rc ? rc : each_key(&k, NULL, key_row, &kr);
  b = &x->journal;
  rc = rc ? rc : journal_head(b, r, "CREATED");
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, f->iid);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, k.primary);
  for (int c = 0; c < 3 && !rc; c++) /* error_class, reason, raw */
    if (!(rc = mp__copy_sep(b)))
      rc = mp__copy_null(b);
  rc = rc ? rc : mp__copy_sep(b);
  rc = rc ? rc : mp__copy_str(b, "bib");
  rc = rc ? rc : mp__copy_end_row(b);
  x->created++;
out:
  mp__sink_mapped_release(&m);
  return rc;
}

/* Source record of record i (its MARC-in-JSON from its kept form). */
static int source_row(mp_sink_t *s, size_t i, void *ctx) {
  fast_t *x = ctx;
  const mp_sink_rec_t *r = &x->recs[i];
  if (x->f[i].err)
    return 0;
  mp_match_keys_t k;
  mp_record_t view;
  const mp_record_t *rec;
  int rc = load(s, x, i, &k, &view, &rec);
  if (rc)
    return rc;
  mp_buf_t *b = &s->copy;
  rc = mp__copyb_row(b, 7);
  rc = rc ? rc : mp__copyb_int8(b, r->job_id);
  rc = rc ? rc : mp__copyb_int8(b, r->seq);
  rc = rc ? rc : mp__sink_source_cols_binary(rec, b, r, k.primary);
  return rc ? rc : mp__copyb_bytes(b, x->f[i].hash, 32);
}

static int buf_rows(mp_sink_t *s, size_t i, void *ctx) {
  const mp_buf_t *b = ctx;
  return mp_buf_append(&s->copy, b->data, b->len);
}

/* ---- 3. progress, holdings waiting for these Instances ---- */

typedef struct {
  int64_t job;
  int32_t part;
  uint32_t processed, created, errors;
} group_t;

static int cmp_group(const void *a, const void *b) {
  const group_t *x = a, *y = b;
  if (x->job != y->job)
    return x->job < y->job ? -1 : 1;
  return x->part < y->part ? -1 : x->part > y->part;
}

static const char progress_sql[] =
    "INSERT INTO job_progress AS p (job_id, partition, processed, created, errors)"
    " SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[],"
    "  $5::bigint[]) ORDER BY 1, 2"
    " ON CONFLICT (job_id, partition) DO UPDATE SET"
    " processed = p.processed + EXCLUDED.processed,"
    " created = p.created + EXCLUDED.created,"
    " errors = p.errors + EXCLUDED.errors, updated_at = now()";

/* The staged path's step 5c for the Instances created here. */
static const char link_sql[] =
    "UPDATE holdings h SET instance_id = i.id,"
    "  holdings = h.holdings || jsonb_build_object('instanceId', i.id),"
    "  updated_at = now()"
    " FROM instances i WHERE i.id = ANY ($1::uuid[])"
    "  AND h.instance_id IS NULL AND i.match_key IS NOT NULL"
    "  AND h.instance_key = regexp_replace(i.match_key, '^[^:]*:', '')";

static int finish(mp_sink_t *s, fast_t *x, int64_t **jobs, size_t *njobs,
                  char *errbuf, size_t errlen) {
  group_t *g = calloc(x->n, sizeof *g);
  *jobs = calloc(x->n, sizeof **jobs);
  if (!g || !*jobs) {
    free(g);
    return MP_ENOMEM;
  }
  size_t ng = 0;
  for (size_t i = 0; i < x->n; i++) {
    const mp_sink_rec_t *r = &x->recs[i];
    size_t k = 0;
    while (k < ng && (g[k].job != r->job_id || g[k].part != r->partition))
      k++;
    if (k == ng)
      g[ng++] = (group_t){.job = r->job_id, .part = r->partition};
    g[k].processed++;
    g[k].created += !x->f[i].err;
    g[k].errors += x->f[i].err;
  }
  qsort(g, ng, sizeof *g, cmp_group);
  mp_buf_t a[5], ids;
  for (int c = 0; c < 5; c++)
    mp_buf_init(&a[c]);
  mp_buf_init(&ids);
  int rc = 0;
  for (size_t k = 0; k < ng && !rc; k++) {
    const char *sep = k ? "," : "{";
    rc = mp_buf_printf(&a[0], "%s%lld", sep, (long long)g[k].job);
    rc = rc ? rc : mp_buf_printf(&a[1], "%s%d", sep, (int)g[k].part);
    rc = rc ? rc : mp_buf_printf(&a[2], "%s%u", sep, g[k].processed);
    rc = rc ? rc : mp_buf_printf(&a[3], "%s%u", sep, g[k].created);
    rc = rc ? rc : mp_buf_printf(&a[4], "%s%u", sep, g[k].errors);
    if (!*njobs || (*jobs)[*njobs - 1] != g[k].job)
      (*jobs)[(*njobs)++] = g[k].job;
  }
  for (int c = 0; c < 5 && !rc; c++)
    rc = mp_buf_putc(&a[c], '}');
  rc = rc ? rc : mp_buf_putc(&ids, '{');
  size_t nid = 0;
  for (size_t i = 0; i < x->n && !rc; i++)
    if (!x->f[i].err)
      rc = mp_buf_printf(&ids, "%s%s", nid++ ? "," : "", x->f[i].iid);
  rc = rc ? rc : mp_buf_putc(&ids, '}');
  const char *p[5] = {a[0].data, a[1].data, a[2].data, a[3].data, a[4].data};
  if (!rc)
    rc = exec_params(s, progress_sql, 5, p, "counting a batch", errbuf, errlen);
  const char *l[1] = {ids.data};
  if (!rc && nid)
    rc = exec_params(s, link_sql, 1, l, "linking waiting holdings", errbuf, errlen);
  for (int c = 0; c < 5; c++)
    mp_buf_release(&a[c]);
  mp_buf_release(&ids);
  free(g);
  return rc;
}

int mp__sink_fast(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n, size_t base,
                  uint32_t cnt[5], int64_t **jobs, size_t *njobs, char *errbuf,
                  size_t errlen) {
  fast_t x = {.recs = recs, .n = n, .base = base, .f = calloc(n, sizeof(frec_t))};
  mp_buf_init(&x.keys);
  mp_buf_init(&x.journal);
  mp_buf_clear(&s->parsed);
  int rc = x.f ? check(s, &x, errbuf, errlen) : MP_ENOMEM;
  if (!rc)
    rc = mp__sink_copy_binary(s, "COPY instances (id, hrid, match_key, instance,"
                                 " source_job, source_seq, content_hash)"
                                 " FROM STDIN WITH (FORMAT binary)",
                              n, instance_row, &x, "COPY into instances", errbuf, errlen);
  if (!rc && x.created)
    rc = mp__sink_copy_binary(s, "COPY source_records (job_id, seq, match_key,"
                                 " content_type, raw, parsed, content_hash)"
                                 " FROM STDIN WITH (FORMAT binary)",
                              n, source_row, &x, "COPY into source_records", errbuf,
                              errlen);
  if (!rc && x.keys.len)
    rc = mp__sink_copy(s, "COPY instance_keys (instance_id, kind, value) FROM STDIN", 1,
                       buf_rows, &x.keys, "COPY into instance_keys", errbuf, errlen);
  if (!rc)
    rc = mp__sink_copy(s, "COPY journal (job_id, seq, partition, kafka_offset, outcome,"
                          " instance_id, match_key, error_class, reason, raw, family)"
                          " FROM STDIN",
                       1, buf_rows, &x.journal, "COPY into journal", errbuf, errlen);
  if (!rc)
    rc = finish(s, &x, jobs, njobs, errbuf, errlen);
  if (!rc) {
    cnt[0] = x.created;
    cnt[4] = x.errors;
  }
  mp_buf_release(&x.keys);
  mp_buf_release(&x.journal);
  free(x.f);
  return rc;
}
