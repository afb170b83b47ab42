#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "eval/fair_charts.hpp"
#include "tests/eval/fair_samples.hpp"

namespace leadrl::eval {
namespace {

TEST(FairCharts, MeanOverRunsAveragesTheRunsThatHaveTheStep) {
  const step_points mean = mean_over_runs({{{1, 0.2}, {2, 0.4}, {3, 0.6}}, {{1, 0.4}, {2, 0.0}}});
  ASSERT_EQ(mean.size(), 3u);
  EXPECT_DOUBLE_EQ(mean[0].second, 0.3);
  EXPECT_DOUBLE_EQ(mean[1].second, 0.2);
  EXPECT_DOUBLE_EQ(mean[2].second, 0.6);  // only the first run reached step 3
  EXPECT_TRUE(mean_over_runs({}).empty());
}

TEST(FairCharts, MovingAverageIsCentredAndNarrowsAtTheEndsAndGaps) {
  step_points s;
  for (int step = 1; step <= 10; ++step) s.emplace_back(step, step);
  s.emplace_back(100, 0.0);  // far from the others: averaged alone
  const step_points m = centred_moving_average(s, 4);
  ASSERT_EQ(m.size(), s.size());
  EXPECT_DOUBLE_EQ(m[0].second, 3.0);   // steps 1..5
  EXPECT_DOUBLE_EQ(m[4].second, 5.0);   // steps 1..9
  EXPECT_DOUBLE_EQ(m[5].second, 6.0);   // steps 2..10
  EXPECT_DOUBLE_EQ(m[9].second, 8.0);   // steps 6..10
  EXPECT_DOUBLE_EQ(m[10].second, 0.0);  // step 100 alone
  EXPECT_DOUBLE_EQ(m[10].first, 100.0);
}

TEST(FairCharts, HardLevelAccuracyIsWeightedByRollouts) {
  auto log = io::parse_run_log(
      "{\"step\":1,\"level1/accuracy\":1.0,\"level1/rollouts\":100}\n"
      "{\"step\":2,\"level4/accuracy\":0.5,\"level4/rollouts\":30,"
      "\"level5/accuracy\":0.1,\"level5/rollouts\":10}\n"
      "{\"step\":3,\"level5/accuracy\":0.2,\"level5/rollouts\":8}\n"
      "{\"step\":4,\"level4/accuracy\":0.9}\n");
  ASSERT_TRUE(log.ok()) << log.error().message();
  const step_points acc = hard_levels_accuracy(*log);
  ASSERT_EQ(acc.size(), 2u);  // step 1 has no level 4-5, step 4 no rollout count
  EXPECT_DOUBLE_EQ(acc[0].first, 2.0);
  EXPECT_DOUBLE_EQ(acc[0].second, (0.5 * 30 + 0.1 * 10) / 40);
  EXPECT_DOUBLE_EQ(acc[1].second, 0.2);
}

// A log of `steps` steps with skip_rate `skip` at every level and LEAD's figures if `lead`.
io::run_log training_log(int steps, double skip, bool lead) {
  std::string text;
  for (int s = 1; s <= steps; ++s) {
    text += "{\"step\":" + std::to_string(s);
    for (int d = 1; d <= 5; ++d) {
      const std::string l = ",\"level" + std::to_string(d);
      text +=
          l + "/skip_rate\":" + std::to_string(skip) + l + "/accuracy\":0.5" + l + "/rollouts\":16";
      if (lead) text += l + "/lstar_mean\":" + std::to_string(10 * d);
    }
    if (lead) text += ",\"lead/w_corr\":0.8,\"lead/cv_eff_norm\":0.3";
    text += "}\n";
  }
  return *io::parse_run_log(text);
}

fair_chart chart_named(const std::vector<fair_chart>& charts, const std::string& file) {
  for (const auto& c : charts) {
    if (c.note.file == file) return c;
  }
  ADD_FAILURE() << "no chart " << file;
  return {};
}

TEST(FairCharts, DrawsWhatTheLogsHaveAndSaysWhyNotTheRest) {
  fair_inputs in = test::empty_experiment();
  fair_run grpo = test::run_with(1, 0.5, 40, 0.3);
  grpo.log = training_log(20, 0.3, false);
  test::arm_of(in, "grpo").runs.push_back(grpo);
  const fair_report report = build_fair_report(in, {100, 1});
  const auto charts = fair_charts(in, report);
  ASSERT_EQ(charts.size(), 8u);
  const fair_chart skip4 = chart_named(charts, "skip_rate_level4.svg");
  EXPECT_TRUE(skip4.note.written);
  EXPECT_NE(skip4.note.detail.find("moving average over 9 steps"), std::string::npos);
  EXPECT_NE(skip4.svg.find(">grpo<"), std::string::npos);
  const fair_chart psi = chart_named(charts, "psi.svg");
  EXPECT_FALSE(psi.note.written);
  EXPECT_NE(psi.note.detail.find("no lead_max_sym training log"), std::string::npos);
  EXPECT_FALSE(chart_named(charts, "curriculum.svg").note.written);
  const fair_chart scatter = chart_named(charts, "accuracy_vs_length.svg");
  EXPECT_TRUE(scatter.note.written);
  EXPECT_NE(scatter.svg.find(">base (SFT)<"), std::string::npos);
  EXPECT_NE(scatter.svg.find(">grpo<"), std::string::npos);
}

TEST(FairCharts, LeadChartsHaveALinePerLevelAndPerSignal) {
  fair_inputs in = test::empty_experiment();
  for (int s : {1, 2}) {
    fair_run run = test::run_with(s, 0.6, 20, 0.1);
    run.log = training_log(12, 0.1, true);
    test::arm_of(in, "lead_max_sym").runs.push_back(run);
  }
  const auto charts = fair_charts(in, build_fair_report(in, {100, 1}));
  const fair_chart lstar = chart_named(charts, "lstar_per_level.svg");
  ASSERT_TRUE(lstar.note.written);
  for (int d = 1; d <= 5; ++d) {
    EXPECT_NE(lstar.svg.find(">level " + std::to_string(d) + "<"), std::string::npos);
  }
  const fair_chart psi = chart_named(charts, "psi.svg");
  ASSERT_TRUE(psi.note.written);
  EXPECT_NE(psi.svg.find(">lead/w_corr<"), std::string::npos);
  EXPECT_NE(psi.svg.find(">lead/cv_eff_norm<"), std::string::npos);
  EXPECT_EQ(psi.svg.find(">lead/potential_corr<"), std::string::npos);  // not logged
}

}  // namespace
}  // namespace leadrl::eval
