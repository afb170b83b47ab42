#!/usr/bin/env bash
# The overlap experiment (docs/experiments/overlap.md): the demo's LEAD run at
# rollout.staleness 0 and 1, seeds 1-3, from the demo's SFT base; each final policy
# evaluated on the held-out split like the demo's table; then a per-seed table.
# usage: bash scripts/overlap_experiment.sh
# Environment: LEADRL_BUILD_DIR (build/), LEADRL_OVERLAP_OUT (out/overlap),
# LEADRL_OVERLAP_BASE (out/demo/sft_model: run scripts/run.sh first), LEADRL_OVERLAP_SEEDS
# ("1 2 3"), LEADRL_OVERLAP_STEPS (the config's 150).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}
out=${LEADRL_OVERLAP_OUT:-$root/out/overlap}
base=${LEADRL_OVERLAP_BASE:-$root/out/demo/sft_model}
seeds=(${LEADRL_OVERLAP_SEEDS:-1 2 3})
steps=${LEADRL_OVERLAP_STEPS:-150}
[ -f "$base/config.json" ] || { echo "overlap: no SFT base in $base (run scripts/run.sh first)" >&2; exit 2; }
export OMP_NUM_THREADS=1
mkdir -p "$out"
models=(--model base="$base")
for k in 0 1; do
  for seed in "${seeds[@]}"; do
    name=k${k}_s${seed}
    rm -rf "$out/$name"
    t0=$(date +%s)
    "$build/leadrl" train "$root/configs/arith_lead.ini" model.path="$base" \
      rollout.staleness="$k" trainer.seed="$seed" trainer.total_steps="$steps" \
      trainer.save_freq="$steps" trainer.snapshot_dir="$out/$name/snapshots" \
      trainer.log_jsonl="$out/$name.jsonl" trainer.progress=false >"$out/$name.log" 2>&1
    wall=$(($(date +%s) - t0))
    "$build/leadrl" export "$out/$name/snapshots/step_$(printf %06d "$steps").h5" \
      --hf "$out/$name/final" >/dev/null
    echo "$name: $(tail -1 "$out/$name.log" | sed 's/.*checksum/checksum/') wall ${wall} s"
    models+=(--model "$name=$out/$name/final")
  done
done
cfg() { sed -n "s/^$1 *= *//p" "$root/configs/arith_lead.ini" | head -1; }
"$build/leadrl" eval "${models[@]}" --base base --task arith \
  --arith-min-difficulty "$(cfg arith_min_difficulty)" \
  --arith-max-difficulty "$(cfg arith_max_difficulty)" \
  --max-new-tokens "$(cfg max_response_length)" --arith-count 400 -n 8 --threads 1 \
  --out-md "$out/results.md" --out-csv "$out/results.csv" >"$out/eval.log" 2>&1
cat "$out/results.md"
