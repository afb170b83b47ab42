// File: model/tokenizer.hpp
//
// The tokenizer interface shared by the Hugging Face byte-level BPE (bpe_tokenizer.hpp,
// for real models such as DeepSeek-R1-Distill-Qwen) and the character-level tokenizer of
// the built-in arithmetic tasks (char_tokenizer.hpp), and a factory that picks one.
// Torch-free, so light consumers (data loaders, the CLI, graders) can include it.
//
//   auto tok = leadrl::model::load_tokenizer("models/r1-1.5b/tokenizer.json");  // or "char"
//   std::vector<int32_t> ids = (*tok)->encode(prompt, /*add_special=*/false);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace leadrl::model {

/// Text <-> token ids. Implementations are immutable after construction and safe to use
/// from several threads at once.
class tokenizer {
 public:
  virtual ~tokenizer() = default;

  /// Token ids of UTF-8 `text`. `add_special` applies the tokenizer's post-processing
  /// (e.g. the BOS id the R1-distill tokenizer prepends); special-token strings inside
  /// `text` are recognised either way. Never fails: how each tokenizer treats input it
  /// cannot represent (invalid UTF-8, unknown characters) is documented on the class.
  virtual std::vector<std::int32_t> encode(std::string_view text, bool add_special) const = 0;

  /// The UTF-8 text of `ids`, special tokens kept. Ids outside the vocabulary are skipped.
  virtual std::string decode(const std::vector<std::int32_t>& ids) const = 0;

  /// The end-of-sequence id that stops generation, or -1 when the tokenizer has none.
  virtual std::int32_t eos_id() const = 0;

  /// The beginning-of-sequence id, or -1 when the tokenizer has none.
  virtual std::int32_t bos_id() const = 0;

  /// The padding id (for batching; never trained on), or -1 when the tokenizer has none.
  virtual std::int32_t pad_id() const = 0;

  /// One more than the largest id the tokenizer can produce (the model's embedding table
  /// may be larger).
  virtual std::size_t vocab_size() const = 0;

  /// The id of vocabulary entry `token` (a vocabulary string, e.g. "<think>"), or -1.
  virtual std::int32_t token_to_id(std::string_view token) const = 0;

  /// The vocabulary string of `id` (byte-level form for BPE), or "" for an unknown id.
  virtual std::string id_to_token(std::int32_t id) const = 0;
};

/// The text of token ids as the model and the generation engine hold them (int64); with
/// `drop_eos` the tokenizer's EOS ids are left out (a generated response as graders read it).
std::string decode_ids(const tokenizer& tok, const std::vector<std::int64_t>& ids, bool drop_eos);

/// Loads a tokenizer from `spec`: "char" gives the built-in character-level tokenizer;
/// a tokenizer.json written by save_char_tokenizer (or its folder) gives it too; anything
/// else is a path to a Hugging Face tokenizer.json (or to the folder holding
/// it; a tokenizer_config.json beside it supplies the BOS/EOS/PAD tokens).
/// Fails, naming the file, when it is missing, is not valid JSON, or describes a model
/// other than byte-level BPE (see bpe_tokenizer::load).
result<std::shared_ptr<const tokenizer>> load_tokenizer(const std::string& spec);

}  // namespace leadrl::model
