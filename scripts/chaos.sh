#!/usr/bin/env bash
# Chaos loop: N supervised 3-rank training runs (`leadrl launch` over mpirun), each hit by
# one random fault, each checked against an uninterrupted reference run of the same
# configuration: the same final parameter checksum and the same metrics log (wall-clock
# figures and snapshot/* counters aside).
#   scripts/chaos.sh N [OUT_DIR] [SEED]     (defaults: out/chaos, seed 1)
# Needs a build (build/leadrl and the test shims in build/tests; set LEADRL_BUILD to use
# another build folder). The faults, drawn uniformly:
#   kill        SIGKILL of a random rank once a random number (1-7) of steps is logged
#   kill_write  SIGKILL of rank 0 inside a snapshot write (held before the rename by the
#               stop_before_rename shim) at a random snapshot step (2, 4 or 6)
#   stop        SIGSTOP of a random non-zero rank after 1-7 steps: the heartbeat ends the job
#   disk_full   no free space at a random snapshot step: reported, training goes on
#   write_error EIO while rank 0 writes a random snapshot: the job ends, a restart resumes
#   resize      SIGKILL of a random rank under `leadrl launch --ranks 3,2 --shrink-after 1`:
#               the restart runs on 2 ranks from the newest snapshot; its reference is a
#               2-rank resume from that snapshot relabelled as written by 2 ranks
#               (tests/support/relabel_snapshot.cpp), i.e. the new-size continuation
# (The resize reference is a resume, not a run from step 0: runs of different sizes are not
# bit-identical from the start, since gradient sums group differently.)
# Prints one line per run and a summary: recovered / total, mean and max seconds from the
# fault to the next completed step, and every run that did not recover with its cause.
# Exit code 0 when every run recovered, 1 otherwise, 2 for bad usage.
set -u
n=${1:-}
if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ]; then
  echo "usage: scripts/chaos.sh N [OUT_DIR] [SEED]   (N >= 1 runs)" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=${2:-$root/out/chaos}
RANDOM=${3:-1}
build=${LEADRL_BUILD:-$root/build}
leadrl=$build/leadrl
config=$root/configs/arith_tiny_lead.ini
stop_shim=$build/tests/libleadrl_fault_stop_before_rename.so
write_shim=$build/tests/libleadrl_fault_fail_write.so
relabel=$build/tests/leadrl_relabel_snapshot
for f in "$leadrl" "$stop_shim" "$write_shim" "$relabel"; do
  [ -e "$f" ] || { echo "chaos.sh: $f not found (build the project first)" >&2; exit 2; }
done
. "$root/tests/fault/lib.sh"
mkdir -p "$out" || exit 2

# Every stderr line of a run, prefixed with the time it was written (s since the epoch).
stamp() {
  python3 -u -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), line))
'
}

# Metrics lines without wall-clock figures and snapshot/* counters (a failed snapshot is
# counted in the run that survived it, not in the reference).
comparable_metrics() { metrics_without_timing "$1" snapshot/; }

# Every snapshot is kept (keep_last 8), so that a resize's reference can start from the
# one the restart resumed from.
opts() {
  echo $(fault_run_options | sed 's/trainer.keep_last=[0-9]*/trainer.keep_last=8/') \
    runtime.heartbeat_timeout_s=5
}

# The new-size reference of a resized run in DIR that resumed from step K's snapshot at 2
# ranks: that snapshot relabelled as written by 2 ranks, resumed at 2 ranks; prints "" on
# success or the cause.
resize_reference() {
  local dir=$1 k=$2 refdir=$1/new_size_reference
  local from
  from=$(printf '%s/snap/step_%06d.h5' "$dir" "$k")
  mkdir -p "$refdir/in"
  "$relabel" "$from" "$(printf '%s/in/step_%06d.h5' "$refdir" "$k")" 2 >/dev/null 2>&1 ||
    { echo "cannot relabel $from"; return; }
  python3 - "$dir/run.jsonl" "$k" >"$refdir/run.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if json.loads(line)["step"] <= int(sys.argv[2]):
        sys.stdout.write(line)
PY
  mpi 2 "$leadrl" train "$config" $(opts) trainer.snapshot_dir="$refdir/snap" \
    trainer.log_jsonl="$refdir/run.jsonl" --resume "$(printf '%s/in/step_%06d.h5' "$refdir" "$k")" \
    >"$refdir/run.out" 2>"$refdir/run.log" || { echo "the new-size reference run failed"; return; }
  echo ""
}

echo "chaos: reference run (3 ranks, $FAULT_TOTAL_STEPS steps)"
ref=$out/reference
rm -rf "$ref" && mkdir -p "$ref"
mpi 3 "$leadrl" train "$config" $(opts) trainer.snapshot_dir="$ref/snap" \
  trainer.log_jsonl="$ref/run.jsonl" >"$ref/run.out" 2>"$ref/run.log" ||
  { echo "chaos.sh: the reference run failed: $(tail -n 3 "$ref/run.log")" >&2; exit 1; }
ref_sum=$(final_checksum "$ref/run.log")
comparable_metrics "$ref/run.jsonl" >"$ref/metrics"
echo "chaos: reference final checksum $ref_sum"

faults=(kill kill_write stop disk_full write_error resize)
recovered=0
delays=()
failures=()
for ((i = 1; i <= n; i++)); do
  dir=$out/run_$i
  rm -rf "$dir" && mkdir -p "$dir"
  fault=${faults[RANDOM % ${#faults[@]}]}
  snap_step=$((2 * (1 + RANDOM % 3)))  # 2, 4 or 6
  after=$((1 + RANDOM % 7))
  victim=$((RANDOM % 3))
  mpi_extra=()
  launch_extra=()
  np=3
  case $fault in
    resize) launch_extra=(--ranks 3,2 --shrink-after 1); np="{ranks}"; victim=$((RANDOM % 3)) ;;
    kill_write) mpi_extra=(-x LD_PRELOAD="$stop_shim" -x LEADRL_FAULT_STOP_RANK=0
                  -x LEADRL_FAULT_STOP_MARKER="$dir/stopped" -x
                  LEADRL_FAULT_STOP_MATCH="$(printf 'step_%06d.h5.tmp' "$snap_step")") ;;
    disk_full) mpi_extra=(-x LD_PRELOAD="$write_shim" -x LEADRL_FAULT_FULL_CALLS=$((snap_step / 2))
                 -x LEADRL_FAULT_FULL_MATCH="$dir/snap") ;;
    write_error) mpi_extra=(-x LD_PRELOAD="$write_shim" -x LEADRL_FAULT_WRITE_ERRNO=EIO
                   -x LEADRL_FAULT_WRITE_MATCH="$(printf 'step_%06d.h5' "$snap_step")"
                   -x LEADRL_FAULT_WRITE_AFTER=1 -x LEADRL_FAULT_WRITE_ONCE="$dir/failed_once") ;;
    stop) victim=$((1 + RANDOM % 2)) ;;
  esac
  (
    "$leadrl" launch --max-restarts 2 --restart-delay 0 --log "$dir/launch.log" \
      "${launch_extra[@]}" -- \
      mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp \
      --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1 \
      "${mpi_extra[@]}" -np "$np" "$leadrl" train "$config" $(opts) \
      trainer.snapshot_dir="$dir/snap" trainer.log_jsonl="$dir/run.jsonl" 2>&1 >"$dir/run.out" |
      stamp >"$dir/run.log"
    echo "${PIPESTATUS[0]}" >"$dir/rc"
  ) &
  launcher=$!
  t_fault=""
  what=""
  case $fault in
    kill | stop | resize)
      if wait_until 120 has_lines "$dir/run.jsonl" "$after"; then
        pid=$(rank_pid "$victim" "$dir/snap")
        if [ -n "$pid" ]; then
          [ "$fault" = stop ] && kill -STOP "$pid" || kill -KILL "$pid"
          t_fault=$(date +%s.%N)
          what="${fault/resize/kill} rank $victim after step $after"
        fi
      fi ;;
    kill_write)
      if wait_until 120 test -s "$dir/stopped"; then
        pid=$(rank_pid 0 "$dir/snap")
        if [ -n "$pid" ]; then
          kill -KILL "$pid"
          t_fault=$(date +%s.%N)
          what="kill rank 0 inside the write of step $snap_step"
        fi
      fi ;;
    disk_full) what="disk full at step $snap_step's snapshot" ;;
    write_error) what="EIO in step $snap_step's snapshot write" ;;
  esac
  wait "$launcher"
  rc=$(cat "$dir/rc" 2>/dev/null || echo 255)
  # Faults injected inside the process: the time of the failure message.
  if [ -z "$t_fault" ] && [ -n "$what" ]; then
    t_fault=$(grep -m1 "snapshot of step $snap_step not written" "$dir/run.log" | cut -d' ' -f1)
  fi
  sum=$(final_checksum "$dir/run.log")
  expect_sum=$ref_sum
  expect_metrics=$ref/metrics
  cause=""
  if [ "$fault" = resize ] && [ -n "$t_fault" ] && [ "$rc" -eq 0 ]; then
    k=$(sed -n 's/.*resuming from .*(step \([0-9]*\), written by 3 rank(s), continued on 2).*/\1/p' \
      "$dir/run.log" | tail -n 1)
    if [ -z "$k" ]; then
      cause="the restart did not resume on 2 ranks"
    else
      cause=$(resize_reference "$dir" "$k")
      expect_sum=$(final_checksum "$dir/new_size_reference/run.log")
      comparable_metrics "$dir/new_size_reference/run.jsonl" >"$dir/new_size_reference/metrics"
      expect_metrics=$dir/new_size_reference/metrics
      what="$what (3 -> 2 ranks from step $k)"
    fi
  fi
  if [ -z "$t_fault" ]; then
    cause="the fault was not injected ($fault)"
  elif [ "$rc" -ne 0 ]; then
    cause="leadrl launch exited $rc: $(grep -v '^\s*$' "$dir/run.log" | tail -n 2 | cut -c1-200 | tr '\n' ' ')"
  elif [ -n "$cause" ]; then
    :
  elif [ "$sum" != "$expect_sum" ]; then
    cause="final checksum $sum, reference $expect_sum"
  elif ! comparable_metrics "$dir/run.jsonl" | diff -q - "$expect_metrics" >/dev/null; then
    cause="metrics log differs from the reference"
  fi
  # Fault -> the first step completed after it (a progress line stamped later).
  # (A full disk is reported inside the step whose snapshot failed: the next step counts.)
  skip=""
  [ "$fault" = disk_full ] && skip="$snap_step/$FAULT_TOTAL_STEPS"
  delay=$(awk -v t="$t_fault" -v skip="$skip" \
    '$2 == "step" && $1 > t && $3 != skip { printf "%.2f", $1 - t; exit }' "$dir/run.log")
  attempts=$(grep -c "starting:" "$dir/launch.log" 2>/dev/null)
  if [ -z "$cause" ]; then
    recovered=$((recovered + 1))
    [ -n "$delay" ] && delays+=("$delay")
    echo "run $i/$n: $what: recovered, $attempts attempt(s), next step ${delay:-?} s after the fault"
  else
    failures+=("run $i ($what): $cause")
    echo "run $i/$n: $what: NOT RECOVERED: $cause"
  fi
done

summary=$(printf '%s\n' "${delays[@]:-}" | awk 'NF { s += $1; if ($1 > m) m = $1; k++ }
  END { if (k) printf "mean %.2f s, max %.2f s over %d runs", s / k, m, k; else print "none" }')
echo "chaos: $recovered/$n runs recovered; fault to next completed step: $summary"
for f in "${failures[@]:-}"; do [ -n "$f" ] && echo "  not recovered: $f"; done
[ "$recovered" -eq "$n" ]
