// Tests of eval/paper_table: the paper's Table 1 layout (one line per model, Acc / Len / AES
// per benchmark and averaged) as markdown and CSV, checked cell by cell against the hand
// computations of tests/eval/sample_runs.hpp, with a base read from a file as first line.
#include "eval/paper_table.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/eval/sample_runs.hpp"

namespace leadrl::eval {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(PaperTable, MarkdownHasOneLinePerModelAndAnAverageGroup) {
  auto rows = eval_table(two_models_two_datasets(), "base");
  ASSERT_TRUE(rows) << rows.error().message();
  const auto md = lines_of(paper_table_markdown(*rows));
  ASSERT_EQ(md.size(), 4u) << paper_table_markdown(*rows);
  EXPECT_EQ(md[0],
            "| model | d1 (n=2) Acc | Len | AES | d2 (n=2) Acc | Len | AES | Average Acc | Len | "
            "AES |");
  EXPECT_EQ(md[1], "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  EXPECT_EQ(md[2], "| base | 75.0 | 25.0 | 0.000 | 100.0 | 10.0 | 0.000 | 87.5 | 17.5 | 0.000 |");
  // m: d1 AES (25 - 10) / 25 = 0.6; d2 0.5 - 5 x 0.5 = -2; average (0.6 - 2) / 2 = -0.7.
  EXPECT_EQ(md[3], "| m | 75.0 | 10.0 | 0.600 | 50.0 | 5.0 | -2.000 | 62.5 | 7.5 | -0.700 |");
}

TEST(PaperTable, BaseFromAFileLeadsTheTable) {
  auto rows = eval_table(model_m_runs(), file_base());
  ASSERT_TRUE(rows) << rows.error().message();
  auto own = base_rows(file_base(), {"d1", "d2"});
  ASSERT_TRUE(own) << own.error().message();
  for (auto& r : *own) r.model += " (base results)";
  std::vector<eval_row> lines = *own;
  lines.insert(lines.end(), rows->begin(), rows->end());
  const auto md = lines_of(paper_table_markdown(lines));
  ASSERT_EQ(md.size(), 4u);
  EXPECT_EQ(md[2],
            "| ref (base results) | 50.0 | 20.0 | 0.000 | 100.0 | 10.0 | 0.000 | 75.0 | 15.0 | "
            "0.000 |");
  // d1: 0.5 + 3 x 0.5 = 2; d2: 0.5 - 5 x 0.5 = -2; average 0.
  EXPECT_EQ(md[3], "| m | 75.0 | 10.0 | 2.000 | 50.0 | 5.0 | -2.000 | 62.5 | 7.5 | 0.000 |");
}

TEST(PaperTable, CsvHasNAccuracyLengthAesPerBenchmark) {
  auto rows = eval_table(two_models_two_datasets(), "base");
  ASSERT_TRUE(rows);
  const auto csv = lines_of(paper_table_csv(*rows));
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[0],
            "model,d1_n,d1_acc,d1_len,d1_aes,d2_n,d2_acc,d2_len,d2_aes,average_acc,average_len,"
            "average_aes");
  EXPECT_EQ(csv[1], "base,2,0.75,25,0,2,1,10,0,0.875,17.5,0");
  EXPECT_EQ(csv[2].rfind("m,2,0.75,10,0.6,2,0.5,5,-2,0.625,7.5,-0.7", 0), 0u) << csv[2];
}

TEST(PaperTable, SingleDatasetHasNoAverageAndAbsentAesIsNa) {
  // The base solves nothing and m solves everything: m's AES is undefined.
  auto rows =
      eval_table({graded_run("b", "x", {0}, {0}, {6}), graded_run("m", "x", {0}, {1}, {3})}, "b");
  ASSERT_TRUE(rows);
  const auto md = lines_of(paper_table_markdown(*rows));
  ASSERT_EQ(md.size(), 4u);
  EXPECT_EQ(md[0], "| model | x (n=1) Acc | Len | AES |");
  EXPECT_EQ(md[3], "| m | 100.0 | 3.0 | n/a |");
  const auto csv = lines_of(paper_table_csv(*rows));
  EXPECT_EQ(csv[0], "model,x_n,x_acc,x_len,x_aes");
  EXPECT_EQ(csv[2], "m,1,1,3,");
}

}  // namespace
}  // namespace leadrl::eval
