-- 006_circulation.sql: circulation events (schemas/events/circulation-event-v1.md)
-- in the tenant schema: the consumer services' progress and dead events, the
-- patron-blocks state (patrons, open loans, fees/fines, limits per patron
-- group) and the append-only audit log.
--
-- A consumer service is a row of src/circ/services.c and one SQL function
-- circ_apply_<service>(msgs jsonb) RETURNS int below; circ_apply_batch()
-- runs a batch of one service in the caller's transaction: the service's
-- function, progress, dead events and the stored Kafka offsets.
-- Idempotency: a message is known by (job, seq): circ_progress keeps the
-- last seq of each (service, job, partition), and a partition delivers a
-- job's messages in seq order, so a redelivered message is one at or below
-- it. An event is known by its eventId: each service applies it once.

-- Services that consume the circulation topic; a service registers at its
-- first start. The producer's credit waits for the slowest one.
CREATE TABLE circ_services (
  service       text PRIMARY KEY,
  registered_at timestamptz NOT NULL DEFAULT now()
);

-- Messages of a producing run (a jobs row) processed per service and
-- partition; one writer per row at a time (the partition's owner).
CREATE TABLE circ_progress (
  service   text NOT NULL,
  job_id    bigint NOT NULL,
  partition int NOT NULL,
  last_seq  bigint NOT NULL,
  processed bigint NOT NULL,
  PRIMARY KEY (service, job_id, partition)
);

-- Messages a service could not read as an event (not sent by marcpipe's
-- producer, which validates): kept, counted as processed, never applied.
CREATE TABLE circ_invalid (
  service      text NOT NULL,
  job_id       bigint NOT NULL,
  seq          bigint NOT NULL,
  partition    int NOT NULL,
  kafka_offset bigint NOT NULL,
  reason       text NOT NULL,
  raw          bytea,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service, job_id, seq)
);

-- Events a service has applied (services without a table keyed by event id).
CREATE TABLE circ_applied (
  service  text NOT NULL,
  event_id text NOT NULL,
  PRIMARY KEY (service, event_id)
);

-- ---- patron blocks ----

CREATE TABLE circ_patrons (
  user_id         text PRIMARY KEY,
  patron_group    text,
  last_event_time timestamptz NOT NULL
);

-- Open loans; a loan leaves on ITEM_CHECKED_IN or LOAN_CLOSED.
CREATE TABLE circ_loans (
  loan_id          text PRIMARY KEY,
  user_id          text NOT NULL,
  item_id          text NOT NULL,
  due_date         timestamptz NOT NULL,
  recall           boolean NOT NULL DEFAULT false,
  lost             text CHECK (lost IN ('declared', 'aged')),
  claimed_returned boolean NOT NULL DEFAULT false,
  checked_out_at   timestamptz NOT NULL
);
CREATE INDEX circ_loans_user ON circ_loans (user_id);

-- Open fees/fines (balance > 0).
CREATE TABLE circ_fees (
  fee_fine_id      text PRIMARY KEY,
  user_id          text NOT NULL,
  loan_id          text,
  fee_fine_type_id text,
  balance          numeric(12, 2) NOT NULL CHECK (balance > 0)
);
CREATE INDEX circ_fees_user ON circ_fees (user_id);

-- Block limits per patron group; a patron whose group has no row for a
-- condition gets the 'default' group's. A condition blocks when the
-- patron's value is above the limit.
CREATE TABLE circ_block_limits (
  patron_group text NOT NULL,
  condition    text NOT NULL CHECK (condition IN (
                 'max-items-charged-out', 'max-lost-items', 'max-overdue-items',
                 'max-overdue-recalls', 'max-outstanding-balance',
                 'max-recall-overdue-days')),
  limit_value  numeric(12, 2) NOT NULL CHECK (limit_value >= 0),
  PRIMARY KEY (patron_group, condition)
);
INSERT INTO circ_block_limits VALUES
  ('default', 'max-items-charged-out', 10),
  ('default', 'max-lost-items', 2),
  ('default', 'max-overdue-items', 5),
  ('default', 'max-overdue-recalls', 1),
  ('default', 'max-outstanding-balance', 50),
  ('default', 'max-recall-overdue-days', 7),
  ('staff', 'max-items-charged-out', 50),
  ('staff', 'max-outstanding-balance', 200),
  ('faculty', 'max-items-charged-out', 100),
  ('faculty', 'max-overdue-items', 20),
  ('faculty', 'max-outstanding-balance', 500);

-- ---- audit: one row per event, never updated or deleted ----

CREATE TABLE circ_audit (
  event_id     text PRIMARY KEY,
  event_type   text NOT NULL,
  tenant       text NOT NULL,
  user_id      text NOT NULL,
  item_id      text,
  loan_id      text,
  fee_fine_id  text,
  event_time   timestamptz NOT NULL,
  job_id       bigint NOT NULL,   -- where it was first delivered
  seq          bigint NOT NULL,
  partition    int NOT NULL,
  kafka_offset bigint NOT NULL,
  event        jsonb NOT NULL,
  logged_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX circ_audit_user ON circ_audit (user_id, event_time);
CREATE INDEX circ_audit_item ON circ_audit (item_id, event_time);
CREATE INDEX circ_audit_time ON circ_audit (event_time);

CREATE FUNCTION circ_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'circ_audit is append-only';
END $$;
CREATE TRIGGER circ_audit_append_only BEFORE UPDATE OR DELETE ON circ_audit
  FOR EACH ROW EXECUTE FUNCTION circ_audit_append_only();

-- ---- service functions: msgs = [{"j":job,"s":seq,"p":partition,
-- "o":offset,"e":event}, ...] in offset order, new messages only; return
-- the number of events applied now (the rest were applied before) ----

CREATE FUNCTION circ_apply_blocks(msgs jsonb) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  e jsonb;
  n int := 0;
  u text;
  l text;
BEGIN
  FOR e IN SELECT m -> 'e' FROM jsonb_array_elements(msgs) WITH ORDINALITY
           AS a (m, i) ORDER BY i LOOP
    INSERT INTO circ_applied VALUES ('blocks', e ->> 'eventId')
      ON CONFLICT DO NOTHING;
    CONTINUE WHEN NOT FOUND;
    n := n + 1;
    u := e ->> 'userId';
    l := e ->> 'loanId';
    INSERT INTO circ_patrons AS p VALUES (u, e ->> 'patronGroup',
                                          (e ->> 'eventTime')::timestamptz)
      ON CONFLICT (user_id) DO UPDATE
      SET patron_group = coalesce(excluded.patron_group, p.patron_group),
          last_event_time = excluded.last_event_time;
    CASE e ->> 'eventType'
    WHEN 'ITEM_CHECKED_OUT' THEN
      INSERT INTO circ_loans (loan_id, user_id, item_id, due_date, checked_out_at)
        VALUES (l, u, e ->> 'itemId', (e ->> 'dueDate')::timestamptz,
                (e ->> 'eventTime')::timestamptz)
        ON CONFLICT DO NOTHING;
    WHEN 'ITEM_CHECKED_IN', 'LOAN_CLOSED' THEN
      DELETE FROM circ_loans WHERE loan_id = l AND user_id = u;
    WHEN 'LOAN_DUE_DATE_CHANGED' THEN
      UPDATE circ_loans
        SET due_date = (e ->> 'dueDate')::timestamptz,
            recall = recall OR coalesce((e ->> 'dueDateChangedByRecall')::boolean, false)
        WHERE loan_id = l AND user_id = u;
    WHEN 'ITEM_DECLARED_LOST' THEN
      UPDATE circ_loans SET lost = 'declared' WHERE loan_id = l AND user_id = u;
    WHEN 'ITEM_AGED_TO_LOST' THEN
      UPDATE circ_loans SET lost = 'aged' WHERE loan_id = l AND user_id = u;
    WHEN 'ITEM_CLAIMED_RETURNED' THEN
      UPDATE circ_loans SET claimed_returned = true WHERE loan_id = l AND user_id = u;
    WHEN 'FEE_FINE_BALANCE_CHANGED' THEN
      IF (e ->> 'balance')::numeric > 0 THEN
        INSERT INTO circ_fees AS f VALUES (e ->> 'feeFineId', u, l,
                                           e ->> 'feeFineTypeId',
                                           (e ->> 'balance')::numeric)
          ON CONFLICT (fee_fine_id) DO UPDATE SET balance = excluded.balance
          WHERE f.user_id = excluded.user_id;
      ELSE
        DELETE FROM circ_fees WHERE fee_fine_id = e ->> 'feeFineId' AND user_id = u;
      END IF;
    END CASE;
  END LOOP;
  RETURN n;
END $$;

CREATE FUNCTION circ_apply_audit(msgs jsonb) RETURNS int
LANGUAGE sql AS $$
  WITH ins AS (
    INSERT INTO circ_audit (event_id, event_type, tenant, user_id, item_id,
                            loan_id, fee_fine_id, event_time, job_id, seq,
                            partition, kafka_offset, event)
    SELECT m -> 'e' ->> 'eventId', m -> 'e' ->> 'eventType', m -> 'e' ->> 'tenant',
           m -> 'e' ->> 'userId', m -> 'e' ->> 'itemId', m -> 'e' ->> 'loanId',
           m -> 'e' ->> 'feeFineId', (m -> 'e' ->> 'eventTime')::timestamptz,
           (m ->> 'j')::bigint, (m ->> 's')::bigint, (m ->> 'p')::int,
           (m ->> 'o')::bigint, m -> 'e'
    FROM jsonb_array_elements(msgs) WITH ORDINALITY AS a (m, i) ORDER BY i
    ON CONFLICT (event_id) DO NOTHING
    RETURNING 1)
  SELECT count(*)::int FROM ins
$$;

-- Complete a circulation run once its total is known and every registered
-- service has processed every message (rejected lines count as processed):
-- COMPLETED, or COMPLETED_WITH_ERRORS with rejects or invalid messages.
-- The caller holds a lock on the job row that orders it with the other
-- checks (see circ_apply_batch). True when this call flipped it.
CREATE FUNCTION circ_complete(p_job bigint) RETURNS boolean
LANGUAGE sql AS $$
  WITH svc AS (
    SELECT coalesce(min(n), 0) AS n FROM (
      SELECT s.service, coalesce(sum(p.processed), 0) AS n
      FROM circ_services s
      LEFT JOIN circ_progress p ON p.service = s.service AND p.job_id = p_job
      GROUP BY s.service) x),
  rej AS (SELECT coalesce(sum(processed), 0) AS n FROM job_progress
          WHERE job_id = p_job AND partition = -1),
  bad AS (SELECT count(*) AS n FROM circ_invalid WHERE job_id = p_job),
  up AS (
    UPDATE jobs j SET status = CASE WHEN rej.n + bad.n > 0
                                    THEN 'COMPLETED_WITH_ERRORS' ELSE 'COMPLETED' END,
                      completed_at = now()
    FROM svc, rej, bad
    WHERE j.id = p_job AND j.status = 'IN_PROGRESS' AND j.total IS NOT NULL
      AND svc.n + rej.n >= j.total
    RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM up)
$$;

-- The producer's check once it has recorded the total (the services may
-- have finished first, when their checks saw no total).
CREATE FUNCTION circ_complete_after_total(p_job bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM jobs WHERE id = p_job FOR UPDATE;
  RETURN circ_complete(p_job);
END $$;

-- One batch of one service (caller's transaction). msgs: every message of
-- the batch that parsed as an event; invalid: [{"j","s","p","o","why",
-- "raw"(hex)}] the others. Returns the events applied now and the messages
-- that were redeliveries (already counted for the service).
CREATE FUNCTION circ_apply_batch(p_service text, p_group text, p_topic text,
                                 msgs jsonb, invalid jsonb,
                                 OUT applied int, OUT replayed int)
LANGUAGE plpgsql AS $$
DECLARE
  fresh jsonb;
  jid bigint;
  tot bigint;
BEGIN
  IF to_regclass('pg_temp.circ_batch') IS NULL THEN
    CREATE TEMP TABLE circ_batch (
      ord int, j bigint, s bigint, p int, o bigint, m jsonb, why text, raw text)
      ON COMMIT DELETE ROWS;
  END IF;
  DELETE FROM circ_batch; -- a second batch in one transaction starts empty
  INSERT INTO circ_batch
    SELECT i, (m ->> 'j')::bigint, (m ->> 's')::bigint, (m ->> 'p')::int,
           (m ->> 'o')::bigint, m, NULL, NULL
    FROM jsonb_array_elements(msgs) WITH ORDINALITY AS a (m, i)
    UNION ALL
    SELECT -i, (m ->> 'j')::bigint, (m ->> 's')::bigint, (m ->> 'p')::int,
           (m ->> 'o')::bigint, NULL, m ->> 'why', m ->> 'raw'
    FROM jsonb_array_elements(invalid) WITH ORDINALITY AS a (m, i);
  -- redeliveries: at or below the service's last seq of (job, partition)
  DELETE FROM circ_batch b USING circ_progress g
    WHERE g.service = p_service AND g.job_id = b.j AND g.partition = b.p
      AND b.s <= g.last_seq;
  GET DIAGNOSTICS replayed = ROW_COUNT;
  SELECT coalesce(jsonb_agg(m ORDER BY ord), '[]') INTO fresh
    FROM circ_batch WHERE m IS NOT NULL;
  EXECUTE format('SELECT circ_apply_%s($1)', p_service) INTO applied USING fresh;
  INSERT INTO circ_invalid (service, job_id, seq, partition, kafka_offset, reason, raw)
    SELECT p_service, j, s, p, o, why, decode(raw, 'hex')
    FROM circ_batch WHERE m IS NULL
    ON CONFLICT DO NOTHING;
  INSERT INTO circ_progress AS g
    SELECT p_service, j, p, max(s), count(*) FROM circ_batch GROUP BY j, p
    ON CONFLICT (service, job_id, partition) DO UPDATE
    SET last_seq = greatest(g.last_seq, excluded.last_seq),
        processed = g.processed + excluded.processed;
  INSERT INTO kafka_offsets AS k (group_id, topic, partition, next_offset)
    SELECT p_group, p_topic, (m ->> 'p')::int, max((m ->> 'o')::bigint) + 1
    FROM (SELECT m FROM jsonb_array_elements(msgs) m
          UNION ALL SELECT m FROM jsonb_array_elements(invalid) m) x
    GROUP BY 3
    ON CONFLICT (group_id, topic, partition) DO UPDATE
    SET next_offset = greatest(k.next_offset, excluded.next_offset),
        updated_at = now();
  -- completion, as for MARC jobs (src/job/complete.c): while the total is
  -- unknown a KEY SHARE lock makes the producer's total (FOR UPDATE) wait
  -- for this batch, and its own check then sees it; once the total is
  -- known, NO KEY UPDATE orders the services' last checks
  FOR jid IN SELECT DISTINCT j FROM circ_batch ORDER BY 1 LOOP
    SELECT total INTO tot FROM jobs WHERE id = jid FOR KEY SHARE;
    IF tot IS NOT NULL THEN
      PERFORM 1 FROM jobs WHERE id = jid FOR NO KEY UPDATE;
      PERFORM circ_complete(jid);
    END IF;
  END LOOP;
END $$;

-- ---- queries ----

CREATE FUNCTION circ_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- A patron's summary as the blocks service holds it (NULL: unknown patron).
CREATE FUNCTION circ_summary(p_user text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'userId', p.user_id,
    'patronGroup', p.patron_group,
    'openLoans', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'loanId', l.loan_id, 'itemId', l.item_id,
               'dueDate', circ_time(l.due_date), 'recall', l.recall,
               'lost', l.lost, 'claimedReturned', l.claimed_returned)
             ORDER BY l.loan_id)
      FROM circ_loans l WHERE l.user_id = p.user_id), '[]'),
    'feesFines', coalesce((
      SELECT jsonb_agg(jsonb_build_object('feeFineId', f.fee_fine_id,
                                          'balance', f.balance::text)
             ORDER BY f.fee_fine_id)
      FROM circ_fees f WHERE f.user_id = p.user_id), '[]'),
    'outstandingBalance', (SELECT coalesce(sum(f.balance), 0)::numeric(12, 2)::text
                           FROM circ_fees f WHERE f.user_id = p.user_id))
  FROM circ_patrons p WHERE p.user_id = p_user
$$;

-- Block conditions of a patron at time p_at: value, limit, blocked.
CREATE FUNCTION circ_block_report(p_user text, p_at timestamptz)
RETURNS TABLE (condition text, value numeric, limit_value numeric, blocked boolean)
LANGUAGE sql STABLE AS $$
  WITH p AS (SELECT coalesce(patron_group, 'default') AS grp
             FROM circ_patrons WHERE user_id = p_user),
  l AS (SELECT *, lost IS NULL AND NOT claimed_returned AND due_date < p_at AS overdue
        FROM circ_loans WHERE user_id = p_user),
  v (condition, value, ord) AS (VALUES
    ('max-items-charged-out', (SELECT count(*)::numeric FROM l), 1),
    ('max-lost-items', (SELECT count(*)::numeric FROM l WHERE lost IS NOT NULL), 2),
    ('max-overdue-items', (SELECT count(*)::numeric FROM l WHERE overdue), 3),
    ('max-overdue-recalls', (SELECT count(*)::numeric FROM l WHERE overdue AND recall), 4),
    ('max-outstanding-balance', (SELECT coalesce(sum(balance), 0) FROM circ_fees
                                 WHERE user_id = p_user), 5),
    ('max-recall-overdue-days',
     (SELECT coalesce(max(floor(extract(epoch FROM p_at - due_date) / 86400)), 0)
      FROM l WHERE overdue AND recall), 6))
  SELECT v.condition, v.value, lim.limit_value, v.value > lim.limit_value
  FROM p CROSS JOIN v
  CROSS JOIN LATERAL (
    SELECT b.limit_value FROM circ_block_limits b
    WHERE b.condition = v.condition AND b.patron_group IN (p.grp, 'default')
    ORDER BY b.patron_group = p.grp DESC LIMIT 1) lim
  ORDER BY v.ord
$$;
