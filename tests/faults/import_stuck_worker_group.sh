#!/usr/bin/env bash
# import_stuck_worker_group.sh: a frozen worker of a consumer group
# (--assign group, the default with -b) loses its partitions to the other
# worker and is SIGKILLed after the stop's grace period; the job completes
# exactly once (import_stuck.bash).
STUCK_ASSIGN=group
. "$(dirname "$0")/import_stuck.bash"
