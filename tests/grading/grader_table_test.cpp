// Hand-written equivalence table for grading/grader: each row is (given, truth, expected,
// why). Rows marked `false` guard against false positives, which would reward wrong answers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "grading/grader.hpp"

namespace {

struct pair_case {
  const char* given;
  const char* truth;
  bool equivalent;
  const char* reason;
};

const std::vector<pair_case>& table() {
  static const std::vector<pair_case> rows = {
      // --- identical and whitespace ------------------------------------------------------
      {"5", "5", true, "identical integers"},
      {" 5 ", "5", true, "surrounding spaces are trimmed"},
      {"\\frac{1}{2}", "\\frac {1} {2}", true, "spaces inside LaTeX do not matter"},
      {"x + 1", "x+1", true, "spaces around operators"},
      {"", "5", false, "an empty answer is never correct"},
      {"   ", "5", false, "a blank answer is never correct"},
      // --- integers and decimals ---------------------------------------------------------
      {"12", "1.2", false, "12 and 1.2 are different numbers"},
      {"1.2", "12", false, "decimal point matters"},
      {"12.0", "12", true, "trailing .0 is the same number"},
      {"12.00", "12", true, "trailing zeros after the point"},
      {"007", "7", true, "leading zeros (AIME style)"},
      {"-7", "7", false, "sign matters"},
      {"-0", "0", true, "negative zero is zero"},
      {".5", "0.5", true, "missing leading zero"},
      {"0.50", "\\frac{1}{2}", true, "decimal equals fraction"},
      {"0.3333", "\\frac{1}{3}", false, "a rounded decimal is not the exact fraction"},
      {"0.333333333333", "\\frac13", true, "twelve threes agree to 1e-8 relative"},
      {"100000000000000001", "100000000000000000", false,
       "big integers compare exactly, not as doubles"},
      {"123456789012345678901234567890", "123456789012345678901234567890", true,
       "big integer identical"},
      {"1e3", "1000", true, "scientific notation"},
      {"1.5\\times10^{3}", "1500", true, "scientific notation in LaTeX"},
      {"2.5 \\cdot 10^{-2}", "0.025", true, "negative power of ten"},
      {"3.14", "\\pi", false, "an approximation of pi is not pi"},
      // --- thousands separators vs lists -------------------------------------------------
      {"1,000", "1000", true, "thousands separator"},
      {"1000", "1,000", true, "thousands separator in the reference"},
      {"10,\\!080", "10080", true, "thousands separator with \\! spacing"},
      {"\\$32,\\!348", "32348", true, "dollar sign and thousands separator"},
      {"1,000,000", "10^6", true, "several separators"},
      {"1, 2", "12", false, "a list is not the number formed by deleting the comma"},
      {"1,2", "12", false, "a list without spaces is not 12 either"},
      {"12", "1, 2", false, "a number is not a list"},
      {"1,00", "100", false, "a comma before two digits is not a thousands separator"},
      // --- fractions ---------------------------------------------------------------------
      {"1/2", "2", false, "one half is not two"},
      {"1/2", "\\frac{1}{2}", true, "slash fraction equals \\frac"},
      {"\\dfrac{3}{4}", "\\frac34", true, "\\dfrac and unbraced \\frac"},
      {"\\tfrac{3}{4}", "0.75", true, "\\tfrac equals decimal"},
      {"\\frac{6}{8}", "\\frac{3}{4}", true, "unreduced fraction is the same number"},
      {"\\frac{3}{4}", "\\frac{4}{3}", false, "reciprocal"},
      {"-\\frac{1}{2}", "\\frac{-1}{2}", true, "sign inside or outside"},
      {"\\frac{-1}{2}", "\\frac{1}{2}", false, "sign of a fraction"},
      {"\\frac{1}{2}", "1/3", false, "different fractions"},
      {"2\\frac{1}{4}", "\\frac{9}{4}", true, "mixed number with \\frac"},
      {"7 3/4", "7.75", true, "mixed number in plain text"},
      {"-2\\frac{1}{2}", "-2.5", true, "negative mixed number"},
      {"\\frac{1}{2}", "\\frac{2}{4}", true, "equal fractions"},
      {"\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", true, "reordered product"},
      // --- roots, powers, pi -------------------------------------------------------------
      {"\\sqrt{2}", "\\sqrt2", true, "braced and unbraced root"},
      {"2\\sqrt{2}", "\\sqrt{8}", true, "simplified root"},
      {"\\sqrt{8}", "2\\sqrt{3}", false, "different roots"},
      {"\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", true, "rationalised denominator"},
      {"3\\sqrt{13}", "\\sqrt{117}", true, "root with coefficient"},
      {"\\sqrt[3]{8}", "2", true, "cube root"},
      {"\\sqrt[3]{-8}", "-2", true, "real cube root of a negative number"},
      {"5\\sqrt[3]{4}", "\\sqrt[3]{500}", true, "cube root with coefficient"},
      {"2^{10}", "1024", true, "power"},
      {"2^10", "1024", true, "plain-text power"},
      {"2^{1009}", "2^{1009}", true, "huge power identical"},
      {"2^{1009}", "2^{1008}", false, "huge powers differ"},
      {"2^{2000}", "2^{2001}", false, "overflowing powers are not equal because both overflow"},
      {"4^{1/2}", "2", true, "fractional power"},
      {"\\pi", "\\pi", true, "pi identical"},
      {"2\\pi", "\\pi \\cdot 2", true, "commuted product"},
      {"\\frac{3\\pi}{4}", "\\frac{3}{4}\\pi", true, "pi in numerator"},
      {"\\frac{\\pi}{2}", "90^\\circ", false, "radians are not degrees"},
      {"1024-256\\pi", "256(4-\\pi)", true, "factored form"},
      {"e^2", "\\exp(2)", true, "e is Euler's number"},
      {"\\ln 8", "3\\ln 2", true, "logarithm rule"},
      {"\\log_2 8", "3", true, "logarithm with base"},
      {"\\log_{10} 1000", "3", true, "braced base"},
      {"5!", "120", true, "factorial"},
      {"\\binom{5}{2}", "10", true, "binomial coefficient"},
      {"\\dbinom{6}{3}", "20", true, "\\dbinom"},
      {"\\frac{100!}{2^{50}}", "\\frac{100!}{2^{50}}", true, "identical large expression"},
      {"|-3|", "3", true, "absolute value"},
      {"\\lfloor 3.7 \\rfloor", "3", true, "floor"},
      {"\\lceil 3.2 \\rceil", "4", true, "ceiling"},
      {"\\sin\\frac{\\pi}{6}", "\\frac12", true, "sine of a known angle"},
      {"\\cos^2 x + \\sin^2 x", "1", false, "an expression in x is not a constant"},
      // --- complex numbers ---------------------------------------------------------------
      {"1+2i", "2i+1", true, "complex number reordered"},
      {"i^2", "-1", true, "imaginary unit squared"},
      {"\\sqrt{-4}", "2i", true, "root of a negative number"},
      {"1-2i", "1+2i", false, "complex conjugate"},
      // --- percent, degrees, units, money ------------------------------------------------
      {"62.5\\%", "62.5", true, "percent sign dropped"},
      {"62.5%", "62.5", true, "plain percent sign"},
      {"50\\%", "0.5", false, "percent is not rescaled"},
      {"90^\\circ", "90", true, "degrees"},
      {"90^{\\circ}", "90", true, "braced degrees"},
      {"90\xC2\xB0", "90", true, "unicode degree sign"},
      {"45", "45^\\circ", true, "degrees in the reference"},
      {"30^\\circ", "60^\\circ", false, "different angles"},
      {"5\\text{ cm}", "5", true, "unit in \\text"},
      {"5 \\text{ cm}^2", "5", true, "squared unit"},
      {"12 \\text{ square units}", "12", true, "square units"},
      {"18 inches", "18", true, "plain unit word"},
      {"\\$18.90", "18.90", true, "dollar amount"},
      {"18.90", "18.9", true, "trailing zero in money"},
      {"\\$36", "36", true, "dollar sign"},
      {"3 million", "3000000", true, "million"},
      {"5 cm", "6", false, "unit does not rescue a wrong number"},
      // --- text and letters --------------------------------------------------------------
      {"\\text{Evelyn}", "\\text{Evelyn}", true, "identical text"},
      {"Evelyn", "\\text{Evelyn}", true, "text wrapper"},
      {"evelyn", "\\text{Evelyn}", true, "case-insensitive text (reference fallback)"},
      {"nylevE", "\\text{Evelyn}", false, "letters of a word are not a commutative product"},
      {"\\text{(C)}", "C", true, "multiple-choice letter with parentheses"},
      {"(C)", "\\text{(C)}", true, "multiple-choice letter"},
      {"\\textbf{(B)}", "B", true, "bold letter"},
      {"(B)", "C", false, "different letters"},
      {"A", "B", false, "different letters"},
      {"(C) 12", "C", true, "choice letter followed by the option's value"},
      {"(B) 12", "C", false, "wrong choice letter followed by a value"},
      {"0.1\\overline{6}", "\\frac16", true, "repeating decimal"},
      {"0.\\overline{3}", "\\frac{1}{3}", true, "purely repeating decimal"},
      {"0.\\overline{3}", "0.3", false, "a repeating decimal is not its first digit"},
      {"\\text{odd}", "\\text{even}", false, "different words"},
      {"\\text{yes}", "yes", true, "text wrapper on a word"},
      // --- "x =" prefixes and equations -------------------------------------------------
      {"x=5", "5", true, "variable prefix"},
      {"x = 5", "5", true, "spaced variable prefix"},
      {"5", "x=5", true, "prefix in the reference"},
      {"k=1", "1", true, "olympiad prefix"},
      {"f(x)=2x", "2 x", true, "function definition prefix"},
      {"f(n) = 2 n+1007", "2n+1007", true, "function prefix and spaces"},
      {"a_1 = 3", "3", true, "subscripted name"},
      {"\\theta = \\frac{\\pi}{3}", "\\frac{\\pi}{3}", true, "Greek name"},
      {"x=5", "6", false, "prefix does not rescue a wrong value"},
      {"y=2x+3", "2x+3", true, "line given as y ="},
      {"x+y=5", "5", false, "an equation is not its right side"},
      {"x = 1, x = 2", "1, 2", true, "several prefixed values"},
      {"x \\in [1, 2]", "[1,2]", true, "membership prefix"},
      // --- algebraic expressions ---------------------------------------------------------
      {"p - q", "-q + p", true, "commuted difference"},
      {"p - q", "q - p", false, "opposite sign"},
      {"\\frac{x^2-1}{x-1}", "x+1", true, "cancels at generic points"},
      {"(x+1)^2", "x^2+2x+1", true, "expanded square"},
      {"(x+1)^2", "x^2+1", false, "missing cross term"},
      {"\\frac{1}{2 n+2}", "\\frac{1}{2(n+1)}", true, "factored denominator"},
      {"n(n-1)", "n^2-n", true, "expanded product"},
      {"2^{n}-n-1", "2^n - n - 1", true, "braced and plain exponent"},
      {"2^{k-1}", "\\frac{2^k}{2}", true, "power rule"},
      {"\\frac{n(n+1)}{2}", "\\binom{n+1}{2}", true, "binomial identity"},
      {"2n", "2m", false, "different variables"},
      {"x", "x^{1}", true, "trivial power"},
      {"\\sqrt{x^2}", "x", false, "not equal for negative x"},
      {"ab", "ba", true, "implicit products commute"},
      {"2ab", "2a b", true, "spaced implicit product"},
      {"\\frac{a b}{2}", "\\frac{ab}{2}", true, "space between factors"},
      {"2RC+R+C", "R+C+2RC", true, "capital variables"},
      {"\\lfloor \\frac{n}{2} \\rfloor", "\\lfloor n/2 \\rfloor", true, "floor of a ratio"},
      {"x^2", "x^3", false, "different powers"},
      {"\\sin^2 x", "(\\sin x)^2", true, "power of a function"},
      // --- tuples, intervals, sets, lists ------------------------------------------------
      {"(1,2)", "(1,2)", true, "identical pair"},
      {"(1,2)", "[1,2]", false, "open and closed interval differ"},
      {"(1,2]", "(1,2)", false, "half-open interval differs from open"},
      {"[1,2)", "[1, 2)", true, "half-open interval with spaces"},
      {"(2,1)", "(1,2)", false, "ordered pair order matters"},
      {"\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", true,
       "\\left/\\right removed"},
      {"(3, 1.5707963268)", "(3,\\frac{\\pi}{2})", true, "numeric element of a tuple"},
      {"(1,2,3)", "(1,2)", false, "different lengths"},
      {"(-\\infty, 0)", "(-\\infty,0)", true, "interval to minus infinity"},
      {"(-\\infty, 0)", "(-\\infty, 1)", false, "different endpoint"},
      {"(-\\infty,0)\\cup\\{1\\}", "(-\\infty, 0) \\cup \\{1\\}", true, "union with a point"},
      {"(-\\infty,0)\\cup(1,\\infty)", "(1,\\infty)\\cup(-\\infty,0)", true,
       "union in another order"},
      {"(-\\infty,0)\\cup(1,\\infty)", "(-\\infty,0)\\cup[1,\\infty)", false,
       "closed end inside a union"},
      {"\\{1,2\\}", "\\{2,1\\}", true, "sets are unordered"},
      {"1, 2", "2, 1", true, "a list of solutions is unordered"},
      {"1,3,5", "5, 3, 1", true, "three solutions in another order"},
      {"1,3,5", "1,3", false, "missing solution"},
      {"1,1,3", "1,3,3", false, "lists are multisets"},
      {"(1,2),(3,4)", "(3,4),(1,2)", true, "a list of pairs is unordered"},
      {"(1,2),(3,4)", "(2,1),(4,3)", false, "pairs themselves are ordered"},
      {"(1,8,19), (2,7,13), (4,5,7)", "(4,5,7),(1,8,19),(2,7,13)", true, "olympiad triples"},
      {"1 \\pm \\sqrt{2}", "1+\\sqrt2, 1-\\sqrt2", true, "plus-minus expands to two values"},
      {"1 \\pm \\sqrt{2}", "1+\\sqrt2", false, "plus-minus is two values, not one"},
      {"2 \\text{ or } 3", "2, 3", true, "\\text{ or } separates values"},
      {"x=2 \\text{ and } x=3", "3,2", true, "and-separated values with prefixes"},
      {"\\emptyset", "\\{\\}", true, "empty set"},
      {"(1,2)", "1,2", false, "a tuple is not a bare list"},
      {"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", true,
       "column vector"},
      {"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}2\\\\1\\end{pmatrix}", false,
       "vector order"},
      {"\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
       "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", true, "matrix"},
      {"\\begin{pmatrix} 0.5 \\\\ 2 \\end{pmatrix}",
       "\\begin{pmatrix} \\frac12 \\\\ 2 \\end{pmatrix}", true, "numeric matrix entries"},
      // --- relations: operators, sides, intervals ----------------------------------------
      {"x \\geq 2", "x>=2", true, "LaTeX and ASCII greater-or-equal"},
      {"x \\ge 2", "2 \\le x", true, "sides flipped with the operator"},
      {"x \\geqslant 2", "x \\ge 2", true, "slanted form"},
      {"x \\lt 3", "x<3", true, "\\lt is <"},
      {"3 \\gt y", "y < 3", true, "\\gt with the constant first"},
      {"x \\neq 3", "x \\ne 3", true, "\\neq and \\ne"},
      {"3 \\neq x", "x \\neq 3", true, "not-equal with sides flipped"},
      {"x > 2", "(2, \\infty)", true, "an inequality is its solution interval"},
      {"x \\le -1", "(-\\infty,-1]", true, "closed end from <="},
      {"-2 \\le x \\le 7", "x \\in [-2, 7]", true, "a chain is an interval"},
      {"7 \\geq x > -2", "(-2,7]", true, "a descending chain"},
      {"\\mathbb{R}", "(-\\infty, \\infty)", true, "the reals as an interval"},
      {"x \\geq \\frac{1}{2}", "[0.5,\\infty)", true, "expression bounds compare as numbers"},
      {"x > 2", "x < 2", false, "the direction matters"},
      {"x \\ge 2", "x > 2", false, "strictness matters"},
      {"x > 2", "(2, \\infty]", false, "not a different interval"},
      {"-2 \\le x \\le 7", "(-2, 7]", false, "a closed end is not an open one"},
      {"x > 3", "(2, \\infty)", false, "another bound"},
      {"x \\neq 3", "x \\neq 4", false, "another excluded value"},
      {"\\mathbb{R}", "(0,\\infty)", false, "the reals are not the positives"},
      {"x < y", "y > x", false, "two variables are left alone"},
      // --- thousands separators, spacing, choices, matrices -------------------------------
      {"10{,}080", "10080", true, "braced thousands comma"},
      {"1{,}2", "12", false, "a braced comma before one digit is not a thousands separator"},
      {"5\\ ", "5", true, "trailing spacing command"},
      {"5\\ ", "6", false, "trailing spacing does not make a match"},
      {"\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]",
       "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", true, "array in brackets is a matrix"},
      {"\\begin{array}{c}1\\\\2\\end{array}", "\\begin{bmatrix}1\\\\2\\end{bmatrix}", true,
       "a column array"},
      {"\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]",
       "\\begin{pmatrix}1&2\\\\4&3\\end{pmatrix}", false, "entries matter"},
      // --- reference fallback and mathd behaviours ----------------------------------------
      {"\\frac12", "0.5", true, "mathd: 0.5 becomes \\frac{1}{2}"},
      {"3/4", "\\frac{3}{4}", true, "mathd: a/b fix"},
      {"\\sqrt3", "\\sqrt{3}", true, "mathd: sqrt fix"},
      {"\\text{ cm}", "5", false, "a bare unit is not an answer"},
      {"inf", "inf", true, "identical strings"},
      {"1_000", "1000", true, "Python float accepts digit underscores"},
      {"5.0000001", "5", true, "reference fallback tolerance 1e-6"},
      {"5.00001", "5", false, "outside the tolerance"},
      {"\\infty", "\\infty", true, "infinity identical"},
      {"-\\infty", "\\infty", false, "signed infinities differ"},
      {"\\boxed{5}", "5", true, "a box inside the answer is unwrapped"},
      {"5.", "5", true, "trailing full stop"},
      {"$5$", "5", true, "math-mode dollars"},
  };
  return rows;
}

TEST(grader_table, has_at_least_150_rows_with_both_verdicts) {
  std::size_t positives = 0;
  std::size_t negatives = 0;
  for (const auto& row : table()) (row.equivalent ? positives : negatives)++;
  EXPECT_GE(table().size(), 150u);
  EXPECT_GE(negatives, 40u);
  EXPECT_GE(positives, 40u);
}

TEST(grader_table, every_row_gets_its_expected_verdict) {
  int failures = 0;
  for (const auto& row : table()) {
    bool got = leadrl::grading::answers_equivalent(row.given, row.truth);
    if (got != row.equivalent) {
      ++failures;
      ADD_FAILURE() << "given \"" << row.given << "\" vs truth \"" << row.truth << "\": expected "
                    << (row.equivalent ? "equivalent" : "different") << " (" << row.reason << ")";
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(grader_table, non_symbolic_mode_keeps_only_reference_comparisons) {
  // The reference graders (spec/lead.md §11.3, §11.4(a)) cannot see these equalities.
  EXPECT_FALSE(leadrl::grading::answers_equivalent("2\\sqrt{2}", "\\sqrt{8}", false));
  EXPECT_FALSE(leadrl::grading::answers_equivalent("a_1 = 5", "5", false));
  // But they keep their own.
  EXPECT_TRUE(leadrl::grading::answers_equivalent("\\dfrac12", "0.5", false));
  EXPECT_TRUE(leadrl::grading::answers_equivalent("1,000", "1000", false));
  EXPECT_FALSE(leadrl::grading::answers_equivalent("1, 2", "12", false));
}

TEST(grader_table, grade_answer_on_prompt_plus_response) {
  // spec/lead.md §11.1: the graded text is prompt + response; the prompt's empty box is no
  // answer, the response's box is.
  std::string prompt =
      "What is 1+1? Let's think step by step and output the final answer within \\boxed{}.";
  auto with_box = leadrl::grading::grade_answer(prompt + "<think>1+1=2</think> \\boxed{2}", "2");
  EXPECT_TRUE(with_box.correct);
  EXPECT_EQ(with_box.extracted, "2");
  EXPECT_EQ(with_box.format, 1.0);
  auto without = leadrl::grading::grade_answer(prompt + " it is 2", "2");
  EXPECT_FALSE(without.correct);
  EXPECT_FALSE(without.has_answer);
  EXPECT_EQ(without.format, 0.0);
  // A reference holding a box is reduced to it.
  EXPECT_TRUE(leadrl::grading::grade_answer("\\boxed{\\frac12}", "so \\boxed{0.5}").correct);
  // Truncated response: the last box never closes.
  EXPECT_FALSE(leadrl::grading::grade_answer("\\boxed{2} wait, \\boxed{\\frac{3", "2").correct);
}

TEST(grader_table, grade_answer_any_accepts_any_reference) {
  EXPECT_TRUE(leadrl::grading::grade_answer_any("\\boxed{3}", {"2", "3"}).correct);
  EXPECT_FALSE(leadrl::grading::grade_answer_any("\\boxed{4}", {"2", "3"}).correct);
  EXPECT_EQ(leadrl::grading::grade_answer_any("\\boxed{4}", {"2", "3"}).extracted, "4");
  EXPECT_FALSE(leadrl::grading::grade_answer_any("\\boxed{4}", {}).correct);
}

}  // namespace
