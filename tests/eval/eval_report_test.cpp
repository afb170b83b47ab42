// Tests of eval/eval_report: the eval table (pass@1, mean length, AES and deltas against
// the base model, evaluated in the run or read from a file; average rows) on synthetic
// per-sample grades checked by hand, its markdown and CSV renderings and the CSV
// read-back.
#include "eval/eval_report.hpp"

#include <gtest/gtest.h>

#include "tests/eval/sample_runs.hpp"

namespace leadrl::eval {
namespace {

TEST(EvalReport, TableMatchesHandComputation) {
  auto rows = eval_table(two_models_two_datasets(), "base");
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 6u);  // 2 models x (2 datasets + average)
  const auto& b1 = (*rows)[0];
  EXPECT_EQ(b1.model, "base");
  EXPECT_EQ(b1.dataset, "d1");
  EXPECT_EQ(b1.samples_per_problem, 2u);
  EXPECT_EQ(b1.problems, 2u);
  EXPECT_DOUBLE_EQ(b1.pass_at_1, 0.75);
  EXPECT_DOUBLE_EQ(b1.mean_length, 25.0);
  ASSERT_TRUE(b1.aes);
  EXPECT_DOUBLE_EQ(*b1.aes, 0.0);  // the base against itself
  const auto& bavg = (*rows)[2];
  EXPECT_EQ(bavg.dataset, eval_average_dataset);
  EXPECT_DOUBLE_EQ(bavg.pass_at_1, 0.875);
  EXPECT_DOUBLE_EQ(bavg.mean_length, 17.5);
  EXPECT_EQ(bavg.problems, 3u);

  const auto& m1 = (*rows)[3];
  EXPECT_EQ(m1.model, "m");
  EXPECT_DOUBLE_EQ(m1.pass_at_1, 0.75);
  EXPECT_DOUBLE_EQ(m1.mean_length, 10.0);
  ASSERT_TRUE(m1.aes);
  EXPECT_NEAR(*m1.aes, 0.6, 1e-12);  // dLen (25-10)/25 = 0.6, dAcc 0
  EXPECT_NEAR(m1.acc_delta, 0.0, 1e-12);
  EXPECT_NEAR(m1.len_delta, -0.6, 1e-12);
  const auto& m2 = (*rows)[4];
  EXPECT_DOUBLE_EQ(m2.pass_at_1, 0.5);
  ASSERT_TRUE(m2.aes);
  EXPECT_NEAR(*m2.aes, 0.5 - 5 * 0.5, 1e-12);  // dLen 0.5, dAcc -0.5 weighted by g = 5
  const auto& mavg = (*rows)[5];
  EXPECT_DOUBLE_EQ(mavg.pass_at_1, 0.625);
  EXPECT_DOUBLE_EQ(mavg.mean_length, 7.5);
  ASSERT_TRUE(mavg.aes);
  EXPECT_NEAR(*mavg.aes, -0.7, 1e-12);
  EXPECT_NEAR(mavg.acc_delta, -0.25, 1e-12);
  EXPECT_NEAR(mavg.len_delta, -0.55, 1e-12);
}

TEST(EvalReport, BaseResultsFromAFileMatchHandComputation) {
  auto rows = eval_table(model_m_runs(), file_base());
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->size(), 3u);  // m: d1, d2, average
  const auto& d1 = (*rows)[0];
  // dLen (20 - 10) / 20 = 0.5, dAcc (0.75 - 0.5) / 0.5 = 0.5 gained with b = 3: 2.0.
  ASSERT_TRUE(d1.aes);
  EXPECT_NEAR(*d1.aes, 2.0, 1e-12);
  EXPECT_NEAR(d1.acc_delta, 0.25, 1e-12);
  EXPECT_NEAR(d1.len_delta, -0.5, 1e-12);
  EXPECT_EQ(d1.truncated, 1u);
  const auto& d2 = (*rows)[1];
  // dLen (10 - 5) / 10 = 0.5, dAcc (0.5 - 1) / 1 = -0.5 lost with g = 5: -2.0.
  ASSERT_TRUE(d2.aes);
  EXPECT_NEAR(*d2.aes, -2.0, 1e-12);
  EXPECT_NEAR(d2.acc_delta, -0.5, 1e-12);
  const auto& avg = (*rows)[2];
  EXPECT_EQ(avg.dataset, eval_average_dataset);
  EXPECT_DOUBLE_EQ(avg.pass_at_1, 0.625);
  EXPECT_DOUBLE_EQ(avg.mean_length, 7.5);
  ASSERT_TRUE(avg.aes);
  EXPECT_NEAR(*avg.aes, 0.0, 1e-12);
  EXPECT_NEAR(avg.acc_delta, -0.125, 1e-12);
  EXPECT_NEAR(avg.len_delta, -0.5, 1e-12);
  EXPECT_EQ(avg.truncated, 3u);
  EXPECT_EQ(avg.samples_per_problem, 2u);
}

TEST(EvalReport, BaseResultsMissingADatasetNameTheFile) {
  auto base = file_base();
  base.rows.pop_back();  // no d2
  auto rows = eval_table(model_m_runs(), base);
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message().find("ref.json"), std::string::npos) << rows.error().message();
  EXPECT_NE(rows.error().message().find("'d2'"), std::string::npos);
  EXPECT_FALSE(base_rows(base, {"d1", "d2"}));
  EXPECT_FALSE(base_rows(base, {}));
}

TEST(EvalReport, BaseRowsCompareTheBaseWithItself) {
  auto own = base_rows(file_base(), {"d2", "d1"});
  ASSERT_TRUE(own) << own.error().message();
  ASSERT_EQ(own->size(), 3u);
  EXPECT_EQ((*own)[0].dataset, "d2");  // in the order asked for
  EXPECT_EQ((*own)[0].model, "ref");
  ASSERT_TRUE((*own)[0].aes);
  EXPECT_DOUBLE_EQ(*(*own)[0].aes, 0.0);
  EXPECT_DOUBLE_EQ((*own)[1].acc_delta, 0.0);
  EXPECT_DOUBLE_EQ((*own)[2].pass_at_1, 0.75);
  EXPECT_DOUBLE_EQ((*own)[2].mean_length, 15.0);
}

TEST(EvalReport, EvaluatedBaseHoldsTheBaseDatasetRows) {
  auto rows = eval_table(two_models_two_datasets(), "base");
  ASSERT_TRUE(rows);
  const auto base = evaluated_base(*rows, "base");
  EXPECT_EQ(base.model, "base");
  EXPECT_TRUE(base.source.empty());
  ASSERT_EQ(base.rows.size(), 2u);  // the average row left out
  EXPECT_EQ(base.rows[1].dataset, "d2");
  EXPECT_DOUBLE_EQ(base.rows[1].pass_at_1, 1.0);
}

TEST(EvalReport, NothingSolvedByEitherIsNoAccuracyChange) {
  // Base length 8, model length 4, both pass@1 0: AES = dLen = 0.5.
  auto rows =
      eval_table({graded_run("a", "d", {0}, {0}, {4}), graded_run("b", "d", {0}, {0}, {8})}, "b");
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_TRUE((*rows)[0].aes);
  EXPECT_NEAR(*(*rows)[0].aes, 0.5, 1e-12);
}

TEST(EvalReport, SingleDatasetHasNoAverageRow) {
  auto rows =
      eval_table({graded_run("a", "d", {0}, {1}, {3}), graded_run("b", "d", {0}, {0}, {6})}, "b");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].model, "a");
  EXPECT_FALSE((*rows)[0].aes);  // base pass@1 0: relative accuracy change undefined
  EXPECT_DOUBLE_EQ((*rows)[0].acc_delta, 1.0);
  EXPECT_DOUBLE_EQ((*rows)[0].len_delta, -0.5);
  EXPECT_NE(eval_markdown(*rows).find("n/a"), std::string::npos);
}

TEST(EvalReport, RejectsInconsistentRuns) {
  EXPECT_FALSE(eval_table({}, "base"));
  auto no_base = eval_table({graded_run("a", "d", {0}, {1}, {3})}, "base");
  ASSERT_FALSE(no_base);
  EXPECT_NE(no_base.error().message().find("base"), std::string::npos);
  auto twice =
      eval_table({graded_run("a", "d", {0}, {1}, {3}), graded_run("a", "d", {0}, {1}, {3})}, "a");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message().find("twice"), std::string::npos);
  auto missing =
      eval_table({graded_run("a", "d", {0}, {1}, {3}), graded_run("a", "e", {0}, {1}, {3}),
                  graded_run("b", "d", {0}, {1}, {3})},
                 "a");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("'b'"), std::string::npos);
  auto sizes = eval_table({graded_run("a", "d", {0, 1}, {1}, {3, 4})}, "a");
  ASSERT_FALSE(sizes);
  EXPECT_NE(sizes.error().message().find("model 'a', dataset 'd'"), std::string::npos);
}

TEST(EvalReport, MarkdownHasOneLinePerRow) {
  auto rows = eval_table(two_models_two_datasets(), "base");
  ASSERT_TRUE(rows);
  const std::string md = eval_markdown(*rows);
  std::size_t lines = 0;
  for (char c : md) lines += c == '\n';
  EXPECT_EQ(lines, 2 + rows->size());
  EXPECT_NE(md.find("| m | average | 2 | 3 | 62.5 | 7.5 | -0.700 | -25.0 | -55.0 | 0 |"),
            std::string::npos)
      << md;
}

TEST(EvalReport, CsvRoundTripsWithQuotedNames) {
  auto rows = eval_table({graded_run("base", "d,1", {0, 0}, {1, 0}, {10, 20}),
                          graded_run("lead \"v2\"", "d,1", {0, 0}, {1, 1}, {3, 4})},
                         "base");
  ASSERT_TRUE(rows);
  const std::string csv = eval_csv(*rows);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "model,dataset,n,problems,pass_at_1,mean_length,aes,acc_delta,len_delta");
  EXPECT_NE(csv.find("\"lead \"\"v2\"\"\",\"d,1\",2,1,1,3.5,"), std::string::npos) << csv;
  auto back = parse_eval_csv(csv);
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->size(), rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ((*back)[i].model, (*rows)[i].model);
    EXPECT_EQ((*back)[i].dataset, (*rows)[i].dataset);
    EXPECT_EQ((*back)[i].samples_per_problem, (*rows)[i].samples_per_problem);
    EXPECT_DOUBLE_EQ((*back)[i].pass_at_1, (*rows)[i].pass_at_1);
    EXPECT_DOUBLE_EQ((*back)[i].mean_length, (*rows)[i].mean_length);
    EXPECT_EQ((*back)[i].aes.has_value(), (*rows)[i].aes.has_value());
    if ((*rows)[i].aes) {
      EXPECT_DOUBLE_EQ(*(*back)[i].aes, *(*rows)[i].aes);
    }
    EXPECT_DOUBLE_EQ((*back)[i].len_delta, (*rows)[i].len_delta);
  }
}

TEST(EvalReport, CsvParseErrorsNameTheLine) {
  auto header = parse_eval_csv("model,dataset\n");
  ASSERT_FALSE(header);
  EXPECT_NE(header.error().message().find("line 1"), std::string::npos);
  const std::string h = "model,dataset,n,problems,pass_at_1,mean_length,aes,acc_delta,len_delta\n";
  auto count = parse_eval_csv(h + "a,d,1,1,0.5\n");
  ASSERT_FALSE(count);
  EXPECT_NE(count.error().message().find("line 2"), std::string::npos);
  auto number = parse_eval_csv(h + "a,d,1,1,0.5,x,,0,0\n");
  ASSERT_FALSE(number);
  EXPECT_NE(number.error().message().find("mean_length"), std::string::npos);
  EXPECT_FALSE(parse_eval_csv(h + "\"a,d,1,1,0.5,3,,0,0\n"));
  // Counts must be whole numbers size_t holds (found by fuzz_eval_files: 5e22 was converted).
  for (const char* n : {"50184467440737095516150", "-1", "2.5", "nan", "inf"}) {
    auto bad = parse_eval_csv(h + "a,d," + n + ",1,0.5,3,,0,0\n");
    ASSERT_FALSE(bad) << n;
    EXPECT_NE(bad.error().message().find("line 2: field 'n' is not a"), std::string::npos)
        << bad.error().message();
  }
  EXPECT_FALSE(parse_eval_csv(""));
}

}  // namespace
}  // namespace leadrl::eval
