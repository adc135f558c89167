-- 002_profiles.sql: match-and-overlay profiles (schemas/profiles/README.md).
-- An Instance created by a profile without 001 matching claims no primary
-- key: match_key NULL (the unique constraint still holds for the others).
-- Profile skips are counted apart from the total of skipped records.

ALTER TABLE instances ALTER COLUMN match_key DROP NOT NULL;

ALTER TABLE job_progress
  ADD COLUMN skipped_matched  bigint NOT NULL DEFAULT 0,
  ADD COLUMN skipped_no_match bigint NOT NULL DEFAULT 0;

