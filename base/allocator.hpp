// File: base/allocator.hpp
//
// glibc malloc settings for a process that allocates and frees tensors of megabytes every
// step. By default glibc returns every block above its (dynamic) mmap threshold to the
// kernel on free and trims the heap top above 128 KiB, so each step faults the same pages
// in again. configure_allocator() raises the mmap threshold to 32 MiB, the trim threshold
// to 2 GiB (mallopt's largest) and turns mmap-served blocks off (M_MMAP_MAX = 0): every
// buffer, the 39 MB gradient of a 151,936 x 64 embedding included, is reused from the heap.
// (With mmap kept for blocks above 32 MiB, SFT of a tiny BPE Qwen2 spent half its time in
// the kernel: 24 of 50 s.) Freed memory stays with the process, which suits a training loop
// that allocates the same sizes every step. Every leadrl program (the binary, the tests, the benchmarks)
// calls it before main through base/startup/allocator_setup.cpp. Opt out with
// LEADRL_MALLOC=default, or set glibc's own GLIBC_TUNABLES malloc keys (then leadrl
// leaves malloc alone).
//
//   const leadrl::allocator_settings s = leadrl::configure_allocator();
//   if (s.applied) ...  // s.reason says why not otherwise
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace leadrl {

/// What configure_allocator did.
struct allocator_settings {
  bool applied = false;
  std::size_t mmap_threshold = 0;  ///< bytes; 0 when not applied
  std::size_t trim_threshold = 0;
  bool mmap_blocks = true;  ///< whether malloc may still serve a block with mmap
  std::string reason;  ///< why not applied ("" when applied)
};

inline constexpr int k_mmap_threshold = 32 << 20;    // glibc's largest mmap threshold
inline constexpr int k_trim_threshold = 0x7fffffff;  // mallopt takes an int

/// Applies the settings above unless LEADRL_MALLOC=default or GLIBC_TUNABLES names a
/// glibc.malloc key. Safe to call more than once.
inline allocator_settings configure_allocator() {
  allocator_settings s;
  if (const char* m = std::getenv("LEADRL_MALLOC");
      m != nullptr && std::strcmp(m, "default") == 0) {
    s.reason = "LEADRL_MALLOC=default";
    return s;
  }
  if (const char* t = std::getenv("GLIBC_TUNABLES");
      t != nullptr && std::strstr(t, "glibc.malloc.")) {
    s.reason = "GLIBC_TUNABLES sets glibc.malloc keys";
    return s;
  }
  if (mallopt(M_MMAP_THRESHOLD, k_mmap_threshold) != 1 ||
      mallopt(M_TRIM_THRESHOLD, k_trim_threshold) != 1 || mallopt(M_MMAP_MAX, 0) != 1) {
    s.reason = "mallopt refused the settings";
    return s;
  }
  s.applied = true;
  s.mmap_threshold = static_cast<std::size_t>(k_mmap_threshold);
  s.trim_threshold = static_cast<std::size_t>(k_trim_threshold);
  s.mmap_blocks = false;
  return s;
}

}  // namespace leadrl
