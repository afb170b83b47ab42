#include "io/hf_config.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/shared_data.hpp"

namespace leadrl::io {
namespace {

// The config.json of DeepSeek-R1-Distill-Qwen-1.5B as published.
const char* r1_distill_config = R"({
  "architectures": ["Qwen2ForCausalLM"],
  "attention_dropout": 0.0,
  "bos_token_id": 151643,
  "eos_token_id": 151643,
  "hidden_act": "silu",
  "hidden_size": 1536,
  "initializer_range": 0.02,
  "intermediate_size": 8960,
  "max_position_embeddings": 131072,
  "max_window_layers": 21,
  "model_type": "qwen2",
  "num_attention_heads": 12,
  "num_hidden_layers": 28,
  "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06,
  "rope_theta": 10000,
  "sliding_window": 4096,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.44.0",
  "use_cache": true,
  "use_mrope": false,
  "use_sliding_window": false,
  "vocab_size": 151936
})";

TEST(hf_config, parses_the_r1_distill_qwen_config) {
  auto c = parse_hf_config(r1_distill_config, "config.json");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->model_type, "qwen2");
  EXPECT_EQ(c->hidden_size, 1536);
  EXPECT_EQ(c->intermediate_size, 8960);
  EXPECT_EQ(c->num_hidden_layers, 28);
  EXPECT_EQ(c->num_attention_heads, 12);
  EXPECT_EQ(c->num_key_value_heads, 2);
  EXPECT_EQ(c->head_dim, 128);
  EXPECT_EQ(c->vocab_size, 151936);
  EXPECT_DOUBLE_EQ(c->rope_theta, 10000.0);
  EXPECT_DOUBLE_EQ(c->rms_norm_eps, 1e-6);
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_TRUE(c->qkv_bias);
  EXPECT_FALSE(c->o_bias);
  EXPECT_EQ(c->torch_dtype, "bfloat16");
  EXPECT_EQ(c->bos_token_id, 151643);
  EXPECT_EQ(c->eos_token_ids, std::vector<int64_t>{151643});
  EXPECT_FALSE(c->has_rope_scaling);
}

TEST(hf_config, loads_the_shared_tiny_llama) {
  auto c = load_hf_config(leadrl::test::shared_path("data/models/verl-tiny-llama-random"));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->model_type, "llama");
  EXPECT_EQ(c->hidden_size, 128);
  EXPECT_EQ(c->num_hidden_layers, 4);
  EXPECT_EQ(c->num_key_value_heads, 4);
  EXPECT_EQ(c->vocab_size, 16);
  EXPECT_FALSE(c->qkv_bias);
  EXPECT_FALSE(c->bos_token_id.has_value());  // null in the file
  EXPECT_EQ(c->eos_token_ids, std::vector<int64_t>{1});
  EXPECT_EQ(c->pad_token_id, 2);
}

TEST(hf_config, eos_lists_and_llama_bias_flags) {
  auto c = parse_hf_config(R"({"model_type":"llama","hidden_size":64,"intermediate_size":128,
      "num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"eos_token_id":[5,7],
      "attention_bias":true,"mlp_bias":true,"rope_scaling":{"type":"linear","factor":2.0}})",
                           "x.json");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->eos_token_ids, (std::vector<int64_t>{5, 7}));
  EXPECT_TRUE(c->qkv_bias && c->o_bias && c->mlp_bias);
  EXPECT_EQ(c->num_key_value_heads, 4);  // defaults to the head count
  EXPECT_TRUE(c->has_rope_scaling);
}

TEST(hf_config, errors_name_the_key_and_the_expectation) {
  struct bad {
    const char* text;
    const char* expect;
  };
  const bad cases[] = {
      {R"({"model_type":"mistral","hidden_size":8})", "\"mistral\""},
      {R"({"hidden_size":8})", "'model_type'"},
      {R"({"model_type":"qwen2","intermediate_size":8,"num_hidden_layers":1,
           "num_attention_heads":2,"vocab_size":10})",
       "'hidden_size'"},
      {R"({"model_type":"qwen2","hidden_size":"8","intermediate_size":8,"num_hidden_layers":1,
           "num_attention_heads":2,"vocab_size":10})",
       "'hidden_size': expected an integer"},
      {R"({"model_type":"qwen2","hidden_size":8,"intermediate_size":8,"num_hidden_layers":0,
           "num_attention_heads":2,"vocab_size":10})",
       "'num_hidden_layers': expected an integer >= 1"},
      {R"({"model_type":"qwen2","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
           "num_attention_heads":2,"num_key_value_heads":3,"vocab_size":10})",
       "num_key_value_heads"},
      {R"({"model_type":"qwen2","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
           "num_attention_heads":2,"vocab_size":10,"hidden_act":"gelu"})",
       "hidden_act"},
      {R"({"model_type":"qwen2","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
           "num_attention_heads":2,"vocab_size":10,"torch_dtype":"int8"})",
       "torch_dtype"},
      {R"({"model_type":"qwen2","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
           "num_attention_heads":2,"vocab_size":10,"eos_token_id":"x"})",
       "'eos_token_id'"},
      {R"({"model_type":"qwen2","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
           "num_attention_heads":2,"vocab_size":1099511627776})",
       "vocab_size: expected an integer in [1, 16777216], got 1099511627776"},
      {R"({"model_type":"qwen2","hidden_size":16777216,"intermediate_size":8,
           "num_hidden_layers":1,"num_attention_heads":2,"vocab_size":16777216})",
       "billion parameters; expected at most 2^40"},
      {R"([1,2])", "expected a JSON object"},
      {R"({"model_type":)", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = parse_hf_config(c.text, "cfg.json");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("cfg.json"), std::string::npos) << r.error().message();
  }
  auto missing = load_hf_config("/nonexistent/dir");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("/nonexistent/dir"), std::string::npos);
}

// config.json is copied with dump(), which recurses once per nesting level: a million '['
// would overflow the stack, so nesting beyond max_json_nesting is refused first.
TEST(hf_config, json_nested_too_deeply_is_refused) {
  const std::size_t levels = 1000000;
  const std::string text = R"({"model_type":"qwen2","x":)" + std::string(levels, '[') +
                           std::string(levels, ']') + "}";
  auto r = parse_hf_config(text, "deep/config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("deep/config.json: JSON nested deeper than 128 levels"),
            std::string::npos)
      << r.error().message().substr(0, 200);
}

TEST(hf_config, write_back_keeps_unknown_keys_and_reparses_equal) {
  auto c = parse_hf_config(r1_distill_config, "config.json");
  ASSERT_TRUE(c.ok());
  c->torch_dtype = "float32";
  const std::string text = to_json_text(*c);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["sliding_window"], 4096);
  EXPECT_EQ(j["use_sliding_window"], false);
  EXPECT_EQ(j["transformers_version"], "4.44.0");
  EXPECT_EQ(j["torch_dtype"], "float32");
  EXPECT_EQ(j["eos_token_id"], 151643);
  EXPECT_FALSE(j.contains("attention_bias"));  // Qwen2 configs do not carry it
  auto again = parse_hf_config(text, "written.json");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->hidden_size, c->hidden_size);
  EXPECT_EQ(again->num_key_value_heads, c->num_key_value_heads);
  EXPECT_EQ(again->eos_token_ids, c->eos_token_ids);
  EXPECT_EQ(again->bos_token_id, c->bos_token_id);
  EXPECT_EQ(again->torch_dtype, "float32");

  hf_config built;  // a config made in code, no original text
  built.model_type = "llama";
  built.hidden_size = 32;
  built.intermediate_size = 64;
  built.num_hidden_layers = 1;
  built.num_attention_heads = 4;
  built.num_key_value_heads = 2;
  built.head_dim = 8;
  built.vocab_size = 50;
  built.max_position_embeddings = 128;
  built.eos_token_ids = {3, 4};
  ASSERT_TRUE(validate(built).ok());
  auto round = parse_hf_config(to_json_text(built), "built.json");
  ASSERT_TRUE(round.ok()) << round.error().message();
  EXPECT_EQ(round->architectures, std::vector<std::string>{"LlamaForCausalLM"});
  EXPECT_EQ(round->eos_token_ids, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(round->num_key_value_heads, 2);
}

}  // namespace
}  // namespace leadrl::io
