// Tests of model/sft: the batch layout and its loss mask (prompt masked, response and EOS
// trained), the loss against a hand computation, the settings checks, and a short run that
// lowers the loss of a tiny decoder and evaluates it on held-out problems (also in shares,
// as ranks do).
#include "model/sft.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "model/char_tokenizer.hpp"
#include "model/chat_template.hpp"
#include "model/policy_loss.hpp"

namespace leadrl::model {
namespace {

io::hf_config char_config(int64_t hidden, int64_t context) {
  return io::qwen2_config(hidden, 2 * hidden, /*layers=*/1, /*heads=*/2, /*kv_heads=*/1,
                          static_cast<int64_t>(char_tokenizer::size), context);
}

TEST(SftBatch, MasksThePromptAndPadsOnTheRight) {
  const std::vector<sft_example> ex{{{1, 10, 11}, {12, 2}}, {{1, 10}, {13, 14, 15, 2}}};
  auto b = make_sft_batch(ex, 0);
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_EQ(b->input_ids.sizes(), (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(b->input_ids[0][3].item<int64_t>(), 12);
  EXPECT_EQ(b->input_ids[0][5].item<int64_t>(), 0);  // pad
  EXPECT_EQ(b->attention_mask[0].sum().item<int64_t>(), 5);
  // Row 0: tokens 3 and 4 (12, EOS) are trained -> shifted entries 2 and 3.
  const std::vector<float> want0{0, 0, 1, 1, 0};
  const std::vector<float> want1{0, 1, 1, 1, 1};
  for (int t = 0; t < 5; ++t) {
    EXPECT_EQ(b->loss_mask[0][t].item<float>(), want0[static_cast<std::size_t>(t)]) << t;
    EXPECT_EQ(b->loss_mask[1][t].item<float>(), want1[static_cast<std::size_t>(t)]) << t;
  }
}

TEST(SftBatch, RejectsEmptyInput) {
  EXPECT_FALSE(make_sft_batch({}, 0));
  EXPECT_FALSE(make_sft_batch({{{1}, {}}}, 0));
  EXPECT_FALSE(make_sft_batch({{{}, {2}}}, 0));
}

TEST(SftLoss, IsTheMeanCrossEntropyOfTheResponseTokens) {
  torch::manual_seed(3);
  decoder dec(char_config(16, 32));
  const std::vector<sft_example> ex{{{1, 20, 21}, {22, 2}}, {{1, 23}, {24, 25, 2}}};
  auto b = make_sft_batch(ex, 0);
  ASSERT_TRUE(b);
  auto loss = sft_loss(*dec, *b);
  ASSERT_TRUE(loss) << loss.error().message();
  // By hand: each row alone (no padding), summed over its response tokens.
  double sum = 0;
  int count = 0;
  for (const auto& e : ex) {
    std::vector<int64_t> ids = e.prompt;
    ids.insert(ids.end(), e.response.begin(), e.response.end());
    auto t = torch::tensor(ids).unsqueeze(0);
    auto logits = dec->forward(t, default_positions(1, t.size(1)));
    auto lp = gather_log_probs(logits.narrow(1, 0, t.size(1) - 1), t.narrow(1, 1, t.size(1) - 1));
    for (std::size_t k = e.prompt.size() - 1; k + 1 < ids.size(); ++k) {
      sum -= lp[0][static_cast<int64_t>(k)].item<double>();
      ++count;
    }
  }
  EXPECT_NEAR(loss->item<double>(), sum / count, 1e-5);
}

TEST(SftExample, EncodesPromptWithBosAndResponseWithEos) {
  auto p = io::generate_arith_problem({}, io::arith_split::train, 1, 0);
  ASSERT_TRUE(p);
  auto e = arith_sft_example(*p, "A:" + std::to_string(p->answer));
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->prompt.front(), char_tokenizer::bos);
  EXPECT_EQ(e->prompt.size(), p->prompt.size() + 1);
  EXPECT_EQ(e->response.back(), char_tokenizer::eos);
  EXPECT_FALSE(arith_sft_example(*p, "A:\t1"));  // tab is outside the vocabulary
}

TEST(SftSettings, NameTheBadField) {
  arith_sft_settings s;
  EXPECT_TRUE(validate(s));
  s.steps = 0;
  auto st = validate(s);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("steps"), std::string::npos);
  s = {};
  s.lr = -1;
  ASSERT_FALSE(validate(s));
  EXPECT_NE(validate(s).error().message().find("lr"), std::string::npos);
  s = {};
  s.verbosity.verbosity = 2;
  ASSERT_FALSE(validate(s));
  EXPECT_NE(validate(s).error().message().find("verbosity"), std::string::npos);
}

TEST(SftSettings, RefuseFewerSequencesThanRanks) {
  sft_settings s;
  s.batch_size = 2;
  sft_ranks ranks;
  ranks.size = 3;
  ranks.average_gradients = [](const std::vector<torch::Tensor>&) { return status::success(); };
  ranks.sum = [](std::vector<double>&) { return status::success(); };
  auto st = validate(s, ranks);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("batch_size"), std::string::npos);
  s.batch_size = 3;
  EXPECT_TRUE(validate(s, ranks));
  ranks.sum = nullptr;
  EXPECT_FALSE(validate(s, ranks));
}

// A sharded evaluation: each rank's figures before the sum are its share's totals over
// the whole set's size, so the shares' figures add up to the one-rank figures (each
// problem keeps its seed whatever share it is in).
TEST(SftEval, SharesAddUpToTheWholeSet) {
  torch::manual_seed(9);
  decoder dec(char_config(16, 64));
  dec->eval();
  io::arith_task_options task;
  task.max_difficulty = 2;
  auto problems = io::generate_arith_problems(task, io::arith_split::test, 4, 0, 5);
  ASSERT_TRUE(problems);
  auto whole = evaluate_arith(dec, *problems, 0.8, 12, 2, 7);
  ASSERT_TRUE(whole) << whole.error().message();
  sft_eval_result sum;
  for (int rank = 0; rank < 2; ++rank) {
    sft_ranks ranks;
    ranks.rank = rank;
    ranks.size = 2;
    ranks.sum = [](std::vector<double>&) { return status::success(); };  // this rank alone
    auto part = evaluate_arith(dec, *problems, 0.8, 12, 3, 7, ranks);
    ASSERT_TRUE(part) << part.error().message();
    sum.accuracy += part->accuracy;
    sum.greedy_accuracy += part->greedy_accuracy;
    sum.mean_length += part->mean_length;
    sum.greedy_mean_length += part->greedy_mean_length;
  }
  EXPECT_GT(whole->mean_length, 0.0);
  EXPECT_NEAR(sum.accuracy, whole->accuracy, 1e-12);
  EXPECT_NEAR(sum.greedy_accuracy, whole->greedy_accuracy, 1e-12);
  EXPECT_NEAR(sum.mean_length, whole->mean_length, 1e-12);
  EXPECT_NEAR(sum.greedy_mean_length, whole->greedy_mean_length, 1e-12);
}

TEST(SftRun, LowersTheLossAndEvaluatesHeldOutProblems) {
  torch::manual_seed(5);
  decoder dec(char_config(32, 96));
  arith_sft_settings s;
  s.task.min_difficulty = 1;
  s.task.max_difficulty = 1;
  s.verbosity = {0.0, 0.0};
  s.steps = 40;
  s.batch_size = 16;
  s.lr = 1e-2;
  s.warmup_steps = 2;
  s.max_response_tokens = 48;
  s.eval_every = 20;
  s.eval_problems = 8;
  std::vector<sft_progress> seen;
  auto r = run_arith_sft(dec, s, [&](const sft_progress& p) { seen.push_back(p); });
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].step, 20);
  EXPECT_EQ(seen[1].step, 40);
  EXPECT_TRUE(seen[1].has_eval);
  // The random model starts at ln(100) ~ 4.6 nats a token; the format alone is learnable.
  EXPECT_LT(seen[1].loss, seen[0].loss);
  EXPECT_LT(seen[1].loss, 2.5);
  EXPECT_GT(r->tokens, 0);
  EXPECT_GE(r->eval.accuracy, 0.0);
  EXPECT_LE(r->eval.accuracy, 1.0);
  EXPECT_GT(r->eval.mean_length, 0.0);
  EXPECT_LE(r->eval.mean_length, 48.0);
}

TEST(SftRun, ReportsProgressEveryProgressEveryStepsAndEvaluatesOnlyWhenDue) {
  decoder dec(char_config(16, 64));
  arith_sft_settings s;
  s.task.min_difficulty = 1;
  s.task.max_difficulty = 1;
  s.steps = 6;
  s.batch_size = 2;
  s.warmup_steps = 1;
  s.max_response_tokens = 32;
  s.eval_every = 4;
  s.progress_every = 2;
  s.eval_problems = 2;
  std::vector<sft_progress> seen;
  auto r = run_arith_sft(dec, s, [&](const sft_progress& p) { seen.push_back(p); });
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].step, 2);
  EXPECT_FALSE(seen[0].has_eval);
  EXPECT_EQ(seen[1].step, 4);
  EXPECT_TRUE(seen[1].has_eval);
  EXPECT_EQ(seen[2].step, 6);
  EXPECT_TRUE(seen[2].has_eval);  // the end
  for (const auto& p : seen) {
    EXPECT_GT(p.loss, 0.0);
    EXPECT_GT(p.tokens_per_s, 0.0);
  }
  s.progress_every = -1;
  EXPECT_FALSE(validate(s));
}

TEST(SftRun, RefusesAContextTooShortForTheResponses) {
  decoder dec(char_config(16, 32));
  arith_sft_settings s;
  s.steps = 1;
  s.max_response_tokens = 64;
  auto r = run_arith_sft(dec, s, nullptr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("context"), std::string::npos);
}

// JSONL pairs through the character tokenizer and the plain template (the BPE path is the
// same code with another tokenizer; tests/cli/math_recipe.sh and scripts/math_smoke.sh run
// it with the R1-distill tokenizer).
io::problem_dataset toy_pairs() {
  io::problem_dataset d;
  d.name = "toy";
  for (int i = 0; i < 6; ++i) {
    io::problem p;
    p.prompt_id = i;
    p.prompt = "Q" + std::to_string(i) + "?";
    p.response = "\\boxed{" + std::to_string(7 * i) + "}";
    p.answer = i % 2 == 0 ? std::to_string(7 * i) : "";
    d.rows.push_back(p);
  }
  d.rows[5].response = std::string(40, 'x');  // too long for the budget below
  return d;
}

TEST(SftCorpus, RendersPromptsAddsEosAndDropsWhatDoesNotFit) {
  const char_tokenizer tok;
  auto c = encode_sft_corpus(tok, chat_template::plain(), toy_pairs(), 8, 12);
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->examples.size(), 5U);
  EXPECT_EQ(c->dropped, 1);
  const auto prompt = tok.encode("Q2?", false);
  EXPECT_EQ(c->examples[2].prompt, std::vector<int64_t>(prompt.begin(), prompt.end()));
  auto response = tok.encode("\\boxed{14}", false);
  response.push_back(char_tokenizer::eos);
  EXPECT_EQ(c->examples[2].response, std::vector<int64_t>(response.begin(), response.end()));
  EXPECT_EQ(c->answers[2], "14");
  EXPECT_EQ(c->answers[1], "");
  auto tight = encode_sft_corpus(tok, chat_template::plain(), toy_pairs(), 2, 12);
  ASSERT_TRUE(tight);
  EXPECT_EQ(tight->examples.size(), 0U);  // every prompt has 3 characters
  EXPECT_EQ(tight->dropped, 6);
}

TEST(SftRun, JsonlPairsAreLearntAndTheAnsweredOnesEvaluated) {
  torch::manual_seed(9);
  decoder dec(char_config(32, 64));
  const char_tokenizer tok;
  auto c = encode_sft_corpus(tok, chat_template::plain(), toy_pairs(), 8, 12);
  ASSERT_TRUE(c);
  sft_settings s;
  s.steps = 60;
  s.batch_size = 5;
  s.lr = 1e-2;
  s.warmup_steps = 2;
  s.max_response_tokens = 12;
  s.eval_problems = 8;
  s.progress_every = 30;
  std::vector<sft_progress> seen;
  auto r = run_jsonl_sft(dec, tok, *c, s, [&](const sft_progress& p) { seen.push_back(p); });
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_FALSE(seen[0].has_eval);
  EXPECT_TRUE(seen[1].has_eval);
  EXPECT_LT(seen[1].loss, 0.5 * seen[0].loss);
  // Three answered pairs (0, 14, 28) are evaluated; the greedy model has learnt them.
  EXPECT_DOUBLE_EQ(r->eval.greedy_accuracy, 1.0);
  EXPECT_LE(r->eval.greedy_mean_length, 11.0);
  EXPECT_FALSE(run_jsonl_sft(dec, tok, sft_corpus{}, s, nullptr));
}

}  // namespace
}  // namespace leadrl::model
