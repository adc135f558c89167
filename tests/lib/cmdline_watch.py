#!/usr/bin/env python3
"""cmdline_watch.py: watch the process list for a secret while an import runs.

    WATCH_SECRET=S cmdline_watch.py OUTDIR TENANT [--until PID] [--workers-only]

Reads every /proc/PID/cmdline every 10 ms (a worker of a small import may
live for well under a second) and writes, in OUTDIR:
  ps.ready   after the first full pass: start the import once it exists;
  ps.worker  "seen" once a `marcpipe work` process with TENANT among its
             arguments was listed (so the sampling saw what it had to);
  ps.leak    one line per distinct command line that holds S.
The secret comes from the environment so that this process's own command
line does not hold it. With --until PID it stops when PID has exited (or
is a zombie); else when it is killed. --workers-only counts only workers'
command lines as leaks (an import's own arguments are what its user typed,
and a child between fork and exec still shows them), and skips PID.
Shared by the secrets checks of integration/bad_input and kafka_sasl.
"""
import os
import sys
import time

secret = os.environ["WATCH_SECRET"]
out, tenant = sys.argv[1], sys.argv[2]
until = int(sys.argv[sys.argv.index("--until") + 1]) if "--until" in sys.argv else None
workers_only = "--workers-only" in sys.argv
me = os.getpid()


def alive(pid):  # it may exit between any two reads
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


seen, leaks, ready = False, set(), False
with open(f"{out}/ps.leak", "a") as leak:
    while until is None or alive(until):
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == me or (workers_only and int(d) == until):
                continue
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    args = f.read().decode(errors="replace").split("\0")
            except OSError:  # gone between the listing and the read
                continue
            worker = "work" in args[1:2] and tenant in args
            if worker and not seen:
                seen = True
                with open(f"{out}/ps.worker", "w") as f:
                    f.write("seen\n")
            line = " ".join(args).strip()
            if secret in line and (worker or not workers_only) and line not in leaks:
                leaks.add(line)
                leak.write(line + "\n")
                leak.flush()
        if not ready:
            open(f"{out}/ps.ready", "w").close()
            ready = True
        time.sleep(0.01)
