// File: model/generation_engine.hpp
//
// Batched rollout generation over a decoder with a KV cache and continuous batching:
// up to max_batch sequences decode together, each in its own cache slot; when one ends
// (EOS, a stop token or max_new_tokens) it leaves and the next waiting prompt is
// prefilled into its slot. Each rollout samples from its own seeded random stream, so
// the same (prompt, seed) gives the same tokens whatever else is in the batch.
//
//   leadrl::model::generation_engine engine(dec, {/*sampling=*/{0.6, 0, 0.95}, /*max_new=*/256});
//   auto out = engine.generate({{prompt_ids, /*seed=*/7}});
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "model/decoder.hpp"
#include "model/sampler.hpp"

namespace leadrl::model {

/// How rollouts are generated.
struct generation_params {
  sampling_params sampling;
  /// Tokens generated per rollout at most (>= 1).
  int64_t max_new_tokens = 128;
  /// Rollouts that decode together (cache slots), >= 1.
  int64_t max_batch = 16;
  /// End-of-sequence ids; a sampled one ends the rollout and is kept in its tokens.
  std::vector<int64_t> eos_token_ids;
  /// Further ids that end a rollout (kept in its tokens), e.g. "</answer>" pieces.
  std::vector<int64_t> stop_token_ids;
};

/// Checks ranges (sampling, max_new_tokens >= 1, max_batch >= 1, ids >= 0).
status validate(const generation_params& params);

/// One rollout to generate.
struct generation_request {
  std::vector<int64_t> prompt;  ///< token ids, non-empty
  uint64_t seed = 0;            ///< the rollout's random stream
};

/// Why a rollout ended.
enum class finish_reason { eos, stop_token, length };

/// A generated rollout.
struct generation_output {
  std::vector<int64_t> tokens;  ///< generated ids (prompt excluded), ending token included
  /// Behaviour log-probs of `tokens`, as sample_result::logprobs defines them.
  std::vector<float> logprobs;
  finish_reason reason = finish_reason::length;
};

/// Totals of a generate() call, for throughput reports.
struct generation_stats {
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  int64_t forward_calls = 0;
  double seconds = 0;
};

/// Where a generate() call stands, reported after every decoding step.
struct generation_progress {
  int64_t finished = 0;  ///< rollouts that have ended
  int64_t total = 0;     ///< rollouts requested
  int64_t generated_tokens = 0;
};

/// Called by generate() after every forward pass (prefill or decode step); it runs on the
/// generating thread, so it should be quick (throttle any printing).
using generation_progress_callback = std::function<void(const generation_progress&)>;

/// Generates rollouts with a decoder (held by reference-counted handle; the engine does
/// not change its weights, so a learner may update them between calls).
class generation_engine {
 public:
  generation_engine(decoder model, generation_params params);

  /// One output per request, in request order. Runs under NoGradGuard; `progress`, when
  /// set, hears how far it is after every forward pass.
  /// Fails when the params are invalid, a prompt is empty or holds an id outside
  /// [0, vocab_size), or prompt length + max_new_tokens exceeds max_position_embeddings.
  result<std::vector<generation_output>> generate(
      const std::vector<generation_request>& requests,
      const generation_progress_callback& progress = {});

  const generation_stats& last_stats() const { return stats_; }
  const generation_params& params() const { return params_; }

 private:
  decoder model_;
  generation_params params_;
  generation_stats stats_;
};

}  // namespace leadrl::model
