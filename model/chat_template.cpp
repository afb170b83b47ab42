#include "model/chat_template.hpp"

#include "model/char_tokenizer.hpp"

namespace leadrl::model {

namespace {
constexpr std::string_view placeholder = "{prompt}";
}  // namespace

chat_template chat_template::r1_distill() {
  return chat_template("<｜begin▁of▁sentence｜><｜User｜>", "<｜Assistant｜><think>\n");
}

chat_template chat_template::chatml() {
  return chat_template("<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n");
}

chat_template chat_template::plain() {
  return chat_template("", "");
}

result<chat_template> chat_template::from_spec(std::string_view spec) {
  if (spec == "r1_distill") return r1_distill();
  if (spec == "chatml") return chatml();
  if (spec == "plain") return plain();
  std::string text;
  text.reserve(spec.size());
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '\\') {
      text.push_back(spec[i]);
      continue;
    }
    const char next = i + 1 < spec.size() ? spec[i + 1] : '\0';
    if (next == 'n') {
      text.push_back('\n');
    } else if (next == 't') {
      text.push_back('\t');
    } else if (next == '\\') {
      text.push_back('\\');
    } else {
      return fail("chat template '" + std::string(spec) + "': unknown escape at offset " +
                  std::to_string(i) + " (expected \\n, \\t or \\\\)");
    }
    ++i;
  }
  const std::size_t at = text.find(placeholder);
  if (at == std::string::npos || text.find(placeholder, at + 1) != std::string::npos) {
    return fail("chat template '" + std::string(spec) +
                "': expected r1_distill, chatml, plain or a string containing {prompt} exactly "
                "once");
  }
  return chat_template(text.substr(0, at), text.substr(at + placeholder.size()));
}

std::string chat_template::render(std::string_view prompt) const {
  std::string out;
  out.reserve(before_.size() + prompt.size() + after_.size());
  out += before_;
  out += prompt;
  out += after_;
  return out;
}

std::vector<std::int32_t> encode_prompt(const tokenizer& tok, const chat_template& tmpl,
                                        std::string_view prompt) {
  return tok.encode(tmpl.render(prompt), /*add_special=*/false);
}

chat_template template_for(const tokenizer& tok) {
  return dynamic_cast<const char_tokenizer*>(&tok) != nullptr ? chat_template::plain()
                                                              : chat_template::r1_distill();
}

std::vector<std::int64_t> encode_problem_prompt(const tokenizer& tok, const chat_template& tmpl,
                                                bool raw, std::string_view prompt,
                                                std::size_t keep, bool* cut) {
  const std::vector<std::int32_t> ids32 =
      raw ? tok.encode(prompt, /*add_special=*/true) : encode_prompt(tok, tmpl, prompt);
  const std::size_t drop = ids32.size() > keep ? ids32.size() - keep : 0;
  if (cut != nullptr) *cut = drop > 0;
  return std::vector<std::int64_t>(ids32.begin() + static_cast<std::ptrdiff_t>(drop), ids32.end());
}

}  // namespace leadrl::model
