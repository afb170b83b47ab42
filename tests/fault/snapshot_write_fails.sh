#!/bin/bash
# File: tests/fault/snapshot_write_fails.sh
#
# Fault test: a snapshot write that fails (ENOSPC injected by the LD_PRELOAD shim
# tests/fault/fail_write.c after a few writes went through, so a partial .tmp exists)
# costs no older snapshot and does not end training:
#   1. 5 steps, a snapshot every step, step 3's write fails -> the message names the
#      path and the reason, no step_000003.h5(.tmp) is left, steps 1-2 and 4-5 were
#      written (keep_last=4), the run exits 0, the metrics log says snapshot/failed=1 at
#      step 3 and snapshot/failures=1 from then on;
#   2. --resume auto to 6 steps picks step 5 (the newest valid snapshot), and step 6's
#      write (the last step's) fails -> training finishes, exit code 3 naming the path,
#      step 5's snapshot stays.
#   usage: snapshot_write_fails.sh LEADRL CONFIG OUT SHIM
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3 shim=$4
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
snap=$out/snap
opts="trainer.save_freq=1 trainer.keep_last=4 trainer.progress=false"
opts="$opts trainer.snapshot_dir=$snap trainer.log_jsonl=$out/run.jsonl"

# train LOG STEP_TO_FAIL [ARGS...]: one rank, the write of STEP_TO_FAIL's snapshot
# failing after 5 writes; prints the exit code.
train() {
  local log=$1 fail_step
  fail_step=$(printf 'step_%06d.h5' "$2")
  shift 2
  env OMP_NUM_THREADS=1 LD_PRELOAD="$shim" LEADRL_FAULT_WRITE_MATCH="$fail_step" \
    LEADRL_FAULT_WRITE_AFTER=5 "$leadrl" train "$config" $opts "$@" >/dev/null 2>"$log"
  echo $?
}

rc=$(train "$out/run1.log" 3 trainer.total_steps=5)
[ "$rc" -eq 0 ] || die "the run with a failed snapshot exited $rc: $(tail -n 5 "$out/run1.log")"
grep -q "snapshot of step 3 not written: $snap/step_000003.h5: .*failed.*free disk space" \
  "$out/run1.log" || die "no message naming the path and the reason: $(tail -n 5 "$out/run1.log")"
grep -q "training continues" "$out/run1.log" || die "the message does not say training continues"
[ ! -e "$snap/step_000003.h5" ] && [ ! -e "$snap/step_000003.h5.tmp" ] ||
  die "step 3 left a file: $(ls "$snap")"
for s in 1 2 4 5; do
  [ -f "$snap/step_00000$s.h5" ] || die "no snapshot of step $s: $(ls "$snap")"
done
python3 - "$out/run.jsonl" <<'EOF' || die "snapshot/* metrics are wrong"
import json, sys
rows = {r["step"]: r for r in map(json.loads, open(sys.argv[1]))}
assert sorted(rows) == [1, 2, 3, 4, 5], sorted(rows)
failed = {s: r["snapshot/failed"] for s, r in rows.items()}
failures = {s: r["snapshot/failures"] for s, r in rows.items()}
assert failed == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}, failed
assert failures == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}, failures
EOF
echo "ok: step 3's snapshot failed with a message, training went on, steps 4-5 written"

rc=$(train "$out/run2.log" 6 trainer.total_steps=6 --resume auto)
grep -q "resuming from $snap/step_000005.h5 (step 5)" "$out/run2.log" ||
  die "--resume auto did not pick step 5: $(grep 'leadrl train' "$out/run2.log" | tail -n 4)"
[ "$rc" -eq 3 ] || die "a failed final snapshot exited $rc, expected 3: $(tail -n 5 "$out/run2.log")"
grep -q "exit code 3: snapshot of step 6 not written: $snap/step_000006.h5: " "$out/run2.log" ||
  die "no exit message naming the final snapshot: $(tail -n 5 "$out/run2.log")"
grep -q "6 steps on 1 rank(s)\|1 steps on 1 rank(s)" "$out/run2.log" ||
  die "training did not finish: $(tail -n 5 "$out/run2.log")"
[ -f "$snap/step_000005.h5" ] && [ ! -e "$snap/step_000006.h5" ] &&
  [ ! -e "$snap/step_000006.h5.tmp" ] || die "wrong files after the final failure: $(ls "$snap")"
echo "ok: --resume auto picked step 5; the last step's failed snapshot ends with exit 3"
