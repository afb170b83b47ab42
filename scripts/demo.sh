#!/usr/bin/env bash
# The main demo (issue 8): on the built-in arithmetic task,
#   1. SFT of a tiny character-level decoder on a verbose step-by-step corpus (the
#      overthinking base model; skipped when out/demo/sft_model holds a checkpoint of the
#      same configuration),
#   2. RL from that checkpoint with four methods, same seeds and steps: LEAD, GRPO
#      (correctness only), Arora-Zanette (alpha 0.1) and LEAD with static weights,
#   3. evaluation of the base and the four policies on the held-out test split
#      (`leadrl eval`: pass@1, mean length, AES against the base) and plots of the
#      training curves (`leadrl plot`),
# printing one line per stage with its elapsed time, then the results table.
#
# usage: bash scripts/demo.sh [--smoke] [--force-sft]
#   --smoke      a reduced run (few SFT and RL steps, few evaluation problems) that proves
#                the pipeline completes and its outputs are well-formed (CI; ~2-3 min)
#   --force-sft  retrain the SFT model even when a matching checkpoint exists
# Environment: LEADRL_BUILD_DIR (build/), LEADRL_DEMO_OUT (out/demo, out/demo-smoke with
# --smoke), LEADRL_RANKS (MPI ranks per RL run, default 1), LEADRL_SKIP_BUILD=1 (use the
# existing build), LEADRL_DEMO_METHODS (default "lead grpo arora lead_static").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}
smoke=0
force_sft=()
for a in "$@"; do
  case "$a" in
    --smoke) smoke=1 ;;
    --force-sft) force_sft=(--force) ;;
    -h | --help)
      sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "demo: unknown argument '$a' (expected --smoke or --force-sft)" >&2
      exit 2
      ;;
  esac
done
if [ "$smoke" -eq 1 ]; then
  out=${LEADRL_DEMO_OUT:-$root/out/demo-smoke}
else
  out=${LEADRL_DEMO_OUT:-$root/out/demo}
fi
ranks=${LEADRL_RANKS:-1}
methods=(${LEADRL_DEMO_METHODS:-lead grpo arora lead_static})
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$out/logs" "$out/runs"

t_start=$(date +%s)
stage() {  # stage NAME COMMAND...: runs COMMAND with its output in $out/logs/NAME.log
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  printf 'demo: [%4ds] %-22s ...\n' $((t0 - t_start)) "$name"
  if ! "$@" >"$out/logs/$name.log" 2>&1; then
    printf 'demo: [%4ds] %-22s FAILED after %ds; last lines of %s:\n' \
      $(($(date +%s) - t_start)) "$name" $(($(date +%s) - t0)) "$out/logs/$name.log"
    tail -20 "$out/logs/$name.log" | sed 's/^/  | /'
    exit 1
  fi
  printf 'demo: [%4ds] %-22s done in %ds\n' $(($(date +%s) - t_start)) "$name" $(($(date +%s) - t0))
}

if [ "${LEADRL_SKIP_BUILD:-0}" != 1 ]; then
  stage build bash "$root/scripts/setup.sh"
fi
leadrl="$build/leadrl"

# Reduced settings for --smoke: the same configs, far fewer steps and problems.
sft_args=(sft.output_dir="$out/sft_model")
rl_args=()
eval_args=()
if [ "$smoke" -eq 1 ]; then
  sft_args+=(sft.steps=40 sft.eval_every=0 sft.eval_problems=8 sft.warmup=5)
  rl_args+=(trainer.total_steps=2 data.train_batch_size=4 actor.ppo_mini_batch_size=4 rollout.n=2)
  eval_args+=(--arith-count 16 -n 2)
fi

# 1. SFT (cached by configuration).
stage sft "$leadrl" sft "$root/configs/arith_sft.ini" "${sft_args[@]}" "${force_sft[@]}"
grep -h '^sft\|skipped' "$out/logs/sft.log" | tail -1 | sed 's/^/  /'

# 2. RL, one run per method, from the SFT checkpoint.
mpi=()
if [ "$ranks" -gt 1 ]; then
  mpi=(mpirun --oversubscribe --mca btl self,vader,tcp -np "$ranks")
  [ "$(id -u)" -eq 0 ] && mpi=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp -np "$ranks")
fi
for m in "${methods[@]}"; do
  rm -f "$out/runs/$m.jsonl"
  stage "rl_$m" "${mpi[@]}" "$leadrl" train "$root/configs/arith_$m.ini" \
    model.path="$out/sft_model" trainer.log_jsonl="$out/runs/$m.jsonl" trainer.progress=true \
    "${rl_args[@]}"
  tail -1 "$out/logs/rl_$m.log" | sed 's/^/  /'
done

# 3. Held-out evaluation and plots. The base is the SFT model; a method is evaluated when
# its run left a final model folder (runs/METHOD/final, a Hugging Face folder).
models=(--model base="$out/sft_model")
runs=()
for m in "${methods[@]}"; do
  [ -f "$out/runs/$m/final/config.json" ] && models+=(--model "$m=$out/runs/$m/final")
  runs+=(--run "$m=$out/runs/$m.jsonl")
done
if "$leadrl" --help 2>&1 | grep -q '^  eval '; then
  stage eval "$leadrl" eval "${models[@]}" --base base --task arith \
    --arith-min-difficulty 1 --arith-max-difficulty 2 --max-new-tokens 96 \
    --out-md "$out/results.md" --out-csv "$out/results.csv" "${eval_args[@]}"
  stage plot "$leadrl" plot "${runs[@]}" --eval "$out/results.csv" --out "$out/plots"
  echo
  cat "$out/results.md"
  echo
  echo "demo: table $out/results.md ($out/results.csv), plots in $out/plots/"
else
  echo "demo: leadrl eval/plot are not in this build"
fi
# The training logs' view (training-split rollouts, mean of the last 10 steps).
echo "demo: training rollouts, mean of the last 10 steps (accuracy, mean length in tokens):"
for m in "${methods[@]}"; do
  tail -10 "$out/runs/$m.jsonl" |
    sed -n 's/.*"critic\/accuracy":\([0-9.e+-]*\).*"response_length\/mean":\([0-9.e+-]*\).*/\1 \2/p' |
    awk -v m="$m" '{a += $1; l += $2; n++} END {if (n) printf "  %-12s accuracy %.3f  length %.1f\n", m, a / n, l / n}'
done
echo "demo: finished in $(($(date +%s) - t_start)) s; outputs in $out"
