// File: model/checkpoint.hpp
//
// Hugging Face checkpoint directories for the decoder: config.json plus model.safetensors
// or sharded model-0000i-of-0000n.safetensors with model.safetensors.index.json. Loading
// reads the files as they are on disk (F32/F16/BF16); saving writes the same layout so that
// transformers and vLLM load it, bit-identical to the input when the dtype is kept.
//
//   auto dec = leadrl::model::load_decoder("/models/DeepSeek-R1-Distill-Qwen-1.5B");
//   if (dec) leadrl::model::save_decoder(*dec, "/tmp/export").ok();
#pragma once

#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "model/decoder.hpp"
#include "model/tensor_types.hpp"  // dtype_from_name

namespace leadrl::model {

/// Loads config.json and the safetensors weights of `dir` into a new decoder computing in
/// `options.dtype` on `options.device`.
/// Fails when config.json fails io::load_hf_config, the safetensors files fail validation
/// (io::safetensors_checkpoint::open_dir), a tensor the decoder needs is missing, the files
/// hold a tensor the decoder does not have (both name every such tensor), a shape differs
/// from the config's, or a dtype is not F32/F16/BF16. `lm_head.weight` is accepted and
/// ignored for tied embeddings, and `*.rotary_emb.inv_freq` buffers of old exports are
/// ignored.
result<decoder> load_decoder(const std::string& dir, decoder_options options = {});

/// Copies the tensors of `dir`'s checkpoint into an existing decoder whose config matches
/// (e.g. reloading a policy). Fails as load_decoder does.
status load_weights(decoder_impl& model, const std::string& dir);

/// How save_decoder writes.
struct save_options {
  /// "float32", "float16", "bfloat16", or empty for the config's torch_dtype.
  std::string dtype;
  /// Shard when the weights exceed this many bytes (0: always one file). transformers
  /// uses 5 GB by default.
  uint64_t max_shard_bytes = 0;
};

/// Writes config.json (torch_dtype set to the saved dtype) and the weights under their
/// HF names into `dir` (created if missing). Tied embeddings are written once, as
/// model.embed_tokens.weight, as transformers does. Fails when `dir` cannot be created or
/// written or the dtype is not one of the three.
status save_decoder(const decoder_impl& model, const std::string& dir, save_options options = {});

}  // namespace leadrl::model
