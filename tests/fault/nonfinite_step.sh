#!/bin/bash
# File: tests/fault/nonfinite_step.sh
#
# Fault test: non-finite steps never reach the weights (LEADRL_INJECT_NONFINITE, a
# test-only hook of the learner, puts a NaN into one rank's gradients at chosen steps).
#   1. 2 ranks, NaN on rank 1 at step 3 (both of its updates): both ranks skip, rank 0
#      names the step and the rank, the run finishes (exit 0), and /learner of the
#      step-3 snapshot (parameters, AdamW moments, optimizer step, lr position) is
#      byte-for-byte that of step 2; the parameter checksum moves again at step 4.
#   2. 1 rank, NaN at steps 2-4 with trainer.max_nonfinite_steps=2: the run stops after
#      step 3 with a message naming the key, exit code 1.
#   usage: nonfinite_step.sh LEADRL CONFIG OUT
. "$(dirname "$0")/lib.sh"
leadrl=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
opts="trainer.progress=false runtime.checksum_freq=1 runtime.collective_timeout_s=30"
opts="$opts runtime.step_timeout_s=60"

mpi 2 -x LEADRL_INJECT_NONFINITE=3:1 "$leadrl" train "$config" $opts trainer.total_steps=4 \
  trainer.save_freq=1 trainer.keep_last=4 trainer.snapshot_dir="$out/snap" \
  trainer.log_jsonl="$out/a.jsonl" >/dev/null 2>"$out/a.log"
rc=$?
[ "$rc" -eq 0 ] || die "the run with one NaN step exited $rc: $(tail -n 5 "$out/a.log")"
for u in 1 2; do
  grep -q "step 3, update $u/2: non-finite loss or gradient on rank(s) 1; update skipped on every rank" \
    "$out/a.log" || die "no line naming step 3, update $u and rank 1: $(tail -n 5 "$out/a.log")"
done
[ "$(grep -c 'update skipped' "$out/a.log")" -eq 2 ] || die "other updates were skipped too"
python3 - "$out/a.jsonl" <<'EOF' || die "metrics of the skipped step are wrong"
import json, sys
rows = {r["step"]: r for r in map(json.loads, open(sys.argv[1]))}
assert sorted(rows) == [1, 2, 3, 4], sorted(rows)
assert [rows[s]["optim/skipped"] for s in (1, 2, 3, 4)] == [0, 0, 2, 0]
assert [rows[s]["train/nonfinite_streak"] for s in (1, 2, 3, 4)] == [0, 0, 1, 0]
c = [rows[s]["params/checksum52"] for s in (1, 2, 3, 4)]
assert c[2] == c[1] and c[3] != c[2] and c[1] != c[0], c
EOF
h5dump -g /learner "$out/snap/step_000002.h5" | sed 1d >"$out/learner2.txt"
h5dump -g /learner "$out/snap/step_000003.h5" | sed 1d >"$out/learner3.txt"
[ -s "$out/learner2.txt" ] || die "could not dump /learner of step 2"
cmp -s "$out/learner2.txt" "$out/learner3.txt" ||
  die "/learner of step 3 differs from step 2: $(diff "$out/learner2.txt" "$out/learner3.txt" | head -n 5)"
grep -qi "nan\|inf" "$out/learner3.txt" && die "a non-finite value in the step-3 snapshot"
echo "ok: NaN on rank 1 at step 3 skipped on both ranks; /learner of step 3 equals step 2's"

OMP_NUM_THREADS=1 LEADRL_INJECT_NONFINITE=2:0,3:0,4:0 "$leadrl" train "$config" $opts \
  trainer.total_steps=5 trainer.max_nonfinite_steps=2 trainer.log_jsonl="$out/b.jsonl" \
  >/dev/null 2>"$out/b.log"
rc=$?
[ "$rc" -eq 1 ] || die "a run over the limit exited $rc, expected 1: $(tail -n 5 "$out/b.log")"
grep -q "step 3 makes 2 steps in a row .*(trainer.max_nonfinite_steps = 2); stopping" \
  "$out/b.log" || die "no stop message naming the key: $(tail -n 5 "$out/b.log")"
[ "$(python3 -c 'import json,sys; print(max(json.loads(l)["step"] for l in open(sys.argv[1])))' \
  "$out/b.jsonl")" = 3 ] || die "the run did not stop after step 3"
echo "ok: 2 non-finite steps in a row with trainer.max_nonfinite_steps=2 stop the run (exit 1)"
