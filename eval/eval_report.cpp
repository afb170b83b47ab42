#include "eval/eval_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <utility>

#include "eval/table_text.hpp"
#include "lead/eval_metrics.hpp"

namespace leadrl::eval {

namespace {

std::string run_name(const std::string& model, const std::string& dataset) {
  return "model '" + model + "', dataset '" + dataset + "'";
}

void add_unique(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

const char* const csv_header =
    "model,dataset,n,problems,pass_at_1,mean_length,aes,acc_delta,len_delta";

// Splits one CSV record starting at `pos` (quotes may span newlines); advances pos.
result<std::vector<std::string>> csv_record(std::string_view text, std::size_t& pos) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          fields.back() += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return fail("unterminated quoted field");
  return fields;
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// One run's row: pass@1, mean length, n (the largest sample count over problems).
result<eval_row> summarize_run(const eval_samples& r) {
  auto s = lead::summarize_dataset(r.problem_ids, r.correctness, r.lengths);
  if (!s) return s.error().with_context(run_name(r.model, r.dataset));
  std::map<lead::prompt_id, std::size_t> per_problem;
  for (auto id : r.problem_ids) ++per_problem[id];
  eval_row row;
  row.model = r.model;
  row.dataset = r.dataset;
  row.problems = s->problems;
  for (const auto& kv : per_problem) {
    row.samples_per_problem = std::max(row.samples_per_problem, kv.second);
  }
  row.pass_at_1 = s->pass_at_1;
  row.mean_length = s->mean_length;
  row.truncated = r.truncated;
  return row;
}

// The runs' rows by (model, dataset), with models and datasets in order of appearance.
struct run_cells {
  std::vector<std::string> models, datasets;
  std::map<std::pair<std::string, std::string>, eval_row> rows;
};

result<run_cells> summarize_runs(const std::vector<eval_samples>& runs) {
  if (runs.empty()) return fail("eval table: no runs");
  run_cells c;
  for (const auto& r : runs) {
    auto row = summarize_run(r);
    if (!row) return row.error();
    if (!c.rows.emplace(std::make_pair(r.model, r.dataset), *row).second) {
      return fail(run_name(r.model, r.dataset) + " appears twice");
    }
    add_unique(c.models, r.model);
    add_unique(c.datasets, r.dataset);
  }
  for (const auto& m : c.models) {
    for (const auto& d : c.datasets) {
      if (!c.rows.count({m, d}))
        return fail(run_name(m, d) + ": missing (every model needs every dataset)");
    }
  }
  return c;
}

// Deltas and AES of `row` against the base's row on the same dataset.
void compare_with_base(eval_row& row, const eval_row& base) {
  row.acc_delta = row.pass_at_1 - base.pass_at_1;
  row.len_delta =
      base.mean_length > 0 ? (row.mean_length - base.mean_length) / base.mean_length : 0.0;
  row.aes.reset();
  if (auto a = lead::aes(row.pass_at_1, row.mean_length, base.pass_at_1, base.mean_length)) {
    row.aes = *a;
  }
}

// The unweighted mean over one model's dataset rows; AES only when every row has one.
eval_row average_row(const std::vector<eval_row>& rows) {
  eval_row avg;
  avg.model = rows.front().model;
  avg.dataset = eval_average_dataset;
  double aes_sum = 0;
  bool aes_all = true;
  for (const auto& r : rows) {
    avg.problems += r.problems;
    avg.samples_per_problem = std::max(avg.samples_per_problem, r.samples_per_problem);
    avg.truncated += r.truncated;
    avg.pass_at_1 += r.pass_at_1;
    avg.mean_length += r.mean_length;
    avg.acc_delta += r.acc_delta;
    avg.len_delta += r.len_delta;
    aes_all = aes_all && r.aes.has_value();
    aes_sum += r.aes.value_or(0.0);
  }
  const double k = static_cast<double>(rows.size());
  avg.pass_at_1 /= k;
  avg.mean_length /= k;
  avg.acc_delta /= k;
  avg.len_delta /= k;
  if (aes_all) avg.aes = aes_sum / k;
  return avg;
}

// Every model's rows compared with `base` (one row per dataset), plus its average row.
std::vector<eval_row> compare_all(const run_cells& c, const std::map<std::string, eval_row>& base) {
  std::vector<eval_row> rows;
  for (const auto& m : c.models) {
    std::vector<eval_row> own;
    for (const auto& d : c.datasets) {
      own.push_back(c.rows.at({m, d}));
      compare_with_base(own.back(), base.at(d));
    }
    rows.insert(rows.end(), own.begin(), own.end());
    if (own.size() >= 2) rows.push_back(average_row(own));
  }
  return rows;
}

std::string base_label(const base_results& base) {
  return "base results of model '" + base.model + "'" +
         (base.source.empty() ? std::string() : " (" + base.source + ")");
}

}  // namespace

result<std::vector<eval_row>> eval_table(const std::vector<eval_samples>& runs,
                                         const std::string& base_model) {
  auto c = summarize_runs(runs);
  if (!c) return c.error();
  if (std::find(c->models.begin(), c->models.end(), base_model) == c->models.end()) {
    return fail("base model '" + base_model + "' has no evaluation runs");
  }
  std::map<std::string, eval_row> base;
  for (const auto& d : c->datasets) base.emplace(d, c->rows.at({base_model, d}));
  return compare_all(*c, base);
}

result<std::vector<eval_row>> eval_table(const std::vector<eval_samples>& runs,
                                         const base_results& base) {
  auto c = summarize_runs(runs);
  if (!c) return c.error();
  std::map<std::string, eval_row> by_dataset;
  for (const auto& r : base.rows) by_dataset.emplace(r.dataset, r);
  for (const auto& d : c->datasets) {
    if (!by_dataset.count(d)) {
      return fail(base_label(base) + ": no results for dataset '" + d +
                  "' (expected one for every evaluated dataset)");
    }
  }
  return compare_all(*c, by_dataset);
}

base_results evaluated_base(const std::vector<eval_row>& rows, const std::string& model) {
  base_results base;
  base.model = model;
  for (const auto& r : rows) {
    if (r.model == model && r.dataset != eval_average_dataset) base.rows.push_back(r);
  }
  return base;
}

result<std::vector<eval_row>> base_rows(const base_results& base,
                                        const std::vector<std::string>& datasets) {
  std::vector<eval_row> own;
  for (const auto& d : datasets) {
    auto it = std::find_if(base.rows.begin(), base.rows.end(),
                           [&](const eval_row& r) { return r.dataset == d; });
    if (it == base.rows.end()) {
      return fail(base_label(base) + ": no results for dataset '" + d + "'");
    }
    own.push_back(*it);
    own.back().model = base.model;
    compare_with_base(own.back(), *it);
  }
  if (own.empty()) return fail(base_label(base) + ": no datasets to show");
  if (own.size() >= 2) own.push_back(average_row(own));
  return own;
}

std::string eval_markdown(const std::vector<eval_row>& rows) {
  std::ostringstream s;
  s << "| model | dataset | n | problems | pass@1 (%) | mean length | AES | Δacc (pts) | Δlen (%) "
       "| cut |\n"
    << "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& r : rows) {
    s << "| " << md_cell(r.model) << " | " << md_cell(r.dataset) << " | " << r.samples_per_problem
      << " | " << r.problems << " | " << fixed(100 * r.pass_at_1, 1) << " | "
      << fixed(r.mean_length, 1) << " | " << (r.aes ? fixed(*r.aes, 3) : "n/a") << " | "
      << signed_fixed(100 * r.acc_delta, 1) << " | " << signed_fixed(100 * r.len_delta, 1) << " | "
      << r.truncated << " |\n";
  }
  return s.str();
}

std::string eval_csv(const std::vector<eval_row>& rows) {
  std::ostringstream s;
  s << csv_header << "\n";
  for (const auto& r : rows) {
    s << csv_field(r.model) << ',' << csv_field(r.dataset) << ',' << r.samples_per_problem << ','
      << r.problems << ',' << exact(r.pass_at_1) << ',' << exact(r.mean_length) << ','
      << (r.aes ? exact(*r.aes) : "") << ',' << exact(r.acc_delta) << ',' << exact(r.len_delta)
      << "\n";
  }
  return s.str();
}

result<std::vector<eval_row>> parse_eval_csv(std::string_view text) {
  std::size_t pos = 0;
  std::vector<eval_row> rows;
  for (std::size_t line = 1; pos < text.size(); ++line) {
    const std::string where = "line " + std::to_string(line);
    auto rec = csv_record(text, pos);
    if (!rec) return rec.error().with_context(where);
    const auto& f = *rec;
    if (line == 1) {
      std::string joined;
      for (std::size_t i = 0; i < f.size(); ++i) joined += (i ? "," : "") + f[i];
      if (joined != csv_header) {
        return fail(where + ": expected the header '" + csv_header + "', got '" + joined + "'");
      }
      continue;
    }
    if (f.size() == 1 && f[0].empty()) continue;  // blank line
    if (f.size() != 9) {
      return fail(where + ": expected 9 fields, got " + std::to_string(f.size()));
    }
    eval_row r;
    r.model = f[0];
    r.dataset = f[1];
    static const char* const names[] = {"n",   "problems",  "pass_at_1", "mean_length",
                                        "aes", "acc_delta", "len_delta"};
    double v[7] = {};
    for (int i = 0; i < 7; ++i) {
      if (i == 4 && f[6].empty()) continue;
      auto x = parse_number(f[static_cast<std::size_t>(i) + 2]);
      if (!x) {
        return fail(where + ": field '" + names[i] + "' is not a number: '" +
                    f[static_cast<std::size_t>(i) + 2] + "'");
      }
      v[i] = *x;
    }
    // n and problems are counts; a value size_t cannot hold (huge, negative, NaN) made the
    // conversion undefined (found by fuzz_eval_files).
    for (int i : {0, 1}) {
      if (!(v[i] >= 0 && v[i] <= 1e15 && v[i] == std::floor(v[i]))) {
        return fail(where + ": field '" + names[i] + "' is not a count: '" +
                    f[static_cast<std::size_t>(i) + 2] + "'");
      }
    }
    r.samples_per_problem = static_cast<std::size_t>(v[0]);
    r.problems = static_cast<std::size_t>(v[1]);
    r.pass_at_1 = v[2];
    r.mean_length = v[3];
    if (!f[6].empty()) r.aes = v[4];
    r.acc_delta = v[5];
    r.len_delta = v[6];
    rows.push_back(std::move(r));
  }
  if (rows.empty() && pos == 0) return fail("empty CSV (expected the header line)");
  return rows;
}

}  // namespace leadrl::eval
