#include "lead/length_target_table.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

namespace leadrl::lead {
namespace {

bool uses_window(length_aggregator a) {
  return a == length_aggregator::min_correct || a == length_aggregator::median_correct;
}

void resize_rows(length_table_rows& r, std::size_t n) {
  r.prompt_ids.resize(n);
  r.lstar.resize(n);
  r.n_correct.resize(n);
  r.n_rollouts.resize(n);
  r.visits.resize(n);
  r.last_step.resize(n);
  r.mean_length.resize(n);
  r.window_count.resize(n);
  r.window.resize(uses_window(r.aggregator) ? n * static_cast<std::size_t>(r.history) : 0);
}

std::string row_field(const char* column, std::size_t row) {
  return "length table " + std::string(column) + "[" + std::to_string(row) + "]";
}

}  // namespace

const char* to_string(length_target_mode m) {
  return m == length_target_mode::group ? "group" : "table";
}

result<length_target_mode> parse_length_target_mode(std::string_view name) {
  if (name == "group") return length_target_mode::group;
  if (name == "table") return length_target_mode::table;
  return fail("lstar_table: unknown name '" + std::string(name) +
              "'; expected one of group, table");
}

length_target_table::length_target_table(length_aggregator aggregator, std::size_t history) {
  rows_.aggregator = aggregator;
  rows_.history = static_cast<std::int64_t>(std::max<std::size_t>(history, 1));
}

result<length_target_plan> length_target_table::plan(const std::vector<double>& lengths,
                                                     const std::vector<bool>& is_correct,
                                                     const group_index& groups,
                                                     const length_target_options& options,
                                                     std::int64_t step) const {
  if (options.aggregator != rows_.aggregator) {
    return fail(std::string("length table: built for aggregator ") + to_string(rows_.aggregator) +
                ", asked for " + to_string(options.aggregator));
  }
  if (lengths.size() != groups.group_of.size() || is_correct.size() != groups.group_of.size()) {
    return fail("length table: expected " + std::to_string(groups.group_of.size()) +
                " lengths and correctness flags (one per rollout), got " +
                std::to_string(lengths.size()) + " and " + std::to_string(is_correct.size()));
  }
  const std::size_t num_groups = groups.num_groups();
  const std::size_t h = history();
  const bool window = uses_window(rows_.aggregator);
  const bool correct_only = aggregates_correct_only(rows_.aggregator);

  length_target_plan plan;
  plan.targets.resize(num_groups);
  length_table_rows& up = plan.updated;
  up.aggregator = rows_.aggregator;
  up.history = rows_.history;
  resize_rows(up, num_groups);

  std::vector<double> values;  // this step's aggregated lengths, batch order
  std::vector<double> pool;    // window + values
  for (std::size_t g = 0; g < num_groups; ++g) {
    values.clear();
    std::int64_t correct = 0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (is_correct[*i]) ++correct;
      if (!correct_only || is_correct[*i]) values.push_back(lengths[*i]);
    }
    const auto old = row_of_.find(groups.prompts[g]);
    const bool known = old != row_of_.end();
    const std::size_t r = known ? old->second : 0;

    up.prompt_ids[g] = groups.prompts[g];
    up.n_correct[g] = (known ? rows_.n_correct[r] : 0) + correct;
    up.n_rollouts[g] =
        (known ? rows_.n_rollouts[r] : 0) + static_cast<std::int64_t>(groups.group_size(g));
    up.visits[g] = (known ? rows_.visits[r] : 0) + 1;
    up.last_step[g] = step;

    bool have_raw = false;
    double raw = 0.0;
    if (!window) {
      // Count-capped running mean: history weighs at most H values, this step fully.
      const std::int64_t seen =
          known ? (correct_only ? rows_.n_correct[r] : rows_.n_rollouts[r]) : 0;
      const double w_old = static_cast<double>(std::min<std::int64_t>(seen, rows_.history));
      const double m_old = known ? rows_.mean_length[r] : 0.0;
      double sum = 0.0;
      for (double l : values) sum += l;
      const double denom = w_old + static_cast<double>(values.size());
      if (denom > 0.0) {
        // On a first visit w_old is 0 and this is exactly the group mean (§3).
        raw = w_old > 0.0 ? (w_old * m_old + sum) / denom : sum / denom;
        have_raw = true;
      }
      up.mean_length[g] = have_raw ? raw : 0.0;
    } else {
      const std::size_t k = known ? static_cast<std::size_t>(rows_.window_count[r]) : 0;
      const double* old_window = known ? rows_.window.data() + r * h : nullptr;
      pool.assign(old_window, old_window + k);
      pool.insert(pool.end(), values.begin(), values.end());
      // New window: the last H of (old window, this step), oldest first.
      const std::size_t keep = std::min(pool.size(), h);
      std::copy(pool.end() - static_cast<std::ptrdiff_t>(keep), pool.end(),
                up.window.begin() + static_cast<std::ptrdiff_t>(g * h));
      up.window_count[g] = static_cast<std::int64_t>(keep);
      if (!pool.empty()) {
        raw = aggregate_lengths(rows_.aggregator, pool);
        have_raw = true;
      }
    }

    length_target& t = plan.targets[g];
    if (!have_raw) {
      t = {options.bmax, lstar_source::no_correct_fallback};  // never solved: no floor (§3)
    } else {
      t = {clamp_length_target(raw, options),
           values.empty() ? lstar_source::carried : lstar_source::aggregated};
    }
    up.lstar[g] = t.lstar;
  }
  return plan;
}

void length_target_table::commit(length_target_plan&& plan) {
  const length_table_rows& up = plan.updated;
  const std::size_t h = history();
  const bool window = uses_window(rows_.aggregator);
  for (std::size_t g = 0; g < up.size(); ++g) {
    auto [it, inserted] = row_of_.try_emplace(up.prompt_ids[g], rows_.size());
    const std::size_t r = it->second;
    if (inserted) resize_rows(rows_, r + 1);
    rows_.prompt_ids[r] = up.prompt_ids[g];
    rows_.lstar[r] = up.lstar[g];
    rows_.n_correct[r] = up.n_correct[g];
    rows_.n_rollouts[r] = up.n_rollouts[g];
    rows_.visits[r] = up.visits[g];
    rows_.last_step[r] = up.last_step[g];
    rows_.mean_length[r] = up.mean_length[g];
    rows_.window_count[r] = up.window_count[g];
    if (window) {
      std::copy(up.window.begin() + static_cast<std::ptrdiff_t>(g * h),
                up.window.begin() + static_cast<std::ptrdiff_t>((g + 1) * h),
                rows_.window.begin() + static_cast<std::ptrdiff_t>(r * h));
    }
  }
}

status length_target_table::restore(length_table_rows rows) {
  if (rows.history < 1) {
    return fail("length table history: expected >= 1, got " + std::to_string(rows.history));
  }
  const std::size_t n = rows.prompt_ids.size();
  const auto check = [n](const char* column, std::size_t got) -> status {
    if (got == n) return status::success();
    return fail("length table " + std::string(column) + ": expected " + std::to_string(n) +
                " entries (one per prompt), got " + std::to_string(got));
  };
  for (auto s :
       {check("lstar", rows.lstar.size()), check("n_correct", rows.n_correct.size()),
        check("n_rollouts", rows.n_rollouts.size()), check("visits", rows.visits.size()),
        check("last_step", rows.last_step.size()), check("mean_length", rows.mean_length.size()),
        check("window_count", rows.window_count.size())}) {
    if (!s) return s;
  }
  const std::size_t h = static_cast<std::size_t>(rows.history);
  const bool window = uses_window(rows.aggregator);
  const std::size_t window_size = window ? n * h : 0;
  if (rows.window.size() != window_size) {
    return fail("length table window: expected " + std::to_string(window_size) + " entries (" +
                (window ? "prompts x history" : "none for a mean aggregator") + "), got " +
                std::to_string(rows.window.size()));
  }
  std::unordered_map<prompt_id, std::size_t> row_of;
  row_of.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    if (!row_of.try_emplace(rows.prompt_ids[r], r).second) {
      return fail(row_field("prompt_ids", r) + ": prompt " + std::to_string(rows.prompt_ids[r]) +
                  " appears twice");
    }
    if (!std::isfinite(rows.lstar[r]) || rows.lstar[r] <= 0.0) {
      return fail(row_field("lstar", r) + ": expected a finite length > 0");
    }
    if (rows.n_correct[r] < 0 || rows.n_rollouts[r] < rows.n_correct[r] || rows.visits[r] < 0) {
      return fail(row_field("n_correct", r) + ": expected 0 <= n_correct <= n_rollouts and " +
                  "visits >= 0, got " + std::to_string(rows.n_correct[r]) + ", " +
                  std::to_string(rows.n_rollouts[r]) + ", " + std::to_string(rows.visits[r]));
    }
    if (!std::isfinite(rows.mean_length[r]) || rows.mean_length[r] < 0.0) {
      return fail(row_field("mean_length", r) + ": expected a finite length >= 0");
    }
    const std::int64_t k = rows.window_count[r];
    if (k < 0 || k > (window ? rows.history : 0)) {
      return fail(row_field("window_count", r) + ": expected 0.." +
                  std::to_string(window ? rows.history : 0) + ", got " + std::to_string(k));
    }
    for (std::int64_t j = 0; j < k; ++j) {
      const double l = rows.window[r * h + static_cast<std::size_t>(j)];
      if (!std::isfinite(l) || l <= 0.0) {
        return fail(row_field("window", r) + ": expected finite lengths > 0");
      }
    }
  }
  rows_ = std::move(rows);
  row_of_ = std::move(row_of);
  return status::success();
}

}  // namespace leadrl::lead
