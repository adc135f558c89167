# lib.bash: the fault scenarios' names for the shell test library
# (tests/lib: prelude, db, processes, verdict). Sourced by tests/faults/*.sh,
# never run: ctest registers only the *.sh files.
#
# A scenario runs against the real Apache Kafka cluster of MP_KAFKA_BOOTSTRAP
# when it is set (scripts/test.sh starts one: scripts/kafka.sh; the records
# topic is then created by `marcpipe produce` with the scenario's partitions),
# otherwise, or when the scenario sets FL_EMBEDDED=1 because it needs the
# control channel, its own `marcpipe broker` (control FIFO on stdin); its own
# tenant (schema flt_<name>_<pid>_marcpipe, dropped at exit), worker
# processes with short session timeouts, and the producer, against the
# PostgreSQL of the PG* environment (scripts/pgtmp.sh). It ends with
# fl_check, the exactly-once verdict of tests/lib/verdict.bash (the one the
# import tests use too), which prints one line
#   scenario NAME: runs R, records sent S, stored T, lost L, duplicated D
# and fails unless nothing is lost or duplicated and the counters are exact.
# Every wait is bounded; a failure prints the worker logs.
#
# Each fl_NAME / FL_NAME here is tl_NAME / TL_NAME of tests/lib (FL_T is
# TL_TMP, FL_EMBEDDED and FL_SLOW_MS are read there too; the variables are
# bash namerefs, so assigning FL_X assigns TL_X); documented in tests/lib.
set -euo pipefail
DATA=${MP_TEST_DATA:?MP_TEST_DATA not set}
TL_NAME=${FL_NAME:-$(basename "$0" .sh)}
TL_EMBEDDED=${FL_EMBEDDED:-0}
unset FL_NAME FL_EMBEDDED
_fl_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)
. "$_fl_lib/prelude.bash"
. "$_fl_lib/db.bash"
tl_tmpdir
tl_tenant "flt_${TL_NAME}_$$"
TL_GROUP=flt.$TL_NAME.$$
. "$_fl_lib/processes.bash"
. "$_fl_lib/verdict.bash"
TL_FAIL_PREFIX="scenario $TL_NAME: "

declare -n FL_NAME=TL_NAME FL_T=TL_TMP FL_TENANT=TL_TENANT FL_SCHEMA=TL_SCHEMA \
  FL_TOPIC=TL_TOPIC FL_DLQ=TL_DLQ FL_GROUP=TL_GROUP FL_BPID=TL_BPID \
  FL_PPID=TL_PPID FL_BS=TL_BS FL_REAL=TL_REAL FL_PARTITIONS=TL_PARTITIONS \
  FL_WPID=TL_WPID FL_WORKER_OPTS=TL_WORKER_OPTS FL_RC=TL_RC FL_T0=TL_T0 \
  FL_EMBEDDED=TL_EMBEDDED FL_SLOW_MS=TL_SLOW_MS FL_WRAP=TL_WRAP

fl_log() { tl_log "$@"; }
fl_dump() { tl_dump_logs; }
fl_fail() { fail "$@"; }
fl_cleanup() { tl_exit; }           # for a scenario's own EXIT trap
fl_q() { tl_q "$@"; }
fl_broker_start() { tl_broker_start "$@"; }
fl_broker_cmd() { tl_broker_cmd "$*"; }
fl_broker_ctl() { tl_broker_ctl "$@"; } # waits for the answers
fl_broker_restart() { tl_broker_restart "$@"; }
fl_worker_start() { tl_worker_start "$@"; }
fl_worker_alive() { tl_worker_alive "$@"; }
fl_worker_exit() { tl_worker_exit "$@"; }
fl_worker_kill() { tl_worker_kill "$@"; }
fl_worker_stop() { tl_workers_stop "$1"; tl_log "worker $1 stopped"; }
fl_workers_stop() { tl_workers_stop "$@"; }
fl_worker_sum() { tl_worker_sum "$@"; }
fl_wait_until() { TL_POLL=0.2 tl_wait_until "$@"; }
fl_produce() { tl_produce "$@"; }
fl_job_id() { tl_job_id; }
fl_produce_wait() { tl_produce_wait; }
fl_processed() { tl_processed "$@"; }
fl_wait_processed() { tl_wait_processed "$@"; }
fl_wait_job() { tl_wait_job "$@"; }
fl_check() { tl_verdict "$@"; }     # [-q] [-c CREATED] RUNS SENT JOB [ERRORS]
fl_pg_setup() { tl_pg_setup; }
as_pg() { tl_as_pg "$@"; }
pg_up() { tl_pg_up; }
fl_gen() { tl_gen "$@"; }
fl_slow_job() { tl_slow_job "$@"; }
fl_summary_json() { tl_job_json "$@"; } # JOB [FIELD]
fl_kafka_need() { tl_kafka_need; }
fl_kafka() { tl_kafka "$@"; }
fl_kafka_heal() { tl_kafka_heal; }

# fl_hooks_need: the scenario uses a test-only fault hook (MP_FAULT_*),
# which a build with -DMP_TEST_HOOKS=OFF leaves out; there: skip (77).
fl_hooks_need() {
  if [ "${MP_TEST_HOOKS:-1}" = 0 ]; then
    echo "SKIP: scenario $TL_NAME needs the test hooks (cmake -DMP_TEST_HOOKS=ON)"
    exit 77
  fi
}
