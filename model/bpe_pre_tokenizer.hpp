// File: model/bpe_pre_tokenizer.hpp
//
// The "Split" pre-tokenizer of Hugging Face tokenizers with behaviour "Isolated": a
// Unicode regex (PCRE2 with UTF and Unicode properties, JIT-compiled where available)
// cuts text into pieces, and both the matches and any text between them become pieces.
// BPE then runs on each piece separately.
//
//   auto splitter = leadrl::model::regex_splitter::compile(R"(\p{L}+|\p{N}|\s+|.)");
//   std::vector<std::string_view> pieces; splitter->split("abc 12", pieces);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace leadrl::model {

/// A compiled split pattern. Copies share the compiled code; split() may run on several
/// threads at once.
class regex_splitter {
 public:
  /// Compiles `pattern` (Perl/Oniguruma syntax as written in tokenizer.json) with
  /// Unicode semantics: \p{L}, \p{N}, \s and (?i) follow Unicode properties.
  /// With `literal`, the pattern is matched as plain text instead.
  /// Fails when PCRE2 rejects the pattern; the message quotes PCRE2's reason and offset.
  static result<regex_splitter> compile(std::string_view pattern, bool literal = false);

  /// Appends to `pieces` the pieces of `text` in order: every match and every non-empty
  /// stretch between matches, so that the pieces concatenate to `text`. `text` must be
  /// valid UTF-8 (it is not re-checked, for speed).
  void split(std::string_view text, std::vector<std::string_view>& pieces) const;

  /// The pattern as given to compile().
  const std::string& pattern() const { return pattern_; }

 private:
  struct compiled;
  regex_splitter(std::shared_ptr<const compiled> code, std::string pattern)
      : code_(std::move(code)), pattern_(std::move(pattern)) {}

  std::shared_ptr<const compiled> code_;
  std::string pattern_;
};

}  // namespace leadrl::model
