#!/usr/bin/env bash
# Builds leadrl on the GPU machine from the carried packages (.gpu_carry/, made here by
# scripts/gpu/gather.sh): probes the machine, unpacks every .deb into a prefix inside the
# build folder (dpkg -x, never into /), configures CMake with the Torch of python3's wheel
# and the unpacked prefix, and builds only the targets named.
#
#   bash scripts/gpu/build.sh                       # leadrl leadrl_model_tests
#   bash scripts/gpu/build.sh leadrl leadrl_io_tests
#
# Environment (all optional):
#   LEADRL_GPU_BUILD       build folder (default: build-gpu in the source root)
#   LEADRL_GPU_CARRY       the gathered packages (default: .gpu_carry in the source root)
#   LEADRL_GPU_JOBS        parallel compile jobs (default: all cores)
#   LEADRL_GPU_TORCH_DIR   a TorchConfig.cmake folder; default: python3's torch, else the
#                          system LibTorch (the CPU rehearsal: Debian's LibTorch 1.13)
#   LEADRL_GPU_CMAKE_ARGS  extra configure arguments (e.g. -DLEADRL_WERROR=ON)
#   LEADRL_GPU_NEED_CUDA   1: stop unless nvidia-smi works and torch sees CUDA (default: 1
#                          where nvidia-smi exists, else 0)
# Writes BUILD/carry-env.sh: the environment leadrl's programs need at run time (the
# libraries the system lacks, OPAL_PREFIX/PMIX_INSTALL_PREFIX for the moved Open MPI).
# Exit status: 0 built, 1 a probe, the configure or the build failed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${LEADRL_GPU_BUILD:-$root/build-gpu}
carry=${LEADRL_GPU_CARRY:-$root/.gpu_carry}
jobs=${LEADRL_GPU_JOBS:-$(env -u OMP_NUM_THREADS nproc)}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(leadrl leadrl_model_tests)
prefix=$build/carry-prefix
arch=x86_64-linux-gnu

fail() { echo "build: STOP: $*" >&2; exit 1; }
t0=$(date +%s)

# --- probe -------------------------------------------------------------------------------
need_cuda=${LEADRL_GPU_NEED_CUDA:-$(command -v nvidia-smi >/dev/null && echo 1 || echo 0)}
if command -v nvidia-smi >/dev/null; then
  gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1) ||
    fail "nvidia-smi failed: $gpu"
  echo "build: gpu: $gpu"
elif [ "$need_cuda" = 1 ]; then
  fail "no nvidia-smi (LEADRL_GPU_NEED_CUDA=1)"
else
  echo "build: no nvidia-smi: CPU rehearsal"
fi
for tool in cmake g++ make python3 dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool not found on PATH"
done
echo "build: $(cmake --version | head -1), $(g++ --version | head -1), $(python3 --version)"
compgen -G "$carry/debs/*.deb" >/dev/null ||
  fail "no packages in $carry/debs: run scripts/gpu/gather.sh on a machine with network and carry .gpu_carry"
[ -s "$carry/boost-headers.tar.gz" ] || fail "$carry/boost-headers.tar.gz missing: rerun gather.sh"

torch_dir=${LEADRL_GPU_TORCH_DIR:-}
torch_prefix=""
if probe=$(python3 - 2>&1 <<'EOF'
import torch
print("version", torch.__version__)
print("cuda", torch.version.cuda, torch.cuda.is_available())
print("abi", int(torch._C._GLIBCXX_USE_CXX11_ABI))
print("prefix", torch.utils.cmake_prefix_path)
import os
print("lib", os.path.join(os.path.dirname(torch.__file__), "lib"))
EOF
); then
  echo "$probe" | sed 's/^/build: torch /'
  abi=$(awk '$1 == "abi" {print $2}' <<<"$probe")
  [ "$abi" = 1 ] || fail "python3's torch uses the old C++ ABI (_GLIBCXX_USE_CXX11_ABI=0): \
Debian's CAF, Boost and HDF5 C++ libraries use the new one, so leadrl cannot link against \
both. Use a torch wheel built with the new ABI (PyTorch >= 2.7 on PyPI) or LibTorch's \
cxx11-abi download (LEADRL_GPU_TORCH_DIR)."
  if [ "$need_cuda" = 1 ]; then
    awk '$1 == "cuda" && $3 == "True" {ok = 1} END {exit !ok}' <<<"$probe" ||
      fail "torch does not see CUDA (torch.cuda.is_available() is False)"
  fi
  torch_prefix=$(awk '$1 == "prefix" {print $2}' <<<"$probe")
  [ -n "$torch_dir" ] || torch_dir=$torch_prefix/Torch
elif [ "$need_cuda" = 1 ]; then
  fail "python3 cannot import torch: $(tail -1 <<<"$probe")"
else
  echo "build: python3 has no torch ($(tail -1 <<<"$probe")): using the system LibTorch"
fi
if [ -z "$torch_dir" ]; then
  for d in /usr/lib/$arch/cmake/Torch /usr/share/cmake/Torch /usr/local/share/cmake/Torch; do
    [ -f "$d/TorchConfig.cmake" ] && torch_dir=$d && break
  done
fi
[ -f "$torch_dir/TorchConfig.cmake" ] || fail "no TorchConfig.cmake (torch dir '$torch_dir')"
echo "build: Torch_DIR $torch_dir"

# --- unpack ------------------------------------------------------------------------------
# Re-unpacked only when the set of packages changed (the stamp lists them).
mkdir -p "$build"
stamp=$prefix/.unpacked
want=$(cd "$carry" && ls -l debs boost-headers.tar.gz | md5sum)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$prefix"
  mkdir -p "$prefix"
  for deb in "$carry"/debs/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
  tar -C "$prefix" -xzf "$carry/boost-headers.tar.gz"
  echo "$want" >"$stamp"
  echo "build: unpacked $(ls "$carry"/debs | wc -l) packages into $prefix"
fi

# Libraries for run time: the carried sonames the system's loader does not already know,
# linked into one folder for LD_LIBRARY_PATH (the system's own copies stay in use: a
# newer libssl or libcurl is not shadowed by Debian 12's).
runlib=$build/carry-lib
rm -rf "$runlib"
mkdir -p "$runlib"
known=$(ldconfig -p 2>/dev/null | awk '{print $1}' | sort -u)
for dir in "$prefix/lib/$arch" "$prefix/usr/lib/$arch" "$prefix/usr/lib/$arch/pmix2/lib"; do
  [ -d "$dir" ] || continue
  for lib in "$dir"/*.so.*; do
    [ -e "$lib" ] || continue
    so=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ -n "$so" ] && [ ! -e "$runlib/$so" ] && ! grep -qxF "$so" <<<"$known" &&
      ln -s "$lib" "$runlib/$so"
  done
done
echo "build: $(ls "$runlib" | wc -l) carried libraries are not on this system: $runlib"
cat >"$build/carry-env.sh" <<EOF
# Written by scripts/gpu/build.sh: the run-time environment of the carried build.
export LD_LIBRARY_PATH="$runlib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export PATH="\$PATH:$prefix/usr/bin"
# Open MPI and PMIx moved out of /usr find their plugins and orted through these.
export OPAL_PREFIX="$prefix/usr"
export PMIX_INSTALL_PREFIX="$prefix/usr/lib/$arch/pmix2"
# Shared memory and TCP only (the carry holds no InfiniBand, UCX or libfabric), no
# messages about the plugins that cannot load for that reason, root allowed, and no
# single-copy shared memory (ptrace is often refused in containers).
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp OMPI_MCA_osc=pt2pt,sm
export OMPI_MCA_mca_base_component_show_load_errors=0
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
EOF

# --- configure ---------------------------------------------------------------------------
# The prefix comes first in CMAKE_PREFIX_PATH (CAF, Boost, nlohmann_json, GTest); HDF5
# by HDF5_ROOT (searched alone: NO_DEFAULT_PATH), MPI by the moved mpicc wrapper, PCRE2
# by pkg-config with the prefix as sysroot. Set explicitly so that a machine with the
# system packages installed (this rehearsal) still configures against the carry.
source "$build/carry-env.sh"
export PKG_CONFIG_LIBDIR=$prefix/usr/lib/$arch/pkgconfig:$prefix/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$prefix
pkg_config=$(command -v pkg-config || echo "$prefix/usr/bin/pkgconf")
nccl_args=()
if [ -n "$torch_prefix" ]; then
  # The NCCL of the nvidia-nccl wheel torch uses: it ships libnccl.so.2, no libnccl.so.
  site=$(dirname "$(dirname "$(dirname "$torch_prefix")")")
  nccl=$(compgen -G "$site/nvidia/nccl" || compgen -G "$site/nvidia/*/nccl" || true)
  nccl=${nccl%%$'\n'*}
  if [ -n "$nccl" ] && [ -f "$nccl/include/nccl.h" ]; then
    lib=$(compgen -G "$nccl/lib/libnccl.so*" | head -1)
    nccl_args=(-DNCCL_INCLUDE_DIR="$nccl/include" -DNCCL_LIBRARY="$lib")
    echo "build: NCCL from the wheel: $lib"
  fi
  [ -n "${CUDA_HOME:-}" ] || { [ -d /usr/local/cuda ] && export CUDA_HOME=/usr/local/cuda; }
fi
# shellcheck disable=SC2086  # LEADRL_GPU_CMAKE_ARGS is a list of arguments
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix/usr;$prefix" -DTorch_DIR="$torch_dir" \
  -DHDF5_ROOT="$prefix/usr/lib/$arch/hdf5/serial" -DHDF5_PREFER_PARALLEL=OFF \
  -DMPI_C_COMPILER="$prefix/usr/bin/mpicc.openmpi" -DMPIEXEC_EXECUTABLE="$prefix/usr/bin/mpirun.openmpi" \
  -DPKG_CONFIG_EXECUTABLE="$pkg_config" -DLEADRL_WERROR=OFF \
  "${nccl_args[@]}" ${LEADRL_GPU_CMAKE_ARGS:-} >"$build/configure.log" 2>&1 ||
  { tail -40 "$build/configure.log"; fail "configure failed (whole log: $build/configure.log)"; }
grep -E '^-- leadrl ' "$build/configure.log" | sed 's/^-- /build: /'

# Where each dependency was found: all under the prefix, except Torch (and NCCL).
echo "build: found:"
grep -E '^(CAF_CORE_LIBRARY|CAF_INCLUDE_DIR|Boost_DIR|boost_program_options_DIR|HDF5_C_LIBRARY_hdf5|HDF5_hdf5_LIBRARY_RELEASE|HDF5_hdf5_cpp_LIBRARY_RELEASE|HDF5_C_INCLUDE_DIR|MPI_mpi_LIBRARY|MPI_C_COMPILER|nlohmann_json_DIR|GTest_DIR|pkgcfg_lib_PCRE2_pcre2-8|Torch_DIR|NCCL_LIBRARY):' \
  "$build/CMakeCache.txt" | sed 's/:[A-Z]*=/ = /; s/^/  /'
outside=$(grep -E '^(CAF_CORE_LIBRARY|boost_program_options_DIR|HDF5_C_LIBRARY_hdf5|HDF5_hdf5_LIBRARY_RELEASE|HDF5_hdf5_cpp_LIBRARY_RELEASE|MPI_mpi_LIBRARY|nlohmann_json_DIR|GTest_DIR|pkgcfg_lib_PCRE2_pcre2-8):' \
  "$build/CMakeCache.txt" | grep -vF "=$prefix/" || true)
[ -z "$outside" ] || fail "found outside the carried prefix: $outside"

# --- build -------------------------------------------------------------------------------
echo "build: building ${targets[*]} with -j$jobs"
cmake --build "$build" --target "${targets[@]}" -j"$jobs" >"$build/build.log" 2>&1 ||
  { grep -E 'error|Error' "$build/build.log" | head -30; tail -15 "$build/build.log"
    fail "build failed (whole log: $build/build.log)"; }
for t in "${targets[@]}"; do
  bin=$(find "$build" -maxdepth 2 -type f -name "$t" -perm -u+x | head -1)
  [ -n "$bin" ] || continue
  missing=$(ldd "$bin" | grep 'not found' || true)
  [ -z "$missing" ] || fail "$t: libraries not found at run time: $missing"
  echo "build: $t: $(ldd "$bin" | grep -cF "$prefix") libraries from the carry," \
       "$(ldd "$bin" | grep -cE 'torch|c10') from torch"
done
echo "build: done in $(( $(date +%s) - t0 )) s"
