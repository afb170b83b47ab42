#!/usr/bin/env bash
# The paper's path end to end at tiny size, on CPU (issue 13): every stage goes through
# the code the 1.5B recipe (configs/r1_distill_1p5b_math_lead.ini) runs.
#   1. init-model: a random tiny Qwen2 with the R1-distill BPE tokenizer and its full
#      151,936-token vocabulary (out/math_smoke/init_model);
#   2. data: COUNT MATH training problems with short prompts and answers, as SFT pairs
#      (a 1-4 sentence thought, then the answer in \boxed{}) and as RL prompts
#      (scripts/math_sft_pairs.py);
#   3. sft: the tiny model learns to answer them (configs/math_tiny_sft.ini; cached by
#      configuration and data), so RL sees correct and wrong rollouts of several lengths;
#   4. rl: LEAD (configs/math_tiny_lead.ini) on those prompts at -np RANKS, snapshots,
#      every rollout dumped as JSONL; then a resume from the first snapshot that must end
#      with the same parameter checksum as the uninterrupted run; then GRPO
#      (configs/math_tiny_grpo.ini), same seed and steps (skipped with --quick);
#   5. export of the last LEAD snapshot as a Hugging Face folder (BPE tokenizer files
#      included), and `leadrl eval` of the SFT model and the exported policies on the
#      training prompts;
# printing each stage with its time and a summary (accuracy, mean length, L*, w_corr).
#
# usage: bash scripts/math_smoke.sh [--quick]
#   --quick  the CI version: fewer problems, SFT and RL steps, no GRPO (~2 min)
# Environment: LEADRL_BUILD_DIR (build/), LEADRL_SHARED (../shared: data/math/train.jsonl
# and data/tokenizers/deepseek-r1-distill-qwen), LEADRL_MATH_SMOKE_OUT (out/math_smoke,
# out/math_smoke-quick with --quick), LEADRL_RANKS (MPI ranks of the RL runs, default 2),
# LEADRL_SKIP_BUILD=1 (use the existing build).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}
shared=${LEADRL_SHARED:-$root/../shared}
quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h | --help)
      awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *)
      echo "math_smoke: unknown argument '$a' (expected --quick)" >&2
      exit 2
      ;;
  esac
done
for f in "$shared/data/math/train.jsonl" "$shared/data/tokenizers/deepseek-r1-distill-qwen/tokenizer.json"; do
  if [ ! -f "$f" ]; then
    echo "math_smoke: $f: missing (set LEADRL_SHARED to the folder holding data/)" >&2
    exit 2
  fi
done
ranks=${LEADRL_RANKS:-2}
case $ranks in
  '' | *[!0-9]* | 0) echo "math_smoke: LEADRL_RANKS: expected a positive integer, got '$ranks'" >&2; exit 2 ;;
esac
if [ "$quick" -eq 1 ]; then
  out=${LEADRL_MATH_SMOKE_OUT:-$root/out/math_smoke-quick}
  count=8 sft_steps=80 sft_batch=8 sft_lr=6e-3 sft_warmup=5 rl_steps=3 save_freq=2 eval_n=2
else
  out=${LEADRL_MATH_SMOKE_OUT:-$root/out/math_smoke}
  count=32 sft_steps=200 sft_batch=16 sft_lr=3e-3 sft_warmup=20 rl_steps=12 save_freq=6 eval_n=4
fi
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
cd "$root"
t_start=$(date +%s)
stage() {  # stage NAME COMMAND...: runs COMMAND with its output in $out/logs/NAME.log
  local name=$1 t0
  shift
  t0=$(date +%s)
  printf 'math_smoke: [%4ds] %-14s ...\n' $((t0 - t_start)) "$name"
  if ! "$@" >"$out/logs/$name.log" 2>&1; then
    printf 'math_smoke: [%4ds] %-14s FAILED; last lines of %s:\n' $(($(date +%s) - t_start)) \
      "$name" "$out/logs/$name.log"
    tail -20 "$out/logs/$name.log" | sed 's/^/  | /'
    exit 1
  fi
  printf 'math_smoke: [%4ds] %-14s done in %ds\n' $(($(date +%s) - t_start)) "$name" \
    $(($(date +%s) - t0))
}

if [ "${LEADRL_SKIP_BUILD:-0}" != 1 ]; then
  stage build bash "$root/scripts/setup.sh"
fi
leadrl="$build/leadrl"
mpi=(bash "$root/scripts/mpirun.sh" -np "$ranks")
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

stage init_model "$leadrl" init-model --output "$out/init_model" \
  --tokenizer "$shared/data/tokenizers/deepseek-r1-distill-qwen" --vocab-size 151936 \
  --hidden-size 64 --layers 2 --heads 4 --kv-heads 2 --intermediate-size 128 --seed 1
stage data python3 "$root/scripts/math_sft_pairs.py" "$shared/data/math/train.jsonl" \
  "$out/data" --count "$count"
stage sft "$leadrl" sft "$root/configs/math_tiny_sft.ini" data.train_files="$out/data/sft.jsonl" \
  model.path="$out/init_model" sft.output_dir="$out/sft_model" sft.steps="$sft_steps" \
  sft.batch_size="$sft_batch" sft.lr="$sft_lr" sft.warmup="$sft_warmup" sft.eval_every=0 \
  sft.eval_problems="$count"
grep -h '^sft:\|skipped' "$out/logs/sft.log" | tail -1 | sed 's/^/  /'

# RL_ARGS: what every RL run shares; rl METHOD [key=value ...] runs one.
rl_args=(model.path="$out/sft_model" data.train_files="$out/data/rl.jsonl"
  trainer.total_steps="$rl_steps" trainer.save_freq="$save_freq" trainer.keep_last=100)
rl() {
  local m=$1
  shift
  rm -rf "$out/runs/$m"
  stage "rl_$m" "${mpi[@]}" "$leadrl" train "$root/configs/math_tiny_$m.ini" "${rl_args[@]}" \
    trainer.snapshot_dir="$out/runs/$m/snapshots" trainer.log_jsonl="$out/runs/$m/metrics.jsonl" \
    trainer.rollout_data_dir="$out/runs/$m/rollouts" "$@"
  tail -1 "$out/logs/rl_$m.log" | sed 's/^/  /'
}
checksum() { sed -n 's/.*final parameter checksum \([0-9a-f]*\).*/\1/p' "$1"; }
rl lead
# Resume from the first snapshot (a fresh process): it must end where the uninterrupted run did.
first=$(printf '%s/runs/lead/snapshots/step_%06d.h5' "$out" "$save_freq")
rm -rf "$out/runs/lead_resumed"
mkdir -p "$out/runs/lead_resumed"
cp "$out/runs/lead/metrics.jsonl" "$out/runs/lead_resumed/metrics.jsonl"
stage rl_resume "${mpi[@]}" "$leadrl" train "$root/configs/math_tiny_lead.ini" "${rl_args[@]}" \
  trainer.snapshot_dir="$out/runs/lead_resumed/snapshots" \
  trainer.log_jsonl="$out/runs/lead_resumed/metrics.jsonl" \
  trainer.rollout_data_dir="$out/runs/lead_resumed/rollouts" --resume "$first"
if [ "$(checksum "$out/logs/rl_lead.log")" != "$(checksum "$out/logs/rl_resume.log")" ]; then
  echo "math_smoke: the resumed run ended with checksum $(checksum "$out/logs/rl_resume.log")," \
    "the uninterrupted one with $(checksum "$out/logs/rl_lead.log")" >&2
  exit 1
fi
echo "  resume from step $save_freq: same final checksum $(checksum "$out/logs/rl_lead.log")"
methods=(lead)
if [ "$quick" -eq 0 ]; then
  rl grpo
  methods+=(grpo)
fi

models=(--model sft="$out/sft_model")
for m in "${methods[@]}"; do
  last=$(ls "$out/runs/$m/snapshots"/step_*.h5 | sort | tail -1)
  stage "export_$m" "$leadrl" export "$last" --hf "$out/runs/$m/final"
  cmp -s "$out/init_model/tokenizer.json" "$out/runs/$m/final/tokenizer.json" || {
    echo "math_smoke: $out/runs/$m/final/tokenizer.json differs from the model's" >&2
    exit 1
  }
  models+=(--model "$m=$out/runs/$m/final")
done
stage eval "$leadrl" eval "${models[@]}" --base sft --jsonl train="$out/data/rl.jsonl" \
  -n "$eval_n" --temperature 1.0 --top-p 1.0 --max-new-tokens 64 --threads 1 \
  --out-md "$out/eval.md"

echo
echo "== RL (training prompts, $ranks ranks, $rl_steps steps)"
python3 - "$out" "${methods[@]}" <<'EOF'
import glob, json, sys
out, methods = sys.argv[1], sys.argv[2:]
def fmt(r, k):
    v = r.get(k)
    return "n/a" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)
for m in methods:
    rows = [json.loads(l) for l in open(f"{out}/runs/{m}/metrics.jsonl")]
    first, last = rows[0], rows[-1]
    print(f"{m:5s} step {fmt(first, 'step')}: acc {fmt(first, 'critic/accuracy')}"
          f" len {fmt(first, 'response_length/mean')} | step {fmt(last, 'step')}:"
          f" acc {fmt(last, 'critic/accuracy')} len {fmt(last, 'response_length/mean')}"
          f" truncated {fmt(last, 'response_length/clip_ratio')}"
          f" L* mean {fmt(last, 'lead/lstar_mean')} w_corr {fmt(last, 'lead/w_corr')}")
    rollouts = [json.loads(l) for p in glob.glob(f"{out}/runs/{m}/rollouts/*.jsonl") for l in open(p)]
    right = sum(r["correct"] for r in rollouts)
    print(f"{m:5s} rollouts: {right} correct and {len(rollouts) - right} wrong"
          f" (dumped in runs/{m}/rollouts)")
    if right == 0 or right == len(rollouts):
        sys.exit(f"math_smoke: {m}: expected correct and wrong rollouts, got {right} of {len(rollouts)} correct")
EOF
echo
echo "== eval (training prompts, n=$eval_n, T=1.0)"
cat "$out/eval.md"
echo "math_smoke: done in $(($(date +%s) - t_start)) s; outputs in $out"
