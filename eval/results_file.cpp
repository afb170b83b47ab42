#include "eval/results_file.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/json_nesting.hpp"
#include "eval/table_text.hpp"

namespace leadrl::eval {

namespace {

using ordered = nlohmann::ordered_json;
using json = nlohmann::json;

// The counts, accuracy and length of a row (what a base needs).
ordered measured(const eval_row& r) {
  return {{"n", r.samples_per_problem},
          {"problems", r.problems},
          {"accuracy", r.pass_at_1},
          {"mean_length", r.mean_length},
          {"truncated", r.truncated}};
}

// measured() plus the comparison with the base.
ordered compared(const eval_row& r) {
  ordered o = measured(r);
  o["aes"] = r.aes ? ordered(*r.aes) : ordered(nullptr);
  o["acc_delta"] = r.acc_delta;
  o["len_delta"] = r.len_delta;
  return o;
}

ordered models_json(const std::vector<eval_row>& rows) {
  ordered models = ordered::array();
  for (const auto& r : rows) {
    if (models.empty() || models.back()["model"] != r.model) {
      models.push_back({{"model", r.model}, {"benchmarks", ordered::object()}});
    }
    if (r.dataset == eval_average_dataset) {
      models.back()["average"] = compared(r);
    } else {
      models.back()["benchmarks"][r.dataset] = compared(r);
    }
  }
  return models;
}

ordered benchmarks_json(const std::vector<eval_row>& rows) {
  ordered list = ordered::array();
  for (const auto& r : rows) {
    if (r.model != rows.front().model || r.dataset == eval_average_dataset) continue;
    list.push_back({{"name", r.dataset}, {"n", r.samples_per_problem}, {"problems", r.problems}});
  }
  return list;
}

std::string key_path(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

// obj[key] as an object, or an error naming the key.
result<const json*> object_at(const json& obj, const std::string& where, const std::string& key) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) {
    return fail("key '" + key_path(where, key) + "': expected an object");
  }
  return &*it;
}

// obj[key] as a finite number in [lo, hi] (above lo when `above_lo`).
result<double> number_at(const json& obj, const std::string& where, const std::string& key,
                         double lo, double hi, bool above_lo, const std::string& expected) {
  const auto it = obj.find(key);
  const bool ok = it != obj.end() && it->is_number() && std::isfinite(it->get<double>()) &&
                  (above_lo ? it->get<double>() > lo : it->get<double>() >= lo) &&
                  it->get<double>() <= hi;
  if (!ok) {
    return fail("key '" + key_path(where, key) + "': expected " + expected +
                (it == obj.end() ? ", got nothing" : ", got " + it->dump()));
  }
  return it->get<double>();
}

// An optional count (absent: 0).
result<std::size_t> count_at(const json& obj, const std::string& where, const std::string& key) {
  if (!obj.contains(key)) return std::size_t{0};
  const auto& v = obj.at(key);
  if (!v.is_number_unsigned()) {
    return fail("key '" + key_path(where, key) + "': expected a non-negative integer, got " +
                v.dump());
  }
  return v.get<std::size_t>();
}

result<eval_row> base_row(const json& b, const std::string& name) {
  const std::string where = "base.benchmarks." + name;
  if (!b.is_object()) return fail("key '" + where + "': expected an object");
  eval_row r;
  r.dataset = name;
  auto acc = number_at(b, where, "accuracy", 0.0, 1.0, false, "a fraction in [0, 1]");
  if (!acc) return acc.error();
  auto len = number_at(b, where, "mean_length", 0.0, HUGE_VAL, true, "a number of tokens > 0");
  if (!len) return len.error();
  auto n = count_at(b, where, "n");
  if (!n) return n.error();
  auto problems = count_at(b, where, "problems");
  if (!problems) return problems.error();
  auto truncated = count_at(b, where, "truncated");
  if (!truncated) return truncated.error();
  r.pass_at_1 = *acc;
  r.mean_length = *len;
  r.samples_per_problem = *n;
  r.problems = *problems;
  r.truncated = *truncated;
  return r;
}

// obj[key] into `out` when it is a JSON integer that T holds; false when it is not (absent:
// true, `out` kept). value<T>() would convert a float such as 1e25 to T, which is undefined
// (found by fuzz_eval_files).
template <class T>
bool read_integer(const json& obj, const char* key, T& out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return true;
  if (it->is_number_unsigned()) {
    const std::uint64_t v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return false;
    out = static_cast<T>(v);
    return true;
  }
  if (it->is_number_integer() && std::numeric_limits<T>::is_signed) {
    out = static_cast<T>(it->get<std::int64_t>());
    return true;
  }
  return false;
}

// The "sampling" object, where there is one. It only feeds notes about settings that
// differ from this run's, so one with a value of the wrong type counts as absent.
void read_settings(const json& doc, base_results_file& out) {
  const auto s = doc.find("sampling");
  if (s == doc.end() || !s->is_object()) return;
  eval_settings st;
  try {
    st.temperature = s->value("temperature", st.temperature);
    st.top_p = s->value("top_p", st.top_p);
    st.protocol = doc.value("protocol", st.protocol);
  } catch (const json::exception&) {
    return;
  }
  if (!read_integer(*s, "max_new_tokens", st.max_new_tokens) ||
      !read_integer(*s, "max_batch", st.max_batch) || !read_integer(*s, "seed", st.seed) ||
      !read_integer(doc, "limit", st.limit)) {
    return;
  }
  out.settings = st;
  out.has_settings = true;
}

result<base_results_file> read_base(const json& doc, const std::string& source) {
  if (!doc.is_object()) return fail("expected a JSON object at the top");
  auto base = object_at(doc, "", "base");
  if (!base) return base.error();
  const auto model = (*base)->find("model");
  if (model == (*base)->end() || !model->is_string()) {
    return fail("key 'base.model': expected the base model's name (a string)");
  }
  auto benchmarks = object_at(**base, "base", "benchmarks");
  if (!benchmarks) return benchmarks.error();
  if ((*benchmarks)->empty()) return fail("key 'base.benchmarks': expected at least one benchmark");
  base_results_file out;
  out.base.model = model->get<std::string>();
  out.base.source = source;
  for (const auto& [name, b] : (*benchmarks)->items()) {
    auto row = base_row(b, name);
    if (!row) return row.error();
    row->model = out.base.model;
    out.base.rows.push_back(std::move(*row));
  }
  read_settings(doc, out);
  return out;
}

}  // namespace

std::string results_json(const std::vector<eval_row>& rows, const base_results& base,
                         const eval_settings& settings) {
  ordered base_benchmarks = ordered::object();
  for (const auto& r : base.rows) base_benchmarks[r.dataset] = measured(r);
  ordered doc = {{"format", "leadrl-eval-results"},
                 {"version", 1},
                 {"protocol", settings.protocol},
                 {"sampling",
                  {{"temperature", settings.temperature},
                   {"top_p", settings.top_p},
                   {"max_new_tokens", settings.max_new_tokens},
                   {"max_batch", settings.max_batch},
                   {"seed", settings.seed}}},
                 {"limit", settings.limit},
                 {"benchmarks", rows.empty() ? ordered::array() : benchmarks_json(rows)},
                 {"base",
                  {{"model", base.model},
                   {"source", base.source.empty() ? "this run" : base.source},
                   {"benchmarks", base_benchmarks}}},
                 {"models", models_json(rows)}};
  return doc.dump(2) + "\n";
}

result<base_results_file> read_base_results(std::string_view text, const std::string& source) {
  const std::string where = source + " (expected a results file written by leadrl eval --out-json)";
  // Error messages dump() the values they reject, which recurses once per nesting level.
  if (auto s = check_json_nesting(text, where); !s) return s.error();
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return fail(where + ": not JSON: " + e.what());
  }
  auto out = read_base(doc, source);
  if (!out) return out.error().with_context(where);
  return out;
}

std::vector<std::string> base_differences(const base_results_file& file,
                                          const std::vector<eval_row>& rows,
                                          const eval_settings& settings) {
  std::vector<std::string> notes;
  const std::string from = "base results " + file.base.source + ": ";
  for (const auto& b : file.base.rows) {
    auto r = std::find_if(rows.begin(), rows.end(),
                          [&](const eval_row& x) { return x.dataset == b.dataset; });
    if (r == rows.end()) continue;
    const bool other_n =
        b.samples_per_problem > 0 && b.samples_per_problem != r->samples_per_problem;
    const bool other_problems = b.problems > 0 && b.problems != r->problems;
    if (other_n || other_problems) {
      notes.push_back(from + b.dataset + " was measured on " + std::to_string(b.problems) +
                      " problems at n=" + std::to_string(b.samples_per_problem) + ", this run on " +
                      std::to_string(r->problems) +
                      " at n=" + std::to_string(r->samples_per_problem));
    }
  }
  const auto& s = file.settings;
  if (file.has_settings && (s.temperature != settings.temperature || s.top_p != settings.top_p ||
                            s.max_new_tokens != settings.max_new_tokens)) {
    notes.push_back(from + "sampled at temperature " + exact(s.temperature) + ", top-p " +
                    exact(s.top_p) + ", " + std::to_string(s.max_new_tokens) +
                    " new tokens at most; this run at " + exact(settings.temperature) + ", " +
                    exact(settings.top_p) + ", " + std::to_string(settings.max_new_tokens));
  }
  return notes;
}

result<base_results_file> load_base_results(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return fail(path +
                ": cannot open (expected a results file written by leadrl eval "
                "--out-json)");
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad()) return fail(path + ": read error", errc::io_failure);
  return read_base_results(text.str(), path);
}

}  // namespace leadrl::eval
