#include "eval/fair_report.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "base/splitmix64.hpp"
#include "eval/table_text.hpp"

namespace leadrl::eval {
namespace {

// The mean of `values` taken relative to `pivot`: pivot + sum(v - pivot) / n.
double mean_around(const std::vector<double>& values, double pivot) {
  double sum = 0.0;
  for (double v : values) sum += v - pivot;
  return pivot + sum / static_cast<double>(values.size());
}

// A uniform index in [0, n): the high 64 bits of draw * n (Lemire's multiply-shift; the
// bias is below n / 2^64).
std::size_t draw_index(splitmix64_stream& rng, std::size_t n) {
  const unsigned __int128 wide = static_cast<unsigned __int128>(rng.next()) * n;
  return static_cast<std::size_t>(wide >> 64);
}

// The p-quantile of sorted values, interpolating linearly between order statistics.
double quantile(const std::vector<double>& sorted, double p) {
  const double h = p * static_cast<double>(sorted.size() - 1);
  const std::size_t k = static_cast<std::size_t>(std::floor(h));
  if (k + 1 >= sorted.size()) return sorted.back();
  return sorted[k] + (h - static_cast<double>(k)) * (sorted[k + 1] - sorted[k]);
}

// Mean of a figure over the levels [first, last] of a readout.
double over_levels(const fair_readout& r, int first, int last, double fair_level::*field) {
  double sum = 0.0;
  for (int d = first; d <= last; ++d) sum += r.levels[static_cast<std::size_t>(d - 1)].*field;
  return sum / static_cast<double>(last - first + 1);
}

// The per-level tables of one arm's readouts.
void summarize_levels(const std::vector<const fair_readout*>& readouts, fair_arm_summary& out) {
  for (const fair_level_metric& m : fair_level_metrics()) {
    auto& row = out.levels[m.key];
    for (int d = 1; d <= fair_level_count; ++d) {
      std::vector<double> values;
      for (const fair_readout* r : readouts) {
        if (auto v = m.value(r->levels[static_cast<std::size_t>(d - 1)])) values.push_back(*v);
      }
      row[static_cast<std::size_t>(d - 1)] = summarize_values(values);
    }
  }
}

void summarize_scores(fair_arm_summary& out) {
  for (const fair_score_spec& s : fair_scores()) {
    std::vector<double> values;
    for (const auto& [seed, v] : out.scores[s.key]) values.push_back(v);
    out.score_summaries[s.key] = summarize_values(values);
  }
}

// The base's figures as a one-"seed" (0) arm, without AES.
fair_arm_summary summarize_base(const fair_readout& base) {
  fair_arm_summary out;
  out.spec = {"base (SFT)"};
  out.readout_seeds = {0};
  for (const auto& [key, v] : score_readout(base, nullptr)) out.scores[key][0] = v;
  summarize_levels({&base}, out);
  summarize_scores(out);
  return out;
}

const fair_arm_summary* find_summary(const std::vector<fair_arm_summary>& arms,
                                     const std::string& name) {
  for (const fair_arm_summary& a : arms) {
    if (a.spec.name == name) return &a;
  }
  return nullptr;
}

// The paired tests of `reference` against `other`, one per paired readout (the
// curriculum-only readouts only between the curriculum arms).
void add_paired_tests(const fair_arm_summary& reference, const fair_arm_summary& other,
                      const fair_report_options& options, std::vector<fair_paired_test>& out) {
  const bool curriculum = reference.spec.curriculum && other.spec.curriculum;
  for (const fair_score_spec& s : fair_scores()) {
    if (!s.paired || (s.curriculum_only && !curriculum)) continue;
    out.push_back(paired_test(reference, other, s.key, options.resamples, options.seed,
                              options.registered_pairs));
  }
}

}  // namespace

value_summary summarize_values(const std::vector<double>& values) {
  value_summary s;
  s.n = values.size();
  if (values.empty()) return s;
  s.mean = mean_around(values, values.front());
  if (values.size() < 2) return s;
  double squares = 0.0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(squares / static_cast<double>(values.size() - 1));
  return s;
}

std::vector<double> paired_differences(const seed_values& reference, const seed_values& other) {
  std::vector<double> out;
  for (const auto& [seed, v] : reference) {
    const auto it = other.find(seed);
    if (it != other.end()) out.push_back(v - it->second);
  }
  return out;
}

result<bootstrap_interval> bootstrap_mean_interval(const std::vector<double>& values,
                                                   std::size_t resamples, std::uint64_t seed,
                                                   double confidence) {
  if (values.empty()) return fail("bootstrap: expected at least one value, got none");
  if (resamples == 0) return fail("bootstrap: expected at least one resample, got 0");
  if (!(confidence > 0.0 && confidence < 1.0)) {
    return fail("bootstrap: expected a confidence in (0, 1), got " + std::to_string(confidence));
  }
  for (double v : values) {
    if (!std::isfinite(v)) return fail("bootstrap: expected finite values, got a non-finite one");
  }
  const double pivot = values.front();
  splitmix64_stream rng(seed);
  std::vector<double> means(resamples);
  std::vector<double> draw(values.size());
  for (double& m : means) {
    for (double& d : draw) d = values[draw_index(rng, values.size())];
    m = mean_around(draw, pivot);
  }
  std::sort(means.begin(), means.end());
  const double tail = (1.0 - confidence) / 2.0;
  return bootstrap_interval{mean_around(values, pivot), quantile(means, tail),
                            quantile(means, 1.0 - tail)};
}

result<lead::aes_report> fair_aes(const fair_readout& run, const fair_readout& base) {
  std::vector<lead::aes_input> levels;
  for (int d = 1; d <= fair_level_count; ++d) {
    const fair_level& r = run.levels[static_cast<std::size_t>(d - 1)];
    const fair_level& b = base.levels[static_cast<std::size_t>(d - 1)];
    levels.push_back(
        {"level " + std::to_string(d), r.pass_at_1, r.mean_tokens, b.pass_at_1, b.mean_tokens});
  }
  return lead::aes_over_datasets(levels, lead::aes_constants{1.0, 3.0, 5.0});
}

const std::vector<fair_level_metric>& fair_level_metrics() {
  static const std::vector<fair_level_metric> metrics = {
      {"pass_at_1", "pass@1", 3,
       [](const fair_level& l) { return std::optional<double>(l.pass_at_1); }},
      {"length_ratio", "length ratio (mean tokens / minimal tokens)", 2,
       [](const fair_level& l) { return std::optional<double>(l.length_ratio); }},
      {"skip_rate", "skip rate (fused or dropped answers)", 3,
       [](const fair_level& l) { return std::optional<double>(l.skip_rate); }},
      {"skipped_accuracy", "accuracy of skipped answers", 3,
       [](const fair_level& l) { return l.skipped.accuracy; }},
      {"full_accuracy", "accuracy of full step-by-step answers", 3,
       [](const fair_level& l) { return l.full.accuracy; }},
  };
  return metrics;
}

const std::vector<fair_score_spec>& fair_scores() {
  static const std::vector<fair_score_spec> scores = {
      {"pass_at_1_levels_4_5", "pass@1, levels 4-5", 3, true},
      {"skip_rate_levels_4_5", "skip rate, levels 4-5", 3, true},
      {"pass_at_1_levels_1_5", "pass@1, levels 1-5", 3, true},
      {"length_ratio_levels_1_2", "length ratio, levels 1-2", 2, true},
      {"length_ratio_levels_1_5", "length ratio, levels 1-5", 2, true},
      {"aes_formula", "AES (formula), levels 1-5", 3, true},
      {"aes_plus_abs", "AES (plus_abs), levels 1-5", 3, false},
      {"recovery_accuracy_levels_4_5",
       "training accuracy, levels 4-5, the 30 steps after the switch (exploratory)", 3, true,
       /*curriculum_only=*/true},
  };
  return scores;
}

static_assert(fair_recovery_steps == 30, "the recovery readout's title names its window");

std::map<double, std::pair<double, double>> hard_levels_rollouts(const io::run_log& log) {
  std::map<double, std::pair<double, double>> sums;
  for (int d : {4, 5}) {
    const std::string level = "level" + std::to_string(d);
    const auto accuracy = log.series.find(level + "/accuracy");
    const auto rollouts = log.series.find(level + "/rollouts");
    if (accuracy == log.series.end() || rollouts == log.series.end()) continue;
    const std::map<double, double> count(rollouts->second.begin(), rollouts->second.end());
    for (const auto& [step, acc] : accuracy->second) {
      const auto r = count.find(step);
      if (r == count.end() || !(r->second > 0.0)) continue;
      sums[step].first += acc * r->second;
      sums[step].second += r->second;
    }
  }
  return sums;
}

std::optional<double> fair_recovery_accuracy(const io::run_log& log) {
  double correct = 0.0;
  double rollouts = 0.0;
  for (const auto& [step, sum] : hard_levels_rollouts(log)) {
    if (step <= fair_curriculum_switch_step ||
        step > fair_curriculum_switch_step + fair_recovery_steps) {
      continue;
    }
    correct += sum.first;
    rollouts += sum.second;
  }
  if (!(rollouts > 0.0)) return std::nullopt;
  return correct / rollouts;
}

std::map<std::string, double> score_readout(const fair_readout& run, const fair_readout* base,
                                            std::string* aes_error) {
  std::map<std::string, double> s;
  s["pass_at_1_levels_4_5"] = over_levels(run, 4, 5, &fair_level::pass_at_1);
  s["skip_rate_levels_4_5"] = over_levels(run, 4, 5, &fair_level::skip_rate);
  s["pass_at_1_levels_1_5"] = over_levels(run, 1, 5, &fair_level::pass_at_1);
  s["length_ratio_levels_1_2"] = over_levels(run, 1, 2, &fair_level::length_ratio);
  s["length_ratio_levels_1_5"] = over_levels(run, 1, 5, &fair_level::length_ratio);
  if (base == nullptr) return s;
  auto aes = fair_aes(run, *base);
  if (!aes) {
    if (aes_error) *aes_error = aes.error().message();
    return s;
  }
  s["aes_formula"] = aes->mean_formula;
  s["aes_plus_abs"] = aes->mean_plus_abs;
  return s;
}

fair_arm_summary summarize_arm(const fair_arm& arm, const fair_readout& base,
                               std::vector<std::string>& notes) {
  fair_arm_summary out;
  out.spec = arm.spec;
  std::vector<const fair_readout*> readouts;
  for (const fair_run& run : arm.runs) {
    if (run.log) out.log_seeds.push_back(run.seed);
    if (!run.readout) continue;
    out.readout_seeds.push_back(run.seed);
    readouts.push_back(&*run.readout);
    if (run.readout->protocol != base.protocol) {
      notes.push_back(run.readout->source + ": measured with " + run.readout->protocol.describe() +
                      ", the base with " + base.protocol.describe());
    }
    std::string aes_error;
    for (const auto& [key, v] : score_readout(*run.readout, &base, &aes_error)) {
      out.scores[key][run.seed] = v;
    }
    if (!aes_error.empty()) {
      notes.push_back(run.readout->source + ": no AES for this seed: " + aes_error);
    }
    if (arm.spec.curriculum && run.log) {
      if (auto recovery = fair_recovery_accuracy(*run.log)) {
        out.scores["recovery_accuracy_levels_4_5"][run.seed] = *recovery;
      }
    }
  }
  summarize_levels(readouts, out);
  summarize_scores(out);
  return out;
}

fair_paired_test paired_test(const fair_arm_summary& reference, const fair_arm_summary& other,
                             const std::string& key, std::size_t resamples, std::uint64_t seed,
                             std::size_t registered_pairs) {
  fair_paired_test t;
  t.reference = fair_arm_label(reference.spec);
  t.other = fair_arm_label(other.spec);
  t.readout = key;
  const auto ref = reference.scores.find(key);
  const auto oth = other.scores.find(key);
  const std::vector<double> d = ref == reference.scores.end() || oth == other.scores.end()
                                    ? std::vector<double>{}
                                    : paired_differences(ref->second, oth->second);
  t.pairs = d.size();
  t.verdict = "too few pairs";
  if (d.empty()) return t;
  t.mean_difference = summarize_values(d).mean;
  if (d.size() < 2) return t;
  auto ci = bootstrap_mean_interval(d, resamples, seed);
  if (!ci) {  // d is finite and non-empty: only resamples == 0 gets here
    t.verdict = "no interval: " + ci.error().message();
    return t;
  }
  t.interval = *ci;
  t.mean_difference = ci->mean;
  const bool excludes_zero = ci->lo > 0.0 || ci->hi < 0.0;
  if (d.size() >= registered_pairs) {
    t.verdict = excludes_zero ? "supported" : "not distinguishable";
  } else {
    t.verdict = std::string("interim: ") + (excludes_zero ? "excludes 0" : "includes 0") + " (" +
                std::to_string(d.size()) + " of " + std::to_string(registered_pairs) + " pairs)";
  }
  return t;
}

fair_report build_fair_report(const fair_inputs& in, const fair_report_options& options) {
  fair_report r;
  r.dir = in.dir;
  r.base_source = in.base.source;
  r.protocol = in.base.protocol;
  r.options = options;
  r.base = summarize_base(in.base);
  for (const fair_arm& arm : in.arms) r.arms.push_back(summarize_arm(arm, in.base, r.notes));
  const fair_arm_summary* reference = find_summary(r.arms, fair_reference_arm);
  for (const fair_arm_summary& other : r.arms) {
    if (reference == nullptr || reference->readout_seeds.empty() || other.spec.curriculum ||
        &other == reference || other.readout_seeds.empty()) {
      continue;
    }
    add_paired_tests(*reference, other, options, r.reference_tests);
  }
  const fair_arm_summary* curriculum = find_summary(r.arms, fair_curriculum_arm);
  const fair_arm_summary* curriculum_base = find_summary(r.arms, fair_curriculum_baseline);
  if (curriculum != nullptr && curriculum_base != nullptr && !curriculum->readout_seeds.empty() &&
      !curriculum_base->readout_seeds.empty()) {
    add_paired_tests(*curriculum, *curriculum_base, options, r.curriculum_tests);
  }
  return r;
}

std::size_t comparisons(const std::vector<fair_paired_test>& tests) {
  return static_cast<std::size_t>(
      std::count_if(tests.begin(), tests.end(),
                    [](const fair_paired_test& t) { return t.interval.has_value(); }));
}

// ---- results.md ----

namespace {

std::string summary_cell(const value_summary& s, int digits, std::size_t seeds) {
  if (s.n == 0) return "-";
  std::string out = fixed(s.mean, digits);
  if (s.n >= 2) out += " ± " + fixed(s.sd, digits);
  if (s.n != seeds) out += " (n=" + std::to_string(s.n) + ")";
  return out;
}

std::string seed_list(const std::vector<int>& seeds) {
  if (seeds.empty()) return "-";
  std::string out;
  for (int s : seeds) out += (out.empty() ? "" : ", ") + std::to_string(s);
  return out;
}

int score_digits(const std::string& key) {
  for (const fair_score_spec& s : fair_scores()) {
    if (key == s.key) return s.digits;
  }
  return 3;
}

const char* score_title(const std::string& key) {
  for (const fair_score_spec& s : fair_scores()) {
    if (key == s.key) return s.title;
  }
  return "?";
}

// "+0.042 [+0.010, +0.071]" (or what is known of it). An interval that excludes 0 gets up
// to 3 more digits, so that its bound nearer 0 does not print as +0.00.
std::string difference_cell(const fair_paired_test& t) {
  int digits = score_digits(t.readout);
  if (!t.mean_difference) return "-";
  if (t.interval && (t.interval->lo > 0 || t.interval->hi < 0)) {
    const double nearer = std::min(std::abs(t.interval->lo), std::abs(t.interval->hi));
    for (const int most = digits + 3; digits < most && nearer < 0.5 * std::pow(10.0, -digits);) {
      ++digits;
    }
  }
  std::string out = signed_fixed(*t.mean_difference, digits);
  if (t.interval) {
    out += " [" + signed_fixed(t.interval->lo, digits) + ", " +
           signed_fixed(t.interval->hi, digits) + "]";
  }
  return out;
}

std::string test_row(const std::string& first_cell, const fair_paired_test& t) {
  return "| " + md_cell(first_cell) + " | " + difference_cell(t) + " | " + std::to_string(t.pairs) +
         " | " + t.verdict + " |\n";
}

const fair_paired_test* find_test(const std::vector<fair_paired_test>& tests,
                                  const std::string& other, const std::string& readout) {
  for (const fair_paired_test& t : tests) {
    if (t.other == other && t.readout == readout) return &t;
  }
  return nullptr;
}

std::string md_header(const fair_report& r) {
  return "# Fair test (issue 17): results\n\n"
         "From `" +
         md_cell(r.dir) + "` (base: `" + md_cell(r.base_source) +
         "`), written by "
         "`leadrl fair-report`. Readouts of the final policies: " +
         r.protocol.describe() +
         " (the base's; runs measured otherwise are listed under Notes). Paired tests: " +
         std::to_string(r.options.resamples) + " bootstrap resamples, seed " +
         std::to_string(r.options.seed) +
         ", 95% percentile intervals "
         "(docs/experiments/fair_test.md, \"Statistical test\").\n\n";
}

std::string md_runs(const fair_report& r) {
  std::string out =
      "## Runs found\n\n| arm | readouts | seeds | training logs | seeds |\n"
      "|---|---|---|---|---|\n";
  std::string missing;
  for (const fair_arm_summary& a : r.arms) {
    if (a.readout_seeds.empty() && a.log_seeds.empty()) {
      missing += (missing.empty() ? "" : ", ") + fair_arm_label(a.spec);
      continue;
    }
    out += "| " + md_cell(fair_arm_label(a.spec)) + " | " + std::to_string(a.readout_seeds.size()) +
           " | " + seed_list(a.readout_seeds) + " | " + std::to_string(a.log_seeds.size()) + " | " +
           seed_list(a.log_seeds) + " |\n";
  }
  if (!missing.empty()) out += "\nNo run found for: " + missing + ".\n";
  return out + "\n";
}

// Arms with at least one readout (the rows of every readout table).
std::vector<const fair_arm_summary*> measured_arms(const fair_report& r) {
  std::vector<const fair_arm_summary*> out;
  for (const fair_arm_summary& a : r.arms) {
    if (!a.readout_seeds.empty()) out.push_back(&a);
  }
  return out;
}

std::string md_level_table(const fair_report& r, const fair_level_metric& m) {
  std::string out = std::string("### ") + m.title +
                    "\n\n| arm | n | level 1 | level 2 | level 3 "
                    "| level 4 | level 5 |\n|---|---|---|---|---|---|---|\n";
  std::vector<const fair_arm_summary*> rows{&r.base};
  for (const fair_arm_summary* a : measured_arms(r)) rows.push_back(a);
  for (const fair_arm_summary* a : rows) {
    const std::size_t seeds = a->readout_seeds.size();
    out += "| " + md_cell(fair_arm_label(a->spec)) + " | " +
           (a == &r.base ? std::string("-") : std::to_string(seeds));
    for (const value_summary& s : a->levels.at(m.key))
      out += " | " + summary_cell(s, m.digits, seeds);
    out += " |\n";
  }
  return out + "\n";
}

std::string md_levels(const fair_report& r) {
  std::string out =
      "## 1. Readouts per level\n\nMean over seeds ± sample sd; n = seeds with a readout "
      "(a cell over fewer seeds says so: seeds without an answer of that kind are left out). "
      "Length ratio: mean answer tokens over the mean minimal step-by-step tokens of the same "
      "problems.\n\n";
  for (const fair_level_metric& m : fair_level_metrics()) out += md_level_table(r, m);
  return out;
}

std::string md_aes(const fair_report& r) {
  std::string out =
      "## 2. AES against the base\n\nPer seed, `lead::aes_over_datasets` over the five levels "
      "(each level a dataset: the run's pass@1 and mean tokens against the base's), O1-Pruner's "
      "constants (a, b, g) = (1, 3, 5), both variants: formula (an accuracy loss costs g) and "
      "plus_abs (any accuracy change counts as a gain); then mean ± sd over seeds.\n\n"
      "| arm | n | AES (formula) | AES (plus_abs) |\n|---|---|---|---|\n";
  for (const fair_arm_summary* a : measured_arms(r)) {
    const std::size_t seeds = a->readout_seeds.size();
    out += "| " + md_cell(fair_arm_label(a->spec)) + " | " + std::to_string(seeds) + " | " +
           summary_cell(a->score_summaries.at("aes_formula"), 3, seeds) + " | " +
           summary_cell(a->score_summaries.at("aes_plus_abs"), 3, seeds) + " |\n";
  }
  return out + "\n";
}

std::string comparison_footer(std::size_t count) {
  const std::string caveat =
      " Eight seeds (fewer where runs are missing: see the pairs) detect only differences of "
      "about the seed-to-seed spread or more; \"not distinguishable\" is not \"equal\".\n\n";
  if (count == 0) return "No comparison has an interval yet (each needs 2 or more pairs)." + caveat;
  return std::to_string(count) +
         " comparisons with an interval; no correction for multiple comparisons is applied "
         "(Bonferroni, for one: a 5% family-wise level is 5%/" +
         std::to_string(count) + " per comparison)." + caveat;
}

std::string md_paired(const fair_report& r) {
  std::string out = std::string("## 3. Paired tests\n\n### ") + fair_reference_arm +
                    " against every other arm\n\nPer seed, " + fair_reference_arm +
                    " minus the other arm on the same seed; mean over the seeds both have, and "
                    "its 95% percentile bootstrap interval; \"supported\" when the interval "
                    "excludes 0. A verdict needs the " +
                    std::to_string(r.options.registered_pairs) +
                    " pairs of the design: with fewer the interval is shown as \"interim\" "
                    "(a percentile interval of a few differences is too narrow; of two it is "
                    "their range, which excludes 0 whenever they share a sign). The curriculum "
                    "arms are compared with each other only.\n\n";
  if (r.reference_tests.empty()) {
    out += std::string("No paired test: ") + fair_reference_arm +
           " or every other arm has no "
           "readout yet.\n\n";
  }
  for (const fair_score_spec& s : fair_scores()) {
    if (!s.paired || s.curriculum_only || r.reference_tests.empty()) continue;
    out += std::string("#### ") + s.title + "\n\n| " + fair_reference_arm +
           " minus | mean difference [95% CI] | pairs | verdict |\n|---|---|---|---|\n";
    for (const fair_paired_test& t : r.reference_tests) {
      if (t.readout == s.key) out += test_row(t.other, t);
    }
    out += "\n";
  }
  if (!r.reference_tests.empty()) out += comparison_footer(comparisons(r.reference_tests));
  out +=
      std::string("### ") + fair_curriculum_arm + " against " + fair_curriculum_baseline + "\n\n";
  if (r.curriculum_tests.empty())
    return out + "No paired test: one of them has no readout yet.\n\n";
  out +=
      "How fast each recovers the hard levels (exploratory, defined after seeds 1-4 were "
      "seen): training accuracy on levels 4-5 pooled over steps " +
      std::to_string(fair_curriculum_switch_step + 1) + "-" +
      std::to_string(fair_curriculum_switch_step + fair_recovery_steps) +
      ", the first after the switch to levels 1-5, mean ± sd over seeds:";
  for (const char* name : {fair_curriculum_arm, fair_curriculum_baseline}) {
    const fair_arm_summary* a = find_summary(r.arms, name);
    const value_summary& v = a->score_summaries.at("recovery_accuracy_levels_4_5");
    out += std::string(name == fair_curriculum_arm ? " " : "; ") + name + " " +
           summary_cell(v, 3, v.n) + " (n=" + std::to_string(v.n) + ")";
  }
  out += ".\n\n";
  out += "| readout | mean difference [95% CI] | pairs | verdict |\n|---|---|---|---|\n";
  for (const fair_paired_test& t : r.curriculum_tests) out += test_row(score_title(t.readout), t);
  return out + "\n" + comparison_footer(comparisons(r.curriculum_tests));
}

std::string md_psi(const fair_report& r) {
  std::string out = std::string("## 4. PSI: dynamic weights against fixed w_corr\n\n") +
                    fair_reference_arm +
                    " (the PSI controller) and each static w_corr arm: mean ± sd over seeds of "
                    "the level-averaged figures, and the paired difference " +
                    fair_reference_arm +
                    " minus the static arm (the tests of section 3).\n\n"
                    "| arm | n | length ratio, levels 1-5 | pass@1, levels 1-5 | length ratio: "
                    "difference [95% CI], verdict | pass@1: difference [95% CI], verdict |\n"
                    "|---|---|---|---|---|---|\n";
  for (const fair_arm_summary* a : measured_arms(r)) {
    const bool is_static = a->spec.name.rfind("lead_static_", 0) == 0;
    if (!is_static && a->spec.name != fair_reference_arm) continue;
    const std::size_t seeds = a->readout_seeds.size();
    out += "| " + md_cell(fair_arm_label(a->spec)) + " | " + std::to_string(seeds) + " | " +
           summary_cell(a->score_summaries.at("length_ratio_levels_1_5"), 2, seeds) + " | " +
           summary_cell(a->score_summaries.at("pass_at_1_levels_1_5"), 3, seeds);
    for (const char* key : {"length_ratio_levels_1_5", "pass_at_1_levels_1_5"}) {
      const fair_paired_test* t = find_test(r.reference_tests, fair_arm_label(a->spec), key);
      out += " | " + (t ? difference_cell(*t) + ", " + t->verdict : std::string("-"));
    }
    out += " |\n";
  }
  return out + "\n";
}

std::string md_charts(const std::vector<fair_chart_note>& charts) {
  std::string out = "## Charts\n\n";
  for (const fair_chart_note& c : charts) {
    out += c.written ? "- [plots/" + c.file + "](plots/" + c.file + "): " + c.detail + "\n"
                     : "- plots/" + c.file + ": not drawn: " + c.detail + "\n";
  }
  return out + "\n";
}

std::string md_notes(const fair_report& r) {
  if (r.notes.empty()) return "";
  std::string out = "## Notes\n\n";
  for (const std::string& n : r.notes) out += "- " + md_cell(n) + "\n";
  return out;
}

}  // namespace

std::string fair_report_markdown(const fair_report& report,
                                 const std::vector<fair_chart_note>& charts) {
  return md_header(report) + md_runs(report) + md_levels(report) + md_aes(report) +
         md_paired(report) + md_psi(report) + md_charts(charts) + md_notes(report);
}

// ---- summary.json ----

namespace {

using ordered = nlohmann::ordered_json;

ordered number_or_null(double v) {
  return std::isfinite(v) ? ordered(v) : ordered(nullptr);
}

ordered summary_json(const value_summary& s) {
  return {{"mean", number_or_null(s.mean)}, {"sd", number_or_null(s.sd)}, {"n", s.n}};
}

ordered levels_json(const fair_arm_summary& a) {
  ordered levels = ordered::array();
  for (int d = 1; d <= fair_level_count; ++d) {
    ordered l = {{"level", d}};
    for (const fair_level_metric& m : fair_level_metrics()) {
      l[m.key] = summary_json(a.levels.at(m.key)[static_cast<std::size_t>(d - 1)]);
    }
    levels.push_back(std::move(l));
  }
  return levels;
}

ordered scores_json(const fair_arm_summary& a) {
  ordered scores = ordered::object();
  for (const fair_score_spec& s : fair_scores()) {
    const auto it = a.scores.find(s.key);
    if (a.score_summaries.at(s.key).n == 0) continue;
    ordered o = summary_json(a.score_summaries.at(s.key));
    o["per_seed"] = ordered::object();
    if (it != a.scores.end()) {
      for (const auto& [seed, v] : it->second) o["per_seed"][std::to_string(seed)] = v;
    }
    scores[s.key] = std::move(o);
  }
  return scores;
}

ordered arm_json(const fair_arm_summary& a) {
  return {{"arm", a.spec.name},
          {"label", fair_arm_label(a.spec)},
          {"exploratory", a.spec.exploratory},
          {"curriculum", a.spec.curriculum},
          {"readout_seeds", a.readout_seeds},
          {"log_seeds", a.log_seeds},
          {"levels", levels_json(a)},
          {"scores", scores_json(a)}};
}

ordered tests_json(const std::string& reference, const std::vector<fair_paired_test>& tests) {
  ordered list = ordered::array();
  for (const fair_paired_test& t : tests) {
    ordered o = {{"other", t.other},
                 {"readout", t.readout},
                 {"pairs", t.pairs},
                 {"mean_difference", t.mean_difference ? ordered(*t.mean_difference) : nullptr},
                 {"ci_low", t.interval ? ordered(t.interval->lo) : nullptr},
                 {"ci_high", t.interval ? ordered(t.interval->hi) : nullptr},
                 {"verdict", t.verdict}};
    list.push_back(std::move(o));
  }
  return {{"reference", reference}, {"comparisons", comparisons(tests)}, {"tests", list}};
}

ordered protocol_json(const fair_protocol& p) {
  return {{"problems_per_level", p.problems_per_level},
          {"samples_per_problem", p.samples_per_problem},
          {"temperature", p.temperature},
          {"top_p", p.top_p},
          {"problem_seed", p.problem_seed},
          {"sample_seed", p.sample_seed},
          {"max_digits", p.max_digits ? ordered(*p.max_digits) : nullptr}};
}

}  // namespace

std::string fair_report_json(const fair_report& report,
                             const std::vector<fair_chart_note>& charts) {
  ordered arms = ordered::array();
  for (const fair_arm_summary& a : report.arms) arms.push_back(arm_json(a));
  ordered chart_list = ordered::array();
  for (const fair_chart_note& c : charts) {
    chart_list.push_back(
        {{"file", "plots/" + c.file}, {"written", c.written}, {"detail", c.detail}});
  }
  const ordered out = {
      {"format", "leadrl-fair-report"},
      {"version", 1},
      {"dir", report.dir},
      {"base_readout", report.base_source},
      {"protocol", protocol_json(report.protocol)},
      {"bootstrap",
       {{"resamples", report.options.resamples},
        {"seed", report.options.seed},
        {"confidence", 0.95},
        {"registered_pairs", report.options.registered_pairs}}},
      {"base", arm_json(report.base)},
      {"arms", arms},
      {"paired_tests", tests_json(fair_reference_arm, report.reference_tests)},
      {"curriculum_tests", tests_json(fair_curriculum_arm, report.curriculum_tests)},
      {"charts", chart_list},
      {"notes", report.notes}};
  return out.dump(2) + "\n";
}

}  // namespace leadrl::eval
