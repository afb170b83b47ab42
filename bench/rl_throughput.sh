#!/usr/bin/env bash
# RL steps per second of the demo's LEAD config at rollout.staleness 0 and 1, at 1 and 2
# ranks (OMP_NUM_THREADS=1), from the demo's SFT base; each variant REPEATS times,
# interleaved so that background load hits them alike. The figure is `leadrl train
# trainer.timing=true`'s mean step time over the steps after the first.
# usage: bash bench/rl_throughput.sh [STEPS] [REPEATS] [EXTRA OVERRIDES...]
#   (defaults 40 and 3; run from the repository root after scripts/run.sh trained the base)
# Environment: LEADRL_BUILD_DIR (build/), LEADRL_BASE (out/demo/sft_model).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}
base=${LEADRL_BASE:-$root/out/demo/sft_model}
steps=${1:-40}
repeats=${2:-3}
shift $(($# > 2 ? 2 : $#))
[ -f "$base/config.json" ] || { echo "rl_throughput: no SFT base in $base" >&2; exit 2; }
export OMP_NUM_THREADS=1
declare -A times
for ((r = 1; r <= repeats; r++)); do
  for np in 1 2; do
    for k in 0 1; do
      line=$(bash "$root/scripts/mpirun.sh" -np "$np" -x OMP_NUM_THREADS=1 "$build/leadrl" train \
        "$root/configs/arith_lead.ini" model.path="$base" trainer.total_steps="$steps" \
        rollout.staleness="$k" trainer.timing=true trainer.progress=false trainer.log_jsonl= \
        "$@" 2>/dev/null | grep '^timing np=')
      s=$(echo "$line" | sed -n 's/.*: step \([0-9.]*\) s.*/\1/p')
      echo "np=$np k=$k repeat $r: $line"
      times[$np,$k]="${times[$np,$k]:-} $s"
    done
  done
done
echo
echo "| ranks | staleness | step s (each repeat) | steps/s (median) |"
echo "| --: | --: | --- | --: |"
for np in 1 2; do
  for k in 0 1; do
    med=$(echo ${times[$np,$k]} | tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '| %d | %d | %s | %.2f |\n' "$np" "$k" "${times[$np,$k]# }" "$(echo "1 / $med" | awk '{print 1/$3}')"
  done
done
