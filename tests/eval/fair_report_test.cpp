#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/fair_report.hpp"
#include "tests/eval/fair_samples.hpp"

namespace leadrl::eval {
namespace {

TEST(FairReport, SummarizesValuesWithTheSampleSd) {
  const value_summary s = summarize_values({1, 2, 3, 4});
  EXPECT_EQ(s.n, 4u);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.sd, std::sqrt(5.0 / 3.0), 1e-12);  // sum of squares 5 over n - 1 = 3
  const value_summary one = summarize_values({0.7});
  EXPECT_DOUBLE_EQ(one.mean, 0.7);
  EXPECT_TRUE(std::isnan(one.sd));
  EXPECT_EQ(summarize_values({}).n, 0u);
}

TEST(FairReport, BootstrapOfConstantDifferencesIsExactlyThatConstant) {
  // 0.1 is not a binary fraction: a plain sum / n of eight of them is not 0.1.
  const std::vector<double> d(8, 0.1);
  auto ci = bootstrap_mean_interval(d, 1000, 7);
  ASSERT_TRUE(ci.ok()) << ci.error().message();
  EXPECT_EQ(ci->mean, 0.1);
  EXPECT_EQ(ci->lo, 0.1);
  EXPECT_EQ(ci->hi, 0.1);
}

TEST(FairReport, BootstrapIntervalOfOneToFourHoldsTheMeanInsideTheRange) {
  auto ci = bootstrap_mean_interval({1, 2, 3, 4}, 10000, 1);
  ASSERT_TRUE(ci.ok()) << ci.error().message();
  EXPECT_DOUBLE_EQ(ci->mean, 2.5);
  EXPECT_LE(ci->lo, 2.5);
  EXPECT_GE(ci->hi, 2.5);
  EXPECT_LT(ci->lo, ci->hi);
  EXPECT_GE(ci->lo, 1.0);
  EXPECT_LE(ci->hi, 4.0);
  // The sd of a resample mean is sqrt(1.25 / 4) ~ 0.56: the 95% interval is about +-1.1,
  // not the whole range and not a point.
  EXPECT_GT(ci->hi - ci->lo, 1.5);
  EXPECT_LT(ci->hi - ci->lo, 2.8);
}

TEST(FairReport, BootstrapIsDeterministicForAFixedSeed) {
  const std::vector<double> d{0.3, -0.1, 0.25, 0.05, 0.4, -0.2, 0.15, 0.1};
  auto a = bootstrap_mean_interval(d, 2000, 42);
  auto b = bootstrap_mean_interval(d, 2000, 42);
  auto c = bootstrap_mean_interval(d, 2000, 43);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->lo, b->lo);
  EXPECT_EQ(a->hi, b->hi);
  EXPECT_TRUE(a->lo != c->lo || a->hi != c->hi) << "another seed draws other resamples";
}

TEST(FairReport, BootstrapRejectsWhatItCannotResample) {
  EXPECT_FALSE(bootstrap_mean_interval({}, 100, 1).ok());
  EXPECT_FALSE(bootstrap_mean_interval({1.0}, 0, 1).ok());
  EXPECT_FALSE(bootstrap_mean_interval({1.0, NAN}, 100, 1).ok());
  EXPECT_FALSE(bootstrap_mean_interval({1.0}, 100, 1, 1.0).ok());
}

TEST(FairReport, PairingDropsUnpairedSeeds) {
  const seed_values lead{{1, 0.9}, {2, 0.8}, {3, 0.7}};
  const seed_values other{{2, 0.5}, {3, 0.6}, {4, 0.1}};
  const std::vector<double> d = paired_differences(lead, other);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_NEAR(d[0], 0.3, 1e-12);  // seed 2
  EXPECT_NEAR(d[1], 0.1, 1e-12);  // seed 3
}

TEST(FairReport, AesComparesEachLevelWithTheBase) {
  const fair_readout base = test::readout({0.5, 0.5, 0.5, 0.5, 0.5}, 40.0, 0.25);
  // Half the tokens at the same accuracy: dLen 0.5, dAcc 0 -> 0.5 in both variants.
  auto same = fair_aes(test::readout({0.5, 0.5, 0.5, 0.5, 0.5}, 20.0, 0.25), base);
  ASSERT_TRUE(same.ok()) << same.error().message();
  EXPECT_NEAR(same->mean_formula, 0.5, 1e-12);
  EXPECT_NEAR(same->mean_plus_abs, 0.5, 1e-12);
  ASSERT_EQ(same->datasets.size(), 5u);
  EXPECT_EQ(same->datasets[4].dataset, "level 5");
  // Accuracy 0.4 (dAcc -0.2): formula 0.5 - 5 * 0.2, plus_abs 0.5 + 3 * 0.2.
  auto worse = fair_aes(test::readout({0.4, 0.4, 0.4, 0.4, 0.4}, 20.0, 0.25), base);
  ASSERT_TRUE(worse.ok());
  EXPECT_NEAR(worse->mean_formula, -0.5, 1e-12);
  EXPECT_NEAR(worse->mean_plus_abs, 1.1, 1e-12);
  // Against another base the same run scores otherwise: the base is used.
  const fair_readout short_base = test::readout({0.5, 0.5, 0.5, 0.5, 0.5}, 20.0, 0.25);
  auto vs_short = fair_aes(test::readout({0.5, 0.5, 0.5, 0.5, 0.5}, 20.0, 0.25), short_base);
  ASSERT_TRUE(vs_short.ok());
  EXPECT_NEAR(vs_short->mean_formula, 0.0, 1e-12);
  // A level the base never solves and the run does: no AES, and the error says where.
  auto unbounded = fair_aes(test::readout({0.5, 0.5, 0.5, 0.5, 0.1}, 20.0, 0.25),
                            test::readout({0.5, 0.5, 0.5, 0.5, 0.0}, 40.0, 0.25));
  ASSERT_FALSE(unbounded.ok());
  EXPECT_NE(unbounded.error().message().find("level 5"), std::string::npos);
}

TEST(FairReport, ScoresAverageTheNamedLevels) {
  const fair_readout r = test::readout({0.9, 0.8, 0.7, 0.6, 0.4}, 30.0, 0.2);
  const auto s = score_readout(r, nullptr);
  EXPECT_NEAR(s.at("pass_at_1_levels_4_5"), 0.5, 1e-12);
  EXPECT_NEAR(s.at("pass_at_1_levels_1_5"), 0.68, 1e-12);
  EXPECT_NEAR(s.at("length_ratio_levels_1_2"), 3.0, 1e-12);
  EXPECT_NEAR(s.at("skip_rate_levels_4_5"), 0.2, 1e-12);
  EXPECT_EQ(s.count("aes_formula"), 0u);  // no base
}

// lead_max_sym seeds 1-3 (pass@1 0.6, 20 tokens); grpo seeds 1, 2, 4 (0.5, 40 tokens);
// lead_table seeds 1-2 (0.55, 30 tokens); the curriculum arms seeds 1-3; base 0.5, 40 tokens.
fair_inputs sample_experiment() {
  fair_inputs in = test::empty_experiment();
  for (int s : {1, 2, 3})
    test::arm_of(in, "lead_max_sym").runs.push_back(test::run_with(s, 0.6, 20, 0.1));
  for (int s : {1, 2, 4}) test::arm_of(in, "grpo").runs.push_back(test::run_with(s, 0.5, 40, 0.3));
  for (int s : {1, 2})
    test::arm_of(in, "lead_table").runs.push_back(test::run_with(s, 0.55, 30, 0.2));
  for (int s : {1, 2, 3}) {
    test::arm_of(in, "curriculum_lead").runs.push_back(test::run_with(s, 0.5 + 0.01 * s, 30, 0.1));
    test::arm_of(in, "curriculum_static_0.5").runs.push_back(test::run_with(s, 0.5, 30, 0.1));
  }
  return in;
}

const fair_paired_test* find(const std::vector<fair_paired_test>& tests, const std::string& other,
                             const std::string& readout) {
  for (const auto& t : tests) {
    if (t.other == other && t.readout == readout) return &t;
  }
  return nullptr;
}

TEST(FairReport, PairsOnlySeedsPresentInBothArms) {
  const fair_report r = build_fair_report(sample_experiment(), {1000, 1});
  const fair_paired_test* t = find(r.reference_tests, "grpo", "pass_at_1_levels_4_5");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->pairs, 2u);  // seeds 1 and 2
  ASSERT_TRUE(t->interval.has_value());
  EXPECT_NEAR(*t->mean_difference, 0.1, 1e-12);
  EXPECT_EQ(t->verdict, "interim: excludes 0 (2 of 8 pairs)");
  const fair_paired_test* len = find(r.reference_tests, "grpo", "length_ratio_levels_1_5");
  EXPECT_NEAR(*len->mean_difference, -2.0, 1e-12);  // 2.0 - 4.0
  // Only arms with a readout are compared; the curriculum arms only with each other.
  EXPECT_EQ(find(r.reference_tests, "kimi", "pass_at_1_levels_4_5"), nullptr);
  EXPECT_EQ(find(r.reference_tests, "curriculum_lead", "pass_at_1_levels_4_5"), nullptr);
  EXPECT_NE(find(r.reference_tests, "lead_table (exploratory)", "aes_formula"), nullptr);
  EXPECT_EQ(r.reference_tests.size(), 12u);  // 2 arms x 6 readouts
  EXPECT_EQ(comparisons(r.reference_tests), 12u);
  ASSERT_EQ(r.curriculum_tests.size(), 7u);  // 6 readouts and the recovery
  EXPECT_EQ(r.curriculum_tests[0].pairs, 3u);
  EXPECT_NEAR(*r.curriculum_tests[0].mean_difference, 0.02, 1e-12);
  // No training log here: the recovery readout has no pair.
  const fair_paired_test* recovery =
      find(r.curriculum_tests, "curriculum_static_0.5", "recovery_accuracy_levels_4_5");
  ASSERT_NE(recovery, nullptr);
  EXPECT_EQ(recovery->pairs, 0u);
  EXPECT_EQ(recovery->verdict, "too few pairs");
}

// A curriculum log: levels 1-2 only up to the switch, then levels 4 and 5 at `acc4`/`acc5`
// with 24 and 8 rollouts a step, through step 200.
io::run_log curriculum_log(double acc4, double acc5) {
  std::string text;
  for (int s = 1; s <= 200; ++s) {
    text += "{\"step\":" + std::to_string(s) + ",\"level1/accuracy\":1,\"level1/rollouts\":64";
    if (s > fair_curriculum_switch_step) {
      text += ",\"level4/accuracy\":" + std::to_string(acc4) + ",\"level4/rollouts\":24" +
              ",\"level5/accuracy\":" + std::to_string(acc5) + ",\"level5/rollouts\":8";
    }
    text += "}\n";
  }
  auto log = io::parse_run_log(text);
  EXPECT_TRUE(log.ok());
  return *log;
}

TEST(FairReport, RecoveryPoolsTheStepsRightAfterTheSwitch) {
  // Steps 151-180 count; the hard-level rollouts before and after them do not.
  auto log = io::parse_run_log(
      "{\"step\":150,\"level4/accuracy\":0.0,\"level4/rollouts\":100}\n"
      "{\"step\":151,\"level4/accuracy\":0.5,\"level4/rollouts\":30,"
      "\"level5/accuracy\":0.25,\"level5/rollouts\":10}\n"
      "{\"step\":170,\"level1/accuracy\":1.0,\"level1/rollouts\":50}\n"
      "{\"step\":180,\"level5/accuracy\":1.0,\"level5/rollouts\":10}\n"
      "{\"step\":181,\"level4/accuracy\":0.0,\"level4/rollouts\":100}\n");
  ASSERT_TRUE(log.ok()) << log.error().message();
  const auto recovery = fair_recovery_accuracy(*log);
  ASSERT_TRUE(recovery.has_value());
  EXPECT_DOUBLE_EQ(*recovery, (0.5 * 30 + 0.25 * 10 + 1.0 * 10) / 50);
  // No level 4-5 rollout inside the window: nothing to report.
  auto early = io::parse_run_log(
      "{\"step\":150,\"level4/accuracy\":0.5,\"level4/rollouts\":10}\n"
      "{\"step\":160,\"level4/accuracy\":0.5}\n");
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(fair_recovery_accuracy(*early).has_value());
}

TEST(FairReport, RecoveryIsTestedBetweenTheCurriculumArmsOnly) {
  fair_inputs in = sample_experiment();
  for (int s : {1, 2, 3}) {
    test::arm_of(in, "curriculum_lead").runs[static_cast<std::size_t>(s - 1)].log =
        curriculum_log(0.5 + 0.1 * s, 0.5);
    test::arm_of(in, "curriculum_static_0.5").runs[static_cast<std::size_t>(s - 1)].log =
        curriculum_log(0.5, 0.5);
  }
  // A log on a non-curriculum arm gives it no recovery figure.
  test::arm_of(in, "lead_max_sym").runs[0].log = curriculum_log(0.9, 0.9);
  const fair_report r = build_fair_report(in, {1000, 1});
  const fair_paired_test* t =
      find(r.curriculum_tests, "curriculum_static_0.5", "recovery_accuracy_levels_4_5");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->pairs, 3u);
  // Level 4 carries 24 of the 32 rollouts: seed s differs by 0.1 s x 24/32.
  EXPECT_NEAR(*t->mean_difference, 0.2 * 0.75, 1e-9);
  for (const auto& test : r.reference_tests)
    EXPECT_NE(test.readout, "recovery_accuracy_levels_4_5") << test.other;
  const std::string md = fair_report_markdown(r, {});
  // The table ends with a blank line, so that the footer is not read as one of its rows.
  EXPECT_NE(md.find("(exploratory) | +0.150 [+0.075, +0.225] | 3 | interim: excludes 0 (3 of 8 "
                    "pairs) |\n\n7 comparisons with an interval"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("steps 151-180, the first after the switch to levels 1-5, mean ± sd over "
                    "seeds: curriculum_lead 0.650 ± 0.075 (n=3); curriculum_static_0.5 0.500 ± "
                    "0.000 (n=3)."),
            std::string::npos)
      << md;
  const auto j = nlohmann::json::parse(fair_report_json(r, {}));
  for (const auto& arm : j["arms"]) {
    EXPECT_EQ(arm["scores"].contains("recovery_accuracy_levels_4_5"), arm["curriculum"].get<bool>())
        << arm["arm"];
  }
}

TEST(FairReport, VerdictsFollowTheInterval) {
  fair_arm_summary a, b;
  a.spec.name = "a";
  b.spec.name = "b";
  a.scores["x"] = {{1, 1.0}, {2, 0.0}, {3, 1.0}, {4, 0.0}};
  b.scores["x"] = {{1, 0.5}, {2, 0.5}, {3, 0.5}, {4, 0.5}};
  EXPECT_EQ(paired_test(a, b, "x", 1000, 1, 4).verdict, "not distinguishable");
  EXPECT_EQ(paired_test(a, b, "x", 1000, 1).verdict, "interim: includes 0 (4 of 8 pairs)");
  b.scores["x"] = {{1, 0.0}, {2, -0.5}, {3, 0.1}, {4, -0.4}};
  EXPECT_EQ(paired_test(a, b, "x", 1000, 1, 4).verdict, "supported");
  EXPECT_EQ(paired_test(a, b, "x", 1000, 1, 5).verdict, "interim: excludes 0 (4 of 5 pairs)");
  b.scores["x"] = {{4, 0.0}};
  const fair_paired_test one = paired_test(a, b, "x", 1000, 1);
  EXPECT_EQ(one.verdict, "too few pairs");
  EXPECT_EQ(one.pairs, 1u);
  EXPECT_FALSE(one.interval.has_value());
}

TEST(FairReport, MarkdownHasTheBaseFirstAndLabelsTheExploratoryArm) {
  const fair_report r = build_fair_report(sample_experiment(), {1000, 1});
  const std::string md = fair_report_markdown(r, {{"psi.svg", false, "no log"}});
  const auto pass_table = md.find("### pass@1");
  ASSERT_NE(pass_table, std::string::npos) << md;
  const auto base_row = md.find("| base (SFT) | - | 0.500 | 0.500 |", pass_table);
  const auto grpo_row = md.find("| grpo | 3 | 0.500 ± 0.000 |", pass_table);
  EXPECT_NE(base_row, std::string::npos) << md;
  EXPECT_NE(grpo_row, std::string::npos) << md;
  EXPECT_LT(base_row, grpo_row);
  EXPECT_NE(md.find("| lead_table (exploratory) | 2 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| grpo | +0.100 [+0.100, +0.100] | 2 | interim: excludes 0 (2 of 8 pairs) |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("A verdict needs the 8 pairs of the design"), std::string::npos) << md;
  EXPECT_NE(md.find("12 comparisons with an interval"), std::string::npos) << md;
  EXPECT_NE(md.find("| pass@1, levels 4-5 | +0.020 ["), std::string::npos) << md;
  EXPECT_NE(md.find("- plots/psi.svg: not drawn: no log"), std::string::npos) << md;
  EXPECT_NE(md.find("No run found for: arora_0.1,"), std::string::npos) << md;
  // AES of lead_max_sym: half the base's tokens at a higher accuracy (+20%): 0.5 + 3 * 0.2.
  EXPECT_NE(md.find("| lead_max_sym | 3 | 1.100 ± 0.000 | 1.100 ± 0.000 |"), std::string::npos)
      << md;
}

TEST(FairReport, ADifferenceBelowTheTablesDigitsIsNotPrintedAsZero) {
  // lead_max_sym 0.003 longer than grpo in both seeds: 2 digits would print +0.00.
  fair_inputs in = test::empty_experiment();
  for (int s : {1, 2}) {
    test::arm_of(in, "lead_max_sym").runs.push_back(test::run_with(s, 0.6, 20.03, 0.1));
    test::arm_of(in, "grpo").runs.push_back(test::run_with(s, 0.6, 20.0, 0.1));
    test::arm_of(in, "kimi").runs.push_back(test::run_with(s, 0.6, 20.03, 0.1));
  }
  const std::string md = fair_report_markdown(build_fair_report(in, {1000, 1}), {});
  const auto table = md.find("#### length ratio, levels 1-5");
  ASSERT_NE(table, std::string::npos) << md;
  EXPECT_NE(md.find("| grpo | +0.003 [+0.003, +0.003] | 2 | interim: excludes 0", table),
            std::string::npos)
      << md;
  // No difference at all keeps the table's digits.
  EXPECT_NE(md.find("| kimi | +0.00 [+0.00, +0.00] | 2 | interim: includes 0", table),
            std::string::npos)
      << md;
}

TEST(FairReport, JsonCarriesPerSeedValuesAndTests) {
  const fair_report r = build_fair_report(sample_experiment(), {1000, 1});
  const auto j = nlohmann::json::parse(fair_report_json(r, {}));
  EXPECT_EQ(j["format"], "leadrl-fair-report");
  EXPECT_EQ(j["bootstrap"]["resamples"], 1000);
  const auto& arms = j["arms"];
  ASSERT_EQ(arms.size(), fair_arms().size());
  const auto& grpo = arms[0];
  EXPECT_EQ(grpo["arm"], "grpo");
  EXPECT_EQ(grpo["readout_seeds"], nlohmann::json::array({1, 2, 4}));
  EXPECT_DOUBLE_EQ(grpo["levels"][3]["pass_at_1"]["mean"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(grpo["scores"]["length_ratio_levels_1_5"]["per_seed"]["4"].get<double>(), 4.0);
  EXPECT_TRUE(arms[1]["levels"][0]["pass_at_1"]["mean"].is_null());  // arora_0.1: no run
  EXPECT_EQ(j["paired_tests"]["comparisons"], 12);
  EXPECT_EQ(j["curriculum_tests"]["tests"].size(), 7u);
  EXPECT_EQ(j["base"]["label"], "base (SFT)");
}

TEST(FairReport, AnotherProtocolAndAMissingAesAreNoted) {
  fair_inputs in = test::empty_experiment();
  fair_run run = test::run_with(1, 0.5, 20, 0.1);
  run.readout->protocol.temperature = 1.0;
  run.readout->source = "runs/kimi/seed1/readout.json";
  test::arm_of(in, "kimi").runs.push_back(run);
  in.base.levels[4].pass_at_1 = 0.0;  // the base never solves level 5; the run does
  const fair_report r = build_fair_report(in, {100, 1});
  std::string notes;
  for (const auto& n : r.notes) notes += n + "\n";
  EXPECT_NE(notes.find("runs/kimi/seed1/readout.json: measured with 200 problems x 8 answers "
                       "per level, temperature 1,"),
            std::string::npos)
      << notes;
  EXPECT_NE(notes.find("no AES for this seed"), std::string::npos) << notes;
  EXPECT_EQ(r.arms[4].score_summaries.at("aes_formula").n, 0u);
  EXPECT_EQ(r.arms[4].score_summaries.at("pass_at_1_levels_1_5").n, 1u);
  EXPECT_TRUE(r.reference_tests.empty());  // no lead_max_sym readout
}

}  // namespace
}  // namespace leadrl::eval
