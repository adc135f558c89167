#!/usr/bin/env bash
# import_stuck_worker.sh: a frozen worker of fixed shares (--assign share,
# the embedded broker's default) is found silent, killed and restarted;
# the job completes exactly once (import_stuck.bash).
STUCK_ASSIGN=share
. "$(dirname "$0")/import_stuck.bash"
