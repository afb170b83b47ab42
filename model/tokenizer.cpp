#include "model/tokenizer.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/bpe_tokenizer.hpp"
#include "model/char_tokenizer.hpp"

namespace leadrl::model {

result<std::shared_ptr<const tokenizer>> load_tokenizer(const std::string& spec) {
  if (spec == "char") return std::shared_ptr<const tokenizer>(std::make_shared<char_tokenizer>());
  // A checkpoint of a character-level model carries the vocabulary as a WordLevel
  // tokenizer.json (char_tokenizer::hf_tokenizer_json).
  std::error_code ec;
  const std::string file = std::filesystem::is_directory(spec, ec) ? spec + "/tokenizer.json" : spec;
  if (std::ifstream in{file, std::ios::binary}) {
    std::ostringstream text;
    text << in.rdbuf();
    if (char_tokenizer::is_hf_tokenizer_json(text.str())) {
      return std::shared_ptr<const tokenizer>(std::make_shared<char_tokenizer>());
    }
  }
  auto bpe = bpe_tokenizer::load(spec);
  if (!bpe) return bpe.error();
  return std::shared_ptr<const tokenizer>(std::make_shared<bpe_tokenizer>(std::move(*bpe)));
}

std::string decode_ids(const tokenizer& tok, const std::vector<std::int64_t>& ids,
                       bool drop_eos) {
  std::vector<std::int32_t> kept;
  kept.reserve(ids.size());
  for (const std::int64_t id : ids) {
    if (!(drop_eos && id == tok.eos_id())) kept.push_back(static_cast<std::int32_t>(id));
  }
  return tok.decode(kept);
}

}  // namespace leadrl::model
