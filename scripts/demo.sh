#!/usr/bin/env bash
# The main demo (issue 8): on the built-in arithmetic task,
#   1. SFT of a tiny character-level decoder on a verbose step-by-step corpus (the
#      overthinking base model; skipped when out/demo/sft_model holds a checkpoint of the
#      same configuration),
#   2. RL from that checkpoint with four methods, same seeds and steps: LEAD, GRPO
#      (correctness only), Arora-Zanette (alpha 0.1) and LEAD with static weights, each
#      run's last snapshot exported as a Hugging Face folder (runs/METHOD/final),
#   3. evaluation of the base and the four policies on the held-out test split
#      (`leadrl eval`: pass@1, mean length, AES against the base) and plots of the
#      training curves (`leadrl plot`),
# printing one line per stage with its elapsed time, then the results table.
#
# usage: bash scripts/demo.sh [--smoke] [--force-sft]
#   --smoke      a reduced run (few SFT and RL steps, few evaluation problems) that proves
#                the pipeline completes and its outputs are well-formed (CI; ~1 min)
#   --force-sft  retrain the SFT model even when a matching checkpoint exists
# Environment: LEADRL_BUILD_DIR (build/), LEADRL_DEMO_OUT (out/demo, out/demo-smoke with
# --smoke), LEADRL_RANKS (MPI ranks per RL run, default 1), LEADRL_SKIP_BUILD=1 (use the
# existing build), LEADRL_DEMO_METHODS (default "lead grpo arora lead_static"),
# LEADRL_DEMO_SEED (the RL runs' trainer.seed, default: the configs' 42),
# LEADRL_DEMO_STEPS (the RL runs' trainer.total_steps, default: the configs' 150),
# LEADRL_DEMO_JOBS (RL runs at once, default: cores / LEADRL_RANKS),
# LEADRL_DEMO_EVAL_COUNT / LEADRL_DEMO_EVAL_N (held-out problems and answers per problem,
# default 400 and 8; 16 and 2 with --smoke), LEADRL_SFT_RANKS / LEADRL_EVAL_RANKS (MPI
# ranks of the SFT and evaluation stages, one OpenMP thread each; default 2 for both,
# which beat 1 rank at 1 or 2 threads on 2 cores (README); the SFT cache ignores ranks).
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
      awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}"
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
positive() {  # positive NAME VALUE: exit 2 unless VALUE is a positive integer
  case $2 in
    '' | *[!0-9]* | 0) echo "demo: $1: expected a positive integer, got '$2'" >&2; exit 2 ;;
  esac
}
positive LEADRL_RANKS "$ranks"
[ -n "${LEADRL_DEMO_STEPS:-}" ] && positive LEADRL_DEMO_STEPS "$LEADRL_DEMO_STEPS"
[ -n "${LEADRL_DEMO_JOBS:-}" ] && positive LEADRL_DEMO_JOBS "$LEADRL_DEMO_JOBS"
methods=(${LEADRL_DEMO_METHODS:-lead grpo arora lead_static})
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$out/logs" "$out/runs"

t_start=$(date +%s)
# show_progress LIVE KEPT: on a terminal, the lines of stdin matching the regex LIVE, each
# drawn over the one before and cleared at the end; elsewhere, the lines matching KEPT.
show_progress() {
  local line cols
  if [ -t 1 ]; then
    cols=${COLUMNS:-$(tput cols 2>/dev/null || echo 100)}
    while IFS= read -r line; do
      if [[ $line =~ $1 ]]; then printf '\r\033[K  %s' "${line:0:$((cols - 3))}"; fi
    done
    printf '\r\033[K'
  else
    while IFS= read -r line; do
      if [[ $line =~ $2 ]]; then printf '  %s\n' "$line"; fi
    done
  fi
}
# run_logged LOG COMMAND...: COMMAND with its output in LOG; with show_live and show_kept
# set (regexes), its progress lines also go to stdout (show_progress). COMMAND's status.
run_logged() {
  local log=$1
  shift
  if [ -z "${show_live:-}" ]; then
    "$@" >"$log" 2>&1
    return
  fi
  "$@" 2>&1 | tee "$log" | show_progress "$show_live" "${show_kept:-$show_live}"
}
stage() {  # stage NAME COMMAND...: runs COMMAND with its output in $out/logs/NAME.log
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  printf 'demo: [%4ds] %-22s ...\n' $((t0 - t_start)) "$name"
  if ! run_logged "$out/logs/$name.log" "$@"; then
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
# The RL runs' length and the held-out evaluation's problem range and answer budget come
# from the method configs (all four share them).
cfg_value() {  # cfg_value KEY: KEY's value in configs/arith_lead.ini
  sed -n "s/^$1 *= *//p" "$root/configs/arith_lead.ini" | head -1
}
total_steps=$(cfg_value total_steps)
eval_count=${LEADRL_DEMO_EVAL_COUNT:-400}
eval_n=${LEADRL_DEMO_EVAL_N:-8}
rl_args=()
[ -n "${LEADRL_DEMO_SEED:-}" ] && rl_args+=(trainer.seed="$LEADRL_DEMO_SEED")
if [ -n "${LEADRL_DEMO_STEPS:-}" ]; then
  total_steps=$LEADRL_DEMO_STEPS
  rl_args+=(trainer.total_steps="$total_steps")
fi
if [ "$smoke" -eq 1 ]; then
  sft_args+=(sft.steps=40 sft.eval_every=0 sft.eval_problems=8 sft.warmup=5)
  total_steps=2
  rl_args+=(trainer.total_steps=2 data.train_batch_size=4 actor.ppo_mini_batch_size=4 rollout.n=2)
  eval_count=${LEADRL_DEMO_EVAL_COUNT:-16}
  eval_n=${LEADRL_DEMO_EVAL_N:-2}
fi

# 1. SFT (cached by configuration). Its progress (step, tok/s, ETA) shows on a terminal as
# one line drawn over; elsewhere only its lines with a held-out evaluation are printed.
sft_ranks=${LEADRL_SFT_RANKS:-2}
eval_ranks=${LEADRL_EVAL_RANKS:-2}  # checked here, before the work of the stages
positive LEADRL_SFT_RANKS "$sft_ranks"
positive LEADRL_EVAL_RANKS "$eval_ranks"
on_ranks() {  # on_ranks N COMMAND...: COMMAND, under scripts/mpirun.sh when N > 1
  local n=$1
  shift
  if [ "$n" -gt 1 ]; then
    bash "$root/scripts/mpirun.sh" --mca btl self,vader,tcp -np "$n" "$@"
  else
    "$@"
  fi
}
show_live='^sft step' show_kept='^sft step.*held-out' \
  stage sft on_ranks "$sft_ranks" "$leadrl" sft "$root/configs/arith_sft.ini" "${sft_args[@]}" \
  "${force_sft[@]}"
grep -h '^sft\|skipped' "$out/logs/sft.log" | tail -1 | sed 's/^/  /'

# 2. RL, one run per method, from the SFT checkpoint.
mpi=()
if [ "$ranks" -gt 1 ]; then
  mpi=(mpirun --oversubscribe --mca btl self,vader,tcp -np "$ranks")
  [ "$(id -u)" -eq 0 ] && mpi=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader,tcp -np "$ranks")
fi
# Each run snapshots its last step (trainer.save_freq = its step count) and the snapshot
# is exported as a Hugging Face folder, runs/METHOD/final, for the evaluation.
rl_method() {  # rl_method METHOD: the RL run and the export of one method
  local m=$1
  rm -rf "$out/runs/$m.jsonl" "$out/runs/$m"
  stage "rl_$m" "${mpi[@]}" "$leadrl" train "$root/configs/arith_$m.ini" \
    model.path="$out/sft_model" trainer.log_jsonl="$out/runs/$m.jsonl" trainer.progress=true \
    trainer.save_freq="$total_steps" trainer.snapshot_dir="$out/runs/$m/snapshots" \
    "${rl_args[@]}"
  tail -1 "$out/logs/rl_$m.log" | sed 's/^/  /'
  local snap
  snap=$(ls "$out/runs/$m/snapshots"/step_*.h5 2>/dev/null | sort | tail -1)
  if [ -z "$snap" ]; then
    echo "demo: rl_$m left no snapshot in $out/runs/$m/snapshots" >&2
    exit 1
  fi
  stage "export_$m" "$leadrl" export "$snap" --hf "$out/runs/$m/final"
}
# The runs are independent single-process jobs (each seeded, so their results do not
# depend on what runs beside them): LEADRL_DEMO_JOBS of them run at once, by default as
# many as the cores hold at LEADRL_RANKS ranks (OMP_NUM_THREADS=1) each.
parallel=${LEADRL_DEMO_JOBS:-$(($(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) / ranks))}
[ "$parallel" -ge 1 ] || parallel=1
failed=0
running=0
for m in "${methods[@]}"; do
  if [ "$running" -ge "$parallel" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  rl_method "$m" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
if [ "$failed" -ne 0 ]; then
  echo "demo: an RL run failed (its log is named above)" >&2
  exit 1
fi

# 3. Held-out evaluation (the test split, the configs' difficulty range and response
# budget) and plots. The base is the SFT model.
models=(--model base="$out/sft_model")
runs=()
for m in "${methods[@]}"; do
  models+=(--model "$m=$out/runs/$m/final")
  runs+=(--run "$m=$out/runs/$m.jsonl")
done
stage eval on_ranks "$eval_ranks" "$leadrl" eval "${models[@]}" --base base --task arith \
  --arith-min-difficulty "$(cfg_value arith_min_difficulty)" \
  --arith-max-difficulty "$(cfg_value arith_max_difficulty)" \
  --max-new-tokens "$(cfg_value max_response_length)" \
  --arith-count "$eval_count" -n "$eval_n" --threads 1 \
  --out-md "$out/results.md" --out-csv "$out/results.csv"
stage plot "$leadrl" plot "${runs[@]}" --eval "$out/results.csv" --out "$out/plots"
echo
echo "Held-out test split: $eval_count problems, $eval_n answers each (leadrl eval defaults:"
echo "temperature 0.8, top-p 0.9, seed 1); RL seed ${LEADRL_DEMO_SEED:-42}, $total_steps steps."
cat "$out/results.md"
echo
echo "demo: table $out/results.md ($out/results.csv), plots in $out/plots/"
# The training logs' view (training-split rollouts, mean of the last 10 steps).
echo "demo: training rollouts, mean of the last 10 steps (accuracy, mean length in tokens):"
for m in "${methods[@]}"; do
  tail -10 "$out/runs/$m.jsonl" |
    sed -n 's/.*"critic\/accuracy":\([0-9.e+-]*\).*"response_length\/mean":\([0-9.e+-]*\).*/\1 \2/p' |
    awk -v m="$m" '{a += $1; l += $2; n++} END {if (n) printf "  %-12s accuracy %.3f  length %.1f\n", m, a / n, l / n}'
done
echo "demo: finished in $(($(date +%s) - t_start)) s; outputs in $out"
