-- 003_offset_identity.sql: a stored offset names the log it was read from.
-- A topic re-created under the same name (a real topic deleted and created
-- again, the embedded broker restarted) starts its offsets again at 0, so
-- an offset alone would make a worker skip the new log's records. Each row
-- now also keeps the Kafka cluster id and the job id and sequence number
-- of the message just before next_offset; a worker checks them on
-- assignment (src/kafka/worker.c) and reads the partition from its start
-- when they do not match (replays change nothing). NULL = not known (rows
-- written before this migration): only the log's watermarks are checked.

ALTER TABLE kafka_offsets
  ADD COLUMN cluster_id text,
  ADD COLUMN last_job   bigint,
  ADD COLUMN last_seq   bigint;
