#!/usr/bin/env bash
# Installs leadrl's Debian 12 dependencies when any is missing, then configures and
# builds everything (the leadrl binary, tests, benchmarks) into $LEADRL_BUILD_DIR
# (default: build/ in the source root). Safe to re-run: it installs and rebuilds only
# what is missing or changed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LEADRL_BUILD_DIR:-$root/build}

packages=(
  cmake make g++ pkg-config ccache
  libcaf-dev libtorch-dev libopenblas0-pthread
  libopenmpi-dev openmpi-bin
  libhdf5-dev hdf5-tools
  libboost-program-options-dev nlohmann-json3-dev libgtest-dev libpcre2-dev
  python3-h5py procps
  librsvg2-bin  # rsvg-convert: the PNG copies of the fair test's SVG plots
  clang libclang-rt-14-dev  # the libFuzzer targets and ctest fuzz.short_pass (fuzz/)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  t0=$(date +%s)
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  echo "setup: packages installed in $(( $(date +%s) - t0 )) s"
fi

t0=$(date +%s)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
# nproc honours OMP_NUM_THREADS, which the callers set to 1 for the programs they run
cmake --build "$build" -j"$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)"
echo "setup: build ready in $build ($(( $(date +%s) - t0 )) s)"
