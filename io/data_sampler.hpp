// File: io/data_sampler.hpp
//
// The controller's prompt order: each epoch is a permutation of the dataset rows drawn
// from (seed, epoch) alone, consumed in batches of `batch_size` with the incomplete tail
// dropped (the reference's drop_last). Its state is {epoch, cursor}; the order is
// re-derived from the seed, so a resumed sampler continues exactly (ARCHITECTURE.md §5).
//
//   io::data_sampler s(8521, 128, 42);
//   std::vector<std::int64_t> batch = s.next_batch();   // 128 prompt ids
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.hpp"

namespace leadrl::io {

/// The seed of one rollout's random stream, from (run seed, step, prompt id, rollout index)
/// alone (splitmix64 chain): the same rollout is drawn whatever rank generates it.
std::uint64_t rollout_seed(std::uint64_t seed, std::int64_t step, std::int64_t prompt_id,
                           std::int32_t rollout_idx);

/// Serializable position of a sampler.
struct sampler_state {
  std::int64_t epoch = 0;
  std::int64_t cursor = 0;  ///< index of the next row of this epoch's order
};

class data_sampler {
 public:
  /// `num_rows` >= `batch_size` >= 1 (checked by make()).
  static result<data_sampler> make(std::int64_t num_rows, std::int64_t batch_size,
                                   std::uint64_t seed);

  /// The next batch of prompt ids; moves to the next epoch when fewer than batch_size
  /// rows remain in this one.
  std::vector<std::int64_t> next_batch();

  std::int64_t steps_per_epoch() const { return num_rows_ / batch_size_; }
  const sampler_state& state() const { return state_; }
  /// This epoch's permutation (for snapshots and inspection).
  const std::vector<std::int64_t>& order() const { return order_; }
  /// Continues from `state`. Fails if the cursor is outside this epoch.
  status restore(const sampler_state& state);

  /// The permutation of epoch `epoch` (Fisher–Yates over splitmix64 of (seed, epoch),
  /// identical on every platform).
  static std::vector<std::int64_t> epoch_order(std::int64_t num_rows, std::uint64_t seed,
                                               std::int64_t epoch);

 private:
  data_sampler(std::int64_t num_rows, std::int64_t batch_size, std::uint64_t seed);
  std::int64_t num_rows_;
  std::int64_t batch_size_;
  std::uint64_t seed_;
  sampler_state state_;
  std::vector<std::int64_t> order_;
};

}  // namespace leadrl::io
