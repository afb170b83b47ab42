#include "model/policy_config.hpp"

#include "model/char_tokenizer.hpp"

namespace leadrl::model {

result<io::hf_config> random_policy_config(const io::train_options& options) {
  const auto& m = options.model;
  const model::char_tokenizer tok;
  io::hf_config c;
  c.model_type = "qwen2";
  c.architectures = {"Qwen2ForCausalLM"};
  c.hidden_size = m.hidden_size;
  c.intermediate_size = m.intermediate_size;
  c.num_hidden_layers = m.num_layers;
  c.num_attention_heads = m.num_heads;
  c.num_key_value_heads = m.num_kv_heads;
  c.head_dim = m.hidden_size / m.num_heads;
  c.vocab_size = static_cast<std::int64_t>(tok.vocab_size());
  c.max_position_embeddings = options.data.max_prompt_length + options.data.max_response_length + 8;
  c.tie_word_embeddings = false;
  c.qkv_bias = true;
  c.bos_token_id = tok.bos_id();
  c.eos_token_ids = {tok.eos_id()};
  if (auto s = io::validate(c); !s) return s.error().with_context("model (random)");
  return c;
}

}  // namespace leadrl::model
