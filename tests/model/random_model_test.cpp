// model/random_model (`leadrl init-model`): presets carry the published shapes, a written
// directory loads back as the same decoder with the tokenizer's vocabulary and token ids,
// the seed decides the weights, tied and llama shapes write the right tensors, and bad
// shapes are refused naming the flag.
#include "model/random_model.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "io/hf_config.hpp"
#include "io/safetensors.hpp"
#include "model/checkpoint.hpp"
#include "model/tokenizer.hpp"
#include "tests/support/shared_data.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::model {
namespace {

std::string r1_tokenizer() {
  return test::shared_path("data/tokenizers/deepseek-r1-distill-qwen");
}

random_model_spec tiny(std::uint64_t seed) {
  random_model_spec s;
  s.hidden_size = 16;
  s.num_layers = 1;
  s.num_heads = 2;
  s.num_kv_heads = 1;
  s.intermediate_size = 24;
  s.vocab_size = 300;
  s.seed = seed;
  return s;
}

bool same_parameters(const decoder& a, const decoder& b) {
  const auto pa = a->named_parameters();
  const auto pb = b->named_parameters();
  if (pa.size() != pb.size()) return false;
  for (const auto& p : pa) {
    const torch::Tensor* q = pb.find(p.key());
    if (q == nullptr || !torch::equal(p.value(), *q)) return false;
  }
  return true;
}

TEST(RandomModel, PresetIsTheR1DistillShape) {
  auto s = random_model_preset("R1-Distill-Qwen-1.5B");
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto c = random_model_config(*s);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->model_type, "qwen2");
  EXPECT_EQ(c->hidden_size, 1536);
  EXPECT_EQ(c->num_hidden_layers, 28);
  EXPECT_EQ(c->num_attention_heads, 12);
  EXPECT_EQ(c->num_key_value_heads, 2);
  EXPECT_EQ(c->intermediate_size, 8960);
  EXPECT_EQ(c->vocab_size, 151936);
  EXPECT_TRUE(c->qkv_bias);
  EXPECT_FALSE(c->tie_word_embeddings);
  auto bad = random_model_preset("R1-Distill-Qwen-0B");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("R1-Distill-Qwen-1.5B"), std::string::npos);
}

TEST(RandomModel, WrittenDirectoryLoadsWithTheTokenizersVocabularyAndIds) {
  test::temp_dir dir("random_model");
  random_model_spec s = tiny(5);
  s.vocab_size = 0;  // from the tokenizer
  s.tokenizer = r1_tokenizer();
  ASSERT_TRUE(write_random_model(s, dir.str()).ok());
  auto tok = load_tokenizer(dir.str());  // the copied tokenizer.json
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  auto config = io::load_hf_config(dir.str());
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->vocab_size, static_cast<std::int64_t>((*tok)->vocab_size()));
  EXPECT_EQ(config->bos_token_id.value_or(-1), (*tok)->bos_id());
  ASSERT_EQ(config->eos_token_ids.size(), 1u);
  EXPECT_EQ(config->eos_token_ids[0], (*tok)->eos_id());
  EXPECT_EQ(test::read_file_bytes(dir.file("tokenizer.json")),
            test::read_file_bytes(r1_tokenizer() + "/tokenizer.json"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("tokenizer_config.json")));
  EXPECT_NE(test::read_file_bytes(dir.file("generation_config.json"))
                .find("\"eos_token_id\": " + std::to_string((*tok)->eos_id())),
            std::string::npos);
  auto loaded = load_decoder(dir.str());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  // The same spec again gives the same weights; another seed does not.
  test::temp_dir again("random_model"), other("random_model");
  ASSERT_TRUE(write_random_model(s, again.str()).ok());
  random_model_spec t = s;
  t.seed = 6;
  ASSERT_TRUE(write_random_model(t, other.str()).ok());
  EXPECT_TRUE(same_parameters(*loaded, *load_decoder(again.str())));
  EXPECT_FALSE(same_parameters(*loaded, *load_decoder(other.str())));
}

TEST(RandomModel, TiedAndLlamaShapesWriteTheirTensors) {
  test::temp_dir dir("random_model");
  random_model_spec s = tiny(1);
  s.arch = "llama";
  s.tie_word_embeddings = true;
  s.dtype = "bfloat16";
  ASSERT_TRUE(write_random_model(s, dir.str()).ok());
  auto st = io::safetensors_checkpoint::open_dir(dir.str());
  ASSERT_TRUE(st.ok()) << st.error().message();
  bool has_head = false, has_q_bias = false;
  for (const auto& name : st->names()) {
    has_head = has_head || name == "lm_head.weight";
    has_q_bias = has_q_bias || name.find("q_proj.bias") != std::string::npos;
  }
  EXPECT_FALSE(has_head);    // tied: written once, as the embeddings
  EXPECT_FALSE(has_q_bias);  // llama: no q/k/v biases
  auto c = io::load_hf_config(dir.str());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->model_type, "llama");
  EXPECT_EQ(c->torch_dtype, "bfloat16");
  EXPECT_TRUE(load_decoder(dir.str()).ok());
}

TEST(RandomModel, BadShapesNameTheFlag) {
  random_model_spec s = tiny(1);
  s.num_heads = 3;
  auto a = random_model_config(s);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("--heads"), std::string::npos) << a.error().message();
  s = tiny(1);
  s.arch = "gpt2";
  EXPECT_NE(random_model_config(s).error().message().find("--arch"), std::string::npos);
  s = tiny(1);
  s.vocab_size = 10;
  s.tokenizer = r1_tokenizer();
  auto v = random_model_config(s);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("--vocab-size"), std::string::npos) << v.error().message();
  s = tiny(1);
  s.vocab_size = 0;
  EXPECT_FALSE(random_model_config(s).ok());  // no tokenizer, no vocabulary
}

}  // namespace
}  // namespace leadrl::model
