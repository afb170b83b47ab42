// File: model/device.hpp
//
// model.device and model.dtype (io/train_options.hpp) as torch values: the one place that
// asks LibTorch whether a GPU is there, so that a config naming one on a machine without
// it ends with a message, not a c10::Error from the first tensor put there.
//
//   auto dev = model::resolve_device("cuda", model::local_rank_from_env());  // cuda:<rank>
//   auto dt = model::compute_dtype("bfloat16");                             // kBFloat16
#pragma once

#include <torch/torch.h>

#include <string>

#include "base/result.hpp"
#include "model/decoder.hpp"

namespace leadrl::model {

/// The node-local rank and rank count Open MPI's launcher exports
/// (OMPI_COMM_WORLD_LOCAL_RANK / _LOCAL_SIZE); 0 and 1 outside mpirun.
struct local_rank_info {
  int rank = 0;
  int size = 1;
};
local_rank_info local_rank_from_env();

/// The device of a model.device value: "cpu"; "cuda:N"; "cuda" = the node-local rank's
/// GPU, one rank per GPU. Fails, naming `name`, when this LibTorch has no CUDA or sees no
/// GPU, N is not a visible GPU, or (for "cuda") the node runs more ranks than it has GPUs.
/// `gpus` is the visible GPU count (torch::cuda::device_count(), a parameter for tests).
result<torch::Device> resolve_device(const std::string& name, local_rank_info local, int gpus);

/// resolve_device with the GPU count this LibTorch reports (0 without CUDA).
result<torch::Device> resolve_device(const std::string& name, local_rank_info local);

/// The torch dtype of a model.dtype value: "float32" or "bfloat16"; fails on anything else.
result<torch::Dtype> compute_dtype(const std::string& name);

/// The decoder placement of a model.device and model.dtype pair (resolve_device with this
/// process's local rank, compute_dtype); fails as they do.
result<decoder_options> placement(const std::string& device, const std::string& dtype);

}  // namespace leadrl::model
