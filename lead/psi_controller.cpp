#include "lead/psi_controller.hpp"

#include <algorithm>
#include <cmath>

namespace leadrl::lead {
namespace {

// spec/lead.md §6.1: equal weight per contributing prompt (the "law of total variance" of
// the reference), sigma floored under the root; no contributor gives mu = sigma = 0 exactly.
void pooled_stats(const std::vector<double>& means, const std::vector<double>& vars,
                  double sigma_floor, psi_reward_stats& out) {
  const std::size_t q = means.size();
  if (q == 0) {
    out.mu = 0.0;
    out.sigma = 0.0;
    return;
  }
  double sum_mean = 0.0;
  double sum_var = 0.0;
  for (std::size_t k = 0; k < q; ++k) {
    sum_mean += means[k];
    sum_var += vars[k];
  }
  const double qd = static_cast<double>(q);
  out.mu = sum_mean / qd;
  double between = 0.0;
  for (double m : means) between += (m - out.mu) * (m - out.mu);
  out.sigma = std::sqrt(sum_var / qd + between / qd + sigma_floor);
}

}  // namespace

psi_weights psi_update(const std::vector<double>& correctness, const std::vector<double>& r_eff,
                       const std::vector<bool>& is_correct, const group_index& groups,
                       const lead_config& config, const lead_state& state) {
  psi_weights w;
  const std::size_t num_groups = groups.num_groups();
  w.groups.resize(num_groups);
  std::vector<double> corr_means, corr_vars, eff_means, eff_vars;
  corr_means.reserve(num_groups);
  corr_vars.reserve(num_groups);
  eff_means.reserve(num_groups);
  eff_vars.reserve(num_groups);

  for (std::size_t g = 0; g < num_groups; ++g) {
    psi_group_stats& s = w.groups[g];
    double corr_sum = 0.0;
    double eff_sum = 0.0;
    std::size_t n_correct = 0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      corr_sum += correctness[*i];
      if (is_correct[*i]) {
        eff_sum += r_eff[*i];
        ++n_correct;
      }
    }
    const double n = static_cast<double>(groups.group_size(g));
    s.corr_mean = corr_sum / n;
    s.eff_n_correct = n_correct;
    if (n_correct > 0) s.eff_mean = eff_sum / static_cast<double>(n_correct);
    double corr_ss = 0.0;
    double eff_ss = 0.0;
    for (const std::size_t* i = groups.begin(g); i != groups.end(g); ++i) {
      const double dc = correctness[*i] - s.corr_mean;
      corr_ss += dc * dc;
      if (is_correct[*i]) {
        const double de = r_eff[*i] - s.eff_mean;
        eff_ss += de * de;
      }
    }
    s.corr_var_biased = corr_ss / n;
    corr_means.push_back(s.corr_mean);
    corr_vars.push_back(s.corr_var_biased);
    if (n_correct > 0) {
      // Only correct rollouts feed the efficiency statistics (spec/lead.md §6.1).
      s.eff_var_biased = eff_ss / static_cast<double>(n_correct);
      eff_means.push_back(s.eff_mean);
      eff_vars.push_back(s.eff_var_biased);
    }
  }
  pooled_stats(corr_means, corr_vars, config.sigma_floor, w.corr);
  pooled_stats(eff_means, eff_vars, config.sigma_floor, w.eff);

  // spec/lead.md §6.2. std::pow(0, 0) is 1, as the spec requires for alpha = 0.
  const double eps = config.epsilon;
  w.corr.cv = w.corr.sigma / (std::fabs(w.corr.mu) + eps);
  w.eff.cv = w.eff.sigma / (std::fabs(w.eff.mu) + eps);
  const double cv_sum = w.corr.cv + w.eff.cv + eps;
  w.corr.cv_norm = w.corr.cv / cv_sum;
  w.eff.cv_norm = w.eff.cv / cv_sum;
  w.corr.potential = std::pow(1.0 - std::clamp(w.corr.mu, 0.0, 1.0), config.alpha);
  w.eff.potential = std::pow(1.0 - (std::clamp(w.eff.mu, -1.0, 1.0) + 1.0) / 2.0, config.alpha);
  w.corr.D = w.corr.cv_norm * w.corr.potential;
  w.eff.D = w.eff.cv_norm * w.eff.potential;

  // §6.3: both targets are 0 when both D are 0 (saturated batch).
  const double d_sum = w.corr.D + w.eff.D + eps;
  w.target = {w.corr.D / d_sum, w.eff.D / d_sum};

  // §6.4.
  if (config.static_lambda_corr) {
    // Static ablation: no floor, the pair overwrites the stored vector.
    w.w_corr = *config.static_lambda_corr;
    w.w_eff = 1.0 - w.w_corr;
    w.ema_next = {w.w_corr, w.w_eff};
    w.ema_prev_used.reset();
  } else {
    const std::array<double, 2> prev = (state.initialized && state.ema_weights)
                                           ? *state.ema_weights
                                           : std::array<double, 2>{0.5, 0.5};
    w.ema_prev_used = prev;
    const double beta = config.beta;
    w.ema_next = {beta * prev[0] + (1.0 - beta) * w.target[0],
                  beta * prev[1] + (1.0 - beta) * w.target[1]};
    // The floor applies to the correctness weight only; w_eff is its complement, not the
    // EMA's second component.
    w.w_corr = std::max(w.ema_next[0], config.lambda_min);
    w.w_eff = 1.0 - w.w_corr;
  }
  return w;
}

void commit_psi_weights(const psi_weights& weights, lead_state& state) {
  state.ema_weights = weights.ema_next;
  state.initialized = true;
}

}  // namespace leadrl::lead
