// File: base/fnv1a.hpp
//
// FNV-1a 64, the byte hash every layer uses for checksums and stamps that must be the same
// on every platform (the arithmetic task's split and SFT data stamps from FNV's offset
// basis; parameter checksums, string checksums in snapshots and expression names from
// k_leadrl_checksum_offset). Chainable: pass the previous value as `h` to hash several
// pieces as one byte string.
//
//   std::uint64_t h = leadrl::fnv1a64("abc");
//   h = leadrl::fnv1a64_bytes(buffer.data(), buffer.size(), h);   // continues over more bytes
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace leadrl {

/// FNV's offset basis.
inline constexpr std::uint64_t k_fnv1a64_offset = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t k_fnv1a64_prime = 0x100000001b3ULL;
/// The starting value of the checksums leadrl has written since 0.1.0 (parameter
/// checksums, string checksums in snapshots, expression names): FNV's offset basis written
/// in decimal one digit short. Kept, so that existing snapshots and checksums stay valid.
inline constexpr std::uint64_t k_leadrl_checksum_offset = 1469598103934665603ULL;

/// FNV-1a 64 of the `n` bytes at `data`, continuing from `h`.
inline std::uint64_t fnv1a64_bytes(const void* data, std::size_t n,
                                   std::uint64_t h = k_fnv1a64_offset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * k_fnv1a64_prime;
  return h;
}

/// FNV-1a 64 of the bytes of `text`, continuing from `h`.
inline std::uint64_t fnv1a64(std::string_view text, std::uint64_t h = k_fnv1a64_offset) {
  return fnv1a64_bytes(text.data(), text.size(), h);
}

}  // namespace leadrl
