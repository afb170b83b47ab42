// File: io/tensor_blob.hpp
//
// A tensor as the file layer sees it: raw bytes in host (little-endian) order, an
// element type named as safetensors names it (F32, F16, BF16, F64, I64, I32, U8) and a
// shape. io/ never includes torch; model/ converts torch::Tensor to and from this
// (model/tensor_types.hpp).
//
//   io::tensor_blob w{io::dtype::bf16, {2, 3}, std::vector<std::uint8_t>(12)};
//   if (auto s = w.check(); !s) std::cerr << s.error().message() << "\n";
//   auto stats = io::value_stats(w);  // L2 norm, max |x|, non-finite count
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bfloat16.hpp"
#include "base/result.hpp"

namespace leadrl::io {

/// Element type of a tensor; the text names are the safetensors ones.
enum class dtype { f32, f16, bf16, f64, i64, i32, u8 };

namespace detail {
struct dtype_info {
  dtype type;
  std::string_view name;  ///< the safetensors spelling
  std::size_t size;       ///< bytes per element
};
inline constexpr dtype_info dtype_infos[] = {
    {dtype::f32, "F32", 4}, {dtype::f16, "F16", 2}, {dtype::bf16, "BF16", 2},
    {dtype::f64, "F64", 8}, {dtype::i64, "I64", 8}, {dtype::i32, "I32", 4},
    {dtype::u8, "U8", 1},
};
}  // namespace detail

/// The safetensors name of `t`: "F32", "F16", "BF16", "F64", "I64", "I32", "U8".
inline std::string_view dtype_name(dtype t) {
  for (const auto& i : detail::dtype_infos) {
    if (i.type == t) return i.name;
  }
  return "?";
}

/// Bytes per element of `t`.
inline std::size_t dtype_size(dtype t) {
  for (const auto& i : detail::dtype_infos) {
    if (i.type == t) return i.size;
  }
  return 0;
}

/// Parses a safetensors dtype name. Fails for any other text, naming it.
inline result<dtype> parse_tensor_dtype(std::string_view name) {
  for (const auto& i : detail::dtype_infos) {
    if (name == i.name) return i.type;
  }
  return fail("dtype '" + std::string(name) +
              "': expected one of F32, F16, BF16, F64, I64, I32, U8");
}

/// A shape as messages and reports write it: "[2,3]", "[]" for a 0-d tensor.
inline std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

/// An owned tensor: `bytes.size()` must equal element_count() * dtype_size(type).
struct tensor_blob {
  dtype type = dtype::f32;
  std::vector<std::int64_t> shape;  ///< empty for a 0-d (scalar) tensor
  std::vector<std::uint8_t> bytes;

  /// Product of the shape (1 for a 0-d tensor).
  std::size_t element_count() const {
    std::size_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::size_t>(d < 0 ? 0 : d);
    return n;
  }

  /// Fails when a dimension is negative or the byte count does not match the shape.
  status check() const {
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] < 0) {
        return fail("shape[" + std::to_string(i) + "]: expected a size >= 0, got " +
                    std::to_string(shape[i]));
      }
    }
    const std::size_t expected = element_count() * dtype_size(type);
    if (bytes.size() != expected) {
      return fail("tensor of dtype " + std::string(dtype_name(type)) + " with " +
                  std::to_string(element_count()) + " elements: expected " +
                  std::to_string(expected) + " bytes, got " + std::to_string(bytes.size()));
    }
    return status::success();
  }

  friend bool operator==(const tensor_blob& a, const tensor_blob& b) {
    return a.type == b.type && a.shape == b.shape && a.bytes == b.bytes;
  }
  friend bool operator!=(const tensor_blob& a, const tensor_blob& b) { return !(a == b); }
};

/// The float value of an IEEE 754 binary16 (F16) bit pattern, exactly.
float half_to_float(std::uint16_t bits);
/// The float value of a bfloat16 (BF16) bit pattern, exactly (base/bfloat16.hpp).
using leadrl::bfloat16_to_float;

/// Summary statistics of a tensor's elements, accumulated in double.
struct tensor_value_stats {
  double l2_norm = 0.0;       ///< sqrt(sum x^2) over the finite elements
  double max_abs = 0.0;       ///< largest |x| over the finite elements
  std::size_t nonfinite = 0;  ///< NaN and infinite elements (not in the two above)
};

/// The statistics of `t`'s elements read from its bytes (any dtype; integers as their
/// values). Fails as tensor_blob::check() does when the bytes do not match the shape.
result<tensor_value_stats> value_stats(const tensor_blob& t);

}  // namespace leadrl::io
