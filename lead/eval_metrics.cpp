#include "lead/eval_metrics.hpp"

#include <cmath>

#include "lead/baseline_checks.hpp"

namespace leadrl::lead {
namespace {

constexpr double correct_cutoff = 0.5;  // spec/lead.md §1: correct iff score > 0.5

status check_samples(const std::vector<prompt_id>& problem_ids,
                     const std::vector<double>& correctness) {
  if (problem_ids.empty()) return fail("evaluation: expected at least one sample, got none");
  return check_rows("correctness", correctness, problem_ids.size(), row_rule::finite);
}

}  // namespace

result<double> pass_at_k(std::size_t n, std::size_t c, std::size_t k) {
  if (n == 0) return fail("pass@k: expected at least one sample, got 0");
  if (c > n) {
    return fail("pass@k: expected correct count <= samples (" + std::to_string(n) + "), got " +
                std::to_string(c));
  }
  if (k == 0 || k > n) {
    return fail("pass@k: expected k in [1, " + std::to_string(n) + "], got " + std::to_string(k));
  }
  if (n - c < k) return 1.0;  // every k-subset contains a correct sample
  // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i)
  double miss = 1.0;
  for (std::size_t i = n - c + 1; i <= n; ++i) {
    miss *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  }
  return 1.0 - miss;
}

result<double> pass_at_k(const std::vector<prompt_id>& problem_ids,
                         const std::vector<double>& correctness, std::size_t k) {
  if (auto s = check_samples(problem_ids, correctness); !s) return s.error();
  const group_index groups = index_groups(problem_ids);
  double sum = 0.0;
  for (std::size_t g = 0; g < groups.num_groups(); ++g) {
    std::size_t c = 0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      if (correctness[*i] > correct_cutoff) ++c;
    }
    auto p = pass_at_k(groups.group_size(g), c, k);
    if (!p) return p.error().with_context("problem " + std::to_string(groups.prompts[g]));
    sum += *p;
  }
  return sum / static_cast<double>(groups.num_groups());
}

result<double> pass_at_1(const std::vector<prompt_id>& problem_ids,
                         const std::vector<double>& correctness) {
  return pass_at_k(problem_ids, correctness, 1);
}

result<double> mean_length(const std::vector<double>& lengths) {
  if (lengths.empty()) return fail("mean length: expected at least one length, got none");
  if (auto s = check_rows("lengths", lengths, lengths.size(), row_rule::non_negative); !s) {
    return s.error();
  }
  double sum = 0.0;
  for (double l : lengths) sum += l;
  return sum / static_cast<double>(lengths.size());
}

result<double> mean_correct_length(const std::vector<double>& lengths,
                                   const std::vector<double>& correctness) {
  if (lengths.empty()) return fail("mean correct length: expected at least one length, got none");
  if (auto s = check_rows("lengths", lengths, lengths.size(), row_rule::non_negative); !s) {
    return s.error();
  }
  if (auto s = check_rows("correctness", correctness, lengths.size(), row_rule::finite); !s) {
    return s.error();
  }
  double sum = 0.0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    if (correctness[i] <= correct_cutoff) continue;
    sum += lengths[i];
    ++count;
  }
  if (count == 0) {
    return fail("mean correct length: expected at least one correct answer, got none of " +
                std::to_string(lengths.size()));
  }
  return sum / static_cast<double>(count);
}

result<dataset_summary> summarize_dataset(const std::vector<prompt_id>& problem_ids,
                                          const std::vector<double>& correctness,
                                          const std::vector<double>& lengths) {
  if (auto s = check_samples(problem_ids, correctness); !s) return s.error();
  if (auto s = check_rows("lengths", lengths, problem_ids.size(), row_rule::non_negative); !s) {
    return s.error();
  }
  dataset_summary out;
  out.samples = problem_ids.size();
  out.problems = index_groups(problem_ids).num_groups();
  auto p = pass_at_1(problem_ids, correctness);
  if (!p) return p.error();
  out.pass_at_1 = *p;
  auto m = mean_length(lengths);
  if (!m) return m.error();
  out.mean_length = *m;
  if (auto mc = mean_correct_length(lengths, correctness)) out.mean_correct_length = *mc;
  return out;
}

result<double> relative_accuracy_change(double accuracy, double base_accuracy) {
  if (base_accuracy == 0.0 && accuracy == 0.0) return 0.0;
  if (!(base_accuracy > 0.0)) {
    return fail(
        "aes base accuracy: expected a number > 0 (relative change; 0 only with an "
        "accuracy of 0), got " +
        describe_number(base_accuracy));
  }
  return (accuracy - base_accuracy) / base_accuracy;
}

result<double> aes(double accuracy, double length, double base_accuracy, double base_length,
                   const aes_constants& constants, aes_variant variant) {
  for (auto [name, v] : {std::pair<const char*, double>{"aes accuracy", accuracy},
                         {"aes length", length},
                         {"aes base accuracy", base_accuracy},
                         {"aes base length", base_length},
                         {"aes constant a", constants.a},
                         {"aes constant b", constants.b},
                         {"aes constant g", constants.g}}) {
    if (auto s = check_parameter(name, v); !s) return s.error();
  }
  if (accuracy < 0.0) {
    return fail("aes accuracy: expected a number >= 0, got " + describe_number(accuracy));
  }
  if (length < 0.0)
    return fail("aes length: expected a number >= 0, got " + describe_number(length));
  if (base_length <= 0.0) {
    return fail("aes base length: expected a number > 0 (relative change), got " +
                describe_number(base_length));
  }
  auto relative = relative_accuracy_change(accuracy, base_accuracy);
  if (!relative) return relative.error();
  const double d_len = (base_length - length) / base_length;
  const double d_acc = *relative;
  if (variant == aes_variant::plus_abs || d_acc >= 0.0) {
    return constants.a * d_len + constants.b * std::abs(d_acc);
  }
  return constants.a * d_len - constants.g * std::abs(d_acc);
}

result<aes_report> aes_over_datasets(const std::vector<aes_input>& datasets,
                                     const aes_constants& constants) {
  if (datasets.empty()) return fail("aes: expected at least one dataset, got none");
  aes_report out;
  for (const aes_input& d : datasets) {
    const std::string where = "dataset '" + d.dataset + "'";
    auto f =
        aes(d.accuracy, d.length, d.base_accuracy, d.base_length, constants, aes_variant::formula);
    if (!f) return f.error().with_context(where);
    auto p =
        aes(d.accuracy, d.length, d.base_accuracy, d.base_length, constants, aes_variant::plus_abs);
    if (!p) return p.error().with_context(where);
    aes_row row;
    row.dataset = d.dataset;
    row.delta_length = (d.base_length - d.length) / d.base_length;
    row.delta_accuracy = *relative_accuracy_change(d.accuracy, d.base_accuracy);
    row.aes_formula = *f;
    row.aes_plus_abs = *p;
    out.mean_formula += *f;
    out.mean_plus_abs += *p;
    out.datasets.push_back(std::move(row));
  }
  out.mean_formula /= static_cast<double>(datasets.size());
  out.mean_plus_abs /= static_cast<double>(datasets.size());
  return out;
}

}  // namespace leadrl::lead
