#include "base/bfloat16.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace leadrl {
namespace {

TEST(Bfloat16, RepresentableValuesRoundTripExactly) {
  for (float f : {0.0f, -0.0f, 1.0f, -3.0f, 1.5f, 0.0078125f, 3.3895314e38f}) {
    EXPECT_EQ(bfloat16_to_float(float_to_bfloat16(f)), f) << f;
  }
  EXPECT_EQ(float_to_bfloat16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bfloat16(-3.0f), 0xc040);
  EXPECT_EQ(bfloat16_to_float(0x3fc0), 1.5f);
}

TEST(Bfloat16, RoundsToNearestWithTiesToEven) {
  // Between 1 and the next bf16 (1 + 2^-7): below, at and above the midpoint.
  EXPECT_EQ(float_to_bfloat16(1.0f + 0x1p-9f), 0x3f80);
  EXPECT_EQ(float_to_bfloat16(1.0f + 0x1p-8f), 0x3f80);  // tie, 0x3f80 is even
  EXPECT_EQ(float_to_bfloat16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  // A tie whose lower neighbour is odd goes up.
  EXPECT_EQ(float_to_bfloat16(1.0f + 0x1p-7f + 0x1p-8f), 0x3f82);
  // Negative values round by magnitude alike.
  EXPECT_EQ(float_to_bfloat16(-(1.0f + 0x1p-8f + 0x1p-20f)), 0xbf81);
}

TEST(Bfloat16, NanStaysNanAndOverflowGoesToInfinity) {
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::nanf("")))));
  // A NaN whose payload sits only in the low 16 bits must not become infinity.
  float low_nan;
  const std::uint32_t bits = 0x7f800001u;
  std::memcpy(&low_nan, &bits, sizeof low_nan);
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(low_nan))));
  EXPECT_EQ(bfloat16_to_float(float_to_bfloat16(std::numeric_limits<float>::infinity())),
            std::numeric_limits<float>::infinity());
  EXPECT_EQ(bfloat16_to_float(float_to_bfloat16(std::numeric_limits<float>::max())),
            std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace leadrl
