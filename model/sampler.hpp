// File: model/sampler.hpp
//
// Next-token sampling for rollouts: temperature, top-k, top-p (nucleus), with one
// counter-based random stream per rollout so that a rollout's tokens depend only on its
// seed and its own logits, never on which other rollouts share the batch.
//
//   leadrl::model::sampling_params p{/*temperature=*/0.6, /*top_k=*/0, /*top_p=*/0.95};
//   auto s = leadrl::model::sample(logits, p, {seed_a, seed_b}, {step_a, step_b});
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "base/result.hpp"

namespace leadrl::model {

/// The distribution a token is drawn from (applied in this order: temperature, top-k, top-p).
struct sampling_params {
  /// Logits are divided by this; 0 means greedy (argmax).
  double temperature = 1.0;
  /// Keep only the k most likely tokens; 0 keeps all.
  int64_t top_k = 0;
  /// Keep the smallest set of most likely tokens whose probability reaches top_p
  /// (the most likely token is always kept); 1 keeps all.
  double top_p = 1.0;
};

/// Checks ranges: temperature finite and >= 0, top_k >= 0, top_p in (0, 1].
status validate(const sampling_params& params);

/// The sampled tokens of one step.
struct sample_result {
  torch::Tensor tokens;  ///< [B] int64
  /// [B] float32: log-probability of each token under the distribution it was actually
  /// drawn from, i.e. log_softmax of the temperature-scaled logits restricted to the
  /// top-k/top-p set (the behaviour policy of vLLM's "processed" log-probs). For greedy
  /// decoding (temperature 0) that distribution is a point mass, so the value is 0.
  torch::Tensor logprobs;
};

/// A uniform number in [0, 1) from (seed, counter): a SplitMix64-style hash, so stream
/// `seed` at position `counter` is reproducible without any state.
double uniform_from(uint64_t seed, uint64_t counter);

/// Draws one token per row of `logits` [B, V] (any float dtype; computed in float32) by
/// inverting the CDF of the filtered distribution (tokens ordered by decreasing
/// probability, ties by id) at u = uniform_from(seeds[b], counters[b]).
/// `seeds` and `counters` have B entries. Both results stay on the logits' device; the
/// host waits for the device only when top_p < 1 over more than 1024 tokens (to choose
/// between the top-1024 nucleus and a full sort). Preconditions (checked, c10::Error):
/// params valid, sizes match.
sample_result sample(const torch::Tensor& logits, const sampling_params& params,
                     const std::vector<uint64_t>& seeds, const std::vector<uint64_t>& counters);

/// The filtered, temperature-scaled log-probabilities [B, V] that sample() draws from
/// (-inf outside the kept set). Not defined for temperature 0.
torch::Tensor filtered_log_probs(const torch::Tensor& logits, const sampling_params& params);

}  // namespace leadrl::model
