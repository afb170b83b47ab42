// File: io/train_options.hpp
//
// Every option of `leadrl train` (ARCHITECTURE.md §7) with the verl/reference names
// (data.*, model.*, rollout.*, algorithm.*, actor.*, trainer.*, runtime.*). The structs
// below hold each option's default (their member initializers; a field is named after the
// last part of its key); io/train_options.cpp declares each key once in an option table
// (io/option_table.hpp) from which come the schema, the reading and the checks. Each bad
// value is reported with its dotted key, the expected range and the value.
//
//   auto opts = io::load_train_options("configs/arith_tiny.ini", {"trainer.total_steps=3"});
//   if (!opts) { std::cerr << opts.error().message(); return 2; }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/config.hpp"
#include "io/hf_config.hpp"
#include "lead/estimator.hpp"

namespace leadrl::io {

/// data.*: where prompts come from and the step batch.
struct data_options {
  std::string task = "arith";             ///< "arith" (built-in task) or "jsonl" (MATH-style file)
  std::string train_files;                ///< jsonl: the training set (required for task=jsonl)
  std::int64_t train_size = 256;          ///< arith: number of training problems
  std::int64_t arith_min_difficulty = 1;  ///< arith: difficulty range drawn from
  std::int64_t arith_max_difficulty = 2;
  std::int64_t arith_max_digits = 0;  ///< arith: operand digits at most (0: each level's own)
  /// arith curriculum: steps 1..this draw only prompts of levels up to
  /// arith_curriculum_max_difficulty, later steps the whole set (0: no curriculum).
  std::int64_t arith_curriculum_step = 0;
  std::int64_t arith_curriculum_max_difficulty = 2;
  std::int64_t train_batch_size = 8;    ///< prompts per step (global, over all ranks)
  std::int64_t max_prompt_length = 64;  ///< longer prompts are dropped at start, never cut
  std::int64_t max_response_length = 48;
};

/// model.*: a Hugging Face directory, or a random tiny decoder over the character vocabulary.
struct model_options {
  std::string path;  ///< HF directory (config.json, safetensors, tokenizer.json); "" = random
  std::int64_t hidden_size = 32;  ///< random model only
  std::int64_t num_layers = 1;
  std::int64_t num_heads = 2;
  std::int64_t num_kv_heads = 1;
  std::int64_t intermediate_size = 64;
  std::uint64_t init_seed = 1;  ///< random model initialisation seed
  /// Where the policy lives: "cpu", "cuda" (the node-local rank's GPU) or "cuda:N".
  std::string device = "cpu";
  /// Compute dtype of the policy: "float32", or "bfloat16" (float32 master weights and
  /// optimizer state; log-probs, losses and advantages stay float32).
  std::string dtype = "float32";
};

/// Checks a model.device value's form: "cpu", "cuda" or "cuda:N" (N a decimal index).
/// Whether that device exists is model::resolve_device's question.
status check_device_name(const std::string& key, const std::string& value);

/// rollout.*: sampling of the generator.
struct rollout_options {
  std::int64_t n = 4;  ///< rollouts per prompt (G)
  double temperature = 1.0;
  double top_p = 1.0;
  std::int64_t top_k = 0;
  std::int64_t max_batch = 16;  ///< sequences decoded together
  /// Steps the generating weights may lag the learner (0: synchronous, each step generates
  /// with the weights of the step before; k >= 1: generation of step t+1 overlaps the
  /// update of step t, and the loss takes the behaviour log-probs recorded while sampling).
  std::int64_t staleness = 0;
};

/// actor.*: the PPO/GRPO update.
struct actor_options {
  double lr = 1e-6;
  double weight_decay = 0.01;
  std::int64_t warmup = 0;  ///< optimizer steps of linear warmup
  std::string lr_schedule = "constant";
  double grad_clip = 1.0;
  double clip_ratio_low = 0.2;
  double clip_ratio_high = 0.2;
  double entropy_coeff = 0.0;
  double kl_loss_coef = 0.0;
  std::string kl_loss_type = "low_var_kl";
  std::string loss_agg_mode = "token-mean";
  std::int64_t ppo_mini_batch_size = 8;   ///< prompts per optimizer step (global)
  std::int64_t ppo_micro_batch_size = 8;  ///< rollouts per forward/backward on one rank
  std::int64_t ppo_epochs = 1;
  /// Micro-batches by padded tokens instead of by rows: a mini-batch's rows sorted by
  /// length and cut so that rows x longest row <= ppo_max_token_len_per_gpu.
  bool use_dynamic_bsz = false;
  std::int64_t ppo_max_token_len_per_gpu = 16384;
};

/// trainer.*: the run.
struct trainer_options {
  std::int64_t total_steps = 10;
  std::uint64_t seed = 42;
  std::int64_t save_freq = 0;  ///< snapshots every N steps and at the last step (0 = never)
  std::string snapshot_dir = "snapshots";  ///< where step_%06d.h5 snapshots go
  std::int64_t keep_last = 3;              ///< newest snapshots kept in snapshot_dir
  std::string log_jsonl;                   ///< one JSON line of metrics per step ("" = none)
  /// Every rollout of a step as JSON lines in DIR/step_NNNNNN.rank<R>.jsonl ("" = none).
  std::string rollout_data_dir;
  bool progress = true;  ///< a progress line per step on stderr
  bool timing = false;   ///< print the step-time breakdown at the end
  /// The run stops (exit 1) after this many consecutive steps that each had an optimizer
  /// update skipped for a NaN/Inf loss or gradient on some rank (0 = never stop).
  std::int64_t max_nonfinite_steps = 5;
};

/// runtime.*: actors and collectives.
struct runtime_options {
  std::int64_t scheduler_threads = 2;
  double collective_timeout_s = 120.0;
  std::string backend = "mpi";     ///< "mpi" or "nccl"
  std::int64_t checksum_freq = 1;  ///< parameter checksum every N steps (0 = never)
  /// Element type of the gradient all-reduce buckets: "float32", or "bfloat16" (half the
  /// bytes on the wire; each addition rounds to bf16).
  std::string grad_reduce_dtype = "float32";
  double step_timeout_s = 600.0;  ///< controller's deadline for one step's replies
  /// A rank that does not answer the controller's heartbeat (or, on ranks > 0, hears none)
  /// for this long ends the job, however long a step legitimately takes (0 = off). Pings
  /// go every heartbeat_timeout_s / 6.
  double heartbeat_timeout_s = 20.0;
};

/// Everything `leadrl train` reads.
struct train_options {
  data_options data;
  model_options model;
  rollout_options rollout;
  lead::estimator_config estimator;  ///< algorithm.*: adv_estimator and its parameters
  actor_options actor;
  trainer_options trainer;
  runtime_options runtime;
  std::string config_text;  ///< the effective configuration as INI (for logs and snapshots)
  /// The snapshot to continue from (`leadrl train --resume`); not a config key, so not in
  /// config_text. Empty: a fresh run. Every rank reads this file itself.
  std::string resume_path;
};

/// The schema of every option with its default (from a default-constructed train_options)
/// and help text.
io::config_schema train_schema();

/// Every option of `options` as a `key=value` override whose value reads back exactly
/// (load_config(train_schema(), "", these) then read_train_options gives `options` again,
/// config_text aside).
std::vector<std::string> train_option_overrides(const train_options& options);

/// Reads and checks `cfg` (parsed with train_schema()). Fails on the first bad value with
/// a message naming its key: ranges (sizes >= 1, probabilities in their intervals,
/// train_batch_size a multiple of ppo_mini_batch_size, ...), names (task, estimator,
/// aggregator, lstar mode, loss aggregation, KL type, schedule, backend), a missing
/// data.train_files for task=jsonl, a model.path that is not a directory. The
/// algorithm.lead_* keys are checked by lead::validate_config, its messages naming the key.
result<train_options> read_train_options(const io::config& cfg);

/// load_config(train_schema(), ini_path, overrides) then read_train_options. Errors of both.
result<train_options> load_train_options(const std::string& ini_path,
                                         const std::vector<std::string>& overrides);

}  // namespace leadrl::io
