#include "lead/lead_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

namespace leadrl::lead {
namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size();
  return m % 2 == 1 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2.0;
}

// spec/lead.md §9.1, exact names and definitions.
void fill_metrics(const rollout_batch& batch, const lead_config& config, const lead_state& state,
                  lead_result& r) {
  auto& m = r.metrics;
  m["lead/step"] = static_cast<double>(state.step_count);
  m["lead/lstar_mode"] = config.lstar_mode == efficiency_mode::max_asym ? 0.0 : 1.0;

  double lstar_sum = 0.0;
  std::vector<double> solvable;
  for (const length_target& t : r.lstar) {
    lstar_sum += t.lstar;
    if (t.lstar < config.bmax)
      solvable.push_back(t.lstar);  // strict: clamped-to-bmax counts unsolved
  }
  const std::size_t q = r.lstar.size();
  m["lead/lstar_mean"] = lstar_sum / static_cast<double>(q);
  double s_sum = 0.0;
  for (double l : solvable) s_sum += l;
  const bool any_solvable = !solvable.empty();
  m["lead/lstar_mean_solvable"] = any_solvable ? s_sum / static_cast<double>(solvable.size()) : 0.0;
  m["lead/lstar_median_solvable"] = any_solvable ? median_of(solvable) : 0.0;
  m["lead/lstar_min_solvable"] =
      any_solvable ? *std::min_element(solvable.begin(), solvable.end()) : 0.0;
  m["lead/lstar_max_solvable"] =
      any_solvable ? *std::max_element(solvable.begin(), solvable.end()) : 0.0;
  m["lead/num_solvable_prompts"] = static_cast<double>(solvable.size());
  m["lead/num_unsolved_prompts"] = static_cast<double>(q - solvable.size());

  const std::size_t n = batch.size();
  std::size_t n_correct = 0;
  double r_sum = 0.0, r_sum_c = 0.0, len_sum = 0.0, len_sum_c = 0.0;
  double r_min_c = 0.0, r_max_c = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    r_sum += r.r_eff[i];
    len_sum += batch.lengths[i];
    if (!r.is_correct[i]) continue;
    if (n_correct == 0) {
      r_min_c = r_max_c = r.r_eff[i];
    } else {
      r_min_c = std::min(r_min_c, r.r_eff[i]);
      r_max_c = std::max(r_max_c, r.r_eff[i]);
    }
    ++n_correct;
    r_sum_c += r.r_eff[i];
    len_sum_c += batch.lengths[i];
  }
  const double nd = static_cast<double>(n);
  const double ncd = static_cast<double>(n_correct);
  m["lead/accuracy_batch"] = ncd / nd;
  m["lead/r_eff_mean"] = r_sum / nd;
  m["lead/r_eff_mean_correct"] = n_correct > 0 ? r_sum_c / ncd : 0.0;
  m["lead/r_eff_min_correct"] = r_min_c;
  m["lead/r_eff_max_correct"] = r_max_c;
  m["lead/resp_len_mean"] = len_sum / nd;
  m["lead/resp_len_mean_correct"] = n_correct > 0 ? len_sum_c / ncd : 0.0;

  const psi_weights& p = r.psi;
  m["lead/mu_corr"] = p.corr.mu;
  m["lead/sigma_corr"] = p.corr.sigma;
  m["lead/mu_eff"] = p.eff.mu;
  m["lead/sigma_eff"] = p.eff.sigma;
  m["lead/cv_corr"] = p.corr.cv;
  m["lead/cv_eff"] = p.eff.cv;
  m["lead/cv_corr_norm"] = p.corr.cv_norm;
  m["lead/cv_eff_norm"] = p.eff.cv_norm;
  m["lead/potential_corr"] = p.corr.potential;
  m["lead/potential_eff"] = p.eff.potential;
  m["lead/D_corr"] = p.corr.D;
  m["lead/D_eff"] = p.eff.D;
  if (config.static_lambda_corr) m["lead/static_w_corr"] = *config.static_lambda_corr;
  m["lead/target_w_corr"] = p.target[0];
  m["lead/target_w_eff"] = p.target[1];
  m["lead/w_corr"] = p.w_corr;
  m["lead/w_eff"] = p.w_eff;
}

}  // namespace

length_target_table make_length_target_table(const lead_config& config) {
  return length_target_table(config.aggregator, static_cast<std::size_t>(std::max<std::int64_t>(
                                                    1, config.lstar_table_history)));
}

result<lead_result> lead_step(const rollout_batch& batch, const lead_config& config,
                              lead_state& state, length_target_table* table) {
  if (auto s = validate_config(config); !s) return s.error();
  if (auto s = validate(batch); !s) return s.error().with_context("lead");
  const bool table_mode = config.lstar_table == length_target_mode::table;
  if (table_mode && table == nullptr) {
    return fail("lead: lstar_table is 'table' but no length_target_table was given");
  }
  if (table != nullptr &&
      (table->aggregator() != config.aggregator ||
       static_cast<std::int64_t>(table->history()) != config.lstar_table_history)) {
    return fail(std::string("lead: the length table was built for aggregator ") +
                to_string(table->aggregator()) + " with history " +
                std::to_string(table->history()) + ", the config asks for " +
                to_string(config.aggregator) + " with history " +
                std::to_string(config.lstar_table_history));
  }

  // Everything below is computed into locals; state and table change only at the end.
  lead_state next = state;
  next.step_count += 1;  // spec/lead.md §2.2 step 1

  lead_result r;
  const std::size_t n = batch.size();
  r.groups = index_groups(batch.prompt_ids);
  r.is_correct.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    r.is_correct[i] = batch.correctness[i] > config.correct_threshold;  // strict (§1)
  }

  // §3: L*_q from the group (reference) or the persistent table.
  const length_target_options lt{config.aggregator, config.lstar_floor, config.bmax};
  std::optional<length_target_plan> plan;
  if (table != nullptr) {
    auto p = table->plan(batch.lengths, r.is_correct, r.groups, lt, next.step_count);
    if (!p) return p.error().with_context("lead");
    plan = std::move(*p);
  }
  if (table_mode) {
    r.lstar = plan->targets;
  } else {
    r.lstar = group_length_targets(batch.lengths, r.is_correct, r.groups, lt);
    if (plan) {
      for (std::size_t g = 0; g < r.lstar.size(); ++g) plan->updated.lstar[g] = r.lstar[g].lstar;
    }
  }

  // §4 and §5: R_eff, then each reward normalised within its group separately.
  r.r_eff = efficiency_rewards(batch.lengths, r.is_correct, r.groups, r.lstar,
                               {config.lstar_mode, config.short_len});
  const group_normalization_options gn{config.grpo_epsilon, true};
  r.adv_corr = group_normalize(batch.correctness, r.groups, gn, &r.corr_group_stats);
  r.adv_eff = group_normalize(r.r_eff, r.groups, gn, &r.eff_group_stats);

  // §6.
  r.psi = psi_update(batch.correctness, r.r_eff, r.is_correct, r.groups, config, state);

  // §7: combine, then whiten over all tokens (each rollout counts lengths[i] times).
  r.adv_combined.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    r.adv_combined[i] = r.psi.w_corr * r.adv_corr[i] + r.psi.w_eff * r.adv_eff[i];
  }
  auto white = whiten(r.adv_combined, batch.lengths,
                      {whitening_kind::unbiased, config.whiten_epsilon}, &r.whitening);
  if (!white) return white.error().with_context("lead");
  r.advantages = std::move(*white);

  commit_psi_weights(r.psi, next);
  fill_metrics(batch, config, next, r);
  if (table != nullptr) {
    std::size_t carried = 0;
    for (const length_target& t : r.lstar) carried += t.source == lstar_source::carried ? 1 : 0;
    table->commit(std::move(*plan));
    // Extra metrics, only when a table is kept (not part of the reference's set).
    r.metrics["lead/lstar_table_prompts"] = static_cast<double>(table->size());
    r.metrics["lead/lstar_carried_prompts"] = static_cast<double>(carried);
  }
  state = next;
  return r;
}

}  // namespace leadrl::lead
