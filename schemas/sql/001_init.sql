-- 001_init.sql: the tenant schema of marcpipe (jobs, progress, records,
-- Instances, journal, stored Kafka offsets).
-- Applied by the program (src/pg/migrate.c) inside one transaction, under an
-- advisory lock, with search_path set to the tenant schema: names here are
-- unqualified on purpose. Never edit an applied migration; add a new file.

CREATE TABLE jobs (
  id             bigserial PRIMARY KEY,
  status         text NOT NULL DEFAULT 'NEW'
                 CHECK (status IN ('NEW', 'PRODUCING', 'IN_PROGRESS', 'COMPLETED',
                                   'COMPLETED_WITH_ERRORS', 'FAILED')),
  file_name      text,
  file_format    text,
  topic          text,
  total          bigint,                   -- records read; set once every
                                           -- delivery report is in
  produced       bigint NOT NULL DEFAULT 0, -- contiguous seq delivered
  profile        jsonb,
  failure_reason text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  completed_at   timestamptz
);

-- One row per (job, Kafka partition); partition -1 = records the reader
-- rejected before they reached Kafka. One writer per row at a time.
CREATE TABLE job_progress (
  job_id     bigint NOT NULL,   -- no FK: a message of an unknown job
                                -- still counts, it never blocks a batch
  partition  int NOT NULL,
  processed  bigint NOT NULL DEFAULT 0,
  created    bigint NOT NULL DEFAULT 0,
  updated    bigint NOT NULL DEFAULT 0,
  duplicates bigint NOT NULL DEFAULT 0,
  skipped    bigint NOT NULL DEFAULT 0,
  errors     bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, partition)
);

-- The records as received (like FOLIO's SRS): raw bytes and MARC-in-JSON.
CREATE TABLE source_records (
  job_id       bigint NOT NULL,
  seq          bigint NOT NULL,
  match_key    text NOT NULL,
  content_type text NOT NULL,
  raw          bytea NOT NULL,
  parsed       jsonb,
  content_hash text NOT NULL,               -- md5 of raw
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, seq)
);

-- Mapped Instances, one per primary match key. id = md5(match_key)::uuid,
-- so the same record always gets the same id in every database.
CREATE TABLE instances (
  id           uuid PRIMARY KEY,
  hrid         text,                      -- the mapped Instance's hrid
                                           -- (not unique: it comes from data)
  match_key    text NOT NULL UNIQUE,
  instance     jsonb NOT NULL,
  source_job   bigint NOT NULL,
  source_seq   bigint NOT NULL,
  version      int NOT NULL DEFAULT 1,
  content_hash text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX instances_hrid ON instances (hrid);

-- Secondary match keys of the current version of each Instance.
CREATE TABLE instance_keys (
  instance_id uuid NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('control', 'oclc', 'isbn', 'issn')),
  value       text NOT NULL,
  PRIMARY KEY (instance_id, kind, value)
);
CREATE INDEX instance_keys_kind_value ON instance_keys (kind, value);

-- One row per record outcome; (job_id, seq) is the record's stable id and
-- the idempotency key of every write.
CREATE TABLE journal (
  job_id       bigint NOT NULL,
  seq          bigint NOT NULL,
  partition    int NOT NULL,
  kafka_offset bigint,
  outcome      text NOT NULL
               CHECK (outcome IN ('CREATED', 'UPDATED', 'DUPLICATE', 'SKIPPED', 'ERROR')),
  instance_id  uuid,
  match_key    text,
  error_class  text,
  reason       text,
  file_offset  bigint,
  raw          bytea,                       -- kept for ERROR rows only
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, seq)
);
CREATE INDEX journal_errors ON journal (job_id, seq) WHERE outcome = 'ERROR';

-- Next offset to read per (group, topic, partition), written in the same
-- transaction as the batch it covers.
CREATE TABLE kafka_offsets (
  group_id    text NOT NULL,
  topic       text NOT NULL,
  partition   int NOT NULL,
  next_offset bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);
