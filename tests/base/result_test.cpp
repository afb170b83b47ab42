// leadrl::result, status, errc and LEADRL_TRY: values and errors, the code carried through
// with_context, and LEADRL_TRY returning the first failure from both kinds.
#include "base/result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace leadrl {
namespace {

status must_be_positive(int x) {
  if (x <= 0) return fail("x: expected a number > 0, got " + std::to_string(x));
  return status::success();
}

result<int> halve(int x) {
  if (x % 2 != 0) return fail("x: expected an even number, got " + std::to_string(x));
  return x / 2;
}

int try_calls = 0;
status counted(status s) {
  ++try_calls;
  return s;
}

result<int> halve_positive(int x) {
  LEADRL_TRY(must_be_positive(x));
  LEADRL_TRY(halve(x));
  return x / 2;
}

status peer_step(bool gone) {
  if (gone) return fail("rank 2 did not answer within 6 s", errc::peer_gone);
  return status::success();
}

status chained(bool gone) {
  LEADRL_TRY(peer_step(gone));
  return status::success();
}

TEST(Result, ValueAndErrorAlternatives) {
  auto ok = halve(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 2);
  auto bad = halve(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "x: expected an even number, got 3");
  EXPECT_EQ(bad.error().code(), errc::invalid_input);
}

TEST(Result, TryReturnsTheFirstFailure) {
  EXPECT_EQ(*halve_positive(8), 4);
  auto neg = halve_positive(-2);
  ASSERT_FALSE(neg);
  EXPECT_NE(neg.error().message().find("expected a number > 0"), std::string::npos);
  auto odd = halve_positive(3);
  ASSERT_FALSE(odd);
  EXPECT_NE(odd.error().message().find("expected an even number"), std::string::npos);
}

TEST(Result, TryEvaluatesItsArgumentOnce) {
  try_calls = 0;
  auto f = []() -> status {
    LEADRL_TRY(counted(status::success()));
    LEADRL_TRY(counted(fail("second")));
    LEADRL_TRY(counted(status::success()));
    return status::success();
  };
  auto s = f();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "second");
  EXPECT_EQ(try_calls, 2);
}

TEST(Result, CodeSurvivesTryAndContext) {
  EXPECT_TRUE(chained(false));
  auto s = chained(true);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), errc::peer_gone);
  const error e = s.error().with_context("step 4");
  EXPECT_EQ(e.code(), errc::peer_gone);
  EXPECT_EQ(e.message(), "step 4: rank 2 did not answer within 6 s");
}

}  // namespace
}  // namespace leadrl
