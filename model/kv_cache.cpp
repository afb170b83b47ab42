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
  prepared_ = {};
}

void kv_cache::reset_all() {
  std::fill(lengths_.begin(), lengths_.end(), 0);
  prepared_ = {};
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
  prepared_ = {};
}

kv_cache::forward_span kv_cache::prepare(int64_t new_tokens) {
  TORCH_CHECK(new_tokens >= 1, "kv_cache::prepare: expected >= 1 new tokens, got ", new_tokens);
  const auto batch = static_cast<int64_t>(active_.size());
  // One host buffer, one copy: [write_slot (B*T) | write_time (B*T) | read_slot (B) |
  // lengths (B)]. Non-blocking: a pageable host buffer is staged by the copy itself, and the
  // host need not wait for the device's previous work.
  std::vector<int64_t> host(static_cast<size_t>(2 * batch * new_tokens + 2 * batch));
  auto* write_slot = host.data();
  auto* write_time = write_slot + batch * new_tokens;
  auto* read_slot = write_time + batch * new_tokens;
  auto* lengths = read_slot + batch;
  int64_t span = 0;
  bool identity = true;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t slot = active_[static_cast<size_t>(b)];
    const int64_t start = lengths_[static_cast<size_t>(slot)];
    TORCH_CHECK(start + new_tokens <= capacity_, "kv_cache: slot ", slot, " holds ", start,
                " tokens; ", new_tokens, " more exceed the capacity ", capacity_);
    for (int64_t j = 0; j < new_tokens; ++j) {
      write_slot[b * new_tokens + j] = slot;
      write_time[b * new_tokens + j] = start + j;
    }
    read_slot[b] = slot;
    lengths[b] = start;
    span = std::max(span, start + new_tokens);
    identity = identity && slot == b;
  }
  auto all = torch::tensor(host, torch::TensorOptions().dtype(torch::kLong))
                 .to(keys_.front().device(), /*non_blocking=*/true);
  prepared_.tokens = new_tokens;
  prepared_.span = span;
  prepared_.identity = identity;
  prepared_.write_slot = all.narrow(0, 0, batch * new_tokens);
  prepared_.write_time = all.narrow(0, batch * new_tokens, batch * new_tokens);
  prepared_.read_slot = all.narrow(0, 2 * batch * new_tokens, batch);
  prepared_.lengths = all.narrow(0, 2 * batch * new_tokens + batch, batch);
  return {prepared_.lengths, span};
}

std::pair<torch::Tensor, torch::Tensor> kv_cache::append(int64_t layer, const torch::Tensor& k,
                                                         const torch::Tensor& v) {
  const int64_t batch = k.size(0);
  const int64_t t = k.size(2);
  TORCH_CHECK(batch == static_cast<int64_t>(active_.size()), "kv_cache::append: batch has ", batch,
              " rows but ", active_.size(), " slots are active");
  if (prepared_.tokens != t) prepare(t);
  auto& keys = keys_.at(static_cast<size_t>(layer));
  auto& values = values_.at(static_cast<size_t>(layer));
  // keys[write_slot[i], :, write_time[i]] = token i's [kv_heads, head_dim], i = b * T + j.
  using torch::indexing::Slice;
  auto rows = [&](const torch::Tensor& x) {
    return x.transpose(1, 2).reshape({batch * t, x.size(1), x.size(3)});
  };
  keys.index_put_({prepared_.write_slot, Slice(), prepared_.write_time}, rows(k));
  values.index_put_({prepared_.write_slot, Slice(), prepared_.write_time}, rows(v));
  const int64_t span = prepared_.span;
  if (prepared_.identity) {
    return {keys.narrow(0, 0, batch).narrow(2, 0, span),
            values.narrow(0, 0, batch).narrow(2, 0, span)};
  }
  return {keys.narrow(2, 0, span).index_select(0, prepared_.read_slot),
          values.narrow(2, 0, span).index_select(0, prepared_.read_slot)};
}

void kv_cache::advance(const std::vector<int64_t>& new_tokens) {
  prepared_ = {};
  TORCH_CHECK(new_tokens.size() == active_.size(), "kv_cache::advance: expected ", active_.size(),
              " counts, got ", new_tokens.size());
  for (size_t b = 0; b < active_.size(); ++b) {
    lengths_[static_cast<size_t>(active_[b])] += new_tokens[b];
  }
}

}  // namespace leadrl::model
