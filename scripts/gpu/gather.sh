#!/usr/bin/env bash
# Gathers, on a Debian 12 machine with network, the packages that leadrl's build needs and
# that the GPU machine lacks (CAF, Boost.Program_options, HDF5 C++, Open MPI, nlohmann_json,
# GoogleTest, PCRE2, pkg-config and their library closure), into .gpu_carry/ at the
# repository root (git-ignored). scripts/gpu/build.sh unpacks them there with dpkg -x.
#
#   bash scripts/gpu/gather.sh            # then: run(carry: [".gpu_carry"], ...)
#
# Of Boost only the headers that leadrl includes travel (the closure of those includes
# plus boost/config), as .gpu_carry/boost-headers.tar.gz, not the 9.5 MB libboost1.74-dev.
# Safe to re-run: a package already downloaded is kept; the output is the list of files
# with their total size and the shared libraries the carry still expects the GPU machine
# to have.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
carry=${LEADRL_GPU_CARRY:-$root/.gpu_carry}
debs=$carry/debs

# What each group is for. Runtime libraries are listed beside the -dev package whose
# libraries need them (readelf NEEDED of the unpacked files; checked at the end).
packages=(
  # CAF 0.17 (FindCAF: caf/all.hpp, libcaf_core, libcaf_io)
  libcaf-dev libcaf-core0.17 libcaf-io0.17
  # Boost.Program_options (its CMake config; the headers come from boost-headers.tar.gz)
  libboost-program-options1.74-dev libboost-program-options1.74.0
  # HDF5 C and C++ (serial), and what libhdf5_serial.so links: libsz, libcurl, libcrypto
  libhdf5-dev libhdf5-103-1 libhdf5-cpp-103-1 libsz2 libaec0
  libcurl4 libssl3 libnghttp2-14 libidn2-0 libunistring2 librtmp1 libssh2-1 libpsl5
  libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1
  libldap-2.5-0 libsasl2-2 libsasl2-modules-db libdb5.3 libzstd1 libbrotli1
  libgnutls30 libnettle8 libhogweed6 libgmp10 libp11-kit0 libtasn1-6 libffi8
  libgcrypt20 libgpg-error0
  # Open MPI 4.1 (mpicc wrapper for FindMPI, orted for singleton runs, mpirun) and PMIx
  libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common
  libpmix2 libmunge2 libhwloc15 libudev1 libevent-core-2.1-7 libevent-pthreads-2.1-7
  # header-only and static pieces
  nlohmann-json3-dev libgtest-dev
  # PCRE2 (pkg-config libpcre2-8) and pkg-config itself
  libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3
  pkgconf pkgconf-bin libpkgconf3
)
# Boost headers that leadrl's sources include (grep '#include <boost' in the tree).
boost_includes=(boost/program_options.hpp boost/any.hpp)

mkdir -p "$debs"
t0=$(date +%s)

# apt-get download with the system's package lists; if a list is stale or missing, with
# fresh lists in a temporary folder (no change to the system's apt state).
lists=""
download() {  # download DIR PACKAGE...
  local dir=$1 opts=()
  shift
  [ -n "$lists" ] && opts=(-oDir::State::Lists="$lists" -oDir::Cache="$lists/cache")
  (cd "$dir" && apt-get "${opts[@]}" download "$@")
}
missing=()
for p in "${packages[@]}"; do
  compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "gather: downloading ${#missing[@]} packages"
  if ! download "$debs" "${missing[@]}" >/dev/null 2>&1; then
    lists=$(mktemp -d /tmp/leadrl-apt-lists.XXXXXX)
    mkdir -p "$lists/partial" "$lists/cache/archives/partial"
    echo "gather: refreshing package lists in $lists"
    apt-get -q -oDir::State::Lists="$lists" -oDir::Cache="$lists/cache" update >/dev/null
    left=()
    for p in "${missing[@]}"; do
      compgen -G "$debs/${p}_*.deb" >/dev/null || left+=("$p")
    done
    download "$debs" "${left[@]}"
  fi
fi
# The full Boost package is only the source of the headers: it stays here, outside the
# carry.
cache=$root/.gpu_carry_cache
mkdir -p "$cache"
if ! compgen -G "$cache/libboost1.74-dev_*.deb" >/dev/null; then
  download "$cache" libboost1.74-dev >/dev/null
fi

# Boost headers: the include closure of boost_includes, compiled as leadrl compiles them
# (C++17), plus all of boost/config (it picks headers by compiler), and Boost's CMake
# configs (BoostConfig, boost_headers), which find the headers relative to themselves.
boost_tar=$carry/boost-headers.tar.gz
boost_deb=$(compgen -G "$cache/libboost1.74-dev_*.deb" | head -1)
if [ ! -s "$boost_tar" ] || [ "$boost_deb" -nt "$boost_tar" ]; then
  tmp=$(mktemp -d /tmp/leadrl-boost.XXXXXX)
  dpkg -x "$boost_deb" "$tmp/x"
  printf '#include <%s>\n' "${boost_includes[@]}" >"$tmp/tu.cpp"
  g++ -std=c++17 -M -I"$tmp/x/usr/include" "$tmp/tu.cpp" | tr ' \\' '\n\n' |
    sed -n "s|^$tmp/x/||p" | sort -u >"$tmp/files"
  (cd "$tmp/x" && find usr/include/boost/config usr/lib/x86_64-linux-gnu/cmake \
     -type f -o -type l) >>"$tmp/files"
  tar -C "$tmp/x" -czf "$boost_tar" -T <(sort -u "$tmp/files")
  echo "gather: boost-headers.tar.gz: $(sort -u "$tmp/files" | wc -l) files"
  rm -rf "$tmp"
fi

# The one shared model the model tests load (1.6 MB): ../shared does not travel to the
# GPU machine, so check.sh points LEADRL_SHARED at this copy.
shared=${LEADRL_SHARED:-$root/../shared}
tiny=data/models/verl-tiny-llama-random
if [ -d "$shared/$tiny" ]; then
  mkdir -p "$carry/shared/$tiny"
  cp -u "$shared/$tiny"/* "$carry/shared/$tiny/"
else
  echo "gather: no $shared/$tiny (set LEADRL_SHARED): the model tests that load it will fail"
fi

# The closure check: every NEEDED soname of an ELF file in the carry is carried, or is a
# base library every glibc system has. Anything else is printed with the files that need
# it. Expected there: the network plugins of Open MPI (openib, ofi, ucx, psm), which
# build.sh leaves unused (OMPI_MCA_* settings); build.sh checks leadrl itself with ldd.
tmp=$(mktemp -d /tmp/leadrl-carry.XXXXXX)
for d in "$debs"/*.deb; do dpkg -x "$d" "$tmp"; done
provided="" needs=""  # needs: "soname file" per NEEDED entry
while read -r f; do
  dyn=$(readelf -d "$f" 2>/dev/null) || continue
  provided+=$(sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p' <<<"$dyn")$'\n'
  needs+=$(sed -n "s/.*(NEEDED).*\[\(.*\)\]/\1 ${f##*/}/p" <<<"$dyn")$'\n'
done < <(find "$tmp" -type f \( -name '*.so*' -o -path '*/bin/*' \))
rm -rf "$tmp"
base='^(libc|libm|libdl|librt|libpthread|libutil|libresolv|ld-linux-x86-64|libstdc\+\+|libgcc_s|libz)\.so'
report=$(awk 'NR == FNR { if ($1 != "") have[$1] = 1; next }
              $1 != "" && !($1 in have) { users[$1] = users[$1] (users[$1] ? "," : "") $2 }
              END { for (so in users) printf "  %s (needed by %s)\n", so, users[so] }' \
           <(echo "$provided") <(echo "$needs") | grep -Ev "^  ${base#^}" | sort || true)

ls -l "$debs" | awk 'NR>1{printf "  %8d  %s\n", $5, $9}'
printf '  %8d  %s\n' "$(stat -c %s "$boost_tar")" boost-headers.tar.gz
[ -d "$carry/shared" ] && printf '  %8d  %s\n' "$(du -sb "$carry/shared" | cut -f1)" "shared/$tiny"
echo "gather: $(ls "$debs" | wc -l) packages, boost headers and the tiny model in $carry:" \
     "$(du -sb "$carry" | awk '{printf "%.1f MB", $1/1e6}') (carry limit 64 MiB)," \
     "$(( $(date +%s) - t0 )) s"
if [ -n "$report" ]; then
  echo "gather: not carried, expected absent or present on the GPU machine:"
  echo "$report" | cut -c1-160
fi
