// Tests of eval/eval_run on a tiny random character-level model written as a Hugging
// Face folder (config.json + model.safetensors + tokenizer.json): loading, sampling n
// answers per problem with per-sample seeds (reproducible), grading, and the errors of a
// missing folder, and sharded evaluation (shares joined equal the whole run). EvalRun.WritesTinyModelDir also serves the CLI test of `leadrl eval`:
// it writes the folder to $LEADRL_TINY_MODEL_DIR when that is set.
#include "eval/eval_run.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "eval/eval_shards.hpp"
#include "io/arith_task.hpp"
#include "io/train_options.hpp"
#include "model/char_tokenizer.hpp"
#include "model/checkpoint.hpp"
#include "model/decoder.hpp"
#include "model/policy_config.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::eval {
namespace {

// A 1-layer random decoder over the character vocabulary with a 64-token context.
void write_tiny_model(const std::string& dir) {
  io::train_options o;
  o.data.max_prompt_length = 32;
  o.data.max_response_length = 24;
  auto c = model::random_policy_config(o);
  ASSERT_TRUE(c) << c.error().message();
  torch::manual_seed(11);
  model::decoder dec(*c);
  std::filesystem::create_directories(dir);
  auto saved = model::save_decoder(*dec, dir);
  ASSERT_TRUE(saved) << saved.error().message();
  auto tok = model::save_char_tokenizer(dir);
  ASSERT_TRUE(tok) << tok.error().message();
}

// write_tiny_model to `dir`, then loaded (null after a failure, which the test reports).
std::unique_ptr<eval_model> load_tiny_model(const std::string& dir) {
  write_tiny_model(dir);
  auto m = eval_model::load("tiny", dir);
  EXPECT_TRUE(m) << (m ? "" : m.error().message());
  return m ? std::move(*m) : nullptr;
}

eval_dataset arith_problems(std::size_t count) {
  io::arith_task_options task;
  task.max_difficulty = 2;
  auto p = io::generate_arith_problems(task, io::arith_split::test, 3, 0, count);
  EXPECT_TRUE(p);
  return {"arith", io::to_problem_dataset(*p, "arith"), true};
}

TEST(EvalRun, WritesTinyModelDir) {
  const char* env = std::getenv("LEADRL_TINY_MODEL_DIR");
  std::optional<test::temp_dir> scratch;  // none when the model is kept for later tests
  if (!(env && *env)) scratch.emplace("eval_tiny");
  const std::string dir = scratch ? scratch->str() : env;
  write_tiny_model(dir);
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / "config.json"));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / "tokenizer.json"));
  auto m = eval_model::load("tiny", dir);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ((*m)->name(), "tiny");
}

TEST(EvalRun, SamplesAndGradesNPerProblemReproducibly) {
  const test::temp_dir scratch("eval_samples");
  const std::string dir = scratch.str();
  write_tiny_model(dir);
  auto m = eval_model::load("tiny", dir);
  ASSERT_TRUE(m) << m.error().message();
  eval_sampling s;
  s.samples_per_problem = 3;
  s.max_new_tokens = 1000;  // lowered to the 64-token context minus the longest prompt
  s.max_batch = 4;
  const auto data = arith_problems(4);
  auto a = (*m)->evaluate(data, s);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->model, "tiny");
  EXPECT_EQ(a->dataset, "arith");
  ASSERT_EQ(a->problem_ids.size(), 12u);
  EXPECT_EQ(a->problem_ids, (std::vector<lead::prompt_id>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3}));
  const auto& t = (*m)->last_throughput();
  EXPECT_EQ(t.samples, 12);
  EXPECT_LT(t.max_new_tokens, 64);
  EXPECT_GE(t.max_new_tokens, 64 - 20);  // prompts "Q:ab+cd=?\n" + BOS are short
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_TRUE(a->correctness[i] == 0.0 || a->correctness[i] == 1.0);
    EXPECT_GE(a->lengths[i], 1.0);
    EXPECT_LE(a->lengths[i], static_cast<double>(t.max_new_tokens));
  }
  // A random model rambles: most answers hit the limit, and they are not all identical.
  EXPECT_GT(t.truncated, 0);
  auto b = (*m)->evaluate(data, s);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->lengths, b->lengths);  // per-sample seeds: same answers again
  // A JSONL-style set (graded by the MATH grader) uses the plain prompt for a char model.
  eval_dataset jsonl{"toy", {"toy", {{0, "q0", "1+1=?", "2", ""}}}, false};
  s.samples_per_problem = 2;
  auto d = (*m)->evaluate(jsonl, s);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->lengths.size(), 2u);
}

// What a sharded run relies on: the shares of the problems, answered apart (with other
// batch mates) and joined in rank order, are bit-identical to the whole run.
TEST(EvalRun, SharesJoinedInOrderAreTheWholeRun) {
  const test::temp_dir scratch("eval_shares");
  auto m = load_tiny_model(scratch.str());
  ASSERT_TRUE(m);
  eval_sampling s;
  s.samples_per_problem = 2;
  s.max_new_tokens = 12;
  s.max_batch = 3;
  const auto data = arith_problems(5);
  auto whole = m->evaluate(data, s);
  ASSERT_TRUE(whole) << whole.error().message();
  const auto whole_tokens = m->last_throughput().generated_tokens;
  std::vector<std::string> shares;
  for (int rank = 0; rank < 3; ++rank) {
    auto part = m->evaluate(data, s, {}, rank_share(5, rank, 3));
    ASSERT_TRUE(part) << part.error().message();
    EXPECT_EQ(part->problem_ids.size(), 2 * rank_share(5, rank, 3).count);
    shares.push_back(encode_share(*part, m->last_throughput()));
  }
  auto joined = join_shares("tiny", "arith", shares);
  ASSERT_TRUE(joined) << joined.error().message();
  EXPECT_EQ(joined->samples.problem_ids, whole->problem_ids);
  EXPECT_EQ(joined->samples.correctness, whole->correctness);
  EXPECT_EQ(joined->samples.lengths, whole->lengths);
  EXPECT_EQ(joined->samples.truncated, whole->truncated);
  EXPECT_EQ(joined->throughput.generated_tokens, whole_tokens);
  EXPECT_EQ(joined->throughput.samples, 10);
  // An empty share is an answer too; a share past the end is refused.
  auto none = m->evaluate(data, s, {}, index_range{5, 0});
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->problem_ids.empty());
  EXPECT_FALSE(m->evaluate(data, s, {}, index_range{4, 2}));
}

TEST(EvalRun, DatasetNOverridesSamplingNAndProgressReachesTheTotal) {
  const test::temp_dir scratch("eval_progress");
  auto m = load_tiny_model(scratch.str());
  ASSERT_TRUE(m);
  eval_sampling s;
  s.samples_per_problem = 2;
  s.max_new_tokens = 12;
  s.max_batch = 4;
  auto data = arith_problems(2);
  data.samples_per_problem = 3;  // a protocol's per-set n wins over the sampling's
  std::vector<eval_progress> seen;
  auto a = m->evaluate(data, s, [&](const eval_progress& p) { seen.push_back(p); });
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->problem_ids, (std::vector<lead::prompt_id>{0, 0, 0, 1, 1, 1}));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().samples_total, 6);
  EXPECT_EQ(seen.back().samples_done, 6);
  EXPECT_EQ(seen.back().generated_tokens, m->last_throughput().generated_tokens);
  EXPECT_GE(seen.back().seconds, seen.front().seconds);
  EXPECT_EQ(seen.back().token_budget, 6 * m->last_throughput().max_new_tokens);
  EXPECT_EQ(a->truncated, static_cast<std::size_t>(m->last_throughput().truncated));
  std::size_t at_limit = 0;
  for (double len : a->lengths) at_limit += len == 12.0 ? 1 : 0;
  EXPECT_GE(at_limit, a->truncated);  // a cut answer has exactly the budget's length
}

TEST(EvalRun, ErrorsNameTheInput) {
  auto missing = eval_model::load("x", "/nonexistent/model");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/model"), std::string::npos);
  const test::temp_dir scratch("eval_errors");
  const std::string dir = scratch.str();
  auto empty = eval_model::load("x", dir);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find(dir), std::string::npos);
  write_tiny_model(dir);
  auto m = eval_model::load("x", dir);
  ASSERT_TRUE(m);
  eval_dataset none{"none", {"none", {}}, true};
  EXPECT_FALSE((*m)->evaluate(none, {}));
  eval_sampling zero;
  zero.samples_per_problem = 0;
  EXPECT_FALSE((*m)->evaluate(arith_problems(1), zero));
}

}  // namespace
}  // namespace leadrl::eval
