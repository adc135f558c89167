-- 009_key_claims.sql: the secondary match keys (OCLC number, ISBN, ISSN)
-- a batch is about to match or create, one row per value ever claimed.
-- Each batch's transaction upserts the keys of its bibliographic records
-- first (sorted, ON CONFLICT DO UPDATE ... WHERE false: a new row is
-- inserted, an existing one only locked), so two sinks whose batches share
-- a key take turns: the later waits for the earlier's COMMIT and its match
-- query, a later statement, sees the Instance the earlier created.
-- Without it, new records of overlapping batches sharing only such a key
-- both created an Instance. The rows carry no data: UNLOGGED (a crash
-- empties the table, which loses nothing: a claim matters only while its
-- transaction runs).
CREATE UNLOGGED TABLE key_claims (
  kind  text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (kind, value)
);
