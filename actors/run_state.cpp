#include "actors/run_state.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace leadrl::actors {

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

template <class T>
result<std::vector<T>> take_column(const std::map<std::string, std::vector<T>>& columns,
                                   const std::string& name, std::size_t rows, bool per_row) {
  const auto it = columns.find(name);
  if (it == columns.end()) return fail("length_table: column '" + name + "' is missing");
  if (per_row && it->second.size() != rows) {
    return fail("length_table." + name + ": " + std::to_string(it->second.size()) +
                " rows, prompt_id has " + std::to_string(rows));
  }
  return it->second;
}

}  // namespace

void append_metrics(metrics_history& history, std::int64_t step,
                    const std::map<std::string, double>& metrics) {
  const std::size_t rows = history.count("step") ? history["step"].size() : 0;
  for (auto& [name, column] : history) {
    if (name == "step") continue;
    const auto it = metrics.find(name);
    column.push_back(it == metrics.end() ? k_nan : it->second);
  }
  for (const auto& [name, value] : metrics) {
    if (name == "step" || history.count(name) != 0) continue;
    std::vector<double> column(rows, k_nan);
    column.push_back(value);
    history.emplace(name, std::move(column));
  }
  history["step"].push_back(static_cast<double>(step));
}

bool snapshot_due(const io::trainer_options& trainer, std::int64_t step) {
  return trainer.save_freq > 0 && step > 0 &&
         (step % trainer.save_freq == 0 || step == trainer.total_steps);
}

const std::vector<std::string>& resume_ignored_keys() {
  // model.device is placement only: a snapshot taken on a GPU resumes on the CPU and back
  // (the weights are stored on the host; model.dtype changes the arithmetic and counts).
  static const std::vector<std::string> keys = {"model.device",
                                                "trainer.total_steps",
                                                "trainer.save_freq",
                                                "trainer.snapshot_dir",
                                                "trainer.keep_last",
                                                "trainer.log_jsonl",
                                                "trainer.rollout_data_dir",
                                                "trainer.progress",
                                                "trainer.timing",
                                                "trainer.max_nonfinite_steps",
                                                "runtime.scheduler_threads",
                                                "runtime.collective_timeout_s",
                                                "runtime.step_timeout_s",
                                                "runtime.checksum_freq",
                                                "runtime.heartbeat_timeout_s"};
  return keys;
}

io::length_table_snapshot to_snapshot(const lead::length_table_rows& rows) {
  io::length_table_snapshot s;
  s.prompt_id = rows.prompt_ids;
  s.lstar = rows.lstar;
  s.n_correct = rows.n_correct;
  s.last_step = rows.last_step;
  s.extra_int64_columns["n_rollouts"] = rows.n_rollouts;
  s.extra_int64_columns["visits"] = rows.visits;
  s.extra_int64_columns["window_count"] = rows.window_count;
  s.extra_double_columns["mean_length"] = rows.mean_length;
  s.extra_double_columns["window"] = rows.window;
  s.string_settings["aggregator"] = lead::to_string(rows.aggregator);
  s.int64_settings["history"] = rows.history;
  return s;
}

result<lead::length_table_rows> length_table_from_snapshot(const io::length_table_snapshot& s) {
  lead::length_table_rows rows;
  const auto agg = s.string_settings.find("aggregator");
  if (agg == s.string_settings.end()) return fail("length_table: setting 'aggregator' is missing");
  auto aggregator = lead::parse_length_aggregator(agg->second);
  if (!aggregator) return aggregator.error().with_context("length_table aggregator");
  rows.aggregator = *aggregator;
  const auto history = s.int64_settings.find("history");
  if (history == s.int64_settings.end()) return fail("length_table: setting 'history' is missing");
  rows.history = history->second;
  const std::size_t n = s.prompt_id.size();
  rows.prompt_ids = s.prompt_id;
  rows.lstar = s.lstar;
  rows.n_correct = s.n_correct;
  rows.last_step = s.last_step;
  auto take_i = [&](const char* name, std::vector<std::int64_t>& out) -> status {
    auto c = take_column(s.extra_int64_columns, name, n, true);
    if (!c) return c.error();
    out = std::move(*c);
    return status::success();
  };
  auto take_d = [&](const char* name, std::vector<double>& out, bool per_row) -> status {
    auto c = take_column(s.extra_double_columns, name, n, per_row);
    if (!c) return c.error();
    out = std::move(*c);
    return status::success();
  };
  for (auto st :
       {take_i("n_rollouts", rows.n_rollouts), take_i("visits", rows.visits),
        take_i("window_count", rows.window_count), take_d("mean_length", rows.mean_length, true),
        take_d("window", rows.window, false)}) {
    if (!st) return st.error();
  }
  return rows;
}

io::psi_snapshot to_snapshot(const lead::lead_state& state) {
  io::psi_snapshot s;
  if (state.ema_weights) s.ema_weights = {(*state.ema_weights)[0], (*state.ema_weights)[1]};
  s.initialized = state.initialized;
  s.step_count = state.step_count;
  return s;
}

result<lead::lead_state> psi_from_snapshot(const io::psi_snapshot& s) {
  lead::lead_state state;
  if (s.ema_weights.size() == 2) {
    state.ema_weights = std::array<double, 2>{s.ema_weights[0], s.ema_weights[1]};
  } else if (!s.ema_weights.empty()) {
    return fail("psi.ema_weights: expected 0 or 2 entries, got " +
                std::to_string(s.ema_weights.size()));
  }
  if (s.step_count < 0) {
    return fail("psi.step_count: expected >= 0, got " + std::to_string(s.step_count));
  }
  state.initialized = s.initialized;
  state.step_count = s.step_count;
  return state;
}

io::hapo_snapshot to_snapshot(const lead::hapo_history& history) {
  auto c = history.to_columns();
  return {std::move(c.prompt_ids), std::move(c.h), std::move(c.n_correct)};
}

result<lead::hapo_history> hapo_from_snapshot(const io::hapo_snapshot& s) {
  lead::hapo_history::columns c{s.prompt_id, s.h, s.n_correct};
  auto h = lead::hapo_history::from_columns(c);
  if (!h) return h.error().with_context("hapo history");
  return h;
}

io::controller_state export_controller_state(const io::data_sampler& sampler,
                                             const lead::estimator_state& estimator,
                                             const metrics_history& history) {
  io::controller_state c;
  c.sampler.epoch = sampler.state().epoch;
  c.sampler.cursor = sampler.state().cursor;
  c.sampler.order = sampler.order();
  c.length_table = to_snapshot(estimator.lstar_table.rows());
  c.psi = to_snapshot(estimator.lead);
  c.hapo = to_snapshot(estimator.hapo);
  c.metrics_history = history;
  return c;
}

status import_controller_state(const io::controller_state& state, io::data_sampler& sampler,
                               lead::estimator_state& estimator, metrics_history& history) {
  // Everything is checked and built on copies first; the run's state changes at the end.
  io::data_sampler next_sampler = sampler;
  if (auto s = next_sampler.restore({state.sampler.epoch, state.sampler.cursor}); !s) {
    return s.error().with_context("snapshot sampler");
  }
  if (!state.sampler.order.empty() && state.sampler.order != next_sampler.order()) {
    return fail("snapshot sampler: the stored order of epoch " +
                std::to_string(state.sampler.epoch) +
                " differs from the one this run derives (different dataset or seed)");
  }
  auto rows = length_table_from_snapshot(state.length_table);
  if (!rows) return rows.error();
  if (rows->aggregator != estimator.lstar_table.aggregator() ||
      static_cast<std::size_t>(rows->history) != estimator.lstar_table.history()) {
    return fail(std::string("snapshot length_table: aggregator ") +
                lead::to_string(rows->aggregator) + " history " + std::to_string(rows->history) +
                ", this run has " + lead::to_string(estimator.lstar_table.aggregator()) +
                " history " + std::to_string(estimator.lstar_table.history()));
  }
  lead::estimator_state next = estimator;
  if (auto s = next.lstar_table.restore(std::move(*rows)); !s) {
    return s.error().with_context("snapshot length_table");
  }
  auto psi = psi_from_snapshot(state.psi);
  if (!psi) return psi.error().with_context("snapshot");
  next.lead = *psi;
  auto hapo = hapo_from_snapshot(state.hapo);
  if (!hapo) return hapo.error().with_context("snapshot");
  next.hapo = std::move(*hapo);
  const std::size_t steps =
      state.metrics_history.count("step") ? state.metrics_history.at("step").size() : 0;
  for (const auto& [name, column] : state.metrics_history) {
    if (column.size() != steps) {
      return fail("snapshot metrics: column '" + name + "' has " + std::to_string(column.size()) +
                  " rows, column 'step' has " + std::to_string(steps));
    }
  }
  sampler = std::move(next_sampler);
  estimator = std::move(next);
  history = state.metrics_history;
  return status::success();
}

result<io::rank_state> fold_rank_states(const std::vector<io::rank_state>& old, int rank,
                                        int world_size) {
  if (old.empty()) return fail("the snapshot has no rank states");
  if (world_size < 1 || rank < 0 || rank >= world_size) {
    return fail("rank " + std::to_string(rank) + " outside a world of " +
                std::to_string(world_size) + " ranks");
  }
  const std::string totals_int64 = "generated_tokens";
  io::rank_state out;
  for (const auto& [name, value] : old.front().int64_counters) {
    out.int64_counters[name] = name == totals_int64 ? 0 : value;
  }
  for (const auto& [name, value] : old.front().double_counters) out.double_counters[name] = 0.0;
  for (std::size_t k = 0; k < old.size(); ++k) {
    const bool mine = static_cast<int>(k % static_cast<std::size_t>(world_size)) == rank;
    for (const auto& [name, value] : old[k].int64_counters) {
      if (name == totals_int64) {
        if (mine) out.int64_counters[name] += value;
        continue;
      }
      const auto it = out.int64_counters.find(name);
      if (it == out.int64_counters.end() || it->second != value) {
        return fail(
            "rank " + std::to_string(k) + " counter '" + name + "' is " + std::to_string(value) +
            ", rank 0 recorded " +
            (it == out.int64_counters.end() ? std::string("none") : std::to_string(it->second)));
      }
    }
    if (!mine) continue;
    for (const auto& [name, value] : old[k].double_counters) out.double_counters[name] += value;
  }
  return out;
}

io::snapshot_meta make_snapshot_meta(const io::train_options& options, std::int64_t step,
                                     int world_size) {
  io::snapshot_meta m;
  m.step = step;
  m.policy_version = step;
  m.world_size = world_size;
  m.config_text = options.config_text;
  m.seed = options.trainer.seed;
#ifdef LEADRL_VERSION
  m.version = LEADRL_VERSION;
#else
  m.version = "unknown";
#endif
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  m.time = buf;
  return m;
}

status keep_metrics_log_through(const std::string& path, std::int64_t step) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return status::success();
  std::ifstream in(path);
  if (!in) return fail(path + ": cannot read the metrics log");
  std::ostringstream kept;
  std::string line;
  const std::string prefix = "{\"step\":";
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.compare(0, prefix.size(), prefix) == 0) {
      const long long s = std::strtoll(line.c_str() + prefix.size(), nullptr, 10);
      if (s > step) continue;
    }
    kept << line << "\n";
  }
  in.close();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << kept.str();
    out.flush();
    if (!out) return fail(tmp + ": cannot write the metrics log");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(tmp + ": cannot rename to " + path);
  }
  return status::success();
}

}  // namespace leadrl::actors
