#include "runtime/gradient_sync.hpp"

#include <torch/torch.h>

#include "base/fnv1a.hpp"

namespace leadrl::runtime {
namespace {

// The device a bucket lives on: NCCL reduces device memory, MPI host memory.
torch::Device bucket_device(const collectives& coll, const torch::Tensor& like) {
  return coll.backend() == "nccl" ? like.device() : torch::Device(torch::kCPU);
}

status reduce_bucket(collectives& coll, const std::vector<torch::Tensor>& params, std::size_t first,
                     std::size_t last, std::int64_t numel, int world_size) {
  const torch::Device dev = bucket_device(coll, params[first]);
  torch::Tensor bucket =
      torch::empty({numel}, torch::TensorOptions().dtype(torch::kFloat32).device(dev));
  std::int64_t at = 0;
  for (std::size_t i = first; i < last; ++i) {
    const auto& p = params[i];
    auto slot = bucket.narrow(0, at, p.numel());
    if (p.grad().defined()) {
      slot.copy_(p.grad().reshape({-1}));
    } else {
      slot.zero_();
    }
    at += p.numel();
  }
  if (auto s = coll.all_reduce_sum(bucket.data_ptr(), static_cast<std::size_t>(numel),
                                   element_type::f32);
      !s) {
    return s;
  }
  bucket.div_(static_cast<double>(world_size));
  at = 0;
  for (std::size_t i = first; i < last; ++i) {
    auto& p = const_cast<torch::Tensor&>(params[i]);
    auto slot = bucket.narrow(0, at, p.numel()).view(p.sizes());
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    p.mutable_grad().copy_(slot);
    at += p.numel();
  }
  return status::success();
}

}  // namespace

status all_reduce_gradients(collectives& coll, const std::vector<torch::Tensor>& params,
                            int world_size, std::size_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  if (world_size == 1) {
    // The mean over one rank is the gradient itself: no packing, no collective. A missing
    // gradient still becomes zeros, as after a reduction.
    for (const auto& p : params) {
      if (!p.grad().defined()) const_cast<torch::Tensor&>(p).mutable_grad() = torch::zeros_like(p);
    }
    return status::success();
  }
  const auto max_elems = static_cast<std::int64_t>(std::max<std::size_t>(bucket_bytes / 4, 1));
  std::size_t first = 0;
  std::int64_t numel = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::int64_t n = params[i].numel();
    if (numel > 0 && numel + n > max_elems) {
      if (auto s = reduce_bucket(coll, params, first, i, numel, world_size); !s) return s;
      first = i;
      numel = 0;
    }
    numel += n;
  }
  if (numel > 0) return reduce_bucket(coll, params, first, params.size(), numel, world_size);
  return status::success();
}

status broadcast_parameters(collectives& coll, const std::vector<torch::Tensor>& params, int root) {
  torch::NoGradGuard no_grad;
  for (const auto& p : params) {
    // Move raw bytes (as i64 words plus an f32 tail if needed) so any dtype stays bit-exact.
    const torch::Device dev = bucket_device(coll, p);
    torch::Tensor bytes = p.detach().contiguous().to(dev).view({-1}).view(torch::kUInt8);
    const std::int64_t nbytes = bytes.numel();
    const std::int64_t padded = (nbytes + 7) / 8 * 8;
    torch::Tensor words =
        torch::zeros({padded}, torch::TensorOptions().dtype(torch::kUInt8).device(dev));
    words.narrow(0, 0, nbytes).copy_(bytes);
    if (auto s = coll.broadcast(words.data_ptr(), static_cast<std::size_t>(padded / 8),
                                element_type::i64, root);
        !s) {
      return s;
    }
    auto restored = words.narrow(0, 0, nbytes).view(p.scalar_type()).view(p.sizes());
    const_cast<torch::Tensor&>(p).copy_(restored.to(p.device()));
  }
  return status::success();
}

std::uint64_t parameter_checksum(const std::vector<torch::Tensor>& params) {
  std::uint64_t h = k_leadrl_checksum_offset;
  for (const auto& p : params) {
    const torch::Tensor c = p.detach().to(torch::kCPU).contiguous();
    h = fnv1a64_bytes(c.data_ptr(), static_cast<std::size_t>(c.numel()) * c.element_size(), h);
  }
  return h;
}

}  // namespace leadrl::runtime
