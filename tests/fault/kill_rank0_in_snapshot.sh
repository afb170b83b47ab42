#!/bin/bash
# File: tests/fault/kill_rank0_in_snapshot.sh
#
# Fault test: SIGKILL rank 0 while it writes a snapshot. The test-only LD_PRELOAD shim
# (stop_before_rename.c) stops rank 0 after step 4's snapshot is written as
# step_000004.h5.tmp and before it is renamed into place; the test then SIGKILLs it there.
# The supervised restart must name the torn .tmp as skipped, resume from step 2's
# snapshot, and end with the reference run's final parameters and metrics log.
#   usage: kill_rank0_in_snapshot.sh LEADRL CONFIG OUT REF_DIR SHIM
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3 ref=$4 shim=$5
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
ref_sum=$(final_checksum "$ref/ref.log")
[ -n "$ref_sum" ] || die "no reference checksum in $ref/ref.log (fixture fault.reference)"
[ -f "$shim" ] || die "no shim library $shim"
marker="$out/stopped_in_write"

"$leadrl" launch --max-restarts 2 --restart-delay 0 --log "$out/launch.log" -- \
  mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp \
  --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo -x OMP_NUM_THREADS=1 \
  -x LD_PRELOAD="$shim" -x LEADRL_FAULT_STOP_RANK=0 -x LEADRL_FAULT_STOP_MARKER="$marker" \
  -x LEADRL_FAULT_STOP_MATCH=step_000004.h5.tmp -np 3 \
  "$leadrl" train "$config" $(fault_run_options) trainer.snapshot_dir="$out/snap" \
  trainer.log_jsonl="$out/run.jsonl" >"$out/run.out" 2>"$out/run.log" &
launcher=$!

wait_until 60 test -s "$marker" || { kill "$launcher"; die "rank 0 never reached the write window"; }
torn=$(cat "$marker")
[ -f "$torn" ] || { kill "$launcher"; die "no $torn while rank 0 is stopped in the write"; }
[ ! -f "$out/snap/step_000004.h5" ] || { kill "$launcher"; die "step 4's snapshot already in place"; }
pid=$(rank_pid 0 "$out/snap")
[ -n "$pid" ] || { kill "$launcher"; die "no process for rank 0"; }
kill -KILL "$pid"
echo "killed rank 0 (pid $pid) inside the write of $torn"

wait "$launcher"
rc=$?
cat "$out/launch.log"
[ "$rc" -eq 0 ] || die "leadrl launch exited with $rc: $(tail -n 8 "$out/run.log")"
grep -q "attempt 1 failed" "$out/launch.log" || die "attempt 1 did not fail"
grep -q "attempt 2 succeeded" "$out/launch.log" || die "no successful attempt 2"
grep "skipped .*step_000004.h5.tmp" "$out/run.log" || die "the torn snapshot was not reported"
grep "resuming from .*step_000002.h5" "$out/run.log" || die "did not resume from step 2's snapshot"

sum=$(final_checksum "$out/run.log")
echo "final parameter checksum: reference $ref_sum, killed+resumed $sum"
[ "$sum" = "$ref_sum" ] || die "final parameters differ from the uninterrupted run"
metrics_without_timing "$ref/ref.jsonl" >"$out/ref.metrics"
metrics_without_timing "$out/run.jsonl" >"$out/run.metrics"
diff "$out/ref.metrics" "$out/run.metrics" >"$out/metrics.diff" ||
  die "metrics log differs from the uninterrupted run: $(head -c 600 "$out/metrics.diff")"
echo "PASS: rank 0 killed while writing step 4's snapshot; resumed from step 2"
