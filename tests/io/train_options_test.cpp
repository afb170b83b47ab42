#include "io/train_options.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "io/sft_options.hpp"

namespace leadrl::io {
namespace {

std::string write_ini(const std::string& name, const std::string& text) {
  const std::string path = std::string(LEADRL_BINARY_DIR) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(TrainOptions, DefaultsAndOverridesBothStyles) {
  const auto ini = write_ini("train_opts_ok.ini",
                             "[algorithm]\nadv_estimator = grpo\n[data]\ntrain_batch_size = 16\n");
  auto o = load_train_options(ini, {"--actor.lr=3e-4", "rollout.n=6", "trainer.progress=false"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->estimator.name, "grpo");
  EXPECT_EQ(o->data.train_batch_size, 16);
  EXPECT_DOUBLE_EQ(o->actor.lr, 3e-4);
  EXPECT_EQ(o->rollout.n, 6);
  EXPECT_FALSE(o->trainer.progress);
  EXPECT_EQ(o->trainer.seed, 42u);
  EXPECT_FALSE(o->estimator.lead.static_lambda_corr.has_value());
  EXPECT_NE(o->config_text.find("adv_estimator"), std::string::npos);
}

TEST(TrainOptions, LeadKnobsReachTheEstimator) {
  auto o = load_train_options(
      "", {"algorithm.lead_alpha=2", "algorithm.lead_beta=0.5", "algorithm.lead_lambda_min=0.1",
           "algorithm.lead_bmax=64", "algorithm.lead_lstar_floor=8", "algorithm.lead_short_len=4",
           "algorithm.lead_lstar_mode=max_asym", "algorithm.lead_aggregator=median_correct",
           "algorithm.lead_static_lambda_corr=0.25", "algorithm.lead_lstar_table=table",
           "algorithm.adv_estimator=arora"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  const auto& L = o->estimator.lead;
  EXPECT_DOUBLE_EQ(L.alpha, 2);
  EXPECT_DOUBLE_EQ(L.beta, 0.5);
  EXPECT_DOUBLE_EQ(L.lambda_min, 0.1);
  EXPECT_DOUBLE_EQ(L.bmax, 64);
  EXPECT_DOUBLE_EQ(L.lstar_floor, 8);
  EXPECT_DOUBLE_EQ(L.short_len, 4);
  EXPECT_EQ(L.lstar_mode, lead::efficiency_mode::max_asym);
  EXPECT_EQ(L.aggregator, lead::length_aggregator::median_correct);
  ASSERT_TRUE(L.static_lambda_corr.has_value());
  EXPECT_DOUBLE_EQ(*L.static_lambda_corr, 0.25);
  EXPECT_EQ(L.lstar_table, lead::length_target_mode::table);
  EXPECT_EQ(o->estimator.name, "arora_zanette");  // alias resolved
}

// Each bad case names its key (or file) in the message.
struct bad_case {
  std::vector<std::string> overrides;
  std::string names;
};

TEST(TrainOptions, BadValuesNameTheKey) {
  const std::vector<bad_case> cases = {
      {{"no.such_key=1"}, "no.such_key"},
      {{"algorithm.unknown=1"}, "algorithm.unknown"},
      {{"actor.lr=abc"}, "actor.lr"},
      {{"actor.lr=-1"}, "actor.lr"},
      {{"rollout.n=0"}, "rollout.n"},
      {{"rollout.temperature=0"}, "rollout.temperature"},
      {{"rollout.top_p=1.5"}, "rollout.top_p"},
      {{"data.task=images"}, "data.task"},
      {{"data.task=jsonl"}, "data.train_files"},
      {{"data.task=jsonl", "data.train_files=/nonexistent/x.jsonl"}, "/nonexistent/x.jsonl"},
      {{"model.path=/nonexistent/model"}, "/nonexistent/model"},
      {{"model.device=gpu"}, "model.device: expected cpu, cuda or cuda:N (N a GPU index), got 'gpu'"},
      {{"model.device=cuda:"}, "model.device"},
      {{"model.device=cuda:1x"}, "model.device"},
      {{"model.dtype=float64"}, "model.dtype"},
      {{"algorithm.adv_estimator=ppo2"}, "algorithm.adv_estimator"},
      {{"algorithm.lead_beta=1.5"}, "algorithm.lead_beta"},
      {{"algorithm.lead_lambda_min=-0.1"}, "algorithm.lead_lambda_min"},
      {{"algorithm.lead_lstar_mode=sym"}, "algorithm.lead_lstar_mode"},
      {{"algorithm.lead_aggregator=max"}, "algorithm.lead_aggregator"},
      {{"algorithm.lead_static_lambda_corr=2"}, "algorithm.lead_static_lambda_corr"},
      {{"algorithm.lead_lstar_floor=0"}, "algorithm.lead_lstar_floor"},
      {{"algorithm.lead_lstar_table=cache"}, "algorithm.lead_lstar_table"},
      {{"actor.kl_loss_type=js"}, "actor.kl_loss_type"},
      {{"actor.loss_agg_mode=sum"}, "actor.loss_agg_mode"},
      {{"actor.clip_ratio_low=1"}, "actor.clip_ratio_low"},
      {{"data.train_batch_size=8", "actor.ppo_mini_batch_size=3"}, "actor.ppo_mini_batch_size"},
      {{"trainer.total_steps=0"}, "trainer.total_steps"},
      {{"trainer.progress=maybe"}, "trainer.progress"},
      {{"runtime.backend=gloo"}, "runtime.backend"},
      {{"runtime.grad_reduce_dtype=float16"}, "runtime.grad_reduce_dtype"},
      {{"runtime.collective_timeout_s=0"}, "runtime.collective_timeout_s"},
      {{"model.hidden_size=30", "model.num_heads=4"}, "model.num_heads"},
      {{"actor.lr"}, "actor.lr"},
      {{"data.arith_max_digits=5"}, "data.arith_max_digits"},
      {{"data.arith_curriculum_step=-1"}, "data.arith_curriculum_step"},
      {{"data.arith_curriculum_step=10", "data.arith_curriculum_max_difficulty=3"},
       "data.arith_curriculum_max_difficulty"},
      {{"data.arith_curriculum_step=10", "data.task=jsonl",
        "data.train_files=" + std::string(__FILE__)},
       "data.arith_curriculum_step"},
  };
  for (const auto& c : cases) {
    auto o = load_train_options("", c.overrides);
    ASSERT_FALSE(o.ok()) << c.overrides.front();
    EXPECT_NE(o.error().message().find(c.names), std::string::npos)
        << c.overrides.front() << " -> " << o.error().message();
  }
}

TEST(TrainOptions, MissingAndBadFilesNameTheFile) {
  auto missing = load_train_options("/nonexistent/run.ini", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("/nonexistent/run.ini"), std::string::npos);
  const auto ini = write_ini("train_opts_bad.ini", "[actor]\nlearning_rate = 1\n");
  auto unknown = load_train_options(ini, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("actor.learning_rate"), std::string::npos)
      << unknown.error().message();
}

TEST(TrainOptions, HelpListsEveryOptionWithDefault) {
  std::ostringstream out;
  const auto schema = train_schema();
  schema.print_help(out);
  const std::string text = out.str();
  for (const auto& name : schema.names()) {
    EXPECT_NE(text.find("--" + name + "  (default"), std::string::npos) << name;
  }
  for (const char* must : {"algorithm.lead_alpha", "algorithm.lead_lstar_table", "actor.ppo_epochs",
                           "runtime.checksum_freq", "trainer.log_jsonl", "rollout.top_k"}) {
    EXPECT_NE(text.find(must), std::string::npos) << must;
  }
}

TEST(TrainOptions, HelpPrintsDefaultsAsWritten) {
  std::ostringstream train_help;
  train_schema().print_help(train_help);
  EXPECT_NE(train_help.str().find("--algorithm.shorterbetter_beta  (default 0.001)\n"),
            std::string::npos)
      << train_help.str();
  EXPECT_NE(train_help.str().find("--actor.lr  (default 1e-06)\n"), std::string::npos);
  std::ostringstream sft_help;
  sft_schema().print_help(sft_help);
  EXPECT_NE(sft_help.str().find("--sft.lr  (default 0.003)\n"), std::string::npos)
      << sft_help.str();
  EXPECT_NE(sft_help.str().find("--sft.eval_temperature  (default 0.8)\n"), std::string::npos);
  // The stored configuration keeps every digit (snapshots compare it line by line).
  auto cfg = load_config(sft_schema(), "", {});
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_NE(cfg->text().find("lr = 0.0030000000000000001\n"), std::string::npos);
}

// Each default is written once, in the options structs: the schema's default of every key
// equals the field of a default-constructed train_options, written back through the table.
TEST(TrainOptions, SchemaDefaultsAreTheStructDefaults) {
  const auto schema = train_schema();
  auto from_schema = load_config(schema, "", {});
  ASSERT_TRUE(from_schema.ok()) << from_schema.error().message();
  const auto overrides = train_option_overrides(train_options{});
  ASSERT_EQ(overrides.size(), schema.names().size());
  auto from_struct = load_config(schema, "", overrides);
  ASSERT_TRUE(from_struct.ok()) << from_struct.error().message();
  EXPECT_EQ(from_schema->text(), from_struct->text());

  auto o = read_train_options(*from_schema);
  ASSERT_TRUE(o.ok()) << o.error().message();
  const train_options d;
  EXPECT_EQ(o->data.task, d.data.task);
  EXPECT_EQ(o->data.train_size, d.data.train_size);
  EXPECT_EQ(o->model.init_seed, d.model.init_seed);
  EXPECT_EQ(o->rollout.top_p, d.rollout.top_p);
  EXPECT_EQ(o->estimator.name, d.estimator.name);
  EXPECT_EQ(o->estimator.lead.alpha, d.estimator.lead.alpha);
  EXPECT_EQ(o->estimator.lead.lambda_min, d.estimator.lead.lambda_min);
  EXPECT_EQ(o->estimator.lead.static_lambda_corr, d.estimator.lead.static_lambda_corr);
  EXPECT_EQ(o->estimator.lead.lstar_mode, d.estimator.lead.lstar_mode);
  EXPECT_EQ(o->estimator.lead.lstar_table, d.estimator.lead.lstar_table);
  EXPECT_EQ(o->estimator.lead.grpo_epsilon, d.estimator.lead.grpo_epsilon);
  EXPECT_EQ(o->estimator.threshold.len, d.estimator.threshold.len);
  EXPECT_EQ(o->estimator.dapo.overlong.l_cache, d.estimator.dapo.overlong.l_cache);
  EXPECT_EQ(o->actor.lr, d.actor.lr);
  EXPECT_EQ(o->trainer.seed, d.trainer.seed);
  EXPECT_EQ(o->trainer.progress, d.trainer.progress);
  EXPECT_EQ(o->runtime.heartbeat_timeout_s, d.runtime.heartbeat_timeout_s);

  auto sft = load_sft_options("", {});
  ASSERT_TRUE(sft.ok()) << sft.error().message();
  const sft_section sd;
  EXPECT_EQ(sft->sft.lr, sd.lr);
  EXPECT_EQ(sft->sft.seed, sd.seed);
  EXPECT_EQ(sft->sft.eval_temperature, sd.eval_temperature);
  EXPECT_EQ(sft->sft.output_dir, sd.output_dir);
}

// The SFT answer mixture (issue 17): its keys at their default leave the fingerprint as it
// was before they existed (cached checkpoints stay valid); other values change it; bad
// values are named.
TEST(SftOptions, AnswerMixKeys) {
  auto plain = load_sft_options("", {});
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_EQ(plain->sft.minimal_share, 0.0);
  EXPECT_EQ(plain->sft.fused_share, 0.0);
  EXPECT_EQ(plain->fingerprint.find("minimal_share"), std::string::npos) << plain->fingerprint;
  EXPECT_EQ(plain->fingerprint.find("fused_share"), std::string::npos);
  auto explicit_zero = load_sft_options("", {"sft.fused_share=0"});
  ASSERT_TRUE(explicit_zero.ok());
  EXPECT_EQ(explicit_zero->fingerprint, plain->fingerprint);

  auto mixed = load_sft_options("", {"sft.minimal_share=0.25", "sft.fused_share=0.25"});
  ASSERT_TRUE(mixed.ok()) << mixed.error().message();
  EXPECT_EQ(mixed->sft.minimal_share, 0.25);
  EXPECT_EQ(mixed->sft.fused_share, 0.25);
  EXPECT_NE(mixed->fingerprint.find("fused_share"), std::string::npos);
  EXPECT_NE(mixed->fingerprint, plain->fingerprint);

  auto above_one = load_sft_options("", {"sft.fused_share=1.5"});
  ASSERT_FALSE(above_one.ok());
  EXPECT_NE(above_one.error().message().find("sft.fused_share"), std::string::npos);
  auto negative = load_sft_options("", {"sft.minimal_share=-0.1"});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error().message().find("sft.minimal_share"), std::string::npos);
  auto sum = load_sft_options("", {"sft.minimal_share=0.6", "sft.fused_share=0.5"});
  ASSERT_FALSE(sum.ok());
  EXPECT_NE(sum.error().message().find("sft.fused_share"), std::string::npos)
      << sum.error().message();
  EXPECT_NE(sum.error().message().find("<= 1"), std::string::npos);
  EXPECT_TRUE(load_sft_options("", {"sft.minimal_share=0.5", "sft.fused_share=0.5"}).ok());
}

// The fair test's task keys: the digit cap at its default (0) leaves the fingerprint as it
// was, another value changes it; the curriculum keys are RL-only and never change it.
TEST(SftOptions, DigitCapAndCurriculumKeysInTheFingerprint) {
  auto plain = load_sft_options("", {});
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_EQ(plain->fingerprint.find("arith_max_digits"), std::string::npos) << plain->fingerprint;
  EXPECT_EQ(plain->fingerprint.find("arith_curriculum"), std::string::npos);
  auto zero = load_sft_options("", {"data.arith_max_digits=0"});
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->fingerprint, plain->fingerprint);
  auto one = load_sft_options("", {"data.arith_max_digits=1"});
  ASSERT_TRUE(one.ok());
  EXPECT_NE(one->fingerprint.find("arith_max_digits = 1"), std::string::npos) << one->fingerprint;
  auto curriculum = load_sft_options(
      "", {"data.arith_curriculum_step=150", "data.arith_curriculum_max_difficulty=2"});
  ASSERT_TRUE(curriculum.ok()) << curriculum.error().message();
  EXPECT_EQ(curriculum->fingerprint, plain->fingerprint);
}

// Values other than the defaults survive the table's writing and reading exactly.
TEST(TrainOptions, OverridesOfTheTableReadBackExactly) {
  train_options want;
  want.estimator.lead.lambda_min = 0.15;
  want.estimator.lead.static_lambda_corr = 0.1;
  want.estimator.lead.lstar_mode = lead::efficiency_mode::max_asym;
  want.estimator.lead.lstar_table = lead::length_target_mode::table;
  want.estimator.name = "arora_zanette";
  want.actor.lr = 3e-4;
  want.trainer.seed = 7;
  want.trainer.log_jsonl = "";
  want.runtime.backend = "nccl";
  auto o = load_train_options("", train_option_overrides(want));
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->estimator.lead.lambda_min, 0.15);
  EXPECT_EQ(o->estimator.lead.static_lambda_corr, std::optional<double>(0.1));
  EXPECT_EQ(o->estimator.lead.lstar_mode, lead::efficiency_mode::max_asym);
  EXPECT_EQ(o->estimator.lead.lstar_table, lead::length_target_mode::table);
  EXPECT_EQ(o->estimator.name, "arora_zanette");
  EXPECT_EQ(o->actor.lr, 3e-4);
  EXPECT_EQ(o->trainer.seed, 7u);
  EXPECT_EQ(o->runtime.backend, "nccl");
}

// lead::validate_config is the rule set of algorithm.lead_*; its messages name the key.
TEST(TrainOptions, LeadRulesNameTheKeyTheRangeAndTheValue) {
  auto o = load_train_options("", {"algorithm.lead_lambda_min=-0.1"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message(),
            "algorithm.lead_lambda_min: expected a number in [0, 1], got -0.1");
  o = load_train_options("", {"algorithm.lead_lstar_table_history=0"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message(),
            "algorithm.lead_lstar_table_history: expected an integer >= 1, got 0");
  o = load_train_options("", {"algorithm.lead_static_lambda_corr=abc"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message(),
            "algorithm.lead_static_lambda_corr: expected none or a number, got 'abc'");
  o = load_train_options("", {"data.train_size=0"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message(), "data.train_size: expected an integer >= 1, got 0");
  o = load_train_options("", {"rollout.top_p=1.5"});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message(), "rollout.top_p: expected a number in (0, 1], got 1.5");
}

TEST(TrainOptions, ShippedConfigsParse) {
  for (const char* name : {"arith_tiny_lead.ini", "arith_tiny_grpo.ini",
                           "r1_distill_1p5b_math_lead.ini", "r1_distill_1p5b_math_grpo.ini"}) {
    const std::string path = std::string(LEADRL_SOURCE_DIR) + "/configs/" + name;
    auto cfg = io::load_config(train_schema(), path, {});
    ASSERT_TRUE(cfg.ok()) << name << ": " << cfg.error().message();
    if (std::string(name).rfind("arith", 0) == 0) {
      auto o = read_train_options(*cfg);
      EXPECT_TRUE(o.ok()) << name << ": " << o.error().message();
    }
  }
}

}  // namespace
}  // namespace leadrl::io
