// Sampler tests. Statistical bounds: N = 40000 draws (seeds 0..N-1, counter 0) from a
// fixed 6-token logit vector; the standard deviation of an empirical frequency is at most
// sqrt(0.25 / N) = 0.0025, and the test allows a max absolute deviation of 0.0125 (5
// sigma) from the truncated distribution, plus zero draws of filtered-out tokens.
#include "model/sampler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace leadrl::model {
namespace {

constexpr int64_t draws = 40000;
constexpr double freq_tol = 0.0125;

std::vector<double> frequencies(const torch::Tensor& logits_row, const sampling_params& p,
                                std::vector<double>* mean_logprob = nullptr) {
  const int64_t v = logits_row.size(0);
  auto logits = logits_row.unsqueeze(0).expand({draws, v}).contiguous();
  std::vector<uint64_t> seeds(draws), counters(draws, 0);
  for (int64_t i = 0; i < draws; ++i) seeds[static_cast<size_t>(i)] = static_cast<uint64_t>(i);
  auto s = sample(logits, p, seeds, counters);
  std::vector<double> f(static_cast<size_t>(v), 0.0);
  if (mean_logprob) mean_logprob->assign(static_cast<size_t>(v), 0.0);
  auto tok = s.tokens.accessor<int64_t, 1>();
  auto lp = s.logprobs.accessor<float, 1>();
  for (int64_t i = 0; i < draws; ++i) {
    f[static_cast<size_t>(tok[i])] += 1.0 / draws;
    if (mean_logprob) (*mean_logprob)[static_cast<size_t>(tok[i])] = lp[i];
  }
  return f;
}

TEST(sampler, uniform_stream_is_deterministic_and_well_spread) {
  EXPECT_EQ(uniform_from(7, 3), uniform_from(7, 3));
  EXPECT_NE(uniform_from(7, 3), uniform_from(7, 4));
  EXPECT_NE(uniform_from(7, 3), uniform_from(8, 3));
  double sum = 0;
  int below_tenth = 0;
  for (uint64_t i = 0; i < 100000; ++i) {
    double u = uniform_from(i / 100, i % 100);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    below_tenth += u < 0.1;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);            // sd of the mean ~0.0009
  EXPECT_NEAR(below_tenth / 100000.0, 0.1, 0.005);  // sd ~0.00095
}

TEST(sampler, top_p_frequencies_match_the_truncated_distribution) {
  // probs ~ {0.40, 0.25, 0.15, 0.10, 0.06, 0.04}; top_p = 0.75 keeps the first three
  // (mass before token 2 is 0.65 < 0.75, before token 3 is 0.80 >= 0.75).
  const std::vector<double> probs = {0.40, 0.25, 0.15, 0.10, 0.06, 0.04};
  std::vector<float> logit;
  for (double p : probs) logit.push_back(static_cast<float>(std::log(p)));
  // Shuffle ids so that "most likely" is not "lowest id".
  const std::vector<int64_t> order = {3, 0, 5, 1, 4, 2};
  std::vector<float> shuffled(6);
  for (size_t i = 0; i < 6; ++i) shuffled[static_cast<size_t>(order[i])] = logit[i];
  auto row = torch::tensor(shuffled, torch::kFloat32);

  std::vector<double> lp;
  auto f = frequencies(row, {1.0, 0, 0.75}, &lp);
  const double kept = 0.40 + 0.25 + 0.15;
  for (size_t i = 0; i < 6; ++i) {
    const double expect = i < 3 ? probs[i] / kept : 0.0;
    const size_t id = static_cast<size_t>(order[i]);
    if (i < 3) {
      EXPECT_NEAR(f[id], expect, freq_tol) << "token " << id;
      // Behaviour log-prob is that of the truncated, renormalised distribution.
      EXPECT_NEAR(lp[id], std::log(expect), 1e-5);
    } else {
      EXPECT_EQ(f[id], 0.0) << "filtered token " << id << " was drawn";
    }
  }
  // Without filtering, the frequencies follow the full distribution.
  auto full = frequencies(row, {1.0, 0, 1.0});
  for (size_t i = 0; i < 6; ++i)
    EXPECT_NEAR(full[static_cast<size_t>(order[i])], probs[i], freq_tol);
}

TEST(sampler, top_k_and_temperature_shape_the_distribution) {
  auto row = torch::tensor({0.0f, 1.0f, 2.0f, 0.5f}, torch::kFloat32);
  // top_k = 2 with temperature 2: softmax([2, 1] / 2) over ids {2, 1}.
  auto f = frequencies(row, {2.0, 2, 1.0});
  const double p2 = 1.0 / (1.0 + std::exp(-0.5));
  EXPECT_NEAR(f[2], p2, freq_tol);
  EXPECT_NEAR(f[1], 1.0 - p2, freq_tol);
  EXPECT_EQ(f[0] + f[3], 0.0);
  auto lp = filtered_log_probs(row.unsqueeze(0), {2.0, 2, 1.0});
  EXPECT_NEAR(lp[0][2].item<double>(), std::log(p2), 1e-6);
  EXPECT_TRUE(std::isinf(lp[0][0].item<double>()));
}

TEST(sampler, temperature_to_zero_equals_greedy) {
  torch::manual_seed(11);
  auto logits = torch::randn({64, 50}) * 3;
  std::vector<uint64_t> seeds(64), counters(64, 5);
  for (size_t i = 0; i < 64; ++i) seeds[i] = 1000 + i;
  auto greedy = sample(logits, {0.0, 0, 1.0}, seeds, counters);
  EXPECT_TRUE(torch::equal(greedy.tokens, logits.argmax(-1)));
  EXPECT_EQ(greedy.logprobs.abs().sum().item<double>(), 0.0);
  for (double t : {1e-2, 1e-3}) {
    auto cold = sample(logits, {t, 0, 1.0}, seeds, counters);
    EXPECT_TRUE(torch::equal(cold.tokens, logits.argmax(-1))) << "temperature " << t;
    EXPECT_LE(cold.logprobs.max().item<double>(), 0.0);
    EXPECT_TRUE(torch::isfinite(cold.logprobs).all().item<bool>());
    auto cold_p = sample(logits, {t, 5, 0.9}, seeds, counters);
    EXPECT_TRUE(torch::equal(cold_p.tokens, logits.argmax(-1)));
  }
}

TEST(sampler, each_row_depends_only_on_its_seed_and_logits) {
  torch::manual_seed(5);
  auto logits = torch::randn({8, 30});
  std::vector<uint64_t> seeds = {1, 2, 3, 4, 5, 6, 7, 8}, counters(8, 2);
  auto all = sample(logits, {0.9, 10, 0.95}, seeds, counters);
  for (int64_t i = 0; i < 8; ++i) {
    auto one =
        sample(logits.narrow(0, i, 1), {0.9, 10, 0.95}, {seeds[static_cast<size_t>(i)]}, {2});
    EXPECT_EQ(one.tokens[0].item<int64_t>(), all.tokens[i].item<int64_t>());
    EXPECT_EQ(one.logprobs[0].item<float>(), all.logprobs[i].item<float>());
  }
}

// The top-p filter as a stable descending sort of the whole row defines it.
torch::Tensor reference_top_p(const torch::Tensor& logits, double top_p) {
  auto [vals, ids] = torch::sort(logits, /*stable=*/true, -1, /*descending=*/true);
  auto probs = torch::softmax(vals, -1);
  auto before = torch::cumsum(probs, -1) - probs;
  vals = vals.masked_fill(before >= top_p, -std::numeric_limits<float>::infinity());
  auto out = torch::full(logits.sizes(), -std::numeric_limits<float>::infinity());
  return out.scatter(-1, ids, torch::log_softmax(vals, -1));
}

// Over a large vocabulary the nucleus is looked for among the 1,024 most likely tokens
// first; rows where that is not certain (a flat row, a tie at the 1,024th token) take the
// full sort. Every case keeps exactly the reference's set, ties in id order.
TEST(sampler, top_p_over_a_large_vocabulary_keeps_the_reference_set) {
  const int64_t v = 5000;
  torch::manual_seed(11);
  auto logits = torch::randn({4, v});
  logits[0].narrow(0, 100, 20).add_(12.0);  // peaked: a nucleus of about 20 tokens
  logits[1].fill_(0.0);                     // flat: the nucleus is most of the row
  // Ten tokens tied at the top, scattered ids: p = 0.5 keeps the six lowest ids.
  logits[2].fill_(0.0);
  const std::vector<int64_t> tied = {4000, 10, 2500, 7, 3000, 1, 4999, 200, 3, 1500};
  for (int64_t id : tied) logits[2][id] = 10.0;
  logits[3].fill_(-5.0);  // 2,000 ties around the 1,024th place, below a peak
  logits[3].narrow(0, 0, 2000).fill_(1.0);
  logits[3][4321] = 9.0;
  sampling_params p;
  p.top_p = 0.5;
  // Rows 0, 2 and 3 are certain among the top 1,024 (the fast path); the flat row is not,
  // and a batch holding it is sorted whole.
  for (const auto& rows : {std::vector<int64_t>{0, 2, 3}, std::vector<int64_t>{0, 1, 2, 3}}) {
    const auto batch = logits.index_select(0, torch::tensor(rows, torch::kLong));
    const auto got = filtered_log_probs(batch, p);
    const auto want = reference_top_p(batch, 0.5);
    EXPECT_TRUE(torch::equal(torch::isinf(got), torch::isinf(want))) << rows.size() << " rows";
    const auto finite = ~torch::isinf(want);
    EXPECT_LT((got - want).masked_select(finite).abs().max().item<float>(), 1e-5F);
    const auto kept2 = (~torch::isinf(got[rows.size() == 3 ? 1 : 2])).nonzero().reshape({-1});
    EXPECT_TRUE(torch::equal(kept2, torch::tensor({1, 3, 7, 10, 200, 1500}, torch::kLong)));
    EXPECT_LT((~torch::isinf(got[0])).sum().item<int64_t>(), 40);
  }
  EXPECT_GT((~torch::isinf(filtered_log_probs(logits.narrow(0, 1, 1), p))).sum().item<int64_t>(),
            1024);  // the flat row's nucleus is beyond the top 1,024
}

TEST(sampler, invalid_params_are_reported) {
  EXPECT_FALSE(validate(sampling_params{-1.0, 0, 1.0}).ok());
  EXPECT_FALSE(validate(sampling_params{1.0, -3, 1.0}).ok());
  EXPECT_FALSE(validate(sampling_params{1.0, 0, 0.0}).ok());
  auto s = validate(sampling_params{1.0, 0, 1.5});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("top_p"), std::string::npos);
  EXPECT_TRUE(validate(sampling_params{0.0, 0, 1.0}).ok());
}

}  // namespace
}  // namespace leadrl::model
