#include "model/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "base/splitmix64.hpp"

namespace leadrl::model {
namespace {

struct filtered {
  torch::Tensor logp;  // [B, K] log-probs of the candidates (-inf when filtered out)
  torch::Tensor ids;   // [B, K] token id of each candidate
};

// The nucleus of a peaked distribution (a trained model's) is a small part of a large
// vocabulary: it is looked for among this many most likely tokens before sorting them all.
constexpr int64_t k_nucleus_candidates = 1024;

// Top-p over the k most likely tokens of each row, in the order and with the cut of a
// stable descending sort of the whole row, or nothing when that is not certain for every
// row: the cut must fall inside the k, and the last kept token must be strictly more likely
// than the k-th (so that no token outside the k, tie or not, could precede it).
std::optional<filtered> nucleus_among_top(const torch::Tensor& scaled, double top_p) {
  const int64_t k = std::min<int64_t>(k_nucleus_candidates, scaled.size(-1));
  auto [vals, ids] = torch::topk(scaled, k, -1, /*largest=*/true, /*sorted=*/true);
  // Ties in id order, as the stable sort has them: order by id, then stably by value.
  torch::Tensor by_id;
  std::tie(ids, by_id) = torch::sort(ids, -1);  // ids are distinct
  vals = vals.gather(-1, by_id);
  auto order = std::get<1>(torch::sort(vals, /*stable=*/true, -1, /*descending=*/true));
  ids = ids.gather(-1, order);
  vals = vals.gather(-1, order);
  // Probabilities under the whole row's softmax; the mass strictly before each candidate.
  const auto probs = torch::exp(vals - torch::logsumexp(scaled, -1, /*keepdim=*/true));
  const auto cut = (torch::cumsum(probs, -1) - probs) >= top_p;
  const auto kept = (~cut).sum(-1, /*keepdim=*/true);  // >= 1: the first is always kept
  const auto last_kept = vals.gather(-1, kept - 1);
  const auto certain = cut.any(-1, /*keepdim=*/true) & (last_kept > vals.narrow(-1, k - 1, 1));
  if (!certain.all().item<bool>()) return std::nullopt;
  vals = vals.masked_fill(cut, -std::numeric_limits<float>::infinity());
  return filtered{torch::log_softmax(vals, -1), ids};
}

// Candidates in decreasing probability when a filter needs the order, else in id order
// (the inverse CDF is then over ids, which is just as exact and avoids a sort of V).
filtered filter(const torch::Tensor& logits, const sampling_params& p) {
  auto scaled = logits.to(torch::kFloat32) / p.temperature;
  const int64_t vocab = scaled.size(-1);
  torch::Tensor vals, ids;
  if (p.top_k > 0 && p.top_k < vocab) {
    std::tie(vals, ids) = torch::topk(scaled, p.top_k, -1, /*largest=*/true, /*sorted=*/true);
  } else if (p.top_p < 1.0) {
    if (vocab > k_nucleus_candidates) {
      if (auto f = nucleus_among_top(scaled, p.top_p)) return *f;
    }
    std::tie(vals, ids) = torch::sort(scaled, /*stable=*/true, -1, /*descending=*/true);
  } else {
    vals = scaled;
    ids = torch::arange(vocab, torch::TensorOptions().dtype(torch::kLong).device(scaled.device()))
              .unsqueeze(0)
              .expand_as(scaled);
  }
  if (p.top_p < 1.0) {
    auto probs = torch::softmax(vals, -1);
    // Keep a token while the mass strictly before it is below top_p: the smallest prefix
    // reaching top_p, and always the first.
    auto before = torch::cumsum(probs, -1) - probs;
    vals = vals.masked_fill(before >= p.top_p, -std::numeric_limits<float>::infinity());
  }
  return {torch::log_softmax(vals, -1), ids};
}

}  // namespace

status validate(const sampling_params& p) {
  if (!std::isfinite(p.temperature) || p.temperature < 0) {
    return fail("temperature: expected a finite number >= 0, got " + std::to_string(p.temperature));
  }
  if (p.top_k < 0) return fail("top_k: expected an integer >= 0, got " + std::to_string(p.top_k));
  if (!(p.top_p > 0 && p.top_p <= 1)) {
    return fail("top_p: expected a number in (0, 1], got " + std::to_string(p.top_p));
  }
  return status::success();
}

double uniform_from(uint64_t seed, uint64_t counter) {
  // Two rounds of the SplitMix64 finaliser over (seed, counter): distinct counters of one
  // seed and distinct seeds give independent-looking 64-bit words.
  const uint64_t z =
      splitmix64(splitmix64(seed) ^ (counter * 0xd1b54a32d192ed03ull + 0x8cb92ba72f3d8dd7ull));
  return static_cast<double>(z >> 11) * 0x1.0p-53;  // 53 random bits -> [0, 1)
}

torch::Tensor filtered_log_probs(const torch::Tensor& logits, const sampling_params& params) {
  TORCH_CHECK(params.temperature > 0, "filtered_log_probs: temperature must be > 0");
  auto f = filter(logits, params);
  auto out = torch::full(logits.sizes(), -std::numeric_limits<float>::infinity(),
                         torch::TensorOptions().dtype(torch::kFloat32).device(logits.device()));
  return out.scatter(-1, f.ids, f.logp);
}

sample_result sample(const torch::Tensor& logits, const sampling_params& params,
                     const std::vector<uint64_t>& seeds, const std::vector<uint64_t>& counters) {
  auto valid = validate(params);
  TORCH_CHECK(valid.ok(), "sample: ", valid.ok() ? "" : valid.error().message());
  TORCH_CHECK(logits.dim() == 2, "sample: logits must be [B, V]");
  const int64_t b = logits.size(0);
  TORCH_CHECK(static_cast<int64_t>(seeds.size()) == b && static_cast<int64_t>(counters.size()) == b,
              "sample: expected ", b, " seeds and counters");
  if (params.temperature == 0) {
    return {
        logits.argmax(-1).to(torch::kLong),
        torch::zeros({b}, torch::TensorOptions().dtype(torch::kFloat32).device(logits.device()))};
  }
  auto f = filter(logits, params);
  auto cdf = torch::cumsum(torch::exp(f.logp), -1);
  std::vector<float> u(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) {
    // Kept below 1 after rounding to float, so u * total stays inside the kept mass.
    u[static_cast<size_t>(i)] =
        std::min(static_cast<float>(
                     uniform_from(seeds[static_cast<size_t>(i)], counters[static_cast<size_t>(i)])),
                 0.99999994f);
  }
  // Non-blocking: the host does not wait here for the forward that made the logits.
  auto ut =
      torch::tensor(u, torch::kFloat32).to(logits.device(), /*non_blocking=*/true).unsqueeze(1);
  auto total = cdf.narrow(-1, cdf.size(-1) - 1, 1);
  // The first candidate whose CDF exceeds u * total; when rounding puts u * total at or
  // above the total, the first whose CDF reaches it. The CDF rises at either, so its
  // probability is > 0 and it is a kept candidate: no filtered-out tail token is drawn, and
  // nothing here waits for the device.
  auto index = torch::minimum((cdf <= ut * total).sum(-1, /*keepdim=*/true),
                              (cdf < total).sum(-1, /*keepdim=*/true));
  return {f.ids.gather(-1, index).squeeze(-1), f.logp.gather(-1, index).squeeze(-1)};
}

}  // namespace leadrl::model
