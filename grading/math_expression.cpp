#include "grading/math_expression.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "base/fnv1a.hpp"
#include "base/splitmix64.hpp"
#include "grading/char_class.hpp"

namespace leadrl::grading {
namespace {

using cplx = std::complex<double>;

enum op_code : int {
  op_const,
  op_var,
  op_add,
  op_sub,
  op_mul,
  op_div,
  op_pow,
  op_root,  // x, n -> x^(1/n), the real root for odd n and negative x
  op_neg,
  op_sqrt,
  op_abs,
  op_floor,
  op_ceil,
  op_factorial,
  op_binom,
  op_sin,
  op_cos,
  op_tan,
  op_sec,
  op_csc,
  op_cot,
  op_asin,
  op_acos,
  op_atan,
  op_sinh,
  op_cosh,
  op_tanh,
  op_ln,
  op_exp,
};

const double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double pi_value = 3.14159265358979323846;

struct named_function {
  std::string_view name;
  op_code code;
};

// Functions written as commands (\sin) or as plain words (sin). Longer names first so that
// "sinh" is not read as "sin" followed by h.
constexpr named_function functions[] = {
    {"arcsin", op_asin}, {"arccos", op_acos}, {"arctan", op_atan}, {"sinh", op_sinh},
    {"cosh", op_cosh},   {"tanh", op_tanh},   {"sqrt", op_sqrt},   {"sin", op_sin},
    {"cos", op_cos},     {"tan", op_tan},     {"sec", op_sec},     {"csc", op_csc},
    {"cot", op_cot},     {"log", op_ln},      {"ln", op_ln},       {"exp", op_exp},
};

std::optional<op_code> function_named(std::string_view name) {
  for (const auto& f : functions)
    if (f.name == name) return f.code;
  return std::nullopt;
}

constexpr std::string_view greek_letters[] = {
    "alpha",    "beta",    "gamma", "delta",  "epsilon", "varepsilon", "zeta",  "eta",   "theta",
    "vartheta", "iota",    "kappa", "lambda", "mu",      "nu",         "xi",    "rho",   "sigma",
    "tau",      "upsilon", "phi",   "varphi", "chi",     "psi",        "omega", "Gamma", "Delta",
    "Theta",    "Lambda",  "Xi",    "Sigma",  "Phi",     "Psi",        "Omega",
};

bool is_greek(std::string_view name) {
  return std::find(std::begin(greek_letters), std::end(greek_letters), name) !=
         std::end(greek_letters);
}

// Commands that only space or size things: skipped wherever they occur.
constexpr std::string_view ignorable_commands[] = {
    "left", "right", "big",   "Big",          "bigg",      "Bigg",   "bigl",   "bigr",   "Bigl",
    "Bigr", "quad",  "qquad", "displaystyle", "textstyle", "mathrm", "mathit", "mathbf", "rm",
};

bool is_ignorable(std::string_view name) {
  return std::find(std::begin(ignorable_commands), std::end(ignorable_commands), name) !=
         std::end(ignorable_commands);
}

double real_integer(cplx z, bool& ok) {
  ok = std::fabs(z.imag()) <= 1e-9 * std::max(1.0, std::fabs(z.real())) &&
       std::isfinite(z.real()) && std::fabs(z.real() - std::round(z.real())) < 1e-9;
  return std::round(z.real());
}

bool is_real(cplx z) {
  return std::fabs(z.imag()) <= 1e-12 * std::max(1.0, std::abs(z));
}

cplx power(cplx a, cplx b) {
  if (a.imag() == 0 && b.imag() == 0) {
    double x = a.real();
    double y = b.real();
    if (x >= 0 || y == std::floor(y)) return cplx(std::pow(x, y), 0.0);
  }
  if (a == cplx(0.0, 0.0)) return b.real() > 0 ? cplx(0.0, 0.0) : cplx(nan_value, 0.0);
  return std::pow(a, b);
}

cplx root(cplx x, cplx n) {
  bool integral = false;
  double k = real_integer(n, integral);
  if (integral && is_real(x) && x.real() < 0 && std::fmod(std::fabs(k), 2.0) == 1.0)
    return cplx(-std::pow(-x.real(), 1.0 / k), 0.0);
  return power(x, 1.0 / n);
}

cplx factorial(cplx x) {
  bool integral = false;
  double n = real_integer(x, integral);
  if (!integral || n < 0) return cplx(nan_value, 0.0);
  if (n > 170) return cplx(HUGE_VAL, 0.0);
  return cplx(std::tgamma(n + 1.0), 0.0);
}

cplx binomial(cplx n, cplx k) {
  bool integral = false;
  double kk = real_integer(k, integral);
  if (!integral || kk < 0) return cplx(nan_value, 0.0);
  if (kk > 64) {
    // Large k: through log-gamma, for real n >= k only (bounded work).
    if (!is_real(n) || n.real() < kk) return cplx(nan_value, 0.0);
    double nn = n.real();
    return cplx(std::exp(std::lgamma(nn + 1) - std::lgamma(kk + 1) - std::lgamma(nn - kk + 1)),
                0.0);
  }
  cplx out(1.0, 0.0);
  for (int j = 1; j <= static_cast<int>(kk); ++j)
    out *= (n - kk + static_cast<double>(j)) / static_cast<double>(j);
  return out;
}

cplx rounding(cplx x, bool up) {
  if (!is_real(x) || !std::isfinite(x.real())) return cplx(nan_value, 0.0);
  return cplx(up ? std::ceil(x.real() - 1e-12 * std::max(1.0, std::fabs(x.real())))
                 : std::floor(x.real() + 1e-12 * std::max(1.0, std::fabs(x.real()))),
              0.0);
}

// Removes negative zero imaginary parts so that sqrt/log take the principal branch.
cplx tidy(cplx z) {
  return z.imag() == 0 ? cplx(z.real(), 0.0) : z;
}

std::uint64_t name_hash(std::string_view s) { return fnv1a64(s, k_leadrl_checksum_offset); }

}  // namespace

// Recursive-descent compiler from text to a postfix program. Each nesting level costs a
// bounded number of stack frames and `depth_` is capped, so hostile input cannot overflow
// the stack; every loop consumes input, so work is linear in the length.
class expression_compiler {
 public:
  expression_compiler(std::string_view text, const expression_limits& limits, math_expression& out)
      : s_(text), limits_(limits), out_(out) {}

  bool compile() {
    if (s_.size() > limits_.max_length) return false;
    if (!expression()) return false;
    skip();
    if (pos_ != s_.size()) return false;
    // Variable indices were assigned in order of appearance; renumber them sorted.
    std::vector<std::string> sorted = names_;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> remap(names_.size());
    for (std::size_t k = 0; k < names_.size(); ++k)
      remap[k] = static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), names_[k]) -
                                  sorted.begin());
    for (auto& ins : out_.program_)
      if (ins.code == op_var) ins.index = remap[static_cast<std::size_t>(ins.index)];
    out_.variables_ = std::move(sorted);
    return true;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int abs_depth_ = 0;
  const expression_limits& limits_;
  math_expression& out_;
  std::vector<std::string> names_;

  struct depth_guard {
    explicit depth_guard(int& d) : d_(d) { ++d_; }
    ~depth_guard() { --d_; }
    int& d_;
  };

  bool emit(int code, cplx value = {}, int index = 0) {
    if (out_.program_.size() >= limits_.max_ops) return false;
    out_.program_.push_back({code, value, index});
    return true;
  }

  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  // The command name at pos_ (without the backslash): letters, or one other character.
  std::string_view command_at(std::size_t p) const {
    if (p >= s_.size() || s_[p] != '\\' || p + 1 >= s_.size()) return {};
    std::size_t e = p + 1;
    if (!is_letter(s_[e])) return s_.substr(e, 1);
    while (e < s_.size() && is_letter(s_[e])) ++e;
    return s_.substr(p + 1, e - p - 1);
  }

  void skip() {
    for (;;) {
      while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                  s_[pos_] == '\r' || s_[pos_] == '~'))
        ++pos_;
      std::string_view cmd = command_at(pos_);
      if (cmd == "," || cmd == ";" || cmd == ":" || cmd == "!" || cmd == " " || is_ignorable(cmd)) {
        pos_ += 1 + cmd.size();
        continue;
      }
      return;
    }
  }

  bool accept(std::string_view token) {
    skip();
    if (s_.substr(pos_, token.size()) == token) {
      // A command must not continue with letters ("\pi" is not the start of "\pin").
      if (token.size() > 1 && token[0] == '\\' && is_letter(token.back()) &&
          pos_ + token.size() < s_.size() && is_letter(s_[pos_ + token.size()]))
        return false;
      pos_ += token.size();
      return true;
    }
    return false;
  }

  bool variable(std::string name) {
    auto it = std::find(names_.begin(), names_.end(), name);
    int index;
    if (it == names_.end()) {
      if (names_.size() >= 32) return false;
      names_.push_back(std::move(name));
      index = static_cast<int>(names_.size() - 1);
    } else {
      index = static_cast<int>(it - names_.begin());
    }
    return emit(op_var, {}, index);
  }

  // Whether the next token can begin a factor of an implicit product ("2x", "x(y+1)").
  bool starts_factor() {
    skip();
    char c = peek();
    if (is_digit(c) || c == '.' || is_letter(c) || c == '(' || c == '[' || c == '{') return true;
    if (c == '|') return abs_depth_ == 0;
    if (c != '\\') return false;
    std::string_view cmd = command_at(pos_);
    return cmd == "{" || cmd == "frac" || cmd == "sqrt" || cmd == "binom" || cmd == "pi" ||
           cmd == "infty" || cmd == "lfloor" || cmd == "lceil" || cmd == "lvert" ||
           cmd == "operatorname" || function_named(cmd) || is_greek(cmd) ||
           (cmd == "vert" && abs_depth_ == 0) || (cmd == "|" && abs_depth_ == 0);
  }

  bool expression() {
    depth_guard guard(depth_);
    if (depth_ > limits_.max_depth) return false;
    if (!term()) return false;
    for (;;) {
      skip();
      if (peek() == '+') {
        ++pos_;
        if (!term() || !emit(op_add)) return false;
      } else if (peek() == '-') {
        ++pos_;
        if (!term() || !emit(op_sub)) return false;
      } else {
        return true;
      }
    }
  }

  bool term() {
    if (!unary()) return false;
    for (;;) {
      skip();
      char c = peek();
      if (c == '*') {
        ++pos_;
        if (!unary() || !emit(op_mul)) return false;
      } else if (c == '/') {
        ++pos_;
        if (!unary() || !emit(op_div)) return false;
      } else if (accept("\\cdot") || accept("\\times") || accept("\\ast")) {
        if (!unary() || !emit(op_mul)) return false;
      } else if (accept("\\div")) {
        if (!unary() || !emit(op_div)) return false;
      } else if (starts_factor()) {
        if (!power() || !emit(op_mul)) return false;
      } else {
        return true;
      }
    }
  }

  bool unary() {
    depth_guard guard(depth_);
    if (depth_ > limits_.max_depth) return false;
    skip();
    if (peek() == '-') {
      ++pos_;
      return unary() && emit(op_neg);
    }
    if (peek() == '+') {
      ++pos_;
      return unary();
    }
    return power();
  }

  bool power() {
    if (!postfix()) return false;
    skip();
    if (peek() == '^') {
      ++pos_;
      return exponent() && emit(op_pow);
    }
    return true;
  }

  // The exponent after `^`: a braced group, a run of digits (plain-text "2^10"), a letter,
  // a command, a bracketed group or a signed exponent; right-associative.
  bool exponent() {
    depth_guard guard(depth_);
    if (depth_ > limits_.max_depth) return false;
    skip();
    char c = peek();
    if (c == '-' || c == '+') {
      ++pos_;
      if (!exponent()) return false;
      return c == '-' ? emit(op_neg) : true;
    }
    if (c == '{') {
      ++pos_;
      if (!expression() || !accept("}")) return false;
    } else if (is_digit(c) || c == '.') {
      if (!number()) return false;
    } else if (is_letter(c) || c == '(' || c == '[' || c == '\\' || c == '|') {
      if (!postfix()) return false;
    } else {
      return false;
    }
    skip();
    if (peek() == '^') {
      ++pos_;
      return exponent() && emit(op_pow);
    }
    return true;
  }

  bool postfix() {
    if (!primary()) return false;
    for (;;) {
      skip();
      if (peek() == '!') {
        ++pos_;
        if (!emit(op_factorial)) return false;
      } else {
        return true;
      }
    }
  }

  bool number() {
    std::size_t start = pos_;
    while (is_digit(peek())) ++pos_;
    if (peek() == '.') {
      ++pos_;
      while (is_digit(peek())) ++pos_;
    }
    if (pos_ == start || (pos_ == start + 1 && s_[start] == '.')) return false;
    // Scientific notation "1.5e3", "2E-4": only when the exponent digits follow directly.
    if ((peek() == 'e' || peek() == 'E') && pos_ + 1 < s_.size()) {
      std::size_t p = pos_ + 1;
      if ((s_[p] == '+' || s_[p] == '-') && p + 1 < s_.size()) ++p;
      if (is_digit(s_[p])) {
        pos_ = p;
        while (is_digit(peek())) ++pos_;
      }
    }
    std::string digits(s_.substr(start, pos_ - start));
    return emit(op_const, cplx(std::strtod(digits.c_str(), nullptr), 0.0));
  }

  // A LaTeX argument: a braced group, or a single digit, letter or command.
  bool argument() {
    skip();
    char c = peek();
    if (c == '{') {
      ++pos_;
      return expression() && accept("}");
    }
    if (is_digit(c)) {
      ++pos_;
      return emit(op_const, cplx(c - '0', 0.0));
    }
    if (is_letter(c)) {
      ++pos_;
      return letter_value(c);
    }
    if (c == '\\') return primary();
    return false;
  }

  bool letter_value(char c) {
    if (c == 'e') return emit(op_const, cplx(std::exp(1.0), 0.0));
    if (c == 'i') return emit(op_const, cplx(0.0, 1.0));
    return variable(std::string(1, c));
  }

  // Text of a subscript: `_x` or `_{...}` (brace-balanced, at most 32 characters).
  bool subscript(std::string& name) {
    if (peek() != '_') return true;
    ++pos_;
    if (peek() == '{') {
      std::size_t start = ++pos_;
      int level = 1;
      while (pos_ < s_.size() && level > 0) {
        if (s_[pos_] == '{') ++level;
        if (s_[pos_] == '}') --level;
        ++pos_;
      }
      if (level != 0 || pos_ - start > 33) return false;
      std::string inner;
      for (char ch : s_.substr(start, pos_ - 1 - start))
        if (ch != ' ') inner += ch;
      name += "_" + inner;
      return true;
    }
    if (pos_ < s_.size() && (is_digit(s_[pos_]) || is_letter(s_[pos_]))) {
      name += '_';
      name += s_[pos_++];
      return true;
    }
    return false;
  }

  // A function application: optional `^power` or `_base`, then a bracketed argument or an
  // implicit product ("\sin 2x").
  bool apply_function(op_code code) {
    skip();
    std::vector<math_expression::instruction> exponent_code;
    std::vector<math_expression::instruction> base_code;
    auto capture = [&](std::vector<math_expression::instruction>& into, auto&& parse) {
      std::size_t mark = out_.program_.size();
      if (!parse()) return false;
      into.assign(out_.program_.begin() + static_cast<std::ptrdiff_t>(mark), out_.program_.end());
      out_.program_.resize(mark);
      return true;
    };
    if (code == op_ln && peek() == '_') {
      ++pos_;
      skip();
      auto base = [&] {
        if (is_digit(peek())) return number();
        return argument();
      };
      if (!capture(base_code, base)) return false;
      skip();
    }
    if (peek() == '^') {
      ++pos_;
      if (!capture(exponent_code, [&] { return exponent(); })) return false;
      skip();
    }
    char c = peek();
    if (c == '(' || c == '[' || c == '{') {
      if (!primary()) return false;
    } else {
      if (!power()) return false;
      for (;;) {
        skip();
        if (peek() == '\\' && function_named(command_at(pos_))) break;
        if (!starts_factor()) break;
        if (is_letter(peek())) {
          // A plain function word ends the argument too ("sin x cos x").
          std::size_t e = pos_;
          while (e < s_.size() && is_letter(s_[e])) ++e;
          std::string_view word = s_.substr(pos_, e - pos_);
          bool is_function = false;
          for (const auto& f : functions)
            if (word.substr(0, f.name.size()) == f.name) is_function = true;
          if (is_function) break;
        }
        if (!power() || !emit(op_mul)) return false;
      }
    }
    if (!emit(code)) return false;
    if (!base_code.empty()) {
      if (out_.program_.size() + base_code.size() + 2 > limits_.max_ops) return false;
      out_.program_.insert(out_.program_.end(), base_code.begin(), base_code.end());
      if (!emit(op_ln) || !emit(op_div)) return false;
    }
    if (!exponent_code.empty()) {
      if (out_.program_.size() + exponent_code.size() + 1 > limits_.max_ops) return false;
      out_.program_.insert(out_.program_.end(), exponent_code.begin(), exponent_code.end());
      if (!emit(op_pow)) return false;
    }
    return true;
  }

  bool group(char close_char, int wrap = -1) {
    ++pos_;
    if (!expression()) return false;
    skip();
    if (peek() != close_char) return false;
    ++pos_;
    return wrap < 0 || emit(wrap);
  }

  bool primary() {
    depth_guard guard(depth_);
    if (depth_ > limits_.max_depth) return false;
    skip();
    char c = peek();
    if (is_digit(c) || c == '.') return number();
    if (c == '(') return group(')');
    if (c == '[') return group(']');
    if (c == '{') return group('}');
    if (c == '|') {
      ++abs_depth_;
      bool ok = group('|', op_abs);
      --abs_depth_;
      return ok;
    }
    if (is_letter(c)) return word();
    if (c != '\\') return false;
    std::string_view cmd = command_at(pos_);
    if (cmd.empty()) return false;
    pos_ += 1 + cmd.size();
    if (cmd == "{") {
      if (!expression()) return false;
      return accept("\\}");
    }
    if (cmd == "frac") return argument() && argument() && emit(op_div);
    if (cmd == "binom") return argument() && argument() && emit(op_binom);
    if (cmd == "sqrt") {
      skip();
      if (peek() == '[') {
        std::size_t mark = out_.program_.size();
        ++pos_;
        if (!expression() || !accept("]")) return false;
        std::vector<math_expression::instruction> index(
            out_.program_.begin() + static_cast<std::ptrdiff_t>(mark), out_.program_.end());
        out_.program_.resize(mark);
        if (!argument()) return false;
        if (out_.program_.size() + index.size() + 1 > limits_.max_ops) return false;
        out_.program_.insert(out_.program_.end(), index.begin(), index.end());
        return emit(op_root);
      }
      return argument() && emit(op_sqrt);
    }
    if (cmd == "pi") return emit(op_const, cplx(pi_value, 0.0));
    if (cmd == "infty") {
      out_.uses_infinity_ = true;
      return emit(op_const, cplx(HUGE_VAL, 0.0));
    }
    if (cmd == "lfloor") return expression() && accept("\\rfloor") && emit(op_floor);
    if (cmd == "lceil") return expression() && accept("\\rceil") && emit(op_ceil);
    if (cmd == "lvert" || cmd == "vert" || cmd == "|") {
      ++abs_depth_;
      bool ok =
          expression() && (accept("\\rvert") || accept("\\vert") || accept("\\|")) && emit(op_abs);
      --abs_depth_;
      return ok;
    }
    if (cmd == "operatorname") {
      skip();
      if (peek() != '{') return false;
      std::size_t close = s_.find('}', pos_);
      if (close == std::string_view::npos) return false;
      auto code = function_named(s_.substr(pos_ + 1, close - pos_ - 1));
      if (!code) return false;
      pos_ = close + 1;
      return apply_function(*code);
    }
    if (auto code = function_named(cmd)) return apply_function(*code);
    if (is_greek(cmd)) {
      std::string name = "\\" + std::string(cmd);
      if (!subscript(name)) return false;
      return variable(std::move(name));
    }
    return false;
  }

  // A run of letters: a function word ("sqrt(2)", "sin x"), "pi", or single-letter
  // variables multiplied implicitly ("ab" is a*b). Longer unknown words are prose, not
  // mathematics, and are rejected so that "Evelyn" and "nylevE" never compare equal.
  bool word() {
    std::size_t end = pos_;
    while (end < s_.size() && is_letter(s_[end])) ++end;
    std::string_view run = s_.substr(pos_, end - pos_);
    for (const auto& f : functions) {
      if (run.substr(0, f.name.size()) == f.name) {
        pos_ += f.name.size();
        return apply_function(f.code);
      }
    }
    if (run.substr(0, 2) == "pi" && run.size() <= 3) {
      pos_ += 2;
      return emit(op_const, cplx(pi_value, 0.0));
    }
    if (run.size() >= 3) return false;
    char c = s_[pos_++];
    if (peek() == '_') {
      std::string name(1, c);
      if (!subscript(name)) return false;
      return variable(std::move(name));
    }
    return letter_value(c);
  }
};

std::optional<math_expression> math_expression::parse(std::string_view text,
                                                      const expression_limits& limits) {
  math_expression out;
  expression_compiler compiler(text, limits, out);
  if (!compiler.compile()) return std::nullopt;
  return out;
}

std::complex<double> math_expression::evaluate(
    const std::vector<std::complex<double>>& values) const {
  std::vector<cplx> stack;
  stack.reserve(program_.size());
  auto pop = [&stack]() {
    cplx v = stack.back();
    stack.pop_back();
    return v;
  };
  for (const auto& ins : program_) {
    int arity = 0;
    switch (ins.code) {
      case op_const:
      case op_var:
        break;
      case op_add:
      case op_sub:
      case op_mul:
      case op_div:
      case op_pow:
      case op_root:
      case op_binom:
        arity = 2;
        break;
      default:
        arity = 1;
    }
    if (stack.size() < static_cast<std::size_t>(arity)) return cplx(nan_value, 0.0);
    cplx r;
    if (arity == 2) {
      cplx b = pop();
      cplx a = pop();
      switch (ins.code) {
        case op_add:
          r = a + b;
          break;
        case op_sub:
          r = a - b;
          break;
        case op_mul:
          r = a * b;
          break;
        case op_div:
          r = (b == cplx(0.0, 0.0)) ? cplx(nan_value, 0.0) : a / b;
          break;
        case op_pow:
          r = power(a, b);
          break;
        case op_root:
          r = root(a, b);
          break;
        default:
          r = binomial(a, b);
          break;
      }
    } else if (arity == 1) {
      cplx a = tidy(pop());
      switch (ins.code) {
        case op_neg:
          r = -a;
          break;
        case op_sqrt:
          r = std::sqrt(a);
          break;
        case op_abs:
          r = cplx(std::abs(a), 0.0);
          break;
        case op_floor:
          r = rounding(a, false);
          break;
        case op_ceil:
          r = rounding(a, true);
          break;
        case op_factorial:
          r = factorial(a);
          break;
        case op_sin:
          r = std::sin(a);
          break;
        case op_cos:
          r = std::cos(a);
          break;
        case op_tan:
          r = std::tan(a);
          break;
        case op_sec:
          r = 1.0 / std::cos(a);
          break;
        case op_csc:
          r = 1.0 / std::sin(a);
          break;
        case op_cot:
          r = 1.0 / std::tan(a);
          break;
        case op_asin:
          r = std::asin(a);
          break;
        case op_acos:
          r = std::acos(a);
          break;
        case op_atan:
          r = std::atan(a);
          break;
        case op_sinh:
          r = std::sinh(a);
          break;
        case op_cosh:
          r = std::cosh(a);
          break;
        case op_tanh:
          r = std::tanh(a);
          break;
        case op_ln:
          r = (a == cplx(0.0, 0.0)) ? cplx(-HUGE_VAL, 0.0) : std::log(a);
          break;
        case op_exp:
          r = std::exp(a);
          break;
        default:
          r = cplx(nan_value, 0.0);
      }
    } else if (ins.code == op_const) {
      r = ins.value;
    } else {
      std::size_t k = static_cast<std::size_t>(ins.index);
      r = k < values.size() ? values[k] : cplx(0.0, 0.0);
    }
    stack.push_back(r);
  }
  if (stack.size() != 1) return cplx(nan_value, 0.0);
  return tidy(stack.back());
}

bool values_close(std::complex<double> a, std::complex<double> b, bool infinite_ok) {
  bool fa = std::isfinite(a.real()) && std::isfinite(a.imag());
  bool fb = std::isfinite(b.real()) && std::isfinite(b.imag());
  if (!fa || !fb) {
    if (!infinite_ok || fa || fb) return false;
    return std::isinf(a.real()) && a.real() == b.real() && a.imag() == 0 && b.imag() == 0;
  }
  double scale = std::max(std::abs(a), std::abs(b));
  return std::abs(a - b) <= 1e-8 * scale + 1e-12;
}

std::vector<std::complex<double>> math_expression::sample() const {
  const std::size_t n = variables_.size();
  if (n == 0) return {evaluate({})};
  std::vector<cplx> samples;
  samples.reserve(sample_points);
  std::vector<cplx> values(n);
  for (int k = 0; k < sample_points; ++k) {
    for (std::size_t j = 0; j < n; ++j) {
      // The value of a variable depends only on its name and the point, so samples of
      // different expressions line up.
      std::uint64_t r =
          splitmix64(name_hash(variables_[j]) ^ splitmix64(static_cast<std::uint64_t>(k) + 17));
      double u = static_cast<double>(r >> 11) * (1.0 / 9007199254740992.0);  // [0, 1)
      double v = 0.35 + 2.9 * u;
      if (k >= 3 && ((r >> 7) & 1U)) v = -v;
      values[j] = cplx(v, 0.0);
    }
    samples.push_back(evaluate(values));
  }
  return samples;
}

bool samples_equivalent(const math_expression& a, const std::vector<std::complex<double>>& sa,
                        const math_expression& b, const std::vector<std::complex<double>>& sb) {
  if (a.variables() != b.variables() || sa.size() != sb.size() || sa.empty()) return false;
  if (a.variables().empty())
    return values_close(sa[0], sb[0], a.uses_infinity() && b.uses_infinity());
  int defined = 0;
  for (std::size_t k = 0; k < sa.size(); ++k) {
    cplx va = sa[k];
    cplx vb = sb[k];
    bool fa = std::isfinite(va.real()) && std::isfinite(va.imag());
    bool fb = std::isfinite(vb.real()) && std::isfinite(vb.imag());
    if (!fa && !fb) continue;
    if (fa != fb) return false;
    if (!values_close(va, vb, false)) return false;
    ++defined;
  }
  return defined >= 2;
}

bool expressions_equivalent(const math_expression& a, const math_expression& b) {
  if (a.variables() != b.variables()) return false;
  return samples_equivalent(a, a.sample(), b, b.sample());
}

}  // namespace leadrl::grading
