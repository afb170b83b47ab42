// File: io/sft_options.hpp
//
// The options of `leadrl sft` (issue 8): every option of `leadrl train` (so that one INI
// file can describe the model both commands build: model.*, data.arith_*_difficulty,
// data.max_prompt_length / max_response_length) plus the sft.* section below, checked and
// typed. Bad values are reported with their dotted key, like train's.
//
//   auto o = io::load_sft_options("configs/arith_sft.ini", {"sft.steps=100"});
//   if (!o) { std::cerr << o.error().message(); return 2; }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/config.hpp"
#include "io/train_options.hpp"

namespace leadrl::io {

/// sft.*: the supervised run.
struct sft_section {
  std::int64_t steps = 1500;     ///< optimizer steps
  std::int64_t batch_size = 32;  ///< sequences per step
  double lr = 3e-3;              ///< peak learning rate (warmup, then cosine)
  std::int64_t warmup = 50;      ///< warmup steps
  double min_lr_ratio = 0.1;     ///< cosine floor as a share of lr
  double weight_decay = 0.01;
  double grad_clip = 1.0;
  double verbosity = 0.5;  ///< mean verbosity of the corpus, [0, 1]
  double spread = 0.5;     ///< per-response verbosity spread, [0, 1]
  /// The answer mixture (io::arith_answer_mix, issue 17): shares of minimal step-by-step
  /// and of fused answers, the rest verbose; minimal_share + fused_share <= 1. 0 and 0 (the
  /// default) is the all-verbose corpus, and then neither key enters the fingerprint.
  double minimal_share = 0.0;
  double fused_share = 0.0;
  std::uint64_t seed = 7;         ///< corpus problems and evaluation sampling
  std::int64_t eval_every = 250;  ///< progress evaluation every N steps (0: only at the end)
  std::int64_t eval_problems = 128;
  double eval_temperature = 0.8;
  std::string output_dir = "sft_model";  ///< the HF checkpoint directory written
};

/// Everything `leadrl sft` reads.
struct sft_options {
  train_options train;  ///< model.*, data.* (and the rest, unused)
  sft_section sft;
  /// The configuration that determines the checkpoint, as INI text (everything but
  /// sft.output_dir and the progress-only sft.eval_every): equal text means an
  /// equal checkpoint.
  std::string fingerprint;
};

/// train_schema() plus the sft.* options.
io::config_schema sft_schema();

/// Reads and checks `cfg` (parsed with sft_schema()): train's checks, then sft.* ranges
/// (steps, batch_size >= 1, lr > 0, verbosity/spread/min_lr_ratio/minimal_share/fused_share
/// in [0, 1], minimal_share + fused_share <= 1, ...), each error naming its key.
result<sft_options> read_sft_options(const io::config& cfg);

/// load_config(sft_schema(), ini_path, overrides) then read_sft_options.
result<sft_options> load_sft_options(const std::string& ini_path,
                                     const std::vector<std::string>& overrides);

}  // namespace leadrl::io
