#!/usr/bin/env bash
# Issue 17's fair test from scratch (docs/experiments/fair_test.md, the pre-registration):
#   1. the SFT base and its gate (scripts/fair_gate.sh; a failed gate stops here, exit 1);
#   2. the base model's readout (leadrl step-gate --readout: 200 test problems per level x 8
#      answers at temperature 0.8, top-p 0.9) -> OUT/base/readout.json;
#   3. every arm x seed: leadrl train configs/fair_lead.ini + the arm's overrides, the final
#      policy exported and read out -> OUT/runs/<arm>/seed<s>/{train.jsonl,readout.json};
#      a run whose readout exists is skipped, so an interrupted experiment continues where
#      it stopped (a run cut short starts again from its beginning);
#   4. leadrl fair-report -> OUT/report/{results.md,summary.json,plots/*.svg} (and .png with
#      rsvg-convert, from Debian's librsvg2-bin, which scripts/setup.sh installs).
# usage: bash scripts/fair_experiment.sh [--smoke]
# --smoke checks the pipeline, not the result (the CI version): a 1-layer model, 4 SFT steps,
# two arms x two seeds of 3 RL steps, 3 problems per level; the gate is not enforced.
# Environment: LEADRL_BUILD_DIR (build/), LEADRL_FAIR_OUT (out/fair), LEADRL_FAIR_SEEDS
# ("1 2 3 4 5 6 7 8"), LEADRL_FAIR_ARMS (all fifteen, in the order below), LEADRL_FAIR_JOBS
# (2: runs at once, one process each), LEADRL_FAIR_RANKS (2: the SFT's MPI ranks).
# Seeds are the outer loop: all arms of seed 1 finish before seed 2 starts, so a partial
# experiment is a complete design with fewer seeds.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}
out=${LEADRL_FAIR_OUT:-$root/out/fair}
jobs=${LEADRL_FAIR_JOBS:-2}
seeds=${LEADRL_FAIR_SEEDS:-1 2 3 4 5 6 7 8}
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
if [ $# -gt 0 ]; then
  echo "fair_experiment.sh: unknown argument '$1' (expected: [--smoke])" >&2
  exit 2
fi
if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "fair_experiment.sh: LEADRL_FAIR_JOBS: expected an integer >= 1, got '$jobs'" >&2
  exit 2
fi

# The pre-registered arms and their overrides of configs/fair_lead.ini (estimator only).
declare -A arm_args=(
  [grpo]="algorithm.adv_estimator=grpo"
  [arora_0.1]="algorithm.adv_estimator=arora_zanette algorithm.arora_alpha=0.1"
  [arora_0.2]="algorithm.adv_estimator=arora_zanette algorithm.arora_alpha=0.2"
  [arora_0.4]="algorithm.adv_estimator=arora_zanette algorithm.arora_alpha=0.4"
  [kimi]="algorithm.adv_estimator=kimi algorithm.kimi_weight=1.0"
  [lead_max_sym]=""
  [lead_max_asym]="algorithm.lead_lstar_mode=max_asym"
  [lead_upper_only]="algorithm.lead_lstar_mode=upper_only"
  [lead_static_0.3]="algorithm.lead_static_lambda_corr=0.3"
  [lead_static_0.5]="algorithm.lead_static_lambda_corr=0.5"
  [lead_static_0.7]="algorithm.lead_static_lambda_corr=0.7"
  [lead_static_0.9]="algorithm.lead_static_lambda_corr=0.9"
  [lead_table]="algorithm.lead_lstar_table=table algorithm.lead_lstar_table_history=32"
  [curriculum_lead]="data.arith_curriculum_step=150 data.arith_curriculum_max_difficulty=2"
  [curriculum_static_0.5]="data.arith_curriculum_step=150 data.arith_curriculum_max_difficulty=2 algorithm.lead_static_lambda_corr=0.5"
)
all_arms="lead_max_sym grpo arora_0.1 arora_0.2 arora_0.4 kimi lead_max_asym lead_upper_only
  lead_static_0.3 lead_static_0.5 lead_static_0.7 lead_static_0.9 curriculum_lead
  curriculum_static_0.5 lead_table"
arms=${LEADRL_FAIR_ARMS:-$all_arms}
for arm in $arms; do
  if [ -z "${arm_args[$arm]+set}" ]; then
    echo "fair_experiment.sh: LEADRL_FAIR_ARMS: unknown arm '$arm' (expected some of:" $all_arms")" >&2
    exit 2
  fi
done

# The task's digit cap, read from the SFT config so that every stage uses the same problems.
digits=$(sed -n 's/^arith_max_digits *= *//p' "$root/configs/fair_sft.ini")
digits=${digits:-0}
rl_extra=()
readout_args=(--readout --max-digits "$digits" --problems 200 -n 8 --temperature 0.8
              --top-p 0.9 --threads 1)
gate_env=()
if [ "$smoke" -eq 1 ]; then
  seeds="1 2"
  arms=${LEADRL_FAIR_ARMS:-lead_max_sym grpo}
  rl_extra=(data.max_response_length=24 data.train_size=32 data.train_batch_size=4 rollout.n=2 actor.ppo_mini_batch_size=4
            algorithm.lead_bmax=24 trainer.total_steps=3)
  readout_args=(--readout --max-digits "$digits" --problems 3 -n 2 --max-new-tokens 24
                --threads 1)
fi

mkdir -p "$out"
export LEADRL_BUILD_DIR=$build LEADRL_FAIR_OUT=$out
export LEADRL_FAIR_GATE="--max-digits $digits ${LEADRL_FAIR_GATE:-}"
start=$(date +%s)
gate=0
if [ "$smoke" -eq 1 ]; then
  bash "$root/scripts/fair_gate.sh" --smoke >/dev/null || gate=$?
else
  bash "$root/scripts/fair_gate.sh" || gate=$?
fi
if [ "$gate" -ne 0 ]; then
  echo "fair_experiment: the gate did not pass (exit $gate, $out/gate.md): no RL run" >&2
  exit "$gate"
fi

export OMP_NUM_THREADS=1
mkdir -p "$out/base"
if [ ! -s "$out/base/readout.json" ]; then
  "$build/leadrl" step-gate --model "$out/sft_model" "${readout_args[@]}" \
    --out-json "$out/base/readout.json.part" --out-md "$out/base/readout.md" >/dev/null
  mv "$out/base/readout.json.part" "$out/base/readout.json"
fi

# One run: train, export the last snapshot, read it out; the readout is written last (under
# a temporary name, then renamed), so it marks a finished run.
run_one() {
  local arm=$1 seed=$2 dir=$out/runs/$1/seed$2
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  "$build/leadrl" train "$root/configs/fair_lead.ini" model.path="$out/sft_model" \
    data.arith_max_digits="$digits" ${arm_args[$arm]} "${rl_extra[@]}" trainer.seed="$seed" \
    trainer.log_jsonl="$dir/train.jsonl" trainer.save_freq=100000 \
    trainer.snapshot_dir="$dir/snapshots" trainer.keep_last=1 trainer.progress=false \
    >"$dir/train.log" 2>&1
  local snap
  snap=$(ls "$dir"/snapshots/step_*.h5 | tail -1)
  "$build/leadrl" export "$snap" --hf "$dir/model" >"$dir/export.log" 2>&1
  "$build/leadrl" step-gate --model "$dir/model" "${readout_args[@]}" \
    --out-json "$dir/readout.json.part" --out-md "$dir/readout.md" >/dev/null 2>"$dir/readout.log"
  rm -rf "$dir/snapshots"
  mv "$dir/readout.json.part" "$dir/readout.json"
}

# The queue, seeds outer; finished runs are skipped.
queue=()
for seed in $seeds; do
  for arm in $arms; do
    [ -s "$out/runs/$arm/seed$seed/readout.json" ] || queue+=("$arm $seed")
  done
done
total=${#queue[@]}
echo "fair_experiment: $total run(s) to do, $jobs at a time" >&2
t0=$(date +%s)
pids=()
finished=0
# Waits for one of the running jobs to end, then prints the progress: runs done, the mean
# wall time per run (jobs at once) and the ETA.
reap() {
  wait -n "${pids[@]}" || true
  local still=()
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then still+=("$pid"); else finished=$((finished + 1)); fi
  done
  pids=("${still[@]}")
  local elapsed=$(($(date +%s) - t0))
  awk -v d="$finished" -v n="$total" -v e="$elapsed" -v j="$jobs" 'BEGIN {
    printf "fair_experiment: %d/%d runs done, %.1f min a run, ETA %.0f min\n",
      d, n, e / 60 / d * j, e / 60 / d * (n - d) }' >&2
}
for item in "${queue[@]}"; do
  read -r arm seed <<<"$item"
  [ ${#pids[@]} -ge "$jobs" ] && reap
  run_one "$arm" "$seed" &
  pids+=($!)
  echo "fair_experiment: started $arm seed $seed" >&2
done
while [ ${#pids[@]} -gt 0 ]; do reap; done
failed=0
for item in "${queue[@]}"; do
  read -r arm seed <<<"$item"
  if [ ! -s "$out/runs/$arm/seed$seed/readout.json" ]; then
    echo "fair_experiment: $arm seed $seed failed (logs in $out/runs/$arm/seed$seed)" >&2
    failed=$((failed + 1))
  fi
done

"$build/leadrl" fair-report --dir "$out" --out-dir "$out/report"
if command -v rsvg-convert >/dev/null; then
  for svg in "$out"/report/plots/*.svg; do
    [ -e "$svg" ] && rsvg-convert -f png -o "${svg%.svg}.png" "$svg"
  done
else
  echo "fair_experiment: rsvg-convert not found (Debian: librsvg2-bin): SVG plots only" >&2
fi
echo "fair_experiment: $(($(date +%s) - start)) s; report in $out/report/results.md" >&2
[ "$failed" -gt 0 ] && exit 1
if [ "$smoke" -eq 1 ]; then
  # What the CI test checks: both arms with both seeds in the tables, a PNG per SVG.
  report=$out/report/results.md
  echo "smoke report: lead_max_sym $(grep -m1 -o 'lead_max_sym | [0-9]*' "$report" | grep -o '[0-9]*$') seeds," \
    "grpo $(grep -m1 -o 'grpo | [0-9]*' "$report" | grep -o '[0-9]*$') seeds"
  svgs=$(ls "$out"/report/plots/*.svg 2>/dev/null | wc -l)
  pngs=$(ls "$out"/report/plots/*.png 2>/dev/null | wc -l)
  echo "smoke plots: $svgs svg, $pngs png"
  if [ "$svgs" -eq 0 ] || { command -v rsvg-convert >/dev/null && [ "$pngs" -ne "$svgs" ]; }; then
    echo "fair_experiment: expected a PNG per SVG plot" >&2
    exit 1
  fi
  echo "fair-experiment-smoke-ok"
fi
exit 0
