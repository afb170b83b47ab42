#include "lead/baseline_hapo.hpp"

#include <algorithm>
#include <cmath>

#include "lead/baseline_checks.hpp"
#include "lead/baselines.hpp"

namespace leadrl::lead {
namespace {

constexpr double pi = 3.14159265358979323846;

status check_hapo(const std::vector<double>& correctness, const std::vector<double>& lengths,
                  const group_index& groups, const hapo_config& config) {
  const std::size_t n = groups.group_of.size();
  if (auto s = check_non_empty("hapo", n); !s) return s;
  if (auto s = check_rows("correctness", correctness, n, row_rule::finite); !s) return s;
  if (auto s = check_rows("lengths", lengths, n, row_rule::length); !s) return s;
  if (auto s = check_parameter("hapo weight", config.weight); !s) return s;
  return check_parameter("hapo clip_correct", config.clip_correct);
}

}  // namespace

result<hapo_history_mode> parse_hapo_history_mode(const std::string& name) {
  if (name == "min") return hapo_history_mode::min;
  if (name == "mean") return hapo_history_mode::mean;
  return fail("hapo history mode: expected one of min, mean; got '" + name + "'");
}

std::optional<double> hapo_history::lookup(prompt_id id) const {
  const auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  return it->second.h;
}

void hapo_history::record(prompt_id id, double shortest, double sum, std::int64_t count,
                          hapo_history_mode mode) {
  if (count <= 0) return;
  auto [it, inserted] = records_.try_emplace(id);
  hapo_record& r = it->second;
  if (inserted) {
    r.h = mode == hapo_history_mode::min ? shortest : sum / static_cast<double>(count);
  } else if (mode == hapo_history_mode::min) {
    r.h = std::min(r.h, shortest);
  } else {
    r.h = (r.h * static_cast<double>(r.n_correct) + sum) / static_cast<double>(r.n_correct + count);
  }
  r.n_correct += count;
}

hapo_history::columns hapo_history::to_columns() const {
  std::vector<prompt_id> ids;
  ids.reserve(records_.size());
  for (const auto& [id, r] : records_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  columns c;
  c.prompt_ids = ids;
  for (prompt_id id : ids) {
    const hapo_record& r = records_.at(id);
    c.h.push_back(r.h);
    c.n_correct.push_back(r.n_correct);
  }
  return c;
}

result<hapo_history> hapo_history::from_columns(const columns& c) {
  if (c.h.size() != c.prompt_ids.size() || c.n_correct.size() != c.prompt_ids.size()) {
    return fail("hapo history: expected columns of equal size, got " +
                std::to_string(c.prompt_ids.size()) + " prompt_ids, " + std::to_string(c.h.size()) +
                " h, " + std::to_string(c.n_correct.size()) + " n_correct");
  }
  hapo_history out;
  for (std::size_t i = 0; i < c.prompt_ids.size(); ++i) {
    if (!std::isfinite(c.h[i]) || c.h[i] < 1.0) {
      return fail("hapo history h[" + std::to_string(i) + "]: expected a finite length >= 1, got " +
                  describe_number(c.h[i]));
    }
    if (c.n_correct[i] < 1) {
      return fail("hapo history n_correct[" + std::to_string(i) + "]: expected >= 1, got " +
                  std::to_string(c.n_correct[i]));
    }
    if (!out.records_.try_emplace(c.prompt_ids[i], hapo_record{c.h[i], c.n_correct[i]}).second) {
      return fail("hapo history prompt_ids[" + std::to_string(i) + "]: duplicate prompt id " +
                  std::to_string(c.prompt_ids[i]));
    }
  }
  return out;
}

// spec/baselines.md §10
result<std::vector<double>> hapo_length_rewards(const std::vector<double>& correctness,
                                                const std::vector<double>& lengths,
                                                const group_index& groups,
                                                const hapo_history& history,
                                                const hapo_config& config) {
  if (auto s = check_hapo(correctness, lengths, groups, config); !s) return s.error();
  std::vector<double> out(lengths.size(), 0.0);
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    const std::optional<double> h = history.lookup(groups.prompts[g]);
    if (!h) continue;  // no correct answer seen yet: no length signal
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      const double f = std::cos(std::min(pi / 2.0 * lengths[*i] / *h, pi));
      out[*i] =
          correctness[*i] > correct_threshold ? std::max(f, config.clip_correct) : std::min(f, 0.0);
    }
  }
  return out;
}

status hapo_update(hapo_history& history, const std::vector<double>& correctness,
                   const std::vector<double>& lengths, const group_index& groups,
                   const hapo_config& config) {
  if (auto s = check_hapo(correctness, lengths, groups, config); !s) return s;
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    std::int64_t count = 0;
    double shortest = 0.0;
    double sum = 0.0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (correctness[*i] <= correct_threshold) continue;
      shortest = count == 0 ? lengths[*i] : std::min(shortest, lengths[*i]);
      sum += lengths[*i];
      ++count;
    }
    history.record(groups.prompts[g], shortest, sum, count, config.mode);
  }
  return status::success();
}

result<hapo_output> hapo_step(const std::vector<double>& correctness,
                              const std::vector<double>& lengths, const group_index& groups,
                              hapo_history& history, const hapo_config& config) {
  auto len = hapo_length_rewards(correctness, lengths, groups, history, config);
  if (!len) return len.error();
  hapo_output out;
  out.len_rewards = std::move(*len);
  out.rewards.resize(lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    const double c = correctness[i] > correct_threshold ? 1.0 : 0.0;
    out.rewards[i] = c + config.weight * out.len_rewards[i];
  }
  auto adv = grpo_advantages(out.rewards, groups, config.grpo_epsilon);
  if (!adv) return adv.error().with_context("hapo");
  out.advantages = std::move(*adv);
  if (auto s = hapo_update(history, correctness, lengths, groups, config); !s) return s.error();
  return out;
}

}  // namespace leadrl::lead
