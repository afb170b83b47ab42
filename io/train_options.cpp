#include "io/train_options.hpp"

#include <filesystem>

#include "io/arith_task.hpp"
#include "io/option_table.hpp"
#include "lead/efficiency_reward.hpp"
#include "lead/length_target.hpp"
#include "lead/length_target_table.hpp"

namespace leadrl::io {

namespace {

using lead::estimator_config;
using lead::lead_config;

// Each section's keys, in --help order; defaults come from the structs of train_options.hpp.

option_table<data_options> data_table() {
  using d = data_options;
  option_table<d> t;
  t.add("data.task", &d::task, "prompt source: arith (built-in task) or jsonl",
        one_of({"arith", "jsonl"}));
  t.add("data.train_files", &d::train_files, "jsonl: training set (MATH-style JSONL)");
  t.add("data.train_size", &d::train_size, "arith: number of training problems", int_range(1));
  t.add("data.arith_min_difficulty", &d::arith_min_difficulty, "arith: lowest difficulty (1..5)",
        int_range(1, 5));
  t.add("data.arith_max_difficulty", &d::arith_max_difficulty,
        "arith: highest difficulty (1..5)");  // range in check_cross_rules
  t.add("data.arith_max_digits", &d::arith_max_digits,
        "arith: operand digits at most, at every level (0: each level's own, 1-2 at levels 1-2 "
        "and 2 above)",
        int_range(0, arith_digits_limit));
  t.add("data.arith_curriculum_step", &d::arith_curriculum_step,
        "arith: steps 1..N draw only the training prompts of levels up to "
        "data.arith_curriculum_max_difficulty, later steps all of them (0 = no curriculum)",
        int_range(0));
  t.add("data.arith_curriculum_max_difficulty", &d::arith_curriculum_max_difficulty,
        "arith: highest level before data.arith_curriculum_step "
        "(data.arith_min_difficulty..data.arith_max_difficulty)");  // range in check_cross_rules
  t.add("data.train_batch_size", &d::train_batch_size, "prompts per step over all ranks",
        int_range(1));
  t.add("data.max_prompt_length", &d::max_prompt_length,
        "longest prompt in tokens (chat template included); longer prompts are dropped at start, "
        "counted in the log, never cut",
        int_range(1));
  t.add("data.max_response_length", &d::max_response_length, "generated tokens per rollout at most",
        int_range(1));
  return t;
}

status need_directory(const std::string& key, const std::string& path) {
  if (!path.empty() && !std::filesystem::is_directory(path)) {
    return fail(key + ": no such directory '" + path + "'");
  }
  return status::success();
}

}  // namespace

status check_device_name(const std::string& key, const std::string& value) {
  const std::string cuda = "cuda:";
  bool ok = value == "cpu" || value == "cuda";
  if (!ok && value.size() > cuda.size() && value.size() <= cuda.size() + 4 &&
      value.compare(0, cuda.size(), cuda) == 0) {
    ok = value.find_first_not_of("0123456789", cuda.size()) == std::string::npos;
  }
  if (ok) return status::success();
  return fail(key + ": expected cpu, cuda or cuda:N (N a GPU index), got '" + value + "'");
}

namespace {

option_table<model_options> model_table() {
  using m = model_options;
  option_table<m> t;
  t.add("model.path", &m::path, "HF model directory; empty: random tiny decoder", need_directory);
  t.add("model.hidden_size", &m::hidden_size, "random model: hidden size", int_range(1));
  t.add("model.num_layers", &m::num_layers, "random model: decoder layers", int_range(1));
  t.add("model.num_heads", &m::num_heads, "random model: attention heads", int_range(1));
  t.add("model.num_kv_heads", &m::num_kv_heads,
        "random model: key/value heads");  // range in check_cross_rules
  t.add("model.intermediate_size", &m::intermediate_size, "random model: MLP width", int_range(1));
  t.add("model.init_seed", &m::init_seed, "random model: initialisation seed");
  t.add("model.device", &m::device,
        "where the policy runs: cpu, cuda (the node-local rank's GPU, one rank per GPU) or "
        "cuda:N",
        check_device_name);
  t.add("model.dtype", &m::dtype,
        "policy compute dtype: float32, or bfloat16 (float32 master weights and AdamW state; "
        "log-probs and losses in float32)",
        one_of({"float32", "bfloat16"}));
  return t;
}

option_table<rollout_options> rollout_table() {
  using r = rollout_options;
  option_table<r> t;
  t.add("rollout.n", &r::n, "rollouts per prompt (G)", int_range(1));
  t.add("rollout.temperature", &r::temperature, "sampling temperature (> 0)", real_above(0));
  t.add("rollout.top_p", &r::top_p, "nucleus sampling mass in (0, 1]",
        real_range(0, 1, true, false));
  t.add("rollout.top_k", &r::top_k, "keep the k most likely tokens (0 = all)", int_range(0));
  t.add("rollout.max_batch", &r::max_batch, "sequences decoded together per rank", int_range(1));
  t.add("rollout.staleness", &r::staleness,
        "steps the generating weights may lag the learner: 0 = synchronous steps; k >= 1 = "
        "generation overlaps the update of the step before, the PPO ratio against the "
        "behaviour log-probs recorded while sampling (a snapshot step drains the overlap)",
        int_range(0, 16));
  return t;
}

// algorithm.lead_*: no rules here; lead::validate_config is the one rule set of these
// keys (check_cross_rules maps its field names to the keys).
option_table<lead_config> lead_table() {
  using l = lead_config;
  option_table<l> t;
  t.add("algorithm.lead_alpha", &l::alpha, "LEAD potential exponent (>= 0)");
  t.add("algorithm.lead_beta", &l::beta, "LEAD EMA momentum in [0, 1]");
  t.add("algorithm.lead_epsilon", &l::epsilon, "LEAD CV / normalisation guard (> 0)");
  t.add("algorithm.lead_lambda_min", &l::lambda_min, "LEAD floor on w_corr in [0, 1]");
  t.add("algorithm.lead_bmax", &l::bmax, "LEAD upper clamp of L* (tokens, >= 1)");
  t.add_parsed(
      "algorithm.lead_lstar_mode", &l::lstar_mode,
      "efficiency reward: max_sym, max_asym, upper_only",
      [](const std::string& s) { return lead::parse_efficiency_mode(s); },
      [](lead::efficiency_mode m) { return std::string(lead::to_string(m)); });
  t.add_parsed(
      "algorithm.lead_aggregator", &l::aggregator,
      "L* aggregator: mean_correct, min_correct, median_correct, mean_all",
      [](const std::string& s) { return lead::parse_length_aggregator(s); },
      [](lead::length_aggregator a) { return std::string(lead::to_string(a)); });
  t.add("algorithm.lead_static_lambda_corr", &l::static_lambda_corr,
        "static w_corr in [0, 1], or none for the PSI controller");
  t.add("algorithm.lead_lstar_floor", &l::lstar_floor, "LEAD lower clamp of L* (tokens, > 0)");
  t.add("algorithm.lead_short_len", &l::short_len, "max_asym short cut-off (tokens, >= 0)");
  t.add_parsed(
      "algorithm.lead_lstar_table", &l::lstar_table,
      "L* source: group (this step) or table (persistent per prompt)",
      [](const std::string& s) { return lead::parse_length_target_mode(s); },
      [](lead::length_target_mode m) { return std::string(lead::to_string(m)); });
  t.add("algorithm.lead_lstar_table_history", &l::lstar_table_history,
        "table mode: history H (>= 1)");
  return t;
}

// The baselines' parameters (spec/baselines.md), after algorithm.adv_estimator and lead_*.
void add_baseline_options(option_table<estimator_config>& t) {
  using e = estimator_config;
  const auto finite = real_finite();
  t.add("algorithm.grpo_epsilon", &e::grpo_epsilon, "added to the group std (GRPO family)",
        real_above(0));
  t.add(
      "algorithm.arora_alpha", [](auto& c) -> auto& { return c.arora_zanette.alpha; },
      "arora: penalty strength in [0, 1)", real_range(0, 1, false, true));
  t.add(
      "algorithm.threshold_lam_corr", [](auto& c) -> auto& { return c.threshold.lam_corr; },
      "lead_repo_grpo: correctness weight", finite);
  t.add(
      "algorithm.threshold_lam_len", [](auto& c) -> auto& { return c.threshold.lam_len; },
      "lead_repo_grpo: length-bonus weight", finite);
  t.add(
      "algorithm.threshold_len", [](auto& c) -> auto& { return c.threshold.len; },
      "lead_repo_grpo: length threshold", finite);
  t.add("algorithm.kimi_weight", &e::kimi_weight, "kimi: length-reward weight", finite);
  t.add("algorithm.thinkprune_limit", &e::thinkprune_limit, "thinkprune: length limit (tokens)",
        finite);
  t.add(
      "algorithm.shorterbetter_alpha", [](auto& c) -> auto& { return c.shorterbetter.alpha; },
      "shorterbetter: alpha", finite);
  t.add(
      "algorithm.shorterbetter_beta", [](auto& c) -> auto& { return c.shorterbetter.beta; },
      "shorterbetter: beta", finite);
  t.add(
      "algorithm.hapo_weight", [](auto& c) -> auto& { return c.hapo.weight; },
      "hapo: length-reward weight", finite);
  t.add(
      "algorithm.dapo_l_max", [](auto& c) -> auto& { return c.dapo.overlong.l_max; },
      "dapo_overlong: generation limit", finite);
  t.add(
      "algorithm.dapo_l_cache", [](auto& c) -> auto& { return c.dapo.overlong.l_cache; },
      "dapo_overlong: ramp width", finite);
  t.add(
      "algorithm.laser_target", [](auto& c) -> auto& { return c.laser.target; },
      "laser: target length", finite);
  t.add(
      "algorithm.gdpo_length_threshold", [](auto& c) -> auto& { return c.gdpo.length_threshold; },
      "gdpo: length threshold", finite);
}

option_table<estimator_config> algorithm_table() {
  option_table<estimator_config> t;
  t.add_parsed(
      "algorithm.adv_estimator", &estimator_config::name,
      "advantage estimator: lead, grpo, grpo_no_std, gdpo, arora (arora_zanette), "
      "lead_repo_grpo, kimi, thinkprune, shorterbetter, hapo, dapo_overlong, laser, laser_d, "
      "laser_de",
      [](const std::string& s) { return lead::canonical_estimator_name(s); },
      [](const std::string& s) { return s; });
  t.include(lead_table(), &estimator_config::lead);
  add_baseline_options(t);
  return t;
}

option_table<actor_options> actor_table() {
  using a = actor_options;
  option_table<a> t;
  t.add("actor.lr", &a::lr, "AdamW learning rate (>= 0)", real_at_least(0));
  t.add("actor.weight_decay", &a::weight_decay, "AdamW weight decay (>= 0)", real_at_least(0));
  t.add("actor.warmup", &a::warmup, "optimizer steps of linear warmup (>= 0)", int_range(0));
  t.add("actor.lr_schedule", &a::lr_schedule, "constant or cosine", one_of({"constant", "cosine"}));
  t.add("actor.grad_clip", &a::grad_clip, "global gradient-norm clip (<= 0: off)", real_finite());
  t.add("actor.clip_ratio_low", &a::clip_ratio_low, "PPO ratio clip below, in [0, 1)",
        real_range(0, 1, false, true));
  t.add("actor.clip_ratio_high", &a::clip_ratio_high, "PPO ratio clip above (>= 0)",
        real_at_least(0));
  t.add("actor.entropy_coeff", &a::entropy_coeff, "entropy bonus weight (>= 0)", real_at_least(0));
  t.add("actor.kl_loss_coef", &a::kl_loss_coef, "KL-loss weight against the initial policy (>= 0)",
        real_at_least(0));
  t.add("actor.kl_loss_type", &a::kl_loss_type, "kl, abs, mse, low_var_kl",
        one_of({"kl", "k1", "abs", "mse", "k2", "low_var_kl", "k3"}));
  t.add("actor.loss_agg_mode", &a::loss_agg_mode,
        "token-mean, seq-mean-token-sum, seq-mean-token-mean",
        one_of({"token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "token_mean",
                "seq_mean_token_sum", "seq_mean_token_mean"}));
  t.add("actor.ppo_mini_batch_size", &a::ppo_mini_batch_size,
        "prompts per optimizer step (global)");  // range in check_cross_rules
  t.add("actor.ppo_micro_batch_size", &a::ppo_micro_batch_size,
        "rollouts per forward/backward on one rank", int_range(1));
  t.add("actor.ppo_epochs", &a::ppo_epochs, "passes over the step batch (>= 1)", int_range(1));
  t.add("actor.use_dynamic_bsz", &a::use_dynamic_bsz,
        "micro-batches by padded tokens (ppo_max_token_len_per_gpu), rows sorted by length, "
        "instead of ppo_micro_batch_size rows");
  t.add("actor.ppo_max_token_len_per_gpu", &a::ppo_max_token_len_per_gpu,
        "with use_dynamic_bsz: rows x longest row (prompt + response tokens) per micro-batch "
        "(a longer row gets a micro-batch of its own)",
        int_range(1));
  return t;
}

option_table<trainer_options> trainer_table() {
  using r = trainer_options;
  option_table<r> t;
  t.add("trainer.total_steps", &r::total_steps, "training steps", int_range(1));
  t.add("trainer.seed", &r::seed, "data order and rollout seeds");
  t.add("trainer.save_freq", &r::save_freq,
        "snapshot every N steps and at the last step (0 = never); resume with "
        "--resume auto|PATH",
        int_range(0));
  t.add("trainer.snapshot_dir", &r::snapshot_dir,
        "snapshot directory (step_NNNNNN.h5), relative to the working directory; "
        "must be on a filesystem every rank sees");
  t.add("trainer.keep_last", &r::keep_last, "newest snapshots kept in trainer.snapshot_dir (>= 1)",
        int_range(1, 1000000));
  t.add("trainer.log_jsonl", &r::log_jsonl, "metrics file, one JSON line per step");
  t.add("trainer.rollout_data_dir", &r::rollout_data_dir,
        "write every rollout (prompt and its ids, response text, reference, grade, length, "
        "truncation) to DIR/step_NNNNNN.rank<R>.jsonl (\"\" = off)");
  t.add("trainer.progress", &r::progress, "progress line per step on stderr");
  t.add("trainer.timing", &r::timing, "print the step-time breakdown at the end");
  t.add("trainer.max_nonfinite_steps", &r::max_nonfinite_steps,
        "stop the run (exit 1) after this many consecutive steps with an update skipped for a "
        "NaN/Inf loss or gradient on some rank (0 = never stop)",
        int_range(0, 1000000));
  return t;
}

option_table<runtime_options> runtime_table() {
  using r = runtime_options;
  option_table<r> t;
  t.add("runtime.scheduler_threads", &r::scheduler_threads, "CAF scheduler threads per rank",
        int_range(1, 256));
  t.add("runtime.collective_timeout_s", &r::collective_timeout_s, "deadline of each collective (s)",
        real_above(0, "a number of seconds"));
  t.add("runtime.backend", &r::backend, "tensor collectives: mpi or nccl", one_of({"mpi", "nccl"}));
  t.add("runtime.checksum_freq", &r::checksum_freq, "parameter checksum every N steps (0 = never)",
        int_range(0));
  t.add("runtime.grad_reduce_dtype", &r::grad_reduce_dtype,
        "gradient all-reduce buckets: float32, or bfloat16 (half the bytes; rounds each sum)",
        one_of({"float32", "bfloat16"}));
  t.add("runtime.step_timeout_s", &r::step_timeout_s, "controller's deadline for one step (s)",
        real_above(0, "a number of seconds"));
  t.add("runtime.heartbeat_timeout_s", &r::heartbeat_timeout_s,
        "a rank silent to the controller's heartbeat this long ends the job (s, 0 = off)",
        real_at_least(0, "a number of seconds"));
  return t;
}

const option_table<train_options>& train_table() {
  static const option_table<train_options> table = [] {
    option_table<train_options> t;
    t.include(data_table(), &train_options::data);
    t.include(model_table(), &train_options::model);
    t.include(rollout_table(), &train_options::rollout);
    t.include(algorithm_table(), &train_options::estimator);
    t.include(actor_table(), &train_options::actor);
    t.include(trainer_table(), &train_options::trainer);
    t.include(runtime_table(), &train_options::runtime);
    return t;
  }();
  return table;
}

std::string divisor_message(const char* key, const char* of, std::int64_t whole,
                            std::int64_t part) {
  return std::string(key) + ": expected a divisor of " + of + " (" + std::to_string(whole) +
         "), got " + std::to_string(part);
}

// The rules that relate keys to each other or to files; the single-key rules are the
// table's, and lead::validate_config is algorithm.lead_*'s.
status check_cross_rules(train_options& o) {
  const auto& d = o.data;
  if (d.task == "jsonl") {
    if (d.train_files.empty()) return fail("data.train_files: required when data.task=jsonl");
    if (!std::filesystem::is_regular_file(d.train_files)) {
      return fail("data.train_files: no such file '" + d.train_files + "'");
    }
  }
  LEADRL_TRY(
      need_int("data.arith_max_difficulty", d.arith_max_difficulty, d.arith_min_difficulty, 5));
  if (d.arith_curriculum_step > 0) {
    if (d.task != "arith") return fail("data.arith_curriculum_step: needs data.task=arith");
    LEADRL_TRY(need_int("data.arith_curriculum_max_difficulty", d.arith_curriculum_max_difficulty,
                        d.arith_min_difficulty, d.arith_max_difficulty));
  }
  const auto& m = o.model;
  if (m.hidden_size % m.num_heads != 0) {
    return fail(
        divisor_message("model.num_heads", "model.hidden_size", m.hidden_size, m.num_heads));
  }
  LEADRL_TRY(need_int("model.num_kv_heads", m.num_kv_heads, 1, m.num_heads));
  if (m.num_heads % m.num_kv_heads != 0) {
    return fail(
        divisor_message("model.num_kv_heads", "model.num_heads", m.num_heads, m.num_kv_heads));
  }
  auto& e = o.estimator;
  e.lead.grpo_epsilon = e.grpo_epsilon;  // one key for every GRPO-style normaliser
  LEADRL_TRY(lead::validate_config(e.lead, "algorithm.lead_"));
  const auto& a = o.actor;
  LEADRL_TRY(need_int("actor.ppo_mini_batch_size", a.ppo_mini_batch_size, 1, d.train_batch_size));
  if (d.train_batch_size % a.ppo_mini_batch_size != 0) {
    return fail(divisor_message("actor.ppo_mini_batch_size", "data.train_batch_size",
                                d.train_batch_size, a.ppo_mini_batch_size));
  }
  if (o.trainer.save_freq > 0 && o.trainer.snapshot_dir.empty()) {
    return fail("trainer.snapshot_dir: expected a directory when trainer.save_freq > 0, got ''");
  }
  return status::success();
}

}  // namespace

io::config_schema train_schema() {
  io::config_schema s;
  train_table().declare(s);
  return s;
}

std::vector<std::string> train_option_overrides(const train_options& options) {
  return train_table().overrides(options);
}

result<train_options> read_train_options(const io::config& cfg) {
  train_options o;
  LEADRL_TRY(train_table().read(cfg, o));
  LEADRL_TRY(check_cross_rules(o));
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
