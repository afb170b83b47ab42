// Bad input to the LEAD entry point: an error value naming the problem, never a crash or a
// NaN, and neither the state nor the table changes on failure.
#include "lead/lead_estimator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace leadrl::lead {
namespace {

rollout_batch good_batch() {
  rollout_batch b;
  b.prompt_ids = {1, 1, 2, 2};
  b.lengths = {1200, 2400, 3000, 800};
  b.correctness = {1, 0, 1, 1};
  return b;
}

lead_state used_state() {
  lead_state s;
  s.ema_weights = std::array<double, 2>{0.6, 0.4};
  s.initialized = true;
  s.step_count = 7;
  return s;
}

// Runs lead_step and expects a failure whose message contains `needle`, with state and
// table untouched.
void expect_error(const rollout_batch& batch, const lead_config& config, const std::string& needle,
                  bool with_table = true) {
  lead_state state = used_state();
  length_target_table table(config.aggregator, static_cast<std::size_t>(std::max<std::int64_t>(
                                                   1, config.lstar_table_history)));
  auto r = lead_step(batch, config, state, with_table ? &table : nullptr);
  ASSERT_FALSE(r.ok()) << "expected an error containing '" << needle << "'";
  EXPECT_NE(r.error().message().find(needle), std::string::npos) << r.error().message();
  EXPECT_EQ(state.step_count, 7);
  EXPECT_EQ(*state.ema_weights, (std::array<double, 2>{0.6, 0.4}));
  EXPECT_EQ(table.size(), 0u);
}

TEST(LeadBadInput, EmptyBatch) {
  expect_error(rollout_batch{}, lead_config{}, "empty batch");
}

TEST(LeadBadInput, MismatchedVectorLengths) {
  auto b = good_batch();
  b.lengths.pop_back();
  expect_error(b, lead_config{}, "lengths");
  b = good_batch();
  b.correctness.push_back(1);
  expect_error(b, lead_config{}, "correctness");
  b = good_batch();
  b.format = {0, 0};
  expect_error(b, lead_config{}, "format");
}

TEST(LeadBadInput, NegativeZeroOrNonFiniteLengths) {
  for (double bad : {-2.0, 0.0, 0.5, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    auto b = good_batch();
    b.lengths[3] = bad;
    expect_error(b, lead_config{}, "lengths[3]");
  }
}

TEST(LeadBadInput, NonFiniteCorrectness) {
  auto b = good_batch();
  b.correctness[1] = std::numeric_limits<double>::quiet_NaN();
  expect_error(b, lead_config{}, "correctness[1]");
}

TEST(LeadBadInput, ConfigOutOfRange) {
  struct bad_field {
    const char* name;
    void (*set)(lead_config&);
  };
  const bad_field cases[] = {
      {"bmax", [](lead_config& c) { c.bmax = 0.5; }},
      {"bmax", [](lead_config& c) { c.bmax = std::numeric_limits<double>::quiet_NaN(); }},
      {"lstar_floor", [](lead_config& c) { c.lstar_floor = 0; }},
      {"short_len", [](lead_config& c) { c.short_len = -1; }},
      {"alpha", [](lead_config& c) { c.alpha = -0.5; }},
      {"beta", [](lead_config& c) { c.beta = 1.5; }},
      {"beta", [](lead_config& c) { c.beta = -0.1; }},
      {"lambda_min", [](lead_config& c) { c.lambda_min = 1.2; }},
      {"static_lambda_corr", [](lead_config& c) { c.static_lambda_corr = -0.1; }},
      {"epsilon", [](lead_config& c) { c.epsilon = std::numeric_limits<double>::infinity(); }},
      {"grpo_epsilon", [](lead_config& c) { c.grpo_epsilon = 0; }},
      {"sigma_floor", [](lead_config& c) { c.sigma_floor = -1e-8; }},
      {"whiten_epsilon", [](lead_config& c) { c.whiten_epsilon = -1; }},
      {"correct_threshold",
       [](lead_config& c) { c.correct_threshold = std::numeric_limits<double>::quiet_NaN(); }},
      {"lstar_table_history", [](lead_config& c) { c.lstar_table_history = 0; }},
  };
  for (const auto& bf : cases) {
    lead_config c;
    bf.set(c);
    const status s = validate_config(c);
    ASSERT_FALSE(s.ok()) << bf.name;
    EXPECT_NE(s.error().message().find(bf.name), std::string::npos) << s.error().message();
    expect_error(good_batch(), c, bf.name);
  }
  // Legal edge values.
  lead_config edge;
  edge.beta = 1.0;
  edge.alpha = 0.0;
  edge.lambda_min = 0.0;
  edge.static_lambda_corr = 1.0;
  edge.lstar_floor = 1000;
  edge.bmax = 1.0;  // floor above bmax is legal (spec §2.1)
  EXPECT_TRUE(validate_config(edge).ok());
  const auto warnings = config_warnings(edge);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("lstar_floor"), std::string::npos);
  EXPECT_TRUE(config_warnings(lead_config{}).empty());
  lead_config tiny;
  tiny.lstar_mode = efficiency_mode::max_asym;
  tiny.lstar_floor = 8;
  tiny.bmax = 64;  // short_len left at 500
  ASSERT_EQ(config_warnings(tiny).size(), 1u);
  EXPECT_NE(config_warnings(tiny)[0].find("short_len"), std::string::npos);
}

TEST(LeadBadInput, UnknownNamesListTheValidOnes) {
  auto a = parse_length_aggregator("shortest");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("mean_correct, min_correct, median_correct, mean_all"),
            std::string::npos);
  auto m = parse_efficiency_mode("");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find("max_sym, max_asym, upper_only"), std::string::npos);
  auto t = parse_length_target_mode("tabel");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("'tabel'"), std::string::npos);
}

TEST(LeadBadInput, TableModeNeedsAMatchingTable) {
  lead_config c;
  c.lstar_table = length_target_mode::table;
  expect_error(good_batch(), c, "no length_target_table", /*with_table=*/false);
  lead_state s;
  length_target_table wrong(length_aggregator::min_correct, 32);
  auto r = lead_step(good_batch(), c, s, &wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("min_correct"), std::string::npos);
  EXPECT_EQ(s.step_count, 0);
}

TEST(LeadBadInput, SingleTokenBatchCannotBeWhitened) {
  rollout_batch b;
  b.prompt_ids = {5};
  b.lengths = {1};
  b.correctness = {1};
  expect_error(b, lead_config{}, "whitening");
}

TEST(LeadBadInput, ExtremeButValidInputGivesFiniteAdvantages) {
  // Identical rollouts everywhere: every group variance and the batch variance are 0.
  rollout_batch b;
  b.prompt_ids = {1, 1, 2, 2};
  b.lengths = {1, 1, 1, 1};
  b.correctness = {0, 0, 0, 0};
  lead_state s;
  auto r = lead_step(b, lead_config{}, s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  for (double a : r->advantages) EXPECT_TRUE(std::isfinite(a));
  for (const auto& [name, v] : r->metrics) EXPECT_TRUE(std::isfinite(v)) << name;
  EXPECT_EQ(s.step_count, 1);
  // Huge lengths and a format vector that LEAD ignores.
  b.lengths = {1e7, 2e7, 3e7, 1};
  b.correctness = {1, 0, 1, 0};
  b.format = {1, 1, 1, 1};
  auto r2 = lead_step(b, lead_config{}, s);
  ASSERT_TRUE(r2.ok());
  for (double a : r2->advantages) EXPECT_TRUE(std::isfinite(a));
  EXPECT_EQ(s.step_count, 2);
}

}  // namespace
}  // namespace leadrl::lead
