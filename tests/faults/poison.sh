#!/usr/bin/env bash
# poison.sh: bad records spliced into a sound file must not block their
# batch. Three records of folio-mdi--100.mrc (100 records, SOURCES.md) are
# made unmappable (no 245 twice, a 245 without title subfields) and the 8
# records of malformed/pymarc--bad_records.mrc are appended: 108 records.
# The reader rejects the bad records it cannot repair (journaled by the
# producer); the unmappable ones reach the workers, where the sink journals each
# as an ERROR with its reason and writes the rest of the batch; the worker
# then copies them to the dead-letter topic with headers job-id, seq,
# source (partition/offset), error-class and error. Large batches make sure
# the poison shares its batch with sound records.
FL_NAME=poison
source "$(dirname "$0")/lib.bash"
command -v kcat >/dev/null || fl_fail "kcat not installed"

SOUND=$DATA/iso2709/folio-mdi--100.mrc
BAD=$DATA/malformed/pymarc--bad_records.mrc
python3 - "$SOUND" "$FL_T/in.mrc" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
recs = [r + b'\x1d' for r in data.split(b'\x1d') if r.strip()]
def fields(r):
    base = int(r[12:17]); d = r[24:base - 1]
    for i in range(0, len(d), 12):
        tag, ln, st = d[i:i+3], int(d[i+3:i+7]), int(d[i+7:i+12])
        yield tag, r[base + st: base + st + ln]
def build(leader, flds):
    dirs, body = b'', b''
    for tag, v in flds:
        dirs += tag + b'%04d%05d' % (len(v), len(body)); body += v
    base = 24 + len(dirs) + 1
    ln = base + len(body) + 1
    return b'%05d' % ln + leader[5:12] + b'%05d' % base + leader[17:24] + dirs + b'\x1e' + body + b'\x1d'
out = []
for i, r in enumerate(recs, 1):
    f = list(fields(r))
    if i in (10, 50):   # no 245
        f = [x for x in f if x[0] != b'245']
    elif i == 80:       # a 245 with only a linkage ($6): no subfield of
                        # FOLIO's title rule (a n p b c f g h k s)
        f = [(t, b'10\x1f6880-01\x1e') if t == b'245' else (t, v) for t, v in f]
    out.append(build(r[:24], f))
open(sys.argv[2], 'wb').write(b''.join(out))
PY
cat "$BAD" >>"$FL_T/in.mrc"
N=108
POISON_SEQS="10 50 80"

fl_broker_start 4
fl_worker_start 1 --batch 500 --batch-ms 300
fl_worker_start 2 --batch 500 --batch-ms 300
fl_produce "$FL_T/in.mrc"
JOB=$(fl_job_id)
fl_produce_wait
st=$(fl_wait_job "$JOB" 60)
fl_log "job $JOB $st"
fl_workers_stop

# one journal error per bad record, with its reason
REJ=$(fl_q "select count(*) from journal where job_id = $JOB and outcome = 'ERROR' and partition = -1")
SINKERR=$(fl_q "select count(*) from journal where job_id = $JOB and outcome = 'ERROR' and partition >= 0")
fl_log "rejected by the reader: $REJ, journaled as errors by the workers: $SINKERR"
for s in $POISON_SEQS; do
  fl_q "select error_class || ' ' || reason from journal where job_id = $JOB and seq = $s and outcome = 'ERROR' and partition >= 0" |
    grep -q "no title" || fl_fail "seq $s not journaled as a 'no title' error"
done
[ "$(fl_q "select count(*) from journal where job_id = $JOB and outcome = 'ERROR' and (reason is null or reason = '' or raw is null)")" -eq 0 ] ||
  fl_fail "an error without its reason or raw bytes"
# the poison did not block its batch: records of the same partition, near
# it in offset order, were written
for s in $POISON_SEQS; do
  [ "$(fl_q "select count(*) from journal j, journal p where p.job_id = $JOB and p.seq = $s
              and j.job_id = $JOB and j.partition = p.partition and j.outcome <> 'ERROR'
              and abs(j.kafka_offset - p.kafka_offset) <= 2")" -ge 1 ] || fl_fail "seq $s: no sound neighbour written"
done

# the dead-letter topic has every worker error, once, with its headers
# (kcat -f %h: name=value,... in the order the worker adds them)
kcat -b "$FL_BS" -C -t "$FL_DLQ" -o beginning -e -q -f '%h\n' >"$FL_T/dlq" 2>"$FL_T/kcat.log" ||
  fl_fail "kcat could not read $FL_DLQ"
[ "$(grep -c . "$FL_T/dlq")" -eq "$SINKERR" ] ||
  { cat "$FL_T/dlq" >&2; fl_fail "dead-letter topic has $(grep -c . "$FL_T/dlq") messages, expected $SINKERR"; }
fl_q "select seq, partition || '/' || kafka_offset, error_class, reason from journal
      where job_id = $JOB and outcome = 'ERROR' and partition >= 0 order by seq" |
while IFS='|' read -r seq src cls reason; do
  grep -qxF "job-id=$JOB,seq=$seq,source=$src,error-class=$cls,error=$reason" "$FL_T/dlq" ||
    { cat "$FL_T/dlq" >&2; fl_fail "seq $seq ($src, $cls) not in the dead-letter topic with its headers"; }
done
# the reader's rejects are the producer's report, and nothing else failed
grep -q "108 records read, $((N - REJ)) delivered, $REJ rejected" "$FL_T/produce.log" ||
  fl_fail "producer report: $(cat "$FL_T/produce.log")"
[ "$REJ" -ge 1 ] || fl_fail "the reader rejected none of $BAD"
[ "$SINKERR" -eq 3 ] || fl_fail "$SINKERR worker errors, expected the 3 unmappable records"
fl_check 1 $N "$JOB" $((REJ + 3))
