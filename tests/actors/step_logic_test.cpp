#include "actors/step_logic.hpp"
#include "io/data_sampler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace leadrl::actors {
namespace {

scored_rollouts report(std::int64_t step, int rank, std::vector<std::int64_t> prompts, int g,
                       double len0) {
  scored_rollouts s;
  s.step = step;
  s.rank = rank;
  for (auto p : prompts) {
    for (int i = 0; i < g; ++i) {
      s.prompt_ids.push_back(p);
      s.rollout_idx.push_back(i);
      s.lengths.push_back(len0 + 3 * i + static_cast<double>(p));
      s.correctness.push_back(i % 2 == 0 ? 1.0 : 0.0);
      s.format.push_back(1.0);
      s.truncated.push_back(i == g - 1 ? 1 : 0);
    }
  }
  return s;
}

TEST(StepLogic, NonFiniteInjectionListsStepRankPairsAndRejectsTheRest) {
  auto none = parse_nonfinite_injection("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto two = parse_nonfinite_injection("3:1,12:0");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, (std::vector<nonfinite_injection>{{3, 1}, {12, 0}}));
  for (const char* bad : {"3", "3:", ":1", "0:1", "3:-1", "3:1,", "x:1", "3:1;4:1", "3:1 "}) {
    auto r = parse_nonfinite_injection(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("LEADRL_INJECT_NONFINITE"), std::string::npos);
    EXPECT_NE(r.error().message().find(std::string("'") + bad + "'"), std::string::npos);
  }
}

TEST(StepLogic, ShardsAreContiguousWholePromptsCoveringTheBatch) {
  const std::vector<std::int64_t> ids{9, 4, 7, 1, 3};
  for (int ws : {1, 2, 3, 4, 7}) {
    auto shards = shard_prompts(ids, ws);
    ASSERT_EQ(shards.size(), static_cast<std::size_t>(ws));
    std::vector<std::int64_t> joined;
    std::size_t largest = 0, smallest = ids.size();
    for (const auto& s : shards) {
      joined.insert(joined.end(), s.begin(), s.end());
      largest = std::max(largest, s.size());
      smallest = std::min(smallest, s.size());
    }
    EXPECT_EQ(joined, ids) << ws;
    EXPECT_LE(largest - smallest, 1u) << ws;
  }
  EXPECT_EQ(shard_range(5, 2, 0).second, 3);
  EXPECT_EQ(shard_range(5, 2, 0).first, 0);
  EXPECT_EQ(shard_range(5, 2, 1).first, 3);
  EXPECT_EQ(shard_range(5, 2, 1).second, 5);
}

TEST(StepLogic, RolloutSeedsDependOnEveryInputOnly) {
  std::set<std::uint64_t> seen;
  for (std::int64_t step : {1, 2})
    for (std::int64_t p : {0, 1, 17})
      for (std::int32_t r : {0, 1, 2}) seen.insert(io::rollout_seed(42, step, p, r));
  EXPECT_EQ(seen.size(), 18u);
  EXPECT_EQ(io::rollout_seed(42, 3, 5, 1), io::rollout_seed(42, 3, 5, 1));
  EXPECT_NE(io::rollout_seed(42, 3, 5, 1), io::rollout_seed(43, 3, 5, 1));
  EXPECT_EQ(minibatch_of(0, 2), 0);
  EXPECT_EQ(minibatch_of(3, 2), 1);
}

TEST(StepLogic, AssemblyIsInRankOrderAndPlansSplitBack) {
  std::vector<scored_rollouts> by_rank{report(3, 0, {5, 6}, 4, 10), report(3, 1, {7}, 4, 20)};
  auto b = assemble_batch(by_rank, 3);
  ASSERT_TRUE(b.ok()) << b.error().message();
  ASSERT_EQ(b->batch.size(), 12u);
  EXPECT_EQ(b->rank_offsets, (std::vector<std::size_t>{0, 8, 12}));
  EXPECT_EQ(b->batch.prompt_ids[8], 7);
  EXPECT_TRUE(b->batch.truncated[3]);
  EXPECT_DOUBLE_EQ(b->batch.lengths[9], 20 + 3 + 7);

  lead::estimator_config cfg;
  cfg.lead.lstar_floor = 4;
  cfg.lead.bmax = 64;
  auto state = lead::make_estimator_state(cfg);
  auto adv = lead::compute_advantages(cfg, b->batch, state);
  ASSERT_TRUE(adv.ok()) << adv.error().message();
  EXPECT_EQ(adv->advantages.size(), 12u);
  EXPECT_NEAR(adv->w_corr + adv->w_eff, 1.0, 1e-12);
  EXPECT_EQ(adv->lstar_prompt_ids, (std::vector<std::int64_t>{5, 6, 7}));
  // mean_correct of group 5: rollouts 0 and 2 correct, lengths 15 and 21.
  EXPECT_DOUBLE_EQ(adv->lstar[0], 18.0);
  EXPECT_EQ(state.lead.step_count, 1);
  EXPECT_TRUE(adv->metrics.count("lead/lstar_mean"));

  auto plans = make_step_plans(*b, *adv);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[0].advantages.size(), 8u);
  EXPECT_EQ(plans[1].advantages.size(), 4u);
  EXPECT_DOUBLE_EQ(plans[1].advantages[2], adv->advantages[10]);
  EXPECT_EQ(plans[1].step, 3);
  EXPECT_DOUBLE_EQ(plans[1].w_corr, adv->w_corr);
  EXPECT_EQ(plans[0].lstar, adv->lstar);

  // A single-reward estimator: weights (1, 0), no L*.
  lead::estimator_config grpo;
  grpo.name = "grpo";
  auto g = lead::compute_advantages(grpo, b->batch, state);
  ASSERT_TRUE(g.ok());
  EXPECT_DOUBLE_EQ(g->w_corr, 1.0);
  EXPECT_TRUE(g->lstar.empty());
}

TEST(StepLogic, AssemblyRejectsWrongStepRankOrSizes) {
  auto wrong_step = report(2, 0, {1}, 2, 5);
  EXPECT_FALSE(assemble_batch({wrong_step}, 3).ok());
  auto wrong_rank = report(3, 1, {1}, 2, 5);
  EXPECT_FALSE(assemble_batch({wrong_rank}, 3).ok());
  auto ragged = report(3, 0, {1}, 2, 5);
  ragged.lengths.pop_back();
  auto r = assemble_batch({ragged}, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("rank 0"), std::string::npos);
  EXPECT_FALSE(assemble_batch({report(3, 0, {}, 2, 5)}, 3).ok());
}

TEST(StepLogic, MetricsAggregateRanksAndCatchDivergedReplicas) {
  auto b = assemble_batch({report(1, 0, {5}, 4, 10), report(1, 1, {6}, 4, 10)}, 1);
  ASSERT_TRUE(b.ok());
  lead::estimator_config cfg;
  cfg.lead.lstar_floor = 4;
  auto state = lead::make_estimator_state(cfg);
  auto adv = lead::compute_advantages(cfg, b->batch, state);
  ASSERT_TRUE(adv.ok());
  std::vector<trained> t(2);
  for (int r = 0; r < 2; ++r) {
    t[r].step = 1;
    t[r].rank = r;
    t[r].parameter_checksum = 77;
    t[r].metrics["actor/pg_loss"] = 0.25 * (r + 1);
    t[r].metrics["timing/train"] = 1.0 + r;
    t[r].metrics["optim/lr"] = 0.001;
  }
  step_timings timings;
  timings.step = 4.0;
  timings.controller = 0.01;
  auto m = step_metrics(*b, *adv, t, timings);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_DOUBLE_EQ(m->at("critic/accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(m->at("response_length/max"), 10 + 9 + 6);
  EXPECT_DOUBLE_EQ(m->at("response_length/clip_ratio"), 0.25);
  EXPECT_DOUBLE_EQ(m->at("actor/pg_loss"), 0.75);
  EXPECT_DOUBLE_EQ(m->at("timing/train"), 2.0);
  EXPECT_DOUBLE_EQ(m->at("optim/lr"), 0.001);
  EXPECT_DOUBLE_EQ(m->at("timing/controller_share"), 0.0025);
  EXPECT_TRUE(m->count("lead/w_corr"));
  const auto line = metrics_json_line(1, *m);
  EXPECT_EQ(line.rfind("{\"step\":1,", 0), 0u);
  EXPECT_NE(line.find("\"critic/accuracy\":0.5"), std::string::npos);
  EXPECT_NE(progress_line(1, 4, 2.0, *m).find("step 1/4 | ETA 0m06s | acc 0.500"),
            std::string::npos);

  t[1].parameter_checksum = 78;
  auto diverged = step_metrics(*b, *adv, t, timings);
  ASSERT_FALSE(diverged.ok());
  EXPECT_NE(diverged.error().message().find("rank 1"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::actors

namespace leadrl::actors {
namespace {

TEST(StepLogic, LevelMetricsSplitTheBatchByLevel) {
  // Prompts 0 and 1: rank 0, four rollouts each (correct, wrong, correct, wrong), lengths
  // len0 + 3i + p; prompt 1 is level 2, prompt 0 level 1; prompt 5 (no level) is left out.
  auto r0 = report(1, 0, {0, 1}, 4, 10.0);
  auto r1 = report(1, 1, {5}, 2, 10.0);
  r0.skipped = {1, 0, 0, 0, 1, 1, 1, 0};
  auto b = assemble_batch({r0, r1}, 1);
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_TRUE(b->counts_skips);
  ASSERT_EQ(b->skipped.size(), 10u);  // rank 1 reported none: zeros
  EXPECT_EQ(b->skipped[9], 0);
  lead::estimator_output adv;
  adv.lstar_prompt_ids = {0, 1, 5};
  adv.lstar = {12.0, 96.0, 7.0};  // prompt 1 unsolved (L* = bmax = 96)
  const auto m = level_metrics(*b, adv, {1, 2, 0, 0, 0, 0}, 96.0);
  EXPECT_DOUBLE_EQ(m.at("level1/rollouts"), 4.0);
  EXPECT_DOUBLE_EQ(m.at("level1/accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(m.at("level1/length"), 10.0 + 4.5);
  EXPECT_DOUBLE_EQ(m.at("level1/skip_rate"), 0.25);
  EXPECT_DOUBLE_EQ(m.at("level2/skip_rate"), 0.75);
  EXPECT_DOUBLE_EQ(m.at("level2/length"), 11.0 + 4.5);
  EXPECT_DOUBLE_EQ(m.at("level1/lstar_mean"), 12.0);
  EXPECT_EQ(m.count("level2/lstar_mean"), 0u);  // only unsolved prompts
  EXPECT_EQ(m.count("level0/rollouts"), 0u);
  EXPECT_EQ(m.count("level3/rollouts"), 0u);
  // No levels (other data): no metrics; no skips reported: no skip rates.
  EXPECT_TRUE(level_metrics(*b, adv, {}, 96.0).empty());
  auto plain = assemble_batch({report(1, 0, {0}, 2, 1.0)}, 1);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->counts_skips);
  EXPECT_TRUE(plain->skipped.empty());
  const auto p = level_metrics(*plain, {}, {1}, 96.0);
  EXPECT_EQ(p.count("level1/accuracy"), 1u);
  EXPECT_EQ(p.count("level1/skip_rate"), 0u);
  // A skip array of the wrong size is rejected.
  r0.skipped.pop_back();
  EXPECT_FALSE(assemble_batch({r0, r1}, 1).ok());
}

TEST(StepLogic, CurriculumCoversItsStepsAndTheEasyPrompts) {
  EXPECT_FALSE(in_curriculum(0, 0));
  EXPECT_FALSE(in_curriculum(1, 0));
  EXPECT_TRUE(in_curriculum(0, 150));  // the start: the first sampler is the curriculum's
  EXPECT_TRUE(in_curriculum(150, 150));
  EXPECT_FALSE(in_curriculum(151, 150));
  EXPECT_EQ(curriculum_prompts({1, 3, 2, 5, 0, 2}, 2), (std::vector<std::int64_t>{0, 2, 5}));
  EXPECT_EQ(curriculum_prompts({3, 4}, 2), (std::vector<std::int64_t>{}));
}

TEST(CutMicroBatches, FixedRunsKeepTheRowOrder) {
  const std::vector<std::size_t> rows = {4, 1, 7, 2, 9};
  const std::vector<std::int64_t> lengths(10, 5);
  const auto mbs = cut_micro_batches(rows, lengths, 2, false, 0);
  EXPECT_EQ(mbs, (std::vector<std::vector<std::size_t>>{{4, 1}, {7, 2}, {9}}));
}

TEST(CutMicroBatches, DynamicSortsByLengthAndBoundsPaddedTokens) {
  // Row id -> length; rows 0..7.
  const std::vector<std::int64_t> lengths = {10, 40, 12, 40, 30, 8, 100, 11};
  const std::vector<std::size_t> rows = {0, 1, 2, 3, 4, 5, 6, 7};
  const auto mbs = cut_micro_batches(rows, lengths, 1, true, 80);
  // Longest first: 100 (alone, 2 x 100 > 80); 40, 40 (2 x 40 = 80); 30, 12 (3 x 30 > 80);
  // 11, 10, 8 (3 x 11 <= 80).
  EXPECT_EQ(mbs, (std::vector<std::vector<std::size_t>>{{6}, {1, 3}, {4, 2}, {7, 0, 5}}));
  std::vector<std::size_t> seen;
  for (const auto& mb : mbs) {
    std::int64_t longest = 0;
    for (std::size_t r : mb) longest = std::max(longest, lengths[r]);
    if (mb.size() > 1) {
      EXPECT_LE(static_cast<std::int64_t>(mb.size()) * longest, 80);
    }
    seen.insert(seen.end(), mb.begin(), mb.end());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, rows);
}

TEST(StepLogic, BehaviourVersionLagsByTheStalenessAndRestartsAtSnapshots) {
  // Synchronous: always the weights of the step before, whatever the snapshots.
  for (std::int64_t step = 1; step <= 12; ++step) {
    EXPECT_EQ(behaviour_version(step, 0, 5, 0), step - 1);
  }
  // k = 1, no snapshots: the first two steps from the initial weights, then one behind.
  EXPECT_EQ(behaviour_version(1, 1, 0, 0), 0);
  EXPECT_EQ(behaviour_version(2, 1, 0, 0), 0);
  EXPECT_EQ(behaviour_version(3, 1, 0, 0), 1);
  EXPECT_EQ(behaviour_version(10, 1, 0, 0), 8);
  // k = 2 with a snapshot every 5 steps: the step after a snapshot generates from it.
  EXPECT_EQ(behaviour_version(5, 2, 5, 0), 2);
  EXPECT_EQ(behaviour_version(6, 2, 5, 0), 5);
  EXPECT_EQ(behaviour_version(7, 2, 5, 0), 5);
  EXPECT_EQ(behaviour_version(8, 2, 5, 0), 5);
  EXPECT_EQ(behaviour_version(9, 2, 5, 0), 6);
  // Resumed at step 4 (a snapshot of another save_freq): nothing older than the loaded weights.
  EXPECT_EQ(behaviour_version(5, 2, 0, 4), 4);
  EXPECT_EQ(behaviour_version(7, 2, 0, 4), 4);
  EXPECT_EQ(behaviour_version(8, 2, 0, 4), 5);
}

}  // namespace
}  // namespace leadrl::actors
