#include "model/learner_step.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>
#include <sstream>

#include "model/tensor_types.hpp"

namespace leadrl::model {
namespace {

status check_inputs(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                    double temperature) {
  if (!input_ids.defined() || input_ids.dim() != 2 || input_ids.is_floating_point() ||
      input_ids.size(1) < 2) {
    return fail("input_ids: expected an integer [B, T] tensor with T >= 2, got " +
                shape_text(input_ids));
  }
  if (attention_mask.defined() && attention_mask.sizes() != input_ids.sizes()) {
    return fail("attention_mask: expected shape " + shape_text(input_ids) + ", got " +
                shape_text(attention_mask));
  }
  if (!std::isfinite(temperature) || temperature <= 0) {
    std::ostringstream s;
    s << "temperature: expected a finite number > 0, got " << temperature;
    return fail(s.str());
  }
  return status::success();
}

status check_needed(const torch::Tensor& needed, const torch::Tensor& input_ids) {
  if (!needed.defined()) return status::success();
  if (needed.dim() != 2 || needed.size(0) != input_ids.size(0) ||
      needed.size(1) != input_ids.size(1) - 1) {
    return fail("needed: expected shape [" + std::to_string(input_ids.size(0)) + ", " +
                std::to_string(input_ids.size(1) - 1) + "], got " + shape_text(needed));
  }
  return status::success();
}

// Final hidden states of `input_ids` with positions from the mask.
torch::Tensor hidden_of(decoder_impl& model, const torch::Tensor& input_ids,
                        const torch::Tensor& attention_mask) {
  const torch::Tensor ids = input_ids.to(torch::kLong);
  const torch::Tensor positions = attention_mask.defined()
                                      ? positions_from_mask(attention_mask)
                                      : default_positions(ids.size(0), ids.size(1), ids.device());
  return model.hidden_states(ids, positions, attention_mask);
}

// A [B, T-1] tensor that is `values` at the flat entries `index` and 0 elsewhere
// (differentiable in `values`).
torch::Tensor scatter_rows(const torch::Tensor& values, const torch::Tensor& index,
                           std::int64_t rows, std::int64_t cols) {
  return torch::zeros({rows * cols}, values.options()).index_add(0, index, values).view({rows, cols});
}

}  // namespace

namespace {

// Log-probs of `targets` [N] and entropies (undefined unless `with_entropy`) of the rows of
// final hidden states `rows` [N, hidden] projected onto the vocabulary. One log-softmax
// serves both (float32 at least, whatever the model's dtype).
std::pair<torch::Tensor, torch::Tensor> project(decoder_impl& model, const torch::Tensor& rows,
                                                const torch::Tensor& targets, double temperature,
                                                bool with_entropy, bool entropy_grad) {
  torch::Tensor z = torch::matmul(rows, model.lm_head_weight().t());
  if (temperature != 1.0) z = z / temperature;
  const auto dtype = z.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  const torch::Tensor lsm = torch::log_softmax(z, -1, dtype);
  torch::Tensor log_probs = lsm.gather(1, targets.unsqueeze(1)).squeeze(1);
  torch::Tensor entropy;
  if (with_entropy) {
    auto of = [](const torch::Tensor& l) { return -(l.exp() * l).sum(-1); };
    if (entropy_grad) {
      entropy = of(lsm);
    } else {
      torch::NoGradGuard no_grad;
      entropy = of(lsm.detach());
    }
  }
  return {log_probs, entropy};
}

// Without gradient nothing is kept for a backward pass, so the [N, vocab] logits are made
// this many rows at a time (about 300 MB over 151,936 tokens in float32).
constexpr std::int64_t k_rows_per_chunk = 512;

}  // namespace

result<token_log_probs> needed_log_probs(decoder_impl& model, const torch::Tensor& input_ids,
                                         const torch::Tensor& attention_mask,
                                         const torch::Tensor& needed, double temperature,
                                         bool with_entropy, bool entropy_grad) {
  if (status s = check_inputs(input_ids, attention_mask, temperature); !s) return s.error();
  if (status s = check_needed(needed, input_ids); !s) return s.error();
  const std::int64_t B = input_ids.size(0);
  const std::int64_t T1 = input_ids.size(1) - 1;
  const torch::Tensor h = hidden_of(model, input_ids, attention_mask);
  const torch::Tensor targets = input_ids.narrow(1, 1, T1).to(torch::kLong).reshape({B * T1});
  // Entries of the [B, T-1] grid whose log-probs are wanted; entry b*(T-1) + t reads the
  // hidden state of token t of row b, row b*T + t of the [B*T, hidden] view of h. Picking
  // from that view (no narrow to T-1 first) copies only the wanted rows forward, and the
  // backward scatters their gradients straight into h's shape.
  const torch::Tensor index =
      needed.defined() ? needed.to(h.device()).reshape({B * T1}).nonzero().reshape({-1})
                       : torch::arange(B * T1, torch::TensorOptions().dtype(torch::kLong).device(h.device()));
  const torch::Tensor rows =
      h.reshape({B * (T1 + 1), h.size(2)}).index_select(0, index + index.div(T1, "floor"));
  const torch::Tensor picked = targets.index_select(0, index);
  const std::int64_t n = rows.size(0);
  const bool chunked = !torch::GradMode::is_enabled() && n > k_rows_per_chunk;
  std::vector<torch::Tensor> lp, ent;
  const std::int64_t step = chunked ? k_rows_per_chunk : std::max<std::int64_t>(n, 1);
  for (std::int64_t r0 = 0; r0 == 0 || r0 < n; r0 += step) {
    const std::int64_t len = std::min(step, n - r0);
    auto [l, e] = project(model, rows.narrow(0, r0, len), picked.narrow(0, r0, len), temperature,
                          with_entropy, entropy_grad);
    lp.push_back(l);
    if (with_entropy) ent.push_back(e);
  }
  token_log_probs out;
  out.log_probs = scatter_rows(torch::cat(lp), index, B, T1);
  if (with_entropy) out.entropy = scatter_rows(torch::cat(ent), index, B, T1);
  return out;
}

result<torch::Tensor> compute_log_probs(decoder_impl& model, const torch::Tensor& input_ids,
                                        const torch::Tensor& attention_mask, double temperature,
                                        const torch::Tensor& needed) {
  torch::NoGradGuard no_grad;
  auto tok = needed_log_probs(model, input_ids, attention_mask, needed, temperature,
                              /*with_entropy=*/false);
  if (!tok) return tok.error();
  return tok->log_probs;
}

result<policy_loss_metrics> accumulate_gradients(decoder_impl& model,
                                                 const learner_micro_batch& batch,
                                                 const policy_loss_config& config,
                                                 const loss_denominator& denominator,
                                                 double temperature) {
  if (status s = validate(config); !s) return s.error().with_context("policy loss config");
  // The entropy over the vocabulary is the costliest term: keep its graph only when it is
  // part of the loss.
  auto tok = needed_log_probs(model, batch.input_ids, batch.attention_mask, batch.response_mask,
                              temperature, /*with_entropy=*/true,
                              /*entropy_grad=*/config.entropy_coeff > 0);
  if (!tok) return tok.error();
  policy_loss_inputs in;
  in.log_probs = tok->log_probs;
  in.old_log_probs = batch.old_log_probs;
  in.advantages = batch.advantages;
  in.response_mask = batch.response_mask;
  in.ref_log_probs = batch.ref_log_probs;
  in.entropy = tok->entropy;
  auto out = policy_loss(in, config, denominator);
  if (!out) return out.error();
  out->loss.backward();
  return out->metrics;
}

optimizer_step_report apply_optimizer_step(policy_optimizer& optimizer, const lr_schedule& schedule,
                                           double max_grad_norm) {
  optimizer_step_report r;
  r.grad_norm = optimizer.clip_grad_norm(max_grad_norm);
  r.lr = learning_rate(schedule, optimizer.steps_taken());
  if (std::isfinite(r.grad_norm)) {
    optimizer.set_lr(r.lr);
    optimizer.step();
    r.applied = true;
  }
  optimizer.zero_grad();
  return r;
}

}  // namespace leadrl::model
