// File: model/char_tokenizer.hpp
//
// The character-level tokenizer of the built-in arithmetic reasoning tasks: a fixed
// 100-entry vocabulary (4 control tokens, newline and the 95 printable ASCII characters),
// so that a tiny model trains in minutes on a laptop and every id is readable.
//
//   leadrl::model::char_tokenizer tok;
//   std::vector<int32_t> ids = tok.encode("12+30=42\n", /*add_special=*/true);  // BOS first
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/tokenizer.hpp"

namespace leadrl::model {

/// Fixed vocabulary, ids 0-99:
///   0 "<pad>", 1 "<bos>", 2 "<eos>", 3 "<unk>", 4 "\n", 5-99 the characters ' ' (0x20)
///   to '~' (0x7E) in ASCII order (digits, letters, operators, punctuation, space).
/// The control-token strings ("<eos>" ...) written in the text encode to their ids, as
/// added tokens do in the BPE tokenizer. Any other character (tab, non-ASCII, invalid
/// UTF-8) encodes to "<unk>", one per code point or per ill-formed byte sequence, and
/// then does not survive a round trip; try_encode() reports it as an error instead.
class char_tokenizer final : public tokenizer {
 public:
  static constexpr std::int32_t pad = 0;
  static constexpr std::int32_t bos = 1;
  static constexpr std::int32_t eos = 2;
  static constexpr std::int32_t unk = 3;
  static constexpr std::int32_t newline = 4;
  static constexpr std::int32_t first_printable = 5;  ///< the id of ' '
  static constexpr std::size_t size = 100;

  /// `add_special` prepends BOS (the EOS is the model's to produce).
  std::vector<std::int32_t> encode(std::string_view text, bool add_special) const override;

  /// As encode(), but a character outside the vocabulary is an error naming its byte
  /// offset and the character (as \xNN bytes when it is not printable ASCII).
  result<std::vector<std::int32_t>> try_encode(std::string_view text, bool add_special) const;

  /// Control tokens decode to their strings ("<eos>"), unknown ids are skipped.
  std::string decode(const std::vector<std::int32_t>& ids) const override;

  std::int32_t eos_id() const override { return eos; }
  std::int32_t bos_id() const override { return bos; }
  std::int32_t pad_id() const override { return pad; }
  std::size_t vocab_size() const override { return size; }
  std::int32_t token_to_id(std::string_view token) const override;
  std::string id_to_token(std::int32_t id) const override;

  /// This vocabulary as a Hugging Face tokenizer.json: a WordLevel model over the 100
  /// entries, every character its own pre-token, the four control tokens as special added
  /// tokens, BOS prepended by the post-processor and a Fuse decoder, so that the tokenizers
  /// library encodes and decodes as this class does. load_tokenizer() recognises it.
  static std::string hf_tokenizer_json();
  /// The matching tokenizer_config.json (bos/eos/pad/unk tokens).
  static std::string hf_tokenizer_config_json();
  /// Whether the text of a tokenizer.json is exactly hf_tokenizer_json()'s vocabulary (a
  /// WordLevel model whose vocabulary equals this class's).
  static bool is_hf_tokenizer_json(std::string_view tokenizer_json);
};

/// Writes tokenizer.json and tokenizer_config.json of the character vocabulary into `dir`
/// (which must exist). Fails naming the file that cannot be written.
status save_char_tokenizer(const std::string& dir);

}  // namespace leadrl::model
