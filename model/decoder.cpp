#include "model/decoder.hpp"

#include <cmath>
#include <limits>

#include "model/kv_cache.hpp"

// Set by CMakeLists.txt when scaled_dot_product_attention with enable_gqa compiles
// (LibTorch >= 2.5).
#ifndef LEADRL_HAVE_SDPA
#define LEADRL_HAVE_SDPA 0
#endif

namespace leadrl::model {
namespace {

torch::nn::Linear make_linear(int64_t in, int64_t out, bool bias) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

// Rotates the two halves of the last dimension: (x1, x2) -> (-x2, x1), the pairing the
// Hugging Face checkpoints of Qwen2/Llama were trained with.
// chunk, not narrow: the backward of chunk concatenates the two half gradients, where
// narrow's backward writes each half into a zeroed full-size tensor and adds those.
torch::Tensor rotate_half(const torch::Tensor& x) {
  const auto halves = x.chunk(2, -1);
  return torch::cat({-halves[1], halves[0]}, -1);
}

// x [B, H, T, D]; cos/sin [B, T, D] float32, cast to x's dtype as transformers does.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin) {
  auto c = cos.unsqueeze(1).to(x.scalar_type());
  auto s = sin.unsqueeze(1).to(x.scalar_type());
  return x * c + rotate_half(x) * s;
}

}  // namespace

rms_norm_impl::rms_norm_impl(int64_t dim, double eps, const torch::TensorOptions& options)
    : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}, options));
}

torch::Tensor rms_norm_impl::forward(const torch::Tensor& x) {
  auto xf = x.to(torch::kFloat32);
  auto var = xf.pow(2).mean(-1, /*keepdim=*/true);
  xf = xf * torch::rsqrt(var + eps_);
  return weight * xf.to(x.scalar_type());
}

attention_impl::attention_impl(const io::hf_config& c, int64_t layer,
                               const torch::TensorOptions& options)
    : layer_(layer),
      heads_(c.num_attention_heads),
      kv_heads_(c.num_key_value_heads),
      head_dim_(c.head_dim) {
  q_proj = register_module("q_proj", make_linear(c.hidden_size, heads_ * head_dim_, c.qkv_bias));
  k_proj = register_module("k_proj", make_linear(c.hidden_size, kv_heads_ * head_dim_, c.qkv_bias));
  v_proj = register_module("v_proj", make_linear(c.hidden_size, kv_heads_ * head_dim_, c.qkv_bias));
  o_proj = register_module("o_proj", make_linear(heads_ * head_dim_, c.hidden_size, c.o_bias));
  (void)options;
}

torch::Tensor attention_impl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                      const torch::Tensor& sin, const torch::Tensor& key_mask,
                                      kv_cache* cache) {
  const int64_t b = x.size(0);
  const int64_t t = x.size(1);
  auto q = q_proj(x).view({b, t, heads_, head_dim_}).transpose(1, 2);
  auto k = k_proj(x).view({b, t, kv_heads_, head_dim_}).transpose(1, 2);
  auto v = v_proj(x).view({b, t, kv_heads_, head_dim_}).transpose(1, 2);
  // The scores' 1/sqrt(head_dim) is folded into the query's RoPE tables: a product over
  // [B, T, head_dim] instead of a pass over the [B, heads, T, keys] scores forward and
  // backward. Bit-identical when head_dim is a power of 4 (the scale is a power of 2).
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim_));
  q = apply_rope(q, cos * scale, sin * scale);
  k = apply_rope(k, cos, sin);
  if (cache != nullptr) {
    std::tie(k, v) = cache->append(layer_, k, v);
  }
#if LEADRL_HAVE_SDPA
  if (sdpa) {
    // The query carries the 1/sqrt(head_dim) already: scale 1. Key/value heads are shared
    // by query-head groups inside the kernel (enable_gqa), not repeated.
    auto out = key_mask.defined()
                   ? at::scaled_dot_product_attention(q, k, v, key_mask, 0.0, /*is_causal=*/false,
                                                      1.0, /*enable_gqa=*/true)
                   : at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true, 1.0,
                                                      /*enable_gqa=*/true);
    return o_proj(out.transpose(1, 2).reshape({b, t, heads_ * head_dim_}));
  }
#endif
  const int64_t keys = k.size(2);
  const int64_t group = heads_ / kv_heads_;
  // Query head h reads key/value head h / group: fold the group into the query rows
  // instead of repeating K and V.
  auto qg = q.reshape({b, kv_heads_, group * t, head_dim_});
  auto scores = torch::matmul(qg, k.transpose(-1, -2));
  scores = scores.view({b, kv_heads_, group, t, keys}).to(torch::kFloat32) +
           key_mask.unsqueeze(1).unsqueeze(1);
  auto probs = torch::softmax(scores, -1).to(v.scalar_type()).view({b, kv_heads_, group * t, keys});
  auto out = torch::matmul(probs, v)
                 .view({b, heads_, t, head_dim_})
                 .transpose(1, 2)
                 .reshape({b, t, heads_ * head_dim_});
  return o_proj(out);
}

mlp_impl::mlp_impl(const io::hf_config& c, const torch::TensorOptions& options) {
  gate_proj =
      register_module("gate_proj", make_linear(c.hidden_size, c.intermediate_size, c.mlp_bias));
  up_proj = register_module("up_proj", make_linear(c.hidden_size, c.intermediate_size, c.mlp_bias));
  down_proj =
      register_module("down_proj", make_linear(c.intermediate_size, c.hidden_size, c.mlp_bias));
  (void)options;
}

torch::Tensor mlp_impl::forward(const torch::Tensor& x) {
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

decoder_layer_impl::decoder_layer_impl(const io::hf_config& c, int64_t layer,
                                       const torch::TensorOptions& options) {
  self_attn = register_module("self_attn", attention(c, layer, options));
  mlp_block = register_module("mlp", mlp(c, options));
  input_layernorm =
      register_module("input_layernorm", rms_norm(c.hidden_size, c.rms_norm_eps, options));
  post_attention_layernorm =
      register_module("post_attention_layernorm", rms_norm(c.hidden_size, c.rms_norm_eps, options));
}

torch::Tensor decoder_layer_impl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                          const torch::Tensor& sin, const torch::Tensor& key_mask,
                                          kv_cache* cache) {
  auto h = x + self_attn(input_layernorm(x), cos, sin, key_mask, cache);
  return h + mlp_block(post_attention_layernorm(h));
}

decoder_body_impl::decoder_body_impl(const io::hf_config& c, const torch::TensorOptions& options) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  torch::nn::ModuleList list;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    layers.push_back(decoder_layer(c, l, options));
    list->push_back(layers.back());
  }
  register_module("layers", list);
  norm = register_module("norm", rms_norm(c.hidden_size, c.rms_norm_eps, options));
}

decoder_impl::decoder_impl(io::hf_config config, decoder_options options)
    : config_(std::move(config)), options_(options) {
  auto valid = io::validate(config_);
  TORCH_CHECK(valid.ok(), "decoder: invalid config: ", valid.ok() ? "" : valid.error().message());
  auto fopts = torch::TensorOptions().dtype(torch::kFloat32);
  body = register_module("model", decoder_body(config_, fopts));
  if (!config_.tie_word_embeddings) {
    lm_head =
        register_module("lm_head", make_linear(config_.hidden_size, config_.vocab_size, false));
  }
  // Initialisation as transformers does it: N(0, 0.02) for matrices, zero biases.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : named_parameters()) {
      const auto& name = p.key();
      auto& t = p.value();
      if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
        t.zero_();
      } else if (t.dim() == 2) {
        t.normal_(0.0, 0.02);
      } else {
        t.fill_(1.0);
      }
    }
  }
  // RoPE inverse frequencies in float32, computed as transformers does:
  // 1 / theta^(2i / head_dim).
  auto idx = torch::arange(0, config_.head_dim, 2, torch::kLong).to(torch::kFloat32);
  inv_freq_ = 1.0 / torch::pow(torch::tensor(config_.rope_theta, torch::kFloat32),
                               idx / static_cast<float>(config_.head_dim));
  inv_freq_ = inv_freq_.to(options_.device);
  if (config_.has_rope_scaling) {
    TORCH_WARN("decoder: config.json has rope_scaling; it is ignored (plain RoPE with theta ",
               config_.rope_theta, ")");
  }
  for (auto& layer : body->layers) layer->self_attn->sdpa = options_.sdpa && sdpa_available();
  to(options_.device, options_.dtype);
}

bool sdpa_available() {
  return LEADRL_HAVE_SDPA != 0;
}

torch::Tensor decoder_impl::hidden_states(const torch::Tensor& input_ids,
                                          const torch::Tensor& positions,
                                          const torch::Tensor& attention_mask, kv_cache* cache) {
  TORCH_CHECK(input_ids.dim() == 2, "decoder: input_ids must be [B, T]");
  TORCH_CHECK(positions.sizes() == input_ids.sizes(), "decoder: positions must match input_ids");
  const int64_t b = input_ids.size(0);
  const int64_t t = input_ids.size(1);
  const auto dev = input_ids.device();
  // The cache's indices go to the device first, before this forward's kernels are queued.
  const kv_cache::forward_span cached =
      cache != nullptr ? cache->prepare(t) : kv_cache::forward_span{};

  // RoPE tables for these positions: [B, T, head_dim], float32.
  auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inv_freq_.to(dev).view({1, 1, -1});
  auto emb = torch::cat({freqs, freqs}, -1);
  auto cos = emb.cos();
  auto sin = emb.sin();

  const float neg_inf = -std::numeric_limits<float>::infinity();
  torch::Tensor valid;  // [B, T] bool, or undefined
  if (attention_mask.defined()) {
    TORCH_CHECK(attention_mask.sizes() == input_ids.sizes(),
                "decoder: attention_mask must be [B, T]");
    valid = attention_mask.to(torch::kBool);
  }
  // Manual attention: additive float32 [B, T, keys]. SDPA: bool [B, 1, T, keys] (true =
  // attend), or undefined for the causal kernel without a mask.
  const bool sdpa = options_.sdpa && sdpa_available();
  torch::Tensor key_mask;
  std::vector<int64_t> new_counts;
  if (cache == nullptr && sdpa &&
      (!valid.defined() || !valid.narrow(1, 1, t - 1)
                                .logical_and(valid.narrow(1, 0, t - 1).logical_not())
                                .any()
                                .item<bool>())) {
    // No padding, or right padding only (no real token after a pad): every real query's
    // keys s <= t are real, so the causal kernel alone is exact for them. A padding query
    // attends to the keys before it (finite, meaningless, as documented).
  } else if (cache == nullptr) {
    auto q_idx =
        torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(dev)).view({t, 1});
    auto k_idx = q_idx.view({1, t});
    auto allowed = (k_idx <= q_idx).unsqueeze(0).expand({b, t, t});
    if (valid.defined()) {
      allowed = allowed.logical_and(valid.unsqueeze(1));
      // A padding query keeps its own key, so its row never is all -inf.
      allowed = allowed.logical_or(
          torch::eye(t, torch::TensorOptions().dtype(torch::kBool).device(dev)).unsqueeze(0));
    }
    key_mask =
        sdpa ? allowed.unsqueeze(1)
             : torch::zeros({b, t, t}, torch::TensorOptions().dtype(torch::kFloat32).device(dev))
                   .masked_fill(allowed.logical_not(), neg_inf);
  } else {
    TORCH_CHECK(cached.lengths.size(0) == b, "decoder: batch has ", b, " rows but the cache has ",
                cached.lengths.size(0), " active slots");
    const int64_t span = cached.span;
    auto start = cached.lengths.view({b, 1, 1});
    auto q_time =
        start +
        torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(dev)).view({1, t, 1});
    auto k_time = torch::arange(span, torch::TensorOptions().dtype(torch::kLong).device(dev))
                      .view({1, 1, span});
    key_mask =
        sdpa ? (k_time <= q_time).unsqueeze(1)
             : torch::zeros({b, t, span}, torch::TensorOptions().dtype(torch::kFloat32).device(dev))
                   .masked_fill(k_time > q_time, neg_inf);
    if (valid.defined()) {
      auto counts = valid.sum(1).to(torch::kCPU);
      auto acc = counts.accessor<int64_t, 1>();
      for (int64_t i = 0; i < b; ++i) new_counts.push_back(acc[i]);
    } else {
      new_counts.assign(static_cast<size_t>(b), t);
    }
  }

  auto x = body->embed_tokens(input_ids);
  for (auto& layer : body->layers) x = layer(x, cos, sin, key_mask, cache);
  if (cache != nullptr) cache->advance(new_counts);
  return body->norm(x);
}

torch::Tensor decoder_impl::forward(const torch::Tensor& input_ids, const torch::Tensor& positions,
                                    const torch::Tensor& attention_mask, kv_cache* cache) {
  auto h = hidden_states(input_ids, positions, attention_mask, cache);
  return torch::matmul(h, lm_head_weight().t());
}

torch::Tensor decoder_impl::lm_head_weight() const {
  return config_.tie_word_embeddings ? body->embed_tokens->weight : lm_head->weight;
}

torch::Tensor default_positions(int64_t batch, int64_t length, torch::Device device) {
  return torch::arange(length, torch::TensorOptions().dtype(torch::kLong).device(device))
      .unsqueeze(0)
      .expand({batch, length})
      .contiguous();
}

torch::Tensor positions_from_mask(const torch::Tensor& attention_mask) {
  return (attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
}

int64_t parameter_count(const decoder_impl& model) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

}  // namespace leadrl::model
