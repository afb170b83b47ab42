// File: actors/messages.hpp
//
// The messages of one training step (ARCHITECTURE.md §4) and their CAF registration.
// Only control data and per-rollout summaries travel here: token ids and tensors stay
// in the rank-local rollout store or move over MPI/NCCL. Every type that crosses ranks
// is in the `leadrl` type-ID block; add new ones there or they fail only at run time,
// only between processes.
//
//   caf::actor_system_config cfg;
//   cfg.add_message_types<caf::id_block::leadrl>();
#pragma once

#include <caf/all.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace leadrl::actors {

/// controller -> generator: sample `group_size` rollouts for each prompt (dataset row ids).
struct generate_request {
  std::int64_t step = 0;
  std::int64_t policy_version = 0;
  std::vector<std::int64_t> prompt_ids;
  std::int32_t group_size = 0;
};

/// verifier -> controller: a few numbers per rollout of one rank, struct-of-arrays.
struct scored_rollouts {
  std::int64_t step = 0;
  std::int32_t rank = 0;
  std::vector<std::int64_t> prompt_ids;
  std::vector<std::int32_t> rollout_idx;
  std::vector<double> lengths;      ///< response tokens including EOS
  std::vector<double> correctness;  ///< grader verdict (1/0)
  std::vector<double> format;
  std::vector<std::uint8_t> truncated;  ///< 1 when stopped at the token limit
  /// Arithmetic task: 1 when the answer writes fewer steps than its problem needs (fused
  /// or dropped, io/arith_steps.hpp), else 0; empty for other tasks.
  std::vector<std::uint8_t> skipped;
};

/// controller -> every rank: the step's weights, L* of the batch's prompts and this
/// rank's advantages, in the order of that rank's scored_rollouts.
struct step_plan {
  std::int64_t step = 0;
  double w_corr = 0.0;
  double w_eff = 0.0;
  std::vector<std::int64_t> lstar_prompt_ids;
  std::vector<double> lstar;
  std::vector<double> advantages;
};

/// learner -> controller: the update is done; metrics of this rank's update.
struct trained {
  std::int64_t step = 0;
  std::int32_t rank = 0;
  std::int64_t policy_version = 0;
  std::uint64_t parameter_checksum = 0;
  std::map<std::string, double> metrics;
};

/// learner -> controller, before `trained` at a snapshot step: this rank's counters for
/// /ranks/<rank> of the snapshot (io::rank_state as a message).
struct rank_snapshot {
  std::int64_t step = 0;
  std::int32_t rank = 0;
  std::map<std::string, std::int64_t> int64_counters;
  std::map<std::string, double> double_counters;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, generate_request& x) {
  return f(caf::meta::type_name("generate_request"), x.step, x.policy_version, x.prompt_ids,
           x.group_size);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scored_rollouts& x) {
  return f(caf::meta::type_name("scored_rollouts"), x.step, x.rank, x.prompt_ids, x.rollout_idx,
           x.lengths, x.correctness, x.format, x.truncated, x.skipped);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_plan& x) {
  return f(caf::meta::type_name("step_plan"), x.step, x.w_corr, x.w_eff, x.lstar_prompt_ids,
           x.lstar, x.advantages);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trained& x) {
  return f(caf::meta::type_name("trained"), x.step, x.rank, x.policy_version, x.parameter_checksum,
           x.metrics);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rank_snapshot& x) {
  return f(caf::meta::type_name("rank_snapshot"), x.step, x.rank, x.int64_counters,
           x.double_counters);
}

}  // namespace leadrl::actors

CAF_BEGIN_TYPE_ID_BLOCK(leadrl, caf::first_custom_type_id)
CAF_ADD_TYPE_ID(leadrl, (leadrl::actors::generate_request))
CAF_ADD_TYPE_ID(leadrl, (leadrl::actors::scored_rollouts))
CAF_ADD_TYPE_ID(leadrl, (leadrl::actors::step_plan))
CAF_ADD_TYPE_ID(leadrl, (leadrl::actors::trained))
CAF_ADD_TYPE_ID(leadrl, (leadrl::actors::rank_snapshot))
CAF_END_TYPE_ID_BLOCK(leadrl)
