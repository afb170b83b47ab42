#include "model/policy_loss.hpp"

#include <cmath>
#include <sstream>

#include "model/tensor_types.hpp"

namespace leadrl::model {
namespace {

std::string normalized_name(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

bool finite_at_least(double v, double low) {
  return std::isfinite(v) && v >= low;
}

double scalar(const torch::Tensor& t) {
  return t.detach().to(torch::kFloat64).item<double>();
}

// A per-token tensor must match the log-probs' [B, T'] shape exactly.
status check_same_shape(const torch::Tensor& t, const torch::Tensor& like, const char* name) {
  if (!t.defined()) return fail(std::string(name) + ": expected a tensor, got none");
  if (t.sizes() != like.sizes()) {
    return fail(std::string(name) + ": expected shape " + shape_text(like) +
                " (as log_probs), got " + shape_text(t));
  }
  return status::success();
}

}  // namespace

result<loss_aggregation> parse_loss_aggregation(const std::string& name) {
  const std::string n = normalized_name(name);
  if (n == "token-mean") return loss_aggregation::token_mean;
  if (n == "seq-mean-token-sum") return loss_aggregation::seq_mean_token_sum;
  if (n == "seq-mean-token-mean") return loss_aggregation::seq_mean_token_mean;
  return fail(
      "loss aggregation: expected token-mean, seq-mean-token-sum or seq-mean-token-mean, got '" +
      name + "'");
}

std::string to_string(loss_aggregation aggregation) {
  switch (aggregation) {
    case loss_aggregation::token_mean:
      return "token-mean";
    case loss_aggregation::seq_mean_token_sum:
      return "seq-mean-token-sum";
    case loss_aggregation::seq_mean_token_mean:
      return "seq-mean-token-mean";
  }
  return "?";
}

result<kl_estimator> parse_kl_estimator(const std::string& name) {
  if (name == "kl" || name == "k1") return kl_estimator::k1;
  if (name == "abs") return kl_estimator::abs;
  if (name == "mse" || name == "k2") return kl_estimator::mse;
  if (name == "low_var_kl" || name == "k3") return kl_estimator::low_var_kl;
  return fail("kl estimator: expected kl (k1), abs, mse (k2) or low_var_kl (k3), got '" + name +
              "'");
}

std::string to_string(kl_estimator estimator) {
  switch (estimator) {
    case kl_estimator::k1:
      return "kl";
    case kl_estimator::abs:
      return "abs";
    case kl_estimator::mse:
      return "mse";
    case kl_estimator::low_var_kl:
      return "low_var_kl";
  }
  return "?";
}

torch::Tensor gather_log_probs(const torch::Tensor& logits, const torch::Tensor& targets,
                               double temperature) {
  TORCH_CHECK(temperature > 0, "gather_log_probs: temperature must be > 0");
  TORCH_CHECK(logits.dim() == targets.dim() + 1, "gather_log_probs: logits must have one more dim");
  const torch::Tensor z = temperature == 1.0 ? logits : logits / temperature;
  // z[target] − logsumexp(z): never materialises the [.., V] log-softmax for autograd.
  const torch::Tensor picked = z.gather(-1, targets.to(torch::kLong).unsqueeze(-1)).squeeze(-1);
  return picked - torch::logsumexp(z, -1);
}

torch::Tensor entropy_from_logits(const torch::Tensor& logits, double temperature) {
  TORCH_CHECK(temperature > 0, "entropy_from_logits: temperature must be > 0");
  const torch::Tensor z = temperature == 1.0 ? logits : logits / temperature;
  const torch::Tensor p = torch::softmax(z, -1);
  return torch::logsumexp(z, -1) - (p * z).sum(-1);
}

result<token_log_probs> response_log_probs(const torch::Tensor& logits,
                                           const torch::Tensor& input_ids, double temperature,
                                           bool with_entropy) {
  if (!logits.defined() || logits.dim() != 3 || !logits.is_floating_point()) {
    return fail("logits: expected a floating-point [B, T, V] tensor, got " + shape_text(logits));
  }
  if (!input_ids.defined() || input_ids.dim() != 2 || input_ids.is_floating_point() ||
      input_ids.size(0) != logits.size(0) || input_ids.size(1) != logits.size(1)) {
    return fail("input_ids: expected an integer [B, T] tensor matching logits " +
                shape_text(logits) + ", got " + shape_text(input_ids));
  }
  if (logits.size(1) < 2) {
    return fail("input_ids: expected at least 2 tokens per row, got " +
                std::to_string(logits.size(1)));
  }
  if (!std::isfinite(temperature) || temperature <= 0) {
    std::ostringstream s;
    s << "temperature: expected a finite number > 0, got " << temperature;
    return fail(s.str());
  }
  const int64_t t = logits.size(1);
  // logits[:, t] predicts input_ids[:, t+1].
  const torch::Tensor z = logits.narrow(1, 0, t - 1);
  const torch::Tensor next = input_ids.narrow(1, 1, t - 1);
  token_log_probs out;
  out.log_probs = gather_log_probs(z, next, temperature);
  if (with_entropy) out.entropy = entropy_from_logits(z, temperature);
  return out;
}

loss_denominator count_denominator(const torch::Tensor& response_mask) {
  TORCH_CHECK(response_mask.dim() == 2, "count_denominator: mask must be [B, T]");
  const torch::Tensor m = response_mask.to(torch::kFloat64);
  loss_denominator d;
  d.tokens = m.sum().item<double>();
  d.sequences = (m.sum(1) > 0).sum().item<double>();
  return d;
}

status validate(const policy_loss_config& config) {
  if (!std::isfinite(config.clip_low) || config.clip_low < 0 || config.clip_low >= 1) {
    return fail("clip_low: expected a number in [0, 1), got " + std::to_string(config.clip_low));
  }
  if (!finite_at_least(config.clip_high, 0)) {
    return fail("clip_high: expected a finite number >= 0, got " +
                std::to_string(config.clip_high));
  }
  if (!finite_at_least(config.entropy_coeff, 0)) {
    return fail("entropy_coeff: expected a finite number >= 0, got " +
                std::to_string(config.entropy_coeff));
  }
  if (!finite_at_least(config.kl_coef, 0)) {
    return fail("kl_coef: expected a finite number >= 0, got " + std::to_string(config.kl_coef));
  }
  if (config.kl_loss_sign != 1 && config.kl_loss_sign != -1) {
    return fail("kl_loss_sign: expected +1 or -1, got " + std::to_string(config.kl_loss_sign));
  }
  return status::success();
}

policy_loss_metrics& policy_loss_metrics::operator+=(const policy_loss_metrics& other) {
  pg_loss += other.pg_loss;
  pg_clipfrac += other.pg_clipfrac;
  ppo_kl += other.ppo_kl;
  entropy += other.entropy;
  kl_loss += other.kl_loss;
  total_loss += other.total_loss;
  tokens += other.tokens;
  return *this;
}

torch::Tensor kl_penalty(const torch::Tensor& log_probs, const torch::Tensor& ref_log_probs,
                         kl_estimator estimator) {
  const torch::Tensor d = log_probs - ref_log_probs;
  switch (estimator) {
    case kl_estimator::k1:
      return d;
    case kl_estimator::abs:
      return d.abs();
    case kl_estimator::mse:
      return 0.5 * d * d;
    case kl_estimator::low_var_kl: {
      // k3 = r − log r − 1 with r = p_ref / p = exp(−d): unbiased, >= 0, low variance.
      // The clamp bounds the loss (and zeroes its gradient) where the policy has moved
      // far from the reference.
      const torch::Tensor k3 = torch::exp(-d) + d - 1.0;
      return torch::clamp(k3, -10.0, 10.0);
    }
  }
  return d;
}

torch::Tensor aggregate_loss(const torch::Tensor& values, const torch::Tensor& mask,
                             loss_aggregation aggregation, loss_denominator denominator) {
  TORCH_CHECK(values.sizes() == mask.sizes(), "aggregate_loss: values and mask shapes differ");
  TORCH_CHECK(values.dim() == 2, "aggregate_loss: expected [B, T] tensors");
  if (denominator.empty()) denominator = count_denominator(mask);
  const torch::Tensor m = mask.to(values.scalar_type());
  const torch::Tensor masked = values * m;
  switch (aggregation) {
    case loss_aggregation::token_mean:
      if (denominator.tokens == 0) return masked.sum() * 0.0;
      return masked.sum() / denominator.tokens;
    case loss_aggregation::seq_mean_token_sum:
      if (denominator.sequences == 0) return masked.sum() * 0.0;
      return masked.sum() / denominator.sequences;
    case loss_aggregation::seq_mean_token_mean: {
      if (denominator.sequences == 0) return masked.sum() * 0.0;
      // Rows without tokens divide 0 by 1 and so add nothing.
      const torch::Tensor per_row = masked.sum(1) / m.sum(1).clamp_min(1.0);
      return per_row.sum() / denominator.sequences;
    }
  }
  return masked.sum() * 0.0;
}

result<policy_loss_output> policy_loss(const policy_loss_inputs& in,
                                       const policy_loss_config& config,
                                       loss_denominator denominator) {
  if (status s = validate(config); !s) return s.error().with_context("policy loss config");
  const torch::Tensor& logp = in.log_probs;
  if (!logp.defined() || logp.dim() != 2 || !logp.is_floating_point()) {
    return fail("log_probs: expected a floating-point [B, T] tensor, got " + shape_text(logp));
  }
  if (status s = check_same_shape(in.old_log_probs, logp, "old_log_probs"); !s) return s.error();
  if (status s = check_same_shape(in.response_mask, logp, "response_mask"); !s) return s.error();
  if (!in.advantages.defined() ||
      !(in.advantages.sizes() == logp.sizes() ||
        (in.advantages.dim() == 1 && in.advantages.size(0) == logp.size(0)))) {
    return fail("advantages: expected shape " + shape_text(logp) + " or [" +
                std::to_string(logp.size(0)) + "], got " + shape_text(in.advantages));
  }
  const bool use_entropy = in.entropy.defined();
  if (config.entropy_coeff > 0 && !use_entropy) {
    return fail("entropy: expected per-token entropies since entropy_coeff > 0, got none");
  }
  if (use_entropy) {
    if (status s = check_same_shape(in.entropy, logp, "entropy"); !s) return s.error();
  }
  const bool use_kl = in.ref_log_probs.defined();
  if (config.kl_coef > 0 && !use_kl) {
    return fail("ref_log_probs: expected reference log-probs since kl_coef > 0, got none");
  }
  if (use_kl) {
    if (status s = check_same_shape(in.ref_log_probs, logp, "ref_log_probs"); !s) return s.error();
  }

  const loss_denominator own = count_denominator(in.response_mask);
  if (denominator.empty()) denominator = own;
  if (own.tokens > 0) {
    const bool by_tokens = config.aggregation == loss_aggregation::token_mean;
    if (denominator.tokens <= 0 || (!by_tokens && denominator.sequences <= 0)) {
      return fail("denominator: expected positive counts for a micro-batch with " +
                  std::to_string(static_cast<int64_t>(own.tokens)) +
                  " response tokens, got tokens " + std::to_string(denominator.tokens) +
                  ", sequences " + std::to_string(denominator.sequences));
    }
  }

  const auto dtype = logp.scalar_type();
  const torch::Tensor mask = in.response_mask.to(dtype);
  const torch::Tensor old_logp = in.old_log_probs.detach().to(dtype);
  torch::Tensor adv = in.advantages.detach().to(dtype);
  if (adv.dim() == 1) adv = adv.unsqueeze(1).expand_as(logp);

  // spec/lead.md §10.1: no dual clip.
  const torch::Tensor neg_log_ratio = old_logp - logp;
  const torch::Tensor ratio = torch::exp(-neg_log_ratio);
  const torch::Tensor unclipped = -adv * ratio;
  const torch::Tensor clipped =
      -adv * torch::clamp(ratio, 1.0 - config.clip_low, 1.0 + config.clip_high);
  const torch::Tensor pg_tok = torch::max(unclipped, clipped);
  const torch::Tensor pg_loss = aggregate_loss(pg_tok, mask, config.aggregation, denominator);

  policy_loss_output out;
  policy_loss_metrics& m = out.metrics;
  m.tokens = own.tokens;
  const double token_den = denominator.tokens > 0 ? denominator.tokens : 1.0;
  {
    torch::NoGradGuard no_grad;
    m.pg_loss = scalar(pg_loss);
    m.pg_clipfrac = scalar(((clipped > unclipped).to(dtype) * mask).sum()) / token_den;
    m.ppo_kl = scalar((neg_log_ratio * mask).sum()) / token_den;
  }

  torch::Tensor total = pg_loss;
  if (use_entropy) {
    const torch::Tensor ent =
        aggregate_loss(in.entropy.to(dtype), mask, config.aggregation, denominator);
    m.entropy = scalar(ent);
    if (config.entropy_coeff > 0) total = total - config.entropy_coeff * ent;
  }
  if (use_kl) {
    const torch::Tensor kl_tok =
        kl_penalty(logp, in.ref_log_probs.detach().to(dtype), config.kl_type);
    const torch::Tensor kl = aggregate_loss(kl_tok, mask, config.aggregation, denominator);
    m.kl_loss = scalar(kl);
    if (config.kl_coef > 0) total = total + (config.kl_loss_sign * config.kl_coef) * kl;
  }
  m.total_loss = m.pg_loss - config.entropy_coeff * m.entropy +
                 config.kl_loss_sign * config.kl_coef * m.kl_loss;
  out.loss = total;
  return out;
}

}  // namespace leadrl::model
