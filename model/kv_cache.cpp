#include "model/kv_cache.hpp"

#include <algorithm>
#include <numeric>

namespace leadrl::model {

kv_cache::kv_cache(const io::hf_config& config, int64_t slots, int64_t capacity, torch::Dtype dtype,
                   torch::Device device)
    : slots_(slots), capacity_(capacity), lengths_(static_cast<size_t>(slots), 0) {
  TORCH_CHECK(slots >= 1 && capacity >= 1, "kv_cache: slots and capacity must be >= 1");
  auto opts = torch::TensorOptions().dtype(dtype).device(device);
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    keys_.push_back(
        torch::zeros({slots, config.num_key_value_heads, capacity, config.head_dim}, opts));
    values_.push_back(
        torch::zeros({slots, config.num_key_value_heads, capacity, config.head_dim}, opts));
  }
  active_.resize(static_cast<size_t>(slots));
  std::iota(active_.begin(), active_.end(), 0);
}

void kv_cache::reset(int64_t slot) {
  TORCH_CHECK(slot >= 0 && slot < slots_, "kv_cache::reset: slot out of range");
  lengths_[static_cast<size_t>(slot)] = 0;
}

void kv_cache::reset_all() {
  std::fill(lengths_.begin(), lengths_.end(), 0);
  active_.resize(static_cast<size_t>(slots_));
  std::iota(active_.begin(), active_.end(), 0);
}

void kv_cache::set_active(std::vector<int64_t> active_slots) {
  std::vector<bool> seen(static_cast<size_t>(slots_), false);
  for (int64_t s : active_slots) {
    TORCH_CHECK(s >= 0 && s < slots_, "kv_cache::set_active: slot ", s, " out of range");
    TORCH_CHECK(!seen[static_cast<size_t>(s)], "kv_cache::set_active: slot ", s, " repeated");
    seen[static_cast<size_t>(s)] = true;
  }
  active_ = std::move(active_slots);
}

std::vector<int64_t> kv_cache::active_lengths() const {
  std::vector<int64_t> out;
  out.reserve(active_.size());
  for (int64_t s : active_) out.push_back(lengths_[static_cast<size_t>(s)]);
  return out;
}

std::pair<torch::Tensor, torch::Tensor> kv_cache::append(int64_t layer, const torch::Tensor& k,
                                                         const torch::Tensor& v) {
  const int64_t batch = k.size(0);
  const int64_t t = k.size(2);
  TORCH_CHECK(batch == static_cast<int64_t>(active_.size()), "kv_cache::append: batch has ", batch,
              " rows but ", active_.size(), " slots are active");
  auto& keys = keys_.at(static_cast<size_t>(layer));
  auto& values = values_.at(static_cast<size_t>(layer));
  int64_t span = 0;
  bool identity = true;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t slot = active_[static_cast<size_t>(b)];
    const int64_t start = lengths_[static_cast<size_t>(slot)];
    TORCH_CHECK(start + t <= capacity_, "kv_cache: slot ", slot, " holds ", start, " tokens; ", t,
                " more exceed the capacity ", capacity_);
    keys[slot].narrow(1, start, t).copy_(k[b]);
    values[slot].narrow(1, start, t).copy_(v[b]);
    span = std::max(span, start + t);
    identity = identity && slot == b;
  }
  if (identity) {
    return {keys.narrow(0, 0, batch).narrow(2, 0, span),
            values.narrow(0, 0, batch).narrow(2, 0, span)};
  }
  auto index = torch::tensor(active_, torch::TensorOptions().dtype(torch::kLong)).to(keys.device());
  return {keys.narrow(2, 0, span).index_select(0, index),
          values.narrow(2, 0, span).index_select(0, index)};
}

void kv_cache::advance(const std::vector<int64_t>& new_tokens) {
  TORCH_CHECK(new_tokens.size() == active_.size(), "kv_cache::advance: expected ", active_.size(),
              " counts, got ", new_tokens.size());
  for (size_t b = 0; b < active_.size(); ++b) {
    lengths_[static_cast<size_t>(active_[b])] += new_tokens[b];
  }
}

}  // namespace leadrl::model
