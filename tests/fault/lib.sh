# File: tests/fault/lib.sh
#
# Shared pieces of the fault tests (tests/fault/*.sh, run by ctest): mpirun on loopback,
# finding one rank's pid, waiting with a bound, and reading train's final checksum.
# Sourced, not run:   . "$(dirname "$0")/lib.sh"
# Each test passes its own OUT directory (unique per ctest test) so that concurrent
# tests neither share files nor find each other's ranks: OUT is part of every command
# line, which is how rank_pid tells this test's ranks from others.

set -u

die() {
  echo "FAIL: $*" >&2
  exit 1
}

# mpirun with the options the loopback tests need; usage: mpi NP COMMAND...
mpi() {
  local np=$1
  shift
  mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp \
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1 \
    -np "$np" "$@"
}

# The pid of the process whose command line contains MARKER and whose environment has
# OMPI_COMM_WORLD_RANK=RANK (mpirun and leadrl launch have none); empty when there is
# none. usage: rank_pid RANK MARKER
rank_pid() {
  local rank=$1 marker=$2 p
  for p in $(pgrep -f -- "$marker"); do
    if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then
      echo "$p"
      return 0
    fi
  done
  return 0
}

# Waits up to SECONDS for the shell condition to hold; usage: wait_until SECONDS COND...
wait_until() {
  local limit=$1
  shift
  local end=$(($(date +%s) + limit))
  while ! "$@"; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.05
  done
}

# Number of lines of FILE (0 when missing).
lines_of() {
  if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# The final parameter checksum train printed to the log FILE (last one).
final_checksum() {
  sed -n 's/.*final parameter checksum \([0-9a-f]*\).*/\1/p' "$1" | tail -n 1
}

# The run every fault test makes (and the reference run): 8 steps of 3 ranks with a
# snapshot every 2 steps. A killed rank ends the job through mpirun within seconds; the
# deadlines only bound a hang, and leave room for a loaded 2-core test machine.
FAULT_TOTAL_STEPS=8
fault_run_options() {
  echo trainer.total_steps=$FAULT_TOTAL_STEPS trainer.save_freq=2 trainer.keep_last=3 \
    trainer.progress=true runtime.collective_timeout_s=30 runtime.step_timeout_s=60
}

# Metrics lines of a jsonl log without the timing/* and throughput/* entries (wall-clock
# figures, which differ run to run),
# so that two runs' logs can be compared; usage: metrics_without_timing FILE
metrics_without_timing() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    row = json.loads(line)
    print(json.dumps({k: v for k, v in row.items() if not k.startswith(("timing/", "throughput/"))}, sort_keys=True))
' "$1"
}

# True when FILE has at least N lines; usage: wait_until 60 has_lines FILE N
has_lines() {
  [ "$(lines_of "$1")" -ge "$2" ]
}
