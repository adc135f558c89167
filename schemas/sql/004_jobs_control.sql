-- 004_jobs_control.sql: job control, liveness and the job log's "why".
--  * jobs: status CANCELLED; cancel_requested_at (set by `marcpipe cancel`,
--    read by the producer, which stops reading; the completion flip then
--    ends the job CANCELLED instead of COMPLETED); resumes counts resumes.
--  * journal: match_kind / match_value of the profile step that decided a
--    record's outcome (NULL when nothing matched), and an index for the
--    log's outcome filter with keyset paging (job, outcome, seq).
--  * leases: one row per live process (the producer of a job, each worker
--    of a topic), renewed every few seconds; expires_at passed = gone. A
--    job in a running state with no live lease of the role it waits for is
--    STALLED. stats: what only that process knows (window, pauses, batch
--    and latency histograms, errors), read by `marcpipe serve`.
--  * job_samples: processed count of a job over time (the rate chart),
--    written by the job's producer lease holder at each renewal.

ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
  CHECK (status IN ('NEW', 'PRODUCING', 'IN_PROGRESS', 'COMPLETED',
                    'COMPLETED_WITH_ERRORS', 'FAILED', 'CANCELLED'));
ALTER TABLE jobs
  ADD COLUMN cancel_requested_at timestamptz,
  ADD COLUMN resumes int NOT NULL DEFAULT 0;

ALTER TABLE journal
  ADD COLUMN match_kind  text,
  ADD COLUMN match_value text;
CREATE INDEX journal_outcome ON journal (job_id, outcome, seq);

CREATE TABLE leases (
  holder       text PRIMARY KEY,          -- host:pid:role[:n]
  role         text NOT NULL CHECK (role IN ('producer', 'worker')),
  job_id       bigint,                    -- producer: its job
  topic        text,                      -- worker: the topic it consumes
  group_id     text,
  host         text NOT NULL,
  pid          int NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  stats        jsonb
);
CREATE INDEX leases_job ON leases (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX leases_topic ON leases (topic) WHERE topic IS NOT NULL;

CREATE TABLE job_samples (
  job_id    bigint NOT NULL,
  at        timestamptz NOT NULL DEFAULT now(),
  processed bigint NOT NULL,
  PRIMARY KEY (job_id, at)
);
