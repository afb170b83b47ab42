// File: lead/baselines.hpp
//
// The reward functions and advantage estimators LEAD is compared with
// (spec/baselines.md): GRPO and its no-std variant, GDPO, Arora–Zanette, the LEAD
// repository's threshold GRPO, Kimi k1.5, L1, ThinkPrune, ShorterBetter, LC-R1, DAPO's
// soft overlong penalty, O1-Pruner and the LASER family. HAPO, which keeps per-prompt
// history across steps, lives in lead/baseline_hapo.hpp.
//
//   auto g = lead::index_groups(batch.prompt_ids);
//   auto out = lead::arora_zanette(batch.correctness, batch.lengths, batch.truncated, g, {});
//
// Conventions shared by every function here:
// - Per-row vectors have one entry per rollout of `groups` (groups.group_of.size()).
// - A correctness score counts as correct iff it is > 0.5 (spec/lead.md §1); methods that
//   write "1[c]" or "c_i" in spec/baselines.md use that 0/1 indicator.
// - Lengths are response token counts, finite and >= 1.
// - Every function fails (never throws, never returns NaN) on an empty batch, a per-row
//   vector of the wrong size, a non-finite value, a length < 1, or a bad parameter; the
//   message names the input and what was expected.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "lead/group_normalization.hpp"
#include "lead/rollout_batch.hpp"

namespace leadrl::lead {

/// The correctness cut-off shared with LEAD: a score counts as correct iff it is > this.
inline constexpr double correct_threshold = 0.5;

// ---------------------------------------------------------------------------------------
// §0.1 GRPO (verl)

/// verl GRPO normalisation of `rewards` within each group (spec/baselines.md §0.1):
/// (r - mean) / (sample std + epsilon); a singleton group uses mean 0, std 1.
/// Fails on a size mismatch with `groups`, an empty batch or a non-finite reward.
result<std::vector<double>> grpo_advantages(const std::vector<double>& rewards,
                                            const group_index& groups, double epsilon = 1e-6);

/// The "no std" variant (Dr. GRPO idea): r - mean; a singleton keeps r.
/// Fails like grpo_advantages.
result<std::vector<double>> grpo_no_std_advantages(const std::vector<double>& rewards,
                                                   const group_index& groups);

// ---------------------------------------------------------------------------------------
// §1 Arora & Zanette: sigmoid length penalty on correct, finished rows; RLOO; whitening

struct arora_zanette_config {
  double alpha = 0.1;            ///< penalty strength, in [0, 1)
  double std_epsilon = 1e-7;     ///< added to the population std of correct lengths
  bool check_eos = true;         ///< a truncated row never counts as correct
  double whiten_epsilon = 1e-8;  ///< OpenRLHF population whitening floor on the variance
};

/// Statistics of one group's correct (and, with check_eos, finished) lengths.
struct correct_length_stats {
  std::size_t n_correct = 0;
  double mean = 0.0;  ///< meaningful only when n_correct > 0
  double std = 0.0;   ///< population std; meaningful only when n_correct > 0
};

struct arora_zanette_output {
  std::vector<double> rewards;                    ///< per row
  std::vector<correct_length_stats> group_stats;  ///< per group of `groups`
  std::vector<double> rloo_advantages;            ///< per row, before whitening
  std::vector<double> advantages;                 ///< per row, OpenRLHF-whitened (final)
};

/// Reward r = 1 - alpha * sigmoid((L - mu) / (s + eps)) on correct finished rows, 0 else;
/// RLOO; token-weighted population whitening (spec/baselines.md §1, §0.2, §0.3).
/// `truncated` may be empty (no row truncated). Fails on bad sizes or values, alpha
/// outside [0, 1), a group of one rollout (RLOO is undefined), or a whitening failure.
result<arora_zanette_output> arora_zanette(const std::vector<double>& correctness,
                                           const std::vector<double>& lengths,
                                           const std::vector<bool>& truncated,
                                           const group_index& groups,
                                           const arora_zanette_config& config);

// ---------------------------------------------------------------------------------------
// §2 GRPO baselines of the LEAD repository (threshold length bonus)

enum class threshold_mode {
  classic,      ///< r = lam_corr*c + lam_len*1[len <= T]
  conditioned,  ///< r = lam_corr*c + lam_len*1[c and len <= T]
};

struct threshold_reward_config {
  double lam_corr = 1.0;
  double lam_len = 1.0;
  double len = 2000.0;  ///< T, the length threshold, in the units of the estimated length
  threshold_mode mode = threshold_mode::conditioned;
};

/// Parses "classic" / "conditioned". Fails on any other name, listing both.
result<threshold_mode> parse_threshold_mode(const std::string& name);

/// The LEAD repo's threshold reward (spec/baselines.md §2). `estimated_length` is the
/// reference's characters/4 estimate, or token counts (any finite value >= 0).
/// Fails on bad sizes or non-finite values.
result<std::vector<double>> threshold_rewards(const std::vector<double>& correctness,
                                              const std::vector<double>& estimated_length,
                                              const threshold_reward_config& config);

// ---------------------------------------------------------------------------------------
// §4 GDPO: per-component GRPO, weighted sum, verl whitening

struct gdpo_component {
  std::vector<double> values;  ///< per row
  double weight = 1.0;
  bool always_used = false;  ///< exempt from the all-zero skip rule (correctness)
};

struct gdpo_output {
  std::vector<bool> component_used;  ///< per component
  std::vector<double> summed;        ///< per row: sum_k w_k * GRPO(component k)
  std::vector<double> advantages;    ///< per row: verl-whitened `summed`
};

/// GDPO (spec/baselines.md §4): a component with weight 0, or (unless always_used) whose
/// values are all zero over the batch, is skipped. Fails on no components, bad sizes or
/// values, or a whitening failure (total token count <= 1).
result<gdpo_output> gdpo(const std::vector<gdpo_component>& components,
                         const std::vector<double>& lengths, const group_index& groups,
                         double grpo_epsilon = 1e-6, double whiten_epsilon = 1e-8);

// ---------------------------------------------------------------------------------------
// §5 Kimi k1.5 length reward

/// lambda = 0.5 - (L - Lmin)/(Lmax - Lmin) over all rows of the group (0 if Lmax = Lmin);
/// correct rows get lambda, wrong rows min(0, lambda) (spec/baselines.md §5).
/// The total reward is 1[c] + w * len. Fails on bad sizes or values.
result<std::vector<double>> kimi_length_rewards(const std::vector<double>& correctness,
                                                const std::vector<double>& lengths,
                                                const group_index& groups);

// ---------------------------------------------------------------------------------------
// §6 L1 / LCPO

enum class l1_max_variant {
  paper,            ///< 1[c] * clip(alpha*(n_gold - n) + delta, 0, 1)
  code_multiplier,  ///< 1[c] * max(0, (clip(alpha*(n_gold - n), -1, 1) + 1)/2)
  code_additive,    ///< 1[c] + (clip(alpha*(n_gold - n), -1, 1) + 1)/2
};

struct l1_config {
  double alpha = 0.0003;
  double delta = 0.5;  ///< paper L1-Max offset
  l1_max_variant max_variant = l1_max_variant::paper;
};

/// Parses "paper" / "code_multiplier" / "code_additive"; fails otherwise, listing them.
result<l1_max_variant> parse_l1_max_variant(const std::string& name);

/// L1-Exact: 1[c] - alpha*|n_gold - n| (wrong answers not floored). `n_gold` is the
/// per-row token target written into the prompt. Fails on bad sizes or values
/// (n_gold must be finite and >= 0).
result<std::vector<double>> l1_exact_rewards(const std::vector<double>& correctness,
                                             const std::vector<double>& lengths,
                                             const std::vector<double>& n_gold,
                                             const l1_config& config);

/// L1-Max in the variant `config.max_variant`. Fails like l1_exact_rewards.
result<std::vector<double>> l1_max_rewards(const std::vector<double>& correctness,
                                           const std::vector<double>& lengths,
                                           const std::vector<double>& n_gold,
                                           const l1_config& config);

// ---------------------------------------------------------------------------------------
// §7 ThinkPrune

/// 1 if correct, not truncated and L <= limit (a longer row counts as cut), else 0.
/// `truncated` may be empty. Fails on bad sizes or values, or limit < 1.
result<std::vector<double>> thinkprune_rewards(const std::vector<double>& correctness,
                                               const std::vector<double>& lengths,
                                               const std::vector<bool>& truncated, double limit);

// ---------------------------------------------------------------------------------------
// §8 ShorterBetter

struct shorterbetter_config {
  double alpha = 2.0;
  double beta = 0.001;
};

struct shorterbetter_output {
  std::vector<double> sol;      ///< per group: shortest correct length, else mean length
  std::vector<double> rewards;  ///< per row: alpha*1[c] - beta*|L - SOL|
};

/// ShorterBetter's sample-optimal-length reward (spec/baselines.md §8).
/// Fails on bad sizes or values.
result<shorterbetter_output> shorterbetter_rewards(const std::vector<double>& correctness,
                                                   const std::vector<double>& lengths,
                                                   const group_index& groups,
                                                   const shorterbetter_config& config);

// ---------------------------------------------------------------------------------------
// §9 LC-R1 (the pieces computable from given inputs)
//
// The LC-Extractor model that finds the answer position is out of scope: callers pass
// its result (`answer_prefix_len`, 0 = not found) from whatever substitute they use.

struct lcr1_config {
  double len_coef = 1.0;       ///< c_len
  double compress_coef = 1.0;  ///< c_cmp
  double epsilon = 1e-4;       ///< added to the denominators of both rewards
};

struct lcr1_inputs {
  std::vector<double> format_ok;           ///< f_i: 1 if exactly one </think>
  std::vector<double> accuracy_ok;         ///< a_i
  std::vector<double> lengths;             ///< tokens of the (possibly compressed) sequence
  std::vector<double> think_len_original;  ///< T_i: thinking tokens before compression
  std::vector<double> answer_prefix_len;   ///< p_i from the extractor; 0 = not found
};

struct lcr1_output {
  std::vector<double> base;            ///< f + a; a row is right iff base == 2
  std::vector<double> len_rewards;     ///< 1 - L/(max right L + eps) in groups with a right row
  std::vector<double> advantages;      ///< (base + c_len*len) - group mean, no std
  std::vector<double> compress_bonus;  ///< c_cmp * C_i, added at the </think> token only
};

/// The length of a row after LC-R1 compression: for a right row whose answer was found
/// within the thinking (0 < p <= T), p + tail; otherwise T + tail.
double lcr1_compressed_length(double think_len, double tail_len, double answer_prefix_len,
                              bool right);

/// LC-R1 rewards and advantages (spec/baselines.md §9). A prefix p > T counts as not
/// found (the extractor's convention). Fails on bad sizes or values.
result<lcr1_output> lcr1(const lcr1_inputs& inputs, const group_index& groups,
                         const lcr1_config& config);

// ---------------------------------------------------------------------------------------
// §11 DAPO soft overlong punishment

struct dapo_overlong_config {
  double l_max = 20480.0;   ///< generation limit
  double l_cache = 4096.0;  ///< width of the linear ramp
  double factor = 1.0;      ///< k
};

/// pen(L): 0 up to l_max - l_cache, linear to -factor at l_max, -factor beyond.
/// Fails on an empty or bad length vector, or l_cache outside (0, l_max].
result<std::vector<double>> dapo_overlong_penalties(const std::vector<double>& lengths,
                                                    const dapo_overlong_config& config);

// ---------------------------------------------------------------------------------------
// §12 O1-Pruner

/// R = ref_mean_len/L - 1 + lambda*(1[c] - ref_mean_acc), used directly as the advantage.
/// Fails on bad sizes or values, ref_mean_len <= 0, or ref_mean_acc outside [0, 1].
result<std::vector<double>> o1_pruner_rewards(const std::vector<double>& correctness,
                                              const std::vector<double>& lengths,
                                              const std::vector<double>& ref_mean_length,
                                              const std::vector<double>& ref_mean_accuracy,
                                              double lambda = 2.0);

// ---------------------------------------------------------------------------------------
// §13 LASER, LASER-D, LASER-DE

enum class laser_variant { laser, laser_d, laser_de };
enum class laser_bucket { easy, medium, hard };

/// "easy" / "medium" / "hard".
const char* to_string(laser_bucket b);

struct laser_config {
  double alpha = 0.5;
  double target = 2048.0;         ///< L_T (LASER)
  double target_easy = 2048.0;    ///< L_A(easy)   (LASER-D, -DE)
  double target_medium = 4096.0;  ///< L_A(medium)
  double target_hard = 8192.0;    ///< L_A(hard)
  double r_correct = 1.0;
  double r_wrong = -0.5;
  double r_invalid = -1.0;  ///< rows whose format is invalid
};

struct laser_output {
  std::vector<laser_bucket> buckets;  ///< per group
  std::vector<double> rewards;        ///< per row
};

/// Difficulty of each group from its own rollouts: easy if #correct > 2k/3, medium if
/// > k/3, else hard (zero correct is hard). One entry per group.
std::vector<laser_bucket> laser_buckets(const std::vector<double>& correctness,
                                        const group_index& groups);

/// LASER-family rewards (spec/baselines.md §13). `format_valid` may be empty (every row
/// valid); otherwise a row with format_valid[i] <= 0.5 gets r_invalid and no bonus.
/// Fails on bad sizes or values.
result<laser_output> laser_rewards(const std::vector<double>& correctness,
                                   const std::vector<double>& lengths,
                                   const std::vector<double>& format_valid,
                                   const group_index& groups, laser_variant variant,
                                   const laser_config& config);

/// LASER-D's adaptive target for one bucket, as paraphrased in spec/baselines.md §13
/// (unconfirmed against the authors' code): the smallest l = start, start+step, ... <=
/// window with (fraction of `monitor_lengths` <= l) * min_correct >= 1; `window` if none.
/// Fails on an empty `monitor_lengths`, step <= 0, start > window or min_correct < 1.
result<double> laser_adaptive_target(const std::vector<double>& monitor_lengths, double min_correct,
                                     double start, double window, double step);

}  // namespace leadrl::lead
