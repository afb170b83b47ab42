// The by-name estimator registry: every name runs on the worked-example batch of
// spec/vectors/baselines_vectors.json, the baselines reproduce the file's cases through
// the registry, state persists across steps, and bad names/inputs are error values.
#include "lead/estimator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "tests/support/shared_data.hpp"

namespace leadrl::lead {
namespace {

using nlohmann::json;

class Estimator : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    file_ = test::read_json(test::env_or("LEADRL_BASELINE_VECTORS",
                                         test::shared_path("spec/vectors/baselines_vectors.json")));
  }

  /// The file's worked-example batch (uids numbered by first appearance).
  static rollout_batch worked_batch() {
    const json& b = file_.at("batch");
    rollout_batch batch;
    std::map<std::string, prompt_id> ids;
    for (const auto& u : b.at("uids")) {
      batch.prompt_ids.push_back(
          ids.try_emplace(u.get<std::string>(), static_cast<prompt_id>(ids.size())).first->second);
    }
    for (const auto& v : b.at("lengths")) batch.lengths.push_back(v.get<double>());
    for (const auto& v : b.at("correct")) batch.correctness.push_back(v.get<double>());
    for (const auto& v : b.at("truncated")) batch.truncated.push_back(v.get<bool>());
    return batch;
  }

  static const json& find_case(const std::string& name) {
    for (const json& c : file_.at("cases")) {
      if (c.at("name") == name) return c;
    }
    throw std::runtime_error("no case " + name);
  }

  static std::vector<double> expected(const std::string& case_name, const std::string& field) {
    std::vector<double> out;
    for (const auto& v : find_case(case_name).at("expected").at(field)) out.push_back(v);
    return out;
  }

  /// Extra inputs for the worked batch: L1 budgets of case l1_exact_and_max and an
  /// O1-Pruner reference of 2000 tokens at accuracy 0.5.
  static estimator_inputs worked_inputs() {
    estimator_inputs in;
    for (const auto& v : find_case("l1_exact_and_max").at("inputs").at("n_gold")) {
      in.n_gold.push_back(v);
    }
    in.ref_mean_length.assign(in.n_gold.size(), 2000.0);
    in.ref_mean_accuracy.assign(in.n_gold.size(), 0.5);
    return in;
  }

  /// The estimator `name` with default parameters on the worked batch, from a fresh state.
  static result<estimator_output> run_on_worked_batch(const std::string& name) {
    estimator_config config;
    config.name = name;
    estimator_state state = make_estimator_state(config);
    return compute_advantages(config, worked_batch(), state, worked_inputs());
  }

  static json file_;
};
json Estimator::file_;

void expect_close(const std::vector<double>& got, const std::vector<double>& exp,
                  const std::string& what) {
  ASSERT_EQ(got.size(), exp.size()) << what;
  for (std::size_t i = 0; i < exp.size(); ++i) {
    EXPECT_NEAR(got[i], exp[i], 1e-9 + 1e-9 * std::abs(exp[i])) << what << " [" << i << "]";
  }
}

TEST_F(Estimator, EveryNameRunsOnTheWorkedBatch) {
  const rollout_batch batch = worked_batch();
  ASSERT_GE(estimator_names().size(), 18u);
  for (const std::string& name : estimator_names()) {
    const auto out = run_on_worked_batch(name);
    ASSERT_TRUE(out.ok()) << name << ": " << out.error().message();
    ASSERT_EQ(out->advantages.size(), batch.size()) << name;
    for (double a : out->advantages) EXPECT_TRUE(std::isfinite(a)) << name;
    const bool multi_reward = name == "lead" || name == "gdpo";
    EXPECT_EQ(out->rewards.empty(), multi_reward) << name;
    EXPECT_EQ(out->metrics.count("advantage/mean"), 1u) << name;
    // Every estimator separates the mixed group p1: its wrong row (index 2) is worst.
    for (std::size_t i : {0, 1, 3}) {
      EXPECT_GT(out->advantages[i], out->advantages[2]) << name << " row " << i;
    }
  }
}

// One door for every method: each logs the same summary metrics, computed from what it
// returned, and LEAD alone carries PSI weights and L* targets.
TEST_F(Estimator, EveryMethodLogsTheSameSummaryMetrics) {
  const rollout_batch batch = worked_batch();
  const group_index groups = index_groups(batch.prompt_ids);
  for (const std::string& name : estimator_names()) {
    const auto out = run_on_worked_batch(name);
    ASSERT_TRUE(out.ok()) << name << ": " << out.error().message();
    for (const char* stat : {"mean", "std", "min", "max"}) {
      EXPECT_EQ(out->metrics.count(std::string("advantage/") + stat), 1u) << name << " " << stat;
      EXPECT_EQ(out->metrics.count(std::string("reward/correctness/") + stat), 1u)
          << name << " " << stat;
    }
    double adv_mean = 0, adv_max = out->advantages.front(), corr_mean = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      adv_mean += out->advantages[i] / static_cast<double>(batch.size());
      adv_max = std::max(adv_max, out->advantages[i]);
      corr_mean += batch.correctness[i] / static_cast<double>(batch.size());
    }
    EXPECT_NEAR(out->metrics.at("advantage/mean"), adv_mean, 1e-12) << name;
    EXPECT_EQ(out->metrics.at("advantage/max"), adv_max) << name;
    EXPECT_NEAR(out->metrics.at("reward/correctness/mean"), corr_mean, 1e-12) << name;
    EXPECT_NEAR(out->w_corr + out->w_eff, 1.0, 1e-12) << name;
    if (name == "lead") {
      EXPECT_EQ(out->lstar_prompt_ids, groups.prompts);
      EXPECT_EQ(out->lstar.size(), groups.prompts.size());
      EXPECT_EQ(out->metrics.count("reward/efficiency/mean"), 1u);
      EXPECT_EQ(out->w_corr, out->metrics.at("lead/w_corr"));
      EXPECT_EQ(out->metrics.count("reward/mean"), 0u);  // no single reward
    } else {
      EXPECT_EQ(out->w_corr, 1.0) << name;
      EXPECT_TRUE(out->lstar.empty()) << name;
      EXPECT_EQ(out->metrics.count("reward/mean"), out->rewards.empty() ? 0u : 1u) << name;
    }
  }
}

TEST_F(Estimator, RegistryReproducesTheBaselineVectors) {
  const rollout_batch batch = worked_batch();
  const estimator_inputs inputs = worked_inputs();
  struct check {
    const char* name;
    const char* case_name;
    const char* field;
  };
  for (const check& c : {check{"grpo", "grpo_correctness_only", "advantages"},
                         check{"arora", "arora_zanette_alpha_0p1", "whitened_advantages"},
                         check{"arora_zanette", "arora_zanette_alpha_0p1", "rewards"},
                         check{"lead_repo_grpo", "lead_repo_grpo_conditioned_T2000", "advantages"},
                         check{"kimi", "kimi_len_reward", "advantages"},
                         check{"l1_exact", "l1_exact_and_max", "exact_advantages"},
                         check{"l1_max", "l1_exact_and_max", "max_advantages_paper"},
                         check{"thinkprune", "thinkprune_limit_4000", "advantages"},
                         check{"shorterbetter", "shorterbetter_sol", "advantages"},
                         check{"laser", "laser_family", "laser_advantages"}}) {
    estimator_config config;
    config.laser.target = 2048;  // the case's L_T
    estimator_state state;
    const auto out = compute_advantages(c.name, config, batch, state, inputs);
    ASSERT_TRUE(out.ok()) << c.name << ": " << out.error().message();
    const std::string field = c.field;
    expect_close(field == "rewards" ? out->rewards : out->advantages,
                 expected(c.case_name, c.field), std::string(c.name) + " vs " + c.case_name);
  }
  // GDPO through the registry: correctness, the all-zero format (skipped), length T = 2000.
  estimator_config config;
  estimator_state state;
  const auto g = compute_advantages("gdpo", config, batch, state);
  ASSERT_TRUE(g.ok()) << g.error().message();
  expect_close(g->advantages, expected("gdpo_corr_plus_len", "whitened_advantages"), "gdpo");
  EXPECT_EQ(g->metrics.at("gdpo/components_used"), 2.0);
}

TEST_F(Estimator, LeadAndHapoCarryStateAcrossSteps) {
  const rollout_batch batch = worked_batch();
  estimator_config config;
  estimator_state state = make_estimator_state(config);
  ASSERT_TRUE(compute_advantages("lead", config, batch, state).ok());
  EXPECT_EQ(state.lead.step_count, 1);
  EXPECT_TRUE(state.lead.initialized);
  EXPECT_EQ(state.lstar_table.size(), 4u);
  const auto second = compute_advantages("lead", config, batch, state);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(state.lead.step_count, 2);
  // Token-weighted whitening: the final advantages have token-weighted mean 0.
  double tokens = 0, sum = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    tokens += batch.lengths[i];
    sum += batch.lengths[i] * second->advantages[i];
  }
  EXPECT_NEAR(sum / tokens, 0.0, 1e-9);

  // HAPO: step 1 has no history (reward = correctness), then p1, p3, p4 have one.
  const auto h1 = compute_advantages("hapo", config, batch, state);
  ASSERT_TRUE(h1.ok()) << h1.error().message();
  EXPECT_EQ(h1->rewards, batch.correctness);
  EXPECT_EQ(h1->metrics.at("hapo/groups_with_history"), 0.0);
  EXPECT_EQ(state.hapo.size(), 3u);
  EXPECT_EQ(state.hapo.lookup(0).value(), 1200.0);
  const auto h2 = compute_advantages("hapo", config, batch, state);
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(h2->metrics.at("hapo/groups_with_history"), 3.0);
  EXPECT_NE(h2->rewards, batch.correctness);
  // The history survives a round trip through its snapshot columns.
  const auto restored = hapo_history::from_columns(state.hapo.to_columns());
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->lookup(2), state.hapo.lookup(2));
  EXPECT_FALSE(restored->lookup(1).has_value());
}

TEST_F(Estimator, UnknownNameListsEveryValidName) {
  estimator_config config;
  config.name = "ppo_magic";
  estimator_state state;
  const auto out = compute_advantages(config, worked_batch(), state);
  ASSERT_FALSE(out.ok());
  const std::string& msg = out.error().message();
  EXPECT_NE(msg.find("'ppo_magic'"), std::string::npos) << msg;
  for (const std::string& name : estimator_names()) {
    EXPECT_NE(msg.find(name), std::string::npos) << name << " missing from: " << msg;
  }
  EXPECT_EQ(canonical_estimator_name("arora").value(), "arora_zanette");
}

TEST_F(Estimator, BadInputsAreErrorsAndLeaveStateUnchanged) {
  estimator_config config;
  estimator_state state = make_estimator_state(config);
  rollout_batch bad = worked_batch();
  bad.lengths[5] = -2;
  const auto lead = compute_advantages("lead", config, bad, state);
  ASSERT_FALSE(lead.ok());
  EXPECT_NE(lead.error().message().find("lengths[5]"), std::string::npos) << lead.error().message();
  EXPECT_EQ(state.lead.step_count, 0);
  EXPECT_EQ(state.lstar_table.size(), 0u);
  EXPECT_FALSE(compute_advantages("hapo", config, bad, state).ok());
  EXPECT_EQ(state.hapo.size(), 0u);

  EXPECT_FALSE(compute_advantages("grpo", config, rollout_batch{}, state).ok());

  const auto l1 = compute_advantages("l1_exact", config, worked_batch(), state);
  ASSERT_FALSE(l1.ok());
  EXPECT_NE(l1.error().message().find("n_gold"), std::string::npos) << l1.error().message();

  estimator_inputs short_inputs;
  short_inputs.ref_mean_length = {1000.0};
  const auto o1 = compute_advantages("o1_pruner", config, worked_batch(), state, short_inputs);
  ASSERT_FALSE(o1.ok());
  EXPECT_NE(o1.error().message().find("ref_mean_length"), std::string::npos);

  // RLOO needs two rollouts per prompt.
  rollout_batch single{{1, 2, 2}, {100, 200, 300}, {1, 0, 1}, {}, {}};
  const auto arora = compute_advantages("arora", config, single, state);
  ASSERT_FALSE(arora.ok());
  EXPECT_NE(arora.error().message().find("prompt 1"), std::string::npos);

  config.arora_zanette.alpha = 1.5;
  EXPECT_FALSE(compute_advantages("arora", config, worked_batch(), state).ok());
}

}  // namespace
}  // namespace leadrl::lead
