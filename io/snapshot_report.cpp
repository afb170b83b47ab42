#include "io/snapshot_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "io/snapshot_store.hpp"

namespace leadrl::io {
namespace {

using nlohmann::json;

// Config keys worth a line in the summary when present (the run's identity at a glance).
const char* const k_summary_keys[] = {"data.task",
                                      "model.path",
                                      "algorithm.adv_estimator",
                                      "rollout.n",
                                      "data.train_batch_size",
                                      "actor.lr",
                                      "trainer.total_steps",
                                      "trainer.seed"};

// Dotted key -> value of INI text as io::config::text() writes it.
std::map<std::string, std::string> parse_ini_text(const std::string& text,
                                                  std::vector<std::string>* sections) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  std::string line, section;
  auto trim = [](std::string s) {
    const auto b = s.find_first_not_of(" \t\r");
    const auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      sections->push_back(section);
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq));
    values[section.empty() ? key : section + "." + key] = trim(line.substr(eq + 1));
  }
  return values;
}

json config_summary(const std::string& text) {
  std::vector<std::string> sections;
  const auto values = parse_ini_text(text, &sections);
  json selected = json::object();
  for (const char* key : k_summary_keys) {
    if (auto it = values.find(key); it != values.end()) selected[key] = it->second;
  }
  return {{"keys", values.size()}, {"sections", sections}, {"selected", selected}};
}

// A non-finite double as JSON null (JSON has no NaN); finite values as they are.
json number(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json table_row(const length_table_snapshot& t, std::size_t i) {
  json row = {{"prompt_id", t.prompt_id[i]}, {"lstar", number(t.lstar[i])}};
  row["n_correct"] = i < t.n_correct.size() ? json(t.n_correct[i]) : json(nullptr);
  row["last_step"] = i < t.last_step.size() ? json(t.last_step[i]) : json(nullptr);
  return row;
}

json length_table_report(const length_table_snapshot& t, const snapshot_report_options& options) {
  const std::size_t rows = t.prompt_id.size();
  json out;
  out["rows"] = rows;
  json settings = json::object();
  for (const auto& [k, v] : t.string_settings) settings[k] = v;
  for (const auto& [k, v] : t.int64_settings) settings[k] = v;
  out["settings"] = settings;

  // Every column with its element count and values per row (0 when it is not rows x k).
  json columns = json::array();
  auto add_column = [&](const std::string& name, const char* type, std::size_t size) {
    const std::size_t per_row = rows > 0 && size % rows == 0 ? size / rows : 0;
    columns.push_back({{"name", name}, {"type", type}, {"values", size}, {"per_row", per_row}});
  };
  add_column("prompt_id", "int64", t.prompt_id.size());
  add_column("lstar", "double", t.lstar.size());
  add_column("n_correct", "int64", t.n_correct.size());
  add_column("last_step", "int64", t.last_step.size());
  for (const auto& [name, c] : t.extra_int64_columns) add_column(name, "int64", c.size());
  for (const auto& [name, c] : t.extra_double_columns) add_column(name, "double", c.size());
  out["columns"] = columns;

  std::vector<std::size_t> with_lstar;
  for (std::size_t i = 0; i < std::min(rows, t.lstar.size()); ++i) {
    if (std::isfinite(t.lstar[i])) with_lstar.push_back(i);
  }
  out["with_lstar"] = with_lstar.size();
  if (with_lstar.empty()) {
    out["lstar_percentiles"] = nullptr;
  } else {
    std::vector<double> sorted;
    for (std::size_t i : with_lstar) sorted.push_back(t.lstar[i]);
    std::sort(sorted.begin(), sorted.end());
    json pct = json::object();
    for (int p : {0, 10, 50, 90, 100}) {
      pct["p" + std::to_string(p)] = percentile_of_sorted(sorted, p);
    }
    out["lstar_percentiles"] = pct;
  }
  // Rows by L*; ties keep table order so the listing is deterministic.
  std::vector<std::size_t> ascending = with_lstar;
  std::stable_sort(ascending.begin(), ascending.end(),
                   [&](std::size_t a, std::size_t b) { return t.lstar[a] < t.lstar[b]; });
  std::vector<std::size_t> descending = with_lstar;
  std::stable_sort(descending.begin(), descending.end(),
                   [&](std::size_t a, std::size_t b) { return t.lstar[a] > t.lstar[b]; });
  json largest = json::array(), smallest = json::array();
  for (std::size_t k = 0; k < std::min(options.extremes, with_lstar.size()); ++k) {
    largest.push_back(table_row(t, descending[k]));
    smallest.push_back(table_row(t, ascending[k]));
  }
  out["largest"] = largest;
  out["smallest"] = smallest;

  if (options.whole_table) {
    json table = json::object();
    table["prompt_id"] = t.prompt_id;
    json lstar = json::array();
    for (double v : t.lstar) lstar.push_back(number(v));
    table["lstar"] = lstar;
    table["n_correct"] = t.n_correct;
    table["last_step"] = t.last_step;
    for (const auto& [name, c] : t.extra_int64_columns) table[name] = c;
    for (const auto& [name, c] : t.extra_double_columns) {
      json col = json::array();
      for (double v : c) col.push_back(number(v));
      table[name] = col;
    }
    out["table"] = table;
  }
  return out;
}

// Norm fields of one tensor under `prefix` ("" for the parameter, "exp_avg_" ...).
void add_stats(json& into, const std::string& prefix, const tensor_blob& t, double* sum_sq) {
  auto stats = value_stats(t);
  if (!stats) {
    into[prefix + "error"] = stats.error().message();
    return;
  }
  into[prefix + "l2_norm"] = stats->l2_norm;
  if (prefix.empty()) into["max_abs"] = stats->max_abs;
  into[prefix + "nonfinite"] = stats->nonfinite;
  *sum_sq += stats->l2_norm * stats->l2_norm;
}

json learner_report(const learner_state& l) {
  json out;
  out["optimizer_step"] = l.optimizer_step;
  out["lr_schedule_position"] = l.lr_schedule_position;
  json tensors = json::array();
  double params_sq = 0.0, avg_sq = 0.0, avg_sq_sq = 0.0;
  std::size_t elements = 0, with_moments = 0;
  std::vector<std::string> without_moments, orphan_moments;
  for (const auto& [name, p] : l.params) {
    json t = {{"name", name}, {"dtype", std::string(dtype_name(p.type))}, {"shape", p.shape}};
    t["elements"] = p.element_count();
    elements += p.element_count();
    add_stats(t, "", p, &params_sq);
    if (auto it = l.optimizer.find(name); it != l.optimizer.end()) {
      ++with_moments;
      add_stats(t, "exp_avg_", it->second.exp_avg, &avg_sq);
      add_stats(t, "exp_avg_sq_", it->second.exp_avg_sq, &avg_sq_sq);
    } else {
      without_moments.push_back(name);
    }
    tensors.push_back(t);
  }
  for (const auto& [name, m] : l.optimizer) {
    if (l.params.count(name) == 0) orphan_moments.push_back(name);
  }
  out["tensor_count"] = l.params.size();
  out["elements"] = elements;
  out["l2_norm"] = std::sqrt(params_sq);
  out["tensors"] = tensors;
  out["optimizer"] = {{"with_moments", with_moments},
                      {"without_moments", without_moments},
                      {"moments_without_param", orphan_moments},
                      {"exp_avg_l2_norm", std::sqrt(avg_sq)},
                      {"exp_avg_sq_l2_norm", std::sqrt(avg_sq_sq)}};
  return out;
}

// ---- text form ----

std::string num(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

void print_row_list(std::ostream& out, const char* title, const json& rows) {
  out << "  " << title << ":";
  if (rows.empty()) out << " (none)";
  out << "\n";
  for (const auto& r : rows) {
    out << "    prompt " << pad(num(r["prompt_id"]), 8) << " L* " << pad(num(r["lstar"]), 10)
        << " n_correct " << pad(num(r["n_correct"]), 6) << " last_step " << num(r["last_step"])
        << "\n";
  }
}

void print_whole_table(std::ostream& out, const json& table, const json& columns,
                       std::size_t rows) {
  std::vector<std::pair<std::string, std::size_t>> per_row;  // name, values per row
  std::vector<std::string> irregular;
  for (const auto& c : columns) {
    const auto name = c["name"].get<std::string>();
    const auto k = c["per_row"].get<std::size_t>();
    if (k == 0 && c["values"].get<std::size_t>() > 0) {
      irregular.push_back(name);
    } else {
      per_row.emplace_back(name, k);
    }
  }
  out << "  table (" << rows << " rows):\n   ";
  for (const auto& [name, k] : per_row)
    out << " " << name << (k > 1 ? "[" + std::to_string(k) + "]" : "");
  out << "\n";
  for (std::size_t i = 0; i < rows; ++i) {
    out << "   ";
    for (const auto& [name, k] : per_row) {
      const json& col = table[name];
      if (k == 0) {
        out << " -";
      } else if (k == 1) {
        out << " " << num(col[i]);
      } else {
        out << " [";
        for (std::size_t j = 0; j < k; ++j) out << (j ? "," : "") << num(col[i * k + j]);
        out << "]";
      }
    }
    out << "\n";
  }
  for (const auto& name : irregular) {
    out << "  column " << name << " (" << table[name].size() << " values, not per row):";
    for (const auto& v : table[name]) out << " " << num(v);
    out << "\n";
  }
}

}  // namespace

double percentile_of_sorted(const std::vector<double>& sorted, double p) {
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

result<snapshot> read_valid_snapshot(const std::string& path) {
  const std::string what = path + ": not a valid leadrl snapshot";
  if (auto s = validate_snapshot(path); !s) return s.error().with_context(what);
  auto snap = read_snapshot(path);
  if (!snap) return snap.error().with_context(what);
  return snap;
}

json snapshot_report(const snapshot& s, const snapshot_report_options& options) {
  json r;
  const snapshot_meta& m = s.meta;
  r["meta"] = {{"step", m.step},
               {"policy_version", m.policy_version},
               {"world_size", m.world_size},
               {"seed", m.seed},
               {"version", m.version},
               {"time", m.time},
               {"config_text", m.config_text},
               {"config_summary", config_summary(m.config_text)}};
  const controller_state& c = s.controller;
  r["sampler"] = {{"epoch", c.sampler.epoch},
                  {"cursor", c.sampler.cursor},
                  {"order_size", c.sampler.order.size()}};
  json weights = json::array();
  for (double w : c.psi.ema_weights) weights.push_back(number(w));
  r["psi"] = {{"ema_weights", weights},
              {"initialized", c.psi.initialized},
              {"step_count", c.psi.step_count}};
  r["length_table"] = length_table_report(c.length_table, options);
  json metrics = json::array();
  for (const auto& [name, column] : c.metrics_history) {
    metrics.push_back({{"name", name},
                       {"rows", column.size()},
                       {"last", column.empty() ? json(nullptr) : number(column.back())}});
  }
  r["metrics"] = metrics;
  r["learner"] = learner_report(s.learner);
  json ranks = json::array();
  for (std::size_t i = 0; i < s.ranks.size(); ++i) {
    json counters = json::object();
    for (const auto& [k, v] : s.ranks[i].int64_counters) counters[k] = v;
    for (const auto& [k, v] : s.ranks[i].double_counters) counters[k] = number(v);
    ranks.push_back({{"rank", i}, {"counters", counters}});
  }
  r["ranks"] = ranks;
  return r;
}

std::string format_snapshot_report(const json& r, const snapshot_report_options& options) {
  std::ostringstream out;
  const json& m = r["meta"];
  out << "meta\n"
      << "  step " << num(m["step"]) << ", policy_version " << num(m["policy_version"])
      << ", world_size " << num(m["world_size"]) << ", seed " << num(m["seed"]) << "\n"
      << "  written by leadrl " << num(m["version"]) << " at " << num(m["time"]) << "\n";
  const json& cs = m["config_summary"];
  if (options.whole_config) {
    out << "  config:\n";
    std::istringstream lines(m["config_text"].get<std::string>());
    for (std::string line; std::getline(lines, line);) out << "    " << line << "\n";
  } else {
    out << "  config: " << num(cs["keys"]) << " keys in " << cs["sections"].size()
        << " sections (--config prints them all)\n";
    for (const auto& [k, v] : cs["selected"].items()) out << "    " << k << " = " << num(v) << "\n";
  }

  const json& sp = r["sampler"];
  out << "sampler\n  epoch " << num(sp["epoch"]) << ", cursor " << num(sp["cursor"]) << " of "
      << num(sp["order_size"]) << "\n";

  const json& psi = r["psi"];
  out << "psi\n  ema_weights [";
  for (std::size_t i = 0; i < psi["ema_weights"].size(); ++i) {
    out << (i ? ", " : "") << num(psi["ema_weights"][i]);
  }
  out << "], initialized " << (psi["initialized"].get<bool>() ? "yes" : "no") << ", step_count "
      << num(psi["step_count"]) << "\n";

  const json& t = r["length_table"];
  out << "length_table\n  rows " << num(t["rows"]) << ", with L* " << num(t["with_lstar"]);
  for (const auto& [k, v] : t["settings"].items()) out << ", " << k << " " << num(v);
  out << "\n  columns:";
  for (const auto& c : t["columns"]) {
    out << " " << c["name"].get<std::string>() << "(" << c["type"].get<std::string>();
    if (c["per_row"].get<std::size_t>() > 1) out << " x" << c["per_row"].get<std::size_t>();
    out << ")";
  }
  out << "\n";
  if (!t["lstar_percentiles"].is_null()) {
    out << "  L* percentiles:";
    for (const char* p : {"p0", "p10", "p50", "p90", "p100"}) {
      out << " " << p << " " << num(t["lstar_percentiles"][p]);
    }
    out << "\n";
    print_row_list(out, "largest L*", t["largest"]);
    print_row_list(out, "smallest L*", t["smallest"]);
  }
  if (t.contains("table")) {
    print_whole_table(out, t["table"], t["columns"], t["rows"].get<std::size_t>());
  }

  out << "metrics (" << r["metrics"].size() << ")\n";
  for (const auto& mt : r["metrics"]) {
    out << "  " << pad(mt["name"].get<std::string>(), 28) << " rows " << pad(num(mt["rows"]), 6)
        << " last " << num(mt["last"]) << "\n";
  }

  const json& l = r["learner"];
  const json& opt = l["optimizer"];
  out << "learner\n  " << num(l["tensor_count"]) << " tensors, " << num(l["elements"])
      << " elements, L2 " << num(l["l2_norm"]) << "; optimizer_step " << num(l["optimizer_step"])
      << ", lr_schedule_position " << num(l["lr_schedule_position"]) << "\n"
      << "  Adam moments for " << num(opt["with_moments"]) << " of " << num(l["tensor_count"])
      << " tensors, L2 exp_avg " << num(opt["exp_avg_l2_norm"]) << ", exp_avg_sq "
      << num(opt["exp_avg_sq_l2_norm"]) << "\n";
  for (const char* key : {"without_moments", "moments_without_param"}) {
    if (!opt[key].empty()) {
      out << "  " << key << ":";
      for (const auto& n : opt[key]) out << " " << n.get<std::string>();
      out << "\n";
    }
  }
  std::size_t width = 4;
  for (const auto& tn : l["tensors"]) width = std::max(width, tn["name"].get<std::string>().size());
  out << "  " << pad("name", width) << "  " << pad("dtype", 5) << "  " << pad("shape", 14) << "  "
      << pad("L2", 12) << "  " << pad("exp_avg L2", 12) << "  exp_avg_sq L2\n";
  for (const auto& tn : l["tensors"]) {
    auto field = [&](const char* prefix) {
      const std::string p = prefix;
      if (tn.contains(p + "error"))
        return std::string("(bad: ") + tn[p + "error"].get<std::string>() + ")";
      if (!tn.contains(p + "l2_norm")) return std::string("-");
      std::string s = num(tn[p + "l2_norm"]);
      const auto bad = tn[p + "nonfinite"].get<std::size_t>();
      if (bad > 0) s += " (" + std::to_string(bad) + " non-finite)";
      return s;
    };
    out << "  " << pad(tn["name"].get<std::string>(), width) << "  "
        << pad(tn["dtype"].get<std::string>(), 5) << "  "
        << pad(shape_text(tn["shape"].get<std::vector<std::int64_t>>()), 14) << "  "
        << pad(field(""), 12) << "  " << pad(field("exp_avg_"), 12) << "  " << field("exp_avg_sq_")
        << "\n";
  }

  out << "ranks (" << r["ranks"].size() << ")\n";
  for (const auto& rk : r["ranks"]) {
    out << "  rank " << num(rk["rank"]) << ":";
    for (const auto& [k, v] : rk["counters"].items()) out << " " << k << "=" << num(v);
    out << "\n";
  }
  return out.str();
}

}  // namespace leadrl::io
