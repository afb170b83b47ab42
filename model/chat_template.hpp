// File: model/chat_template.hpp
//
// Renders the training prompt of a math problem with the policy model's chat template,
// as shared/data/README.md fixes it for DeepSeek-R1-Distill-Qwen:
//   <｜begin▁of▁sentence｜><｜User｜>{prompt}<｜Assistant｜><think>\n
// and tokenizes the result without adding special tokens (the template writes the BOS).
//
//   auto tmpl = leadrl::model::chat_template::from_spec("r1_distill");
//   std::vector<int32_t> ids = leadrl::model::encode_prompt(*tok, *tmpl, row.prompt);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/tokenizer.hpp"

namespace leadrl::model {

/// A single-turn prompt template: text before and after the user's prompt, ending with
/// the generation prompt (the assistant turn the model continues).
class chat_template {
 public:
  /// The DeepSeek-R1-Distill template with add_generation_prompt (shared/data/README.md).
  static chat_template r1_distill();
  /// The ChatML template of Qwen2/Qwen3 with add_generation_prompt:
  /// "<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n".
  static chat_template chatml();
  /// The prompt alone (base models, the built-in character-level tasks).
  static chat_template plain();

  /// A named template ("r1_distill", "chatml", "plain") or a template string containing
  /// "{prompt}" exactly once; in such a string the escapes \n, \t and \\ stand for
  /// newline, tab and backslash (configuration files cannot hold a raw newline).
  /// Fails when the string has no "{prompt}" or more than one, or an unknown escape.
  static result<chat_template> from_spec(std::string_view spec);

  /// The rendered prompt: before + prompt + after.
  std::string render(std::string_view prompt) const;

  /// The template as a string with "{prompt}" (escapes already resolved).
  std::string text() const { return before_ + "{prompt}" + after_; }

 private:
  chat_template(std::string before, std::string after)
      : before_(std::move(before)), after_(std::move(after)) {}
  std::string before_;
  std::string after_;
};

/// The token ids of `prompt` rendered with `tmpl`, encoded with add_special = false (the
/// template already contains whatever BOS the model expects).
std::vector<std::int32_t> encode_prompt(const tokenizer& tok, const chat_template& tmpl,
                                        std::string_view prompt);

/// The prompt template a policy's tokenizer implies: plain for a character-level tokenizer
/// (the built-in task's checkpoints), the R1-distill template otherwise.
chat_template template_for(const tokenizer& tok);

/// A problem's prompt as model input, cut from the left to its last `keep` ids: with `raw`
/// the text as it is plus the tokenizer's BOS (the built-in task's prompts are already in
/// the model's format), otherwise encode_prompt() with `tmpl`. `cut`, when given, is set to
/// whether ids were dropped.
std::vector<std::int64_t> encode_problem_prompt(const tokenizer& tok, const chat_template& tmpl,
                                                bool raw, std::string_view prompt, std::size_t keep,
                                                bool* cut = nullptr);

}  // namespace leadrl::model
