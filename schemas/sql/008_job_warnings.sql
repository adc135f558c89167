-- 008_job_warnings.sql: what the reader repaired, per job.
-- One row per reader warning (a record that was read, but only after a
-- repair: a field without its terminator, MARC-8 that was UTF-8, a wrong
-- leader, ...), with the record's number in the file and the byte offset
-- of the problem. `kind` is the warning's code name (MP_E*), the same
-- vocabulary as journal.error_class; `ordinal` numbers the warnings of one
-- record, so that reading a file again (a resumed producer) adds nothing.
CREATE TABLE job_warnings (
  job_id      bigint NOT NULL,
  recno       bigint NOT NULL,
  ordinal     int NOT NULL,
  file_offset bigint NOT NULL,
  kind        text NOT NULL,
  tag         text,
  message     text NOT NULL,
  PRIMARY KEY (job_id, recno, ordinal)
);
