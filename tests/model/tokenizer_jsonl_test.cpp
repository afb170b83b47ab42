// tokenize_jsonl, the work behind `leadrl tokenize`.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "model/char_tokenizer.hpp"
#include "model/tokenizer_jsonl.hpp"

namespace leadrl::model {
namespace {

TEST(tokenize_jsonl, good_lines_are_encoded_and_bad_lines_reported_by_number) {
  char_tokenizer tok;
  std::istringstream in(
      "{\"text\": \"1+1\"}\n"
      "not json\n"
      "\n"
      "[1, 2]\n"
      "{\"text\": 7}\n"
      "{\"id\": \"x\", \"text\": \"=2\"}\n");
  std::ostringstream out;
  const auto report = tokenize_jsonl(tok, in, out, /*add_special=*/true);
  EXPECT_EQ(report.written, 2u);
  EXPECT_EQ(report.skipped, 3u);
  ASSERT_EQ(report.problems.size(), 3u);
  EXPECT_EQ(report.problems[0].rfind("2: not valid JSON", 0), 0u) << report.problems[0];
  EXPECT_EQ(report.problems[1].rfind("4: expected a JSON object", 0), 0u) << report.problems[1];
  EXPECT_EQ(report.problems[2], "5: expected a string field \"text\"");
  const auto one = tok.encode("1+1", true);
  const auto two = tok.encode("=2", true);
  auto line = [](const std::vector<std::int32_t>& ids) {
    std::string s = "{\"ids\":[";
    for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
    return s + "]}\n";
  };
  EXPECT_EQ(out.str(), line(one) + line(two));
}

}  // namespace
}  // namespace leadrl::model
