#include "eval/eval_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <utility>

#include "lead/eval_metrics.hpp"

namespace leadrl::eval {

namespace {

std::string run_name(const std::string& model, const std::string& dataset) {
  return "model '" + model + "', dataset '" + dataset + "'";
}

void add_unique(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string signed_fixed(double v, int digits) {
  return (v >= 0 ? "+" : "") + fixed(v, digits);
}

// Shortest text that reads back to the same double.
std::string exact(double v) {
  char buf[64];
  for (int p = 6; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
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

}  // namespace

result<std::vector<eval_row>> eval_table(const std::vector<eval_samples>& runs,
                                         const std::string& base_model) {
  if (runs.empty()) return fail("eval table: no runs");
  std::vector<std::string> models, datasets;
  std::map<std::pair<std::string, std::string>, eval_row> cells;
  for (const auto& r : runs) {
    const std::string where = run_name(r.model, r.dataset);
    auto s = lead::summarize_dataset(r.problem_ids, r.correctness, r.lengths);
    if (!s) return s.error().with_context(where);
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
    if (!cells.emplace(std::make_pair(r.model, r.dataset), row).second) {
      return fail(where + " appears twice");
    }
    add_unique(models, r.model);
    add_unique(datasets, r.dataset);
  }
  if (std::find(models.begin(), models.end(), base_model) == models.end()) {
    return fail("base model '" + base_model + "' has no evaluation runs");
  }
  for (const auto& m : models) {
    for (const auto& d : datasets) {
      if (!cells.count({m, d}))
        return fail(run_name(m, d) + ": missing (every model needs every dataset)");
    }
  }
  std::vector<eval_row> rows;
  for (const auto& m : models) {
    double acc_sum = 0, len_sum = 0, aes_sum = 0, acc_delta_sum = 0, len_delta_sum = 0;
    bool aes_all = true;
    std::size_t problems = 0, n_max = 0;
    for (const auto& d : datasets) {
      eval_row row = cells.at({m, d});
      const eval_row& base = cells.at({base_model, d});
      row.acc_delta = row.pass_at_1 - base.pass_at_1;
      row.len_delta =
          base.mean_length > 0 ? (row.mean_length - base.mean_length) / base.mean_length : 0.0;
      auto a = lead::aes(row.pass_at_1, row.mean_length, base.pass_at_1, base.mean_length);
      if (a) {
        row.aes = *a;
        aes_sum += *a;
      } else {
        aes_all = false;
      }
      acc_sum += row.pass_at_1;
      len_sum += row.mean_length;
      acc_delta_sum += row.acc_delta;
      len_delta_sum += row.len_delta;
      problems += row.problems;
      n_max = std::max(n_max, row.samples_per_problem);
      rows.push_back(std::move(row));
    }
    if (datasets.size() >= 2) {
      const double k = static_cast<double>(datasets.size());
      eval_row avg;
      avg.model = m;
      avg.dataset = eval_average_dataset;
      avg.problems = problems;
      avg.samples_per_problem = n_max;
      avg.pass_at_1 = acc_sum / k;
      avg.mean_length = len_sum / k;
      if (aes_all) avg.aes = aes_sum / k;
      avg.acc_delta = acc_delta_sum / k;
      avg.len_delta = len_delta_sum / k;
      rows.push_back(std::move(avg));
    }
  }
  return rows;
}

std::string eval_markdown(const std::vector<eval_row>& rows) {
  std::ostringstream s;
  s << "| model | dataset | n | problems | pass@1 (%) | mean length | AES | Δacc (pts) | Δlen (%) "
       "|\n"
    << "|---|---|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& r : rows) {
    s << "| " << md_cell(r.model) << " | " << md_cell(r.dataset) << " | " << r.samples_per_problem
      << " | " << r.problems << " | " << fixed(100 * r.pass_at_1, 1) << " | "
      << fixed(r.mean_length, 1) << " | " << (r.aes ? fixed(*r.aes, 3) : "n/a") << " | "
      << signed_fixed(100 * r.acc_delta, 1) << " | " << signed_fixed(100 * r.len_delta, 1)
      << " |\n";
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
    r.samples_per_problem = static_cast<std::size_t>(std::max(0.0, v[0]));
    r.problems = static_cast<std::size_t>(std::max(0.0, v[1]));
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
