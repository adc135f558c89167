-- 005_families.sql: holdings and authority records beside the Instances.
-- Holdings (MARC holdings, leader/06 u v x y) and Authorities (z) are
-- mapped by FOLIO's rules (schemas/mapping) and kept in their own tables,
-- each row one record identified by its primary match key (001 with 003,
-- as for Instances). A holdings record names its Instance by 004 (the
-- bibliographic record's 001): instance_id is set when that Instance
-- exists, else the holdings row waits with instance_id NULL and is linked
-- when the Instance arrives (see schemas/sql/README.md). Authorities also
-- match on their LCCN (010 $a, spaces removed).
-- The journal and the progress counters say which family each record was.

CREATE TABLE holdings (
  id           uuid PRIMARY KEY,            -- md5('holdings:' || match_key)
  hrid         text,
  match_key    text NOT NULL UNIQUE,
  instance_key text,                        -- 004, trimmed: the Instance's 001
  instance_id  uuid,                        -- NULL until that Instance exists
  holdings     jsonb NOT NULL,              -- mapped, with "id" and "instanceId"
  source_job   bigint NOT NULL,
  source_seq   bigint NOT NULL,
  version      int NOT NULL DEFAULT 1,
  content_hash text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX holdings_instance ON holdings (instance_id);
CREATE INDEX holdings_waiting ON holdings (instance_key) WHERE instance_id IS NULL;

CREATE TABLE authorities (
  id           uuid PRIMARY KEY,            -- md5('authority:' || match_key)
  match_key    text NOT NULL UNIQUE,
  lccn         text,                        -- 010 $a without spaces
  authority    jsonb NOT NULL,              -- mapped, with "id"
  source_job   bigint NOT NULL,
  source_seq   bigint NOT NULL,
  version      int NOT NULL DEFAULT 1,
  content_hash text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX authorities_lccn ON authorities (lccn);

ALTER TABLE journal
  ADD COLUMN family    text,                -- bib, holdings, authority; NULL
                                            -- when the record was not mapped
  ADD COLUMN record_id uuid;                -- the Holdings / Authority row

ALTER TABLE job_progress
  ADD COLUMN holdings    bigint NOT NULL DEFAULT 0,  -- holdings records
  ADD COLUMN authorities bigint NOT NULL DEFAULT 0,  -- authority records
  ADD COLUMN holdings_waiting bigint NOT NULL DEFAULT 0; -- stored without
                                            -- their Instance (at the time)

DO $$
BEGIN
  ALTER TABLE holdings ALTER COLUMN holdings SET COMPRESSION lz4;
  ALTER TABLE authorities ALTER COLUMN authority SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  NULL;
END $$;
