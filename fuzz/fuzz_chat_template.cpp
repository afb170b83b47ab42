// libFuzzer target for chat templates: model::chat_template::from_spec on arbitrary text
// (a config value), then rendering and encoding a prompt with the character tokenizer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.hpp"
#include "model/char_tokenizer.hpp"
#include "model/chat_template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadrl;
  std::string_view spec(reinterpret_cast<const char*>(data), size);
  auto tmpl = model::chat_template::from_spec(spec);
  if (!tmpl) return 0;
  const std::string text = tmpl->text();
  const std::size_t at = text.find("{prompt}");
  fuzz::check(at != std::string::npos, "text() holds {prompt}");
  const std::string rendered = tmpl->render("P");
  fuzz::check(rendered == text.substr(0, at) + "P" + text.substr(at + 8), "render fills {prompt}");
  static const model::char_tokenizer tok;
  bool cut = false;
  auto ids = model::encode_problem_prompt(tok, *tmpl, /*raw=*/false, "1+2=", 16, &cut);
  fuzz::check(ids.size() <= 16, "encode_problem_prompt keeps at most `keep` ids");
  return 0;
}
