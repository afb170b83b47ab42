#include "base/json_nesting.hpp"

#include <gtest/gtest.h>

#include <string>

namespace leadrl {
namespace {

TEST(json_nesting, counts_arrays_and_objects_outside_strings) {
  EXPECT_EQ(json_nesting_depth("1"), 0u);
  EXPECT_EQ(json_nesting_depth("{}"), 1u);
  EXPECT_EQ(json_nesting_depth(R"({"a":[1,{"b":[]}],"c":{}})"), 4u);
  // Brackets inside strings, escaped quotes included, do not count.
  EXPECT_EQ(json_nesting_depth(R"({"[[[": "\"[[[{{{", "x": [1]})"), 2u);
  EXPECT_EQ(json_nesting_depth(R"(["\\", [2]])"), 2u);
  // Malformed text is scanned as far as it goes; unmatched closers do not go below zero.
  EXPECT_EQ(json_nesting_depth("]]]][[{"), 3u);
}

TEST(json_nesting, check_refuses_deeper_than_the_limit_naming_the_source) {
  const std::string ok = std::string(128, '[') + std::string(128, ']');
  EXPECT_TRUE(check_json_nesting(ok, "a.json"));
  const std::string deep = std::string(129, '[') + std::string(129, ']');
  auto s = check_json_nesting(deep, "a.json");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(),
            "a.json: JSON nested deeper than 128 levels (expected a few; corrupt or hostile file?)");
  // Scanning stops past the limit, so a huge document costs no more than its first levels.
  EXPECT_EQ(json_nesting_depth(std::string(1000000, '['), 10), 11u);
}

}  // namespace
}  // namespace leadrl
