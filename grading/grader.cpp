#include "grading/grader.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "grading/answer_normalization.hpp"
#include "grading/char_class.hpp"
#include "grading/math_expression.hpp"
#include "grading/relation.hpp"
#include "grading/text_edit.hpp"

namespace leadrl::grading {
namespace {

constexpr std::size_t max_symbolic_length = 4000;     // longer answers: string comparisons only
constexpr std::size_t max_normalized_length = 20000;  // longer answers: §11.3 comparison only
constexpr std::size_t max_items = 64;                 // elements of a list, set or tuple
constexpr int max_nesting = 8;                        // tuples inside tuples inside ...

// Words that name units or counted things; a \text{...} or trailing word made only of them
// is dropped ("5\text{ cm}^2" -> "5", "12 ways" -> "12").
constexpr std::string_view unit_words[] = {
    "unit",       "units",       "square",     "sq",          "cubic",      "cm",
    "centimeter", "centimeters", "centimetre", "centimetres", "mm",         "m",
    "meter",      "meters",      "metre",      "metres",      "km",         "kilometer",
    "kilometers", "inch",        "inches",     "in",          "foot",       "feet",
    "ft",         "yard",        "yards",      "yd",          "mile",       "miles",
    "mi",         "mph",         "kph",        "hour",        "hours",      "hr",
    "hrs",        "h",           "minute",     "minutes",     "min",        "mins",
    "second",     "seconds",     "sec",        "secs",        "s",          "day",
    "days",       "week",        "weeks",      "month",       "months",     "year",
    "years",      "degree",      "degrees",    "deg",         "radian",     "radians",
    "rad",        "dollar",      "dollars",    "cent",        "cents",      "gram",
    "grams",      "g",           "kg",         "kilogram",    "kilograms",  "pound",
    "pounds",     "lb",          "lbs",        "ounce",       "ounces",     "oz",
    "liter",      "liters",      "litre",      "litres",      "ml",         "gallon",
    "gallons",    "percent",     "ways",       "way",         "people",     "students",
    "persons",    "points",      "coins",      "marbles",     "handshakes", "games",
    "times",      "per",         "of",         "a",           "an",         "the",
};

bool is_unit_word(std::string_view w) {
  std::string l;
  for (char c : w) l += to_lower(c);
  return std::find(std::begin(unit_words), std::end(unit_words), l) != std::end(unit_words);
}

// Whether `text` (the inside of \text{...}) is a unit phrase: letter words all from
// unit_words, separated by spaces, '/', '^' and digits; "a"/"the" alone do not count.
bool is_unit_phrase(std::string_view text) {
  int real_units = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (is_letter(c)) {
      std::size_t e = i;
      while (e < text.size() && is_letter(text[e])) ++e;
      std::string_view w = text.substr(i, e - i);
      if (!is_unit_word(w)) return false;
      if (w != "a" && w != "an" && w != "the" && w != "of" && w != "per") ++real_units;
      i = e;
    } else if (is_space_no_vt(c) || c == '/' || c == '^' || is_digit(c) || c == '{' || c == '}' ||
               c == '.') {
      ++i;
    } else {
      return false;
    }
  }
  return real_units > 0;
}

// For every '{', the index of its matching '}' (npos when unmatched); one pass with a stack.
std::vector<std::size_t> brace_matches(const std::string& s) {
  std::vector<std::size_t> match(s.size(), std::string::npos);
  std::vector<std::size_t> open;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') {
      open.push_back(i);
    } else if (s[i] == '}' && !open.empty()) {
      match[open.back()] = i;
      open.pop_back();
    }
  }
  return match;
}

// Unwraps or removes \text-like commands (see clean_answer) in one left-to-right pass:
// a unit phrase is dropped with any exponent after it, "or"/"and" become commas, anything
// else keeps its content (nested wrappers inside it are handled as the scan reaches them).
void resolve_text_commands(std::string& s) {
  static constexpr std::string_view wrappers[] = {
      "textbf", "textit", "textnormal", "texttt", "textrm", "text", "mbox",
      "mathrm", "mathbf", "mathit",     "boxed",  "fbox",   "hbox"};
  if (s.find('\\') == std::string::npos) return;
  std::vector<std::size_t> match = brace_matches(s);
  std::vector<bool> dropped_close(s.size(), false);
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (dropped_close[i]) {
      ++i;
      continue;
    }
    if (s[i] != '\\') {
      out += s[i++];
      continue;
    }
    std::size_t e = i + 1;
    while (e < s.size() && is_letter(s[e])) ++e;
    std::string_view name(s.data() + i + 1, e - i - 1);
    if (std::find(std::begin(wrappers), std::end(wrappers), name) == std::end(wrappers)) {
      out.append(s, i, std::max<std::size_t>(e - i, 2));
      i += std::max<std::size_t>(e - i, 2);
      continue;
    }
    std::size_t open = e;
    while (open < s.size() && s[open] == ' ') ++open;
    if (open >= s.size() || s[open] != '{' || match[open] == std::string::npos) {
      i = e;  // a wrapper without a (closed) argument: drop the command name only
      continue;
    }
    std::size_t close = match[open];
    std::string_view inner = trim(std::string_view(s).substr(open + 1, close - open - 1));
    if (inner == "or" || inner == "and" || inner == ",") {
      out += ',';
      i = close + 1;
    } else if (is_unit_phrase(inner)) {
      std::size_t end = close + 1;
      // Drop a following exponent as well: "\text{ cm}^2", "\text{ m}^{3}".
      if (end < s.size() && s[end] == '^') {
        std::size_t x = end + 1;
        if (x < s.size() && s[x] == '{') {
          if (match[x] != std::string::npos) end = match[x] + 1;
        } else {
          while (x < s.size() && is_digit(s[x])) ++x;
          end = x;
        }
      }
      out += ' ';
      i = end;
    } else {
      dropped_close[close] = true;
      i = open + 1;
    }
  }
  s = std::move(out);
}

// Drops trailing plain unit words after a space: "12 cm" -> "12", "4 square units" -> "4".
void drop_trailing_units(std::string& s) {
  for (int guard = 0; guard < 8; ++guard) {
    std::string_view v = trim(s);
    std::size_t end = v.size();
    std::size_t e = end;
    // An exponent on the unit: "cm^2", "m^{3}".
    if (e > 0 && v[e - 1] == '}') {
      std::size_t o = v.rfind("^{");
      if (o == std::string_view::npos) return;
      e = o;
    } else {
      std::size_t d = e;
      while (d > 0 && is_digit(v[d - 1])) --d;
      if (d < e && d > 0 && v[d - 1] == '^') e = d - 1;
    }
    std::size_t b = e;
    while (b > 0 && is_letter(v[b - 1])) --b;
    if (b == e || e - b < 2 || b == 0 || !is_space_no_vt(v[b - 1])) return;
    if (!is_unit_word(v.substr(b, e - b))) return;
    std::string_view rest = trim(v.substr(0, b));
    if (rest.empty() || rest.back() == '\\') return;
    s = std::string(rest);
  }
}

// Matrices become tuples of rows: a single row or column becomes a plain tuple.
void matrices_to_tuples(std::string& s) {
  static constexpr std::string_view kinds[] = {"pmatrix", "bmatrix", "matrix", "vmatrix", "array"};
  for (int guard = 0; guard < 16; ++guard) {
    bool changed = false;
    for (std::string_view kind : kinds) {
      std::string begin = "\\begin{" + std::string(kind) + "}";
      std::string end = "\\end{" + std::string(kind) + "}";
      std::size_t b = s.find(begin);
      if (b == std::string::npos) continue;
      std::size_t e = s.find(end, b);
      if (e == std::string::npos) return;
      std::size_t body_from = b + begin.size();
      std::size_t from = b, to = e + end.size();
      if (kind == "array") {
        // The column spec ("{cc}") is layout; brackets written around the array
        // ("\\left[ ... \\right]") are the matrix's own, as pmatrix/bmatrix imply.
        if (body_from < s.size() && s[body_from] == '{') {
          const std::size_t close = s.find('}', body_from);
          if (close == std::string::npos || close > e) return;
          body_from = close + 1;
        }
        for (std::string_view open : {"\\left[", "\\left(", "[", "("}) {
          const std::string_view before = trim(std::string_view(s).substr(0, from));
          if (before.size() >= open.size() && before.substr(before.size() - open.size()) == open) {
            for (std::string_view close : {"\\right]", "\\right)", "]", ")"}) {
              const std::string_view after = std::string_view(s).substr(to);
              const std::string_view a = trim(after);
              if (a.substr(0, close.size()) == close) {
                from = before.size() - open.size();
                to = s.size() - a.size() + close.size();
                break;
              }
            }
            break;
          }
        }
      }
      std::string body = s.substr(body_from, e - body_from);
      std::vector<std::vector<std::string>> rows;
      std::size_t i = 0;
      for (;;) {
        std::size_t r = body.find("\\\\", i);
        std::string row = body.substr(i, r == std::string::npos ? std::string::npos : r - i);
        std::vector<std::string> cells;
        std::size_t j = 0;
        for (;;) {
          std::size_t a = row.find('&', j);
          cells.emplace_back(trim(
              std::string_view(row).substr(j, a == std::string::npos ? std::string::npos : a - j)));
          if (a == std::string::npos) break;
          j = a + 1;
        }
        if (!(cells.size() == 1 && cells[0].empty())) rows.push_back(std::move(cells));
        if (r == std::string::npos) break;
        i = r + 2;
      }
      std::string out = "(";
      bool single = rows.size() == 1 || std::all_of(rows.begin(), rows.end(),
                                                    [](const auto& r) { return r.size() == 1; });
      for (std::size_t r = 0; r < rows.size(); ++r) {
        if (r) out += ",";
        if (!single) out += "(";
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
          if (c) out += ",";
          out += rows[r][c];
        }
        if (!single) out += ")";
      }
      out += ")";
      s.replace(from, to - from, out);
      changed = true;
    }
    if (!changed) return;
  }
}

// ---------------------------------------------------------------------------------------
// Structure: lists, sets, tuples / intervals, scalars.

enum class node_kind { scalar, tuple, set, list, union_of };

struct answer_node {
  node_kind kind = node_kind::scalar;
  char open = 0;
  char close = 0;
  std::string text;  // scalar only
  std::vector<answer_node> items;
  // Lazily compiled scalar expression and its samples, computed once per node however many
  // pairs it takes part in; shared so that copies stay cheap.
  struct compiled_scalar {
    std::optional<math_expression> expression;
    std::vector<std::complex<double>> samples;
  };
  mutable std::shared_ptr<compiled_scalar> compiled;
};

bool is_open(char c) {
  return c == '(' || c == '[' || c == '{';
}
bool is_close(char c) {
  return c == ')' || c == ']' || c == '}';
}

struct split_result {
  std::vector<std::string_view> parts;
  bool has_union = false;
};

// Splits at top-level separators: ',', ';', "\cup", and the words "or" / "and".
split_result split_top(std::string_view s) {
  split_result out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (is_open(c)) {
      ++depth;
    } else if (is_close(c)) {
      --depth;
    } else if (depth == 0) {
      std::size_t skip = 0;
      if (c == ',' || c == ';') {
        skip = 1;
      } else if (c == '\\' && s.compare(i, 4, "\\cup") == 0 &&
                 (i + 4 >= s.size() || !is_letter(s[i + 4]))) {
        skip = 4;
        out.has_union = true;
      } else if ((s.compare(i, 4, " or ") == 0)) {
        skip = 4;
      } else if (s.compare(i, 5, " and ") == 0) {
        skip = 5;
      }
      if (skip) {
        out.parts.push_back(s.substr(start, i - start));
        start = i + skip;
        i += skip - 1;
      }
    }
  }
  out.parts.push_back(s.substr(start));
  return out;
}

// Whether the bracket at s[0] closes exactly at s.back() (depth never returns to 0 before).
bool encloses_whole(std::string_view s) {
  if (s.size() < 2 || !is_open(s.front()) || !is_close(s.back())) return false;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_open(s[i])) ++depth;
    if (is_close(s[i]) && --depth == 0) return i + 1 == s.size();
  }
  return false;
}

bool is_name_char(char c) {
  return is_letter(c) || is_digit(c) || c == '_' || c == '{' || c == '}' || c == '\'';
}

// "x = 5", "f(x) = 2x", "a_1 = 3", "\theta = 2", "x \in [1,2]": the left side names the
// unknown, so only the right side is the answer. Equations with other left sides stay.
std::string_view strip_name_prefix(std::string_view s) {
  std::size_t eq = std::string_view::npos;
  std::size_t eq_len = 1;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_open(s[i])) ++depth;
    if (is_close(s[i])) --depth;
    if (depth != 0) continue;
    if (s[i] == '=') {
      if (eq != std::string_view::npos) return s;
      eq = i;
    } else if (s.compare(i, 3, "\\in") == 0 && (i + 3 >= s.size() || !is_letter(s[i + 3])) &&
               eq == std::string_view::npos) {
      eq = i;
      eq_len = 3;
    }
  }
  if (eq == std::string_view::npos) return s;
  if (eq > 0 && (s[eq - 1] == '<' || s[eq - 1] == '>' || s[eq - 1] == '!')) return s;
  std::string_view lhs = trim(s.substr(0, eq));
  std::string_view rhs = trim(s.substr(eq + eq_len));
  if (lhs.empty() || rhs.empty() || lhs.size() > 40) return s;
  std::size_t i = 0;
  if (lhs[0] == '\\') {
    ++i;
    while (i < lhs.size() && is_letter(lhs[i])) ++i;
  } else if (is_letter(lhs[0])) {
    ++i;
  } else {
    return s;
  }
  while (i < lhs.size() && (is_name_char(lhs[i]) || lhs[i] == ' ' || lhs[i] == '\\')) ++i;
  if (i < lhs.size() && lhs[i] == '(') {
    std::size_t close = lhs.find(')', i);
    if (close == std::string_view::npos) return s;
    i = close + 1;
  }
  while (i < lhs.size() && lhs[i] == ' ') ++i;
  return i == lhs.size() ? rhs : s;
}

bool is_integer_text(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), is_digit);
}

std::string canonical_integer(std::string_view s) {
  bool negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  if (s == "0") negative = false;
  return (negative ? "-" : "") + std::string(s);
}

// Mixed numbers: "7 3/4" and "2\frac{1}{4}" mean 7 + 3/4 and 2 + 1/4.
std::string rewrite_mixed_number(std::string_view s) {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && s[i] == '-') {
    negative = true;
    ++i;
  }
  std::size_t w = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == w || i - w > 12) return std::string(s);
  std::string_view whole = s.substr(w, i - w);
  std::size_t spaces = i;
  while (i < s.size() && s[i] == ' ') ++i;
  bool had_space = i > spaces;
  auto digits = [&](std::size_t& k) {
    std::size_t b = k;
    while (k < s.size() && is_digit(s[k])) ++k;
    return s.substr(b, k - b);
  };
  std::string_view num;
  std::string_view den;
  if (s.compare(i, 6, "\\frac{") == 0) {
    i += 6;
    num = digits(i);
    if (s.compare(i, 2, "}{") != 0) return std::string(s);
    i += 2;
    den = digits(i);
    if (i >= s.size() || s[i] != '}') return std::string(s);
    ++i;
  } else if (had_space) {
    num = digits(i);
    if (i >= s.size() || s[i] != '/') return std::string(s);
    ++i;
    den = digits(i);
  } else {
    return std::string(s);
  }
  if (num.empty() || den.empty() || i != s.size()) return std::string(s);
  std::string out = std::string(negative ? "-(" : "(") + std::string(whole) + "+" +
                    std::string(num) + "/" + std::string(den) + ")";
  return out;
}

answer_node build_item(std::string_view s, int depth);

answer_node build_collection(const split_result& split, node_kind kind, int depth) {
  answer_node node;
  node.kind = kind;
  for (std::string_view part : split.parts) {
    std::string_view p = trim(part);
    // "1 \pm \sqrt 2" stands for two values.
    std::size_t pm = p.find("\\pm");
    if (pm != std::string_view::npos && p.find("\\pm", pm + 1) == std::string_view::npos &&
        p.find("\\mp") == std::string_view::npos) {
      std::string plus(p), minus(p);
      plus.replace(pm, 3, "+");
      minus.replace(pm, 3, "-");
      node.items.push_back(build_item(plus, depth + 1));
      node.items.push_back(build_item(minus, depth + 1));
    } else {
      node.items.push_back(build_item(p, depth + 1));
    }
    if (node.items.size() > max_items) break;
  }
  return node;
}

answer_node build_item(std::string_view s, int depth) {
  s = trim(s);
  while (!s.empty() && (s.back() == '.' || s.back() == ';')) s = trim(s.substr(0, s.size() - 1));
  s = trim(strip_name_prefix(s));
  answer_node node;
  if (depth < max_nesting) {
    if (s.size() >= 4 && s.compare(0, 2, "\\{") == 0 && s.compare(s.size() - 2, 2, "\\}") == 0 &&
        encloses_whole(s.substr(1))) {
      std::string_view inner = trim(s.substr(2, s.size() - 4));
      if (inner.empty()) {
        node.kind = node_kind::set;
        return node;
      }
      return build_collection(split_top(inner), node_kind::set, depth);
    }
    if (encloses_whole(s) && s.front() != '{') {
      std::string_view inner = s.substr(1, s.size() - 2);
      split_result split = split_top(inner);
      if (split.parts.size() > 1 && !split.has_union) {
        node.kind = node_kind::tuple;
        node.open = s.front();
        node.close = s.back();
        for (std::string_view part : split.parts) {
          node.items.push_back(build_item(part, depth + 1));
          if (node.items.size() > max_items) break;
        }
        return node;
      }
    }
  }
  if (s == "\\emptyset" || s == "\\varnothing" || s == "\\{\\}") {
    node.kind = node_kind::set;
    return node;
  }
  node.kind = node_kind::scalar;
  node.text = rewrite_mixed_number(s);
  return node;
}

answer_node build_answer(std::string_view cleaned) {
  split_result split = split_top(cleaned);
  if (split.parts.size() > 1 || cleaned.find("\\pm") != std::string_view::npos)
    return build_collection(split, split.has_union ? node_kind::union_of : node_kind::list, 0);
  return build_item(cleaned, 0);
}

std::string without_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (!is_space_no_vt(c)) out += c;
  return out;
}

const answer_node::compiled_scalar& compiled(const answer_node& n) {
  if (!n.compiled) {
    auto c = std::make_shared<answer_node::compiled_scalar>();
    c->expression = math_expression::parse(n.text);
    if (c->expression) c->samples = c->expression->sample();
    n.compiled = std::move(c);
  }
  return *n.compiled;
}

bool scalar_equal(const answer_node& a, const answer_node& t) {
  std::string x = without_spaces(a.text);
  std::string y = without_spaces(t.text);
  if (x.empty() || y.empty()) return false;
  if (x == y) return true;
  // Integers are compared exactly: doubles would call 10^17 and 10^17+1 equal.
  if (is_integer_text(x) && is_integer_text(y)) return canonical_integer(x) == canonical_integer(y);
  const auto& ca = compiled(a);
  if (!ca.expression) return false;
  const auto& ct = compiled(t);
  if (!ct.expression) return false;
  return samples_equivalent(*ca.expression, ca.samples, *ct.expression, ct.samples);
}

bool nodes_equal(const answer_node& a, const answer_node& t);

bool unordered_equal(const std::vector<answer_node>& a, const std::vector<answer_node>& t) {
  if (a.size() != t.size() || a.size() > max_items) return false;
  std::vector<bool> used(t.size(), false);
  for (const auto& x : a) {
    bool found = false;
    for (std::size_t k = 0; k < t.size() && !found; ++k) {
      if (!used[k] && nodes_equal(x, t[k])) {
        used[k] = true;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

bool nodes_equal(const answer_node& a, const answer_node& t) {
  auto collection = [](node_kind k) { return k == node_kind::list || k == node_kind::set; };
  if (a.kind == node_kind::scalar && t.kind == node_kind::scalar) return scalar_equal(a, t);
  if (a.kind == node_kind::tuple && t.kind == node_kind::tuple) {
    if (a.open != t.open || a.close != t.close || a.items.size() != t.items.size()) return false;
    for (std::size_t k = 0; k < a.items.size(); ++k)
      if (!nodes_equal(a.items[k], t.items[k])) return false;
    return true;
  }
  if ((collection(a.kind) && collection(t.kind)) ||
      (a.kind == node_kind::union_of && t.kind == node_kind::union_of))
    return unordered_equal(a.items, t.items);
  return false;
}

std::string thousands_collapsed(const std::string& s) {
  if (!is_thousands_number(s)) return s;
  std::string out;
  for (char c : s)
    if (c != ',' && !is_space_no_vt(c)) out += c;
  return out;
}

std::string lowered(std::string s) {
  for (char& c : s) c = to_lower(c);
  return s;
}

// Words rather than mathematics: no commands, and a run of three or more letters.
bool is_prose(std::string_view s) {
  if (s.find('\\') != std::string_view::npos) return false;
  std::size_t run = 0;
  for (char c : s) {
    run = is_letter(c) ? run + 1 : 0;
    if (run >= 3) return true;
  }
  return false;
}

// A multiple-choice letter: "C" or "(C)" (strict), or for a given answer also "(C) 12" /
// "(C) \frac{1}{2}" where the letter comes first in parentheses.
std::optional<char> choice_letter(std::string_view s, bool strict) {
  s = trim(s);
  auto is_choice = [](char c) { return c >= 'A' && c <= 'E'; };
  if (s.size() == 1 && is_choice(s[0])) return s[0];
  if (s.size() >= 3 && s[0] == '(' && is_choice(s[1]) && s[2] == ')' &&
      (s.size() == 3 || (!strict && s[3] == ' ')))
    return s[1];
  return std::nullopt;
}

// Repeating decimals: "0.1\overline{6}" -> "\frac{15}{90}" (digits only, at most 15 in all).
void repeating_decimals(std::string& s) {
  constexpr std::string_view mark = "\\overline{";
  for (int guard = 0; guard < 8; ++guard) {
    std::size_t p = s.find(mark);
    if (p == std::string::npos) return;
    std::size_t close = s.find('}', p);
    std::string repeat =
        s.substr(p + mark.size(), close == std::string::npos ? 0 : close - p - mark.size());
    std::size_t b = p;
    while (b > 0 && is_digit(s[b - 1])) --b;
    std::size_t fraction_digits = p - b;
    std::size_t dot = b;
    std::size_t a = b;
    if (b > 0 && s[b - 1] == '.') {
      dot = b - 1;
      a = dot;
      while (a > 0 && is_digit(s[a - 1])) --a;
    } else {
      return;  // "\overline" not after a decimal point: leave it
    }
    bool digits_only = !repeat.empty() && std::all_of(repeat.begin(), repeat.end(), is_digit);
    std::string whole = s.substr(a, dot - a);
    std::string fraction = s.substr(b, p - b);
    if (!digits_only || whole.size() + fraction.size() + repeat.size() > 15) return;
    // x = W.F(R)...: x * 10^|F| * (10^|R| - 1) = WFR - WF.
    unsigned long long wfr = std::stoull("0" + whole + fraction + repeat);
    unsigned long long wf = std::stoull("0" + whole + fraction);
    unsigned long long den = 1;
    for (std::size_t k = 0; k < repeat.size(); ++k) den *= 10;
    den -= 1;
    for (std::size_t k = 0; k < fraction_digits; ++k) den *= 10;
    std::string replacement =
        "\\frac{" + std::to_string(wfr - wf) + "}{" + std::to_string(den) + "}";
    s.replace(a, close + 1 - a, replacement);
  }
}

bool symbolic_equal(std::string_view given, std::string_view truth) {
  if (given.size() > max_symbolic_length || truth.size() > max_symbolic_length) return false;
  std::string g = canonical_relation(thousands_collapsed(clean_answer(given)));
  std::string t = canonical_relation(thousands_collapsed(clean_answer(truth)));
  if (trim(g).empty() || trim(t).empty()) return false;
  if (without_spaces(g) == without_spaces(t)) return true;
  if (auto letter = choice_letter(t, true)) {
    if (auto chosen = choice_letter(g, false)) return *chosen == *letter;
  }
  if (is_prose(g) && is_prose(t) && lowered(without_spaces(g)) == lowered(without_spaces(t)))
    return true;
  answer_node a = build_answer(g);
  answer_node b = build_answer(t);
  return nodes_equal(a, b);
}

}  // namespace

std::string clean_answer(std::string_view answer) {
  if (answer.size() > max_symbolic_length) return std::string(answer);
  std::string s(trim(answer));
  // Unicode forms of common symbols (UTF-8 byte sequences).
  replace_all(s, "\xE2\x88\x92", "-");         // minus sign
  replace_all(s, "\xE2\x80\x93", "-");         // en dash
  replace_all(s, "\xC3\x97", "\\times ");      // multiplication sign
  replace_all(s, "\xC2\xB7", "\\cdot ");       // middle dot
  replace_all(s, "\xE2\x8B\x85", "\\cdot ");   // dot operator
  replace_all(s, "\xCF\x80", "\\pi ");         // pi
  replace_all(s, "\xE2\x88\x9A", "\\sqrt");    // square root
  replace_all(s, "\xE2\x88\x9E", "\\infty ");  // infinity
  replace_all(s, "\xC2\xB0", "");              // degree sign
  replace_all(s, "\xE2\x88\xAA", "\\cup ");    // union
  replace_all(s, "\\$", "");
  replace_all(s, "$", "");
  replace_all(s, "{,}", ",");  // a thousands comma braced against LaTeX's list spacing
  matrices_to_tuples(s);
  replace_all(s, "\\\\", " ");
  replace_all(s, "\\!", "");
  replace_all(s, "\\,", " ");
  replace_all(s, "\\;", " ");
  replace_all(s, "\\:", " ");
  replace_all(s, "\\ ", " ");
  replace_all(s, "~", " ");
  replace_all(s, "\n", " ");
  for (std::string_view cmd : {"quad", "qquad", "displaystyle", "textstyle", "big", "Big", "bigl",
                               "bigr", "Bigl", "Bigr", "bigg", "Bigg"})
    replace_command(s, cmd, "");
  replace_command(s, "left", "", true);
  replace_command(s, "right", "", true);
  replace_all(s, "\\dfrac", "\\frac");
  replace_all(s, "\\tfrac", "\\frac");
  replace_all(s, "\\cfrac", "\\frac");
  replace_all(s, "\\dbinom", "\\binom");
  replace_all(s, "\\tbinom", "\\binom");
  replace_all(s, "\\lbrace", "\\{");
  replace_all(s, "\\rbrace", "\\}");
  replace_all(s, "\\le ", "\\leq ");
  // Degrees and percentages are dropped: "90^\circ" is 90, "62.5\%" is 62.5.
  replace_all(s, "^{\\circ}", "");
  replace_all(s, "^ {\\circ}", "");
  replace_all(s, "^\\circ", "");
  replace_command(s, "circ", "");
  replace_command(s, "degree", "");
  replace_all(s, "\\%", "");
  replace_all(s, "%", "");
  resolve_text_commands(s);
  repeating_decimals(s);
  replace_all(s, " million", "\\cdot 10^{6}");
  replace_all(s, " billion", "\\cdot 10^{9}");
  replace_all(s, " trillion", "\\cdot 10^{12}");
  drop_trailing_units(s);
  // A spacing command at the very end whose space was trimmed away ("5\\ " -> "5\\").
  while (!s.empty() && s.back() == '\\' && !(s.size() >= 2 && s[s.size() - 2] == '\\')) {
    s.pop_back();
  }
  // Trailing full stops and surrounding space.
  for (;;) {
    std::string_view v = trim(s);
    if (!v.empty() && v.back() == '.' && !(v.size() >= 2 && v[v.size() - 2] == '\\')) {
      v.remove_suffix(1);
      s = std::string(v);
    } else {
      s = std::string(v);
      break;
    }
  }
  // Collapse runs of spaces.
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (is_space_no_vt(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return std::string(trim(out));
}

bool answers_equivalent(std::string_view given, std::string_view truth, bool symbolic) {
  if (trim(given).empty()) return false;
  if (fallback_equal(given, truth)) return true;
  // Giant answers (a model dumping text into the box) get the linear-time comparison only.
  if (given.size() > max_normalized_length || truth.size() > max_normalized_length) return false;
  {
    std::string a = mathd_normalize(given);
    if (!a.empty() && a == mathd_normalize(truth)) return true;
  }
  if (!symbolic) return false;
  return symbolic_equal(given, truth);
}

grade_result grade_answer(std::string_view response, std::string_view reference,
                          const grader_options& options) {
  grade_result out;
  try {
    extracted_answer found = extract_answer(response, options.extraction);
    out.source = found.source;
    if (found.answer) out.extracted = std::move(*found.answer);
    out.has_answer = !trim(out.extracted).empty();
    bool boxed = out.has_answer &&
                 (found.source == answer_source::boxed || found.source == answer_source::fbox ||
                  found.source == answer_source::boxed_unbraced);
    out.format = format_score(response, boxed, options.format, options.format_weight);
    std::string truth(reference);
    if (reference.find("\\boxed") != std::string_view::npos) {
      std::optional<std::string> inner = extract_boxed_reference(reference);
      if (inner && !trim(*inner).empty()) truth = std::move(*inner);
    }
    out.correct = out.has_answer && answers_equivalent(out.extracted, truth, options.symbolic);
  } catch (...) {
    // Only allocation failure can get here; a grader that cannot decide says "incorrect".
    out.correct = false;
  }
  return out;
}

grade_result grade_answer_any(std::string_view response, const std::vector<std::string>& references,
                              const grader_options& options) {
  grade_result best;
  for (std::size_t k = 0; k < references.size(); ++k) {
    grade_result r = grade_answer(response, references[k], options);
    if (k == 0 || r.correct) best = std::move(r);
    if (best.correct) break;
  }
  if (references.empty()) {
    best = grade_answer(response, "", options);
    best.correct = false;
  }
  return best;
}

}  // namespace leadrl::grading
