// The step protocol in one process: the real controller, generator, verifier, learner and
// gateway actors of one rank over a tiny random model on the built-in arithmetic task,
// with single-process collectives. Checks the controller's records step by step against
// the pure step logic and the learner's effect on the weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "actors/messages.hpp"
#include "actors/rank_worker.hpp"
#include "actors/step_logic.hpp"
#include "actors/train_actors.hpp"
#include "base/fnv1a.hpp"
#include "runtime/actor_system.hpp"

namespace leadrl::actors {
namespace {

io::train_options tiny(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> o{"data.train_size=16",
                             "data.train_batch_size=4",
                             "data.max_response_length=12",
                             "rollout.n=3",
                             "actor.ppo_mini_batch_size=2",
                             "actor.ppo_micro_batch_size=4",
                             "actor.lr=0.01",
                             "algorithm.lead_lstar_floor=2",
                             "algorithm.lead_bmax=12",
                             "trainer.total_steps=3",
                             "trainer.progress=false",
                             "runtime.scheduler_threads=1",
                             "runtime.step_timeout_s=120"};
  // An override replaces the default of the same key (a key may be given once).
  for (const auto& e : extra) {
    const auto key = e.substr(0, e.find('='));
    o.erase(std::remove_if(o.begin(), o.end(),
                           [&](const std::string& d) { return d.substr(0, d.find('=')) == key; }),
            o.end());
    o.push_back(e);
  }
  auto r = io::load_train_options("", o);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return *r;
}

result<train_summary> run_local(const io::train_options& o, std::string* aborted = nullptr) {
  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg, static_cast<int>(o.runtime.scheduler_threads));
  cfg.add_message_types<caf::id_block::leadrl>();
  caf::actor_system system{cfg};
  auto coll = make_local_collectives();
  auto connect = [](caf::actor_system&, const caf::actor& local) {
    return result<std::vector<caf::actor>>(std::vector<caf::actor>{local});
  };
  auto abort = [aborted](const leadrl::error& e) {
    if (aborted) *aborted = e.message();
  };
  return run_training(o, 0, 1, *coll, system, connect, abort);
}

TEST(Protocol, OneRankRunsEveryStepThroughTheActors) {
  auto o = tiny({"trainer.log_jsonl=" + std::string(LEADRL_BINARY_DIR) + "/protocol_test.jsonl"});
  auto before_worker = [&] {
    auto coll = make_local_collectives();
    return rank_worker::create(o, 0, 1, *coll).value()->flat_parameters();
  }();
  auto s = run_local(o);
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->steps.size(), 3u);
  lead::estimator_state replay = lead::make_estimator_state(o.estimator);
  for (std::size_t k = 0; k < 3; ++k) {
    const auto& rec = s->steps[k];
    EXPECT_EQ(rec.step, static_cast<std::int64_t>(k + 1));
    ASSERT_EQ(rec.prompt_ids.size(), 4u);
    ASSERT_EQ(rec.lengths.size(), 12u);
    EXPECT_EQ(rec.advantages.size(), 12u);
    // The controller's decision equals the pure step logic replayed on its inputs.
    scored_rollouts sr;
    sr.step = rec.step;
    for (std::size_t i = 0; i < 12; ++i) {
      sr.prompt_ids.push_back(rec.prompt_ids[i / 3]);
      sr.rollout_idx.push_back(static_cast<std::int32_t>(i % 3));
    }
    sr.lengths = rec.lengths;
    sr.correctness = rec.correctness;
    auto b = assemble_batch({sr}, rec.step);
    ASSERT_TRUE(b.ok());
    auto adv = lead::compute_advantages(o.estimator, b->batch, replay);
    ASSERT_TRUE(adv.ok());
    EXPECT_EQ(adv->advantages, rec.advantages);
    EXPECT_EQ(adv->w_corr, rec.w_corr);
    EXPECT_EQ(adv->lstar, rec.lstar);
    for (double l : rec.lengths) {
      EXPECT_GE(l, 1);
      EXPECT_LE(l, 12);
    }
    for (const char* key :
         {"lead/w_corr", "critic/accuracy", "response_length/mean", "timing/gen", "timing/train",
          "actor/pg_loss", "optim/grad_norm", "caf/bytes_per_step", "advantage/mean",
          "advantage/std", "reward/correctness/mean"}) {
      EXPECT_TRUE(rec.metrics.count(key)) << key;
    }
    // LEAD goes through the estimator entry point like every baseline: the controller logs
    // its summary of the very advantages it sent.
    double mean = 0;
    for (double a : rec.advantages) mean += a / static_cast<double>(rec.advantages.size());
    EXPECT_NEAR(rec.metrics.at("advantage/mean"), mean, 1e-12);
    EXPECT_EQ(adv->metrics.at("advantage/max"), rec.metrics.at("advantage/max"));
    EXPECT_EQ(rec.metrics.at("optim/steps"), 2.0);  // two mini-batches of two prompts
    EXPECT_NE(rec.parameter_checksum, 0u);
    EXPECT_GT(rec.caf_bytes, 0u);
  }
  // The learner changed the weights, and the checksum of the last step is the final one.
  ASSERT_EQ(s->final_parameters.size(), before_worker.size());
  EXPECT_NE(s->final_parameters, before_worker);
  EXPECT_EQ(s->steps.back().parameter_checksum, s->final_checksum);
  // One JSONL line per step.
  std::ifstream in(std::string(LEADRL_BINARY_DIR) + "/protocol_test.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_EQ(line.rfind("{\"step\":" + std::to_string(lines) + ",", 0), 0u);
  }
  EXPECT_EQ(lines, 3);
}

// The level of each prompt of a step (by the run's own worker).
std::vector<int> step_levels(const std::vector<int>& levels, const step_record& rec) {
  std::vector<int> out;
  for (auto id : rec.prompt_ids) out.push_back(levels[static_cast<std::size_t>(id)]);
  return out;
}

TEST(Protocol, CurriculumDrawsEasyPromptsUntilItsStepAndResumesAcrossTheSwitch) {
  const std::string dir = std::string(LEADRL_BINARY_DIR) + "/curriculum_snapshots";
  std::filesystem::remove_all(dir);
  auto o = tiny({"data.train_size=48", "data.arith_max_difficulty=3",
                 "data.arith_curriculum_step=2", "data.arith_curriculum_max_difficulty=1",
                 "trainer.total_steps=4", "trainer.save_freq=2", "trainer.snapshot_dir=" + dir});
  const auto levels = [&] {
    auto coll = make_local_collectives();
    return rank_worker::create(o, 0, 1, *coll).value()->prompt_levels();
  }();
  ASSERT_EQ(levels.size(), 48u);
  auto s = run_local(o);
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->steps.size(), 4u);
  std::set<int> late;
  for (const auto& rec : s->steps) {
    const auto seen = step_levels(levels, rec);
    if (rec.step <= 2) {
      EXPECT_EQ(seen, std::vector<int>(4, 1)) << rec.step;
      EXPECT_EQ(rec.metrics.count("level2/rollouts") + rec.metrics.count("level3/rollouts"), 0u);
    } else {
      late.insert(seen.begin(), seen.end());
    }
    // Every step logs its levels' figures, skip rates included.
    EXPECT_EQ(rec.metrics.count("level1/skip_rate"), rec.metrics.count("level1/rollouts"));
    double rollouts = 0;
    for (int d = 1; d <= 3; ++d) {
      const std::string key = "level" + std::to_string(d) + "/rollouts";
      if (rec.metrics.count(key)) rollouts += rec.metrics.at(key);
    }
    EXPECT_EQ(rollouts, 12.0) << rec.step;
  }
  EXPECT_GT(late.size(), 1u);  // after the switch, harder levels too
  // Resumed from the snapshot at the switch step, steps 3-4 draw the same prompts.
  auto r = o;
  r.resume_path = dir + "/step_000002.h5";
  auto resumed = run_local(r);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message();
  ASSERT_EQ(resumed->steps.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(resumed->steps[k].prompt_ids, s->steps[k + 2].prompt_ids);
    EXPECT_EQ(resumed->steps[k].lengths, s->steps[k + 2].lengths);
  }
  EXPECT_EQ(resumed->final_checksum, s->final_checksum);
}

TEST(Protocol, SameSeedSameRunDifferentSeedDifferentRollouts) {
  auto a = run_local(tiny({"trainer.total_steps=1", "algorithm.adv_estimator=grpo"}));
  auto b = run_local(tiny({"trainer.total_steps=1", "algorithm.adv_estimator=grpo"}));
  auto c =
      run_local(tiny({"trainer.total_steps=1", "algorithm.adv_estimator=grpo", "trainer.seed=7"}));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->final_parameters, b->final_parameters);
  EXPECT_EQ(a->steps[0].lengths, b->steps[0].lengths);
  EXPECT_EQ(a->steps[0].w_corr, 1.0);  // single-reward estimator
  EXPECT_NE(a->steps[0].prompt_ids, c->steps[0].prompt_ids);
}

// rollout.staleness = 1: step t+1 is generated from the weights before step t's update,
// and the PPO ratio takes the generator's recorded log-probs. At step 1 both runs generate
// from the initial weights, so with one update per step the recorded log-probs must agree
// with the learner's forward pass (ratio 1, nothing clipped).
TEST(Protocol, OverlappedStepsTrainOnTheRecordedBehaviourLogProbs) {
  // Kimi's length reward gives advantages even when every answer of the random model is
  // wrong, so the updates move the weights.
  const std::vector<std::string> one_update{"actor.ppo_mini_batch_size=4",
                                            "algorithm.adv_estimator=kimi"};
  auto sync = run_local(tiny(one_update));
  auto overlap_opts = one_update;
  overlap_opts.push_back("rollout.staleness=1");
  auto overlap = run_local(tiny(overlap_opts));
  auto again = run_local(tiny(overlap_opts));
  ASSERT_TRUE(sync.ok()) << sync.error().message();
  ASSERT_TRUE(overlap.ok()) << overlap.error().message();
  ASSERT_TRUE(again.ok()) << again.error().message();
  ASSERT_EQ(overlap->steps.size(), 3u);
  EXPECT_EQ(overlap->final_parameters, again->final_parameters);
  EXPECT_NE(overlap->final_parameters, sync->final_parameters);
  const auto& s1 = sync->steps[0].metrics;
  const auto& o1 = overlap->steps[0].metrics;
  EXPECT_EQ(sync->steps[0].lengths, overlap->steps[0].lengths);
  EXPECT_EQ(s1.at("actor/ppo_kl"), 0.0);
  EXPECT_NEAR(o1.at("actor/ppo_kl"), 0.0, 1e-6);
  EXPECT_EQ(o1.at("actor/pg_clipfrac"), 0.0);
  EXPECT_NEAR(o1.at("actor/pg_loss"), s1.at("actor/pg_loss"), 1e-6);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(sync->steps[k].metrics.at("rollout/staleness"), 0.0) << "step " << k + 1;
    EXPECT_EQ(overlap->steps[k].metrics.at("rollout/staleness"), k == 0 ? 0.0 : 1.0)
        << "step " << k + 1;
  }
}

TEST(Protocol, RankCountersNameTheirChecksumSchemeAndRestoreChecksEither) {
  auto o = tiny();
  auto coll = make_local_collectives();
  auto w = rank_worker::create(o, 0, 1, *coll);
  ASSERT_TRUE(w.ok()) << w.error().message();
  io::rank_state counters = (*w)->rank_counters();
  EXPECT_EQ(counters.int64_counters.at("parameter_checksum_scheme"), 2);
  EXPECT_TRUE((*w)->restore_rank_counters(counters).ok());
  // A scheme this build does not know is refused, naming it.
  auto future = counters;
  future.int64_counters["parameter_checksum_scheme"] = 3;
  auto refused = (*w)->restore_rank_counters(future);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("parameter_checksum_scheme 3"), std::string::npos)
      << refused.error().message();
  // A snapshot from before the scheme holds FNV-1a over the parameter bytes (float32 here,
  // in order: the same bytes as the flat parameters).
  auto old = counters;
  old.int64_counters.erase("parameter_checksum_scheme");
  EXPECT_FALSE((*w)->restore_rank_counters(old).ok());  // the digest is not FNV-1a
  const auto flat = (*w)->flat_parameters();
  old.int64_counters["parameter_checksum"] = static_cast<std::int64_t>(
      fnv1a64_bytes(flat.data(), flat.size() * sizeof(float), k_leadrl_checksum_offset));
  EXPECT_TRUE((*w)->restore_rank_counters(old).ok());
}

TEST(Protocol, WorkerRejectsAPlanThatDoesNotMatchTheStore) {
  auto o = tiny();
  auto coll = make_local_collectives();
  auto w = rank_worker::create(o, 0, 1, *coll);
  ASSERT_TRUE(w.ok()) << w.error().message();
  ASSERT_TRUE((*w)->generate(generate_request{1, 0, {0, 1}, 3}).ok());
  auto scored = (*w)->grade(1);
  EXPECT_EQ(scored.prompt_ids.size(), 6u);
  step_plan bad;
  bad.step = 1;
  bad.advantages.assign(5, 0.0);
  auto t = (*w)->train(bad, true);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("5 advantages for 6"), std::string::npos);
  EXPECT_FALSE((*w)->generate(generate_request{2, 0, {999}, 3}).ok());
}

}  // namespace
}  // namespace leadrl::actors
