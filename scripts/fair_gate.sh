#!/usr/bin/env bash
# The fair test's gate (issue 17, docs/experiments/fair_test.md): trains the SFT base of
# configs/fair_sft.ini (reused when its output already holds a checkpoint of the same
# configuration) and runs `leadrl step-gate` on it; the gate's table and verdict go to
# stdout and OUT/gate.md. Exit code: the gate's (0 pass, 1 fail), 2 on bad input.
# usage: bash scripts/fair_gate.sh [--smoke] [key=value ...]   (overrides of fair_sft.ini)
# --smoke checks the pipeline, not the result: a 1-layer model, 4 SFT steps, 3 problems per
# level, 24-token answers; its gate fails for lack of answers, and the script then exits 0.
# Environment: LEADRL_BUILD_DIR (build/), LEADRL_FAIR_OUT (out/fair), LEADRL_FAIR_RANKS (2:
# the SFT's MPI ranks; 1 runs it as one process), LEADRL_FAIR_GATE ("": extra step-gate
# options, e.g. "--problems 200").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}
out=${LEADRL_FAIR_OUT:-$root/out/fair}
ranks=${LEADRL_FAIR_RANKS:-2}
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
sft_args=(sft.output_dir="$out/sft_model" "$@")
gate_args=(--threads 1)
if [ "$smoke" -eq 1 ]; then
  sft_args=(model.hidden_size=32 model.num_layers=1 data.max_response_length=64 sft.steps=4
            sft.batch_size=4 sft.eval_problems=4 sft.eval_every=0 --force "${sft_args[@]}")
  gate_args+=(--problems 3 -n 2 --max-new-tokens 24)
  ranks=1
fi
mkdir -p "$out"
export OMP_NUM_THREADS=1
t0=$(date +%s)
if [ "$ranks" -gt 1 ]; then
  bash "$root/scripts/mpirun.sh" -np "$ranks" "$build/leadrl" sft "$root/configs/fair_sft.ini" \
    "${sft_args[@]}" 2>&1 | tee "$out/sft.log" >&2
else
  "$build/leadrl" sft "$root/configs/fair_sft.ini" "${sft_args[@]}" 2>&1 | tee "$out/sft.log" >&2
fi
echo "fair_gate: SFT stage ${ranks} rank(s), $(($(date +%s) - t0)) s" >&2
t0=$(date +%s)
code=0
# shellcheck disable=SC2086
"$build/leadrl" step-gate --model "$out/sft_model" "${gate_args[@]}" ${LEADRL_FAIR_GATE:-} \
  --out-md "$out/gate.md" || code=$?
echo "fair_gate: gate stage $(($(date +%s) - t0)) s, exit $code" >&2
if [ "$smoke" -eq 1 ] && [ "$code" -eq 1 ]; then
  echo "fair-gate-smoke-ok"
  exit 0
fi
exit "$code"
