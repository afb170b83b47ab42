// File: grading/math_expression.hpp
//
// A small LaTeX / plain-text arithmetic expression compiler and evaluator, used by the
// grader to decide whether two answers are the same number or the same function of their
// variables (evaluated at deterministic pseudo-random points; no CAS). It understands
// numbers (decimals, 1.5e3), + - * / ^, \cdot \times \div, implicit multiplication,
// \frac \sqrt[n] \binom, \pi, e, i, \infty, |x|, \lfloor \rceil, !, \sin ... \log_b \ln \exp,
// and single-letter (optionally subscripted) or Greek variables. Work is bounded: inputs
// over the length / size / nesting limits are rejected, evaluation is linear in the size.
//
//   auto e = leadrl::grading::math_expression::parse("\\frac{x^2-1}{x-1}");
//   auto f = leadrl::grading::math_expression::parse("x+1");  // equivalent(*e, *f) is true
#pragma once

#include <complex>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leadrl::grading {

/// Bounds on the work parse() may do; inputs beyond them are rejected (nullopt).
struct expression_limits {
  std::size_t max_length = 4000;  ///< characters of input
  std::size_t max_ops = 4000;     ///< size of the compiled program
  int max_depth = 64;             ///< nesting of brackets, signs and exponents
};

/// A compiled expression: a postfix program over complex doubles.
class math_expression {
 public:
  /// Compiles `text`. Returns nullopt when it is not an expression this compiler
  /// understands (unknown command, words of three or more letters, unbalanced brackets,
  /// a trailing operator) or when it exceeds `limits`. Never throws.
  static std::optional<math_expression> parse(std::string_view text,
                                              const expression_limits& limits = {});

  /// The free variables, sorted ("x", "a_1", "\\theta").
  const std::vector<std::string>& variables() const { return variables_; }

  /// Whether the text used \infty (so an infinite value is meant, not an overflow).
  bool uses_infinity() const { return uses_infinity_; }

  /// Number of points sample() evaluates at when there are variables.
  static constexpr int sample_points = 6;

  /// The value at the standard points: one value without variables, else sample_points
  /// values, three with every variable in [0.35, 3.25] and three with mixed signs. A
  /// variable's value depends only on its name and the point (a fixed-seed hash), so the
  /// samples of two expressions over the same variables are comparable.
  std::vector<std::complex<double>> sample() const;

  /// Number of instructions in the program.
  std::size_t size() const { return program_.size(); }

  /// The value with variables()[k] set to values[k] (missing values read as 0). Domain
  /// errors give NaN or infinity; never throws.
  std::complex<double> evaluate(const std::vector<std::complex<double>>& values) const;

  /// One program instruction; public only so that the compiler in the .cpp can build it.
  struct instruction {
    int code = 0;
    std::complex<double> value{};
    int index = 0;
  };

 private:
  std::vector<instruction> program_;
  std::vector<std::string> variables_;
  bool uses_infinity_ = false;
  friend class expression_compiler;
};

/// Whether two numbers agree to a relative tolerance of 1e-8 (plus 1e-12 absolute); two
/// infinities agree only when both are the same signed infinity and `infinite_ok`.
bool values_close(std::complex<double> a, std::complex<double> b, bool infinite_ok);

/// Whether `a` and `b` denote the same number, or the same function of the same variables
/// (compared at the sample() points; at least
/// two points must be defined for both and every point defined for one must be defined
/// and equal for the other).
bool expressions_equivalent(const math_expression& a, const math_expression& b);

/// expressions_equivalent for expressions whose sample() values were computed already
/// (callers comparing many pairs evaluate each expression once).
bool samples_equivalent(const math_expression& a, const std::vector<std::complex<double>>& sa,
                        const math_expression& b, const std::vector<std::complex<double>>& sb);

}  // namespace leadrl::grading
