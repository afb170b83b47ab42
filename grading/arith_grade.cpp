#include "grading/arith_grade.hpp"

#include <cstddef>
#include <string>

#include "grading/char_class.hpp"

namespace leadrl::grading {
namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// "103", "-7", "0": what the task writes. No '+', no leading zeros, no "-0".
bool is_canonical_integer(std::string_view s) {
  if (!s.empty() && s.front() == '-') {
    s.remove_prefix(1);
    if (s == "0") return false;
  }
  if (s.empty() || s.size() > 18) return false;
  if (s.size() > 1 && s.front() == '0') return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// Digits only, 1..18 of them, as a non-negative value.
std::optional<std::int64_t> parse_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_arith_integer(std::string_view text) {
  text = trim_spaces(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  // Leading zeros do not count against the 18 digits.
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  auto v = parse_digits(text);
  if (!v) return std::nullopt;
  return negative ? -*v : *v;
}

grading::grade_result arith_grade(std::string_view response, std::int64_t reference) {
  grading::grade_result out;
  // One pass over the lines: remember the last answer line, count answer lines, and see
  // whether anything but blank lines follows the last one.
  std::size_t answer_lines = 0;
  std::string_view last_answer;
  bool content_after_answer = false;
  bool clean_bytes = true;
  std::size_t begin = 0;
  while (begin <= response.size()) {
    std::size_t end = response.find('\n', begin);
    if (end == std::string_view::npos) end = response.size();
    std::string_view line = response.substr(begin, end - begin);
    for (char c : line) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u > 0x7E) clean_bytes = false;
    }
    if (line.size() >= 2 && line[0] == 'A' && line[1] == ':') {
      ++answer_lines;
      last_answer = line.substr(2);
      content_after_answer = false;
    } else if (answer_lines > 0 && !trim_spaces(line).empty()) {
      content_after_answer = true;
    }
    begin = end + 1;
  }
  if (answer_lines == 0) return out;
  std::string_view value = trim_spaces(last_answer);
  out.extracted = std::string(value);
  out.has_answer = !value.empty();
  out.source = grading::answer_source::answer_phrase;
  auto given = parse_arith_integer(value);
  out.correct = given.has_value() && *given == reference;
  const bool well_formed = answer_lines == 1 && !content_after_answer && clean_bytes &&
                           is_canonical_integer(last_answer);
  out.format = well_formed ? 1.0 : 0.0;
  return out;
}

grading::grade_result arith_grade(std::string_view response, std::string_view reference) {
  auto truth = parse_arith_integer(reference);
  if (!truth) {
    // Still report what was extracted, but nothing can be correct.
    grading::grade_result out = arith_grade(response, std::int64_t{0});
    out.correct = false;
    return out;
  }
  return arith_grade(response, *truth);
}

arith_step_count count_arith_steps(std::string_view response) {
  arith_step_count count;
  std::size_t begin = 0;
  while (begin <= response.size()) {
    std::size_t end = response.find('\n', begin);
    if (end == std::string_view::npos) end = response.size();
    std::string_view line = response.substr(begin, end - begin);
    begin = end + 1;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    // c: an optionally negative integer right after '='.
    std::size_t c_end = eq + 1;
    if (c_end < line.size() && line[c_end] == '-') ++c_end;
    std::size_t c_digits = c_end;
    while (c_end < line.size() && is_digit(line[c_end])) ++c_end;
    if (c_end == c_digits) continue;
    // b: digits right before '=', then the operator, then a (optionally negative).
    std::size_t b_begin = eq;
    while (b_begin > 0 && is_digit(line[b_begin - 1])) --b_begin;
    if (b_begin == eq || b_begin == 0) continue;
    const char op = line[b_begin - 1];
    if (op != '+' && op != '-' && op != '*' && op != '/') continue;
    std::size_t a_end = b_begin - 1;
    std::size_t a_begin = a_end;
    while (a_begin > 0 && is_digit(line[a_begin - 1])) --a_begin;
    if (a_begin == a_end) continue;
    bool a_negative = false;
    if (a_begin > 0 && line[a_begin - 1] == '-' && (a_begin == 1 || line[a_begin - 2] == ' ')) {
      a_negative = true;
      --a_begin;
    }
    if (a_begin > 0 && line[a_begin - 1] != ' ') continue;
    auto a = parse_digits(
        line.substr(a_begin + (a_negative ? 1 : 0), a_end - a_begin - (a_negative ? 1 : 0)));
    auto b = parse_digits(line.substr(b_begin, eq - b_begin));
    auto c = parse_arith_integer(line.substr(eq + 1, c_end - eq - 1));
    if (!a || !b || !c) continue;
    const std::int64_t av = a_negative ? -*a : *a;
    bool right = false;
    std::int64_t r = 0;
    switch (op) {
      case '+':
        right = !__builtin_add_overflow(av, *b, &r) && r == *c;
        break;
      case '-':
        right = !__builtin_sub_overflow(av, *b, &r) && r == *c;
        break;
      case '*':
        right = !__builtin_mul_overflow(av, *b, &r) && r == *c;
        break;
      default:  // '/': exact division only
        right = *b != 0 && !__builtin_mul_overflow(*c, *b, &r) && r == av;
        break;
    }
    ++count.steps;
    if (!right) ++count.wrong;
  }
  return count;
}

grade_result grade_task_answer(std::string_view response, std::string_view reference,
                               bool arith) {
  return arith ? arith_grade(response, reference) : grade_answer(response, reference);
}

}  // namespace leadrl::grading
