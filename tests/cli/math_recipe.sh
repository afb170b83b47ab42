#!/usr/bin/env bash
# The tiny MATH recipe (configs/math_tiny_lead.ini) across 2 MPI ranks, as CI runs it
# (issue 13 part 3): a random tiny Qwen2 with the R1-distill tokenizer and full vocabulary
# on the first 8 rows of the MATH training split (one step = every prompt, row 0 among
# them), 2 steps with a snapshot after each and every rollout dumped; then checks that
#   - the prompts are the golden chat-template encoding of row 0 (tokenizer golden file),
#   - every response was decoded and graded (re-graded here by `leadrl grade`: same verdicts),
#     truncation recorded (a random model always runs out of budget),
#   - L* and w_corr are logged each step,
#   - a resume from the step-1 snapshot ends with the uninterrupted run's checksum,
#   - the exported last snapshot carries the BPE tokenizer files unchanged and loads
#     (`leadrl score`).
# usage: math_recipe.sh LEADRL_BINARY SHARED_DIR WORK_DIR PYTHON
set -euo pipefail
leadrl=$1 shared=$2 work=$3 python=$4
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rm -rf "$work"
mkdir -p "$work"
export OMP_NUM_THREADS=1
mpi=(bash "$root/scripts/mpirun.sh" -np 2)

"$leadrl" init-model --output "$work/model" \
  --tokenizer "$shared/data/tokenizers/deepseek-r1-distill-qwen" --vocab-size 151936 \
  --hidden-size 32 --layers 1 --heads 2 --kv-heads 1 --intermediate-size 64 --seed 1
head -8 "$shared/data/math/train.jsonl" >"$work/train8.jsonl"
args=(model.path="$work/model" data.train_files="$work/train8.jsonl" data.max_response_length=16
  algorithm.lead_bmax=16 actor.ppo_micro_batch_size=8 trainer.total_steps=2 trainer.save_freq=1
  trainer.keep_last=10)
"${mpi[@]}" "$leadrl" train "$root/configs/math_tiny_lead.ini" "${args[@]}" \
  trainer.snapshot_dir="$work/snapshots" trainer.log_jsonl="$work/metrics.jsonl" \
  trainer.rollout_data_dir="$work/rollouts" 2>&1 | tee "$work/run.log"
cp "$work/metrics.jsonl" "$work/metrics_resumed.jsonl"
"${mpi[@]}" "$leadrl" train "$root/configs/math_tiny_lead.ini" "${args[@]}" \
  trainer.snapshot_dir="$work/snapshots_resumed" trainer.log_jsonl="$work/metrics_resumed.jsonl" \
  trainer.rollout_data_dir="$work/rollouts_resumed" \
  --resume "$work/snapshots/step_000001.h5" 2>&1 | tee "$work/resume.log"

# Every dumped rollout re-graded by the grader the CLI exposes.
cat "$work"/rollouts/*.jsonl >"$work/rollouts_all.jsonl"
"$leadrl" grade --input "$work/rollouts_all.jsonl" --output "$work/regraded.jsonl"

"$leadrl" export "$work/snapshots/step_000002.h5" --hf "$work/export"
printf '{"prompt": "What is 1+1?", "response": "\\\\boxed{2}"}\n' >"$work/score_in.jsonl"
"$leadrl" score --model "$work/export" --input "$work/score_in.jsonl" --output "$work/score_out.jsonl"

"$python" "$root/tests/support/check_math_run.py" "$work" \
  "$shared/data/tokenizers/deepseek-r1-distill-qwen/golden.jsonl"
