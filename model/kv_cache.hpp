// File: model/kv_cache.hpp
//
// Per-layer key/value cache for incremental decoding with a fixed number of batch
// slots. Every slot holds one sequence with its own length, so sequences of different
// lengths share a batch without padding and a finished sequence's slot can be reset
// and given to a waiting one (continuous batching).
//
//   leadrl::model::kv_cache cache(cfg, /*slots=*/8, /*capacity=*/512);
//   cache.set_active({0, 1, 2});  auto logits = dec->forward(ids, pos, {}, &cache);
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "io/hf_config.hpp"

namespace leadrl::model {

/// Keys (after RoPE) and values of every layer, laid out [slots, kv_heads, capacity,
/// head_dim]. A decoder forward with a cache maps batch row b to slot active()[b],
/// appends that row's new tokens at the slot's current length and attends to
/// everything the slot holds.
class kv_cache {
 public:
  /// Storage for `slots` sequences of up to `capacity` tokens in `dtype` on `device`.
  kv_cache(const io::hf_config& config, int64_t slots, int64_t capacity,
           torch::Dtype dtype = torch::kFloat32, torch::Device device = torch::kCPU);

  int64_t slots() const { return slots_; }
  int64_t capacity() const { return capacity_; }
  int64_t num_layers() const { return static_cast<int64_t>(keys_.size()); }

  /// Tokens held by `slot`.
  int64_t length(int64_t slot) const { return lengths_.at(static_cast<size_t>(slot)); }

  /// Empties `slot` (its storage is overwritten by the next sequence).
  void reset(int64_t slot);
  /// Empties every slot and makes all slots active in order.
  void reset_all();

  /// The slots the next forward's batch rows refer to, in row order (distinct, each
  /// < slots()). Initially 0..slots()-1.
  void set_active(std::vector<int64_t> active_slots);
  const std::vector<int64_t>& active() const { return active_; }

  /// What a forward's attention mask needs of the cache.
  struct forward_span {
    torch::Tensor lengths;  ///< [B] int64 on the cache's device: active slots' lengths
    int64_t span = 0;       ///< max(length + new tokens) over the active slots
  };

  /// Called by the decoder before its first layer, for a forward of `new_tokens` tokens
  /// a row: checks that every active slot has room for them and puts on the cache's
  /// device, in one non-blocking copy, the indices every layer's append() uses. Valid
  /// until the next advance(), set_active() or reset; append() prepares itself when not
  /// called.
  forward_span prepare(int64_t new_tokens);

  /// Called by the decoder, once per layer: writes `k`, `v` ([B, kv_heads, T, head_dim])
  /// at each active slot's length and returns the keys and values the rows attend to,
  /// [B, kv_heads, L, head_dim] with L = max(length + T) over the active rows. Slot
  /// contents past a row's own length are stale and must be masked by the caller.
  /// One indexed write per tensor, whatever B (no per-row kernels).
  std::pair<torch::Tensor, torch::Tensor> append(int64_t layer, const torch::Tensor& k,
                                                 const torch::Tensor& v);

  /// Called by the decoder after the last layer: advances each active row's length by
  /// `new_tokens[b]` (the row's valid new tokens; right padding is not counted).
  void advance(const std::vector<int64_t>& new_tokens);

 private:
  int64_t slots_;
  int64_t capacity_;
  std::vector<torch::Tensor> keys_;
  std::vector<torch::Tensor> values_;
  std::vector<int64_t> lengths_;
  std::vector<int64_t> active_;

  /// What prepare() put on the device for a forward of `tokens` tokens a row (tokens 0
  /// when nothing is prepared).
  struct prepared_indices {
    int64_t tokens = 0;
    int64_t span = 0;          ///< max(length + tokens) over the active rows
    bool identity = false;     ///< active() is 0..B-1: row b reads slot b's storage as is
    torch::Tensor write_slot;  ///< [B * tokens] slot of each new token
    torch::Tensor write_time;  ///< [B * tokens] its position in the slot
    torch::Tensor read_slot;   ///< [B] active slots
    torch::Tensor lengths;     ///< [B] their lengths before this forward
  };
  prepared_indices prepared_;
};

}  // namespace leadrl::model
