#include "io/arith_steps.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "grading/char_class.hpp"
#include "grading/text_edit.hpp"

namespace leadrl::io {
namespace {

using grading::is_digit;

// The number of operations of a bare equation line "-?d+(op d+)+=-?d+" (op in + - * /),
// or -1 when the line is anything else.
int equation_operations(std::string_view line) {
  std::size_t i = 0;
  auto number = [&] {
    const std::size_t start = i;
    while (i < line.size() && is_digit(line[i])) ++i;
    return i > start;
  };
  if (i < line.size() && line[i] == '-') ++i;
  if (!number()) return -1;
  int operations = 0;
  while (i < line.size() && line[i] != '=') {
    const char op = line[i];
    if (op != '+' && op != '-' && op != '*' && op != '/') return -1;
    ++i;
    if (!number()) return -1;
    ++operations;
  }
  if (i == line.size() || operations == 0) return -1;
  ++i;  // '='
  if (i < line.size() && line[i] == '-') ++i;
  if (!number() || i != line.size()) return -1;
  return operations;
}

}  // namespace

const char* arith_step_kind_name(arith_step_kind kind) {
  switch (kind) {
    case arith_step_kind::fused:
      return "fused";
    case arith_step_kind::dropped:
      return "dropped";
    default:
      return "full";
  }
}

arith_step_report classify_arith_steps(std::string_view response, const arith_problem& problem) {
  const std::vector<arith_step> steps = arith_solution_steps(problem);
  std::vector<std::string> necessary;
  for (const arith_step& s : steps) necessary.push_back(format_arith_step(s));
  std::vector<bool> seen(necessary.size(), false);
  arith_step_report r;
  r.needed = static_cast<int>(necessary.size());
  std::size_t begin = 0;
  while (begin <= response.size()) {
    std::size_t end = response.find('\n', begin);
    if (end == std::string_view::npos) end = response.size();
    const std::string_view line = grading::trim(response.substr(begin, end - begin));
    begin = end + 1;
    if (line.substr(0, 2) == "A:") break;
    const int operations = equation_operations(line);
    if (operations == 1) {
      ++r.step_lines;
      const auto it = std::find(necessary.begin(), necessary.end(), line);
      if (it != necessary.end() && !seen[static_cast<std::size_t>(it - necessary.begin())]) {
        seen[static_cast<std::size_t>(it - necessary.begin())] = true;
        ++r.matched;
      }
    } else if (operations >= 2) {
      ++r.fused_lines;
    }
  }
  if (r.step_lines >= r.needed) {
    r.kind = arith_step_kind::full;
  } else if (r.fused_lines > 0 || r.step_lines == 0) {
    r.kind = arith_step_kind::fused;
  } else {
    r.kind = arith_step_kind::dropped;
  }
  return r;
}

}  // namespace leadrl::io
