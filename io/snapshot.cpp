#include "io/snapshot.hpp"

#include <algorithm>
#include <iterator>
#include <set>

namespace leadrl::io {

namespace {

constexpr const char* k_format_attribute = "leadrl_snapshot_format";

// A single HDF5 link name: what params, counters and extra columns are stored under.
status check_link_name(const std::string& what, const std::string& name) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos) {
    return fail(what + " '" + name + "': expected a non-empty name without '/' and not '.'");
  }
  return status::success();
}

// Metric names like "lead/w_corr" become nested groups, so '/' is allowed between
// non-empty components.
status check_metric_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.back() == '/' ||
      name.find("//") != std::string::npos) {
    return fail("metric '" + name +
                "': expected a non-empty name whose '/'-separated parts are non-empty");
  }
  return status::success();
}

template <class T>
status read_into(result<T> r, T& out) {
  if (!r) return r.error();
  out = std::move(*r);
  return status::success();
}

#define LEADRL_READ(out, expr) LEADRL_TRY(read_into((expr), (out)))

}  // namespace

status write_snapshot_meta(hdf5_file& file, const snapshot_meta& meta) {
  LEADRL_TRY(file.set_int64_attribute("/", k_format_attribute, snapshot_format_version));
  LEADRL_TRY(file.write_int64("/meta/step", meta.step));
  LEADRL_TRY(file.write_int64("/meta/policy_version", meta.policy_version));
  LEADRL_TRY(file.write_int64("/meta/world_size", meta.world_size));
  LEADRL_TRY(file.write_string("/meta/config_text", meta.config_text));
  LEADRL_TRY(file.write_uint64("/meta/seed", meta.seed));
  LEADRL_TRY(file.write_string("/meta/version", meta.version));
  LEADRL_TRY(file.write_string("/meta/time", meta.time));
  return status::success();
}

result<snapshot_meta> read_snapshot_meta(const hdf5_file& file) {
  if (!file.has_attribute("/", k_format_attribute)) {
    return fail(file.path() + ": not a leadrl snapshot (no root attribute " + k_format_attribute +
                ")");
  }
  std::int64_t format = 0;
  LEADRL_READ(format, file.read_int64_attribute("/", k_format_attribute));
  if (format != snapshot_format_version) {
    return fail(file.path() + ": snapshot format " + std::to_string(format) +
                ", this build reads format " + std::to_string(snapshot_format_version));
  }
  snapshot_meta m;
  LEADRL_READ(m.step, file.read_int64("/meta/step"));
  LEADRL_READ(m.policy_version, file.read_int64("/meta/policy_version"));
  LEADRL_READ(m.world_size, file.read_int64("/meta/world_size"));
  LEADRL_READ(m.config_text, file.read_string("/meta/config_text"));
  LEADRL_READ(m.seed, file.read_uint64("/meta/seed"));
  LEADRL_READ(m.version, file.read_string("/meta/version"));
  LEADRL_READ(m.time, file.read_string("/meta/time"));
  return m;
}

status write_controller_state(hdf5_file& file, const controller_state& state) {
  const sampler_snapshot& sampler = state.sampler;
  LEADRL_TRY(file.write_int64("/controller/sampler/epoch", sampler.epoch));
  LEADRL_TRY(file.write_int64("/controller/sampler/cursor", sampler.cursor));
  LEADRL_TRY(file.write_int64s("/controller/sampler/order", sampler.order));

  const length_table_snapshot& table = state.length_table;
  const std::size_t rows = table.prompt_id.size();
  auto check_rows = [&](const char* column, std::size_t n) -> status {
    if (n != rows) {
      return fail("length_table." + std::string(column) + " has " + std::to_string(n) +
                  " rows, length_table.prompt_id has " + std::to_string(rows));
    }
    return status::success();
  };
  LEADRL_TRY(check_rows("lstar", table.lstar.size()));
  LEADRL_TRY(check_rows("n_correct", table.n_correct.size()));
  LEADRL_TRY(check_rows("last_step", table.last_step.size()));
  static const std::set<std::string> fixed_columns = {"prompt_id", "lstar", "n_correct",
                                                      "last_step"};
  std::set<std::string> extra_names;
  auto check_extra = [&](const std::string& name) -> status {
    LEADRL_TRY(check_link_name("length_table extra column", name));
    if (fixed_columns.count(name) != 0 || !extra_names.insert(name).second) {
      return fail("length_table extra column '" + name + "': the name is already used");
    }
    return status::success();
  };
  const std::string t = "/controller/length_table";
  LEADRL_TRY(file.write_int64s(t + "/prompt_id", table.prompt_id));
  LEADRL_TRY(file.write_doubles(t + "/lstar", table.lstar));
  LEADRL_TRY(file.write_int64s(t + "/n_correct", table.n_correct));
  LEADRL_TRY(file.write_int64s(t + "/last_step", table.last_step));
  for (const auto& [name, column] : table.extra_double_columns) {
    LEADRL_TRY(check_extra(name));
    LEADRL_TRY(file.write_doubles(t + "/" + name, column));
  }
  for (const auto& [name, column] : table.extra_int64_columns) {
    LEADRL_TRY(check_extra(name));
    LEADRL_TRY(file.write_int64s(t + "/" + name, column));
  }
  for (const auto& [name, value] : table.string_settings) {
    LEADRL_TRY(file.set_string_attribute(t, name, value));
  }
  for (const auto& [name, value] : table.int64_settings) {
    if (table.string_settings.count(name) != 0) {
      return fail("length_table setting '" + name + "': given both as text and as integer");
    }
    LEADRL_TRY(file.set_int64_attribute(t, name, value));
  }

  LEADRL_TRY(file.write_doubles("/controller/psi/ema_weights", state.psi.ema_weights));
  LEADRL_TRY(file.write_bool("/controller/psi/initialized", state.psi.initialized));
  LEADRL_TRY(file.write_int64("/controller/psi/step_count", state.psi.step_count));

  const hapo_snapshot& hapo = state.hapo;
  if (hapo.h.size() != hapo.prompt_id.size() || hapo.n_correct.size() != hapo.prompt_id.size()) {
    return fail("hapo: columns differ in length (prompt_id " +
                std::to_string(hapo.prompt_id.size()) + ", h " + std::to_string(hapo.h.size()) +
                ", n_correct " + std::to_string(hapo.n_correct.size()) + ")");
  }
  LEADRL_TRY(file.write_int64s("/controller/hapo/prompt_id", hapo.prompt_id));
  LEADRL_TRY(file.write_doubles("/controller/hapo/h", hapo.h));
  LEADRL_TRY(file.write_int64s("/controller/hapo/n_correct", hapo.n_correct));

  LEADRL_TRY(file.create_group("/controller/metrics"));
  for (const auto& [name, column] : state.metrics_history) {
    LEADRL_TRY(check_metric_name(name));
    LEADRL_TRY(file.write_doubles("/controller/metrics/" + name, column));
  }
  return status::success();
}

result<controller_state> read_controller_state(const hdf5_file& file) {
  controller_state c;
  LEADRL_READ(c.sampler.epoch, file.read_int64("/controller/sampler/epoch"));
  LEADRL_READ(c.sampler.cursor, file.read_int64("/controller/sampler/cursor"));
  LEADRL_READ(c.sampler.order, file.read_int64s("/controller/sampler/order"));

  const std::string t = "/controller/length_table";
  length_table_snapshot& table = c.length_table;
  LEADRL_READ(table.prompt_id, file.read_int64s(t + "/prompt_id"));
  LEADRL_READ(table.lstar, file.read_doubles(t + "/lstar"));
  LEADRL_READ(table.n_correct, file.read_int64s(t + "/n_correct"));
  LEADRL_READ(table.last_step, file.read_int64s(t + "/last_step"));
  const std::size_t rows = table.prompt_id.size();
  if (table.lstar.size() != rows || table.n_correct.size() != rows ||
      table.last_step.size() != rows) {
    return fail(file.path() + ": " + t + ": columns differ in length (prompt_id " +
                std::to_string(rows) + ", lstar " + std::to_string(table.lstar.size()) +
                ", n_correct " + std::to_string(table.n_correct.size()) + ", last_step " +
                std::to_string(table.last_step.size()) + ")");
  }
  std::vector<hdf5_dataset_info> columns;
  LEADRL_READ(columns, file.list_datasets(t));
  for (const hdf5_dataset_info& column : columns) {
    const std::string name = column.path.substr(t.size() + 1);
    if (name == "prompt_id" || name == "lstar" || name == "n_correct" || name == "last_step") {
      continue;
    }
    if (column.element_type == "F64") {
      LEADRL_READ(table.extra_double_columns[name], file.read_doubles(column.path));
    } else if (column.element_type == "I64") {
      LEADRL_READ(table.extra_int64_columns[name], file.read_int64s(column.path));
    } else {
      return fail(file.path() + ": " + column.path + ": expected an F64 or I64 column, found " +
                  column.element_type);
    }
  }
  std::vector<std::pair<std::string, std::string>> settings;
  LEADRL_READ(settings, file.list_attributes(t));
  for (const auto& [name, type] : settings) {
    if (type == "STR" || type == "FIXED_STR") {
      LEADRL_READ(table.string_settings[name], file.read_string_attribute(t, name));
    } else if (type == "I64") {
      LEADRL_READ(table.int64_settings[name], file.read_int64_attribute(t, name));
    } else {
      return fail(file.path() + ": " + t + "@" + name + ": expected a text or I64 setting, found " +
                  type);
    }
  }

  LEADRL_READ(c.psi.ema_weights, file.read_doubles("/controller/psi/ema_weights"));
  LEADRL_READ(c.psi.initialized, file.read_bool("/controller/psi/initialized"));
  LEADRL_READ(c.psi.step_count, file.read_int64("/controller/psi/step_count"));

  if (file.exists("/controller/hapo")) {
    LEADRL_READ(c.hapo.prompt_id, file.read_int64s("/controller/hapo/prompt_id"));
    LEADRL_READ(c.hapo.h, file.read_doubles("/controller/hapo/h"));
    LEADRL_READ(c.hapo.n_correct, file.read_int64s("/controller/hapo/n_correct"));
    if (c.hapo.h.size() != c.hapo.prompt_id.size() ||
        c.hapo.n_correct.size() != c.hapo.prompt_id.size()) {
      return fail(file.path() + ": /controller/hapo: columns differ in length");
    }
  }

  const std::string m = "/controller/metrics";
  std::vector<hdf5_dataset_info> metrics;
  LEADRL_READ(metrics, file.list_datasets(m));
  for (const hdf5_dataset_info& metric : metrics) {
    LEADRL_READ(c.metrics_history[metric.path.substr(m.size() + 1)],
                file.read_doubles(metric.path));
  }
  return c;
}

status write_learner_state(hdf5_file& file, const learner_state& state) {
  LEADRL_TRY(file.create_group("/learner/params"));
  LEADRL_TRY(file.create_group("/learner/optimizer"));
  for (const auto& [name, tensor] : state.params) {
    LEADRL_TRY(check_link_name("learner parameter", name));
    if (auto s = tensor.check(); !s) return s.error().with_context("learner parameter " + name);
    LEADRL_TRY(file.write_tensor("/learner/params/" + name, tensor));
  }
  for (const auto& [name, moments] : state.optimizer) {
    LEADRL_TRY(check_link_name("optimizer state of parameter", name));
    const std::string g = "/learner/optimizer/" + name;
    if (auto s = moments.exp_avg.check(); !s) return s.error().with_context(g + "/exp_avg");
    if (auto s = moments.exp_avg_sq.check(); !s) {
      return s.error().with_context(g + "/exp_avg_sq");
    }
    LEADRL_TRY(file.write_tensor(g + "/exp_avg", moments.exp_avg));
    LEADRL_TRY(file.write_tensor(g + "/exp_avg_sq", moments.exp_avg_sq));
  }
  LEADRL_TRY(file.write_int64("/learner/optimizer_step", state.optimizer_step));
  LEADRL_TRY(file.write_int64("/learner/lr_schedule_position", state.lr_schedule_position));
  return status::success();
}

result<learner_state> read_learner_state(const hdf5_file& file) {
  learner_state l;
  std::vector<std::string> names;
  LEADRL_READ(names, file.list_children("/learner/params"));
  for (const std::string& name : names) {
    LEADRL_READ(l.params[name], file.read_tensor("/learner/params/" + name));
  }
  LEADRL_READ(names, file.list_children("/learner/optimizer"));
  for (const std::string& name : names) {
    const std::string g = "/learner/optimizer/" + name;
    adam_moments& m = l.optimizer[name];
    LEADRL_READ(m.exp_avg, file.read_tensor(g + "/exp_avg"));
    LEADRL_READ(m.exp_avg_sq, file.read_tensor(g + "/exp_avg_sq"));
  }
  LEADRL_READ(l.optimizer_step, file.read_int64("/learner/optimizer_step"));
  LEADRL_READ(l.lr_schedule_position, file.read_int64("/learner/lr_schedule_position"));
  return l;
}

status read_learner_state_into(const hdf5_file& file, learner_state& state) {
  auto same_names = [&](const std::string& group,
                        const std::vector<std::string>& expected) -> status {
    std::vector<std::string> stored;
    LEADRL_READ(stored, file.list_children(group));
    if (stored != expected) {
      std::vector<std::string> missing, extra;
      std::set_difference(expected.begin(), expected.end(), stored.begin(), stored.end(),
                          std::back_inserter(missing));
      std::set_difference(stored.begin(), stored.end(), expected.begin(), expected.end(),
                          std::back_inserter(extra));
      return status(fail(file.path() + ": " + group + ": " + std::to_string(missing.size()) +
                         " names missing (first: '" + (missing.empty() ? "" : missing[0]) + "'), " +
                         std::to_string(extra.size()) + " not expected (first: '" +
                         (extra.empty() ? "" : extra[0]) + "')"));
    }
    return status::success();
  };
  auto into = [&](const std::string& path, tensor_blob& t) -> status {
    return file.read_tensor_into(path, t.type, t.shape, t.bytes.data(), t.bytes.size());
  };
  std::vector<std::string> names;
  for (const auto& entry : state.params) names.push_back(entry.first);
  LEADRL_TRY(same_names("/learner/params", names));
  names.clear();
  for (const auto& entry : state.optimizer) names.push_back(entry.first);
  LEADRL_TRY(same_names("/learner/optimizer", names));
  for (auto& [name, tensor] : state.params) LEADRL_TRY(into("/learner/params/" + name, tensor));
  for (auto& [name, moments] : state.optimizer) {
    LEADRL_TRY(into("/learner/optimizer/" + name + "/exp_avg", moments.exp_avg));
    LEADRL_TRY(into("/learner/optimizer/" + name + "/exp_avg_sq", moments.exp_avg_sq));
  }
  LEADRL_READ(state.optimizer_step, file.read_int64("/learner/optimizer_step"));
  LEADRL_READ(state.lr_schedule_position, file.read_int64("/learner/lr_schedule_position"));
  return status::success();
}

status write_rank_state(hdf5_file& file, std::int64_t rank, const rank_state& state) {
  if (rank < 0) return fail("rank " + std::to_string(rank) + ": expected a rank >= 0");
  const std::string g = "/ranks/" + std::to_string(rank);
  LEADRL_TRY(file.create_group(g));
  for (const auto& [name, value] : state.int64_counters) {
    LEADRL_TRY(check_link_name("rank counter", name));
    LEADRL_TRY(file.write_int64(g + "/" + name, value));
  }
  for (const auto& [name, value] : state.double_counters) {
    LEADRL_TRY(check_link_name("rank counter", name));
    if (state.int64_counters.count(name) != 0) {
      return fail(g + ": counter '" + name + "' is given both as int64 and as double");
    }
    LEADRL_TRY(file.write_double(g + "/" + name, value));
  }
  return status::success();
}

result<rank_state> read_rank_state(const hdf5_file& file, std::int64_t rank) {
  const std::string g = "/ranks/" + std::to_string(rank);
  std::vector<hdf5_dataset_info> counters;
  LEADRL_READ(counters, file.list_datasets(g));
  rank_state r;
  for (const hdf5_dataset_info& counter : counters) {
    const std::string name = counter.path.substr(g.size() + 1);
    if (counter.element_type == "I64") {
      LEADRL_READ(r.int64_counters[name], file.read_int64(counter.path));
    } else if (counter.element_type == "F64") {
      LEADRL_READ(r.double_counters[name], file.read_double(counter.path));
    } else {
      return fail(file.path() + ": " + counter.path + ": expected an I64 or F64 counter, found " +
                  counter.element_type);
    }
  }
  return r;
}

std::size_t snapshot_bytes_estimate(const snapshot& s) {
  std::size_t bytes = std::size_t{4} << 20;
  for (const auto& [name, blob] : s.learner.params) bytes += blob.bytes.size();
  for (const auto& [name, m] : s.learner.optimizer) {
    bytes += m.exp_avg.bytes.size() + m.exp_avg_sq.bytes.size();
  }
  for (const auto& [name, column] : s.controller.metrics_history) bytes += 8 * column.size();
  return bytes + bytes / 16;
}

status write_snapshot(const std::string& path, const snapshot& s,
                      const hdf5_write_options& options) {
  if (s.meta.world_size < 1) {
    return fail(path + ": meta.world_size: expected >= 1, got " +
                std::to_string(s.meta.world_size));
  }
  if (static_cast<std::int64_t>(s.ranks.size()) > s.meta.world_size) {
    return fail(path + ": " + std::to_string(s.ranks.size()) + " rank states for world size " +
                std::to_string(s.meta.world_size));
  }
  auto file = hdf5_file::create(path, options);
  if (!file) return file.error();
  LEADRL_TRY(write_controller_state(*file, s.controller));
  LEADRL_TRY(write_learner_state(*file, s.learner));
  LEADRL_TRY(file->create_group("/ranks"));
  for (std::size_t r = 0; r < s.ranks.size(); ++r) {
    LEADRL_TRY(write_rank_state(*file, static_cast<std::int64_t>(r), s.ranks[r]));
  }
  // /meta last: like the manifest of ARCHITECTURE.md §5, it is written once the rest is.
  LEADRL_TRY(write_snapshot_meta(*file, s.meta));
  return file->close();
}

result<snapshot> read_snapshot(const std::string& path) {
  auto file = hdf5_file::open(path);
  if (!file) return file.error();
  snapshot s;
  LEADRL_READ(s.meta, read_snapshot_meta(*file));
  LEADRL_READ(s.controller, read_controller_state(*file));
  LEADRL_READ(s.learner, read_learner_state(*file));
  std::vector<std::string> ranks;
  LEADRL_READ(ranks, file->list_children("/ranks"));
  // Children come in name order ("10" < "2"), so place each by its number.
  s.ranks.resize(ranks.size());
  std::vector<bool> seen(ranks.size(), false);
  for (const std::string& name : ranks) {
    std::size_t r = 0;
    const bool numeric =
        !name.empty() && name.size() < 10 &&
        std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (numeric) r = static_cast<std::size_t>(std::stoul(name));
    if (!numeric || r >= ranks.size() || seen[r] || std::to_string(r) != name) {
      return fail(path + ": /ranks/" + name + ": expected ranks numbered 0.." +
                  std::to_string(ranks.size() - 1));
    }
    seen[r] = true;
    LEADRL_READ(s.ranks[r], read_rank_state(*file, static_cast<std::int64_t>(r)));
  }
  if (static_cast<std::int64_t>(s.ranks.size()) > s.meta.world_size) {
    return fail(path + ": " + std::to_string(s.ranks.size()) + " rank groups for world size " +
                std::to_string(s.meta.world_size));
  }
  return s;
}

#undef LEADRL_READ

}  // namespace leadrl::io
