#include "lead/rollout_batch.hpp"

#include <cmath>
#include <sstream>
#include <string>
#include <unordered_map>

namespace leadrl::lead {
namespace {

std::string describe(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

status check_size(const char* field, std::size_t got, std::size_t expected) {
  if (got == expected) return status::success();
  return fail(std::string(field) + ": expected " + std::to_string(expected) +
              " entries (one per rollout), got " + std::to_string(got));
}

}  // namespace

status validate(const rollout_batch& batch) {
  const std::size_t n = batch.prompt_ids.size();
  if (n == 0) return fail("rollout batch: expected at least one rollout, got an empty batch");
  if (auto s = check_size("lengths", batch.lengths.size(), n); !s) return s;
  if (auto s = check_size("correctness", batch.correctness.size(), n); !s) return s;
  if (!batch.format.empty()) {
    if (auto s = check_size("format", batch.format.size(), n); !s) return s;
  }
  if (!batch.truncated.empty()) {
    if (auto s = check_size("truncated", batch.truncated.size(), n); !s) return s;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double len = batch.lengths[i];
    if (!std::isfinite(len) || len < 1.0) {
      return fail("lengths[" + std::to_string(i) + "]: expected a finite token count >= 1, got " +
                  describe(len));
    }
    if (!std::isfinite(batch.correctness[i])) {
      return fail("correctness[" + std::to_string(i) + "]: expected a finite score, got " +
                  describe(batch.correctness[i]));
    }
    if (!batch.format.empty() && !std::isfinite(batch.format[i])) {
      return fail("format[" + std::to_string(i) + "]: expected a finite score, got " +
                  describe(batch.format[i]));
    }
  }
  return status::success();
}

group_index index_groups(const std::vector<prompt_id>& prompt_ids) {
  group_index g;
  const std::size_t n = prompt_ids.size();
  g.group_of.resize(n);
  std::unordered_map<prompt_id, std::size_t> slot;
  slot.reserve(n);
  std::vector<std::size_t> counts;
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, inserted] = slot.try_emplace(prompt_ids[i], g.prompts.size());
    if (inserted) {
      g.prompts.push_back(prompt_ids[i]);
      counts.push_back(0);
    }
    g.group_of[i] = it->second;
    ++counts[it->second];
  }
  g.offsets.assign(g.prompts.size() + 1, 0);
  for (std::size_t k = 0; k < counts.size(); ++k) g.offsets[k + 1] = g.offsets[k] + counts[k];
  g.members.resize(n);
  std::vector<std::size_t> cursor(g.offsets.begin(), g.offsets.end() - 1);
  for (std::size_t i = 0; i < n; ++i) g.members[cursor[g.group_of[i]]++] = i;
  return g;
}

}  // namespace leadrl::lead
