// File: runtime/gradient_sync.hpp
//
// Data-parallel glue between torch parameters and runtime::collectives: bucketed
// all-reduce of flattened gradients (averaged over ranks), broadcast of parameters from
// one rank, and a checksum of parameter bytes to verify replicas stay identical.
//
//   runtime::all_reduce_gradients(*coll, params, world->size());   // after backward()
//   auto bad = runtime::all_reduce_gradients_checked(*coll, params, rank, size, !loss_ok);
//   auto sum = runtime::parameter_checksum(params);                 // equal on every rank
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "runtime/collectives.hpp"

namespace leadrl::runtime {

/// Default bucket size for flattened gradients, 16 MiB.
constexpr std::size_t default_bucket_bytes = std::size_t{16} << 20;

/// Replaces each parameter's gradient by its mean over `world_size` ranks. Gradients are
/// packed in buckets of `bucket_type` (f32, or bf16 for half the bytes on the wire and a
/// rounding at every addition) of at most `bucket_bytes` (one collective per bucket); the
/// mean is divided in float32 and rounded once to each gradient's dtype. A parameter
/// without a gradient counts as zeros so every rank moves the same counts. The MPI backend
/// stages device tensors through host memory; NCCL works on device buffers. With
/// world_size 1 nothing moves (no collective; missing gradients still become zeros).
/// Fails on a collective error, or a bucket type other than f32 and bf16.
status all_reduce_gradients(collectives& coll, const std::vector<torch::Tensor>& params,
                            int world_size, std::size_t bucket_bytes = default_bucket_bytes,
                            element_type bucket_type = element_type::f32);

/// all_reduce_gradients that also tells every rank which ranks had non-finite values, so
/// that all can skip the update together (ARCHITECTURE.md §4 step 5). Each rank checks its
/// own gradients as it packs them (at world size 1: in place), adds `local_nonfinite` (its
/// caller's finding, e.g. a NaN loss), and sets its entry of world_size f32 flags that ride
/// at the end of the last bucket: no extra collective. Returns the ranks that flagged,
/// ascending; identical on every rank. Fails on a collective error, or a rank outside
/// [0, world_size).
result<std::vector<int>> all_reduce_gradients_checked(
    collectives& coll, const std::vector<torch::Tensor>& params, int rank, int world_size,
    bool local_nonfinite, std::size_t bucket_bytes = default_bucket_bytes,
    element_type bucket_type = element_type::f32);

/// The bucket type of a runtime.grad_reduce_dtype value: bf16 for "bfloat16", else f32.
inline element_type gradient_bucket_type(const std::string& dtype) {
  return dtype == "bfloat16" ? element_type::bf16 : element_type::f32;
}

/// Whether every gradient of `params` (those defined) is finite: one host read.
bool gradients_finite(const std::vector<torch::Tensor>& params);

/// Overwrites every parameter with rank `root`'s values (dtype kept; bit-identical).
status broadcast_parameters(collectives& coll, const std::vector<torch::Tensor>& params, int root);

/// A 64-bit digest of the raw bytes of every parameter in order: equal across ranks iff
/// the replicas are bit-identical (up to collisions), and the same on any device. Computed
/// where the parameters live, so a GPU's weights are not copied to the host: the bytes are
/// read as signed 16-bit words in blocks of 65536, each block's sum_j word_j * (j + 1)
/// (an integer below 2^47 in magnitude, so float64 adds it up exactly in any order, a
/// matrix-vector product included); the block sums
/// come to the host in one copy and are chained with each parameter's word count through
/// splitmix64. Any change of one word changes its block's sum.
std::uint64_t parameter_checksum(const std::vector<torch::Tensor>& params);

/// The checksum of snapshots written before parameter_checksum above (FNV-1a 64 over the
/// bytes, read on the host): only to verify such snapshots when a run resumes from one.
std::uint64_t parameter_checksum_fnv(const std::vector<torch::Tensor>& params);

}  // namespace leadrl::runtime
