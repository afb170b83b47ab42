#!/bin/bash
# File: tests/fault/hang_rank.sh
#
# Fault test: SIGSTOP a non-zero rank of a 3-rank run (a hung peer: its sockets stay open,
# so nothing but silence shows). The controller's heartbeat notices within
# runtime.heartbeat_timeout_s and ends the job with a message naming the rank, long before
# the step deadline (set far higher here so that only the heartbeat can end the job).
#   usage: hang_rank.sh LEADRL CONFIG OUT
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"

victim=$((1 + RANDOM % 2))
mpi 3 "$leadrl" train "$config" trainer.total_steps=200 trainer.progress=false \
  trainer.log_jsonl="$out/run.jsonl" trainer.snapshot_dir="$out/snap" \
  runtime.collective_timeout_s=600 runtime.step_timeout_s=600 \
  runtime.heartbeat_timeout_s=6 >"$out/run.log" 2>&1 &
job=$!
has_steps() { [ "$(lines_of "$out/run.jsonl")" -ge 2 ]; }
wait_until 90 has_steps || { kill "$job"; die "run did not reach step 2"; }
pid=$(rank_pid "$victim" "$out/snap")
[ -n "$pid" ] || { kill "$job"; die "no process for rank $victim"; }
kill -STOP "$pid"
stopped=$(date +%s.%N)
echo "stopped rank $victim (pid $pid)"
ended() { ! kill -0 "$job" 2>/dev/null; }
if ! wait_until 120 ended; then
  kill -CONT "$pid"
  kill "$job"
  die "the job was still running 120 s after rank $victim stopped"
fi
wait "$job"
rc=$?
took=$(python3 -c "import sys,time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$stopped")
kill -CONT "$pid" 2>/dev/null
kill -KILL "$pid" 2>/dev/null
[ "$rc" -ne 0 ] || die "the job exited 0 with a stopped rank"
grep -q "rank $victim did not answer a heartbeat" "$out/run.log" ||
  { cat "$out/run.log"; die "no heartbeat message naming rank $victim"; }
echo "PASS: stopped rank $victim ended the job in $took s (exit $rc)"
