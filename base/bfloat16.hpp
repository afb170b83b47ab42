// File: base/bfloat16.hpp
//
// bfloat16 bit patterns and float32: the upper 16 bits of a float, rounded to nearest even
// (the rounding torch and CUDA use), for code that handles bf16 buffers without torch
// (safetensors readers, the MPI bf16 sum).
//
//   std::uint16_t b = leadrl::float_to_bfloat16(1.5f);   // 0x3fc0
//   float f = leadrl::bfloat16_to_float(b);              // 1.5f, exactly
#pragma once

#include <cstdint>
#include <cstring>

namespace leadrl {

/// The float value of a bfloat16 bit pattern, exactly.
inline float bfloat16_to_float(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

/// The bfloat16 nearest to `f`, ties to even; a NaN stays a (quiet) NaN, infinities and
/// overflow go to infinity.
inline std::uint16_t float_to_bfloat16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x0040u);
  const std::uint32_t round = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>((bits + round) >> 16);
}

}  // namespace leadrl
