// grading/relation: canonical texts of relations (operators, sides, intervals) and the
// answers it must leave alone.
#include "grading/relation.hpp"

#include <gtest/gtest.h>

namespace leadrl::grading {
namespace {

TEST(Relation, OrderRelationsBecomeIntervals) {
  EXPECT_EQ(canonical_relation("x>2"), "(2,\\infty)");
  EXPECT_EQ(canonical_relation("x \\geq 2"), "[2,\\infty)");
  EXPECT_EQ(canonical_relation("2 \\le x"), "[2,\\infty)");
  EXPECT_EQ(canonical_relation("x<=-1"), "(-\\infty,-1]");
  EXPECT_EQ(canonical_relation("a_1 \\lt 5"), "(-\\infty,5)");
  EXPECT_EQ(canonical_relation("-2 \\le x < 7"), "[-2,7)");
  EXPECT_EQ(canonical_relation("7 > x \\ge -2"), "[-2,7)");
  EXPECT_EQ(canonical_relation("\\mathbb{R}"), "(-\\infty,\\infty)");
  EXPECT_EQ(canonical_relation("x > e"), "(e,\\infty)");  // e is Euler's number, not a variable
  EXPECT_EQ(canonical_relation("x \xE2\x89\xA5 3"), "[3,\\infty)");  // UTF-8 ≥
}

TEST(Relation, NotEqualPutsTheVariableFirst) {
  EXPECT_EQ(canonical_relation("3 \\ne y"), "y\\neq 3");
  EXPECT_EQ(canonical_relation("y != 3"), "y\\neq 3");
}

TEST(Relation, OtherAnswersAreLeftAlone) {
  for (const char* s : {"x = 5", "x < y", "1 < 2", "(2,\\infty)", "f(x<2)", "\\left(1, 2\\right)",
                        "2 < x > 3", "x <", "\\leftarrow", "3 \\lessdot x"}) {
    EXPECT_EQ(canonical_relation(s), s) << s;
  }
}

}  // namespace
}  // namespace leadrl::grading
