#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a LEAD training run on the
# built-in arithmetic task across 2 MPI ranks (generator, verifier, learner on every
# rank; the controller on rank 0), printing a progress line per step and writing one
# JSONL metrics line per step to out/arith_tiny_lead.jsonl.
# Extra arguments are config overrides, e.g.: bash scripts/run.sh trainer.total_steps=50
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}
ranks=${LEADRL_RANKS:-2}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

bash "$root/scripts/setup.sh"
mkdir -p "$root/out"
cd "$root/out"
mpi_flags=(--oversubscribe --mca btl self,vader,tcp)
[ "$(id -u)" -eq 0 ] && mpi_flags+=(--allow-run-as-root)
mpirun "${mpi_flags[@]}" -np "$ranks" "$build/leadrl" train "$root/configs/arith_tiny_lead.ini" \
  trainer.log_jsonl="$root/out/arith_tiny_lead.jsonl" "$@"
echo "run: per-step metrics in $root/out/arith_tiny_lead.jsonl"
