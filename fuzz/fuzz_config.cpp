// libFuzzer target for run configuration: the INI text and `key=value` overrides of
// `leadrl train`, read with the real schema (io::train_schema) by io::load_config_text,
// then checked by io::read_train_options. A configuration that loads must round-trip:
// its text() loads again to the same text.
// Input: INI text [\x1f override lines, one per line].
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "io/config.hpp"
#include "io/train_options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadrl;
  static const io::config_schema schema = io::train_schema();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parts = fuzz::split(input, "\x1f", 2);
  std::vector<std::string> overrides;
  if (parts.size() > 1) {
    for (std::string_view line : fuzz::split(parts[1], "\n", 64)) overrides.emplace_back(line);
  }
  auto cfg = io::load_config_text(schema, std::string(parts[0]), "fuzz.ini", overrides);
  if (!cfg) return 0;
  const std::string text = cfg->text();
  auto again = io::load_config_text(schema, text, "fuzz.ini text()");
  fuzz::check(again.ok(), "a loaded configuration's text() loads again");
  fuzz::check(again->text() == text, "text() round-trips");
  (void)io::config_text_without(text, {"trainer.total_steps", "data.train_files"});
  (void)io::read_train_options(*cfg);
  return 0;
}
