#!/bin/bash
# File: scripts/fault_timing.sh
#
# Measures how a 3-rank run of the tiny arithmetic config reacts to a lost rank
# (ARCHITECTURE.md §5): seconds from SIGKILL of rank 1 until mpirun has ended the job,
# from SIGSTOP of rank 1 (a hung rank) until the deadlines end it, and, under
# `leadrl launch`, from SIGKILL of rank 1 until the restarted job completes its first step.
#   usage: scripts/fault_timing.sh [BUILD_DIR] [OUT_DIR] [key=value ...]
#   e.g.   scripts/fault_timing.sh build /tmp/fault_timing runtime.collective_timeout_s=10
# Extra key=value arguments go to every train command (e.g. the two runtime deadlines).
# FAULT_TIMING_CASES picks and repeats cases (default "kill hang restart").
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/fault/lib.sh"
build=${1:-build}
out=${2:-/tmp/leadrl_fault_timing}
shift 2 2>/dev/null
extra=("$@")
leadrl=$(cd "$build" && pwd)/leadrl
config=$here/configs/arith_tiny_lead.ini
rm -rf "$out" && mkdir -p "$out"
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

# detect CASE SIGNAL: run, hit rank 1 with SIGNAL after 3 logged steps, time the end.
detect() {
  local name=$1 sig=$2 dir="$out/$1"
  mkdir -p "$dir"
  mpi 3 "$leadrl" train "$config" trainer.total_steps=200 trainer.log_jsonl="$dir/run.jsonl" \
    trainer.progress=false "${extra[@]}" >/dev/null 2>"$dir/run.log" &
  local job=$!
  wait_until 120 has_lines "$dir/run.jsonl" 3 || die "$name: no progress"
  local pid
  pid=$(rank_pid 1 "$dir/run.jsonl")
  local t0
  t0=$(now)
  kill -"$sig" "$pid"
  wait "$job"
  local rc=$? t1
  t1=$(now)
  echo "$name: SIG$sig to rank 1 -> job ended (mpirun exit $rc) after $(since "$t0" "$t1") s"
  grep -h 'leadrl train\|noticed\|deadline\|timed out' "$dir/run.log" | head -n 3 | sed 's/^/    /'
}

# Supervised: SIGKILL rank 1 after step 3 (snapshot at step 2), time to the restarted
# job's first completed step (its first progress line after "resuming from").
restart() {
  local dir="$out/restart$1"
  mkdir -p "$dir"
  "$leadrl" launch --max-restarts 1 --restart-delay 0 --log "$dir/launch.log" -- \
    mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp \
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1 -np 3 \
    "$leadrl" train "$config" trainer.total_steps=8 trainer.save_freq=2 trainer.progress=true \
    trainer.snapshot_dir="$dir/snap" trainer.log_jsonl="$dir/run.jsonl" "${extra[@]}" \
    >/dev/null 2>"$dir/run.log" &
  local launcher=$!
  wait_until 120 has_lines "$dir/run.jsonl" 3 || die "restart: no progress"
  local pid t0 t1 t2
  pid=$(rank_pid 1 "$dir/snap")
  t0=$(now)
  kill -KILL "$pid"
  failed() { grep -q "attempt 1 failed" "$dir/run.log"; }
  resumed_step() {
    awk '/resuming from/ {r = 1} r && /^step [0-9]+\// {found = 1} END {exit !found}' "$dir/run.log"
  }
  wait_until 180 failed || die "restart: attempt 1 did not end"
  t1=$(now)
  wait_until 180 resumed_step || die "restart: no step after resuming"
  t2=$(now)
  wait "$launcher"
  echo "restart: SIGKILL to rank 1 -> job ended after $(since "$t0" "$t1") s," \
    "restarted job's first step done after $(since "$t0" "$t2") s (launch exit $?)"
  grep 'resuming from' "$dir/run.log" | sed 's/^/    /'
}

n=0
for c in ${FAULT_TIMING_CASES:-kill hang restart}; do
  n=$((n + 1))
  case $c in
    kill) detect "kill$n" KILL ;;
    hang) detect "hang$n" STOP ;;
    restart) restart "$n" ;;
    *) die "unknown case $c (kill, hang or restart)" ;;
  esac
done
