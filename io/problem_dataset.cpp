#include "io/problem_dataset.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace leadrl::io {
namespace {

bool text_of(const nlohmann::json& row, const std::string& field, std::string* out) {
  auto it = row.find(field);
  if (it == row.end() || it->is_null()) return false;
  if (it->is_string()) {
    *out = it->get<std::string>();
  } else if (it->is_number()) {
    // The number as the file's JSON holds it; an integer above INT64_MAX stays unsigned.
    *out = it->dump();
  } else {
    return false;
  }
  return true;
}

std::string stem(const std::string& path) {
  const auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const auto dot = base.find('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

}  // namespace

result<problem_dataset> load_problems(const std::string& path, const problem_fields& fields) {
  std::ifstream in(path);
  if (!in) return fail("dataset " + path + ": cannot open (expected a JSONL file)");
  problem_dataset ds;
  ds.name = stem(path);
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "dataset " + path + " line " + std::to_string(line_no);
    nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!row.is_object()) return fail(where + ": expected a JSON object");
    problem p;
    p.prompt_id = static_cast<std::int64_t>(ds.rows.size());
    if (!text_of(row, fields.id_field, &p.id)) p.id = std::to_string(p.prompt_id);
    if (!text_of(row, fields.prompt_field, &p.prompt)) {
      std::string body;
      if (!text_of(row, fields.problem_field, &body)) {
        return fail(where + ": expected a text field '" + fields.prompt_field + "' or '" +
                    fields.problem_field + "'");
      }
      p.prompt = body + fields.instruction_suffix;
    }
    if (!text_of(row, fields.answer_field, &p.answer) && fields.answer_required) {
      return fail(where + ": expected a text or number field '" + fields.answer_field + "'");
    }
    if (!text_of(row, fields.response_field, &p.response) && fields.response_required) {
      return fail(where + ": expected a text field '" + fields.response_field + "'");
    }
    ds.rows.push_back(std::move(p));
  }
  if (ds.rows.empty()) return fail("dataset " + path + ": no rows (expected JSONL objects)");
  return ds;
}

}  // namespace leadrl::io
