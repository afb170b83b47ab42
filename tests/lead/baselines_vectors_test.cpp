// Golden test: every case of spec/vectors/baselines_vectors.json (or the file named by
// $LEADRL_BASELINE_VECTORS) against lead/baselines, lead/baseline_hapo and
// lead/eval_metrics, at the file's double tolerance. Every expected field of every case
// is checked; a case or field this test does not know is a failure, not a skip.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lead/baseline_hapo.hpp"
#include "lead/baselines.hpp"
#include "lead/eval_metrics.hpp"
#include "tests/support/shared_data.hpp"

namespace leadrl::lead {
namespace {

using nlohmann::json;

struct tolerance {
  double abs = 0.0;
  double rel = 0.0;
};

/// uids are strings in the file; prompt ids are int64 numbered by first appearance.
class uid_map {
 public:
  std::vector<prompt_id> map(const json& uids) {
    std::vector<prompt_id> out;
    for (const auto& u : uids) {
      auto [it, inserted] = ids_.try_emplace(u.get<std::string>(), next_);
      if (inserted) ++next_;
      out.push_back(it->second);
    }
    return out;
  }
  prompt_id at(const std::string& uid) const { return ids_.at(uid); }

 private:
  std::map<std::string, prompt_id> ids_;
  prompt_id next_ = 0;
};

std::vector<double> doubles(const json& j) {
  std::vector<double> out;
  for (const auto& v : j) out.push_back(v.get<double>());
  return out;
}

std::vector<bool> bools(const json& j) {
  std::vector<bool> out;
  for (const auto& v : j) out.push_back(v.get<bool>());
  return out;
}

/// Compares computed values with one case's `expected` object and remembers which
/// fields were checked, so that an unchecked expected field fails the test.
class case_checker {
 public:
  case_checker(std::string name, const json& expected, tolerance tol)
      : name_(std::move(name)), expected_(expected), tol_(tol) {}

  void scalar(const std::string& field, const std::string& where, double got, double exp) {
    if (!(std::abs(got - exp) <= tol_.abs + tol_.rel * std::abs(exp))) {
      std::ostringstream msg;
      msg.precision(15);
      msg << "case " << name_ << ", field " << field << where << ": got " << got << ", expected "
          << exp;
      ADD_FAILURE() << msg.str();
    }
  }

  void values(const std::string& field, const std::vector<double>& got) {
    checked_.insert(field);
    ASSERT_TRUE(expected_.contains(field)) << "case " << name_ << ": no expected field " << field;
    const std::vector<double> exp = doubles(expected_.at(field));
    ASSERT_EQ(got.size(), exp.size()) << "case " << name_ << ", field " << field << ": size";
    for (std::size_t i = 0; i < exp.size(); ++i) {
      scalar(field, "[" + std::to_string(i) + "]", got[i], exp[i]);
    }
  }

  void mark(const std::string& field) { checked_.insert(field); }
  const json& expected(const std::string& field) const { return expected_.at(field); }
  const std::string& name() const { return name_; }

  ~case_checker() {
    for (const auto& [key, value] : expected_.items()) {
      if (checked_.count(key) == 0) {
        ADD_FAILURE() << "case " << name_ << ": expected field " << key << " was not checked";
      }
    }
  }

 private:
  std::string name_;
  const json& expected_;
  tolerance tol_;
  std::set<std::string> checked_;
};

class BaselineVectors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = test::env_or("LEADRL_BASELINE_VECTORS",
                         test::shared_path("spec/vectors/baselines_vectors.json"));
    file_ = test::read_json(path_);
  }
  static std::string path_;
  static json file_;

  tolerance tol() const {
    const json& t = file_.at("tolerances").at("double_port");
    return {t.at("abs").get<double>(), t.at("rel").get<double>()};
  }
};
std::string BaselineVectors::path_;
json BaselineVectors::file_;

// A case whose inputs number their groups by uid: its checker, its inputs, the uids'
// numbering and the groups.
struct grouped_case {
  grouped_case(const json& c, tolerance tol)
      : check(c.at("name"), c.at("expected"), tol),
        in(c.at("inputs")),
        g(index_groups(uids.map(in.at("uids")))) {}
  case_checker check;
  const json& in;
  uid_map uids;
  group_index g;
};

template <class T>
T ok_or_fail(result<T> r, const std::string& name) {
  if (!r.ok()) {
    ADD_FAILURE() << "case " << name << ": unexpected error: " << r.error().message();
    return T{};
  }
  return std::move(r).value();
}

void run_grpo(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  const json& cfg = c.at("config");
  const auto rewards = doubles(in.at("rewards"));
  const auto adv = cfg.at("scale_by_std").get<bool>()
                       ? grpo_advantages(rewards, g, cfg.at("eps").get<double>())
                       : grpo_no_std_advantages(rewards, g);
  check.values("advantages", ok_or_fail(adv, check.name()));
}

void run_arora(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  const json& cfg = c.at("config");
  ASSERT_EQ(cfg.at("advantage"), "rloo");
  ASSERT_EQ(cfg.at("whitening"), "openrlhf_population");
  ASSERT_EQ(cfg.at("kl_coef_in_reward").get<double>(), 0.0);
  arora_zanette_config config;
  config.alpha = cfg.at("alpha");
  config.std_epsilon = cfg.at("std_eps");
  config.check_eos = cfg.at("check_eos");
  const auto out = ok_or_fail(arora_zanette(doubles(in.at("correct")), doubles(in.at("lengths")),
                                            bools(in.at("truncated")), g, config),
                              check.name());
  check.values("rewards", out.rewards);
  check.values("rloo_advantages", out.rloo_advantages);
  check.values("whitened_advantages", out.advantages);
  check.mark("group_stats");
  const json& stats = check.expected("group_stats");
  ASSERT_EQ(stats.size(), g.num_groups());
  for (const auto& [uid, s] : stats.items()) {
    const correct_length_stats& got = out.group_stats[static_cast<std::size_t>(uids.at(uid))];
    const std::string where = "." + uid;
    check.scalar("group_stats", where + ".n_correct", static_cast<double>(got.n_correct),
                 s.at("n_correct").get<double>());
    if (s.at("mean_correct_len").is_null()) {
      EXPECT_EQ(got.n_correct, 0u) << "case " << check.name() << where;
      EXPECT_TRUE(s.at("std_correct_len").is_null());
    } else {
      check.scalar("group_stats", where + ".mean_correct_len", got.mean,
                   s.at("mean_correct_len").get<double>());
      check.scalar("group_stats", where + ".std_correct_len", got.std,
                   s.at("std_correct_len").get<double>());
    }
  }
}

void run_threshold(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  const json& cfg = c.at("config");
  threshold_reward_config config;
  config.lam_corr = cfg.at("lam_corr");
  config.lam_len = cfg.at("lam_len");
  config.len = cfg.at("threshold");
  config.mode = ok_or_fail(parse_threshold_mode(cfg.at("mode")), check.name());
  const auto rewards =
      ok_or_fail(threshold_rewards(doubles(in.at("correct")), doubles(in.at("est_len")), config),
                 check.name());
  check.values("rewards", rewards);
  check.values("advantages", ok_or_fail(grpo_advantages(rewards, g), check.name()));
}

void run_gdpo(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  const json& cfg = c.at("config");
  std::vector<gdpo_component> comps;
  const json& names = cfg.at("components");
  for (std::size_t k = 0; k < names.size(); ++k) {
    gdpo_component comp;
    comp.values = doubles(in.at("components").at(k));
    comp.weight = cfg.at("weights").at(k);
    comp.always_used = names.at(k) == "correctness";  // the LEAD repo never skips it
    comps.push_back(std::move(comp));
  }
  const auto out = ok_or_fail(gdpo(comps, doubles(in.at("lengths")), g), check.name());
  check.mark("component_used");
  EXPECT_EQ(out.component_used, bools(check.expected("component_used")))
      << "case " << check.name() << ", field component_used";
  check.values("summed_advantages", out.summed);
  check.values("whitened_advantages", out.advantages);
}

void run_kimi(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  const auto correct = doubles(in.at("correct"));
  const auto len =
      ok_or_fail(kimi_length_rewards(correct, doubles(in.at("lengths")), g), check.name());
  check.values("len_rewards", len);
  if (c.at("expected").contains("total_rewards")) {
    const double w = c.at("config").at("weight");
    std::vector<double> total(len.size());
    for (std::size_t i = 0; i < len.size(); ++i) total[i] = (correct[i] > 0.5) + w * len[i];
    check.values("total_rewards", total);
    check.values("advantages", ok_or_fail(grpo_advantages(total, g), check.name()));
  }
}

void run_l1(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  l1_config config;
  config.alpha = c.at("config").at("alpha");
  config.delta = c.at("config").at("delta");
  const auto correct = doubles(in.at("correct"));
  const auto lengths = doubles(in.at("lengths"));
  const auto n_gold = doubles(in.at("n_gold"));
  const auto exact = ok_or_fail(l1_exact_rewards(correct, lengths, n_gold, config), check.name());
  check.values("exact_rewards", exact);
  check.values("exact_advantages", ok_or_fail(grpo_advantages(exact, g), check.name()));
  config.max_variant = l1_max_variant::paper;
  const auto max_paper = ok_or_fail(l1_max_rewards(correct, lengths, n_gold, config), check.name());
  check.values("max_rewards_paper", max_paper);
  check.values("max_advantages_paper", ok_or_fail(grpo_advantages(max_paper, g), check.name()));
  config.max_variant = l1_max_variant::code_additive;
  check.values("max_rewards_code_additive",
               ok_or_fail(l1_max_rewards(correct, lengths, n_gold, config), check.name()));
}

void run_thinkprune(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  const auto rewards =
      ok_or_fail(thinkprune_rewards(doubles(in.at("correct")), doubles(in.at("lengths")),
                                    bools(in.at("truncated")), c.at("config").at("limit")),
                 check.name());
  check.values("rewards", rewards);
  check.values("advantages", ok_or_fail(grpo_advantages(rewards, g), check.name()));
}

void run_shorterbetter(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  shorterbetter_config config;
  config.alpha = c.at("config").at("alpha");
  config.beta = c.at("config").at("beta");
  const auto out = ok_or_fail(
      shorterbetter_rewards(doubles(in.at("correct")), doubles(in.at("lengths")), g, config),
      check.name());
  check.mark("sol");
  ASSERT_EQ(check.expected("sol").size(), g.num_groups());
  for (const auto& [uid, v] : check.expected("sol").items()) {
    check.scalar("sol", "." + uid, out.sol[static_cast<std::size_t>(uids.at(uid))],
                 v.get<double>());
  }
  check.values("rewards", out.rewards);
  check.values("advantages", ok_or_fail(grpo_advantages(out.rewards, g), check.name()));
}

void run_lcr1(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  lcr1_config config;
  config.len_coef = c.at("config").at("len_coef");
  config.compress_coef = c.at("config").at("compress_coef");
  lcr1_inputs inputs;
  inputs.format_ok = doubles(in.at("format_ok"));
  inputs.accuracy_ok = doubles(in.at("accuracy_ok"));
  inputs.lengths = doubles(in.at("completion_len_after_compression"));
  inputs.think_len_original = doubles(in.at("think_len_original"));
  inputs.answer_prefix_len = doubles(in.at("answer_prefix_len"));
  const auto out = ok_or_fail(lcr1(inputs, g, config), check.name());
  check.values("base", out.base);
  check.values("len_rewards", out.len_rewards);
  check.values("advantages", out.advantages);
  check.values("compress_bonus_at_think_end", out.compress_bonus);
}

void run_hapo(const json& c, tolerance tol) {
  const json& cfg = c.at("config");
  ASSERT_EQ(cfg.at("update"), "after_step");
  hapo_config config;
  config.weight = cfg.at("w");
  config.clip_correct = cfg.at("clip_c");
  config.mode = ok_or_fail(parse_hapo_history_mode(cfg.at("mode")), c.at("name"));
  uid_map uids;  // one numbering across the steps: the history is keyed by prompt id
  hapo_history history;
  ASSERT_FALSE(c.at("steps").empty());
  std::size_t step = 0;
  for (const json& s : c.at("steps")) {
    ++step;
    case_checker check(c.at("name").get<std::string>() + " step " + std::to_string(step),
                       s.at("expected"), tol);
    const json& in = s.at("inputs");
    const group_index g = index_groups(uids.map(in.at("uids")));
    // The carried history must equal the file's history_in before the step.
    const json& h_in = s.at("history_in");
    EXPECT_EQ(history.size(), h_in.size()) << check.name() << ": history_in size";
    for (const auto& [uid, h] : h_in.items()) {
      const auto got = history.lookup(uids.at(uid));
      ASSERT_TRUE(got.has_value()) << check.name() << ": history_in." << uid << " missing";
      check.scalar("history_in", "." + uid, *got, h.get<double>());
    }
    const auto out = ok_or_fail(
        hapo_step(doubles(in.at("correct")), doubles(in.at("lengths")), g, history, config),
        check.name());
    check.values("rewards", out.rewards);
    check.values("advantages", out.advantages);
    check.mark("history_out");
    const json& h_out = check.expected("history_out");
    EXPECT_EQ(history.size(), h_out.size()) << check.name() << ": history_out size";
    for (const auto& [uid, h] : h_out.items()) {
      const auto got = history.lookup(uids.at(uid));
      ASSERT_TRUE(got.has_value()) << check.name() << ": history_out." << uid << " missing";
      check.scalar("history_out", "." + uid, *got, h.get<double>());
    }
  }
}

void run_dapo(const json& c, tolerance tol) {
  case_checker check(c.at("name"), c.at("expected"), tol);
  dapo_overlong_config config;
  config.l_max = c.at("config").at("l_max");
  config.l_cache = c.at("config").at("l_cache");
  config.factor = c.at("config").at("factor");
  check.values("penalties",
               ok_or_fail(dapo_overlong_penalties(doubles(c.at("inputs").at("lengths")), config),
                          check.name()));
}

void run_o1_pruner(const json& c, tolerance tol) {
  case_checker check(c.at("name"), c.at("expected"), tol);
  const json& in = c.at("inputs");
  check.values(
      "rewards",
      ok_or_fail(o1_pruner_rewards(doubles(in.at("correct")), doubles(in.at("lengths")),
                                   doubles(in.at("ref_mean_len")), doubles(in.at("ref_mean_acc")),
                                   c.at("config").at("lambda")),
                 check.name()));
}

void run_laser(const json& c, tolerance tol) {
  grouped_case k(c, tol);
  auto& [check, in, uids, g] = k;
  const json& cfg = c.at("config");
  laser_config config;
  config.alpha = cfg.at("alpha");
  config.target = cfg.at("L_T");
  config.target_easy = cfg.at("L_A").at("easy");
  config.target_medium = cfg.at("L_A").at("medium");
  config.target_hard = cfg.at("L_A").at("hard");
  config.r_correct = cfg.at("r_correct");
  config.r_wrong = cfg.at("r_wrong");
  const auto correct = doubles(in.at("correct"));
  const auto lengths = doubles(in.at("lengths"));
  const auto laser = ok_or_fail(
      laser_rewards(correct, lengths, {}, g, laser_variant::laser, config), check.name());
  check.mark("buckets");
  ASSERT_EQ(check.expected("buckets").size(), g.num_groups());
  ASSERT_EQ(laser.buckets.size(), g.num_groups());
  for (const auto& [uid, b] : check.expected("buckets").items()) {
    EXPECT_EQ(to_string(laser.buckets[static_cast<std::size_t>(uids.at(uid))]),
              b.get<std::string>())
        << "case " << check.name() << ", field buckets." << uid;
  }
  check.values("laser_rewards", laser.rewards);
  check.values("laser_advantages", ok_or_fail(grpo_advantages(laser.rewards, g), check.name()));
  check.values("laser_d_rewards",
               ok_or_fail(laser_rewards(correct, lengths, {}, g, laser_variant::laser_d, config),
                          check.name())
                   .rewards);
  check.values("laser_de_rewards",
               ok_or_fail(laser_rewards(correct, lengths, {}, g, laser_variant::laser_de, config),
                          check.name())
                   .rewards);
}

void run_aes(const json& c, tolerance tol) {
  const json& cfg = c.at("config");
  const aes_constants k{cfg.at("a"), cfg.at("b"), cfg.at("g")};
  const json empty = json::object();
  case_checker check(c.at("name"), empty, tol);
  std::vector<aes_input> datasets;
  double sum_formula = 0.0;
  double sum_plus_abs = 0.0;
  ASSERT_FALSE(c.at("rows").empty());
  for (const json& r : c.at("rows")) {
    const std::string label = r.at("label");
    const double acc = r.at("acc"), len = r.at("len");
    const double acc_base = r.at("acc_base"), len_base = r.at("len_base");
    datasets.push_back({label, acc, len, acc_base, len_base});
    const double f = r.at("aes_formula"), p = r.at("aes_plus_abs_variant");
    sum_formula += f;
    sum_plus_abs += p;
    check.scalar("aes_formula", "." + label,
                 ok_or_fail(aes(acc, len, acc_base, len_base, k, aes_variant::formula), label), f);
    check.scalar("aes_plus_abs_variant", "." + label,
                 ok_or_fail(aes(acc, len, acc_base, len_base, k, aes_variant::plus_abs), label), p);
    // Fractions and percentages give the same score: only relative changes enter.
    check.scalar("aes_formula", "." + label + " (fractions)",
                 ok_or_fail(aes(acc / 100, len, acc_base / 100, len_base, k), label), f);
  }
  const auto report = ok_or_fail(aes_over_datasets(datasets, k), c.at("name"));
  ASSERT_EQ(report.datasets.size(), datasets.size());
  const double n = static_cast<double>(datasets.size());
  check.scalar("aes_formula", " (mean over rows)", report.mean_formula, sum_formula / n);
  check.scalar("aes_plus_abs_variant", " (mean over rows)", report.mean_plus_abs, sum_plus_abs / n);
}

TEST_F(BaselineVectors, EveryCasePassesAtDoubleTolerance) {
  const std::map<std::string, void (*)(const json&, tolerance)> runners{
      {"grpo", run_grpo},
      {"arora_zanette", run_arora},
      {"lead_repo_grpo_threshold", run_threshold},
      {"gdpo", run_gdpo},
      {"kimi_k15", run_kimi},
      {"l1_lcpo", run_l1},
      {"thinkprune", run_thinkprune},
      {"shorterbetter", run_shorterbetter},
      {"lc_r1", run_lcr1},
      {"hapo", run_hapo},
      {"dapo_overlong", run_dapo},
      {"o1_pruner", run_o1_pruner},
      {"laser", run_laser},
      {"aes", run_aes},
  };
  ASSERT_FALSE(file_.at("cases").empty()) << path_;
  for (const json& c : file_.at("cases")) {
    const std::string estimator = c.at("estimator");
    SCOPED_TRACE("case " + c.at("name").get<std::string>() + " (" + path_ + ")");
    const auto it = runners.find(estimator);
    if (it == runners.end()) {
      ADD_FAILURE() << "case " << c.at("name") << ": unknown estimator '" << estimator << "'";
      continue;
    }
    it->second(c, tol());
  }
}

// Behaviour the vectors do not pin down: edge rules and error values.
TEST(BaselineEdges, AroraCheckEosDropsTruncatedCorrectRows) {
  const group_index g = index_groups({1, 1, 1});
  arora_zanette_config config;
  const auto with = arora_zanette({1, 1, 0}, {100, 300, 200}, {false, true, false}, g, config);
  ASSERT_TRUE(with.ok()) << with.error().message();
  EXPECT_EQ(with->rewards[1], 0.0);  // correct but cut: reward 0
  EXPECT_EQ(with->group_stats[0].n_correct, 1u);
  EXPECT_NEAR(with->rewards[0], 1.0 - 0.1 / 2, 1e-12);  // lone counted row: sigmoid(0)
  config.check_eos = false;
  const auto without = arora_zanette({1, 1, 0}, {100, 300, 200}, {false, true, false}, g, config);
  ASSERT_TRUE(without.ok());
  EXPECT_GT(without->rewards[1], 0.0);
  EXPECT_EQ(without->group_stats[0].n_correct, 2u);
}

TEST(BaselineEdges, HapoMeanModeAndSnapshotColumns) {
  const group_index g = index_groups({4, 4, 4});
  hapo_config config;
  config.mode = hapo_history_mode::mean;
  hapo_history h;
  ASSERT_TRUE(hapo_update(h, {1, 1, 0}, {100, 300, 50}, g, config).ok());
  EXPECT_EQ(h.lookup(4).value(), 200.0);
  ASSERT_TRUE(hapo_update(h, {1, 0, 0}, {500, 1, 1}, g, config).ok());
  EXPECT_NEAR(h.lookup(4).value(), 300.0, 1e-12);  // (100 + 300 + 500) / 3
  const auto cols = h.to_columns();
  EXPECT_EQ(cols.n_correct, (std::vector<std::int64_t>{3}));
  auto bad = cols;
  bad.h.push_back(10);
  EXPECT_FALSE(hapo_history::from_columns(bad).ok());
  bad = cols;
  bad.prompt_ids.push_back(4);
  bad.h.push_back(10);
  bad.n_correct.push_back(1);
  const auto dup = hapo_history::from_columns(bad);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message().find("duplicate"), std::string::npos);
  // A failed step leaves the history unchanged.
  EXPECT_FALSE(hapo_step({1, 1}, {100, 0}, index_groups({4, 4}), h, config).ok());
  EXPECT_NEAR(h.lookup(4).value(), 300.0, 1e-12);
  EXPECT_FALSE(parse_hapo_history_mode("median").ok());
}

TEST(BaselineEdges, LcR1CompressionAndNotFoundPrefix) {
  EXPECT_EQ(lcr1_compressed_length(3000, 300, 1200, true), 1500.0);
  EXPECT_EQ(lcr1_compressed_length(3000, 300, 1200, false), 3300.0);
  EXPECT_EQ(lcr1_compressed_length(3000, 300, 4000, true), 3300.0);  // beyond the thinking
  lcr1_inputs in{{1, 1}, {1, 0}, {1000, 2000}, {900, 1900}, {4000, 0}};
  const auto out = lcr1(in, index_groups({1, 1}), {});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->compress_bonus[0], -1.0);  // prefix longer than the thinking: not found
  in.lengths.pop_back();
  const auto bad = lcr1(in, index_groups({1, 1}), {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("lengths"), std::string::npos);
}

TEST(BaselineEdges, LaserBucketsAndAdaptiveTarget) {
  // k = 8: the paper's minimum correct counts 6 (easy), 3 (medium), 1 (hard).
  const group_index g = index_groups({1, 1, 1, 1, 1, 1, 1, 1});
  auto bucket = [&](int correct) {
    std::vector<double> c(8, 0.0);
    for (int i = 0; i < correct; ++i) c[static_cast<std::size_t>(i)] = 1.0;
    return laser_buckets(c, g)[0];
  };
  EXPECT_EQ(bucket(6), laser_bucket::easy);
  EXPECT_EQ(bucket(5), laser_bucket::medium);
  EXPECT_EQ(bucket(3), laser_bucket::medium);
  EXPECT_EQ(bucket(2), laser_bucket::hard);
  EXPECT_EQ(bucket(0), laser_bucket::hard);
  // Invalid format: r_invalid and no bonus.
  const auto r =
      laser_rewards({1, 0}, {10, 10}, {0, 1}, index_groups({1, 1}), laser_variant::laser, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rewards, (std::vector<double>{-1.0, -0.5}));
  // Adaptive target: 4 lengths, min_correct 2 needs half of them covered.
  EXPECT_EQ(laser_adaptive_target({100, 900, 1500, 3000}, 2, 500, 4000, 500).value(), 1000.0);
  EXPECT_EQ(laser_adaptive_target({9000}, 1, 500, 4000, 500).value(), 4000.0);
  EXPECT_FALSE(laser_adaptive_target({}, 1, 500, 4000, 500).ok());
  EXPECT_FALSE(laser_adaptive_target({100}, 1, 500, 4000, 0).ok());
}

TEST(BaselineEdges, BadInputsAreErrorValues) {
  const group_index g = index_groups({1, 1});
  EXPECT_FALSE(grpo_advantages({1.0}, g).ok());
  EXPECT_FALSE(grpo_advantages({1.0, std::nan("")}, g).ok());
  EXPECT_FALSE(grpo_advantages({}, index_groups({})).ok());
  EXPECT_FALSE(grpo_advantages({1, 0}, g, 0.0).ok());
  const auto neg = kimi_length_rewards({1, 0}, {100, -3}, g);
  ASSERT_FALSE(neg.ok());
  EXPECT_NE(neg.error().message().find("lengths[1]"), std::string::npos) << neg.error().message();
  EXPECT_FALSE(dapo_overlong_penalties({100}, {1000, 2000, 1}).ok());  // l_cache > l_max
  EXPECT_FALSE(o1_pruner_rewards({1}, {100}, {0}, {0.5}).ok());
  EXPECT_FALSE(o1_pruner_rewards({1}, {100}, {100}, {1.5}).ok());
  EXPECT_FALSE(thinkprune_rewards({1}, {100}, {}, 0).ok());
  EXPECT_FALSE(l1_exact_rewards({1, 0}, {100, 200}, {1000}, {}).ok());
  EXPECT_FALSE(parse_threshold_mode("soft").ok());
  EXPECT_FALSE(parse_l1_max_variant("both").ok());
  EXPECT_FALSE(gdpo({}, {100, 100}, g).ok());
  EXPECT_FALSE(arora_zanette({1, 0}, {100, 200}, {true}, g, {}).ok());  // truncated size
  // L1-Max code variants: the multiplier form equals the paper form with alpha/2.
  l1_config c;
  c.max_variant = l1_max_variant::code_multiplier;
  const auto mult = l1_max_rewards({1, 1, 0}, {500, 3000, 500}, {1000, 1000, 1000}, c);
  ASSERT_TRUE(mult.ok());
  EXPECT_NEAR((*mult)[0], 0.5 + 0.0003 * 500 / 2, 1e-12);
  EXPECT_NEAR((*mult)[1], 0.5 - 0.0003 * 2000 / 2, 1e-12);
  EXPECT_EQ((*mult)[2], 0.0);
}

}  // namespace
}  // namespace leadrl::lead
