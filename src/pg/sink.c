/* sink.c: the PostgreSQL batch sink (contract in include/marcpipe/sink.h).
 *
 * One batch = ONE transaction: COPY into the per-connection temp table
 * mp_stage, each record decoded and mapped in C (sink_stage.c) just before
 * its row is sent, in chunks of COPY_FLUSH_BYTES (memory does not grow
 * with the batch); then a fixed list of set-based statements (no statement
 * per record), the stored Kafka offsets, the optional pg_sleep, the
 * completion check, COMMIT. Staging inside the transaction holds no lock
 * on a shared table: only the temp table is written until the apply.
 * The outcome of each new record goes to a second, narrow temp table
 * (mp_out); replays (journal row present, or the same (job, seq) twice in
 * the batch) get no outcome row, so they touch nothing; counters move by
 * the journal rows really inserted.
 * Records sharing a match key within a batch are applied in batch order
 * (offset order per partition): each is compared with its predecessor
 * (or the stored Instance for the first), and only the last version is
 * written, so no row is upserted twice in one statement. A new record
 * sharing another of its match keys (OCLC number, ISBN, ISSN) with an
 * earlier one of the batch is written in a later transaction, from it on
 * (split_sql), so it matches the earlier record's Instance as it would in
 * a later batch. Batches of two sinks that overlap in time take turns on
 * those keys: each claims the keys its records' profiles match on
 * (key_claims, 009) before its match query, so the later waits for the
 * earlier's COMMIT and then matches its Instances (keys no profile of
 * either batch matches on are not claimed: an ISSN shared by many
 * records of a serial would make the sinks take turns for nothing);
 * the 001+003 is a unique key of instances.
 * A data error from the server (it should not happen: every value is
 * validated in C) splits the batch in halves until the record causing it
 * is found and journaled as an ERROR. A connection error returns
 * MP_ETRANSIENT; the connection is dropped and the next call reconnects.
 * Fast path: a batch of new records only (nothing matches, no key twice,
 * nothing journaled) skips the staging table: sink_fast.c decides that
 * with one narrow query on the match keys and COPYs the rows straight
 * into their tables, each large value written once; the offsets, the
 * completion check and COMMIT are the same. If the server refuses those
 * rows (a concurrent writer took a key meanwhile), the batch is staged
 * in a new transaction. MP_SINK_FORCE_STAGED=1 in the environment when
 * the sink is opened stages every batch (tests compare both paths; a way
 * back should the fast path misbehave).
 * A frozen sink (its process stopped, say a VM paused) that stopped in the
 * middle of the fast path's COPY holds its rows' unique-index entries in
 * a session PostgreSQL shows as 'active' (waiting for the client's next
 * COPY data), which idle_in_transaction_session_timeout never ends, and
 * another sink writing the same records waits on them for good. So every
 * sink waits at most MP_SINK_LOCK_TIMEOUT_S for a lock (the batch then
 * fails as transient and the worker retries it), and after a failed batch
 * ends the sessions of other sinks (application_name marcpipe-sink, same
 * database) stuck in a COPY that waits for its client since more than
 * MP_SINK_STALLED_COPY_S: a live sink sends its rows without such pauses;
 * a killed session's sink reconnects and retries its batch like after any
 * connection loss.
 * Thread: one caller at a time (the worker's thread-pool job). */
#include "copy.h"
#include "sink_impl.h"

#include "marcpipe/error.h"
#include "job/complete.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char stage_ddl[] =
    /* a batch's staging rows (~8 KB each, 1,000 a batch) must fit in the
     * session's temp table buffers (default 8 MB), or every scan of the
     * apply reads evicted pages back; settable only before the session's
     * first temp table use, so first here */
    "SET temp_buffers = '32MB';"
    "CREATE TEMP TABLE IF NOT EXISTS mp_stage ("
    " ord int PRIMARY KEY, job_id bigint NOT NULL, seq bigint NOT NULL,"
    " partition int NOT NULL, kafka_offset bigint, outcome text, match_key text,"
    " content_type text, raw bytea NOT NULL, parsed jsonb, instance jsonb,"
    " keys jsonb, error_class text, reason text,"
    " mkinds text[], on_match text, on_no_match text,"
    " family text, lccn text, link_key text, link text[],"
    " content_hash text GENERATED ALWAYS AS (md5(raw)) STORED"
    /* rows up to a page stay inline and uncompressed: the stage is read
     * once, compressing it would be wasted work */
    ") WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS;"
    /* the Instances each new record matches at its first step with any */
    "CREATE TEMP TABLE IF NOT EXISTS mp_match ("
    " ord int PRIMARY KEY, kind text NOT NULL, ncand int NOT NULL,"
    " target uuid, cands text, mval text) ON COMMIT DELETE ROWS;"
    /* the outcome of each new record, kept apart from the wide stage rows
     * so deciding it rewrites nothing big. gk: group kind of the write,
     * 'i' update of an existing Instance, 'k' create claiming the primary
     * key, 'r' create claiming none; NULL = no Instance write */
    "CREATE TEMP TABLE IF NOT EXISTS mp_out ("
    " ord int PRIMARY KEY, outcome text NOT NULL, gk text, iid uuid,"
    " is_last bool NOT NULL, nchanges int NOT NULL, cls text, reason text)"
    " ON COMMIT DELETE ROWS";

/* Everything after the COPY that needs no parameter, in one round trip.
 * The last statement's result is the batch's outcome counts. */
static const char apply_sql[] =
    /* 0. statistics of the batch: temp tables are never analyzed by
     * autovacuum, and without statistics the planner joins the batch to
     * journal and instances by scanning them whole (hash joins), which
     * makes every batch slower as the tables grow */
    "ANALYZE mp_stage (ord, job_id, seq, outcome, match_key);"
    /* 0b. claim the keys the batch's profiles match on, but the 001
     * (009_key_claims.sql): another sink's batch with one of them waits
     * here until this transaction ends, and its match, a later
     * statement, sees what this one wrote */
    MP__SINK_CLAIM("FROM mp_stage s CROSS JOIN LATERAL"
                   " jsonb_array_elements(s.keys) AS e(j) CROSS JOIN LATERAL"
                   " (SELECT j->>0, j->>1) AS k(kind, value)"
                   " WHERE s.outcome IS NULL AND s.family = 'bib'"
                   " AND kind <> 'control' AND kind = ANY (s.mkinds)") ";"
    /* 1. match: per record and profile step (in order), the Instances
     * holding one of the record's keys of that kind; the 001 step also
     * finds the Instance claiming the record's primary key. The first
     * step with any candidate decides. */
    "INSERT INTO mp_match (ord, kind, ncand, target, cands, mval)"
    " WITH c AS ("
    "  SELECT s.ord, st.step, st.kind, ik.instance_id AS id, ik.value AS val"
    "  FROM mp_stage s"
    "  CROSS JOIN LATERAL unnest(s.mkinds) WITH ORDINALITY AS st(kind, step)"
    "  CROSS JOIN LATERAL jsonb_array_elements(s.keys) AS e"
    "  JOIN instance_keys ik ON ik.kind = st.kind AND ik.value = e->>1"
    "  WHERE s.outcome IS NULL AND s.family = 'bib' AND e->>0 = st.kind"
    "  UNION"
    "  SELECT s.ord, st.step, st.kind, i.id, s.match_key"
    "  FROM mp_stage s"
    "  CROSS JOIN LATERAL unnest(s.mkinds) WITH ORDINALITY AS st(kind, step)"
    "  JOIN instances i ON i.match_key = s.match_key"
    "  WHERE s.outcome IS NULL AND s.family = 'bib' AND st.kind = 'control'),"
    " f AS (SELECT ord, min(step) AS step FROM c GROUP BY ord)"
    " SELECT c.ord, min(c.kind), count(DISTINCT c.id), min(c.id::text)::uuid,"
    "  string_agg(DISTINCT c.id::text, ', '), min(c.val)"
    " FROM c JOIN f USING (ord, step) GROUP BY c.ord;"
    /* 2. outcomes of the new records (replays: already journaled, or the
     * same (job, seq) earlier in this batch, get no row). Records writing
     * the same Instance (same target, or creating the same primary key)
     * form a group applied in batch order: each is compared with its
     * predecessor (the first with the stored Instance) and only the last
     * is written, with the group's count of changes as version step. A
     * record whose predecessor is a record of its own job (two records of
     * one file with one key) says so in its journal reason. */
    "INSERT INTO mp_out (ord, outcome, gk, iid, is_last, nchanges, cls, reason)"
    " SELECT ord, outcome, gk, iid,"
    "  gk IS NOT NULL AND row_number() OVER (PARTITION BY grp ORDER BY ord DESC) = 1,"
    "  count(*) FILTER (WHERE outcome IN ('CREATED', 'UPDATED')) OVER (PARTITION BY grp),"
    "  cls, coalesce(reason, CASE WHEN outcome IN ('UPDATED', 'DUPLICATE')"
    "   AND coalesce(pjob, ijob) = job_id THEN format('matched record %s of the"
    " same job by match key %s', coalesce(pseq, iseq), match_key) END)"
    " FROM (SELECT y.*, lag(job_id) OVER w AS pjob, lag(seq) OVER w AS pseq,"
    "  CASE WHEN act IS NULL THEN preset"
    "   WHEN act = 'multi' THEN 'ERROR'"
    "   WHEN act = 'skip' THEN 'SKIPPED'"
    "   WHEN lag(hash) OVER w IS NULL THEN"
    "    CASE WHEN gk <> 'i' THEN 'CREATED'"
    "     WHEN ihash = hash THEN 'DUPLICATE' ELSE 'UPDATED' END"
    "   WHEN lag(hash) OVER w = hash THEN 'DUPLICATE' ELSE 'UPDATED' END AS outcome"
    "  FROM (SELECT x.*, i.content_hash AS ihash, i.source_job AS ijob,"
    "   i.source_seq AS iseq,"
    "   CASE WHEN act = 'update' THEN 'i'"
    "    WHEN act = 'create' AND NOT matched AND claims THEN 'k'"
    "    WHEN act = 'create' THEN 'r' END AS gk,"
    "   CASE WHEN act = 'update' THEN 'i:' || target"
    "    WHEN act = 'create' AND NOT matched AND claims THEN 'k:' || x.match_key"
    "    WHEN act = 'create' THEN 'r:' || ord END AS grp,"
    "   CASE WHEN act IN ('update', 'skip') THEN target"
    "    WHEN act = 'create' AND NOT matched AND claims THEN md5(x.match_key)::uuid"
    "    WHEN act = 'create' THEN md5('new:' || job_id || ':' || seq)::uuid END AS iid,"
    "   CASE WHEN act = 'multi' THEN 'multiple-match'"
    "    WHEN act = 'skip' AND matched THEN 'matched'"
    "    WHEN act = 'skip' THEN 'no-match' END AS cls,"
    "   CASE WHEN act = 'multi' THEN format('job %s record %s: %s Instances match"
    " on %s: %s', job_id, seq, ncand, mkind, cands)"
    "    WHEN act = 'skip' AND matched THEN format('Instance %s matches on %s',"
    " target, mkind)"
    "    WHEN act = 'skip' THEN 'no Instance matches' END AS reason"
    "   FROM (SELECT s.ord, s.job_id, s.seq, s.match_key, s.outcome AS preset,"
    "    s.content_hash AS hash, m.target, m.ncand, m.cands, m.kind AS mkind,"
    "    coalesce(m.ncand, 0) = 1 AS matched,"
    "    'control' = ANY (s.mkinds) AS claims,"
    "    CASE WHEN s.outcome IS NOT NULL THEN NULL"
    "     WHEN m.ncand > 1 THEN 'multi'"
    "     WHEN m.ncand = 1 THEN s.on_match ELSE s.on_no_match END AS act"
    "    FROM mp_stage s LEFT JOIN mp_match m USING (ord)"
    "    WHERE coalesce(s.family, 'bib') = 'bib'"
    "     AND NOT EXISTS (SELECT 1 FROM journal j"
    "      WHERE j.job_id = s.job_id AND j.seq = s.seq)"
    "     AND NOT EXISTS (SELECT 1 FROM mp_stage b WHERE b.job_id = s.job_id"
    "      AND b.seq = s.seq AND b.ord < s.ord)) x"
    "   LEFT JOIN instances i ON i.id = x.target AND x.act = 'update') y"
    "  WINDOW w AS (PARTITION BY grp ORDER BY ord)) z;"
    /* 2b. outcomes of holdings and authority records: the target is the
     * stored row with the record's primary key (authorities: else one
     * with its LCCN), else a new one; records of one target are compared
     * in batch order as Instances are. No profile applies to them. */
    "INSERT INTO mp_out (ord, outcome, gk, iid, is_last, nchanges, cls, reason)"
    " SELECT ord, outcome, gk, rid,"
    "  row_number() OVER (PARTITION BY rid ORDER BY ord DESC) = 1,"
    "  count(*) FILTER (WHERE outcome IN ('CREATED', 'UPDATED'))"
    "   OVER (PARTITION BY rid), NULL, NULL"
    " FROM (SELECT y.*, CASE WHEN lag(hash) OVER w IS NULL THEN"
    "    CASE WHEN thash IS NULL THEN 'CREATED' WHEN thash = hash"
    "     THEN 'DUPLICATE' ELSE 'UPDATED' END"
    "   WHEN lag(hash) OVER w = hash THEN 'DUPLICATE' ELSE 'UPDATED' END"
    "   AS outcome"
    "  FROM (SELECT s.ord, s.content_hash AS hash,"
    "    CASE s.family WHEN 'holdings' THEN 'h' ELSE 'a' END AS gk,"
    "    coalesce(h.id, a.id, md5(s.family || ':' || s.match_key)::uuid) AS rid,"
    "    coalesce(h.content_hash, a.content_hash) AS thash"
    "   FROM mp_stage s"
    "   LEFT JOIN holdings h ON s.family = 'holdings' AND h.match_key = s.match_key"
    "   LEFT JOIN LATERAL (SELECT id, content_hash FROM authorities a"
    "     WHERE s.family = 'authority' AND (a.match_key = s.match_key"
    "      OR a.lccn = s.lccn)"
    "     ORDER BY a.match_key = s.match_key DESC LIMIT 1) a ON true"
    "   WHERE s.outcome IS NULL AND s.family IN ('holdings', 'authority')"
    "    AND NOT EXISTS (SELECT 1 FROM journal j"
    "     WHERE j.job_id = s.job_id AND j.seq = s.seq)"
    "    AND NOT EXISTS (SELECT 1 FROM mp_stage b WHERE b.job_id = s.job_id"
    "     AND b.seq = s.seq AND b.ord < s.ord)) y"
    "  WINDOW w AS (PARTITION BY rid ORDER BY ord)) z;"
    "ANALYZE mp_out;" /* its joins with instances and instance_keys */
    /* 3. updates of matched Instances, rows locked in id order first (two
     * sinks never wait on each other in opposite orders); id and hrid
     * stay */
    "SELECT 1 FROM instances WHERE id IN (SELECT iid FROM mp_out"
    " WHERE gk = 'i' AND is_last AND nchanges > 0) ORDER BY id FOR UPDATE;"
    "UPDATE instances i SET instance = s.instance"
    "  || jsonb_strip_nulls(jsonb_build_object('id', i.id,"
    "   'hrid', coalesce(i.hrid, s.instance->>'hrid'))),"
    " hrid = coalesce(i.hrid, s.instance->>'hrid'),"
    " source_job = s.job_id, source_seq = s.seq,"
    " version = i.version + o.nchanges,"
    " content_hash = s.content_hash, updated_at = now()"
    " FROM mp_out o JOIN mp_stage s USING (ord)"
    " WHERE o.gk = 'i' AND o.is_last AND o.nchanges > 0 AND i.id = o.iid;"
    /* 4. creates; one claiming a primary key that another transaction
     * created meanwhile becomes an update of that Instance (ON CONFLICT),
     * and its first record's outcome is corrected from CREATED */
    "WITH up AS (INSERT INTO instances AS i (id, hrid, match_key, instance,"
    "  source_job, source_seq, version, content_hash)"
    " SELECT o.iid, s.instance->>'hrid',"
    "  CASE WHEN o.gk = 'k' THEN s.match_key END,"
    "  s.instance || jsonb_build_object('id', o.iid),"
    "  s.job_id, s.seq, o.nchanges, s.content_hash"
    " FROM mp_out o JOIN mp_stage s USING (ord)"
    " WHERE o.gk IN ('k', 'r') AND o.is_last AND o.nchanges > 0"
    " ORDER BY s.match_key"
    " ON CONFLICT (match_key) DO UPDATE SET instance = EXCLUDED.instance"
    "  || jsonb_strip_nulls(jsonb_build_object('hrid', i.hrid)),"
    "  hrid = coalesce(i.hrid, EXCLUDED.hrid),"
    "  source_job = EXCLUDED.source_job, source_seq = EXCLUDED.source_seq,"
    "  version = i.version + EXCLUDED.version,"
    "  content_hash = EXCLUDED.content_hash, updated_at = now()"
    "  WHERE i.content_hash IS DISTINCT FROM EXCLUDED.content_hash"
    " RETURNING i.match_key, (i.xmax = 0) AS inserted)"
    " UPDATE mp_out o SET outcome = CASE WHEN EXISTS (SELECT 1 FROM up"
    "   WHERE up.match_key = s.match_key) THEN 'UPDATED' ELSE 'DUPLICATE' END"
    " FROM mp_stage s WHERE s.ord = o.ord AND o.gk = 'k' AND o.outcome = 'CREATED'"
    "  AND NOT EXISTS (SELECT 1 FROM up WHERE up.match_key = s.match_key"
    "   AND up.inserted);"
    /* 5. keys of the written Instances = those of their new version */
    "DELETE FROM instance_keys k USING mp_out o"
    " WHERE o.gk IN ('i', 'k', 'r') AND o.is_last AND o.nchanges > 0"
    " AND k.instance_id = o.iid;"
    "INSERT INTO instance_keys (instance_id, kind, value)"
    " SELECT DISTINCT o.iid, e->>0, e->>1"
    " FROM mp_out o JOIN mp_stage s USING (ord),"
    "  jsonb_array_elements(s.keys) e"
    " WHERE o.gk IN ('i', 'k', 'r') AND o.is_last AND o.nchanges > 0"
    " ON CONFLICT DO NOTHING;"
    /* 5b. holdings: linked to the Instance whose control number is their
     * 004 (after their 003, or alone) when it exists, this batch's
     * Instances included; else stored waiting (instance_id NULL) */
    "WITH w AS (SELECT o.iid, o.nchanges, s.*, (SELECT ik.instance_id FROM instance_keys ik"
    "   WHERE ik.kind = 'control' AND ik.value = ANY (s.link)"
    "   ORDER BY array_position(s.link, ik.value) LIMIT 1) AS inst"
    "  FROM mp_out o JOIN mp_stage s USING (ord)"
    "  WHERE o.gk = 'h' AND o.is_last AND o.nchanges > 0)"
    " INSERT INTO holdings AS h (id, hrid, match_key, instance_key, instance_id,"
    "  holdings, source_job, source_seq, version, content_hash)"
    " SELECT iid, instance->>'hrid', match_key, link_key, inst,"
    "  instance || jsonb_strip_nulls(jsonb_build_object('id', iid,"
    "   'instanceId', inst)),"
    "  job_id, seq, nchanges, content_hash"
    " FROM w ORDER BY iid"
    " ON CONFLICT (id) DO UPDATE SET hrid = EXCLUDED.hrid,"
    "  instance_key = EXCLUDED.instance_key, instance_id = EXCLUDED.instance_id,"
    "  holdings = EXCLUDED.holdings, source_job = EXCLUDED.source_job,"
    "  source_seq = EXCLUDED.source_seq, version = h.version + EXCLUDED.version,"
    "  content_hash = EXCLUDED.content_hash, updated_at = now();"
    /* 5c. holdings stored earlier that waited for an Instance written now */
    "UPDATE holdings h SET instance_id = i.id,"
    "  holdings = h.holdings || jsonb_build_object('instanceId', i.id),"
    "  updated_at = now()"
    " FROM mp_out o JOIN instances i ON i.id = o.iid"
    " WHERE o.gk IN ('i', 'k', 'r') AND o.is_last AND o.nchanges > 0"
    "  AND h.instance_id IS NULL AND i.match_key IS NOT NULL"
    "  AND h.instance_key = regexp_replace(i.match_key, '^[^:]*:', '');"
    "UPDATE mp_out o SET cls = 'waiting-for-instance', reason = format("
    "  'no Instance with 001 %s yet: the holdings are stored and linked when it"
    " arrives', coalesce(h.instance_key, '(no 004)'))"
    " FROM holdings h WHERE o.gk = 'h' AND o.is_last AND o.nchanges > 0"
    "  AND h.id = o.iid AND h.instance_id IS NULL;"
    /* 5d. authorities */
    "INSERT INTO authorities AS a (id, match_key, lccn, authority, source_job,"
    "  source_seq, version, content_hash)"
    " SELECT o.iid, s.match_key, s.lccn,"
    "  s.instance || jsonb_build_object('id', o.iid), s.job_id, s.seq,"
    "  o.nchanges, s.content_hash"
    " FROM mp_out o JOIN mp_stage s USING (ord)"
    " WHERE o.gk = 'a' AND o.is_last AND o.nchanges > 0 ORDER BY o.iid"
    " ON CONFLICT (id) DO UPDATE SET lccn = EXCLUDED.lccn,"
    "  authority = EXCLUDED.authority || jsonb_build_object('id', a.id),"
    "  source_job = EXCLUDED.source_job, source_seq = EXCLUDED.source_seq,"
    "  version = a.version + EXCLUDED.version,"
    "  content_hash = EXCLUDED.content_hash, updated_at = now();"
    /* 6. source records of everything but errors and profile skips */
    "INSERT INTO source_records (job_id, seq, match_key, content_type, raw,"
    " parsed, content_hash)"
    " SELECT s.job_id, s.seq, s.match_key, s.content_type, s.raw, s.parsed,"
    "  s.content_hash"
    " FROM mp_out o JOIN mp_stage s USING (ord)"
    " WHERE o.outcome <> 'ERROR' AND o.cls IS DISTINCT FROM 'matched'"
    "  AND o.cls IS DISTINCT FROM 'no-match'"
    " ORDER BY ord ON CONFLICT (job_id, seq) DO NOTHING;"
    /* 7. journal, progress, counts */
    "WITH j AS (INSERT INTO journal (job_id, seq, partition, kafka_offset,"
    "  outcome, instance_id, match_key, error_class, reason, raw,"
    "  match_kind, match_value, family, record_id)"
    " SELECT s.job_id, s.seq, s.partition, s.kafka_offset, o.outcome,"
    "  CASE WHEN o.gk IN ('h', 'a') THEN NULL"
    "   WHEN o.outcome IN ('CREATED', 'UPDATED', 'DUPLICATE')"
    "   OR o.cls = 'matched' THEN o.iid END,"
    "  s.match_key, coalesce(o.cls, s.error_class), coalesce(o.reason, s.reason),"
    "  CASE WHEN o.outcome = 'ERROR' THEN s.raw END, m.kind, m.mval, s.family,"
    "  CASE WHEN o.gk IN ('h', 'a') THEN o.iid END"
    " FROM mp_out o JOIN mp_stage s USING (ord)"
    " LEFT JOIN mp_match m USING (ord) ORDER BY ord"
    " ON CONFLICT (job_id, seq) DO NOTHING"
    " RETURNING job_id, partition, outcome, error_class, family),"
    " agg AS (SELECT job_id, partition, count(*) AS processed,"
    "  count(*) FILTER (WHERE outcome = 'CREATED') AS created,"
    "  count(*) FILTER (WHERE outcome = 'UPDATED') AS updated,"
    "  count(*) FILTER (WHERE outcome = 'DUPLICATE') AS duplicates,"
    "  count(*) FILTER (WHERE outcome = 'SKIPPED') AS skipped,"
    "  count(*) FILTER (WHERE outcome = 'ERROR') AS errors,"
    "  count(*) FILTER (WHERE outcome = 'SKIPPED' AND error_class = 'matched')"
    "   AS skipped_matched,"
    "  count(*) FILTER (WHERE outcome = 'SKIPPED' AND error_class = 'no-match')"
    "   AS skipped_no_match,"
    "  count(*) FILTER (WHERE family = 'holdings') AS holdings,"
    "  count(*) FILTER (WHERE family = 'authority') AS authorities,"
    "  count(*) FILTER (WHERE error_class = 'waiting-for-instance')"
    "   AS holdings_waiting"
    "  FROM j GROUP BY job_id, partition),"
    " prog AS (INSERT INTO job_progress AS p (job_id, partition, processed,"
    "  created, updated, duplicates, skipped, errors, skipped_matched,"
    "  skipped_no_match, holdings, authorities, holdings_waiting)"
    "  SELECT * FROM agg ORDER BY job_id, partition"
    "  ON CONFLICT (job_id, partition) DO UPDATE SET"
    "  processed = p.processed + EXCLUDED.processed,"
    "  created = p.created + EXCLUDED.created,"
    "  updated = p.updated + EXCLUDED.updated,"
    "  duplicates = p.duplicates + EXCLUDED.duplicates,"
    "  skipped = p.skipped + EXCLUDED.skipped,"
    "  errors = p.errors + EXCLUDED.errors,"
    "  skipped_matched = p.skipped_matched + EXCLUDED.skipped_matched,"
    "  skipped_no_match = p.skipped_no_match + EXCLUDED.skipped_no_match,"
    "  holdings = p.holdings + EXCLUDED.holdings,"
    "  authorities = p.authorities + EXCLUDED.authorities,"
    "  holdings_waiting = p.holdings_waiting + EXCLUDED.holdings_waiting,"
    "  updated_at = now())"
    "SELECT coalesce(sum(created), 0), coalesce(sum(updated), 0),"
    " coalesce(sum(duplicates), 0), coalesce(sum(skipped), 0),"
    " coalesce(sum(errors), 0),"
    " coalesce(string_agg(DISTINCT job_id::text, ','), '') FROM agg";

/* The last record per (topic, partition) gives the next offset and the
 * identity stored with it (003_offset_identity.sql); an older batch (of a
 * lost assignment) never moves a stored offset back. */
static const char offsets_sql[] =
    "INSERT INTO kafka_offsets AS k (group_id, topic, partition, next_offset,"
    " cluster_id, last_job, last_seq)"
    " SELECT DISTINCT ON (t, p) $1, t, p, o + 1, nullif($5, ''), j, s"
    "  FROM unnest($2::text[], $3::int[], $4::bigint[], $6::bigint[],"
    "   $7::bigint[]) AS u(t, p, o, j, s)"
    "  ORDER BY t, p, o DESC"
    " ON CONFLICT (group_id, topic, partition) DO UPDATE SET"
    " next_offset = EXCLUDED.next_offset, cluster_id = EXCLUDED.cluster_id,"
    " last_job = EXCLUDED.last_job, last_seq = EXCLUDED.last_seq,"
    " updated_at = now()"
    " WHERE k.next_offset <= EXCLUDED.next_offset";

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static void drop_conn(mp_sink_t *s) {
  PQfinish(s->conn);
  s->conn = NULL;
}

static int connect_sink(mp_sink_t *s, char *errbuf, size_t errlen) {
  int rc = mp_pg_connect(s->conninfo, s->tenant, &s->conn, errbuf, errlen);
  if (rc)
    return rc;
  /* lz4 compresses large values several times faster than the default
   * pglz; a server built without it keeps pglz (the error is ignored) */
  PGresult *r = PQexec(s->conn, "SET default_toast_compression = lz4");
  PQclear(r);
  char set[128];
  snprintf(set, sizeof set,
           "SET application_name = 'marcpipe-sink'; SET lock_timeout = '%ds'",
           MP_SINK_LOCK_TIMEOUT_S);
  if ((rc = mp_pg_exec(s->conn, set, errbuf, errlen)) ||
      (rc = mp_pg_exec(s->conn, stage_ddl, errbuf, errlen)))
    drop_conn(s);
  return rc;
}

int mp_sink_open(const mp_sink_config_t *cfg, mp_sink_t **out, char *errbuf,
                 size_t errlen) {
  *out = NULL;
  mp_sink_t *s = calloc(1, sizeof *s);
  if (!s)
    return MP_ENOMEM;
  s->conninfo = dup_or_empty(cfg->conninfo);
  s->tenant = dup_or_empty(cfg->tenant);
  s->group = dup_or_empty(cfg->group);
  s->mapping = cfg->mapping;
  s->sink_latency_ms = cfg->sink_latency_ms;
  const char *fs = getenv("MP_SINK_FORCE_STAGED");
  s->force_staged = fs && *fs && strcmp(fs, "0");
  mp_buf_init(&s->copy);
  mp_record_init(&s->rec);
  mp_buf_init(&s->parsed);
  int rc = (!s->conninfo || !s->tenant || !s->group) ? MP_ENOMEM : 0;
  if (!rc && !s->mapping) {
    snprintf(errbuf, errlen, "sink needs a mapping");
    rc = MP_ECONFIG;
  }
  if (!rc)
    rc = connect_sink(s, errbuf, errlen);
  if (rc) {
    mp_sink_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void mp_sink_close(mp_sink_t *s) {
  if (!s)
    return;
  drop_conn(s);
  mp_buf_release(&s->copy);
  mp_record_release(&s->rec);
  mp_buf_release(&s->parsed);
  free(s->errs);
  free(s->conninfo);
  free(s->tenant);
  free(s->group);
  free(s);
}

int mp__sink_array_text(mp_buf_t *b, const char *v) {
  int rc = mp_buf_putc(b, '"');
  for (const char *p = v; *p && !rc; p++)
    rc = (*p == '"' || *p == '\\') ? mp_buf_printf(b, "\\%c", *p) : mp_buf_putc(b, *p);
  return rc ? rc : mp_buf_putc(b, '"');
}

/* Store max(offset)+1 per (topic, partition) of the batch (replays
 * included: they are consumed too) with the job/seq of that record and the
 * cluster read from; the grouping happens in SQL. */
static int store_offsets(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                         char *errbuf, size_t errlen) {
  mp_buf_t t, p, o, j, q;
  mp_buf_init(&t);
  mp_buf_init(&p);
  mp_buf_init(&o);
  mp_buf_init(&j);
  mp_buf_init(&q);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    const char *sep = i ? "," : "{";
    rc = mp_buf_puts(&t, sep);
    rc = rc ? rc : mp__sink_array_text(&t, recs[i].topic ? recs[i].topic : "");
    /* digits without printf: four numbers a record */
    mp_buf_t *col[4] = {&p, &o, &j, &q};
    const int64_t v[4] = {recs[i].partition, recs[i].offset, recs[i].job_id,
                          recs[i].seq};
    for (int c = 0; c < 4 && !rc; c++)
      if (!(rc = mp_buf_puts(col[c], sep)))
        rc = mp__copy_int(col[c], v[c]);
  }
  if (!rc && n) {
    rc = mp_buf_putc(&t, '}');
    rc = rc ? rc : mp_buf_putc(&p, '}');
    rc = rc ? rc : mp_buf_putc(&o, '}');
    rc = rc ? rc : mp_buf_putc(&j, '}');
    rc = rc ? rc : mp_buf_putc(&q, '}');
  }
  if (!rc && n) {
    const char *cl = recs[n - 1].cluster_id ? recs[n - 1].cluster_id : "";
    const char *prm[7] = {s->group, t.data, p.data, o.data, cl, j.data, q.data};
    PGresult *r = PQexecParams(s->conn, offsets_sql, 7, NULL, prm, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      rc = mp_pg_fail(s->conn, r, "storing offsets", errbuf, errlen);
    PQclear(r);
  }
  mp_buf_release(&t);
  mp_buf_release(&p);
  mp_buf_release(&o);
  mp_buf_release(&j);
  mp_buf_release(&q);
  return rc;
}

/* Rows are sent whenever this much is staged, so the sink's memory does not
 * grow with the batch: a batch of 1,000 records is ~8 MB of COPY text, and a
 * buffer holding all of it made the worker's peak RSS follow the batch size
 * (and the power-of-two growth of the buffer) rather than the configuration. */
#define COPY_FLUSH_BYTES (256u << 10)

static int copy_flush(mp_sink_t *s, char *errbuf, size_t errlen) {
  int rc = 0;
  if (s->copy.len && PQputCopyData(s->conn, s->copy.data, (int)s->copy.len) != 1)
    rc = mp_pg_fail(s->conn, NULL, "sending COPY data", errbuf, errlen);
  mp_buf_clear(&s->copy);
  return rc;
}

static int copy_rows(mp_sink_t *s, const char *sql, size_t n, mp__sink_row_fn row,
                     void *ctx, bool binary, const char *what, char *errbuf,
                     size_t errlen) {
  PGresult *r = PQexec(s->conn, sql);
  int rc = 0;
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    rc = mp_pg_fail(s->conn, r, "starting COPY", errbuf, errlen);
    PQclear(r);
    return rc;
  }
  PQclear(r);
  mp_buf_clear(&s->copy);
  if (binary && (rc = mp__copyb_header(&s->copy)))
    snprintf(errbuf, errlen, "preparing a batch: %s", mp_strerror(rc));
  for (size_t i = 0; i < n && !rc; i++) {
    if ((rc = row(s, i, ctx)))
      snprintf(errbuf, errlen, "preparing a batch: %s", mp_strerror(rc));
    else if (s->copy.len >= COPY_FLUSH_BYTES)
      rc = copy_flush(s, errbuf, errlen);
  }
  if (!rc && binary && (rc = mp__copyb_trailer(&s->copy)))
    snprintf(errbuf, errlen, "preparing a batch: %s", mp_strerror(rc));
  if (!rc)
    rc = copy_flush(s, errbuf, errlen); /* the last, partial chunk */
  mp_buf_clear(&s->copy);
  if (PQputCopyEnd(s->conn, rc ? "aborted" : NULL) != 1 && !rc)
    rc = mp_pg_fail(s->conn, NULL, "ending COPY", errbuf, errlen);
  while ((r = PQgetResult(s->conn))) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc)
      rc = mp_pg_fail(s->conn, r, what, errbuf, errlen);
    PQclear(r);
  }
  return rc;
}

int mp__sink_copy(mp_sink_t *s, const char *sql, size_t n, mp__sink_row_fn row,
                  void *ctx, const char *what, char *errbuf, size_t errlen) {
  return copy_rows(s, sql, n, row, ctx, false, what, errbuf, errlen);
}

int mp__sink_copy_binary(mp_sink_t *s, const char *sql, size_t n,
                         mp__sink_row_fn row, void *ctx, const char *what,
                         char *errbuf, size_t errlen) {
  return copy_rows(s, sql, n, row, ctx, true, what, errbuf, errlen);
}

typedef struct {
  const mp_sink_rec_t *recs;
  const char *forced;
} stage_ctx_t;

static int stage_row(mp_sink_t *s, size_t i, void *ctx) {
  const stage_ctx_t *c = ctx;
  return mp__sink_stage(s, i, &c->recs[i], c->forced);
}

/* COPY recs[0..n) into mp_stage, staging (decode, map, encode) each record
 * just before it is sent: the server parses one chunk while the next is
 * mapped. A staging failure (out of memory) aborts the COPY. */
static int copy_stage(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                      const char *forced, char *errbuf, size_t errlen) {
  stage_ctx_t c = {recs, forced};
  return mp__sink_copy(s, "COPY mp_stage (" MP_STAGE_COLUMNS ") FROM STDIN", n,
                       stage_row, &c, "COPY into the staging table", errbuf, errlen);
}

/* The staged records sharing a key other than the 001 with an earlier new
 * bibliographic record of the batch, the key being one their profile
 * matches on, each with the last such earlier record (prev). The apply
 * matches against stored Instances only, so such a record must be
 * written in a later transaction than the earlier one: it then matches
 * its Instance. */
static const char split_sql[] =
    "SELECT ord, max(prev) FILTER (WHERE used) FROM (SELECT s.ord,"
    "  e->>0 = ANY (s.mkinds) AS used,"
    "  lag(s.ord) OVER (PARTITION BY e->>0, e->>1 ORDER BY s.ord) AS prev"
    "  FROM mp_stage s CROSS JOIN LATERAL jsonb_array_elements(s.keys) AS e"
    "  WHERE s.outcome IS NULL AND s.family = 'bib' AND e->>0 <> 'control') x"
    " GROUP BY ord HAVING max(prev) FILTER (WHERE used) IS NOT NULL ORDER BY ord";

/* Where the staged batch must be split: *at (malloc'ed, *nat of them,
 * ascending; none: *nat = 0) starts each transaction after the first.
 * Greedy, in batch order: a record starts a new transaction when the
 * record it shares a key with is in the current one. All are found from
 * this one staging, so a batch with many such records is staged twice
 * in all rather than once per split (each part is staged again alone). */
static int split_points(mp_sink_t *s, size_t **at, size_t *nat, char *errbuf,
                        size_t errlen) {
  PGresult *r = PQexec(s->conn, split_sql);
  *at = NULL;
  *nat = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    int rc = mp_pg_fail(s->conn, r, "checking the batch's shared keys", errbuf, errlen);
    PQclear(r);
    return rc;
  }
  int rows = PQntuples(r);
  if (rows && !(*at = malloc((size_t)rows * sizeof **at))) {
    PQclear(r);
    snprintf(errbuf, errlen, "checking the batch's shared keys: out of memory");
    return MP_ENOMEM;
  }
  size_t from = 0; /* the current transaction's first record */
  for (int i = 0; i < rows; i++) {
    size_t ord = strtoull(PQgetvalue(r, i, 0), NULL, 10);
    size_t prev = strtoull(PQgetvalue(r, i, 1), NULL, 10);
    if (prev >= from)
      (*at)[(*nat)++] = from = ord;
  }
  PQclear(r);
  return 0;
}

/* Parse "1,5,7" into a malloc'ed array (NULL when empty or ENOMEM). */
static int64_t *parse_ids(const char *s, size_t *n) {
  size_t cap = *s ? 1 : 0;
  for (const char *p = s; *p; p++)
    cap += *p == ',';
  *n = 0;
  int64_t *ids = cap ? malloc(cap * sizeof *ids) : NULL;
  while (ids && *s && *n < cap) {
    char *end;
    ids[(*n)++] = strtoll(s, &end, 10);
    s = *end == ',' ? end + 1 : end;
  }
  return ids;
}

int mp__sink_add_error(mp_sink_t *s, size_t index, const char *cls,
                       const char *reason) {
  if (s->nerrs == s->errcap) {
    size_t cap = s->errcap * 2 + 16;
    mp_sink_error_t *e = realloc(s->errs, cap * sizeof *e);
    if (!e)
      return MP_ENOMEM;
    s->errs = e;
    s->errcap = cap;
  }
  mp_sink_error_t *e = &s->errs[s->nerrs++];
  e->index = index;
  snprintf(e->error_class, sizeof e->error_class, "%s", cls);
  snprintf(e->reason, sizeof e->reason, "%s", reason);
  return 0;
}

/* The ERROR outcomes of the transaction in progress (new journal rows),
 * appended to s->errs with index = base + ord. */
static int collect_errors(mp_sink_t *s, size_t base, char *errbuf,
                          size_t errlen) {
  PGresult *r = PQexec(s->conn,
                       "SELECT o.ord, s.error_class, s.reason FROM mp_out o"
                       " JOIN mp_stage s USING (ord) WHERE o.outcome = 'ERROR'"
                       " ORDER BY o.ord");
  int rc = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = mp_pg_fail(s->conn, r, "reading the batch's errors", errbuf, errlen);
    PQclear(r);
    return rc;
  }
  for (int i = 0; i < PQntuples(r) && !rc; i++)
    rc = mp__sink_add_error(s, base + strtoull(PQgetvalue(r, i, 0), NULL, 10),
                            PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
  if (rc)
    snprintf(errbuf, errlen, "reading the batch's errors: out of memory");
  PQclear(r);
  return rc;
}

/* One transaction over recs[0..n); forced = reason to journal every record
 * as an ERROR (used when isolating a record the server refused). A batch
 * of new records only takes the fast path (sink_fast.c) unless staged is
 * set; when the server refuses the fast path's rows (another transaction
 * wrote one of the batch's keys meanwhile), the batch is staged again.
 * MP__SINK_SPLIT: nothing written, the batch is to be written in parts
 * starting at split[0..nsplit) (split_points; malloc'ed, the caller's;
 * split may be NULL when forced, which never splits). */
static int write_once(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                      size_t base, const char *forced, bool staged,
                      mp_sink_result_t *res, size_t **split, size_t *nsplit) {
  char *errbuf = res->errmsg;
  size_t errlen = sizeof res->errmsg;
  size_t nerrs = s->nerrs; /* dropped again unless this COMMIT succeeds */
  int rc = 0;
  if ((rc = mp__sink_load_profiles(s, recs, n, errbuf, errlen)))
    return rc;
  PGresult *r = NULL;
  int64_t *jobs = NULL;
  bool fast = !forced && !staged && !s->force_staged;
  if ((rc = mp_pg_exec(s->conn, "BEGIN", errbuf, errlen)))
    goto out;
  uint32_t cnt[5] = {0};
  size_t njobs = 0;
  if (fast && (rc = mp__sink_fast(s, recs, n, base, cnt, &jobs, &njobs, errbuf,
                                  errlen)) == MP__SINK_STAGE)
    fast = false, rc = 0;
  if (rc)
    goto out;
  if (!fast) {
    if ((rc = copy_stage(s, recs, n, forced, errbuf, errlen)))
      goto out;
    if (!forced && (rc = split_points(s, split, nsplit, errbuf, errlen)) == 0 &&
        *nsplit)
      rc = MP__SINK_SPLIT;
    if (rc)
      goto out;
    r = PQexec(s->conn, apply_sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      rc = mp_pg_fail(s->conn, r, "applying a batch", errbuf, errlen);
      goto out;
    }
    for (int i = 0; i < 5; i++)
      cnt[i] = (uint32_t)strtoul(PQgetvalue(r, 0, i), NULL, 10);
    jobs = parse_ids(PQgetvalue(r, 0, 5), &njobs);
    PQclear(r);
    r = NULL;
    if (cnt[4] && (rc = collect_errors(s, base, errbuf, errlen)))
      goto out;
  }
  if ((rc = store_offsets(s, recs, n, errbuf, errlen)))
    goto out;
  if (s->sink_latency_ms > 0) {
    char secs[32];
    snprintf(secs, sizeof secs, "%.3f", s->sink_latency_ms / 1000.0);
    const char *p[1] = {secs};
    r = PQexecParams(s->conn, "SELECT pg_sleep($1::float8)", 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      rc = mp_pg_fail(s->conn, r, "sink latency", errbuf, errlen);
      goto out;
    }
    PQclear(r);
    r = NULL;
  }
  int64_t flipped[MP_SINK_MAX_COMPLETED];
  int nflipped = 0;
  if ((rc = mp__job_complete_locked(s->conn, jobs, njobs, flipped,
                                    MP_SINK_MAX_COMPLETED, &nflipped,
                                    errbuf, errlen)))
    goto out;
  if ((rc = mp_pg_exec(s->conn, "COMMIT", errbuf, errlen)))
    goto out;
  uint32_t total = cnt[0] + cnt[1] + cnt[2] + cnt[3] + cnt[4];
  res->created += cnt[0];
  res->updated += cnt[1];
  res->duplicates += cnt[2];
  res->skipped += cnt[3];
  res->errors += cnt[4];
  res->replayed += (uint32_t)n - total;
  if (fast)
    res->direct += (uint32_t)n;
  for (int i = 0; i < nflipped && i < MP_SINK_MAX_COMPLETED; i++)
    if (res->ncompleted < MP_SINK_MAX_COMPLETED)
      res->completed_jobs[res->ncompleted++] = flipped[i];
out:
  PQclear(r);
  free(jobs);
  if (rc)
    s->nerrs = nerrs;
  if (rc && s->conn && PQstatus(s->conn) == CONNECTION_OK &&
      PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
    PGresult *rb = PQexec(s->conn, "ROLLBACK");
    PQclear(rb);
  }
  if (rc == MP_EPG && fast && s->conn && PQstatus(s->conn) == CONNECTION_OK)
    return write_once(s, recs, n, base, forced, true, res, split, nsplit);
  return rc;
}

/* Write; where records share a key, in parts (split_points), each in its
 * own transaction; on a data error (MP_EPG) split to isolate the refused
 * record. */
static int write_split(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                       size_t base, mp_sink_result_t *res) {
  size_t *at = NULL, nat = 0;
  int rc = write_once(s, recs, n, base, NULL, false, res, &at, &nat);
  if (rc == MP__SINK_SPLIT) { /* no part has two records sharing a key */
    rc = 0;
    for (size_t k = 0, from = 0; k <= nat && !rc; k++) {
      size_t to = k < nat ? at[k] : n;
      rc = write_split(s, recs + from, to - from, base + from, res);
      from = to;
    }
  }
  free(at);
  if (nat || rc != MP_EPG) /* a part's MP_EPG: even its ERROR row was refused */
    return rc;
  if (n == 1) {
    char reason[600];
    snprintf(reason, sizeof reason, "job %lld record %lld (partition %d offset %lld): "
             "refused by the database: %s",
             (long long)recs[0].job_id, (long long)recs[0].seq, (int)recs[0].partition,
             (long long)recs[0].offset, res->errmsg);
    return write_once(s, recs, 1, base, reason, true, res, NULL, NULL);
  }
  size_t half = n / 2;
  rc = write_split(s, recs, half, base, res);
  return rc ? rc : write_split(s, recs + half, n - half, base + half, res);
}

/* After a failed batch: end the sessions of frozen sinks (see the note at
 * the top). Appends what it did to msg; errors are ignored (a role that
 * may not signal the other session's leaves it to the timeouts). */
static void end_stalled_copies(mp_sink_t *s, char *msg, size_t n) {
  if (!s->conn || PQstatus(s->conn) != CONNECTION_OK)
    return;
  if (PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
    PGresult *rb = PQexec(s->conn, "ROLLBACK");
    PQclear(rb);
  }
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
           " FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
           " AND datname = current_database()"
           " AND application_name = 'marcpipe-sink' AND state = 'active'"
           " AND wait_event = 'ClientRead' AND query LIKE 'COPY %%'"
           " AND query_start < now() - interval '%d seconds'",
           MP_SINK_STALLED_COPY_S);
  PGresult *r = PQexec(s->conn, sql);
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
    long ended = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    size_t len = strlen(msg);
    if (ended > 0 && len < n)
      snprintf(msg + len, n - len,
               "; ended %ld session(s) of a sink stalled in a COPY for over "
               "%d s",
               ended, MP_SINK_STALLED_COPY_S);
  }
  PQclear(r);
}

int mp_sink_write_batch(mp_sink_t *s, const mp_sink_rec_t *recs, size_t n,
                        mp_sink_result_t *res) {
  memset(res, 0, sizeof *res);
  s->nerrs = 0;
  if (!s->conn) {
    int rc = connect_sink(s, res->errmsg, sizeof res->errmsg);
    if (rc)
      return rc == MP_ETRANSIENT ? MP_ETRANSIENT : rc;
  }
  if (!n)
    return 0;
  int rc = write_split(s, recs, n, 0, res);
  if (rc == MP_ETRANSIENT)
    end_stalled_copies(s, res->errmsg, sizeof res->errmsg);
  if (rc == MP_ETRANSIENT || (s->conn && PQstatus(s->conn) != CONNECTION_OK)) {
    drop_conn(s);
    rc = MP_ETRANSIENT;
  }
  if (rc) { /* nothing (of the failing part) was committed: report none */
    char keep[sizeof res->errmsg];
    memcpy(keep, res->errmsg, sizeof keep);
    memset(res, 0, sizeof *res);
    memcpy(res->errmsg, keep, sizeof keep);
  } else {
    res->error_recs = s->nerrs ? s->errs : NULL;
    res->nerror_recs = s->nerrs;
  }
  return rc;
}

int mp_sink_load_offsets(mp_sink_t *s, const char *topic,
                         const int32_t *partitions, mp_sink_offset_t *offs,
                         size_t n) {
  for (size_t i = 0; i < n; i++)
    offs[i] = (mp_sink_offset_t){.next = -1};
  char err[256];
  if (!s->conn && connect_sink(s, err, sizeof err))
    return MP_ETRANSIENT;
  const char *p[2] = {s->group, topic};
  PGresult *r = PQexecParams(s->conn,
                             "SELECT partition, next_offset,"
                             " coalesce(last_job, 0), coalesce(last_seq, 0),"
                             " coalesce(cluster_id, '') FROM kafka_offsets "
                             "WHERE group_id = $1 AND topic = $2",
                             2, NULL, p, NULL, NULL, 0);
  int rc = 0;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    rc = mp_pg_fail(s->conn, r, "loading offsets", err, sizeof err);
    if (rc == MP_ETRANSIENT)
      drop_conn(s);
  } else {
    for (int row = 0; row < PQntuples(r); row++) {
      int32_t part = (int32_t)atoi(PQgetvalue(r, row, 0));
      for (size_t i = 0; i < n; i++) {
        if (partitions[i] != part)
          continue;
        offs[i].next = strtoll(PQgetvalue(r, row, 1), NULL, 10);
        offs[i].last_job = strtoll(PQgetvalue(r, row, 2), NULL, 10);
        offs[i].last_seq = strtoll(PQgetvalue(r, row, 3), NULL, 10);
        snprintf(offs[i].cluster_id, sizeof offs[i].cluster_id, "%s",
                 PQgetvalue(r, row, 4));
      }
    }
  }
  PQclear(r);
  return rc;
}

int mp_sink_reset_offset(mp_sink_t *s, const char *topic, int32_t partition,
                         int64_t next, const char *cluster_id) {
  char err[256], ps[16], ns[24];
  if (!s->conn && connect_sink(s, err, sizeof err))
    return MP_ETRANSIENT;
  snprintf(ps, sizeof ps, "%d", (int)partition);
  snprintf(ns, sizeof ns, "%lld", (long long)next);
  const char *p[5] = {s->group, topic, ps, ns, cluster_id ? cluster_id : ""};
  PGresult *r = PQexecParams(
      s->conn,
      "UPDATE kafka_offsets SET next_offset = $4, cluster_id = nullif($5, ''),"
      " last_job = NULL, last_seq = NULL, updated_at = now()"
      " WHERE group_id = $1 AND topic = $2 AND partition = $3",
      5, NULL, p, NULL, NULL, 0);
  int rc = 0;
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    rc = mp_pg_fail(s->conn, r, "resetting an offset", err, sizeof err);
    if (rc == MP_ETRANSIENT)
      drop_conn(s);
  }
  PQclear(r);
  return rc;
}
