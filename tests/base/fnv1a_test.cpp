// base/fnv1a.hpp: FNV-1a 64's published test values from the standard offset basis,
// chaining, and the legacy offset leadrl's checksums start from.
#include "base/fnv1a.hpp"

#include <gtest/gtest.h>

#include <string>

namespace leadrl {
namespace {

TEST(Fnv1a, PublishedValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(Fnv1a, ChainsOverPiecesAndStartsWhereItIsTold) {
  const std::string bytes = "foobar";
  EXPECT_EQ(fnv1a64("bar", fnv1a64("foo")), fnv1a64(bytes));
  EXPECT_EQ(fnv1a64_bytes(bytes.data(), bytes.size()), fnv1a64(bytes));
  EXPECT_EQ(fnv1a64("", k_leadrl_checksum_offset), k_leadrl_checksum_offset);
  EXPECT_NE(fnv1a64("a", k_leadrl_checksum_offset), fnv1a64("a"));
}

}  // namespace
}  // namespace leadrl
