#!/bin/bash
# File: tests/cli/train_bf16.sh
#
# `leadrl train model.dtype=bfloat16` on the CPU: 3 steps straight, then steps 2-3 again
# resumed from the step-1 snapshot, must end with the same parameter checksum (the
# snapshot holds the float32 master weights and AdamW state, so the resume is exact); the
# float32 run of the same config ends elsewhere (the dtype was applied); a snapshot's
# learner weights are float32. A GPU named on a machine without one exits 2 naming the key.
#   usage: train_bf16.sh LEADRL CONFIG OUT
. "$(dirname "$0")/../fault/lib.sh"
leadrl=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"

# run NAME ARGS...: a 1-rank train run logging to OUT/NAME.log; prints its final checksum.
run() {
  local name=$1
  shift
  mpi 1 "$leadrl" train "$config" trainer.total_steps=3 trainer.save_freq=1 \
    trainer.log_jsonl="$out/$name.jsonl" trainer.progress=false "$@" >"$out/$name.log" 2>&1 ||
    die "$name: exit code $?: $(tail -n 5 "$out/$name.log")"
  final_checksum "$out/$name.log"
}

straight=$(run straight model.dtype=bfloat16 trainer.snapshot_dir="$out/snap")
[ -n "$straight" ] || die "no checksum in $out/straight.log"
rm -f "$out"/snap/step_000002.h5 "$out"/snap/step_000003.h5
resumed=$(run resumed model.dtype=bfloat16 trainer.snapshot_dir="$out/snap" --resume auto)
grep -q "resuming from .*step_000001.h5" "$out/resumed.log" || die "did not resume: $(cat "$out/resumed.log")"
[ "$straight" = "$resumed" ] || die "bfloat16 resume: checksum $resumed, straight run $straight"
echo "ok bf16 resume: $straight after 3 steps, straight and resumed from step 1"

fp32=$(run fp32 trainer.snapshot_dir="$out/snap32")
[ "$fp32" != "$straight" ] || die "float32 and bfloat16 ended with the same checksum $fp32"
echo "ok dtype applied: float32 ends at $fp32"

# The learner table of `leadrl inspect`: one row per tensor, its dtype in the second column.
types=$("$leadrl" inspect "$out/snap/step_000001.h5" 2>&1 |
  awk '/^learner/ { on = 1 } on && $1 ~ /\.weight$/ { print $2 }' | sort -u | paste -sd, -)
[ "$types" = "F32" ] || die "snapshot learner weights: '$types', expected F32 masters"
echo "ok snapshot weights: float32 masters"

if ! command -v nvidia-smi >/dev/null 2>&1; then
  code=0
  mpi 1 "$leadrl" train "$config" trainer.total_steps=1 model.device=cuda:0 \
    trainer.log_jsonl="$out/cuda.jsonl" >"$out/cuda.log" 2>&1 || code=$?
  [ "$code" -eq 2 ] || die "model.device=cuda:0 without a GPU: exit code $code: $(tail -n 3 "$out/cuda.log")"
  grep -q "model.device=cuda:0: no GPU is visible" "$out/cuda.log" ||
    die "model.device=cuda:0: no message: $(cat "$out/cuda.log")"
  echo "ok no GPU: $(grep -m1 -o 'model.device=cuda:0: no GPU is visible[^;]*' "$out/cuda.log")"
fi
echo "train-bf16-ok"
