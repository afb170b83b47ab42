#include "model/tokenizer.hpp"

#include "model/bpe_tokenizer.hpp"
#include "model/char_tokenizer.hpp"

namespace leadrl::model {

result<std::shared_ptr<const tokenizer>> load_tokenizer(const std::string& spec) {
  if (spec == "char") return std::shared_ptr<const tokenizer>(std::make_shared<char_tokenizer>());
  auto bpe = bpe_tokenizer::load(spec);
  if (!bpe) return bpe.error();
  return std::shared_ptr<const tokenizer>(std::make_shared<bpe_tokenizer>(std::move(*bpe)));
}

}  // namespace leadrl::model
