// File: io/hf_config.hpp
//
// The Hugging Face config.json of a Qwen2- or Llama-family causal LM: the fields the
// decoder needs, checked, plus every other key kept verbatim so that writing the file
// back gives a config.json that transformers and vLLM load as before.
//
//   leadrl::result<leadrl::io::hf_config> c = leadrl::io::load_hf_config("/models/r1-1.5b");
//   if (c) std::cout << c->hidden_size << "\n";
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace leadrl::io {

/// The architecture fields of a decoder-only transformer, named as in config.json.
struct hf_config {
  /// "qwen2" or "llama" (the `model_type` key).
  std::string model_type;
  /// e.g. {"Qwen2ForCausalLM"}; written back as given.
  std::vector<std::string> architectures;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  /// Defaults to num_attention_heads when absent (plain multi-head attention).
  int64_t num_key_value_heads = 0;
  /// hidden_size / num_attention_heads unless config.json gives `head_dim`.
  int64_t head_dim = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  /// Bias on q/k/v projections. Qwen2 always has it; Llama has it when `attention_bias`.
  bool qkv_bias = false;
  /// Bias on o_proj: Llama with `attention_bias` only.
  bool o_bias = false;
  /// Bias on gate/up/down projections: Llama `mlp_bias`.
  bool mlp_bias = false;
  /// "silu" is the only activation the decoder implements.
  std::string hidden_act = "silu";
  /// "float32", "float16" or "bfloat16" (absent: "float32").
  std::string torch_dtype = "float32";
  std::optional<int64_t> bos_token_id;
  /// `eos_token_id` may be a number or a list in config.json; both end up here.
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;
  /// True when config.json carries a non-null `rope_scaling`; the decoder ignores it
  /// (with a warning), which is exact for contexts shorter than the original window.
  bool has_rope_scaling = false;
  /// The whole config.json as read (compact JSON text), so unknown keys survive a
  /// write; empty for configs built in code.
  std::string original_json;
};

/// Parses config.json text. `source` names the file in error messages.
/// Fails when the text is not a JSON object, `model_type` is missing or not one of
/// "qwen2"/"llama", a required key (hidden_size, intermediate_size, num_hidden_layers,
/// num_attention_heads, vocab_size) is missing or not a positive integer, a key has the
/// wrong JSON type, the head counts do not divide, `hidden_act` is not "silu", or
/// `torch_dtype` is not float32/float16/bfloat16.
result<hf_config> parse_hf_config(const std::string& json_text, const std::string& source);

/// Reads `path`, a config.json file or a directory holding one.
/// Fails when the file cannot be read, plus every failure of parse_hf_config.
result<hf_config> load_hf_config(const std::string& path);

/// config.json text for `config`: the original keys, with the fields above written
/// over them (sorted keys, two-space indent, as transformers writes it).
std::string to_json_text(const hf_config& config);

/// Writes to_json_text(config) to `path` (a file path). Fails when it cannot be written.
status save_hf_config(const hf_config& config, const std::string& path);

/// A Qwen2ForCausalLM config built in code: model_type "qwen2", the given sizes, head_dim
/// = hidden / heads and q/k/v biases; every other field at its default (rope_theta 10000,
/// untied embeddings). Not validated: see validate.
hf_config qwen2_config(int64_t hidden, int64_t intermediate, int64_t layers, int64_t heads,
                       int64_t kv_heads, int64_t vocab, int64_t max_positions);

/// Checks the invariants the decoder relies on (positive sizes, heads dividing).
/// Used by parse_hf_config and by code that builds configs by hand.
status validate(const hf_config& config);

}  // namespace leadrl::io
