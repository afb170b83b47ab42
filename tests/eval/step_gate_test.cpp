#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "eval/step_gate.hpp"

#include <nlohmann/json.hpp>

namespace leadrl::eval {
namespace {

using io::arith_step_kind;

// `answers` answers of `kind` at `level`, the first `correct` of them correct.
void add(step_gate_level& l, arith_step_kind kind, int answers, int correct) {
  for (int i = 0; i < answers; ++i) add_answer(l, kind, i < correct, 10.0);
}

// Five levels that pass the default gate: fused 95% at level 1, 40% at 4 and 5, full 90%.
std::vector<step_gate_level> passing_levels() {
  std::vector<step_gate_level> levels(5);
  for (int d = 1; d <= 5; ++d) {
    step_gate_level& l = levels[static_cast<std::size_t>(d - 1)];
    l.level = d;
    add(l, arith_step_kind::full, 100, 90);
    add(l, arith_step_kind::fused, 40, d == 1 ? 38 : d >= 4 ? 16 : 30);
    add(l, arith_step_kind::dropped, 3, 1);
  }
  return levels;
}

TEST(StepGate, CountsAnswersByKind) {
  step_gate_level l;
  add_answer(l, arith_step_kind::full, true, 12);
  add_answer(l, arith_step_kind::full, false, 8);
  add_answer(l, arith_step_kind::fused, true, 3);
  add_answer(l, arith_step_kind::dropped, false, 5);
  EXPECT_EQ(l.all.answers, 4u);
  EXPECT_EQ(l.all.correct, 2u);
  EXPECT_EQ(l.full.answers, 2u);
  EXPECT_DOUBLE_EQ(l.full.accuracy(), 0.5);
  EXPECT_EQ(l.fused.correct, 1u);
  EXPECT_EQ(l.dropped.answers, 1u);
  EXPECT_DOUBLE_EQ(l.tokens, 28.0);
  EXPECT_DOUBLE_EQ(step_gate_cell{}.accuracy(), 0.0);
}

TEST(StepGate, PassesWhenEveryThresholdHolds) {
  const auto levels = passing_levels();
  const step_gate_verdict v = judge_step_gate(levels, {});
  EXPECT_TRUE(v.passed);
  // Level 1 fused, levels 4 and 5 fused, full at each of the five levels.
  EXPECT_EQ(v.checks.size(), 8u);
  const std::string md = step_gate_markdown(levels, &v);
  EXPECT_NE(md.find("| 1 | 143 | "), std::string::npos) << md;
  EXPECT_NE(md.find("gate: PASS"), std::string::npos) << md;
  EXPECT_NE(md.find("pass: fused accuracy at level 1 >= 0.90: 0.95 (38 of 40)"), std::string::npos)
      << md;
}

TEST(StepGate, EachThresholdCanFailTheGate) {
  {  // fused not reliable on level 1
    auto levels = passing_levels();
    levels[0].fused = {40, 35};
    EXPECT_FALSE(judge_step_gate(levels, {}).passed);
  }
  {  // fused still reliable on level 5
    auto levels = passing_levels();
    levels[4].fused = {40, 21};
    const auto v = judge_step_gate(levels, {});
    EXPECT_FALSE(v.passed);
    EXPECT_NE(step_gate_markdown(levels, &v).find("FAIL: fused accuracy at level 5 <= 0.50"),
              std::string::npos);
  }
  {  // full answers below 75% at level 3
    auto levels = passing_levels();
    levels[2].full = {100, 74};
    EXPECT_FALSE(judge_step_gate(levels, {}).passed);
  }
  {  // too few fused answers to measure at level 4, though their accuracy would pass
    auto levels = passing_levels();
    levels[3].fused = {29, 0};
    const auto v = judge_step_gate(levels, {});
    EXPECT_FALSE(v.passed);
    EXPECT_NE(step_gate_markdown(levels, &v).find("too few answers"), std::string::npos);
  }
  {  // level 5 not evaluated
    auto levels = passing_levels();
    levels.pop_back();
    const auto v = judge_step_gate(levels, {});
    EXPECT_FALSE(v.passed);
    EXPECT_NE(step_gate_markdown(levels, &v).find("level not evaluated"), std::string::npos);
  }
  EXPECT_FALSE(judge_step_gate({}, {}).passed);
}

TEST(StepGate, BoundsAreInclusive) {
  auto levels = passing_levels();
  levels[0].fused = {40, 36};  // exactly 0.90
  levels[3].fused = {40, 20};  // exactly 0.50
  levels[1].full = {100, 75};  // exactly 0.75
  EXPECT_TRUE(judge_step_gate(levels, {}).passed);
}

TEST(StepGate, JsonRecordsTheReadoutsOfEachLevel) {
  std::vector<step_gate_level> levels(1);
  step_gate_level& l = levels[0];
  l.level = 4;
  add_answer(l, arith_step_kind::full, true, 30);
  add_answer(l, arith_step_kind::full, true, 26);
  add_answer(l, arith_step_kind::fused, false, 10);
  add_answer(l, arith_step_kind::dropped, true, 14);
  l.minimal_tokens = 4 * 20.0;
  step_gate_settings s;
  s.model = "m";
  s.problems_per_level = 1;
  s.samples_per_problem = 4;
  s.temperature = 0.8;
  s.max_digits = 1;
  const auto j = nlohmann::json::parse(step_gate_json(s, levels, nullptr));
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["max_digits"], 1);
  EXPECT_TRUE(j["gate"].is_null());
  const auto& r = j["levels"][0];
  EXPECT_EQ(r["level"], 4);
  EXPECT_EQ(r["answers"], 4);
  EXPECT_DOUBLE_EQ(r["accuracy"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(r["mean_tokens"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(r["minimal_tokens"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(r["length_ratio"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["skip_rate"].get<double>(), 0.5);
  EXPECT_EQ(r["skipped"]["answers"], 2);
  EXPECT_EQ(r["skipped"]["correct"], 1);
  EXPECT_DOUBLE_EQ(r["full"]["accuracy"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["fused"]["accuracy"].get<double>(), 0.0);

  const auto v = judge_step_gate(levels, {});
  const auto g = nlohmann::json::parse(step_gate_json(s, levels, &v));
  EXPECT_FALSE(g["gate"]["passed"].get<bool>());
  EXPECT_EQ(g["gate"]["checks"].size(), v.checks.size());
  // No answers of a kind: its accuracy is null, not 0; no minimal lengths: no ratio.
  levels[0] = step_gate_level{};
  add_answer(levels[0], arith_step_kind::full, true, 5);
  const auto e = nlohmann::json::parse(step_gate_json(s, levels, nullptr));
  EXPECT_TRUE(e["levels"][0]["fused"]["accuracy"].is_null());
  EXPECT_TRUE(e["levels"][0]["length_ratio"].is_null());
  EXPECT_NE(step_gate_markdown(levels, nullptr).find("| 5.0 | - |"), std::string::npos);
  EXPECT_EQ(step_gate_markdown(levels, nullptr).find("gate:"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::eval
