// libFuzzer target for config.json: io::parse_hf_config on arbitrary text; a config that
// parses is written back with to_json_text and must parse again to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "io/hf_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadrl;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = io::parse_hf_config(text, "fuzz config.json");
  if (!c) return 0;
  fuzz::check(io::validate(*c).ok(), "a parsed config validates");
  auto again = io::parse_hf_config(io::to_json_text(*c), "written config.json");
  fuzz::check(again.ok(), "the written config parses again");
  fuzz::check(again->hidden_size == c->hidden_size && again->vocab_size == c->vocab_size &&
                  again->num_key_value_heads == c->num_key_value_heads &&
                  again->head_dim == c->head_dim && again->eos_token_ids == c->eos_token_ids &&
                  again->model_type == c->model_type && again->torch_dtype == c->torch_dtype,
              "the written config reads back the same");
  return 0;
}
