#include "runtime/gradient_sync.hpp"

#include <torch/torch.h>

#include "base/fnv1a.hpp"
#include "base/splitmix64.hpp"

namespace leadrl::runtime {
namespace {

// The device a bucket lives on: NCCL reduces device memory, MPI host memory.
torch::Device bucket_device(const collectives& coll, const torch::Tensor& like) {
  return coll.backend() == "nccl" ? like.device() : torch::Device(torch::kCPU);
}

// Whether every element of `t` is finite (one host read).
bool tensor_finite(const torch::Tensor& t) {
  return t.numel() == 0 || torch::isfinite(t).all().item<bool>();
}

// One flag per rank riding along with a reduction: each rank sets its own entry (1 = its
// gradients or loss were not finite), the sum gives every rank every rank's entry.
struct rank_flags {
  int rank = 0;
  bool local_nonfinite = false;  // in: the caller's finding; grows as buckets are checked
  std::vector<float> reduced;    // out: world_size entries after the last bucket
};

// The torch dtype of a gradient bucket of `type` (f32 or bf16).
torch::Dtype bucket_dtype(element_type type) {
  return type == element_type::bf16 ? torch::kBFloat16 : torch::kFloat32;
}

// Packs params[first, last) into one bucket of `type`, all-reduces it and writes the mean
// back (divided in float32, rounded once to the gradient's dtype).
// With `flags`, the packed gradients are checked before the reduction, and when `carry`
// (the last bucket) world_size flag slots follow the gradients in the same collective.
status reduce_bucket(collectives& coll, const std::vector<torch::Tensor>& params, std::size_t first,
                     std::size_t last, std::int64_t numel, int world_size, rank_flags* flags,
                     bool carry, element_type type) {
  const torch::Device dev =
      first < params.size() ? bucket_device(coll, params[first]) : torch::Device(torch::kCPU);
  const std::int64_t nflags = flags != nullptr && carry ? world_size : 0;
  torch::Tensor bucket =
      torch::empty({numel + nflags}, torch::TensorOptions().dtype(bucket_dtype(type)).device(dev));
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
  if (flags != nullptr) {
    if (!tensor_finite(bucket.narrow(0, 0, numel))) flags->local_nonfinite = true;
    if (nflags > 0) {
      auto slots = bucket.narrow(0, numel, nflags);
      slots.zero_();
      if (flags->local_nonfinite) slots.narrow(0, flags->rank, 1).fill_(1.0);
    }
  }
  if (auto s =
          coll.all_reduce_sum(bucket.data_ptr(), static_cast<std::size_t>(numel + nflags), type);
      !s) {
    return s;
  }
  if (nflags > 0) {
    auto host = bucket.narrow(0, numel, nflags).to(torch::kCPU, torch::kFloat32).contiguous();
    flags->reduced.assign(host.data_ptr<float>(), host.data_ptr<float>() + nflags);
  }
  auto grads = bucket.narrow(0, 0, numel).to(torch::kFloat32);
  grads.div_(static_cast<double>(world_size));
  at = 0;
  for (std::size_t i = first; i < last; ++i) {
    auto& p = const_cast<torch::Tensor&>(params[i]);
    auto slot = grads.narrow(0, at, p.numel()).view(p.sizes());
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    p.mutable_grad().copy_(slot);
    at += p.numel();
  }
  return status::success();
}

status check_bucket_type(element_type type) {
  if (type == element_type::f32 || type == element_type::bf16) return status::success();
  return fail("gradient all-reduce: the bucket type must be f32 or bf16");
}

// all_reduce_gradients, with `flags` when the caller wants every rank's finding.
status reduce_gradients(collectives& coll, const std::vector<torch::Tensor>& params, int world_size,
                        std::size_t bucket_bytes, element_type type, rank_flags* flags) {
  torch::NoGradGuard no_grad;
  if (world_size == 1) {
    // The mean over one rank is the gradient itself: no packing, no collective. A missing
    // gradient still becomes zeros, as after a reduction.
    for (const auto& p : params) {
      if (!p.grad().defined()) const_cast<torch::Tensor&>(p).mutable_grad() = torch::zeros_like(p);
    }
    if (flags != nullptr) {
      if (!flags->local_nonfinite && !gradients_finite(params)) flags->local_nonfinite = true;
      flags->reduced.assign(1, flags->local_nonfinite ? 1.0f : 0.0f);
    }
    return status::success();
  }
  const auto max_elems =
      static_cast<std::int64_t>(std::max<std::size_t>(bucket_bytes / element_size(type), 1));
  std::size_t first = 0;
  std::int64_t numel = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::int64_t n = params[i].numel();
    if (numel > 0 && numel + n > max_elems) {
      if (auto s = reduce_bucket(coll, params, first, i, numel, world_size, flags, false, type);
          !s) {
        return s;
      }
      first = i;
      numel = 0;
    }
    numel += n;
  }
  if (numel > 0 || flags != nullptr) {
    return reduce_bucket(coll, params, first, params.size(), numel, world_size, flags, true, type);
  }
  return status::success();
}

}  // namespace

status all_reduce_gradients(collectives& coll, const std::vector<torch::Tensor>& params,
                            int world_size, std::size_t bucket_bytes, element_type bucket_type) {
  if (auto s = check_bucket_type(bucket_type); !s) return s;
  return reduce_gradients(coll, params, world_size, bucket_bytes, bucket_type, nullptr);
}

result<std::vector<int>> all_reduce_gradients_checked(
    collectives& coll, const std::vector<torch::Tensor>& params, int rank, int world_size,
    bool local_nonfinite, std::size_t bucket_bytes, element_type bucket_type) {
  if (auto s = check_bucket_type(bucket_type); !s) return s.error();
  if (rank < 0 || rank >= world_size) {
    return fail("all_reduce_gradients_checked: rank " + std::to_string(rank) +
                " outside world size " + std::to_string(world_size));
  }
  rank_flags flags;
  flags.rank = rank;
  flags.local_nonfinite = local_nonfinite;
  if (auto s = reduce_gradients(coll, params, world_size, bucket_bytes, bucket_type, &flags); !s) {
    return s.error();
  }
  std::vector<int> ranks;
  for (std::size_t r = 0; r < flags.reduced.size(); ++r) {
    if (flags.reduced[r] != 0.0f) ranks.push_back(static_cast<int>(r));
  }
  return ranks;
}

bool gradients_finite(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> finite;
  for (const auto& p : params) {
    if (p.grad().defined() && p.grad().numel() > 0)
      finite.push_back(torch::isfinite(p.grad()).all());
  }
  return finite.empty() || torch::stack(finite).all().item<bool>();
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

namespace {

// parameter_checksum's blocks: 2^16 words, so that a block's weighted sum stays below 2^47
// in magnitude (each term below 2^15 * 2^16), an integer float64 holds exactly whatever
// the order of the additions; slabs of 256 blocks bound the float64 scratch (128 MiB).
constexpr std::int64_t k_digest_block = std::int64_t{1} << 16;
constexpr std::int64_t k_digest_slab = 256 * k_digest_block;

// The bytes of `p` as 16-bit words (a zero byte appended to an odd count).
torch::Tensor digest_words(const torch::Tensor& p) {
  auto bytes = p.detach().contiguous().view({-1}).view(torch::kUInt8);
  if (bytes.numel() % 2 != 0) bytes = torch::cat({bytes, torch::zeros({1}, bytes.options())});
  return bytes.view(torch::kInt16);
}

// Per block of `words`: sum_j word_j * (j + 1) (words as signed integers; a short last block
// is padded with zeros), float64 on the words' device. Two passes over the words: a
// conversion into `scratch` (reused, grown as needed) and a matrix-vector product.
torch::Tensor digest_block_sums(const torch::Tensor& words, const torch::Tensor& weights,
                                torch::Tensor& scratch) {
  std::vector<torch::Tensor> sums;
  for (std::int64_t at = 0; at < words.numel(); at += k_digest_slab) {
    const std::int64_t len = std::min(words.numel() - at, k_digest_slab);
    const std::int64_t blocks = (len + k_digest_block - 1) / k_digest_block;
    if (!scratch.defined() || scratch.numel() < blocks * k_digest_block) {
      scratch = torch::empty({blocks * k_digest_block}, weights.options());
    }
    auto x = scratch.narrow(0, 0, blocks * k_digest_block);
    x.narrow(0, 0, len).copy_(words.narrow(0, at, len));
    if (len < x.numel()) x.narrow(0, len, x.numel() - len).zero_();
    sums.push_back(torch::mv(x.view({blocks, k_digest_block}), weights));
  }
  return sums.empty() ? torch::zeros({0}, weights.options()) : torch::cat(sums);
}

}  // namespace

std::uint64_t parameter_checksum(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  std::uint64_t h = k_leadrl_checksum_offset;
  if (params.empty()) return h;
  const torch::Device dev = params.front().device();
  std::vector<torch::Tensor> sums;
  std::vector<std::int64_t> words;
  torch::Tensor weights, scratch;
  for (const auto& p : params) {
    if (!weights.defined() || weights.device() != p.device()) {
      weights = torch::arange(1, k_digest_block + 1,
                              torch::TensorOptions().dtype(torch::kFloat64).device(p.device()));
      scratch = torch::Tensor();
    }
    const torch::Tensor w = digest_words(p);
    words.push_back(w.numel());
    sums.push_back(digest_block_sums(w, weights, scratch).to(dev));
  }
  const torch::Tensor host = torch::cat(sums).to(torch::kCPU).contiguous();  // the one copy
  const double* v = host.data_ptr<double>();
  for (const std::int64_t n : words) {
    h = splitmix64(h ^ static_cast<std::uint64_t>(n));
    for (std::int64_t b = 0; b < (n + k_digest_block - 1) / k_digest_block; ++b) {
      h = splitmix64(h ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(*v++)));
    }
  }
  return h;
}

std::uint64_t parameter_checksum_fnv(const std::vector<torch::Tensor>& params) {
  std::uint64_t h = k_leadrl_checksum_offset;
  for (const auto& p : params) {
    const torch::Tensor c = p.detach().to(torch::kCPU).contiguous();
    h = fnv1a64_bytes(c.data_ptr(), static_cast<std::size_t>(c.numel()) * c.element_size(), h);
  }
  return h;
}

}  // namespace leadrl::runtime
