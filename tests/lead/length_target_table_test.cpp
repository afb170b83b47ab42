// The persistent length-target table: its update rule, bounded memory, equality with the
// reference on a first visit, serialization, and its use through lead_step.
#include "lead/length_target_table.hpp"
#include "lead/lead_estimator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace leadrl::lead {
namespace {

struct step_input {
  std::vector<prompt_id> ids;
  std::vector<double> lengths;
  std::vector<bool> correct;
};

length_target_plan visit(length_target_table& t, const step_input& in,
                         const length_target_options& o, std::int64_t step) {
  auto plan = t.plan(in.lengths, in.correct, index_groups(in.ids), o, step);
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message());
  length_target_plan copy = *plan;
  t.commit(std::move(*plan));
  return copy;
}

TEST(LengthTargetTable, FirstVisitEqualsGroupModeForEveryAggregator) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> len(1, 9000);
  for (auto a : {length_aggregator::mean_correct, length_aggregator::min_correct,
                 length_aggregator::median_correct, length_aggregator::mean_all}) {
    // History 4 is smaller than the group size 8: a first visit still uses all 8 rollouts.
    length_target_table t(a, 4);
    step_input in;
    for (prompt_id p = 0; p < 50; ++p) {
      for (int k = 0; k < 8; ++k) {
        in.ids.push_back(p);
        in.lengths.push_back(std::round(len(rng)));
        // Prompts p % 5 == 0 are never solved; the others at 20..80 %.
        in.correct.push_back(std::bernoulli_distribution(0.2 * static_cast<double>(p % 5))(rng));
      }
    }
    const length_target_options o{a, 1000, 8000};
    const group_index g = index_groups(in.ids);
    const auto ref = group_length_targets(in.lengths, in.correct, g, o);
    const auto plan = visit(t, in, o, 1);
    ASSERT_EQ(plan.targets.size(), ref.size());
    std::size_t fallbacks = 0;
    for (std::size_t k = 0; k < ref.size(); ++k) {
      EXPECT_DOUBLE_EQ(plan.targets[k].lstar, ref[k].lstar) << to_string(a) << " group " << k;
      EXPECT_EQ(plan.targets[k].source, ref[k].source);
      fallbacks += ref[k].source == lstar_source::no_correct_fallback;
    }
    if (a != length_aggregator::mean_all) {
      EXPECT_GT(fallbacks, 0u) << "the random batch should contain unsolved prompts";
    }
    EXPECT_EQ(t.size(), 50u);
  }
}

TEST(LengthTargetTable, MeanCarriesOverWithCountCappedWeight) {
  length_target_table t(length_aggregator::mean_correct, 4);
  const length_target_options o{length_aggregator::mean_correct, 1, 100000};
  // Visit 1: correct 2000, 4000 -> mean 3000 over 2 values.
  auto p1 = visit(t, {{9, 9, 9}, {2000, 4000, 9000}, {true, true, false}}, o, 1);
  EXPECT_DOUBLE_EQ(p1.targets[0].lstar, 3000);
  // Visit 2: correct 1000 -> (2*3000 + 1000) / 3.
  auto p2 = visit(t, {{9, 9}, {1000, 7000}, {true, false}}, o, 2);
  EXPECT_DOUBLE_EQ(p2.targets[0].lstar, 7000.0 / 3);
  // Visit 3: 3 values summarised but the weight caps at H = 4 only once c >= 4; here c = 3.
  auto p3 = visit(t, {{9, 9, 9}, {1000, 1000, 1000}, {true, true, true}}, o, 3);
  EXPECT_DOUBLE_EQ(p3.targets[0].lstar, (3 * 7000.0 / 3 + 3000) / 6);
  // Visit 4: c = 6 > H, history weighs 4.
  const double m3 = p3.targets[0].lstar;
  auto p4 = visit(t, {{9, 9}, {5000, 6000}, {true, true}}, o, 4);
  EXPECT_DOUBLE_EQ(p4.targets[0].lstar, (4 * m3 + 11000) / 6);
  const auto& rows = t.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.n_correct[0], 8);
  EXPECT_EQ(rows.n_rollouts[0], 10);
  EXPECT_EQ(rows.visits[0], 4);
  EXPECT_EQ(rows.last_step[0], 4);
  EXPECT_TRUE(rows.window.empty());  // mean aggregators keep no window
}

TEST(LengthTargetTable, EpochRevisitWithoutCorrectRolloutKeepsEarlierTarget) {
  length_target_table t(length_aggregator::mean_correct, 32);
  const length_target_options o{length_aggregator::mean_correct, 1000, 8000};
  visit(t, {{1, 1, 2, 2}, {2400, 3000, 5000, 6000}, {true, true, false, false}}, o, 1);
  // Many steps later (next epoch) prompt 1 is all wrong, prompt 2 is still unsolved.
  auto p = visit(t, {{2, 2, 1, 1}, {5000, 7000, 6000, 7000}, {false, false, false, false}}, o, 40);
  EXPECT_DOUBLE_EQ(p.targets[0].lstar, 8000);  // prompt 2: never solved, bmax
  EXPECT_EQ(p.targets[0].source, lstar_source::no_correct_fallback);
  EXPECT_DOUBLE_EQ(p.targets[1].lstar, 2700);  // prompt 1: carried from its first visit
  EXPECT_EQ(p.targets[1].source, lstar_source::carried);
  // The reference would have fallen back to bmax for prompt 1.
  const auto ref = group_length_targets({5000, 7000, 6000, 7000}, {false, false, false, false},
                                        index_groups({2, 2, 1, 1}), o);
  EXPECT_DOUBLE_EQ(ref[1].lstar, 8000);
}

TEST(LengthTargetTable, MinAndMedianUseABoundedWindowOfRecentCorrectLengths) {
  length_target_table t(length_aggregator::min_correct, 3);
  const length_target_options o{length_aggregator::min_correct, 1, 100000};
  EXPECT_DOUBLE_EQ(visit(t, {{5, 5}, {1000, 2000}, {true, true}}, o, 1).targets[0].lstar, 1000);
  EXPECT_DOUBLE_EQ(visit(t, {{5}, {3000}, {true}}, o, 2).targets[0].lstar, 1000);
  // Window was {1000, 2000, 3000}; adding 4000 evicts 1000 after this step's L*.
  EXPECT_DOUBLE_EQ(visit(t, {{5}, {4000}, {true}}, o, 3).targets[0].lstar, 1000);
  EXPECT_DOUBLE_EQ(visit(t, {{5}, {9000}, {false}}, o, 4).targets[0].lstar, 2000);
  const auto& rows = t.rows();
  ASSERT_EQ(rows.window.size(), 3u);
  EXPECT_EQ(rows.window_count[0], 3);
  EXPECT_EQ(rows.window, (std::vector<double>{2000, 3000, 4000}));

  length_target_table med(length_aggregator::median_correct, 4);
  const length_target_options om{length_aggregator::median_correct, 1, 100000};
  EXPECT_DOUBLE_EQ(
      visit(med, {{5, 5, 5}, {100, 300, 200}, {true, true, true}}, om, 1).targets[0].lstar, 200);
  // Window {100, 300, 200} + {1000, 2000} -> median of 5 values = 300; keeps the last 4.
  EXPECT_DOUBLE_EQ(visit(med, {{5, 5}, {1000, 2000}, {true, true}}, om, 2).targets[0].lstar, 300);
  EXPECT_EQ(med.rows().window, (std::vector<double>{300, 200, 1000, 2000}));
}

TEST(LengthTargetTable, MemoryIsBoundedPerPrompt) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> len(1, 8000);
  length_target_table t(length_aggregator::median_correct, 8);
  const length_target_options o{length_aggregator::median_correct, 1000, 8000};
  for (std::int64_t step = 1; step <= 200; ++step) {
    step_input in;
    for (prompt_id p = 0; p < 20; ++p) {  // the same 20 prompts every step: 200 epochs
      for (int k = 0; k < 16; ++k) {
        in.ids.push_back(p);
        in.lengths.push_back(len(rng));
        in.correct.push_back(k % 2 == 0);
      }
    }
    visit(t, in, o, step);
  }
  const auto& rows = t.rows();
  EXPECT_EQ(rows.size(), 20u);
  EXPECT_EQ(rows.window.size(), 20u * 8u);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(rows.window_count[r], 8);
    EXPECT_EQ(rows.visits[r], 200);
    EXPECT_EQ(rows.n_correct[r], 200 * 8);
  }
}

TEST(LengthTargetTable, PlanDoesNotChangeTheTableAndAggregatorMustMatch) {
  length_target_table t(length_aggregator::mean_correct, 32);
  const length_target_options o{length_aggregator::mean_correct, 1000, 8000};
  auto plan = t.plan({2000}, {true}, index_groups({1}), o, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(t.size(), 0u);
  auto wrong =
      t.plan({2000}, {true}, index_groups({1}), {length_aggregator::min_correct, 1000, 8000}, 1);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("min_correct"), std::string::npos);
  auto sizes = t.plan({2000, 3000}, {true}, index_groups({1, 1}), o, 1);
  ASSERT_FALSE(sizes.ok());
}

TEST(LengthTargetTable, RowsRoundTripThroughRestore) {
  length_target_table t(length_aggregator::median_correct, 4);
  const length_target_options o{length_aggregator::median_correct, 1000, 8000};
  visit(t, {{3, 3, 8, 8}, {1500, 2500, 4000, 9000}, {true, true, true, false}}, o, 1);
  visit(t, {{8, 11}, {3000, 6000}, {true, false}}, o, 2);
  length_target_table copy(length_aggregator::mean_correct, 1);
  ASSERT_TRUE(copy.restore(t.rows()).ok());
  EXPECT_EQ(copy.aggregator(), length_aggregator::median_correct);
  EXPECT_EQ(copy.history(), 4u);
  EXPECT_EQ(copy.rows().prompt_ids, t.rows().prompt_ids);
  EXPECT_EQ(copy.rows().window, t.rows().window);
  // Both continue identically.
  const step_input next{{8, 3, 11}, {2000, 7000, 5000}, {true, false, true}};
  const auto a = visit(t, next, o, 3);
  const auto b = visit(copy, next, o, 3);
  for (std::size_t g = 0; g < 3; ++g) EXPECT_EQ(a.targets[g].lstar, b.targets[g].lstar);
  EXPECT_EQ(a.targets[0].lstar, 3000);  // window {4000, 3000} + 2000 -> median 3000
  EXPECT_EQ(a.targets[1].source, lstar_source::carried);
}

TEST(LengthTargetTable, RestoreRejectsInconsistentRows) {
  length_target_table t(length_aggregator::mean_correct, 4);
  visit(t, {{1, 2}, {2000, 3000}, {true, true}}, {length_aggregator::mean_correct, 1000, 8000}, 1);
  const length_table_rows good = t.rows();
  auto expect_rejected = [&](length_table_rows rows, const std::string& needle) {
    length_target_table u;
    const status s = u.restore(std::move(rows));
    ASSERT_FALSE(s.ok()) << needle;
    EXPECT_NE(s.error().message().find(needle), std::string::npos) << s.error().message();
    EXPECT_EQ(u.size(), 0u);
  };
  auto r = good;
  r.lstar.pop_back();
  expect_rejected(r, "lstar");
  r = good;
  r.prompt_ids[1] = r.prompt_ids[0];
  expect_rejected(r, "appears twice");
  r = good;
  r.n_correct[0] = 5;
  expect_rejected(r, "n_correct");
  r = good;
  r.history = 0;
  expect_rejected(r, "history");
  r = good;
  r.window.assign(8, 1000.0);
  expect_rejected(r, "window");
  r = good;
  r.lstar[0] = -1;
  expect_rejected(r, "lstar[0]");
}

TEST(LengthTargetTable, LeadStepInTableModeUsesTheHistory) {
  lead_config cfg;
  cfg.lstar_table = length_target_mode::table;
  lead_state state;
  length_target_table table = make_length_target_table(cfg);
  rollout_batch first{{1, 1, 1, 1, 2, 2, 2, 2},
                      {2000, 3000, 5000, 6000, 1500, 2500, 3500, 4500},
                      {1, 1, 0, 0, 1, 0, 1, 0},
                      {},
                      {}};
  auto r1 = lead_step(first, cfg, state, &table);
  ASSERT_TRUE(r1.ok()) << r1.error().message();
  EXPECT_DOUBLE_EQ(r1->lstar[0].lstar, 2500);
  // Second epoch: prompt 1 solved once with 4000 tokens; prompt 2 not at all.
  rollout_batch second{{1, 1, 1, 1, 2, 2, 2, 2},
                       {4000, 7000, 7000, 7000, 5000, 5000, 6000, 6000},
                       {1, 0, 0, 0, 0, 0, 0, 0},
                       {},
                       {}};
  auto r2 = lead_step(second, cfg, state, &table);
  ASSERT_TRUE(r2.ok());
  EXPECT_DOUBLE_EQ(r2->lstar[0].lstar, (2 * 2500.0 + 4000) / 3);
  EXPECT_DOUBLE_EQ(r2->lstar[1].lstar, 2500);  // carried: (1500 + 3500) / 2
  EXPECT_EQ(r2->lstar[1].source, lstar_source::carried);
  EXPECT_DOUBLE_EQ(r2->metrics.at("lead/lstar_carried_prompts"), 1.0);
  EXPECT_DOUBLE_EQ(r2->metrics.at("lead/lstar_table_prompts"), 2.0);
  // Group mode on the same second batch: prompt 2 falls back to bmax.
  lead_config group_cfg;
  lead_state s2;
  auto g2 = lead_step(second, group_cfg, s2);
  ASSERT_TRUE(g2.ok());
  EXPECT_DOUBLE_EQ(g2->lstar[0].lstar, 4000);
  EXPECT_DOUBLE_EQ(g2->lstar[1].lstar, 8000);
  EXPECT_EQ(table.rows().last_step, (std::vector<std::int64_t>{2, 2}));
}

TEST(LengthTargetTable, ModeNamesParse) {
  EXPECT_EQ(*parse_length_target_mode("group"), length_target_mode::group);
  EXPECT_EQ(*parse_length_target_mode("table"), length_target_mode::table);
  auto bad = parse_length_target_mode("persistent");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("group, table"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::lead
