-- 002_profiles.sql: match-and-overlay profiles (schemas/profiles/README.md)
-- and lz4 compression of the large columns.
-- An Instance created by a profile without 001 matching claims no primary
-- key: match_key NULL (the unique constraint still holds for the others).
-- Profile skips are counted apart from the total of skipped records.

ALTER TABLE instances ALTER COLUMN match_key DROP NOT NULL;

ALTER TABLE job_progress
  ADD COLUMN skipped_matched  bigint NOT NULL DEFAULT 0,
  ADD COLUMN skipped_no_match bigint NOT NULL DEFAULT 0;


-- The large values (raw records, MARC-in-JSON, Instances) are compressed
-- with lz4, several times faster than the default pglz, when the server
-- has it; otherwise they keep the default.
DO $$
BEGIN
  ALTER TABLE source_records ALTER COLUMN raw SET COMPRESSION lz4,
    ALTER COLUMN parsed SET COMPRESSION lz4;
  ALTER TABLE instances ALTER COLUMN instance SET COMPRESSION lz4;
  ALTER TABLE journal ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  NULL;
END $$;
