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
# One ctest job per core (nproc without OMP_NUM_THREADS, which it would otherwise honour).
# No test is repeated.
ctest --output-on-failure --timeout 900 -j"$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)" "$@"
echo "test: finished in $(( $(date +%s) - t0 )) s"
