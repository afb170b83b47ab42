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
[ -n "$(final_checksum "$ref/ref.log")" ] || die "no reference checksum in $ref/ref.log (fixture fault.reference)"
[ -f "$shim" ] || die "no shim library $shim"
marker="$out/stopped_in_write"

start_supervised_run "$leadrl" "$config" "$out" -x LD_PRELOAD="$shim" \
  -x LEADRL_FAULT_STOP_RANK=0 -x LEADRL_FAULT_STOP_MARKER="$marker" \
  -x LEADRL_FAULT_STOP_MATCH=step_000004.h5.tmp

wait_until 60 test -s "$marker" || { kill "$launcher"; die "rank 0 never reached the write window"; }
torn=$(cat "$marker")
[ -f "$torn" ] || { kill "$launcher"; die "no $torn while rank 0 is stopped in the write"; }
[ ! -f "$out/snap/step_000004.h5" ] || { kill "$launcher"; die "step 4's snapshot already in place"; }
pid=$(rank_pid 0 "$out/snap")
[ -n "$pid" ] || { kill "$launcher"; die "no process for rank 0"; }
kill -KILL "$pid"
echo "killed rank 0 (pid $pid) inside the write of $torn"

check_recovered "$out" "$ref"
grep "skipped .*step_000004.h5.tmp: torn" "$out/run.log" || die "the torn snapshot was not reported"
grep -q "resuming from .*step_000002.h5 (step 2)" "$out/run.log" ||
  die "did not resume from step 2's snapshot"
echo "PASS: rank 0 killed while writing step 4's snapshot; resumed from step 2"
