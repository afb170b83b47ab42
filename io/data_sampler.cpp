#include "io/data_sampler.hpp"

#include "base/splitmix64.hpp"

#include <numeric>
#include <string>

namespace leadrl::io {

data_sampler::data_sampler(std::int64_t num_rows, std::int64_t batch_size, std::uint64_t seed)
    : num_rows_(num_rows), batch_size_(batch_size), seed_(seed) {
  order_ = epoch_order(num_rows_, seed_, 0);
}

result<data_sampler> data_sampler::make(std::int64_t num_rows, std::int64_t batch_size,
                                        std::uint64_t seed) {
  if (batch_size < 1) {
    return fail("data.train_batch_size: expected at least 1, got " + std::to_string(batch_size));
  }
  if (num_rows < batch_size) {
    return fail("data.train_batch_size: expected at most the dataset size " +
                std::to_string(num_rows) + ", got " + std::to_string(batch_size));
  }
  return data_sampler(num_rows, batch_size, seed);
}

std::vector<std::int64_t> data_sampler::epoch_order(std::int64_t num_rows, std::uint64_t seed,
                                                    std::int64_t epoch) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(num_rows));
  std::iota(order.begin(), order.end(), 0);
  splitmix64_stream rng(seed ^ (0xd1b54a32d192ed03ULL * static_cast<std::uint64_t>(epoch + 1)));
  for (std::int64_t i = num_rows - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

std::vector<std::int64_t> data_sampler::next_batch() {
  if (state_.cursor + batch_size_ > num_rows_) {
    ++state_.epoch;
    state_.cursor = 0;
    order_ = epoch_order(num_rows_, seed_, state_.epoch);
  }
  const auto first = order_.begin() + state_.cursor;
  std::vector<std::int64_t> batch(first, first + batch_size_);
  state_.cursor += batch_size_;
  return batch;
}

status data_sampler::restore(const sampler_state& state) {
  if (state.epoch < 0 || state.cursor < 0 || state.cursor > num_rows_) {
    return fail(
        "sampler state: expected epoch >= 0 and 0 <= cursor <= " + std::to_string(num_rows_) +
        ", got epoch " + std::to_string(state.epoch) + " cursor " + std::to_string(state.cursor));
  }
  state_ = state;
  order_ = epoch_order(num_rows_, seed_, state_.epoch);
  return status::success();
}

std::uint64_t rollout_seed(std::uint64_t seed, std::int64_t step, std::int64_t prompt_id,
                           std::int32_t rollout_idx) {
  std::uint64_t h = leadrl::splitmix64(seed);
  h = leadrl::splitmix64(h ^ static_cast<std::uint64_t>(step));
  h = leadrl::splitmix64(h ^ static_cast<std::uint64_t>(prompt_id));
  return leadrl::splitmix64(h ^
                            static_cast<std::uint64_t>(static_cast<std::uint32_t>(rollout_idx)));
}

}  // namespace leadrl::io
