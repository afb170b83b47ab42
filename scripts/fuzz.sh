#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and runs each for SECONDS, one after the
# other on one core (nice'd), starting from seeds made from real files (fuzz/make_seeds.py).
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (defaults: 60 s, every target in fuzz/CMakeLists.txt)
#   e.g. scripts/fuzz.sh 600 fuzz_safetensors fuzz_snapshot
# Environment: LEADRL_FUZZ_BUILD (build folder, default build-fuzz), LEADRL_SHARED (the
# shared data folder, default ../shared), LEADRL_FUZZ_CORPUS (corpus root, default
# BUILD/fuzz/corpus; it grows from run to run).
# Prints one line per target: seconds it ran, executions, exec/s, coverage (cov/ft), corpus
# size and findings. Exits 1 when a target found a crash, leak, timeout or out-of-memory input
# (the reproducer is BUILD/fuzz/artifacts/TARGET/crash-*; the log BUILD/fuzz/logs/TARGET.log),
# 2 when clang is missing.
set -euo pipefail
seconds="${1:-60}"
shift || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LEADRL_FUZZ_BUILD:-${root}/build-fuzz}"
export LEADRL_SHARED="${LEADRL_SHARED:-${root}/../shared}"
cxx="$(command -v clang++ || command -v clang++-14 || true)"
cc="$(command -v clang || command -v clang-14 || true)"
if [[ -z "${cxx}" || -z "${cc}" ]]; then
  echo "fuzz.sh: clang not found (Debian: apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 2
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  read -r -a targets <<<"$(sed -n 's/^set(LEADRL_FUZZERS \(.*\))$/\1/p' "${root}/fuzz/CMakeLists.txt")"
fi

t0=$(date +%s)
cmake -S "${root}" -B "${build}" -DCMAKE_C_COMPILER="${cc}" -DCMAKE_CXX_COMPILER="${cxx}" \
  -DLEADRL_BUILD_FUZZ=ON -DLEADRL_BUILD_TESTS=OFF -DLEADRL_BUILD_BENCH=OFF >/dev/null
cmake --build "${build}" --target "${targets[@]}" -j"${LEADRL_FUZZ_BUILD_JOBS:-2}" >/dev/null
echo "fuzz.sh: built ${#targets[@]} targets in $(( $(date +%s) - t0 )) s"

corpus_root="${LEADRL_FUZZ_CORPUS:-${build}/fuzz/corpus}"
# Readers that take a path write their input into this folder (fuzz/fuzz_support.hpp).
export LEADRL_FUZZ_SCRATCH="/dev/shm/leadrl_fuzz_scratch.$$"
[[ -d /dev/shm && -w /dev/shm ]] || LEADRL_FUZZ_SCRATCH="${build}/fuzz/scratch.$$"
trap 'rm -rf "${LEADRL_FUZZ_SCRATCH}"' EXIT

# Where a crash happened, replaying its input alone: "libhdf5" when the first frame of the
# stack that is in the HDF5 C library or in this repository's sources is in the library
# (HDF5's own bug on a hostile file, recorded in docs/fuzzing.md); "unreproduced" when the
# input alone does not fail (fork mode: the aftermath of an earlier input's heap corruption
# inside libhdf5 in the same child); else "ours". Frames of the C++ wrapper (libhdf5_cpp)
# count as neither: what it is asked to do is our code's choice.
crash_site() {
  local out frame
  out=$(ASAN_OPTIONS=detect_leaks=0 "$1" -timeout=10 "$2" 2>&1) && { echo unreproduced; return; }
  frame=$(grep -E '^ +#[0-9]+ ' <<<"${out}" |
          grep -m 1 -E "libhdf5(_serial)?\.so|${root}/.*\.(cpp|hpp):[0-9]" || true)
  if [[ "${frame}" =~ libhdf5(_serial)?\.so ]]; then echo libhdf5; else echo ours; fi
}

found=0
for target in "${targets[@]}"; do
  exe="${build}/fuzz/${target}"
  corpus="${corpus_root}/${target}"
  seeds="${build}/fuzz/seeds/${target}"
  artifacts="${build}/fuzz/artifacts/${target}"
  log="${build}/fuzz/logs/${target}.log"
  rm -rf "${seeds}"
  mkdir -p "${corpus}" "${seeds}" "${artifacts}" "$(dirname "${log}")"
  python3 "${root}/fuzz/make_seeds.py" "${target}" "${seeds}"
  case "${target}" in
    fuzz_snapshot | fuzz_tokenizer) LEADRL_FUZZ_WRITE_SEEDS="${seeds}" "${exe}" >/dev/null 2>&1 || true ;;
  esac
  flags=(-max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048
         -print_final_stats=1 -artifact_prefix="${artifacts}/")
  started="${build}/fuzz/logs/${target}.started"  # artifacts newer than this are this run's
  touch "${started}"
  case "${target}" in
    fuzz_grader) flags+=(-dict="${root}/fuzz/grader.dict" -max_len=4096) ;;
    fuzz_config) flags+=(-dict="${root}/fuzz/ini.dict" -max_len=8192) ;;
    fuzz_chat_template) flags+=(-dict="${root}/fuzz/chat_template.dict" -max_len=1024) ;;
    # libhdf5 itself leaks and crashes on some corrupt files (docs/fuzzing.md): leak
    # detection is off, and the target runs in fork mode, where a crash ends one child
    # and fuzzing goes on; each crash is then sorted by where it happened (crash_site).
    fuzz_snapshot) flags+=(-dict="${root}/fuzz/hdf5.dict" -max_len=140000 -detect_leaks=0
                           -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1) ;;
    fuzz_tokenizer) flags+=(-dict="${root}/fuzz/json.dict" -max_len=16384) ;;
    *) flags+=(-dict="${root}/fuzz/json.dict" -max_len=8192) ;;
  esac
  status=0
  t_run=$(date +%s)
  nice -n 10 "${exe}" "${flags[@]}" "${corpus}" "${seeds}" >"${log}" 2>&1 || status=$?
  ran=$(( $(date +%s) - t_run ))
  # libFuzzer's last progress line ("#N ... cov: C ft: F corp: K/..", in fork mode
  # "#N: cov: ...") and final statistics (not printed in fork mode).
  last=$(grep -E '^#[0-9]+' "${log}" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "${log}" | tail -n 1)
  [[ -n "${execs}" ]] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"${last}")
  [[ -n "${rate}" || -z "${execs}" ]] || rate=$(( execs / (ran > 0 ? ran : 1) ))
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"${last}")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"${last}")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"${last}")
  findings=""
  hdf5_crashes=0
  unreproduced=0
  for a in $(find "${artifacts}" -maxdepth 1 -newer "${started}" -type f \
               -regex '.*/\(crash\|leak\|timeout\|oom\|slow-unit\)-[0-9a-f]*' | sort); do
    site=ours
    [[ "${target}" == fuzz_snapshot ]] && site=$(crash_site "${exe}" "${a}")
    if [[ "${site}" == libhdf5 ]]; then
      hdf5_crashes=$((hdf5_crashes + 1))
      mkdir -p "${artifacts}/libhdf5"
      mv "${a}" "${artifacts}/libhdf5/"
    elif [[ "${site}" == unreproduced ]]; then
      unreproduced=$((unreproduced + 1))
      mkdir -p "${artifacts}/unreproduced"
      mv "${a}" "${artifacts}/unreproduced/"
    else
      findings+="$(basename "${a}") "
    fi
  done
  # Fork mode exits 0 after ignored crashes; a plain run exits non-zero on a finding.
  [[ "${target}" == fuzz_snapshot && -z "${findings}" ]] && status=0
  if [[ ${status} -eq 72 && -z "${findings}" ]]; then
    summary="interrupted, no findings"  # libFuzzer's exit code after SIGINT
  elif [[ ${status} -ne 0 || -n "${findings}" ]]; then
    found=1
    summary="FINDINGS (exit ${status}): $(echo ${findings:-see log}) -- ${log}"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz invariant)' "${log}" | head -n 3 >&2 || true
  else
    summary="no findings"
  fi
  if [[ ${hdf5_crashes} -gt 0 || ${unreproduced} -gt 0 ]]; then
    summary+=" (libhdf5 itself: ${hdf5_crashes} crashes in ${artifacts}/libhdf5,"
    summary+=" ${unreproduced} not reproduced alone in ${artifacts}/unreproduced)"
  fi
  printf '%-20s %5s s  %10s execs  %7s exec/s  cov %5s  ft %6s  corpus %5s  %s\n' "${target}" \
    "${ran}" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${summary}"
done
echo "fuzz.sh: finished in $(( $(date +%s) - t0 )) s"
exit "${found}"
