#include "eval/paper_table.hpp"

#include <algorithm>
#include <sstream>

#include "eval/table_text.hpp"

namespace leadrl::eval {

namespace {

// The table's shape: models and datasets in order of first appearance, each dataset's n.
struct table_shape {
  std::vector<std::string> models;
  std::vector<std::string> datasets;
  std::vector<std::size_t> n;
  bool average = false;
};

table_shape shape_of(const std::vector<eval_row>& rows) {
  table_shape t;
  for (const auto& r : rows) {
    if (std::find(t.models.begin(), t.models.end(), r.model) == t.models.end()) {
      t.models.push_back(r.model);
    }
    if (r.dataset == eval_average_dataset) {
      t.average = true;
      continue;
    }
    auto at = std::find(t.datasets.begin(), t.datasets.end(), r.dataset);
    if (at == t.datasets.end()) {
      t.datasets.push_back(r.dataset);
      t.n.push_back(r.samples_per_problem);
    } else {
      auto& n = t.n[static_cast<std::size_t>(at - t.datasets.begin())];
      n = std::max(n, r.samples_per_problem);
    }
  }
  return t;
}

// The groups of one line: every dataset, then the average when the table has one.
std::vector<std::string> groups_of(const table_shape& t) {
  std::vector<std::string> groups = t.datasets;
  if (t.average) groups.push_back(eval_average_dataset);
  return groups;
}

const eval_row* find_row(const std::vector<eval_row>& rows, const std::string& model,
                         const std::string& dataset) {
  auto it = std::find_if(rows.begin(), rows.end(), [&](const eval_row& r) {
    return r.model == model && r.dataset == dataset;
  });
  return it == rows.end() ? nullptr : &*it;
}

}  // namespace

std::string paper_table_markdown(const std::vector<eval_row>& rows) {
  const table_shape t = shape_of(rows);
  std::ostringstream s;
  s << "| model |";
  for (std::size_t i = 0; i < t.datasets.size(); ++i) {
    s << ' ' << md_cell(t.datasets[i]) << " (n=" << t.n[i] << ") Acc | Len | AES |";
  }
  if (t.average) s << " Average Acc | Len | AES |";
  s << "\n|---|";
  for (std::size_t i = 0; i < groups_of(t).size(); ++i) s << "--:|--:|--:|";
  s << '\n';
  for (const auto& m : t.models) {
    s << "| " << md_cell(m) << " |";
    for (const auto& g : groups_of(t)) {
      const eval_row* r = find_row(rows, m, g);
      if (!r) {
        s << " n/a | n/a | n/a |";
        continue;
      }
      s << ' ' << fixed(100 * r->pass_at_1, 1) << " | " << fixed(r->mean_length, 1) << " | "
        << (r->aes ? fixed(*r->aes, 3) : "n/a") << " |";
    }
    s << '\n';
  }
  return s.str();
}

std::string paper_table_csv(const std::vector<eval_row>& rows) {
  const table_shape t = shape_of(rows);
  std::ostringstream s;
  s << "model";
  for (const auto& d : t.datasets) {
    s << ',' << csv_field(d + "_n") << ',' << csv_field(d + "_acc") << ',' << csv_field(d + "_len")
      << ',' << csv_field(d + "_aes");
  }
  if (t.average) s << ",average_acc,average_len,average_aes";
  s << '\n';
  for (const auto& m : t.models) {
    s << csv_field(m);
    for (const auto& g : groups_of(t)) {
      const eval_row* r = find_row(rows, m, g);
      if (g != eval_average_dataset) s << ',' << (r ? std::to_string(r->samples_per_problem) : "");
      s << ',' << (r ? exact(r->pass_at_1) : "") << ',' << (r ? exact(r->mean_length) : "") << ','
        << (r && r->aes ? exact(*r->aes) : "");
    }
    s << '\n';
  }
  return s.str();
}

}  // namespace leadrl::eval
