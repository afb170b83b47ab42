#!/usr/bin/env bash
# Builds the grader's libFuzzer target with clang and runs it.
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]     (defaults: 60 s, build-fuzz)
# Prints libFuzzer's final statistics; exits non-zero when the fuzzer found a crash
# (the reproducer is left as crash-* in BUILD_DIR/fuzz/artifacts).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${2:-${root}/build-fuzz}"
cxx="$(command -v clang++ || command -v clang++-14 || true)"
cc="$(command -v clang || command -v clang-14 || true)"
if [[ -z "${cxx}" || -z "${cc}" ]]; then
  echo "fuzz.sh: clang not found (Debian: apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 2
fi
cmake -S "${root}" -B "${build}" -DCMAKE_C_COMPILER="${cc}" -DCMAKE_CXX_COMPILER="${cxx}" \
  -DLEADRL_BUILD_FUZZ=ON -DLEADRL_BUILD_TESTS=OFF -DLEADRL_BUILD_BENCH=OFF >/dev/null
cmake --build "${build}" --target fuzz_grader -j2
exe="${build}/fuzz/fuzz_grader"
[[ -x "${exe}" ]] || exe="${build}/fuzz/clang/fuzz_grader"
corpus="${build}/fuzz/corpus"
artifacts="${build}/fuzz/artifacts"
mkdir -p "${corpus}" "${artifacts}"
# Seed the corpus with a few well-formed responses.
printf '\x00The answer is \\boxed{\\frac{1}{2}}.\x1f0.5' >"${corpus}/seed_frac"
printf '\x01So $\\boxed{(-\\infty, 0) \\cup \\{1\\}}$\x1f(-\\infty,0)\\cup\\{1\\}' >"${corpus}/seed_union"
printf '\x02<think>x</think> The answer is $2\\sqrt{2}$.\x1f\\sqrt{8}' >"${corpus}/seed_phrase"
printf '\x00\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}\x1f(1,2)' >"${corpus}/seed_matrix"
printf '\x08\\boxed{x = 1 \\pm \\sqrt{3}}\x1f1+\\sqrt3, 1-\\sqrt3' >"${corpus}/seed_pm"
# -jobs=1 runs the fuzzer in one child process whose log is fuzz-0.log in the current folder.
cd "${build}/fuzz"
rm -f fuzz-0.log
status=0
"${exe}" "${corpus}" -dict="${root}/fuzz/grader.dict" -max_total_time="${seconds}" \
  -jobs=1 -workers=1 -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
  -artifact_prefix="${artifacts}/" -print_final_stats=1 || status=$?
[[ -f fuzz-0.log ]] && tail -n 30 fuzz-0.log
if compgen -G "${artifacts}/crash-*" >/dev/null || compgen -G "${artifacts}/timeout-*" >/dev/null ||
   compgen -G "${artifacts}/leak-*" >/dev/null || compgen -G "${artifacts}/oom-*" >/dev/null; then
  echo "fuzz.sh: findings in ${artifacts}:" >&2
  ls "${artifacts}" >&2
  exit 1
fi
exit "${status}"
