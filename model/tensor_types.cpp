#include "model/tensor_types.hpp"

#include <string_view>

namespace leadrl::model {
namespace {

struct dtype_row {
  io::dtype io;
  torch::Dtype torch;
  const char* config_name;  ///< "" for a type that is not a weight type
};

constexpr dtype_row dtype_rows[] = {
    {io::dtype::f32, torch::kFloat32, "float32"},
    {io::dtype::f16, torch::kFloat16, "float16"},
    {io::dtype::bf16, torch::kBFloat16, "bfloat16"},
    {io::dtype::f64, torch::kFloat64, ""},
    {io::dtype::i64, torch::kInt64, ""},
    {io::dtype::i32, torch::kInt32, ""},
    {io::dtype::u8, torch::kUInt8, ""},
};

const dtype_row* find_row(io::dtype d) {
  for (const auto& r : dtype_rows) {
    if (r.io == d) return &r;
  }
  return nullptr;
}

result<torch::Dtype> weight_dtype_named(std::string_view name) {
  for (const auto& r : dtype_rows) {
    if (*r.config_name != '\0' && io::dtype_name(r.io) == name) return r.torch;
  }
  return fail("dtype " + std::string(name) + ": expected F32, F16 or BF16");
}

}  // namespace

torch::Dtype torch_dtype(io::dtype d) {
  const dtype_row* r = find_row(d);
  return r ? r->torch : torch::kFloat32;
}

result<io::dtype> io_dtype(torch::Dtype d) {
  for (const auto& r : dtype_rows) {
    if (r.torch == d) return r.io;
  }
  return fail(std::string("tensor dtype ") + c10::toString(d) + " has no snapshot type");
}

result<torch::Dtype> weight_dtype(io::dtype d) {
  return weight_dtype_named(io::dtype_name(d));
}

result<torch::Dtype> weight_dtype(io::st_dtype d) {
  return weight_dtype_named(io::dtype_name(d));
}

io::st_dtype st_weight_dtype(torch::Dtype d) {
  if (d == torch::kFloat16) return io::st_dtype::F16;
  if (d == torch::kBFloat16) return io::st_dtype::BF16;
  return io::st_dtype::F32;
}

result<torch::Dtype> dtype_from_name(const std::string& name) {
  for (const auto& r : dtype_rows) {
    if (*r.config_name != '\0' && name == r.config_name) return r.torch;
  }
  return fail("dtype \"" + name + "\": expected float32, float16 or bfloat16");
}

std::string dtype_config_name(io::dtype d) {
  const dtype_row* r = find_row(d);
  return r ? r->config_name : "";
}

std::string shape_text(const torch::Tensor& t) {
  if (!t.defined()) return "none";
  return io::shape_text(std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end()));
}

}  // namespace leadrl::model
