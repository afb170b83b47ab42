#include "grading/relation.hpp"

#include <optional>
#include <vector>

#include "grading/char_class.hpp"
#include "grading/text_edit.hpp"

namespace leadrl::grading {
namespace {

// A name standing for the unknown: a letter, a Greek-letter command other than the
// constants, either with a subscript ("x_1", "a_{n}").
bool is_variable(std::string_view s) {
  s = trim(s);
  std::size_t n = 0;
  if (!s.empty() && is_letter(s[0])) {
    n = 1;
  } else if (s.size() > 1 && s[0] == '\\') {
    n = 1;
    while (n < s.size() && is_letter(s[n])) ++n;
    const std::string_view name = s.substr(1, n - 1);
    if (name.empty() || name == "pi" || name == "infty" || name == "e") return false;
  } else {
    return false;
  }
  if (n == s.size()) return s != "e";  // Euler's number is a constant
  if (s[n] != '_') return false;
  const std::string_view sub = s.substr(n + 1);
  if (sub.size() == 1) return is_alnum(sub[0]);
  return sub.size() > 2 && sub.front() == '{' && sub.back() == '}';
}

enum class op { lt, le, gt, ge, ne };

op flipped(op o) {
  switch (o) {
    case op::lt:
      return op::gt;
    case op::le:
      return op::ge;
    case op::gt:
      return op::lt;
    case op::ge:
      return op::le;
    default:
      return o;
  }
}

struct split_relation {
  std::vector<std::string_view> parts;
  std::vector<op> ops;
};

// Splits at the relation operators outside brackets; nothing when there is none or a part
// is empty.
std::optional<split_relation> split_at_operators(std::string_view s) {
  split_relation out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (depth != 0 || (c != '<' && c != '>' && c != '!')) continue;
    const bool eq = i + 1 < s.size() && s[i + 1] == '=';
    if (c == '!' && !eq) continue;
    out.parts.push_back(s.substr(start, i - start));
    out.ops.push_back(c == '!'   ? op::ne
                      : c == '<' ? (eq ? op::le : op::lt)
                                 : (eq ? op::ge : op::gt));
    i += eq ? 1 : 0;
    start = i + 1;
  }
  if (out.ops.empty()) return std::nullopt;
  out.parts.push_back(s.substr(start));
  for (auto& p : out.parts) {
    p = trim(p);
    if (p.empty()) return std::nullopt;
  }
  return out;
}

std::string interval(std::string_view lo, bool lo_closed, std::string_view hi, bool hi_closed) {
  return std::string(lo_closed ? "[" : "(") + std::string(lo) + "," + std::string(hi) +
         (hi_closed ? "]" : ")");
}

// The solutions of "x o bound" as an interval.
std::string one_sided(op o, std::string_view bound) {
  switch (o) {
    case op::gt:
      return interval(bound, false, "\\infty", false);
    case op::ge:
      return interval(bound, true, "\\infty", false);
    case op::lt:
      return interval("-\\infty", false, bound, false);
    default:
      return interval("-\\infty", false, bound, true);
  }
}

bool is_less(op o) {
  return o == op::lt || o == op::le;
}
bool is_greater(op o) {
  return o == op::gt || o == op::ge;
}

}  // namespace

std::string canonical_relation(std::string_view answer) {
  std::string s(trim(answer));
  if (s == "\\mathbb{R}" || s == "\\mathbb R" || s == "\\R") return "(-\\infty,\\infty)";
  std::string t = s;
  replace_all(t, "\xE2\x89\xA5", ">=");  // ≥
  replace_all(t, "\xE2\x89\xA4", "<=");  // ≤
  replace_all(t, "\xE2\x89\xA0", "!=");  // ≠
  for (auto [name, to] : {std::pair<const char*, const char*>{"geqslant", ">="},
                          {"leqslant", "<="},
                          {"geq", ">="},
                          {"leq", "<="},
                          {"ge", ">="},
                          {"le", "<="},
                          {"neq", "!="},
                          {"ne", "!="},
                          {"gt", ">"},
                          {"lt", "<"}}) {
    replace_command(t, name, to);
  }
  auto rel = split_at_operators(t);
  if (!rel) return s;
  const auto& p = rel->parts;
  const auto& o = rel->ops;
  if (o.size() == 1) {
    const bool left = is_variable(p[0]) && !is_variable(p[1]);
    const bool right = is_variable(p[1]) && !is_variable(p[0]);
    if (!left && !right) return s;
    const std::string_view var = left ? p[0] : p[1];
    const std::string_view bound = left ? p[1] : p[0];
    const op rel_op = left ? o[0] : flipped(o[0]);
    if (rel_op == op::ne) return std::string(var) + "\\neq " + std::string(bound);
    return one_sided(rel_op, bound);
  }
  if (o.size() == 2 && is_variable(p[1]) && !is_variable(p[0]) && !is_variable(p[2])) {
    if (is_less(o[0]) && is_less(o[1])) return interval(p[0], o[0] == op::le, p[2], o[1] == op::le);
    if (is_greater(o[0]) && is_greater(o[1])) {
      return interval(p[2], o[1] == op::ge, p[0], o[0] == op::ge);
    }
  }
  return s;
}

}  // namespace leadrl::grading
