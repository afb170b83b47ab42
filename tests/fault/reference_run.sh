#!/bin/bash
# File: tests/fault/reference_run.sh
#
# ctest fixture of the fault tests: an uninterrupted 3-rank run of the tiny arithmetic
# config with snapshots, whose final parameter checksum and metrics log the interrupted
# runs must reproduce.
#   usage: reference_run.sh LEADRL CONFIG OUT    (OUT/ref.log, OUT/ref.jsonl, OUT/ref_snap)
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
mpi 3 "$leadrl" train "$config" $(fault_run_options) trainer.snapshot_dir="$out/ref_snap" \
  trainer.log_jsonl="$out/ref.jsonl" >"$out/ref.out" 2>"$out/ref.log" ||
  die "reference run failed: $(tail -n 5 "$out/ref.log")"
sum=$(final_checksum "$out/ref.log")
[ -n "$sum" ] || die "no final parameter checksum in $out/ref.log"
[ "$(lines_of "$out/ref.jsonl")" -eq "$FAULT_TOTAL_STEPS" ] || die "ref.jsonl: expected $FAULT_TOTAL_STEPS lines"
echo "reference: $FAULT_TOTAL_STEPS steps, final parameter checksum $sum"
