#!/usr/bin/env bash
# kafka_acl.sh: a principal without the rights gets one clear line and a
# non-zero exit, never a hang, and leaves no job running. On a cluster of
# its own (scripts/kafka.sh start --brokers 1 --sasl --acl: StandardAuthorizer,
# super user `marcpipe`, a user `norights` granted nothing), so the shared
# cluster stays as it is:
# 1. produce as norights, topics missing: exit 1, exactly
#    "marcpipe produce: cannot create topic 'T': not authorized (the
#    principal needs CREATE on the topic or the cluster)", the job FAILED
#    with that reason, no topic created; `import -b` the same, in its
#    summary's failure and on stderr.
# 2. import -b as marcpipe: the topics created, 20 records COMPLETED.
# 3. produce as norights on the existing topic (no DESCRIBE: the cluster
#    does not tell it the topic exists): the same line, nothing appended.
# 4. work as norights: "cannot consume as group 'G': not authorized (the
#    principal needs READ on the group)", exit 1; with READ on the group
#    granted, "cannot consume topic 'T': ... READ on the topic", exit 1.
# 5. No job of the tenant left NEW, PRODUCING or IN_PROGRESS.
# Needs MP_KAFKA_BOOTSTRAP (the real-cluster runs: java, the Kafka jars);
# skipped (77) without it.
[ -n "${MP_KAFKA_BOOTSTRAP:-}" ] || { echo "SKIP: needs MP_KAFKA_BOOTSTRAP (real Kafka runs)"; exit 77; }
. "$(dirname "$0")/lib/import_lib.bash"
it_setup it_acl
KSH=${MP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/scripts/kafka.sh
D=$TMP/kafka
cleanup() {
  bash "$KSH" stop --dir "$D" >/dev/null 2>&1 || true
  psql -XAtq -c "DROP SCHEMA IF EXISTS ${T}_marcpipe CASCADE" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
bash "$KSH" start --brokers 1 --sasl --acl --dir "$D" >"$TMP/start.out" 2>"$TMP/start.log" ||
  { cat "$TMP/start.log"; it_fail "the ACL cluster did not start"; }
BS=$(cat "$D/bootstrap-sasl")
TOPIC=marcpipe.Default.$T.DI_INCOMING_MARC_BIB_RECORD
G=it.acl.$$
WANT_CREATE="cannot create topic '$TOPIC': not authorized (the principal needs CREATE on the topic or the cluster)"
"$MARCPIPE" gen --records 20 --seed 3 -q -o "$TMP/g.mrc"

as() { # USER-FILE-PREFIX CMD...: marcpipe as that SASL user, bounded
  local who=$1; shift
  MARCPIPE_KAFKA_PROPS=$(printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\nsasl.username=%s\nsasl.password=%s\n' \
    "$(cat "$D/$who.user")" "$(cat "$D/$who.password")") timeout -k 5 60 "$MARCPIPE" "$@"
}
topics() { # the tenant's topics, as the super user sees them (PLAINTEXT)
  kcat -L -b "$(cat "$D/bootstrap")" -m 5 2>/dev/null | sed -n "s/^ *topic \"\([^\"]*\.$T\.[^\"]*\)\".*/\1/p" | sort
}
messages() { # messages in partition 0 of the records topic
  kcat -C -b "$(cat "$D/bootstrap")" -t "$TOPIC" -p 0 -o beginning -e -q 2>/dev/null | wc -l
}
last_job() { it_sql "SELECT id || ' ' || status || ' ' || coalesce(failure_reason, '') FROM ${T}_marcpipe.jobs ORDER BY id DESC LIMIT 1"; }
one_line() { # FILE WANT WHAT
  [ "$(grep -c '' "$1")" = 1 ] || it_fail "$3: $(grep -c '' "$1") lines on stderr: $(head -n 5 "$1")"
  [ "$(cat "$1")" = "$2" ] || it_fail "$3: stderr '$(cat "$1")', want '$2'"
}

# 1. no right to create
t0=$SECONDS
rc=0; as sasl-norights produce -q --tenant "$T" -b "$BS" "$TMP/g.mrc" >"$TMP/p1.out" 2>"$TMP/p1.err" || rc=$?
[ $rc = 1 ] || it_fail "produce as norights: exit $rc, want 1 ($(cat "$TMP/p1.err"))"
one_line "$TMP/p1.err" "marcpipe produce: $WANT_CREATE" "produce as norights"
[ $((SECONDS - t0)) -le 20 ] || it_fail "produce as norights took $((SECONDS - t0)) s"
[ "$(last_job)" = "1 FAILED $WANT_CREATE" ] || it_fail "job after the denial: '$(last_job)'"
[ -z "$(topics)" ] || it_fail "topics created without the right: $(topics)"
rc=0; as sasl-norights import -q --tenant "$T" -b "$BS" -w 1 "$TMP/g.mrc" >"$TMP/i1.out" 2>"$TMP/i1.err" || rc=$?
[ $rc = 1 ] || it_fail "import as norights: exit $rc, want 1"
one_line "$TMP/i1.err" "marcpipe import: $WANT_CREATE" "import as norights"
grep -qxF "  failure: $WANT_CREATE" "$TMP/i1.out" || it_fail "import summary: $(cat "$TMP/i1.out")"
[ "$(last_job)" = "2 FAILED $WANT_CREATE" ] || it_fail "job after the import's denial: '$(last_job)'"

# 2. the super user creates the topics and imports
rc=0; as sasl import -q --json --tenant "$T" -b "$BS" -G "$G.ok" -w 1 "$TMP/g.mrc" >"$TMP/i2.out" 2>"$TMP/i2.err" || rc=$?
[ $rc = 0 ] || it_fail "import as marcpipe: exit $rc: $(tail -n 3 "$TMP/i2.err")"
[ "$(last_job)" = "3 COMPLETED " ] || it_fail "import as marcpipe: job '$(last_job)'"
[ "$(it_sql "SELECT count(DISTINCT seq) FROM ${T}_marcpipe.journal WHERE job_id = 3")" = 20 ] ||
  it_fail "import as marcpipe: not 20 records journaled"
[ "$(topics | wc -l)" = 3 ] || it_fail "topics after the import: $(topics)"
before=$(messages)

# 3. the topic exists, norights may not see it
rc=0; as sasl-norights produce -q --tenant "$T" -b "$BS" "$TMP/g.mrc" >"$TMP/p3.out" 2>"$TMP/p3.err" || rc=$?
[ $rc = 1 ] || it_fail "produce as norights to the existing topic: exit $rc"
one_line "$TMP/p3.err" "marcpipe produce: $WANT_CREATE" "produce as norights to the existing topic"
[ "$(last_job)" = "4 FAILED $WANT_CREATE" ] || it_fail "job 4: '$(last_job)'"
[ "$(messages)" = "$before" ] || it_fail "messages in partition 0: $before, then $(messages)"

# 4. consuming without READ on the group, then without READ on the topic
work_denied() { # WANT
  local rc=0
  t0=$SECONDS
  as sasl-norights work --tenant "$T" -b "$BS" -G "$G" >"$TMP/w.out" 2>"$TMP/w.err" || rc=$?
  [ $rc = 1 ] || it_fail "work as norights: exit $rc ($(tail -n 3 "$TMP/w.err"))"
  grep -qxF "marcpipe work: $1" "$TMP/w.err" || it_fail "work as norights: $(cat "$TMP/w.err")"
  [ $((SECONDS - t0)) -le 20 ] || it_fail "work as norights took $((SECONDS - t0)) s"
}
work_denied "cannot consume as group '$G': not authorized (the principal needs READ on the group)"
bash "$KSH" grant norights Read group "$G" --dir "$D" || it_fail "grant"
work_denied "cannot consume topic '$TOPIC': not authorized (the principal needs READ on the topic)"

# 5. nothing left running
left=$(it_sql "SELECT count(*) FROM ${T}_marcpipe.jobs WHERE status IN ('NEW', 'PRODUCING', 'IN_PROGRESS')")
[ "$left" = 0 ] || it_fail "$left jobs left running"
echo "kafka_acl: CREATE denied (produce, import, existing topic: one line, exit 1, job FAILED), group and topic READ denied (work, exit 1); cluster start $(sed -n 's/.* up in \([0-9.]*\) s.*/\1/p' "$TMP/start.log") s"
