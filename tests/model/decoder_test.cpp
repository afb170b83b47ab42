// Decoder, KV cache and HF checkpoint tests. Tolerances: float32 CPU; incremental
// decoding and batching change only summation order, so logits agree to 1e-4 absolute
// (logits here are O(1)); save/reload is exact (bit-identical files, identical logits).
#include "model/decoder.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "io/safetensors.hpp"
#include "model/checkpoint.hpp"
#include "model/kv_cache.hpp"
#include "tests/support/shared_data.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::model {
namespace {

constexpr double logit_tol = 1e-4;

io::hf_config tiny_config(const std::string& type, bool tied) {
  io::hf_config c;
  c.model_type = type;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.vocab_size = 40;
  c.max_position_embeddings = 128;
  c.rope_theta = 10000.0;
  c.qkv_bias = type == "qwen2";
  c.tie_word_embeddings = tied;
  c.eos_token_ids = {1};
  return c;
}

decoder tiny_decoder(const std::string& type, bool tied, uint64_t seed = 3) {
  torch::manual_seed(seed);
  decoder d(tiny_config(type, tied));
  torch::NoGradGuard g;
  // Non-trivial biases and norms so that every parameter matters.
  for (auto& p : d->named_parameters()) {
    if (p.value().dim() == 1)
      p.value().normal_(p.key().find("norm") != std::string::npos ? 1.0 : 0.0, 0.1);
  }
  d->eval();
  return d;
}

torch::Tensor ids_of(const std::vector<int64_t>& v) {
  return torch::tensor(v, torch::kLong).unsqueeze(0);
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

TEST(decoder, parameter_names_are_hugging_face_names) {
  auto q = tiny_decoder("qwen2", false);
  auto names = q->named_parameters().keys();
  auto has = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  EXPECT_TRUE(has("model.embed_tokens.weight"));
  EXPECT_TRUE(has("model.layers.1.self_attn.q_proj.bias"));
  EXPECT_TRUE(has("model.layers.0.self_attn.k_proj.weight"));
  EXPECT_FALSE(has("model.layers.0.self_attn.o_proj.bias"));  // Qwen2: no o_proj bias
  EXPECT_TRUE(has("model.layers.0.mlp.gate_proj.weight"));
  EXPECT_TRUE(has("model.layers.0.input_layernorm.weight"));
  EXPECT_TRUE(has("model.layers.0.post_attention_layernorm.weight"));
  EXPECT_TRUE(has("model.norm.weight"));
  EXPECT_TRUE(has("lm_head.weight"));
  EXPECT_EQ(names.size(), 1u + 2u * (4 + 3 + 3 + 2) + 1u + 1u);
  EXPECT_EQ(q->named_parameters()["model.layers.0.self_attn.k_proj.weight"].sizes(),
            (std::vector<int64_t>{16, 32}));

  auto l = tiny_decoder("llama", true);
  auto lnames = l->named_parameters().keys();
  EXPECT_EQ(std::count(lnames.begin(), lnames.end(), "lm_head.weight"), 0);
  EXPECT_EQ(std::count(lnames.begin(), lnames.end(), "model.layers.0.self_attn.q_proj.bias"), 0);
  EXPECT_TRUE(l->lm_head_weight().is_same(l->body->embed_tokens->weight));
}

TEST(decoder, causal_prefix_logits_do_not_depend_on_later_tokens) {
  auto d = tiny_decoder("qwen2", false);
  torch::NoGradGuard g;
  auto a = d->forward(ids_of({3, 5, 7, 9, 11}), default_positions(1, 5));
  auto b = d->forward(ids_of({3, 5, 7, 2, 2}), default_positions(1, 5));
  EXPECT_LT(max_abs_diff(a.narrow(1, 0, 3), b.narrow(1, 0, 3)), 1e-6);
  EXPECT_GT(max_abs_diff(a.narrow(1, 3, 1), b.narrow(1, 3, 1)), 1e-3);
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{1, 5, 40}));
}

// `seqs` in a batch of width t: right-padded ids and mask, and left-padded ones.
struct padded_batch {
  torch::Tensor ids, mask, left_ids, left_mask;
};
padded_batch pad_batch(const std::vector<std::vector<int64_t>>& seqs, int64_t t) {
  const auto rows = static_cast<int64_t>(seqs.size());
  padded_batch p{torch::zeros({rows, t}, torch::kLong), torch::zeros({rows, t}, torch::kLong),
                 torch::zeros({rows, t}, torch::kLong), torch::zeros({rows, t}, torch::kLong)};
  for (int64_t b = 0; b < rows; ++b) {
    const auto& s = seqs[static_cast<size_t>(b)];
    const auto n = static_cast<int64_t>(s.size());
    for (int64_t j = 0; j < n; ++j) {
      p.ids[b][j] = s[static_cast<size_t>(j)];
      p.mask[b][j] = 1;
      p.left_ids[b][t - n + j] = s[static_cast<size_t>(j)];
      p.left_mask[b][t - n + j] = 1;
    }
  }
  return p;
}

TEST(decoder, incremental_decoding_with_kv_cache_matches_full_forward) {
  for (const char* type : {"qwen2", "llama"}) {
    auto d = tiny_decoder(type, std::string(type) == "llama");
    torch::NoGradGuard g;
    const std::vector<int64_t> seq = {4, 8, 15, 16, 23, 42 % 40, 7, 9, 30, 31, 2};
    const int64_t n = static_cast<int64_t>(seq.size());
    auto full = d->forward(ids_of(seq), default_positions(1, n));

    kv_cache cache(d->config(), 1, 32);
    // Prefill 4 tokens, then one at a time, then a chunk of 3.
    std::vector<torch::Tensor> parts;
    auto step = [&](int64_t from, int64_t len) {
      std::vector<int64_t> chunk(seq.begin() + from, seq.begin() + from + len);
      auto pos = torch::arange(from, from + len, torch::kLong).unsqueeze(0);
      parts.push_back(d->forward(ids_of(chunk), pos, {}, &cache));
    };
    step(0, 4);
    for (int64_t i = 4; i < 8; ++i) step(i, 1);
    step(8, 3);
    EXPECT_EQ(cache.length(0), n);
    auto inc = torch::cat(parts, 1);
    EXPECT_LT(max_abs_diff(full, inc), logit_tol) << type;
  }
}

TEST(kv_cache, appends_each_row_at_its_slot_length_and_reads_the_active_slots) {
  const auto cfg = tiny_config("qwen2", false);  // 2 kv heads of 8
  kv_cache cache(cfg, 3, 8);
  // Distinct values per (row, head, time, dim), so any misplaced copy shows.
  auto kv = [](int64_t rows, int64_t t, double base) {
    return torch::arange(rows * 2 * t * 8, torch::kFloat32).view({rows, 2, t, 8}) + base;
  };
  const auto k1 = kv(3, 2, 0), v1 = kv(3, 2, 1000);
  auto [keys1, values1] = cache.append(0, k1, v1);
  EXPECT_TRUE(torch::equal(keys1, k1));  // identity: slot b is row b, span 2
  EXPECT_TRUE(torch::equal(values1, v1));
  cache.advance({2, 1, 2});  // row 1 had one valid token and one of padding

  cache.set_active({2, 0});
  const auto prepared = cache.prepare(1);
  EXPECT_TRUE(torch::equal(prepared.lengths, torch::tensor({2, 2}, torch::kLong)));
  EXPECT_EQ(prepared.span, 3);
  const auto k2 = kv(2, 1, 5000), v2 = kv(2, 1, 6000);
  auto [keys2, values2] = cache.append(0, k2, v2);
  ASSERT_EQ(keys2.sizes(), (std::vector<int64_t>{2, 2, 3, 8}));
  // Row 0 reads slot 2: its two prefill tokens, then the new one; row 1 reads slot 0.
  EXPECT_TRUE(torch::equal(keys2[0].narrow(1, 0, 2), k1[2]));
  EXPECT_TRUE(torch::equal(keys2[0].narrow(1, 2, 1), k2[0]));
  EXPECT_TRUE(torch::equal(keys2[1].narrow(1, 0, 2), k1[0]));
  EXPECT_TRUE(torch::equal(values2[1].narrow(1, 2, 1), v2[1]));
  cache.advance({1, 1});
  EXPECT_EQ(cache.length(2), 3);
  EXPECT_EQ(cache.length(1), 1);

  // Slot 1 continues at its own length (1), overwriting the padding token it held.
  cache.set_active({1});
  const auto k3 = kv(1, 1, 9000);
  auto [keys3, values3] = cache.append(0, k3, kv(1, 1, 9500));
  EXPECT_TRUE(torch::equal(keys3[0].narrow(1, 0, 1), k1[1].narrow(1, 0, 1)));
  EXPECT_TRUE(torch::equal(keys3[0].narrow(1, 1, 1), k3[0]));
  // The other layer was never written.
  auto [other, unused] = cache.append(1, k3, k3);
  EXPECT_EQ(other[0].narrow(1, 0, 1).abs().sum().item<double>(), 0.0);
  cache.advance({1});
  // No room for 7 more tokens in a slot of capacity 8 holding 2.
  EXPECT_THROW(cache.prepare(7), c10::Error);
}

TEST(decoder, batched_padded_sequences_match_each_sequence_alone) {
  auto d = tiny_decoder("qwen2", false);
  torch::NoGradGuard g;
  const std::vector<std::vector<int64_t>> seqs = {{5, 6, 7, 8, 9, 10}, {11, 12}, {13, 14, 15, 16}};
  const int64_t t = 6;
  std::vector<torch::Tensor> alone;
  for (const auto& s : seqs) {
    alone.push_back(
        d->forward(ids_of(s), default_positions(1, static_cast<int64_t>(s.size()))).squeeze(0));
  }
  // Right padding, full pass with a mask; left padding, positions from the mask.
  const auto [ids, mask, lids, lmask] = pad_batch(seqs, t);
  auto right = d->forward(ids, default_positions(3, t), mask);
  auto left = d->forward(lids, positions_from_mask(lmask), lmask);
  EXPECT_FALSE(torch::isnan(left).any().item<bool>());
  // The same batch through the cache (each row in its own slot).
  kv_cache cache(d->config(), 3, 16);
  auto cached = d->forward(ids, default_positions(3, t), mask, &cache);
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t n = static_cast<int64_t>(seqs[static_cast<size_t>(b)].size());
    EXPECT_EQ(cache.length(b), n);
    EXPECT_LT(max_abs_diff(right[b].narrow(0, 0, n), alone[static_cast<size_t>(b)]), logit_tol);
    EXPECT_LT(max_abs_diff(left[b].narrow(0, t - n, n), alone[static_cast<size_t>(b)]), logit_tol);
    EXPECT_LT(max_abs_diff(cached[b].narrow(0, 0, n), alone[static_cast<size_t>(b)]), logit_tol);
  }
  // Continue slots 2 and 0 only (out of order): one more token each.
  cache.set_active({2, 0});
  auto next = d->forward(torch::tensor({{17}, {18}}, torch::kLong),
                         torch::tensor({{4}, {6}}, torch::kLong), {}, &cache);
  auto ref2 = d->forward(ids_of({13, 14, 15, 16, 17}), default_positions(1, 5));
  auto ref0 = d->forward(ids_of({5, 6, 7, 8, 9, 10, 18}), default_positions(1, 7));
  EXPECT_LT(max_abs_diff(next[0][0], ref2[0][4]), logit_tol);
  EXPECT_LT(max_abs_diff(next[1][0], ref0[0][6]), logit_tol);
}

TEST(decoder, sdpa_attention_matches_the_explicit_path) {
  if (!sdpa_available()) {
    GTEST_SKIP() << "this LibTorch has no scaled_dot_product_attention with enable_gqa "
                    "(LibTorch >= 2.5): the explicit path is the only one";
  }
  for (const char* type : {"qwen2", "llama"}) {
    // The same weights behind both attention paths.
    const auto source = tiny_decoder(type, std::string(type) == "llama");
    decoder manual(source->config(), decoder_options{torch::kFloat32, torch::kCPU, false});
    decoder fused(source->config(), decoder_options{torch::kFloat32, torch::kCPU, true});
    {
      torch::NoGradGuard g;
      const auto weights = source->named_parameters();
      for (auto& p : manual->named_parameters()) p.value().copy_(weights[p.key()]);
      for (auto& p : fused->named_parameters()) p.value().copy_(weights[p.key()]);
    }
    torch::NoGradGuard g;
    const std::vector<std::vector<int64_t>> seqs = {{5, 6, 7, 8, 9, 10}, {11, 12}, {13, 14, 15}};
    const int64_t t = 6;
    const auto [ids, mask, lids, lmask] = pad_batch(seqs, t);
    // No padding (the causal kernel), right padding (causal kernel too), left padding
    // (a mask): every real token's logits agree.
    EXPECT_LT(max_abs_diff(manual->forward(ids, default_positions(3, t)),
                           fused->forward(ids, default_positions(3, t))),
              logit_tol)
        << type;
    auto right_m = manual->forward(ids, default_positions(3, t), mask);
    auto right_f = fused->forward(ids, default_positions(3, t), mask);
    auto left_m = manual->forward(lids, positions_from_mask(lmask), lmask);
    auto left_f = fused->forward(lids, positions_from_mask(lmask), lmask);
    for (int64_t b = 0; b < 3; ++b) {
      const auto n = static_cast<int64_t>(seqs[static_cast<size_t>(b)].size());
      EXPECT_LT(max_abs_diff(right_m[b].narrow(0, 0, n), right_f[b].narrow(0, 0, n)), logit_tol);
      EXPECT_LT(max_abs_diff(left_m[b].narrow(0, t - n, n), left_f[b].narrow(0, t - n, n)),
                logit_tol);
    }
    // Through the cache: a padded prefill, then slots 2 and 0 one token further.
    kv_cache cm(manual->config(), 3, 16), cf(fused->config(), 3, 16);
    auto pm = manual->forward(ids, default_positions(3, t), mask, &cm);
    auto pf = fused->forward(ids, default_positions(3, t), mask, &cf);
    for (int64_t b = 0; b < 3; ++b) {
      const auto n = static_cast<int64_t>(seqs[static_cast<size_t>(b)].size());
      EXPECT_LT(max_abs_diff(pm[b].narrow(0, 0, n), pf[b].narrow(0, 0, n)), logit_tol);
    }
    cm.set_active({2, 0});
    cf.set_active({2, 0});
    const auto next = torch::tensor({{17}, {18}}, torch::kLong);
    const auto pos = torch::tensor({{3}, {6}}, torch::kLong);
    EXPECT_LT(max_abs_diff(manual->forward(next, pos, {}, &cm), fused->forward(next, pos, {}, &cf)),
              logit_tol)
        << type;
  }
}

TEST(decoder, shared_tiny_llama_load_forward_save_reload_is_identical) {
  const std::string src = leadrl::test::shared_path("data/models/verl-tiny-llama-random");
  auto d = load_decoder(src);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ((*d)->config().model_type, "llama");
  torch::NoGradGuard g;
  auto ids =
      torch::tensor({{0, 3, 5, 7, 9, 11, 13, 15}, {2, 4, 6, 8, 10, 12, 14, 1}}, torch::kLong);
  auto logits = (*d)->forward(ids, default_positions(2, 8));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 8, 16}));
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  EXPECT_GT(logits.std().item<double>(), 0.0);

  const test::temp_dir out_dir("dec");
  const std::string out = out_dir.str();
  ASSERT_TRUE(save_decoder(**d, out).ok());  // dtype kept: bfloat16 from config.json
  EXPECT_TRUE(test::read_file_bytes(out + "/model.safetensors") ==
              test::read_file_bytes(src + "/model.safetensors"))
      << "saved weights are not bit-identical to the source file";
  auto reloaded = load_decoder(out);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message();
  EXPECT_EQ((*reloaded)->config().torch_dtype, "bfloat16");
  auto again = (*reloaded)->forward(ids, default_positions(2, 8));
  EXPECT_TRUE(torch::equal(logits, again));

  // Sharded float32 export reloads to the same logits too.
  const test::temp_dir sharded_dir("dec");
  const std::string sharded = sharded_dir.str();
  ASSERT_TRUE(save_decoder(**d, sharded, {"float32", 400000}).ok());
  auto ck = io::safetensors_checkpoint::open_dir(sharded);
  ASSERT_TRUE(ck.ok()) << ck.error().message();
  EXPECT_GT(ck->files().size(), 1u);
  auto from_shards = load_decoder(sharded);
  ASSERT_TRUE(from_shards.ok()) << from_shards.error().message();
  EXPECT_TRUE(torch::equal(logits, (*from_shards)->forward(ids, default_positions(2, 8))));
}

TEST(decoder, reduced_precision_compute_stays_close_to_float32) {
  const std::string src = leadrl::test::shared_path("data/models/verl-tiny-llama-random");
  auto f32 = load_decoder(src);
  auto bf16 = load_decoder(src, {torch::kBFloat16, torch::kCPU});
  ASSERT_TRUE(f32.ok() && bf16.ok());
  torch::NoGradGuard g;
  auto ids = torch::tensor({{0, 3, 5, 7, 9, 11}}, torch::kLong);
  auto a = (*f32)->forward(ids, default_positions(1, 6));
  auto b = (*bf16)->forward(ids, default_positions(1, 6));
  EXPECT_EQ(b.scalar_type(), torch::kBFloat16);
  // bf16 keeps 8 mantissa bits; 4 layers of rounding stay within a few percent.
  EXPECT_LT(max_abs_diff(a, b), 0.05 * a.abs().max().item<double>() + 0.05);
}

TEST(decoder, missing_and_unknown_tensors_are_named) {
  auto d = tiny_decoder("qwen2", false);
  const test::temp_dir dir_dir("dec");
  const std::string dir = dir_dir.str();
  ASSERT_TRUE(save_decoder(*d, dir, {"float32", 0}).ok());
  auto ok = load_decoder(dir);
  ASSERT_TRUE(ok.ok()) << ok.error().message();

  // Rewrite the weights with one tensor renamed.
  auto f = io::safetensors_file::open(dir + "/model.safetensors");
  ASSERT_TRUE(f.ok());
  std::vector<io::tensor_source> src;
  for (const auto& t : f->tensors()) {
    std::string name =
        t.name == "model.layers.1.mlp.up_proj.weight" ? "model.layers.1.mlp.upp.weight" : t.name;
    src.push_back({name, t.dtype, t.shape, f->data(t), {}});
  }
  const test::temp_dir bad_dir("dec");
  const std::string bad = bad_dir.str();
  ASSERT_TRUE(io::save_hf_config(d->config(), bad + "/config.json").ok());
  ASSERT_TRUE(io::write_safetensors(bad + "/model.safetensors", src).ok());
  auto r = load_decoder(bad);
  ASSERT_FALSE(r.ok());
  const std::string& msg = r.error().message();
  EXPECT_NE(msg.find("missing tensors: model.layers.1.mlp.up_proj.weight"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("unknown tensors: model.layers.1.mlp.upp.weight"), std::string::npos) << msg;

  // A shape that disagrees with config.json.
  io::hf_config wider = d->config();
  wider.intermediate_size = 64;
  ASSERT_TRUE(io::save_hf_config(wider, bad + "/config.json").ok());
  ASSERT_TRUE(io::write_safetensors(bad + "/model.safetensors",
                                    [&] {
                                      std::vector<io::tensor_source> s;
                                      for (const auto& t : f->tensors())
                                        s.push_back({t.name, t.dtype, t.shape, f->data(t), {}});
                                      return s;
                                    }())
                  .ok());
  auto r2 = load_decoder(bad);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message().find("expected [64,32]"), std::string::npos)
      << r2.error().message();
}

TEST(decoder, tied_embeddings_save_once_and_reload) {
  auto d = tiny_decoder("llama", true);
  const test::temp_dir dir_dir("dec");
  const std::string dir = dir_dir.str();
  ASSERT_TRUE(save_decoder(*d, dir, {"float32", 0}).ok());
  auto f = io::safetensors_file::open(dir + "/model.safetensors");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->find("lm_head.weight"), nullptr);
  auto r = load_decoder(dir);
  ASSERT_TRUE(r.ok()) << r.error().message();
  torch::NoGradGuard g;
  auto ids = ids_of({1, 2, 3, 4});
  EXPECT_TRUE(torch::equal(d->forward(ids, default_positions(1, 4)),
                           (*r)->forward(ids, default_positions(1, 4))));
}

}  // namespace
}  // namespace leadrl::model
