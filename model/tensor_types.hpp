// File: model/tensor_types.hpp
//
// The one map between the file layer's element types (io::dtype of snapshots,
// io::st_dtype of safetensors, the config.json names "float32"/"float16"/"bfloat16") and
// torch::Dtype, and the one way a tensor's shape is written in messages ("[2,3]",
// io::shape_text). io/ never includes torch, so the torch side of each pair lives here.
//
//   torch::Dtype t = leadrl::model::torch_dtype(leadrl::io::dtype::bf16);  // torch::kBFloat16
//   std::string s = leadrl::model::shape_text(torch::zeros({2, 3}));      // "[2,3]"
#pragma once

#include <torch/torch.h>

#include <string>

#include "base/result.hpp"
#include "io/safetensors.hpp"
#include "io/tensor_blob.hpp"

namespace leadrl::model {

/// The torch type of a snapshot element type; every io::dtype has one.
torch::Dtype torch_dtype(io::dtype d);

/// The snapshot element type of `d`. Fails, naming `d`, for a torch type io::dtype lacks
/// (e.g. kInt16, kComplexFloat).
result<io::dtype> io_dtype(torch::Dtype d);

/// The torch type of a weight stored as `d`. Fails ("dtype I64: expected F32, F16 or
/// BF16") for anything but the floating weight types F32, F16 and BF16.
result<torch::Dtype> weight_dtype(io::dtype d);
/// As weight_dtype(io::dtype), for a safetensors element type.
result<torch::Dtype> weight_dtype(io::st_dtype d);

/// The safetensors type a weight of torch type `d` is written as: F16 or BF16 for those,
/// F32 for every other type (save_decoder converts to F32 then).
io::st_dtype st_weight_dtype(torch::Dtype d);

/// The torch type of a config.json torch_dtype name. Fails for anything but "float32",
/// "float16" and "bfloat16".
result<torch::Dtype> dtype_from_name(const std::string& name);
/// The config.json name of a floating weight type ("float32", ...); "" for the others.
std::string dtype_config_name(io::dtype d);

/// `t`'s sizes as io::shape_text writes them ("[2,3]", "[]" for a 0-d tensor), or "none"
/// for an undefined tensor.
std::string shape_text(const torch::Tensor& t);

}  // namespace leadrl::model
