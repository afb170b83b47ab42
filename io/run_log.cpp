#include "io/run_log.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace leadrl::io {

result<run_log> parse_run_log(std::string_view text) {
  run_log log;
  std::size_t pos = 0;
  for (std::size_t line = 1; pos < text.size(); ++line) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view row = text.substr(pos, end - pos);
    pos = end + 1;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = "line " + std::to_string(line);
    const auto j = nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return fail(where + ": not a JSON object");
    auto step = j.find("step");
    if (step == j.end() || !step->is_number()) {
      return fail(where + ": expected a numeric \"step\"");
    }
    const double s = step->get<double>();
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "step" || !it->is_number()) continue;
      log.series[it.key()].emplace_back(s, it->get<double>());
    }
    ++log.steps;
  }
  if (log.steps == 0) return fail("no steps in the log");
  return log;
}

result<run_log> load_run_log(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(path + ": cannot open the metrics log");
  std::ostringstream s;
  s << f.rdbuf();
  auto log = parse_run_log(s.str());
  if (!log) return log.error().with_context(path);
  return log;
}

}  // namespace leadrl::io
