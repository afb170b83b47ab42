// File: model/decoder.hpp
//
// The policy network: a Qwen2/Llama-family decoder-only transformer in LibTorch
// (token embedding, pre-RMSNorm blocks of GQA self-attention with RoPE and optional
// q/k/v bias, SwiGLU MLP, final RMSNorm, tied or separate lm_head). Parameter names
// are exactly the Hugging Face tensor names ("model.layers.0.self_attn.q_proj.weight"),
// so named_parameters() is the checkpoint's state dict (model/checkpoint.hpp).
//
//   leadrl::model::decoder dec(config);                      // random init
//   torch::Tensor logits = dec->forward(ids, positions, mask);  // [B, T, vocab]
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/hf_config.hpp"

namespace leadrl::model {

class kv_cache;

/// How the decoder holds its parameters.
struct decoder_options {
  /// Parameter and activation dtype. Norms, RoPE and softmax are computed in float32
  /// whatever this is (as transformers does).
  torch::Dtype dtype = torch::kFloat32;
  torch::Device device = torch::kCPU;
  /// Attention through torch's scaled_dot_product_attention (fused kernels on GPUs) where
  /// this LibTorch has it with grouped-query support (>= 2.5; see sdpa_available()), else
  /// the explicit matmul/softmax path. Valid rows' outputs agree to rounding.
  bool sdpa = true;
};

/// Whether this build's LibTorch offers scaled_dot_product_attention with enable_gqa
/// (LibTorch >= 2.5); decoder_options::sdpa is ignored when not.
bool sdpa_available();

/// RMSNorm: x / sqrt(mean(x^2) + eps) * weight, computed in float32.
class rms_norm_impl : public torch::nn::Module {
 public:
  rms_norm_impl(int64_t dim, double eps, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE_IMPL(rms_norm, rms_norm_impl);

/// Grouped-query self-attention with rotary position embeddings.
class attention_impl : public torch::nn::Module {
 public:
  attention_impl(const io::hf_config& config, int64_t layer, const torch::TensorOptions& options);
  /// x [B,T,hidden]; cos/sin [B,T,head_dim] (float32); key_mask as in decoder::forward.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& key_mask, kv_cache* cache);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  /// Set by the decoder: attend through scaled_dot_product_attention; key_mask is then a
  /// bool [B, 1, T, keys] (true = attend) or undefined (causal, keys = queries).
  bool sdpa = false;

 private:
  int64_t layer_, heads_, kv_heads_, head_dim_;
};
TORCH_MODULE_IMPL(attention, attention_impl);

/// SwiGLU feed-forward: down(silu(gate(x)) * up(x)).
class mlp_impl : public torch::nn::Module {
 public:
  mlp_impl(const io::hf_config& config, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE_IMPL(mlp, mlp_impl);

/// One pre-norm transformer block.
class decoder_layer_impl : public torch::nn::Module {
 public:
  decoder_layer_impl(const io::hf_config& config, int64_t layer,
                     const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& key_mask, kv_cache* cache);
  rms_norm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  attention self_attn{nullptr};
  mlp mlp_block{nullptr};  // registered as "mlp"
};
TORCH_MODULE_IMPL(decoder_layer, decoder_layer_impl);

/// The embedding, blocks and final norm: HF's "model." prefix.
class decoder_body_impl : public torch::nn::Module {
 public:
  decoder_body_impl(const io::hf_config& config, const torch::TensorOptions& options);
  torch::nn::Embedding embed_tokens{nullptr};
  /// The blocks, for typed access; registered through a ModuleList named "layers", so
  /// their parameters are "layers.<i>.".
  std::vector<decoder_layer> layers;
  rms_norm norm{nullptr};
};
TORCH_MODULE_IMPL(decoder_body, decoder_body_impl);

/// The causal LM. Construct from a validated io::hf_config (parameters are randomly
/// initialised: normal(0, 0.02) weights, zero biases, unit norms); load weights with
/// model/checkpoint.hpp.
class decoder_impl : public torch::nn::Module {
 public:
  /// `config` must pass io::validate (checked; a bad config throws c10::Error, a broken
  /// invariant, since every loader validates first).
  explicit decoder_impl(io::hf_config config, decoder_options options = {});

  /// Logits for `input_ids`.
  ///
  /// - input_ids: [B, T] int64 token ids.
  /// - positions: [B, T] int64 RoPE positions of those tokens (0 for a sequence's first
  ///   token). With left padding, give real tokens positions 0,1,... and anything for pads.
  /// - attention_mask: undefined (all tokens valid) or [B, T] (bool or 0/1 integers,
  ///   1 = real token). Without a cache, query t attends to keys s <= t that are real;
  ///   a padding query attends to itself only, so its logits are finite but meaningless.
  ///   With a cache, the mask marks each row's valid new tokens; they must be a prefix
  ///   of the row (right padding), and only they advance the slot's length.
  /// - cache: nullptr for a full (teacher-forced) pass; otherwise row b continues the
  ///   sequence in slot cache->active()[b], attending to what that slot already holds.
  ///
  /// Returns [B, T, vocab_size] logits in options.dtype. The parameter gradients flow
  /// as usual when grad mode is on (the learner path); generation runs under NoGradGuard.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& positions,
                        const torch::Tensor& attention_mask = {}, kv_cache* cache = nullptr);

  /// Final hidden states [B, T, hidden] (before lm_head), same arguments as forward.
  torch::Tensor hidden_states(const torch::Tensor& input_ids, const torch::Tensor& positions,
                              const torch::Tensor& attention_mask = {}, kv_cache* cache = nullptr);

  /// The lm_head weight [vocab, hidden] (the embedding matrix when tied).
  torch::Tensor lm_head_weight() const;

  const io::hf_config& config() const { return config_; }
  const decoder_options& options() const { return options_; }

  /// Parameters by Hugging Face name, in module order. Same as named_parameters(): the
  /// module tree is registered with HF names ("model.embed_tokens.weight", ...,
  /// "lm_head.weight" only when embeddings are not tied).
  torch::OrderedDict<std::string, torch::Tensor> hf_state_dict() const {
    return named_parameters();
  }

  torch::nn::Linear lm_head{nullptr};  // null when tie_word_embeddings
  decoder_body body{nullptr};          // registered as "model"

 private:
  io::hf_config config_;
  decoder_options options_;
  torch::Tensor inv_freq_;  // RoPE inverse frequencies, float32 [head_dim/2]
};
TORCH_MODULE_IMPL(decoder, decoder_impl);

/// A convenience for the full (no cache) pass: positions 0..T-1 for every row, shape [B, T].
torch::Tensor default_positions(int64_t batch, int64_t length, torch::Device device = torch::kCPU);

/// Positions for left-padded batches from a [B, T] 0/1 mask: cumulative count of real
/// tokens minus one, clamped at 0 (pads get 0).
torch::Tensor positions_from_mask(const torch::Tensor& attention_mask);

/// Parameter count (tied weights counted once).
int64_t parameter_count(const decoder_impl& model);

}  // namespace leadrl::model
