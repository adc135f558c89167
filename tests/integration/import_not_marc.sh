#!/usr/bin/env bash
# import_not_marc.sh: `marcpipe import /dev/zero` used to spin forever on
# the loop thread (junk skipped without limit), ignoring SIGTERM. Now the
# reader gives up after MP_MARC_MAX_JUNK junk bytes: the import ends (under
# the test's timeout) with exit 1, the job COMPLETED_WITH_ERRORS with its
# one error journaled with the reason, and a real file after it in the same
# import is imported in full (100 records, SOURCES.md).
. "$(dirname "$0")/lib/import_lib.bash"
: "${MP_TEST_DATA:?}"
it_setup it_notmarc
IT_TIMEOUT=60 it_import /dev/zero "$MP_TEST_DATA/iso2709/folio-mdi--100.mrc"
[ "$IT_RC" = 1 ] || it_fail "import exit $IT_RC, want 1"
S=${T}_marcpipe
got=$(it_sql "SELECT status, total FROM $S.jobs WHERE file_name = '/dev/zero'")
[ "$got" = $'COMPLETED_WITH_ERRORS\t1' ] || it_fail "job of /dev/zero: '$got'"
reason=$(it_sql "SELECT j.reason FROM $S.journal j JOIN $S.jobs b ON b.id = j.job_id
                 WHERE b.file_name = '/dev/zero' AND j.outcome = 'ERROR'")
case $reason in
  *"not MARC: more than 65536 bytes of NUL, whitespace or control bytes without a record"*) ;;
  *) it_fail "reason: '$reason'" ;;
esac
got=$(it_sql "SELECT status, total FROM $S.jobs WHERE file_name LIKE '%folio-mdi--100.mrc'")
[ "$got" = $'COMPLETED\t100' ] || it_fail "job of the real file: '$got'"
[ "$(it_sql "SELECT count(*) FROM $S.instances")" = 100 ] || it_fail "instances"
echo "import_not_marc: ok"
