#!/usr/bin/env python3
"""circ_verdict.py: the exactly-once verdict of circulation (circ.bash).

Inputs: the events file that was produced (once per job), the generator's
oracle, the blocks service's summaries (`marcpipe circ summary`), the
audit log's event ids, the blocks service's applied count, the services'
progress per job and the count of invalid messages. Prints one line and
exits 1 on any difference, naming the first patrons that differ."""
import argparse
import json
import sys

ap = argparse.ArgumentParser()
for a in ("name", "events", "oracle", "summary", "audit", "applied",
          "progress", "invalid"):
    ap.add_argument("--" + a, required=True)
ap.add_argument("--jobs", nargs="+", type=int, required=True)
ap.add_argument("-q", action="store_true")
o = ap.parse_args()

lines = [json.loads(l) for l in open(o.events) if l.strip()]
ids = {e["eventId"] for e in lines}
oracle = json.load(open(o.oracle))
want = {p["userId"]: p for p in oracle["patrons"]}
got = {}
for l in open(o.summary):
    s = json.loads(l)
    got[s["userId"]] = s
audit = [l.strip() for l in open(o.audit) if l.strip()]
applied = int(open(o.applied).read())
invalid = int(open(o.invalid).read())
progress = {}
for l in open(o.progress):
    svc, job, n = l.strip().split("|")
    progress[(svc, int(job))] = int(n)

why = []
if oracle["events"] != len(lines) or oracle["unique_events"] != len(ids):
    why.append("the oracle does not describe the events file")
bad = sorted(u for u in set(want) | set(got) if want.get(u) != got.get(u))
if bad:
    why.append("%d patrons differ from the oracle (first: %s: got %s, want %s)"
               % (len(bad), bad[0], json.dumps(got.get(bad[0])),
                  json.dumps(want.get(bad[0]))))
lost = len(ids - set(audit))
dup = len(audit) - len(set(audit))
extra = len(set(audit) - ids)
if lost or dup or extra:
    why.append("audit: %d lost, %d twice, %d unknown" % (lost, dup, extra))
if applied != len(ids):
    why.append("blocks applied %d events, want %d" % (applied, len(ids)))
for svc in ("blocks", "audit"):
    for job in o.jobs:
        n = progress.get((svc, job), 0)
        if n != len(lines):
            why.append("%s counted %d messages of job %d, want %d"
                       % (svc, n, job, len(lines)))
if invalid:
    why.append("%d invalid messages" % invalid)
if not o.q or why:
    print("scenario %s: events sent %d (unique %d), patrons %d equal to the "
          "oracle, audit rows %d, lost %d, duplicated %d"
          % (o.name, len(lines) * len(o.jobs), len(ids), len(want) - len(bad),
             len(audit), lost, dup))
for w in why:
    print("  " + w, file=sys.stderr)
sys.exit(1 if why else 0)
