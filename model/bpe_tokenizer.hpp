// File: model/bpe_tokenizer.hpp
//
// Byte-level BPE as described by a Hugging Face tokenizer.json (the Qwen2/Qwen3 and
// DeepSeek-R1-Distill-Qwen family): added/special tokens are cut out first (longest match
// first), the rest is NFC-normalized, split by the file's pre-tokenizer regex, mapped to
// bytes and merged by rank; post-processing may add BOS. Decoding concatenates the
// tokens' bytes. Encodings match the reference implementation on the shared goldens.
//
//   auto tok = leadrl::model::bpe_tokenizer::load("tokenizers/qwen3/tokenizer.json");
//   std::vector<int32_t> ids = tok->encode("Hello world", /*add_special=*/false);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/tokenizer.hpp"

namespace leadrl::model {

namespace detail {
struct bpe_state;  // the loaded tables and the piece cache (bpe_tokenizer.cpp)
}  // namespace detail

/// An entry of tokenizer.json's "added_tokens": matched in the raw text before BPE.
struct added_token {
  std::string content;
  std::int32_t id = -1;
  bool special = false;      ///< "special": a control token (BOS, EOS, chat roles)
  bool lstrip = false;       ///< the match also swallows ASCII whitespace on its left
  bool rstrip = false;       ///< the match also swallows ASCII whitespace on its right
  bool normalized = false;   ///< matched in the NFC-normalized text instead of the raw text
  bool single_word = false;  ///< matched only when not inside a word (ASCII word characters)
};

/// A byte-level BPE tokenizer loaded from tokenizer.json.
///
/// Invalid UTF-8 given to encode() is not an error: each maximal ill-formed byte sequence
/// is replaced by U+FFFD before tokenizing (what Python's errors="replace" produces, so
/// the ids equal the reference tokenizer's on the repaired text). decode() turns byte
/// sequences that are not valid UTF-8 (a token sequence cut inside a character) into
/// U+FFFD the same way; decode_bytes() gives the raw bytes.
///
/// encode() memoizes the ids of each pre-tokenized piece; the cache is shared by threads
/// (reader/writer lock) and bounded (see cache_capacity).
class bpe_tokenizer final : public tokenizer {
 public:
  /// Entries the piece cache holds at most; beyond it new pieces are not cached.
  static constexpr std::size_t cache_capacity = 1 << 20;

  /// Loads `path`, a tokenizer.json or a folder holding one. A tokenizer_config.json
  /// beside it, if present, names the BOS/EOS/PAD tokens (as Hugging Face does).
  /// Fails, naming the file, when: it cannot be read; it is not valid JSON; model.type is
  /// not "BPE"; the vocabulary or merges are malformed (a merge of unknown tokens, a
  /// merged token missing from the vocabulary); the normalizer, pre-tokenizer, decoder or
  /// post-processor is of a kind this class does not implement (it needs the byte-level
  /// family: ByteLevel pre-tokenizer or decoder, NFC or no normalizer); or
  /// tokenizer_config.json exists but is malformed.
  static result<bpe_tokenizer> load(const std::string& path);

  /// As load(), from the text of a tokenizer.json (`source` names it in messages), with
  /// `config_json` the text of a tokenizer_config.json or empty.
  static result<bpe_tokenizer> from_json(std::string_view tokenizer_json, const std::string& source,
                                         std::string_view config_json = {});

  bpe_tokenizer(bpe_tokenizer&&) noexcept;
  bpe_tokenizer& operator=(bpe_tokenizer&&) noexcept;
  ~bpe_tokenizer() override;

  std::vector<std::int32_t> encode(std::string_view text, bool add_special) const override;
  std::string decode(const std::vector<std::int32_t>& ids) const override;
  std::int32_t eos_id() const override;
  std::int32_t bos_id() const override;
  std::int32_t pad_id() const override;
  std::size_t vocab_size() const override;
  std::int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(std::int32_t id) const override;

  /// The concatenated bytes of `ids` (unknown ids skipped), without UTF-8 repair.
  std::string decode_bytes(const std::vector<std::int32_t>& ids) const;

  /// The ids the post-processor adds before and after the text when add_special is set.
  const std::vector<std::int32_t>& special_prefix() const;
  const std::vector<std::int32_t>& special_suffix() const;

  /// The added tokens, in file order.
  const std::vector<added_token>& added_tokens() const;

  /// True when `id` is an added token marked special.
  bool is_special(std::int32_t id) const;

  /// Pieces currently memoized; clear_cache() empties the cache (for cold benchmarks).
  std::size_t cache_size() const;
  void clear_cache() const;

 private:
  explicit bpe_tokenizer(std::unique_ptr<detail::bpe_state> s);
  /// from_json after the nesting checks; may throw nlohmann::json::exception.
  static result<bpe_tokenizer> from_json_checked(std::string_view tokenizer_json,
                                                 const std::string& source,
                                                 std::string_view config_json);
  std::unique_ptr<detail::bpe_state> state_;
};

}  // namespace leadrl::model
