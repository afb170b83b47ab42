#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "io/data_sampler.hpp"
#include "io/problem_dataset.hpp"
#include "tests/support/shared_data.hpp"

namespace leadrl::io {
namespace {

TEST(ProblemDataset, LoadsTheMathTrainingSplitWithReadyPrompts) {
  auto ds = load_problems(test::shared_path("data/math/train.jsonl"), {});
  ASSERT_TRUE(ds.ok()) << ds.error().message();
  EXPECT_EQ(ds->name, "train");
  ASSERT_EQ(ds->rows.size(), 8521u);
  EXPECT_EQ(ds->rows[0].id, "math-train-00000");
  EXPECT_EQ(ds->rows[0].answer, "118");
  EXPECT_EQ(ds->rows[8520].prompt_id, 8520);
  const std::string suffix =
      "Let's think step by step and output the final answer within \\boxed{}.";
  EXPECT_EQ(ds->rows[0].prompt.substr(ds->rows[0].prompt.size() - suffix.size()), suffix);
}

TEST(ProblemDataset, EvalSetsGetTheInstructionAppended) {
  auto ds = load_problems(test::shared_path("data/eval/aime24.jsonl"), {});
  ASSERT_TRUE(ds.ok()) << ds.error().message();
  EXPECT_EQ(ds->rows.size(), 30u);
  EXPECT_NE(ds->rows[0].prompt.find("Aya"), std::string::npos);
  EXPECT_NE(ds->rows[0].prompt.find("\\boxed{}"), std::string::npos);
}

TEST(ProblemDataset, BadFilesNameTheFileAndLine) {
  const std::string path = std::string(LEADRL_BINARY_DIR) + "/bad_problems.jsonl";
  std::ofstream(path) << "{\"prompt\": \"a\", \"answer\": \"1\"}\n[1,2]\n";
  auto bad = load_problems(path, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("line 2"), std::string::npos) << bad.error().message();
  std::ofstream(path) << "{\"prompt\": \"a\"}\n";
  auto no_answer = load_problems(path, {});
  ASSERT_FALSE(no_answer.ok());
  EXPECT_NE(no_answer.error().message().find("'answer'"), std::string::npos);
  auto missing = load_problems("/nonexistent.jsonl", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("/nonexistent.jsonl"), std::string::npos);
}

TEST(ProblemDataset, NumericAnswersKeepTheirValue) {
  // An integer above INT64_MAX used to be read as int64 and wrapped ("-1").
  const std::string path = std::string(LEADRL_BINARY_DIR) + "/numeric_answers.jsonl";
  std::ofstream(path) << "{\"prompt\": \"a\", \"answer\": 18446744073709551615}\n"
                      << "{\"prompt\": \"b\", \"answer\": -12}\n"
                      << "{\"prompt\": \"c\", \"answer\": 0.5}\n";
  auto ds = load_problems(path, {});
  ASSERT_TRUE(ds.ok()) << ds.error().message();
  ASSERT_EQ(ds->rows.size(), 3u);
  EXPECT_EQ(ds->rows[0].answer, "18446744073709551615");
  EXPECT_EQ(ds->rows[1].answer, "-12");
  EXPECT_EQ(ds->rows[2].answer, "0.5");
}

TEST(ProblemDataset, SftPairsNeedAResponseAndMayLackAnAnswer) {
  const std::string path = std::string(LEADRL_BINARY_DIR) + "/sft_pairs.jsonl";
  std::ofstream(path) << "{\"prompt\": \"a\", \"response\": \"r1\", \"answer\": 3}\n"
                      << "{\"problem\": \"b\", \"response\": \"r2\"}\n";
  problem_fields f;
  f.answer_required = false;
  f.response_required = true;
  auto ds = load_problems(path, f);
  ASSERT_TRUE(ds.ok()) << ds.error().message();
  ASSERT_EQ(ds->rows.size(), 2u);
  EXPECT_EQ(ds->rows[0].response, "r1");
  EXPECT_EQ(ds->rows[0].answer, "3");
  EXPECT_EQ(ds->rows[1].answer, "");
  EXPECT_EQ(ds->rows[1].prompt, "b" + f.instruction_suffix);
  std::ofstream(path) << "{\"prompt\": \"a\", \"answer\": \"1\"}\n";
  auto no_response = load_problems(path, f);
  ASSERT_FALSE(no_response.ok());
  EXPECT_NE(no_response.error().message().find("line 1: expected a text field 'response'"),
            std::string::npos)
      << no_response.error().message();
  EXPECT_TRUE(load_problems(path, {}).ok());  // a response is optional by default
}

TEST(DataSampler, EpochsArePermutationsAndDropTheTail) {
  auto s = data_sampler::make(10, 3, 42);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->steps_per_epoch(), 3);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 3; ++i) {
    for (auto id : s->next_batch()) seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 9u);  // 9 distinct rows, one dropped
  EXPECT_EQ(s->state().epoch, 0);
  s->next_batch();
  EXPECT_EQ(s->state().epoch, 1);
  EXPECT_NE(data_sampler::epoch_order(10, 42, 0), data_sampler::epoch_order(10, 42, 1));
  EXPECT_NE(data_sampler::epoch_order(10, 42, 0), data_sampler::epoch_order(10, 43, 0));
}

TEST(DataSampler, RestoredSamplerContinuesExactlyAcrossAnEpochBoundary) {
  auto a = data_sampler::make(11, 4, 7);
  ASSERT_TRUE(a.ok());
  for (int i = 0; i < 3; ++i) a->next_batch();  // step 3 crosses into epoch 1
  auto b = data_sampler::make(11, 4, 7);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(b->restore(a->state()).ok());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a->next_batch(), b->next_batch()) << "batch " << i;
  EXPECT_FALSE(b->restore({0, 99}).ok());
  EXPECT_FALSE(data_sampler::make(3, 4, 1).ok());
  EXPECT_FALSE(data_sampler::make(3, 0, 1).ok());
}

}  // namespace
}  // namespace leadrl::io
