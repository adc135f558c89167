#!/usr/bin/env bash
# import_progress_tty.sh: the progress line of `marcpipe import` in a
# pseudo-terminal of 80 (then 50) columns: every redraw fits the width
# (never wraps), shows the elapsed time and done/total, a phase word while
# nothing is committed ("taking partitions", the embedded broker's fixed
# shares, or "joining group" / "waiting for first batch"), while the total
# is unknown a share of the whole file (estimated from its bytes read), and
# ends at 2000/2000 100%; with stderr a file, plain lines without control
# characters, at most one a minute. Real data: the 2,000-record UVA sample.
# Env (from ctest): MARCPIPE, MP_TEST_DATA, PG*.
source "$(dirname "$0")/lib/import_lib.bash"
it_setup cli_progress
F="$MP_TEST_DATA/iso2709/solrmarc--uva_001_2000.mrc"

for cols in 80 50; do
  psql -XAtq -c "DROP SCHEMA IF EXISTS ${T}_marcpipe CASCADE" >/dev/null 2>&1
  python3 - "$cols" "$MARCPIPE" "$T" "$F" "$TMP/pty.$cols" <<'EOF' || it_fail "pty run ($cols columns)"
import fcntl, os, pty, struct, sys, termios
cols, exe, tenant, path, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
pid, fd = pty.fork()
if pid == 0:
    os.execv(exe, [exe, "import", "--tenant", tenant, path])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
open(out, "wb").write(data)
sys.exit(os.waitstatus_to_exitcode(status))
EOF
  python3 - "$cols" "$TMP/pty.$cols" <<'EOF' || it_fail "progress line in $cols columns"
import re, sys
cols, data = int(sys.argv[1]), open(sys.argv[2], "rb").read().decode()
# a redraw is "\r" + line + "\x1b[K"; the pty turns "\n" into "\r\n"
draws = [d for d in re.findall(r"\r([^\r\n]*)\x1b\[K", data)]
assert len(draws) >= 2, "fewer than two redraws: %r" % data[:300]
for d in draws:
    assert len(d) <= cols - 1, "%d chars in %d columns: %r" % (len(d), cols, d)
    assert re.match(r"(\[[#.]+\] )?\d+:\d\d \d+/\d+\+? \d+% ", d), "bad line %r" % d
phases = [d for d in draws if any(p in d for p in
          ("taking partitions", "joining group", "waiting for first batch"))]
assert phases, "no phase word before the first commit: %r" % draws[:3]
assert "2000/2000 100%" in draws[-1], "last redraw %r" % draws[-1]
# while the total is unknown ("done/read+") the share shown is of the whole
# file, estimated from its bytes read: never above the share of the records
# read (slack for records of unequal size), never 100%
for d in draws:
    m = re.search(r" (\d+)/(\d+)\+ (\d+)% ", d)
    if m:
        done, read, pct = map(int, m.groups())
        assert pct < 100, "%r: 100%% before the total is known" % d
        assert pct <= 1.5 * 100 * read / 2000 + 1, "%r: more than the share of the file read" % d
assert any(" rec/s" in d for d in draws), "no rate shown"
if cols == 80:
    assert draws[-1].startswith("["), "no bar in 80 columns: %r" % draws[-1]
print("%d redraws in %d columns, longest %d" % (len(draws), cols, max(map(len, draws))))
EOF
done

# not a terminal: plain lines, no control characters, at most one a minute
psql -XAtq -c "DROP SCHEMA IF EXISTS ${T}_marcpipe CASCADE" >/dev/null 2>&1
timeout -k 10 120 "$MARCPIPE" import --json --tenant "$T" "$F" >"$TMP/out.json" 2>"$TMP/err.log" ||
  it_fail "import with stderr in a file"
grep -q $'\r\|\x1b' "$TMP/err.log" && it_fail "control characters in a log"
lines=$(grep -cE '^marcpipe import: [0-9]+:[0-9]{2} [0-9]+/[0-9]+' "$TMP/err.log")
elapsed=$(python3 -c 'import json,sys; print(int(json.loads(open(sys.argv[1]).read().splitlines()[-1])["elapsed_s"]))' "$TMP/out.json")
[ "$lines" -ge 1 ] && [ "$lines" -le $((1 + elapsed / 60 + 1)) ] ||
  it_fail "$lines progress lines in $elapsed s"
echo "import_progress_tty: ok ($lines plain line(s) in $elapsed s)"
