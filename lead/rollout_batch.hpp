// File: lead/rollout_batch.hpp
//
// The per-rollout inputs of one training step as parallel vectors, its validation,
// and the grouping of rollouts by prompt that every group-relative estimator uses.
//
//   lead::rollout_batch b{{7, 7, 9}, {120, 80, 64}, {1, 0, 1}, {}, {}};
//   lead::group_index g = lead::index_groups(b.prompt_ids);   // 2 groups: 7 {0,1}, 9 {2}
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/result.hpp"

namespace leadrl::lead {

/// Identifies a prompt (a group of rollouts) within a step; the controller uses the
/// dataset row id, which also keys the persistent length-target table.
using prompt_id = std::int64_t;

/// One training step's rollouts, one entry per rollout in every vector.
struct rollout_batch {
  std::vector<prompt_id> prompt_ids;  ///< group key of each rollout
  std::vector<double> lengths;        ///< response tokens including EOS; >= 1 (spec/lead.md §1)
  std::vector<double> correctness;    ///< correctness score, normally 1 or 0
  std::vector<double> format;         ///< format score; optional (empty), never read by LEAD
  std::vector<bool> truncated;        ///< stopped at the token limit; optional (empty = none)

  std::size_t size() const { return prompt_ids.size(); }
};

/// Checks that `batch` is usable: non-empty; lengths/correctness (and format/truncated
/// when present) of the same size as prompt_ids; every length finite and >= 1; every
/// correctness and format score finite. The error names the first offending field and index.
status validate(const rollout_batch& batch);

/// Rollouts grouped by prompt, prompts in order of first appearance. Rows of one prompt
/// need not be contiguous in the batch; within a group they keep batch order.
struct group_index {
  std::vector<prompt_id> prompts;     ///< per group: its prompt id
  std::vector<std::size_t> offsets;   ///< per group g: members[offsets[g] .. offsets[g+1])
  std::vector<std::size_t> members;   ///< rollout indices, grouped
  std::vector<std::size_t> group_of;  ///< per rollout: its group

  std::size_t num_groups() const { return prompts.size(); }
  std::size_t group_size(std::size_t g) const { return offsets[g + 1] - offsets[g]; }
  const std::size_t* begin(std::size_t g) const { return members.data() + offsets[g]; }
  const std::size_t* end(std::size_t g) const { return members.data() + offsets[g + 1]; }
};

/// Groups rollouts by prompt id. Linear in the batch size.
group_index index_groups(const std::vector<prompt_id>& prompt_ids);

}  // namespace leadrl::lead
