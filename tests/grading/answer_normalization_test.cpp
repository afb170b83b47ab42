// grading/answer_normalization: the mathd normalisation (spec/lead.md §11.4(a)), the §11.3
// fallback comparison and Python float() syntax.
#include <gtest/gtest.h>

#include <cmath>

#include "grading/answer_normalization.hpp"

namespace {

using namespace leadrl::grading;

TEST(answer_normalization, mathd_steps_one_by_one) {
  EXPECT_EQ(mathd_normalize("  \\text{ Evelyn }  "), "Evelyn");  // 1, 2
  EXPECT_EQ(mathd_normalize("1\n2"), "12");                      // 3
  EXPECT_EQ(mathd_normalize("10,\\!080"), "10,080");             // 4
  EXPECT_EQ(mathd_normalize("\\\\frac{1}{2}"), "\\frac{1}{2}");  // 5
  EXPECT_EQ(mathd_normalize("\\dfrac{1}{2}"), "\\frac{1}{2}");   // 6
  EXPECT_EQ(mathd_normalize("\\tfrac{1}{2}"), "\\frac{1}{2}");
  EXPECT_EQ(mathd_normalize("\\left(1,2\\right)"), "(1,2)");  // 7
  EXPECT_EQ(mathd_normalize("90^{\\circ}"), "90");            // 8
  EXPECT_EQ(mathd_normalize("90^\\circ"), "90");
  EXPECT_EQ(mathd_normalize("\\$5"), "5");                 // 9
  EXPECT_EQ(mathd_normalize("5\\text{ cm}"), "5");         // 10
  EXPECT_EQ(mathd_normalize("50\\%"), "50");               // 11
  EXPECT_EQ(mathd_normalize("x = .25"), "0.25");           // 12, 14
  EXPECT_EQ(mathd_normalize(".25"), "0.25");               // 13
  EXPECT_EQ(mathd_normalize("k=1"), "1");                  // 14
  EXPECT_EQ(mathd_normalize("abc=1"), "abc=1");            // 14: long lhs kept
  EXPECT_EQ(mathd_normalize("\\sqrt3x"), "\\sqrt{3}x");    // 15
  EXPECT_EQ(mathd_normalize("1 + 2"), "1+2");              // 16
  EXPECT_EQ(mathd_normalize("\\frac12"), "\\frac{1}{2}");  // 17
  EXPECT_EQ(mathd_normalize("\\frac1{72}"), "\\frac{1}{72}");
  EXPECT_EQ(mathd_normalize("0.5"), "\\frac{1}{2}");  // 18
  EXPECT_EQ(mathd_normalize("3/4"), "\\frac{3}{4}");  // 19
  EXPECT_EQ(mathd_normalize("-3/4"), "\\frac{-3}{4}");
  EXPECT_EQ(mathd_normalize("03/4"), "03/4");
}

TEST(answer_normalization, mathd_failures_return_the_string_after_steps_one_and_two) {
  // Two "\text{ " units: the reference raises in step 10.
  EXPECT_EQ(mathd_normalize(" 5\\text{ cm}\\text{ m} "), "5\\text{ cm}\\text{ m}");
  // A trailing \sqrt raises in step 15.
  EXPECT_EQ(mathd_normalize("2 \\sqrt"), "2 \\sqrt");
  // A trailing \frac raises in step 17.
  EXPECT_EQ(mathd_normalize("2 \\frac"), "2 \\frac");
  // "\frac1" (one character) abandons the \frac fix only.
  EXPECT_EQ(mathd_normalize("\\frac1"), "\\frac1");
}

TEST(answer_normalization, python_float_grammar) {
  EXPECT_EQ(parse_python_float("1e3"), 1000.0);
  EXPECT_EQ(parse_python_float(" .5 "), 0.5);
  EXPECT_EQ(parse_python_float("5."), 5.0);
  EXPECT_EQ(parse_python_float("-2.5E-1"), -0.25);
  EXPECT_EQ(parse_python_float("1_000"), 1000.0);
  EXPECT_EQ(parse_python_float("+7"), 7.0);
  EXPECT_TRUE(std::isinf(*parse_python_float("-Infinity")));
  EXPECT_TRUE(std::isnan(*parse_python_float("nan")));
  EXPECT_EQ(parse_python_float("1__0"), std::nullopt);
  EXPECT_EQ(parse_python_float("_1"), std::nullopt);
  EXPECT_EQ(parse_python_float("1e"), std::nullopt);
  EXPECT_EQ(parse_python_float("."), std::nullopt);
  EXPECT_EQ(parse_python_float("1,000"), std::nullopt);
  EXPECT_EQ(parse_python_float("0x10"), std::nullopt);
  EXPECT_EQ(parse_python_float(""), std::nullopt);
}

TEST(answer_normalization, fallback_comparison) {
  EXPECT_TRUE(fallback_equal(" ABC ", "abc"));
  EXPECT_TRUE(fallback_equal("1 000", "1000"));
  EXPECT_TRUE(fallback_equal("1,000", "1000"));
  EXPECT_TRUE(fallback_equal("5.0000001", "5"));
  EXPECT_FALSE(fallback_equal("5.00001", "5"));
  EXPECT_FALSE(fallback_equal("inf", "1e400"));  // |inf - inf| is NaN, not < 1e-6
  EXPECT_TRUE(fallback_equal("nan", "nan"));     // equal as strings
  // The literal reference rule deletes every comma; the default keeps list commas.
  EXPECT_TRUE(fallback_equal("1, 2", "12", comma_policy::delete_all));
  EXPECT_FALSE(fallback_equal("1, 2", "12"));
  EXPECT_FALSE(fallback_equal("1,2", "12"));
}

TEST(answer_normalization, thousands_numbers) {
  EXPECT_TRUE(is_thousands_number("1,000"));
  EXPECT_TRUE(is_thousands_number("-12,345,678.5"));
  EXPECT_FALSE(is_thousands_number("1,00"));
  EXPECT_FALSE(is_thousands_number("1000,000"));
  EXPECT_FALSE(is_thousands_number("1,0000"));
  EXPECT_FALSE(is_thousands_number("1, 000"));
  EXPECT_FALSE(is_thousands_number("1000"));
  EXPECT_FALSE(is_thousands_number("1,000."));
}

}  // namespace
