#include "io/train_options.hpp"

#include <cmath>
#include <filesystem>

#include "lead/efficiency_reward.hpp"
#include "lead/length_target.hpp"
#include "lead/length_target_table.hpp"

namespace leadrl::io {

namespace {

using i64 = std::int64_t;
using io::need_int;
using io::need_real;

status need_choice(const std::string& key, const std::string& value,
                   const std::vector<std::string>& choices) {
  for (const auto& c : choices) {
    if (value == c) return status::success();
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  return fail(key + ": expected one of " + list + ", got '" + value + "'");
}

constexpr double inf = HUGE_VAL;

}  // namespace

io::config_schema train_schema() {
  io::config_schema s;
  // data.*
  s.add<std::string>("data.task", "arith", "prompt source: arith (built-in task) or jsonl");
  s.add<std::string>("data.train_files", "", "jsonl: training set (MATH-style JSONL)");
  s.add<i64>("data.train_size", 256, "arith: number of training problems");
  s.add<i64>("data.arith_min_difficulty", 1, "arith: lowest difficulty (1..5)");
  s.add<i64>("data.arith_max_difficulty", 2, "arith: highest difficulty (1..5)");
  s.add<i64>("data.train_batch_size", 8, "prompts per step over all ranks");
  s.add<i64>("data.max_prompt_length", 64, "prompt tokens kept (the last ones)");
  s.add<i64>("data.max_response_length", 48, "generated tokens per rollout at most");
  // model.*
  s.add<std::string>("model.path", "", "HF model directory; empty: random tiny decoder");
  s.add<i64>("model.hidden_size", 32, "random model: hidden size");
  s.add<i64>("model.num_layers", 1, "random model: decoder layers");
  s.add<i64>("model.num_heads", 2, "random model: attention heads");
  s.add<i64>("model.num_kv_heads", 1, "random model: key/value heads");
  s.add<i64>("model.intermediate_size", 64, "random model: MLP width");
  s.add<i64>("model.init_seed", 1, "random model: initialisation seed");
  // rollout.*
  s.add<i64>("rollout.n", 4, "rollouts per prompt (G)");
  s.add<double>("rollout.temperature", 1.0, "sampling temperature (> 0)");
  s.add<double>("rollout.top_p", 1.0, "nucleus sampling mass in (0, 1]");
  s.add<i64>("rollout.top_k", 0, "keep the k most likely tokens (0 = all)");
  s.add<i64>("rollout.max_batch", 16, "sequences decoded together per rank");
  // algorithm.*
  s.add<std::string>("algorithm.adv_estimator", "lead",
                     "advantage estimator: lead, grpo, grpo_no_std, gdpo, arora (arora_zanette), "
                     "lead_repo_grpo, kimi, thinkprune, shorterbetter, hapo, dapo_overlong, "
                     "laser, laser_d, laser_de");
  s.add<double>("algorithm.lead_alpha", 1.0, "LEAD potential exponent (>= 0)");
  s.add<double>("algorithm.lead_beta", 0.95, "LEAD EMA momentum in [0, 1]");
  s.add<double>("algorithm.lead_epsilon", 1e-8, "LEAD CV / normalisation guard (> 0)");
  s.add<double>("algorithm.lead_lambda_min", 0.3, "LEAD floor on w_corr in [0, 1]");
  s.add<double>("algorithm.lead_bmax", 8000.0, "LEAD upper clamp of L* (tokens, >= 1)");
  s.add<std::string>("algorithm.lead_lstar_mode", "max_sym",
                     "efficiency reward: max_sym, max_asym, upper_only");
  s.add<std::string>("algorithm.lead_aggregator", "mean_correct",
                     "L* aggregator: mean_correct, min_correct, median_correct, mean_all");
  s.add<std::string>("algorithm.lead_static_lambda_corr", "none",
                     "static w_corr in [0, 1], or none for the PSI controller");
  s.add<double>("algorithm.lead_lstar_floor", 1000.0, "LEAD lower clamp of L* (tokens, > 0)");
  s.add<double>("algorithm.lead_short_len", 500.0, "max_asym short cut-off (tokens, >= 0)");
  s.add<std::string>("algorithm.lead_lstar_table", "group",
                     "L* source: group (this step) or table (persistent per prompt)");
  s.add<i64>("algorithm.lead_lstar_table_history", 32, "table mode: history H (>= 1)");
  s.add<double>("algorithm.grpo_epsilon", 1e-6, "added to the group std (GRPO family)");
  s.add<double>("algorithm.arora_alpha", 0.1, "arora: penalty strength in [0, 1)");
  s.add<double>("algorithm.threshold_lam_corr", 1.0, "lead_repo_grpo: correctness weight");
  s.add<double>("algorithm.threshold_lam_len", 1.0, "lead_repo_grpo: length-bonus weight");
  s.add<double>("algorithm.threshold_len", 2000.0, "lead_repo_grpo: length threshold");
  s.add<double>("algorithm.kimi_weight", 1.0, "kimi: length-reward weight");
  s.add<double>("algorithm.thinkprune_limit", 4000.0, "thinkprune: length limit (tokens)");
  s.add<double>("algorithm.shorterbetter_alpha", 2.0, "shorterbetter: alpha");
  s.add<double>("algorithm.shorterbetter_beta", 0.001, "shorterbetter: beta");
  s.add<double>("algorithm.hapo_weight", 1.0, "hapo: length-reward weight");
  s.add<double>("algorithm.dapo_l_max", 20480.0, "dapo_overlong: generation limit");
  s.add<double>("algorithm.dapo_l_cache", 4096.0, "dapo_overlong: ramp width");
  s.add<double>("algorithm.laser_target", 2048.0, "laser: target length");
  s.add<double>("algorithm.gdpo_length_threshold", 2000.0, "gdpo: length threshold");
  // actor.*
  s.add<double>("actor.lr", 1e-6, "AdamW learning rate (>= 0)");
  s.add<double>("actor.weight_decay", 0.01, "AdamW weight decay (>= 0)");
  s.add<i64>("actor.warmup", 0, "optimizer steps of linear warmup (>= 0)");
  s.add<std::string>("actor.lr_schedule", "constant", "constant or cosine");
  s.add<double>("actor.grad_clip", 1.0, "global gradient-norm clip (<= 0: off)");
  s.add<double>("actor.clip_ratio_low", 0.2, "PPO ratio clip below, in [0, 1)");
  s.add<double>("actor.clip_ratio_high", 0.2, "PPO ratio clip above (>= 0)");
  s.add<double>("actor.entropy_coeff", 0.0, "entropy bonus weight (>= 0)");
  s.add<double>("actor.kl_loss_coef", 0.0, "KL-loss weight against the initial policy (>= 0)");
  s.add<std::string>("actor.kl_loss_type", "low_var_kl", "kl, abs, mse, low_var_kl");
  s.add<std::string>("actor.loss_agg_mode", "token-mean",
                     "token-mean, seq-mean-token-sum, seq-mean-token-mean");
  s.add<i64>("actor.ppo_mini_batch_size", 8, "prompts per optimizer step (global)");
  s.add<i64>("actor.ppo_micro_batch_size", 8, "rollouts per forward/backward on one rank");
  s.add<i64>("actor.ppo_epochs", 1, "passes over the step batch (>= 1)");
  // trainer.*
  s.add<i64>("trainer.total_steps", 10, "training steps");
  s.add<i64>("trainer.seed", 42, "data order and rollout seeds");
  s.add<i64>("trainer.save_freq", 0,
             "snapshot every N steps and at the last step (0 = never); resume with "
             "--resume auto|PATH");
  s.add<std::string>("trainer.snapshot_dir", "snapshots",
                     "snapshot directory (step_NNNNNN.h5), relative to the working directory; "
                     "must be on a filesystem every rank sees");
  s.add<i64>("trainer.keep_last", 3, "newest snapshots kept in trainer.snapshot_dir (>= 1)");
  s.add<std::string>("trainer.log_jsonl", "", "metrics file, one JSON line per step");
  s.add<bool>("trainer.progress", true, "progress line per step on stderr");
  s.add<bool>("trainer.timing", false, "print the step-time breakdown at the end");
  // runtime.*
  s.add<i64>("runtime.scheduler_threads", 2, "CAF scheduler threads per rank");
  s.add<double>("runtime.collective_timeout_s", 120.0, "deadline of each collective (s)");
  s.add<std::string>("runtime.backend", "mpi", "tensor collectives: mpi or nccl");
  s.add<i64>("runtime.checksum_freq", 1, "parameter checksum every N steps (0 = never)");
  s.add<double>("runtime.step_timeout_s", 600.0, "controller's deadline for one step (s)");
  s.add<double>("runtime.heartbeat_timeout_s", 20.0,
                "a rank silent to the controller's heartbeat this long ends the job (s, 0 = off)");
  return s;
}

result<train_options> read_train_options(const io::config& cfg) {
  train_options o;
  auto S = [&](const char* k) { return cfg.get<std::string>(k); };
  auto I = [&](const char* k) { return cfg.get<i64>(k); };
  auto D = [&](const char* k) { return cfg.get<double>(k); };

  auto& d = o.data;
  d.task = S("data.task");
  LEADRL_TRY(need_choice("data.task", d.task, {"arith", "jsonl"}));
  d.train_files = S("data.train_files");
  if (d.task == "jsonl") {
    if (d.train_files.empty()) return fail("data.train_files: required when data.task=jsonl");
    if (!std::filesystem::is_regular_file(d.train_files)) {
      return fail("data.train_files: no such file '" + d.train_files + "'");
    }
  }
  d.train_size = I("data.train_size");
  LEADRL_TRY(need_int("data.train_size", d.train_size, 1));
  d.arith_min_difficulty = I("data.arith_min_difficulty");
  LEADRL_TRY(need_int("data.arith_min_difficulty", d.arith_min_difficulty, 1, 5));
  d.arith_max_difficulty = I("data.arith_max_difficulty");
  LEADRL_TRY(
      need_int("data.arith_max_difficulty", d.arith_max_difficulty, d.arith_min_difficulty, 5));
  d.train_batch_size = I("data.train_batch_size");
  LEADRL_TRY(need_int("data.train_batch_size", d.train_batch_size, 1));
  d.max_prompt_length = I("data.max_prompt_length");
  LEADRL_TRY(need_int("data.max_prompt_length", d.max_prompt_length, 1));
  d.max_response_length = I("data.max_response_length");
  LEADRL_TRY(need_int("data.max_response_length", d.max_response_length, 1));

  auto& m = o.model;
  m.path = S("model.path");
  if (!m.path.empty() && !std::filesystem::is_directory(m.path)) {
    return fail("model.path: no such directory '" + m.path + "'");
  }
  m.hidden_size = I("model.hidden_size");
  LEADRL_TRY(need_int("model.hidden_size", m.hidden_size, 1));
  m.num_layers = I("model.num_layers");
  LEADRL_TRY(need_int("model.num_layers", m.num_layers, 1));
  m.num_heads = I("model.num_heads");
  LEADRL_TRY(need_int("model.num_heads", m.num_heads, 1));
  if (m.hidden_size % m.num_heads != 0) {
    return fail("model.num_heads: expected a divisor of model.hidden_size (" +
                std::to_string(m.hidden_size) + "), got " + std::to_string(m.num_heads));
  }
  m.num_kv_heads = I("model.num_kv_heads");
  LEADRL_TRY(need_int("model.num_kv_heads", m.num_kv_heads, 1, m.num_heads));
  if (m.num_heads % m.num_kv_heads != 0) {
    return fail("model.num_kv_heads: expected a divisor of model.num_heads (" +
                std::to_string(m.num_heads) + "), got " + std::to_string(m.num_kv_heads));
  }
  m.intermediate_size = I("model.intermediate_size");
  LEADRL_TRY(need_int("model.intermediate_size", m.intermediate_size, 1));
  LEADRL_TRY(need_int("model.init_seed", I("model.init_seed"), 0));
  m.init_seed = static_cast<std::uint64_t>(I("model.init_seed"));

  auto& r = o.rollout;
  r.n = I("rollout.n");
  LEADRL_TRY(need_int("rollout.n", r.n, 1));
  r.temperature = D("rollout.temperature");
  LEADRL_TRY(need_real("rollout.temperature", r.temperature, 0, inf, true, false, "a number > 0"));
  r.top_p = D("rollout.top_p");
  LEADRL_TRY(need_real("rollout.top_p", r.top_p, 0, 1, true, false, "a number in (0, 1]"));
  r.top_k = I("rollout.top_k");
  LEADRL_TRY(need_int("rollout.top_k", r.top_k, 0));
  r.max_batch = I("rollout.max_batch");
  LEADRL_TRY(need_int("rollout.max_batch", r.max_batch, 1));

  auto& e = o.estimator;
  auto name = lead::canonical_estimator_name(S("algorithm.adv_estimator"));
  if (!name) return fail("algorithm.adv_estimator: " + name.error().message());
  e.name = *name;
  auto& L = e.lead;
  L.alpha = D("algorithm.lead_alpha");
  LEADRL_TRY(need_real("algorithm.lead_alpha", L.alpha, 0, inf, false, false, "a number >= 0"));
  L.beta = D("algorithm.lead_beta");
  LEADRL_TRY(need_real("algorithm.lead_beta", L.beta, 0, 1, false, false, "a number in [0, 1]"));
  L.epsilon = D("algorithm.lead_epsilon");
  LEADRL_TRY(need_real("algorithm.lead_epsilon", L.epsilon, 0, inf, true, false, "a number > 0"));
  L.lambda_min = D("algorithm.lead_lambda_min");
  LEADRL_TRY(need_real("algorithm.lead_lambda_min", L.lambda_min, 0, 1, false, false,
                       "a number in [0, 1]"));
  L.bmax = D("algorithm.lead_bmax");
  LEADRL_TRY(need_real("algorithm.lead_bmax", L.bmax, 1, inf, false, false, "a number >= 1"));
  auto mode = lead::parse_efficiency_mode(S("algorithm.lead_lstar_mode"));
  if (!mode) return fail("algorithm.lead_lstar_mode: " + mode.error().message());
  L.lstar_mode = *mode;
  auto agg = lead::parse_length_aggregator(S("algorithm.lead_aggregator"));
  if (!agg) return fail("algorithm.lead_aggregator: " + agg.error().message());
  L.aggregator = *agg;
  const std::string fixed = S("algorithm.lead_static_lambda_corr");
  if (fixed != "none" && fixed != "null" && !fixed.empty()) {
    std::size_t used = 0;
    double w = NAN;
    try {
      w = std::stod(fixed, &used);
    } catch (...) {
      used = 0;
    }
    if (used != fixed.size() || !(w >= 0 && w <= 1)) {
      return fail("algorithm.lead_static_lambda_corr: expected none or a number in [0, 1], got '" +
                  fixed + "'");
    }
    L.static_lambda_corr = w;
  }
  L.lstar_floor = D("algorithm.lead_lstar_floor");
  LEADRL_TRY(
      need_real("algorithm.lead_lstar_floor", L.lstar_floor, 0, inf, true, false, "a number > 0"));
  L.short_len = D("algorithm.lead_short_len");
  LEADRL_TRY(
      need_real("algorithm.lead_short_len", L.short_len, 0, inf, false, false, "a number >= 0"));
  auto table = lead::parse_length_target_mode(S("algorithm.lead_lstar_table"));
  if (!table) return fail("algorithm.lead_lstar_table: " + table.error().message());
  L.lstar_table = *table;
  L.lstar_table_history = I("algorithm.lead_lstar_table_history");
  LEADRL_TRY(need_int("algorithm.lead_lstar_table_history", L.lstar_table_history, 1));
  e.grpo_epsilon = D("algorithm.grpo_epsilon");
  LEADRL_TRY(
      need_real("algorithm.grpo_epsilon", e.grpo_epsilon, 0, inf, true, false, "a number > 0"));
  L.grpo_epsilon = e.grpo_epsilon;
  e.arora_zanette.alpha = D("algorithm.arora_alpha");
  LEADRL_TRY(need_real("algorithm.arora_alpha", e.arora_zanette.alpha, 0, 1, false, true,
                       "a number in [0, 1)"));
  e.threshold.lam_corr = D("algorithm.threshold_lam_corr");
  e.threshold.lam_len = D("algorithm.threshold_lam_len");
  e.threshold.len = D("algorithm.threshold_len");
  e.kimi_weight = D("algorithm.kimi_weight");
  e.thinkprune_limit = D("algorithm.thinkprune_limit");
  e.shorterbetter.alpha = D("algorithm.shorterbetter_alpha");
  e.shorterbetter.beta = D("algorithm.shorterbetter_beta");
  e.hapo.weight = D("algorithm.hapo_weight");
  e.dapo.overlong.l_max = D("algorithm.dapo_l_max");
  e.dapo.overlong.l_cache = D("algorithm.dapo_l_cache");
  e.laser.target = D("algorithm.laser_target");
  e.gdpo.length_threshold = D("algorithm.gdpo_length_threshold");
  for (const char* k :
       {"algorithm.threshold_lam_corr", "algorithm.threshold_lam_len", "algorithm.threshold_len",
        "algorithm.kimi_weight", "algorithm.thinkprune_limit", "algorithm.shorterbetter_alpha",
        "algorithm.shorterbetter_beta", "algorithm.hapo_weight", "algorithm.dapo_l_max",
        "algorithm.dapo_l_cache", "algorithm.laser_target", "algorithm.gdpo_length_threshold"}) {
    LEADRL_TRY(need_real(k, D(k), -inf, inf, false, false, "a finite number"));
  }
  {
    status st = lead::validate_config(L);
    if (!st) return fail("algorithm.lead_*: " + st.error().message());
  }

  auto& a = o.actor;
  a.lr = D("actor.lr");
  LEADRL_TRY(need_real("actor.lr", a.lr, 0, inf, false, false, "a number >= 0"));
  a.weight_decay = D("actor.weight_decay");
  LEADRL_TRY(
      need_real("actor.weight_decay", a.weight_decay, 0, inf, false, false, "a number >= 0"));
  a.warmup = I("actor.warmup");
  LEADRL_TRY(need_int("actor.warmup", a.warmup, 0));
  a.lr_schedule = S("actor.lr_schedule");
  LEADRL_TRY(need_choice("actor.lr_schedule", a.lr_schedule, {"constant", "cosine"}));
  a.grad_clip = D("actor.grad_clip");
  LEADRL_TRY(need_real("actor.grad_clip", a.grad_clip, -inf, inf, false, false, "a finite number"));
  a.clip_ratio_low = D("actor.clip_ratio_low");
  LEADRL_TRY(
      need_real("actor.clip_ratio_low", a.clip_ratio_low, 0, 1, false, true, "a number in [0, 1)"));
  a.clip_ratio_high = D("actor.clip_ratio_high");
  LEADRL_TRY(
      need_real("actor.clip_ratio_high", a.clip_ratio_high, 0, inf, false, false, "a number >= 0"));
  a.entropy_coeff = D("actor.entropy_coeff");
  LEADRL_TRY(
      need_real("actor.entropy_coeff", a.entropy_coeff, 0, inf, false, false, "a number >= 0"));
  a.kl_loss_coef = D("actor.kl_loss_coef");
  LEADRL_TRY(
      need_real("actor.kl_loss_coef", a.kl_loss_coef, 0, inf, false, false, "a number >= 0"));
  a.kl_loss_type = S("actor.kl_loss_type");
  LEADRL_TRY(need_choice("actor.kl_loss_type", a.kl_loss_type,
                         {"kl", "k1", "abs", "mse", "k2", "low_var_kl", "k3"}));
  a.loss_agg_mode = S("actor.loss_agg_mode");
  LEADRL_TRY(need_choice("actor.loss_agg_mode", a.loss_agg_mode,
                         {"token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "token_mean",
                          "seq_mean_token_sum", "seq_mean_token_mean"}));
  a.ppo_mini_batch_size = I("actor.ppo_mini_batch_size");
  LEADRL_TRY(need_int("actor.ppo_mini_batch_size", a.ppo_mini_batch_size, 1, d.train_batch_size));
  if (d.train_batch_size % a.ppo_mini_batch_size != 0) {
    return fail("actor.ppo_mini_batch_size: expected a divisor of data.train_batch_size (" +
                std::to_string(d.train_batch_size) + "), got " +
                std::to_string(a.ppo_mini_batch_size));
  }
  a.ppo_micro_batch_size = I("actor.ppo_micro_batch_size");
  LEADRL_TRY(need_int("actor.ppo_micro_batch_size", a.ppo_micro_batch_size, 1));
  a.ppo_epochs = I("actor.ppo_epochs");
  LEADRL_TRY(need_int("actor.ppo_epochs", a.ppo_epochs, 1));

  auto& t = o.trainer;
  t.total_steps = I("trainer.total_steps");
  LEADRL_TRY(need_int("trainer.total_steps", t.total_steps, 1));
  LEADRL_TRY(need_int("trainer.seed", I("trainer.seed"), 0));
  t.seed = static_cast<std::uint64_t>(I("trainer.seed"));
  t.save_freq = I("trainer.save_freq");
  LEADRL_TRY(need_int("trainer.save_freq", t.save_freq, 0));
  t.snapshot_dir = S("trainer.snapshot_dir");
  if (t.save_freq > 0 && t.snapshot_dir.empty()) {
    return fail("trainer.snapshot_dir: expected a directory when trainer.save_freq > 0, got ''");
  }
  t.keep_last = I("trainer.keep_last");
  LEADRL_TRY(need_int("trainer.keep_last", t.keep_last, 1, 1000000));
  t.log_jsonl = S("trainer.log_jsonl");
  t.progress = cfg.get<bool>("trainer.progress");
  t.timing = cfg.get<bool>("trainer.timing");

  auto& rt = o.runtime;
  rt.scheduler_threads = I("runtime.scheduler_threads");
  LEADRL_TRY(need_int("runtime.scheduler_threads", rt.scheduler_threads, 1, 256));
  rt.collective_timeout_s = D("runtime.collective_timeout_s");
  LEADRL_TRY(need_real("runtime.collective_timeout_s", rt.collective_timeout_s, 0, inf, true, false,
                       "a number of seconds > 0"));
  rt.backend = S("runtime.backend");
  LEADRL_TRY(need_choice("runtime.backend", rt.backend, {"mpi", "nccl"}));
  rt.checksum_freq = I("runtime.checksum_freq");
  LEADRL_TRY(need_int("runtime.checksum_freq", rt.checksum_freq, 0));
  rt.step_timeout_s = D("runtime.step_timeout_s");
  LEADRL_TRY(need_real("runtime.step_timeout_s", rt.step_timeout_s, 0, inf, true, false,
                       "a number of seconds > 0"));
  rt.heartbeat_timeout_s = D("runtime.heartbeat_timeout_s");
  LEADRL_TRY(need_real("runtime.heartbeat_timeout_s", rt.heartbeat_timeout_s, 0, inf, false, false,
                       "a number of seconds >= 0"));
  o.config_text = cfg.text();
  return o;
}

result<train_options> load_train_options(const std::string& ini_path,
                                         const std::vector<std::string>& overrides) {
  auto cfg = io::load_config(train_schema(), ini_path, overrides);
  if (!cfg) return cfg.error();
  return read_train_options(*cfg);
}

}  // namespace leadrl::io
