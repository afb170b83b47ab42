// Generation engine tests on a tiny random Qwen2-shaped decoder (float32 CPU). Token
// equality across batch compositions is exact: each rollout draws u from its own
// (seed, counter) stream, and logits differ across batch shapes only by float rounding
// (checked against a teacher-forced recomputation within 1e-4).
#include "model/generation_engine.hpp"

#include <gtest/gtest.h>

#include "model/decoder.hpp"

namespace leadrl::model {
namespace {

decoder make_model() {
  torch::manual_seed(17);
  decoder d(io::qwen2_config(/*hidden=*/32, /*intermediate=*/64, /*layers=*/2, /*heads=*/4,
                             /*kv_heads=*/2, /*vocab=*/24, /*max_positions=*/256));
  torch::NoGradGuard g;
  // Larger weights than the 0.02 init so the next-token distribution is far from uniform.
  for (auto& p : d->parameters()) {
    if (p.dim() == 2) p.mul_(25.0);
  }
  return d;
}

// Generation with `sampling`, at most `max_new_tokens` a rollout, `max_batch` slots.
generation_params params(sampling_params sampling, int64_t max_new_tokens, int64_t max_batch) {
  generation_params p;
  p.sampling = sampling;
  p.max_new_tokens = max_new_tokens;
  p.max_batch = max_batch;
  return p;
}

// The logits of every position of `seq`, computed in one forward pass ([len, vocab]).
torch::Tensor full_logits(decoder& model, const std::vector<int64_t>& seq) {
  const auto n = static_cast<int64_t>(seq.size());
  return model->forward(torch::tensor(seq, torch::kLong).unsqueeze(0), default_positions(1, n))[0];
}

std::vector<generation_request> requests() {
  return {{{3, 4, 5}, 101}, {{7}, 202},      {{9, 10, 11, 12, 13, 14, 15}, 303},
          {{2, 2, 3}, 404}, {{20, 21}, 505}, {{6, 5, 4, 3, 2}, 606}};
}

TEST(generation, same_seeds_give_same_tokens_whatever_the_batch) {
  auto model = make_model();
  generation_params p = params({1.0, 0, 0.95}, /*max_new_tokens=*/12, /*max_batch=*/8);
  auto reqs = requests();
  auto together = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(together.ok()) << together.error().message();
  auto again = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(again.ok());
  // Continuous batching with 2 slots: rollouts leave and waiting ones take their slots.
  p.max_batch = 2;
  auto two_slots = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(two_slots.ok());
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ((*together)[i].tokens, (*again)[i].tokens);
    EXPECT_EQ((*together)[i].tokens, (*two_slots)[i].tokens) << "request " << i;
    auto alone = generation_engine(model, p).generate({reqs[i]});
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ((*together)[i].tokens, (*alone)[0].tokens) << "request " << i;
    for (size_t j = 0; j < (*alone)[0].logprobs.size(); ++j) {
      EXPECT_NEAR((*together)[i].logprobs[j], (*alone)[0].logprobs[j], 1e-4);
    }
    EXPECT_EQ((*together)[i].tokens.size(), 12u);
    EXPECT_EQ((*together)[i].reason, finish_reason::length);
  }
  // Different seeds give different rollouts (24-token vocab, 12 tokens: a collision of
  // all six would be astronomically unlikely).
  auto other = reqs;
  for (auto& r : other) r.seed += 1;
  auto shifted = generation_engine(model, p).generate(other);
  ASSERT_TRUE(shifted.ok());
  int same = 0;
  for (size_t i = 0; i < reqs.size(); ++i) same += (*shifted)[i].tokens == (*together)[i].tokens;
  EXPECT_LT(same, 6);
}

TEST(generation, behaviour_logprobs_match_a_teacher_forced_recomputation) {
  auto model = make_model();
  generation_params p = params({0.7, 8, 0.9}, /*max_new_tokens=*/10, /*max_batch=*/3);
  auto reqs = requests();
  auto out = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(out.ok());
  torch::NoGradGuard g;
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::vector<int64_t> seq = reqs[i].prompt;
    const auto& o = (*out)[i];
    seq.insert(seq.end(), o.tokens.begin(), o.tokens.end());
    auto lp = filtered_log_probs(full_logits(model, seq), p.sampling);
    const int64_t start = static_cast<int64_t>(reqs[i].prompt.size()) - 1;
    for (size_t j = 0; j < o.tokens.size(); ++j) {
      const double expect = lp[start + static_cast<int64_t>(j)][o.tokens[j]].item<double>();
      EXPECT_NEAR(o.logprobs[j], expect, 1e-4) << "request " << i << " token " << j;
    }
  }
}

TEST(generation, greedy_follows_the_argmax_of_a_full_forward) {
  auto model = make_model();
  generation_params p = params({0.0, 0, 1.0}, /*max_new_tokens=*/8, /*max_batch=*/4);
  auto reqs = requests();
  auto out = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(out.ok());
  p.sampling = {1e-4, 0, 1.0};  // temperature -> 0 equals greedy
  auto cold = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(cold.ok());
  torch::NoGradGuard g;
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::vector<int64_t> seq = reqs[i].prompt;
    for (size_t j = 0; j < (*out)[i].tokens.size(); ++j) {
      const int64_t best = full_logits(model, seq)[-1].argmax().item<int64_t>();
      ASSERT_EQ((*out)[i].tokens[j], best) << "request " << i << " step " << j;
      seq.push_back(best);
    }
    EXPECT_EQ((*cold)[i].tokens, (*out)[i].tokens);
  }
}

TEST(generation, eos_and_stop_tokens_end_rollouts_and_free_slots) {
  auto model = make_model();
  generation_params p = params({1.0, 0, 1.0}, /*max_new_tokens=*/40, /*max_batch=*/2);
  auto reqs = requests();
  auto free_run = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(free_run.ok());
  // Make the 3rd token of rollout 0 an EOS and the 2nd of rollout 1 a stop token; as the
  // tokens before are unchanged, both rollouts end exactly there.
  const int64_t eos = (*free_run)[0].tokens[2];
  const int64_t stop = (*free_run)[1].tokens[1];
  p.eos_token_ids = {eos};
  p.stop_token_ids = {stop};
  auto out = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(out.ok());
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& o = (*out)[i];
    ASSERT_FALSE(o.tokens.empty());
    EXPECT_EQ(o.tokens.size(), o.logprobs.size());
    const int64_t last = o.tokens.back();
    for (size_t j = 0; j + 1 < o.tokens.size(); ++j) {
      EXPECT_NE(o.tokens[j], eos);
      EXPECT_NE(o.tokens[j], stop);
    }
    if (o.reason == finish_reason::eos) {
      EXPECT_EQ(last, eos);
    } else if (o.reason == finish_reason::stop_token) {
      EXPECT_EQ(last, stop);
    } else {
      EXPECT_EQ(o.tokens.size(), 40u);
    }
    // The prefix before the end matches the unconstrained run (same seed stream).
    for (size_t j = 0; j < o.tokens.size(); ++j) EXPECT_EQ(o.tokens[j], (*free_run)[i].tokens[j]);
  }
  EXPECT_LE((*out)[0].tokens.size(), 3u);
  EXPECT_LE((*out)[1].tokens.size(), 2u);
}

TEST(generation, progress_counts_finished_rollouts_and_tokens) {
  auto model = make_model();
  generation_params p = params({1.0, 0, 1.0}, /*max_new_tokens=*/40, /*max_batch=*/2);
  auto reqs = requests();
  auto free_run = generation_engine(model, p).generate(reqs);
  ASSERT_TRUE(free_run.ok());
  p.eos_token_ids = {(*free_run)[0].tokens[2]};  // some rollouts end early, others run on
  std::vector<generation_progress> seen;
  auto out = generation_engine(model, p).generate(
      reqs, [&](const generation_progress& g) { seen.push_back(g); });
  ASSERT_TRUE(out.ok());
  int64_t tokens = 0;
  for (const auto& o : *out) tokens += static_cast<int64_t>(o.tokens.size());
  ASSERT_GT(seen.size(), 1u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].total, 6);
    if (i > 0) {
      EXPECT_GE(seen[i].finished, seen[i - 1].finished);
      EXPECT_GT(seen[i].generated_tokens, seen[i - 1].generated_tokens);
    }
  }
  EXPECT_LT(seen.front().finished, 6);
  EXPECT_EQ(seen.back().finished, 6);
  EXPECT_EQ(seen.back().generated_tokens, tokens);
}

TEST(generation, bad_requests_and_params_are_errors) {
  auto model = make_model();
  generation_params p;
  p.max_new_tokens = 4;
  generation_engine engine(model, p);
  auto empty = engine.generate({{{}, 1}});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("requests[0]"), std::string::npos);
  auto bad_id = engine.generate({{{1, 2}, 1}, {{3, 99}, 2}});
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.error().message().find("requests[1]: token id 99"), std::string::npos);
  generation_params long_p = p;
  long_p.max_new_tokens = 300;
  auto too_long = generation_engine(model, long_p).generate({{{1, 2}, 1}});
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message().find("max_position_embeddings"), std::string::npos);
  generation_params bad_p = p;
  bad_p.sampling.top_p = 0;
  EXPECT_FALSE(generation_engine(model, bad_p).generate({{{1}, 1}}).ok());
  auto none = engine.generate({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace leadrl::model
