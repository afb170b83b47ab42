// File: model/random_model.hpp
//
// A randomly initialised Hugging Face model directory (`leadrl init-model`): config.json,
// generation_config.json and model.safetensors for a Qwen2 or Llama shape, with a
// tokenizer's files copied beside them. It is how a recipe is smoke-tested before real
// weights are at hand, and how tests get a BPE-vocabulary policy. Presets give the real
// shapes (e.g. R1-Distill-Qwen-1.5B); explicit sizes override them.
//
//   model::random_model_spec spec = *model::random_model_preset("R1-Distill-Qwen-1.5B");
//   spec.hidden_size = 64;  spec.num_layers = 2;  auto s = model::write_random_model(spec, "m");
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/hf_config.hpp"

namespace leadrl::model {

/// The shape and initialisation of a random model.
struct random_model_spec {
  std::string arch = "qwen2";  ///< "qwen2" (q/k/v biases) or "llama" (no biases)
  std::int64_t hidden_size = 64;
  std::int64_t num_layers = 2;
  std::int64_t num_heads = 4;
  std::int64_t num_kv_heads = 2;
  std::int64_t intermediate_size = 128;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  std::int64_t max_position_embeddings = 4096;
  /// 0: the tokenizer's vocabulary size (then a tokenizer is required). Otherwise it
  /// must hold every id of the tokenizer, if one is given (real checkpoints pad it).
  std::int64_t vocab_size = 0;
  std::string tokenizer;  ///< a tokenizer.json or its folder; "" for none
  std::uint64_t seed = 0;
  std::string dtype = "float32";  ///< float32, bfloat16 or float16 (as written)
};

/// Names accepted by random_model_preset, e.g. "R1-Distill-Qwen-1.5B".
const std::vector<std::string>& random_model_preset_names();

/// The shape of a published model (its config.json sizes; tokenizer, seed and dtype left
/// at their defaults). Fails on an unknown name, listing the known ones.
result<random_model_spec> random_model_preset(const std::string& name);

/// The config.json `spec` describes: sizes, biases by arch, and the token ids (bos, eos,
/// pad) of its tokenizer when it has one. Fails, naming the flag-style field and the
/// value, on an unknown arch or dtype, sizes < 1, heads that do not divide, a vocabulary
/// smaller than the tokenizer's, no vocabulary at all, or a tokenizer that does not load.
result<io::hf_config> random_model_config(const random_model_spec& spec);

/// Writes the model directory `dir` (created if missing): config.json and
/// model.safetensors of a decoder initialised from `spec.seed` (so equal specs give
/// identical weights), generation_config.json with the token ids, and the tokenizer's
/// tokenizer.json and, when it sits beside it, tokenizer_config.json, copied unchanged.
/// Returns the config written. Fails as random_model_config does (errc::invalid_input), or
/// when `dir` or a file cannot be written (errc::io_failure).
result<io::hf_config> write_random_model(const random_model_spec& spec, const std::string& dir);

}  // namespace leadrl::model
