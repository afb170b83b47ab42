#include "model/tokenizer_jsonl.hpp"

#include <nlohmann/json.hpp>

namespace leadrl::model {

tokenize_jsonl_report tokenize_jsonl(const tokenizer& tok, std::istream& in, std::ostream& out,
                                     bool add_special) {
  tokenize_jsonl_report report;
  std::string line;
  std::string buffer;
  for (std::size_t line_number = 1; std::getline(in, line); ++line_number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    std::string problem;
    if (row.is_discarded()) {
      problem = "not valid JSON (expected an object with a string \"text\")";
    } else if (!row.is_object()) {
      problem =
          "expected a JSON object with a string \"text\", got " + std::string(row.type_name());
    } else if (!row.contains("text") || !row["text"].is_string()) {
      problem = "expected a string field \"text\"";
    }
    if (!problem.empty()) {
      ++report.skipped;
      report.problems.push_back(std::to_string(line_number) + ": " + problem);
      continue;
    }
    const auto ids = tok.encode(row["text"].get_ref<const std::string&>(), add_special);
    buffer.assign("{\"ids\":[");
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) buffer.push_back(',');
      buffer += std::to_string(ids[i]);
    }
    buffer += "]}\n";
    out << buffer;
    ++report.written;
  }
  return report;
}

}  // namespace leadrl::model
