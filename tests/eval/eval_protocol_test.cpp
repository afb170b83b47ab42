// Tests of eval/eval_protocol: the paper's protocol (five benchmarks with their n, T 0.8,
// top-p 0.9), loading its sets from the shared folder's data/eval with a limit, the
// default data folder, and a missing folder named in the error.
#include "eval/eval_protocol.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/shared_data.hpp"

namespace leadrl::eval {
namespace {

TEST(EvalProtocol, PaperHasFiveSetsWithTheirN) {
  const auto& p = paper_protocol();
  EXPECT_EQ(p.name, "paper");
  EXPECT_DOUBLE_EQ(p.temperature, 0.8);
  EXPECT_DOUBLE_EQ(p.top_p, 0.9);
  EXPECT_EQ(describe_sets(p),
            "math500 n=3, olympiadbench n=3, aime24 n=10, aime25 n=10, amc23 n=10");
  EXPECT_EQ(find_protocol("paper"), &p);
  EXPECT_EQ(find_protocol("Paper"), nullptr);
}

TEST(EvalProtocol, LoadsTheSharedSetsWithALimit) {
  auto sets = load_protocol_sets(paper_protocol(), test::shared_path("data/eval"), 2);
  ASSERT_TRUE(sets) << sets.error().message();
  ASSERT_EQ(sets->size(), 5u);
  const std::int64_t n[] = {3, 3, 10, 10, 10};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*sets)[i].name, paper_protocol().sets[i].name);
    EXPECT_EQ((*sets)[i].samples_per_problem, n[i]);
    EXPECT_EQ((*sets)[i].problems.rows.size(), 2u);
    EXPECT_FALSE((*sets)[i].arith);
  }
  auto all = load_protocol_sets(paper_protocol(), test::shared_path("data/eval"), 0);
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)[0].problems.rows.size(), 500u);  // MATH-500
  EXPECT_EQ((*all)[2].problems.rows.size(), 30u);   // AIME24
}

TEST(EvalProtocol, MissingFolderNamesTheFilesExpected) {
  auto sets = load_protocol_sets(paper_protocol(), "/nonexistent/eval", 0);
  ASSERT_FALSE(sets);
  const auto& m = sets.error().message();
  EXPECT_NE(m.find("/nonexistent/eval/math500.jsonl"), std::string::npos) << m;
  EXPECT_NE(m.find("amc23.jsonl"), std::string::npos) << m;
}

TEST(EvalProtocol, DefaultDataDirFollowsLeadrlShared) {
  const char* before = std::getenv("LEADRL_SHARED");
  const std::string saved = before ? before : "";
  setenv("LEADRL_SHARED", "/some/shared", 1);
  EXPECT_EQ(default_eval_data_dir(), "/some/shared/data/eval");
  unsetenv("LEADRL_SHARED");
  EXPECT_EQ(default_eval_data_dir(), "../shared/data/eval");
  if (before) setenv("LEADRL_SHARED", saved.c_str(), 1);
}

}  // namespace
}  // namespace leadrl::eval
