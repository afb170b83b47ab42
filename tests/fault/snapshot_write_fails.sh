#!/bin/bash
# File: tests/fault/snapshot_write_fails.sh
#
# Fault test: a snapshot that cannot be written costs no older snapshot (LD_PRELOAD shim
# tests/fault/fail_write.c):
#   1. a full disk (statvfs reports no free space) at steps 3 and 5 of 5: each is reported
#      with the path and the reason, training continues, steps 1, 2 and 4 are written, the
#      metrics log says snapshot/failed=1 at steps 3 and 5 and counts snapshot/failures,
#      and since step 5 was the last the run exits 3 naming that snapshot;
#   2. an I/O error while HDF5 writes step 6 out (resumed, 7 steps): HDF5 cannot write
#      again in that process, so the job ends with exit code 1 and the reason, no step-6
#      file is left, the older snapshots stay;
#   3. --resume auto then picks step 5, the newest valid snapshot, and finishes the run.
#   usage: snapshot_write_fails.sh LEADRL CONFIG OUT SHIM
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3 shim=$4
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
snap=$out/snap
opts="trainer.save_freq=1 trainer.keep_last=4 trainer.progress=false"
opts="$opts trainer.snapshot_dir=$snap trainer.log_jsonl=$out/run.jsonl"

# train LOG [VAR=VALUE ...] -- [ARGS...]: one rank with the shim and the given fault
# variables; prints the exit code.
train() {
  local log=$1
  shift
  local vars=()
  while [ "$1" != "--" ]; do vars+=("$1"); shift; done
  shift
  env OMP_NUM_THREADS=1 LD_PRELOAD="$shim" "${vars[@]}" "$leadrl" train "$config" $opts "$@" \
    >/dev/null 2>"$log"
  echo $?
}

rc=$(train "$out/run1.log" LEADRL_FAULT_FULL_CALLS=3,5 LEADRL_FAULT_FULL_MATCH="$snap" -- \
  trainer.total_steps=5)
[ "$rc" -eq 3 ] || die "a run whose last snapshot failed exited $rc, expected 3: $(tail -n 5 "$out/run1.log")"
grep -q "snapshot of step 3 not written: $snap/step_000003.h5: $snap: not enough free space" \
  "$out/run1.log" || die "no message naming the path and the reason: $(tail -n 5 "$out/run1.log")"
grep -q "step 3 not written.*training continues" "$out/run1.log" ||
  die "the message does not say training continues"
grep -q "exit code 3: snapshot of step 5 not written: $snap/step_000005.h5" "$out/run1.log" ||
  die "no exit message naming the final snapshot: $(tail -n 3 "$out/run1.log")"
[ "$(ls "$snap")" = "$(printf 'step_000001.h5\nstep_000002.h5\nstep_000004.h5')" ] ||
  die "expected the snapshots of steps 1, 2 and 4, found: $(ls "$snap")"
python3 - "$out/run.jsonl" <<'PY' || die "snapshot/* metrics are wrong"
import json, sys
rows = {r["step"]: r for r in map(json.loads, open(sys.argv[1]))}
assert sorted(rows) == [1, 2, 3, 4, 5], sorted(rows)
failed = {s: r["snapshot/failed"] for s, r in rows.items()}
failures = {s: r["snapshot/failures"] for s, r in rows.items()}
assert failed == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}, failed
assert failures == {1: 0, 2: 0, 3: 1, 4: 1, 5: 2}, failures
PY
echo "ok: a full disk at steps 3 and 5 was reported, training went on, step 4 written, exit 3"

rc=$(train "$out/run2.log" LEADRL_FAULT_WRITE_MATCH=step_000006.h5 LEADRL_FAULT_WRITE_AFTER=1 \
  LEADRL_FAULT_WRITE_ERRNO=EIO -- trainer.total_steps=7 --resume auto)
grep -q "resuming from $snap/step_000004.h5 (step 4)" "$out/run2.log" ||
  die "--resume auto did not pick step 4: $(grep 'leadrl train' "$out/run2.log" | tail -n 4)"
[ "$rc" -eq 1 ] || die "an I/O error inside HDF5 exited $rc, expected 1: $(tail -n 5 "$out/run2.log")"
grep -q "snapshot of step 6 not written: $snap/step_000006.h5: " "$out/run2.log" ||
  die "no message naming step 6's snapshot: $(tail -n 5 "$out/run2.log")"
grep -q "HDF5 cannot write again in this process; the job ends" "$out/run2.log" ||
  die "no reason for ending the job: $(tail -n 5 "$out/run2.log")"
[ "$(ls "$snap")" = "$(printf 'step_000001.h5\nstep_000002.h5\nstep_000004.h5\nstep_000005.h5')" ] ||
  die "expected the snapshots of steps 1, 2, 4 and 5, found: $(ls "$snap")"
echo "ok: an I/O error while writing step 6 ended the job with exit 1, older snapshots kept"

rc=$(train "$out/run3.log" -- trainer.total_steps=7 --resume auto)
[ "$rc" -eq 0 ] || die "the resumed run exited $rc: $(tail -n 5 "$out/run3.log")"
grep -q "resuming from $snap/step_000005.h5 (step 5)" "$out/run3.log" ||
  die "--resume auto did not pick step 5: $(grep 'leadrl train' "$out/run3.log" | tail -n 4)"
[ -f "$snap/step_000007.h5" ] || die "no final snapshot: $(ls "$snap")"
echo "ok: --resume auto picked step 5, the newest valid snapshot, and the run finished"
