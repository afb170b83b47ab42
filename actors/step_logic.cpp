#include "actors/step_logic.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace leadrl::actors {

std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t num_prompts, int world_size,
                                                  int rank) {
  const std::int64_t ws = std::max(world_size, 1);
  const std::int64_t base = num_prompts / ws;
  const std::int64_t extra = num_prompts % ws;
  const std::int64_t r = rank;
  const std::int64_t begin = r * base + std::min(r, extra);
  const std::int64_t end = begin + base + (r < extra ? 1 : 0);
  return {begin, end};
}

std::vector<std::vector<std::int64_t>> shard_prompts(const std::vector<std::int64_t>& prompt_ids,
                                                     int world_size) {
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(std::max(world_size, 1)));
  for (int r = 0; r < static_cast<int>(out.size()); ++r) {
    auto [b, e] = shard_range(static_cast<std::int64_t>(prompt_ids.size()), world_size, r);
    out[static_cast<std::size_t>(r)].assign(prompt_ids.begin() + b, prompt_ids.begin() + e);
  }
  return out;
}

std::vector<std::vector<std::size_t>> cut_micro_batches(const std::vector<std::size_t>& rows,
                                                        const std::vector<std::int64_t>& lengths,
                                                        std::int64_t micro_batch_size, bool dynamic,
                                                        std::int64_t max_tokens) {
  std::vector<std::vector<std::size_t>> out;
  if (!dynamic) {
    const auto n = static_cast<std::size_t>(std::max<std::int64_t>(micro_batch_size, 1));
    for (std::size_t b = 0; b < rows.size(); b += n) {
      out.emplace_back(rows.begin() + static_cast<std::ptrdiff_t>(b),
                       rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), b + n)));
    }
    return out;
  }
  std::vector<std::size_t> sorted = rows;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  std::int64_t longest = 0;
  for (std::size_t r : sorted) {
    if (out.empty() || static_cast<std::int64_t>(out.back().size() + 1) * longest > max_tokens) {
      out.emplace_back();
      longest = lengths[r];
    }
    out.back().push_back(r);
  }
  return out;
}

std::int64_t minibatch_of(std::int64_t batch_position, std::int64_t ppo_mini_batch_size) {
  return batch_position / std::max<std::int64_t>(ppo_mini_batch_size, 1);
}

std::int64_t behaviour_version(std::int64_t step, std::int64_t staleness, std::int64_t save_freq,
                               std::int64_t resumed_step) {
  std::int64_t v = std::max<std::int64_t>(step - 1 - staleness, 0);
  if (save_freq > 0) v = std::max(v, (step - 1) / save_freq * save_freq);
  return std::max(v, std::min(resumed_step, step - 1));
}

result<assembled_batch> assemble_batch(const std::vector<scored_rollouts>& by_rank,
                                       std::int64_t step) {
  assembled_batch out;
  out.step = step;
  out.rank_offsets.push_back(0);
  for (std::size_t r = 0; r < by_rank.size(); ++r) {
    const auto& s = by_rank[r];
    const std::string who = "scored_rollouts of rank " + std::to_string(r);
    if (s.step != step) {
      return fail(who + ": expected step " + std::to_string(step) + ", got " +
                  std::to_string(s.step));
    }
    if (s.rank != static_cast<std::int32_t>(r)) {
      return fail(who + ": carries rank " + std::to_string(s.rank));
    }
    const std::size_t n = s.prompt_ids.size();
    if (s.rollout_idx.size() != n || s.lengths.size() != n || s.correctness.size() != n ||
        (!s.format.empty() && s.format.size() != n) ||
        (!s.truncated.empty() && s.truncated.size() != n) ||
        (!s.skipped.empty() && s.skipped.size() != n)) {
      return fail(who + ": arrays of different sizes (" + std::to_string(n) + " prompt ids)");
    }
    auto& b = out.batch;
    b.prompt_ids.insert(b.prompt_ids.end(), s.prompt_ids.begin(), s.prompt_ids.end());
    b.lengths.insert(b.lengths.end(), s.lengths.begin(), s.lengths.end());
    b.correctness.insert(b.correctness.end(), s.correctness.begin(), s.correctness.end());
    if (s.format.empty()) {
      b.format.insert(b.format.end(), n, 0.0);
    } else {
      b.format.insert(b.format.end(), s.format.begin(), s.format.end());
    }
    for (std::size_t i = 0; i < n; ++i) {
      b.truncated.push_back(!s.truncated.empty() && s.truncated[i] != 0);
    }
    out.rollout_idx.insert(out.rollout_idx.end(), s.rollout_idx.begin(), s.rollout_idx.end());
    if (s.skipped.empty()) {
      out.skipped.insert(out.skipped.end(), n, 0);
    } else {
      out.skipped.insert(out.skipped.end(), s.skipped.begin(), s.skipped.end());
      out.counts_skips = true;
    }
    out.rank_offsets.push_back(b.prompt_ids.size());
  }
  if (!out.counts_skips) out.skipped.clear();
  if (out.batch.size() == 0) return fail("step " + std::to_string(step) + ": no rollouts reported");
  return out;
}

std::vector<step_plan> make_step_plans(const assembled_batch& batch,
                                       const lead::estimator_output& adv) {
  std::vector<step_plan> plans;
  for (std::size_t r = 0; r + 1 < batch.rank_offsets.size(); ++r) {
    step_plan p;
    p.step = batch.step;
    p.w_corr = adv.w_corr;
    p.w_eff = adv.w_eff;
    p.lstar_prompt_ids = adv.lstar_prompt_ids;
    p.lstar = adv.lstar;
    p.advantages.assign(
        adv.advantages.begin() + static_cast<std::ptrdiff_t>(batch.rank_offsets[r]),
        adv.advantages.begin() + static_cast<std::ptrdiff_t>(batch.rank_offsets[r + 1]));
    plans.push_back(std::move(p));
  }
  return plans;
}

result<std::map<std::string, double>> step_metrics(const assembled_batch& batch,
                                                   const lead::estimator_output& adv,
                                                   const std::vector<trained>& by_rank,
                                                   const step_timings& timings) {
  std::map<std::string, double> m = adv.metrics;
  const auto& b = batch.batch;
  const double n = static_cast<double>(b.size());
  double correct = 0, len_sum = 0, len_max = 0, len_min = HUGE_VAL, trunc = 0, len_correct = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const bool c = b.correctness[i] > 0.5;
    correct += c ? 1 : 0;
    len_sum += b.lengths[i];
    if (c) len_correct += b.lengths[i];
    len_max = std::max(len_max, b.lengths[i]);
    len_min = std::min(len_min, b.lengths[i]);
    trunc += b.truncated.empty() ? 0 : (b.truncated[i] ? 1 : 0);
  }
  m["critic/accuracy"] = correct / n;
  m["response_length/mean"] = len_sum / n;
  m["response_length/max"] = len_max;
  m["response_length/min"] = len_min;
  m["response_length/mean_correct"] = correct > 0 ? len_correct / correct : 0.0;
  m["response_length/clip_ratio"] = trunc / n;
  m["batch/rollouts"] = n;
  m["lead/w_corr_applied"] = adv.w_corr;
  m["lead/w_eff_applied"] = adv.w_eff;
  if (!by_rank.empty()) {
    const auto checksum = by_rank.front().parameter_checksum;
    for (const auto& t : by_rank) {
      if (t.parameter_checksum != checksum) {
        return fail("step " + std::to_string(batch.step) + ": rank " + std::to_string(t.rank) +
                    " reports parameter checksum " + std::to_string(t.parameter_checksum) +
                    ", rank 0 " + std::to_string(checksum) + " (replicas diverged)");
      }
    }
    if (checksum != 0) {
      // Lower 52 bits keep the value exact in a double (JSON number).
      m["params/checksum52"] = static_cast<double>(checksum & ((std::uint64_t{1} << 52) - 1));
      m["params/checksum_ranks_agree"] = 1.0;
    }
    for (const auto& t : by_rank) {
      for (const auto& [k, v] : t.metrics) {
        if (k.rfind("actor/", 0) == 0) {
          m[k] += v;  // additive over ranks (shared denominators)
        } else if (k.rfind("timing/", 0) == 0) {
          m[k] = std::max(m.count(k) ? m[k] : 0.0, v);  // the slowest rank sets the pace
        } else if (t.rank == 0) {
          m[k] = v;  // identical on every rank (lr, grad norm after all-reduce)
        }
      }
    }
  }
  m["timing/adv"] = timings.adv;
  m["timing/step"] = timings.step;
  m["timing/controller"] = timings.controller;
  if (timings.gen > 0) m["timing/gen_wall"] = timings.gen;
  if (timings.train > 0) m["timing/train_wall"] = timings.train;
  if (timings.step > 0) {
    m["timing/controller_share"] = timings.controller / timings.step;
    m["throughput/tokens_per_s"] = len_sum / timings.step;
  }
  return m;
}

std::map<std::string, double> level_metrics(const assembled_batch& batch,
                                            const lead::estimator_output& adv,
                                            const std::vector<int>& prompt_levels,
                                            double unsolved_lstar) {
  struct sums {
    double rollouts = 0, correct = 0, length = 0, skipped = 0, lstar = 0, lstar_prompts = 0;
  };
  std::map<int, sums> by_level;
  auto level_of = [&prompt_levels](std::int64_t id) {
    return id >= 0 && static_cast<std::size_t>(id) < prompt_levels.size()
               ? prompt_levels[static_cast<std::size_t>(id)]
               : 0;
  };
  const auto& b = batch.batch;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const int level = level_of(b.prompt_ids[i]);
    if (level <= 0) continue;
    sums& s = by_level[level];
    s.rollouts += 1;
    s.correct += b.correctness[i] > 0.5 ? 1 : 0;
    s.length += b.lengths[i];
    if (!batch.skipped.empty()) s.skipped += batch.skipped[i];
  }
  for (std::size_t i = 0; i < adv.lstar_prompt_ids.size(); ++i) {
    const int level = level_of(adv.lstar_prompt_ids[i]);
    if (level <= 0 || !(adv.lstar[i] < unsolved_lstar)) continue;
    by_level[level].lstar += adv.lstar[i];
    by_level[level].lstar_prompts += 1;
  }
  std::map<std::string, double> m;
  for (const auto& [level, s] : by_level) {
    const std::string key = "level" + std::to_string(level) + "/";
    if (s.rollouts > 0) {
      m[key + "rollouts"] = s.rollouts;
      m[key + "accuracy"] = s.correct / s.rollouts;
      m[key + "length"] = s.length / s.rollouts;
      if (!batch.skipped.empty()) m[key + "skip_rate"] = s.skipped / s.rollouts;
    }
    if (s.lstar_prompts > 0) m[key + "lstar_mean"] = s.lstar / s.lstar_prompts;
  }
  return m;
}

bool in_curriculum(std::int64_t step, std::int64_t switch_step) {
  return switch_step > 0 && step <= switch_step;
}

std::vector<std::int64_t> curriculum_prompts(const std::vector<int>& prompt_levels,
                                             int max_level) {
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < prompt_levels.size(); ++i) {
    if (prompt_levels[i] >= 1 && prompt_levels[i] <= max_level) {
      ids.push_back(static_cast<std::int64_t>(i));
    }
  }
  return ids;
}

std::string metrics_json_line(std::int64_t step, const std::map<std::string, double>& metrics) {
  std::ostringstream s;
  s << std::setprecision(17) << "{\"step\":" << step;
  for (const auto& [k, v] : metrics) {
    s << ",\"" << k << "\":";
    if (std::isfinite(v)) {
      s << v;
    } else {
      s << "null";
    }
  }
  s << "}";
  return s.str();
}

std::string progress_line(std::int64_t step, std::int64_t total_steps, double elapsed_s,
                          const std::map<std::string, double>& metrics) {
  auto get = [&](const char* k) {
    auto it = metrics.find(k);
    return it == metrics.end() ? 0.0 : it->second;
  };
  const double per_step = step > 0 ? elapsed_s / static_cast<double>(step) : 0.0;
  const auto eta = static_cast<long>(per_step * static_cast<double>(total_steps - step) + 0.5);
  char buf[200];
  std::snprintf(
      buf, sizeof buf, "step %lld/%lld | ETA %ldm%02lds | acc %.3f | len %.1f | w_corr %.3f",
      static_cast<long long>(step), static_cast<long long>(total_steps), eta / 60, eta % 60,
      get("critic/accuracy"), get("response_length/mean"), get("lead/w_corr_applied"));
  return buf;
}

result<std::vector<nonfinite_injection>> parse_nonfinite_injection(const std::string& text) {
  std::vector<nonfinite_injection> out;
  auto bad = [&text](const std::string& why) {
    return fail(
        "LEADRL_INJECT_NONFINITE: expected STEP:RANK[,STEP:RANK...] with STEP >= 1 and "
        "RANK >= 0, got '" +
        text + "' (" + why + ")");
  };
  auto number = [](const std::string& t, long long& v) {
    if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    v = std::stoll(t);
    return true;
  };
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(at, end - at);
    const auto colon = item.find(':');
    long long step = 0, rank = 0;
    if (colon == std::string::npos || !number(item.substr(0, colon), step) ||
        !number(item.substr(colon + 1), rank)) {
      return bad("item '" + item + "'");
    }
    if (step < 1) return bad("step " + std::to_string(step));
    if (rank > 1000000) return bad("rank " + std::to_string(rank));
    out.push_back({static_cast<std::int64_t>(step), static_cast<int>(rank)});
    at = end + 1;
    if (end + 1 == text.size()) return bad("a trailing comma");
  }
  return out;
}

}  // namespace leadrl::actors
