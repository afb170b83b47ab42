// grading/math_expression: compiling LaTeX / plain arithmetic and comparing at random points.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "grading/math_expression.hpp"

namespace {

using leadrl::grading::expression_limits;
using leadrl::grading::expressions_equivalent;
using leadrl::grading::math_expression;

double value_of(const char* text) {
  auto e = math_expression::parse(text);
  if (!e) return std::nan("");
  return e->evaluate({}).real();
}

bool same(const char* a, const char* b) {
  auto x = math_expression::parse(a);
  auto y = math_expression::parse(b);
  return x && y && expressions_equivalent(*x, *y);
}

TEST(grader_expression, evaluates_constants) {
  EXPECT_DOUBLE_EQ(value_of("1+2*3"), 7.0);
  EXPECT_DOUBLE_EQ(value_of("2^3^2"), 512.0);  // right-associative
  EXPECT_DOUBLE_EQ(value_of("-2^2"), -4.0);
  EXPECT_DOUBLE_EQ(value_of("\\frac{1}{4}"), 0.25);
  EXPECT_DOUBLE_EQ(value_of("\\frac14"), 0.25);
  EXPECT_DOUBLE_EQ(value_of("\\frac1{8}"), 0.125);
  EXPECT_DOUBLE_EQ(value_of("\\sqrt{16}"), 4.0);
  EXPECT_DOUBLE_EQ(value_of("\\sqrt[3]{27}"), 3.0);
  EXPECT_DOUBLE_EQ(value_of("2(3+4)"), 14.0);
  EXPECT_DOUBLE_EQ(value_of("(1+1)(2+2)"), 8.0);
  EXPECT_DOUBLE_EQ(value_of("6/2/3"), 1.0);
  EXPECT_DOUBLE_EQ(value_of("4!"), 24.0);
  EXPECT_DOUBLE_EQ(value_of("\\binom{10}{3}"), 120.0);
  EXPECT_DOUBLE_EQ(value_of("|2-5|"), 3.0);
  EXPECT_DOUBLE_EQ(value_of("\\lfloor -1.5 \\rfloor"), -2.0);
  EXPECT_DOUBLE_EQ(value_of("1.5e2"), 150.0);
  EXPECT_DOUBLE_EQ(value_of("3 \\times 4 \\div 6"), 2.0);
  EXPECT_DOUBLE_EQ(value_of("\\log_{2}{32}"), 5.0);
  EXPECT_NEAR(value_of("\\pi"), 3.141592653589793, 1e-15);
  EXPECT_NEAR(value_of("sqrt(2)*sqrt(2)"), 2.0, 1e-12);
  EXPECT_NEAR(value_of("\\cos \\pi"), -1.0, 1e-12);
}

TEST(grader_expression, reports_domain_errors_as_non_finite) {
  EXPECT_TRUE(std::isnan(value_of("1/0")));
  EXPECT_TRUE(std::isnan(value_of("(-1)!")));
  EXPECT_TRUE(std::isinf(value_of("200!")));
  EXPECT_TRUE(std::isinf(value_of("\\infty")));
}

TEST(grader_expression, rejects_what_it_does_not_understand) {
  EXPECT_FALSE(math_expression::parse("Evelyn"));
  EXPECT_FALSE(math_expression::parse("1+"));
  EXPECT_FALSE(math_expression::parse("(1+2"));
  EXPECT_FALSE(math_expression::parse("\\unknowncommand{2}"));
  EXPECT_FALSE(math_expression::parse("1,2"));
  EXPECT_FALSE(math_expression::parse(""));
  EXPECT_FALSE(math_expression::parse("x \\pm 1"));
}

TEST(grader_expression, bounds_its_work) {
  std::string deep = std::string(1000, '(') + "1" + std::string(1000, ')');
  EXPECT_FALSE(math_expression::parse(deep));  // nesting over the limit
  std::string shallow = std::string(20, '(') + "1" + std::string(20, ')');
  EXPECT_TRUE(math_expression::parse(shallow));
  std::string signs = std::string(3000, '-') + "1";
  EXPECT_FALSE(math_expression::parse(signs));
  std::string powers;
  for (int k = 0; k < 500; ++k) powers += "2^";
  powers += "2";
  EXPECT_FALSE(math_expression::parse(powers));
  std::string sum = "1";
  for (int k = 0; k < 3000; ++k) sum += "+1";
  EXPECT_FALSE(math_expression::parse(sum));  // longer than max_length
  expression_limits small;
  small.max_ops = 10;
  EXPECT_FALSE(math_expression::parse("1+1+1+1+1+1+1", small));
}

TEST(grader_expression, variables_are_sorted_and_named) {
  auto e = math_expression::parse("y + x_1 + \\theta + a_{12}");
  ASSERT_TRUE(e);
  std::vector<std::string> expected = {"\\theta", "a_12", "x_1", "y"};
  EXPECT_EQ(e->variables(), expected);
}

TEST(grader_expression, equivalence_at_random_points) {
  EXPECT_TRUE(same("(x+y)^2", "x^2+2xy+y^2"));
  EXPECT_FALSE(same("(x+y)^2", "x^2+y^2"));
  EXPECT_TRUE(same("\\frac{1}{x}+\\frac{1}{y}", "\\frac{x+y}{xy}"));
  EXPECT_FALSE(same("x", "y"));
  EXPECT_FALSE(same("x", "x+y-y"));  // variable sets differ: not attempted
  EXPECT_TRUE(same("\\sin(2x)", "2\\sin x\\cos x"));
  EXPECT_TRUE(same("e^{\\ln x}", "x"));
  EXPECT_FALSE(same("x", "x+1e-3"));
  EXPECT_FALSE(same("1/0", "2/0"));  // undefined everywhere is not equal
}

}  // namespace
