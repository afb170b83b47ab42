#!/bin/bash
# File: tests/fault/kill_rank.sh
#
# Fault test: SIGKILL a non-zero rank of a supervised 3-rank run at a random step after
# the first snapshot. Open MPI ends the job, `leadrl launch` restarts it with
# `--resume auto`, and the run completes with the same final parameters (checksum) and
# the same metrics log (timings aside) as the uninterrupted reference run.
#   usage: kill_rank.sh LEADRL CONFIG OUT REF_DIR
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3 ref=$4
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
ref_sum=$(final_checksum "$ref/ref.log")
[ -n "$ref_sum" ] || die "no reference checksum in $ref/ref.log (fixture fault.reference)"

victim=$((1 + RANDOM % 2))                         # rank 1 or 2
kill_after=$((3 + RANDOM % (FAULT_TOTAL_STEPS - 4))) # steps 3..6 logged (first snapshot: 2)
echo "killing rank $victim once $kill_after steps are logged"

"$leadrl" launch --max-restarts 2 --restart-delay 0 --log "$out/launch.log" -- \
  mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp \
  --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1 -np 3 \
  "$leadrl" train "$config" $(fault_run_options) trainer.snapshot_dir="$out/snap" \
  trainer.log_jsonl="$out/run.jsonl" >"$out/run.out" 2>"$out/run.log" &
launcher=$!

wait_until 60 has_lines "$out/run.jsonl" "$kill_after" || { kill "$launcher"; die "run did not reach step $kill_after"; }
pid=$(rank_pid "$victim" "$out/snap")
[ -n "$pid" ] || { kill "$launcher"; die "no process for rank $victim"; }
kill -KILL "$pid"
echo "killed rank $victim (pid $pid) at $(date -u +%H:%M:%S.%N)"

wait "$launcher"
rc=$?
cat "$out/launch.log"
[ "$rc" -eq 0 ] || die "leadrl launch exited with $rc: $(tail -n 8 "$out/run.log")"
grep -q "attempt 1 failed" "$out/launch.log" || die "attempt 1 did not fail (kill missed?)"
grep -q "attempt 2 succeeded" "$out/launch.log" || die "no successful attempt 2"
grep -q -- "--resume auto" "$out/launch.log" || die "the restart did not add --resume auto"
grep "resuming from" "$out/run.log" || die "the restarted run did not resume from a snapshot"

sum=$(final_checksum "$out/run.log")
echo "final parameter checksum: reference $ref_sum, killed+resumed $sum"
[ "$sum" = "$ref_sum" ] || die "final parameters differ from the uninterrupted run"
metrics_without_timing "$ref/ref.jsonl" >"$out/ref.metrics"
metrics_without_timing "$out/run.jsonl" >"$out/run.metrics"
diff "$out/ref.metrics" "$out/run.metrics" >"$out/metrics.diff" ||
  die "metrics log differs from the uninterrupted run: $(head -c 600 "$out/metrics.diff")"
echo "PASS: rank $victim killed after step $kill_after; resumed run equals the uninterrupted one"
