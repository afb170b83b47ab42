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

# The mpirun options the loopback tests need (also for `timeout ... mpirun "${mpi_options[@]}"`,
# where a shell function cannot run).
mpi_options=(--allow-run-as-root --oversubscribe --mca btl self,vader,tcp
  --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1)

# mpirun with those options; usage: mpi NP COMMAND...
mpi() {
  local np=$1
  shift
  mpirun "${mpi_options[@]}" -np "$np" "$@"
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
# figures, which differ run to run) nor those under any further PREFIX given, so that two
# runs' logs can be compared; usage: metrics_without_timing FILE [PREFIX...]
metrics_without_timing() {
  python3 -c '
import json, sys
skip = ("timing/", "throughput/", *sys.argv[2:])
for line in open(sys.argv[1]):
    row = json.loads(line)
    print(json.dumps({k: v for k, v in row.items() if not k.startswith(skip)}, sort_keys=True))
' "$@"
}

# True when FILE has at least N lines; usage: wait_until 60 has_lines FILE N
has_lines() {
  [ "$(lines_of "$1")" -ge "$2" ]
}

# Starts, in the background, `leadrl launch` (2 restarts, no delay) over a 3-rank train
# run with fault_run_options, snapshots in OUT/snap, metrics in OUT/run.jsonl, stderr in
# OUT/run.log; MPIRUN_ARGS go to mpirun (e.g. -x VAR=value). Sets $launcher.
# usage: start_supervised_run LEADRL CONFIG OUT [MPIRUN_ARGS...]
start_supervised_run() {
  local leadrl=$1 config=$2 out=$3
  shift 3
  "$leadrl" launch --max-restarts 2 --restart-delay 0 --log "$out/launch.log" -- \
    mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp \
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1 "$@" -np 3 \
    "$leadrl" train "$config" $(fault_run_options) trainer.snapshot_dir="$out/snap" \
    trainer.log_jsonl="$out/run.jsonl" >"$out/run.out" 2>"$out/run.log" &
  launcher=$!
}

# Waits for $launcher and checks that the supervised run in OUT recovered: leadrl launch
# exits 0 after a failed first attempt and a resumed second one, and the final parameter
# checksum and metrics log (wall-clock figures aside) equal the reference run's in REF.
# usage: check_recovered OUT REF
check_recovered() {
  local out=$1 ref=$2 rc sum ref_sum
  wait "$launcher"
  rc=$?
  cat "$out/launch.log"
  [ "$rc" -eq 0 ] || die "leadrl launch exited with $rc: $(tail -n 8 "$out/run.log")"
  grep -q "attempt 1 failed" "$out/launch.log" || die "attempt 1 did not fail (the kill missed?)"
  grep -q "attempt 2 succeeded" "$out/launch.log" || die "no successful attempt 2"
  grep -q -- "attempt 2/3 starting: .* --resume auto$" "$out/launch.log" ||
    die "the restart did not add --resume auto"
  grep "resuming from" "$out/run.log" || die "the restarted run did not resume from a snapshot"
  ref_sum=$(final_checksum "$ref/ref.log")
  sum=$(final_checksum "$out/run.log")
  echo "final parameter checksum: reference $ref_sum, killed+resumed $sum"
  [ -n "$sum" ] && [ "$sum" = "$ref_sum" ] || die "final parameters differ from the uninterrupted run"
  metrics_without_timing "$ref/ref.jsonl" >"$out/ref.metrics"
  metrics_without_timing "$out/run.jsonl" >"$out/run.metrics"
  diff "$out/ref.metrics" "$out/run.metrics" >"$out/metrics.diff" ||
    die "metrics log differs from the uninterrupted run: $(head -c 600 "$out/metrics.diff")"
}
