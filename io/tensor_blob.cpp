#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/tensor_blob.hpp"

namespace leadrl::io {
namespace {

template <class T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

double element_value(dtype type, const std::uint8_t* p) {
  switch (type) {
    case dtype::f32:
      return load<float>(p);
    case dtype::f16:
      return half_to_float(load<std::uint16_t>(p));
    case dtype::bf16:
      return bfloat16_to_float(load<std::uint16_t>(p));
    case dtype::f64:
      return load<double>(p);
    case dtype::i64:
      return static_cast<double>(load<std::int64_t>(p));
    case dtype::i32:
      return load<std::int32_t>(p);
    case dtype::u8:
      return *p;
  }
  return 0.0;
}

}  // namespace

float half_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  std::uint32_t out = 0;
  if (exponent == 0x1f) {
    out = sign | 0x7f800000u | (mantissa << 13);  // infinity or NaN (payload kept)
  } else {
    out = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &out, sizeof f);
  return f;
}

result<tensor_value_stats> value_stats(const tensor_blob& t) {
  if (auto s = t.check(); !s) return s.error();
  tensor_value_stats stats;
  double sum_sq = 0.0;
  const std::size_t width = dtype_size(t.type);
  const std::size_t n = t.element_count();
  for (std::size_t i = 0; i < n; ++i) {
    const double v = element_value(t.type, t.bytes.data() + i * width);
    if (!std::isfinite(v)) {
      ++stats.nonfinite;
      continue;
    }
    sum_sq += v * v;
    stats.max_abs = std::max(stats.max_abs, std::fabs(v));
  }
  stats.l2_norm = std::sqrt(sum_sq);
  return stats;
}

}  // namespace leadrl::io
