// libFuzzer target for tokenizer loading: model::load_tokenizer on a folder holding the
// fuzzed tokenizer.json (and tokenizer_config.json), which reaches both the byte-level BPE
// reader (bpe_tokenizer::from_json) and the character-level tokenizer's detection; a
// tokenizer that loads then encodes and decodes a text.
// Input: tokenizer.json [\x1f tokenizer_config.json [\x1f text]]. Seeds: scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "model/char_tokenizer.hpp"
#include "model/tokenizer.hpp"

// LEADRL_FUZZ_WRITE_SEEDS=DIR: writes the character-level tokenizer's tokenizer.json (which
// only this program can produce) as a seed into DIR and exits.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("LEADRL_FUZZ_WRITE_SEEDS")) {
    std::FILE* f = std::fopen((std::string(dir) + "/char_tokenizer").c_str(), "wb");
    if (f == nullptr) std::exit(1);
    const std::string text = leadrl::model::char_tokenizer::hf_tokenizer_json();
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leadrl;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parts = fuzz::split(input, "\x1f", 3);
  fuzz::write_scratch("tokenizer.json", parts[0]);
  if (parts.size() > 1) {
    fuzz::write_scratch("tokenizer_config.json", parts[1]);
  } else {
    fuzz::remove_scratch("tokenizer_config.json");
  }
  auto tok = model::load_tokenizer(fuzz::scratch_dir());
  if (!tok) {
    fuzz::check(!tok.error().message().empty(), "a failure carries a message");
    return 0;
  }
  const model::tokenizer& t = **tok;
  const std::string_view text =
      parts.size() > 2 ? parts[2] : std::string_view("Hello world, 12 + 30 = 42.\n<think>ok</think>");
  const auto vocab = static_cast<std::int64_t>(t.vocab_size());
  for (bool special : {false, true}) {
    std::vector<std::int32_t> ids = t.encode(text, special);
    for (std::int32_t id : ids) fuzz::check(id >= 0 && id < vocab, "encode gives ids < vocab_size");
    (void)t.decode(ids);
  }
  // Ids a model may sample: any value, including ones outside the vocabulary.
  std::vector<std::int32_t> any_ids;
  for (std::size_t i = 0; i + 4 <= text.size() && any_ids.size() < 64; i += 4) {
    std::int32_t v = 0;
    for (int k = 0; k < 4; ++k) v = (v << 8) | static_cast<std::uint8_t>(text[i + k]);
    any_ids.push_back(v);
  }
  any_ids.push_back(t.eos_id());
  any_ids.push_back(t.bos_id());
  any_ids.push_back(t.pad_id());
  (void)t.decode(any_ids);
  for (std::int32_t id : any_ids) {
    const std::string token = t.id_to_token(id);
    if (!token.empty()) fuzz::check(t.token_to_id(token) >= 0, "a token's text maps to an id");
  }
  return 0;
}
