#include "model/learner_step.hpp"

#include <cmath>
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

torch::Tensor logits_of(decoder_impl& model, const torch::Tensor& input_ids,
                        const torch::Tensor& attention_mask) {
  const torch::Tensor ids = input_ids.to(torch::kLong);
  const torch::Tensor positions = attention_mask.defined()
                                      ? positions_from_mask(attention_mask)
                                      : default_positions(ids.size(0), ids.size(1), ids.device());
  return model.forward(ids, positions, attention_mask);
}

}  // namespace

result<torch::Tensor> compute_log_probs(decoder_impl& model, const torch::Tensor& input_ids,
                                        const torch::Tensor& attention_mask, double temperature) {
  if (status s = check_inputs(input_ids, attention_mask, temperature); !s) return s.error();
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = logits_of(model, input_ids, attention_mask);
  auto tok = response_log_probs(logits, input_ids, temperature, /*with_entropy=*/false);
  if (!tok) return tok.error();
  return tok->log_probs;
}

result<policy_loss_metrics> accumulate_gradients(decoder_impl& model,
                                                 const learner_micro_batch& batch,
                                                 const policy_loss_config& config,
                                                 const loss_denominator& denominator,
                                                 double temperature) {
  if (status s = check_inputs(batch.input_ids, batch.attention_mask, temperature); !s) {
    return s.error();
  }
  if (status s = validate(config); !s) return s.error().with_context("policy loss config");
  const torch::Tensor logits = logits_of(model, batch.input_ids, batch.attention_mask);
  auto tok = response_log_probs(logits, batch.input_ids, temperature, /*with_entropy=*/false);
  if (!tok) return tok.error();
  policy_loss_inputs in;
  in.log_probs = tok->log_probs;
  in.old_log_probs = batch.old_log_probs;
  in.advantages = batch.advantages;
  in.response_mask = batch.response_mask;
  in.ref_log_probs = batch.ref_log_probs;
  {
    // The entropy over the vocabulary is the costliest term: keep its graph only when
    // it is part of the loss.
    const torch::Tensor z = logits.narrow(1, 0, logits.size(1) - 1);
    if (config.entropy_coeff > 0) {
      in.entropy = entropy_from_logits(z, temperature);
    } else {
      torch::NoGradGuard no_grad;
      in.entropy = entropy_from_logits(z.detach(), temperature);
    }
  }
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
