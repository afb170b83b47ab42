// model/scoring (`leadrl score`) against an independent reference: a float64 forward pass
// written from the Hugging Face Llama/Qwen2 definitions (RMSNorm, rotate-half RoPE with
// rope_theta, grouped-query attention by repeating K/V heads, q/k/v biases, SwiGLU MLP,
// tied or separate lm_head) over the decoder's own weights, on sequences of a few hundred
// tokens scored in padded batches. Agreement to 1e-4 in float32 is the requirement.
#include "model/scoring.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "model/checkpoint.hpp"
#include "model/random_model.hpp"
#include "model/tokenizer.hpp"
#include "tests/support/shared_data.hpp"

namespace leadrl::model {
namespace {

torch::Tensor reference_log_probs(decoder_impl& m, const std::vector<std::int64_t>& ids) {
  torch::NoGradGuard no_grad;
  const io::hf_config& c = m.config();
  auto params = m.named_parameters();
  auto w = [&](const std::string& name) { return params[name].to(torch::kFloat64); };
  const std::int64_t t = static_cast<std::int64_t>(ids.size());
  const std::int64_t heads = c.num_attention_heads, kv = c.num_key_value_heads, d = c.head_dim;
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor id = torch::tensor(ids, torch::kInt64);
  auto rms = [&](const torch::Tensor& v, const torch::Tensor& g) {
    return v * torch::rsqrt(v.pow(2).mean(-1, true) + c.rms_norm_eps) * g;
  };
  auto linear = [&](const torch::Tensor& v, const std::string& name, bool bias) {
    torch::Tensor y = v.matmul(w(name + ".weight").t());
    return bias ? y + w(name + ".bias") : y;
  };
  // RoPE as transformers' LlamaRotaryEmbedding: angle = position * theta^(-2i/d),
  // duplicated over both halves, x * cos + rotate_half(x) * sin.
  const torch::Tensor inv = torch::pow(c.rope_theta, -torch::arange(0, d, 2, f64) / d);
  const torch::Tensor angle = torch::arange(t, f64).unsqueeze(1) * inv.unsqueeze(0);
  const torch::Tensor cosv = torch::cat({angle.cos(), angle.cos()}, -1);
  const torch::Tensor sinv = torch::cat({angle.sin(), angle.sin()}, -1);
  auto rope = [&](const torch::Tensor& x) {  // [heads, t, d]
    const torch::Tensor x1 = x.slice(-1, 0, d / 2), x2 = x.slice(-1, d / 2);
    return x * cosv + torch::cat({-x2, x1}, -1) * sinv;
  };
  const torch::Tensor causal = torch::ones({t, t}, torch::kBool).triu(1);
  torch::Tensor x = w("model.embed_tokens.weight").index_select(0, id);
  for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l);
    torch::Tensor h = rms(x, w(p + ".input_layernorm.weight"));
    torch::Tensor q = linear(h, p + ".self_attn.q_proj", c.qkv_bias).view({t, heads, d});
    torch::Tensor k = linear(h, p + ".self_attn.k_proj", c.qkv_bias).view({t, kv, d});
    torch::Tensor v = linear(h, p + ".self_attn.v_proj", c.qkv_bias).view({t, kv, d});
    q = rope(q.transpose(0, 1));
    k = rope(k.transpose(0, 1)).repeat_interleave(heads / kv, 0);
    v = v.transpose(0, 1).repeat_interleave(heads / kv, 0);
    torch::Tensor s = q.matmul(k.transpose(1, 2)) / std::sqrt(static_cast<double>(d));
    s = s.masked_fill(causal, -INFINITY);
    torch::Tensor a = torch::softmax(s, -1).matmul(v).transpose(0, 1).reshape({t, heads * d});
    x = x + linear(a, p + ".self_attn.o_proj", c.o_bias);
    h = rms(x, w(p + ".post_attention_layernorm.weight"));
    torch::Tensor g = linear(h, p + ".mlp.gate_proj", c.mlp_bias);
    torch::Tensor u = linear(h, p + ".mlp.up_proj", c.mlp_bias);
    x = x + linear(g * torch::sigmoid(g) * u, p + ".mlp.down_proj", c.mlp_bias);
  }
  x = rms(x, w("model.norm.weight"));
  const torch::Tensor head =
      c.tie_word_embeddings ? w("model.embed_tokens.weight") : w("lm_head.weight");
  const torch::Tensor lp = torch::log_softmax(x.matmul(head.t()), -1);
  return lp.slice(0, 0, t - 1).gather(1, id.slice(0, 1).unsqueeze(1)).squeeze(1);
}

std::vector<std::vector<std::int64_t>> random_rows(std::int64_t vocab,
                                                   const std::vector<std::size_t>& lengths) {
  std::mt19937_64 rng(11);
  std::vector<std::vector<std::int64_t>> rows;
  for (std::size_t n : lengths) {
    std::vector<std::int64_t> r(n);
    for (auto& id : r) id = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(vocab));
    rows.push_back(std::move(r));
  }
  return rows;
}

// Weights far from the near-uniform initialisation, so the log-probs vary by whole nats.
void spread_weights(decoder_impl& m) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  for (auto& p : m.named_parameters()) {
    if (p.key().find("norm") != std::string::npos) {
      p.value().uniform_(0.5, 1.5);
    } else {
      p.value().normal_(0.0, p.key().find("embed") != std::string::npos ? 1.0 : 0.12);
    }
  }
}

void expect_matches_reference(decoder_impl& m, const std::vector<std::size_t>& lengths) {
  const auto rows = random_rows(m.config().vocab_size, lengths);
  auto got = score_sequences(m, rows, 2);  // padded batches of two
  ASSERT_TRUE(got.ok()) << got.error().message();
  double spread = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const torch::Tensor ref = reference_log_probs(m, rows[r]);
    ASSERT_EQ((*got)[r].size(), static_cast<std::size_t>(ref.size(0)));
    const auto ra = ref.accessor<double, 1>();
    double worst = 0;
    for (std::size_t k = 0; k < (*got)[r].size(); ++k) {
      worst = std::max(worst, std::abs((*got)[r][k] - ra[static_cast<std::int64_t>(k)]));
    }
    EXPECT_LT(worst, 1e-4) << "row " << r << " of " << rows[r].size() << " tokens";
    spread = std::max(spread, (ref.max() - ref.min()).item<double>());
  }
  EXPECT_GT(spread, 2.0);  // the comparison is not between two near-uniform outputs
}

TEST(Scoring, SharedTinyLlamaMatchesTheReference) {
  auto m = load_decoder(test::shared_path("data/models/verl-tiny-llama-random"));
  ASSERT_TRUE(m.ok()) << m.error().message();
  spread_weights(**m);
  expect_matches_reference(**m, {300, 180, 17});
}

TEST(Scoring, Qwen2GroupedQueryWithBiasesAndTiedHeadMatchesTheReference) {
  random_model_spec s;
  s.hidden_size = 64;
  s.num_layers = 2;
  s.num_heads = 4;
  s.num_kv_heads = 2;
  s.intermediate_size = 96;
  s.vocab_size = 500;
  s.rope_theta = 1e6;
  s.rms_norm_eps = 1e-5;
  s.tie_word_embeddings = true;
  auto c = random_model_config(s);
  ASSERT_TRUE(c.ok()) << c.error().message();
  decoder m(*c);
  spread_weights(*m);
  expect_matches_reference(*m, {320, 64});
}

TEST(Scoring, LlamaGroupedQueryUntiedMatchesTheReference) {
  random_model_spec s;
  s.arch = "llama";
  s.hidden_size = 48;
  s.num_layers = 2;
  s.num_heads = 6;
  s.num_kv_heads = 2;
  s.intermediate_size = 80;
  s.vocab_size = 300;
  auto c = random_model_config(s);
  ASSERT_TRUE(c.ok()) << c.error().message();
  decoder m(*c);
  spread_weights(*m);
  expect_matches_reference(*m, {256, 255, 3});
}

TEST(Scoring, RowsAreCheckedAndPromptResponseIdsSplitAtThePrompt) {
  random_model_spec s;
  s.vocab_size = 50;
  decoder m(*random_model_config(s));
  auto short_row = score_sequences(*m, {{1, 2, 3}, {4}}, 4);
  ASSERT_FALSE(short_row.ok());
  EXPECT_NE(short_row.error().message().find("row 2"), std::string::npos);
  auto out_of_vocab = score_sequences(*m, {{1, 50}}, 4);
  ASSERT_FALSE(out_of_vocab.ok());
  EXPECT_NE(out_of_vocab.error().message().find("token id 50"), std::string::npos);

  auto tok = load_tokenizer(test::shared_path("data/tokenizers/deepseek-r1-distill-qwen"));
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  const chat_template tmpl = template_for(**tok);
  const auto pr = prompt_response_ids(**tok, tmpl, "What is 2+2?", "It is \\boxed{4}.");
  const auto prompt = encode_prompt(**tok, tmpl, "What is 2+2?");
  const auto response = (*tok)->encode("It is \\boxed{4}.", false);
  ASSERT_EQ(pr.prompt_tokens, prompt.size());
  ASSERT_EQ(pr.ids.size(), prompt.size() + response.size());
  for (std::size_t i = 0; i < response.size(); ++i) {
    EXPECT_EQ(pr.ids[prompt.size() + i], response[i]);
  }
}

}  // namespace
}  // namespace leadrl::model
