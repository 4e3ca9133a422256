#!/usr/bin/env bash
# Diagnostic (issue 17, session 26), not a setting for users: run one command with the kernel's
# dirty-page thresholds raised, then put the old values back (also if the command fails):
#   benches/scripts/with-dirty-thresholds.sh BACKGROUND_RATIO RATIO COMMAND...
# e.g. `sudo benches/scripts/with-dirty-thresholds.sh 40 60 target/release/heapscope analyze -q DUMP`
# beside the same command without it (sidebyside.py): how long a run waits on the writeback of its
# spill files once more than vm.dirty_background_ratio of memory is dirty
# (benches/scripts/hprof/RESULTS.md, session 26). Needs write access to /proc/sys/vm.
set -uo pipefail
bg=$1; hard=$2; shift 2
old_bg=$(cat /proc/sys/vm/dirty_background_ratio)
old_hard=$(cat /proc/sys/vm/dirty_ratio)
restore() {
  echo "$old_hard" > /proc/sys/vm/dirty_ratio
  echo "$old_bg" > /proc/sys/vm/dirty_background_ratio
}
trap restore EXIT
echo "$hard" > /proc/sys/vm/dirty_ratio || exit 1
echo "$bg" > /proc/sys/vm/dirty_background_ratio || exit 1
"$@"
