#include "model/policy_config.hpp"

#include "model/char_tokenizer.hpp"

namespace leadrl::model {

result<io::hf_config> random_policy_config(const io::train_options& options) {
  const auto& m = options.model;
  const model::char_tokenizer tok;
  io::hf_config c =
      io::qwen2_config(m.hidden_size, m.intermediate_size, m.num_layers, m.num_heads,
                       m.num_kv_heads, static_cast<std::int64_t>(tok.vocab_size()),
                       options.data.max_prompt_length + options.data.max_response_length + 8);
  c.bos_token_id = tok.bos_id();
  c.eos_token_ids = {tok.eos_id()};
  if (auto s = io::validate(c); !s) return s.error().with_context("model (random)");
  return c;
}

}  // namespace leadrl::model
