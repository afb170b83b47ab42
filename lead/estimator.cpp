#include "lead/estimator.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "lead/baseline_checks.hpp"

namespace leadrl::lead {
namespace {

using estimator_fn = result<estimator_output> (*)(const estimator_config&, const rollout_batch&,
                                                  const group_index&, estimator_state&,
                                                  const estimator_inputs&);

double indicator(double score) {
  return score > correct_threshold ? 1.0 : 0.0;
}

/// Requires an extra input with one entry per rollout.
status require_input(const char* method, const char* field, const std::vector<double>& values,
                     std::size_t n) {
  if (values.empty()) {
    return fail(std::string(method) + ": estimator_inputs." + field + " is required (" +
                std::to_string(n) + " entries, one per rollout), got none");
  }
  if (auto s = check_rows((std::string("estimator_inputs.") + field).c_str(), values, n,
                          row_rule::finite);
      !s) {
    return s.error().with_context(method);
  }
  return status::success();
}

void add_summary(const char* prefix, const std::vector<double>& v,
                 std::map<std::string, double>& metrics) {
  if (v.empty()) return;
  double sum = 0.0;
  double lo = v.front();
  double hi = v.front();
  for (double x : v) {
    sum += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const double mean = sum / static_cast<double>(v.size());
  double ss = 0.0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const std::string p(prefix);
  metrics[p + "/mean"] = mean;
  metrics[p + "/std"] = std::sqrt(ss / static_cast<double>(v.size()));
  metrics[p + "/min"] = lo;
  metrics[p + "/max"] = hi;
}

/// A reward-then-GRPO estimator's output.
result<estimator_output> grpo_on(std::vector<double> rewards, const group_index& groups,
                                 const estimator_config& config) {
  auto adv = grpo_advantages(rewards, groups, config.grpo_epsilon);
  if (!adv) return adv.error().with_context(config.name);
  estimator_output out;
  out.advantages = std::move(*adv);
  out.rewards = std::move(rewards);
  return out;
}

result<estimator_output> run_lead(const estimator_config& config, const rollout_batch& batch,
                                  const group_index&, estimator_state& state,
                                  const estimator_inputs&) {
  // A table nobody has used yet follows the config; a used one must match (lead_step checks).
  const length_target_table& t = state.lstar_table;
  if (t.size() == 0 &&
      (t.aggregator() != config.lead.aggregator ||
       static_cast<std::int64_t>(t.history()) != config.lead.lstar_table_history)) {
    if (auto s = validate_config(config.lead); !s) return s.error();
    state.lstar_table = make_length_target_table(config.lead);
  }
  auto r = lead_step(batch, config.lead, state.lead, &state.lstar_table);
  if (!r) return r.error();
  estimator_output out;
  out.advantages = std::move(r->advantages);
  out.w_corr = r->psi.w_corr;
  out.w_eff = r->psi.w_eff;
  out.lstar_prompt_ids = r->groups.prompts;
  for (const length_target& t : r->lstar) out.lstar.push_back(t.lstar);
  std::vector<double> eff_of_correct;
  for (std::size_t i = 0; i < r->r_eff.size(); ++i) {
    if (r->is_correct[i]) eff_of_correct.push_back(r->r_eff[i]);
  }
  add_summary("reward/efficiency", eff_of_correct, r->metrics);
  out.metrics = std::move(r->metrics);
  return out;
}

result<estimator_output> run_grpo(const estimator_config& config, const rollout_batch& batch,
                                  const group_index& groups, estimator_state&,
                                  const estimator_inputs&) {
  return grpo_on(batch.correctness, groups, config);
}

result<estimator_output> run_grpo_no_std(const estimator_config&, const rollout_batch& batch,
                                         const group_index& groups, estimator_state&,
                                         const estimator_inputs&) {
  auto adv = grpo_no_std_advantages(batch.correctness, groups);
  if (!adv) return adv.error();
  estimator_output out;
  out.advantages = std::move(*adv);
  out.rewards = batch.correctness;
  return out;
}

result<estimator_output> run_gdpo(const estimator_config& config, const rollout_batch& batch,
                                  const group_index& groups, estimator_state&,
                                  const estimator_inputs&) {
  const std::size_t n = batch.size();
  if (auto s = check_parameter("gdpo length_threshold", config.gdpo.length_threshold); !s) {
    return s.error();
  }
  std::vector<gdpo_component> comps(3);
  comps[0] = {batch.correctness, config.gdpo.w_correctness, true};
  comps[1] = {batch.format.empty() ? std::vector<double>(n, 0.0) : batch.format,
              config.gdpo.w_format, false};
  comps[2].values.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    comps[2].values[i] =
        (indicator(batch.correctness[i]) > 0.0 && batch.lengths[i] <= config.gdpo.length_threshold)
            ? 1.0
            : 0.0;
  }
  comps[2].weight = config.gdpo.w_length;
  auto g = gdpo(comps, batch.lengths, groups, config.grpo_epsilon, config.gdpo.whiten_epsilon);
  if (!g) return g.error();
  estimator_output out;
  out.advantages = std::move(g->advantages);
  out.metrics["gdpo/components_used"] =
      static_cast<double>(std::count(g->component_used.begin(), g->component_used.end(), true));
  return out;
}

result<estimator_output> run_arora(const estimator_config& config, const rollout_batch& batch,
                                   const group_index& groups, estimator_state&,
                                   const estimator_inputs&) {
  auto a = arora_zanette(batch.correctness, batch.lengths, batch.truncated, groups,
                         config.arora_zanette);
  if (!a) return a.error();
  estimator_output out;
  out.advantages = std::move(a->advantages);
  out.rewards = std::move(a->rewards);
  std::size_t counted = 0;
  for (const correct_length_stats& s : a->group_stats) counted += s.n_correct;
  out.metrics["arora_zanette/correct_finished_fraction"] =
      static_cast<double>(counted) / static_cast<double>(batch.size());
  return out;
}

result<estimator_output> run_lead_repo_grpo(const estimator_config& config,
                                            const rollout_batch& batch, const group_index& groups,
                                            estimator_state&, const estimator_inputs& inputs) {
  const std::vector<double>& est =
      inputs.estimated_length.empty() ? batch.lengths : inputs.estimated_length;
  auto r = threshold_rewards(batch.correctness, est, config.threshold);
  if (!r) return r.error().with_context("lead_repo_grpo");
  return grpo_on(std::move(*r), groups, config);
}

result<estimator_output> run_kimi(const estimator_config& config, const rollout_batch& batch,
                                  const group_index& groups, estimator_state&,
                                  const estimator_inputs&) {
  if (auto s = check_parameter("kimi weight", config.kimi_weight); !s) return s.error();
  auto len = kimi_length_rewards(batch.correctness, batch.lengths, groups);
  if (!len) return len.error();
  std::vector<double> total(batch.size());
  for (std::size_t i = 0; i < total.size(); ++i) {
    total[i] = indicator(batch.correctness[i]) + config.kimi_weight * (*len)[i];
  }
  return grpo_on(std::move(total), groups, config);
}

result<estimator_output> run_l1(const estimator_config& config, const rollout_batch& batch,
                                const group_index& groups, const estimator_inputs& inputs,
                                bool exact) {
  const char* method = exact ? "l1_exact" : "l1_max";
  if (auto s = require_input(method, "n_gold", inputs.n_gold, batch.size()); !s) return s.error();
  auto r = exact ? l1_exact_rewards(batch.correctness, batch.lengths, inputs.n_gold, config.l1)
                 : l1_max_rewards(batch.correctness, batch.lengths, inputs.n_gold, config.l1);
  if (!r) return r.error().with_context(method);
  return grpo_on(std::move(*r), groups, config);
}

result<estimator_output> run_l1_exact(const estimator_config& config, const rollout_batch& batch,
                                      const group_index& groups, estimator_state&,
                                      const estimator_inputs& inputs) {
  return run_l1(config, batch, groups, inputs, true);
}

result<estimator_output> run_l1_max(const estimator_config& config, const rollout_batch& batch,
                                    const group_index& groups, estimator_state&,
                                    const estimator_inputs& inputs) {
  return run_l1(config, batch, groups, inputs, false);
}

result<estimator_output> run_thinkprune(const estimator_config& config, const rollout_batch& batch,
                                        const group_index& groups, estimator_state&,
                                        const estimator_inputs&) {
  auto r = thinkprune_rewards(batch.correctness, batch.lengths, batch.truncated,
                              config.thinkprune_limit);
  if (!r) return r.error();
  return grpo_on(std::move(*r), groups, config);
}

result<estimator_output> run_shorterbetter(const estimator_config& config,
                                           const rollout_batch& batch, const group_index& groups,
                                           estimator_state&, const estimator_inputs&) {
  auto r = shorterbetter_rewards(batch.correctness, batch.lengths, groups, config.shorterbetter);
  if (!r) return r.error();
  double sol_sum = 0.0;
  for (double s : r->sol) sol_sum += s;
  auto out = grpo_on(std::move(r->rewards), groups, config);
  if (out) out->metrics["shorterbetter/mean_sol"] = sol_sum / static_cast<double>(r->sol.size());
  return out;
}

result<estimator_output> run_hapo(const estimator_config& config, const rollout_batch& batch,
                                  const group_index& groups, estimator_state& state,
                                  const estimator_inputs&) {
  hapo_config hc = config.hapo;
  hc.grpo_epsilon = config.grpo_epsilon;
  std::size_t with_history = 0;
  for (prompt_id id : groups.prompts) with_history += state.hapo.lookup(id).has_value() ? 1 : 0;
  auto h = hapo_step(batch.correctness, batch.lengths, groups, state.hapo, hc);
  if (!h) return h.error();
  estimator_output out;
  out.advantages = std::move(h->advantages);
  out.rewards = std::move(h->rewards);
  out.metrics["hapo/groups_with_history"] = static_cast<double>(with_history);
  out.metrics["hapo/history_size"] = static_cast<double>(state.hapo.size());
  return out;
}

result<estimator_output> run_dapo_overlong(const estimator_config& config,
                                           const rollout_batch& batch, const group_index& groups,
                                           estimator_state&, const estimator_inputs&) {
  if (auto s = check_parameter("dapo r_correct", config.dapo.r_correct); !s) return s.error();
  if (auto s = check_parameter("dapo r_wrong", config.dapo.r_wrong); !s) return s.error();
  auto pen = dapo_overlong_penalties(batch.lengths, config.dapo.overlong);
  if (!pen) return pen.error();
  std::vector<double> r(batch.size());
  std::size_t penalised = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    r[i] = (indicator(batch.correctness[i]) > 0.0 ? config.dapo.r_correct : config.dapo.r_wrong) +
           (*pen)[i];
    penalised += (*pen)[i] < 0.0 ? 1 : 0;
  }
  auto out = grpo_on(std::move(r), groups, config);
  if (out) {
    out->metrics["dapo_overlong/penalised_fraction"] =
        static_cast<double>(penalised) / static_cast<double>(batch.size());
  }
  return out;
}

result<estimator_output> run_o1_pruner(const estimator_config& config, const rollout_batch& batch,
                                       const group_index&, estimator_state&,
                                       const estimator_inputs& inputs) {
  if (auto s = require_input("o1_pruner", "ref_mean_length", inputs.ref_mean_length, batch.size());
      !s) {
    return s.error();
  }
  if (auto s =
          require_input("o1_pruner", "ref_mean_accuracy", inputs.ref_mean_accuracy, batch.size());
      !s) {
    return s.error();
  }
  auto r = o1_pruner_rewards(batch.correctness, batch.lengths, inputs.ref_mean_length,
                             inputs.ref_mean_accuracy, config.o1_pruner_lambda);
  if (!r) return r.error().with_context("o1_pruner");
  estimator_output out;
  out.advantages = *r;  // spec/baselines.md §12: R is the advantage, no normalisation
  out.rewards = std::move(*r);
  return out;
}

result<estimator_output> run_laser_variant(const estimator_config& config,
                                           const rollout_batch& batch, const group_index& groups,
                                           laser_variant variant) {
  auto r =
      laser_rewards(batch.correctness, batch.lengths, batch.format, groups, variant, config.laser);
  if (!r) return r.error();
  std::size_t counts[3] = {0, 0, 0};
  for (laser_bucket b : r->buckets) ++counts[static_cast<int>(b)];
  auto out = grpo_on(std::move(r->rewards), groups, config);
  if (out) {
    out->metrics["laser/easy_groups"] = static_cast<double>(counts[0]);
    out->metrics["laser/medium_groups"] = static_cast<double>(counts[1]);
    out->metrics["laser/hard_groups"] = static_cast<double>(counts[2]);
  }
  return out;
}

result<estimator_output> run_laser(const estimator_config& config, const rollout_batch& batch,
                                   const group_index& groups, estimator_state&,
                                   const estimator_inputs&) {
  return run_laser_variant(config, batch, groups, laser_variant::laser);
}

result<estimator_output> run_laser_d(const estimator_config& config, const rollout_batch& batch,
                                     const group_index& groups, estimator_state&,
                                     const estimator_inputs&) {
  return run_laser_variant(config, batch, groups, laser_variant::laser_d);
}

result<estimator_output> run_laser_de(const estimator_config& config, const rollout_batch& batch,
                                      const group_index& groups, estimator_state&,
                                      const estimator_inputs&) {
  return run_laser_variant(config, batch, groups, laser_variant::laser_de);
}

struct registry_entry {
  const char* name;
  estimator_fn run;
};

const std::vector<registry_entry>& registry() {
  static const std::vector<registry_entry> entries{
      {"lead", run_lead},
      {"grpo", run_grpo},
      {"grpo_no_std", run_grpo_no_std},
      {"gdpo", run_gdpo},
      {"arora_zanette", run_arora},
      {"lead_repo_grpo", run_lead_repo_grpo},
      {"kimi", run_kimi},
      {"l1_exact", run_l1_exact},
      {"l1_max", run_l1_max},
      {"thinkprune", run_thinkprune},
      {"shorterbetter", run_shorterbetter},
      {"hapo", run_hapo},
      {"dapo_overlong", run_dapo_overlong},
      {"o1_pruner", run_o1_pruner},
      {"laser", run_laser},
      {"laser_d", run_laser_d},
      {"laser_de", run_laser_de},
  };
  return entries;
}

const std::vector<std::pair<std::string, std::string>>& aliases() {
  static const std::vector<std::pair<std::string, std::string>> a{{"arora", "arora_zanette"}};
  return a;
}

}  // namespace

estimator_state make_estimator_state(const estimator_config& config) {
  estimator_state s;
  s.lstar_table = make_length_target_table(config.lead);
  return s;
}

const std::vector<std::string>& estimator_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const registry_entry& e : registry()) n.emplace_back(e.name);
    for (const auto& [alias, target] : aliases()) n.push_back(alias);
    return n;
  }();
  return names;
}

result<std::string> canonical_estimator_name(const std::string& name) {
  for (const registry_entry& e : registry()) {
    if (name == e.name) return name;
  }
  for (const auto& [alias, target] : aliases()) {
    if (name == alias) return target;
  }
  std::string valid;
  for (const registry_entry& e : registry())
    valid += (valid.empty() ? "" : ", ") + std::string(e.name);
  for (const auto& [alias, target] : aliases()) {
    valid += ", " + alias + " (alias of " + target + ")";
  }
  return fail("advantage estimator '" + name + "': unknown name; expected one of " + valid);
}

result<estimator_output> compute_advantages(const std::string& name, const estimator_config& config,
                                            const rollout_batch& batch, estimator_state& state,
                                            const estimator_inputs& inputs) {
  auto canonical = canonical_estimator_name(name);
  if (!canonical) return canonical.error();
  if (auto s = validate(batch); !s) return s.error().with_context(*canonical);
  const std::size_t n = batch.size();
  for (auto [field, v] : {std::pair<const char*, const std::vector<double>*>{
                              "estimator_inputs.n_gold", &inputs.n_gold},
                          {"estimator_inputs.estimated_length", &inputs.estimated_length},
                          {"estimator_inputs.ref_mean_length", &inputs.ref_mean_length},
                          {"estimator_inputs.ref_mean_accuracy", &inputs.ref_mean_accuracy}}) {
    if (!v->empty() && v->size() != n) {
      return fail(*canonical + ": " + field + ": expected none or " + std::to_string(n) +
                  " entries (one per rollout), got " + std::to_string(v->size()));
    }
  }
  const group_index groups = index_groups(batch.prompt_ids);
  estimator_config named = config;
  named.name = *canonical;
  estimator_fn run = nullptr;
  for (const registry_entry& e : registry()) {
    if (*canonical == e.name) run = e.run;
  }
  auto out = run(named, batch, groups, state, inputs);
  if (!out) return out;
  add_summary("advantage", out->advantages, out->metrics);
  add_summary("reward", out->rewards, out->metrics);
  add_summary("reward/correctness", batch.correctness, out->metrics);
  return out;
}

result<estimator_output> compute_advantages(const estimator_config& config,
                                            const rollout_batch& batch, estimator_state& state,
                                            const estimator_inputs& inputs) {
  return compute_advantages(config.name, config, batch, state, inputs);
}

}  // namespace leadrl::lead
