"""import_summary.py: checks shared by the import tests' inline Python.

The tests put this directory on sys.path (they pass it as an argument).
Each check returns a list of problems, empty when all is well.
"""
import json


def load(path):
    """The summary: the last line of `marcpipe import --json`."""
    return json.loads(open(path).read().splitlines()[-1])


def completed_exactly(s, n, nworkers):
    """COMPLETED, n records all created with no error, nworkers counter sets."""
    bad = []
    if s["status"] != "COMPLETED":
        bad.append(f"status {s['status']}")
    if (s["records"], s["created"], s["errors"]) != (n, n, 0):
        bad.append(f"records {s['records']} created {s['created']} errors {s['errors']}")
    if len(s["workers"]) != nworkers:
        bad.append(f"{len(s['workers'])} worker counter sets, want {nworkers}")
    return bad

