#include "model/scoring.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <string>

#include "model/learner_step.hpp"

namespace leadrl::model {

status check_score_row(const std::vector<std::int64_t>& ids, std::int64_t vocab_size) {
  if (ids.size() < 2) {
    return fail("expected at least 2 token ids, got " + std::to_string(ids.size()));
  }
  for (std::int64_t id : ids) {
    if (id < 0 || id >= vocab_size) {
      return fail("token id " + std::to_string(id) + " outside the vocabulary [0, " +
                  std::to_string(vocab_size) + ")");
    }
  }
  return status::success();
}

result<std::vector<std::vector<float>>> score_sequences(
    decoder_impl& model, const std::vector<std::vector<std::int64_t>>& rows, std::int64_t batch) {
  if (batch < 1) return fail("batch: expected an integer >= 1, got " + std::to_string(batch));
  const std::int64_t vocab = model.config().vocab_size;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (auto s = check_score_row(rows[r], vocab); !s) {
      return s.error().with_context("row " + std::to_string(r + 1));
    }
  }
  std::vector<std::vector<float>> out(rows.size());
  const auto device = model.options().device;
  for (std::size_t b0 = 0; b0 < rows.size(); b0 += static_cast<std::size_t>(batch)) {
    const std::size_t b1 = std::min(rows.size(), b0 + static_cast<std::size_t>(batch));
    std::size_t longest = 0;
    for (std::size_t r = b0; r < b1; ++r) longest = std::max(longest, rows[r].size());
    const auto n = static_cast<std::int64_t>(b1 - b0);
    const auto t = static_cast<std::int64_t>(longest);
    torch::Tensor ids = torch::zeros({n, t}, torch::kInt64);
    torch::Tensor mask = torch::zeros({n, t}, torch::kInt64);
    auto ia = ids.accessor<std::int64_t, 2>();
    auto ma = mask.accessor<std::int64_t, 2>();
    for (std::size_t r = b0; r < b1; ++r) {
      for (std::size_t k = 0; k < rows[r].size(); ++k) {
        ia[static_cast<std::int64_t>(r - b0)][static_cast<std::int64_t>(k)] = rows[r][k];
        ma[static_cast<std::int64_t>(r - b0)][static_cast<std::int64_t>(k)] = 1;
      }
    }
    // Log-probs of real tokens only: no projection at padding positions.
    auto lp = compute_log_probs(model, ids.to(device), mask.to(device), 1.0,
                                mask.narrow(1, 1, t - 1).to(device));
    if (!lp) return lp.error();
    const torch::Tensor host = lp->to(torch::kCPU, torch::kFloat32).contiguous();
    auto la = host.accessor<float, 2>();
    for (std::size_t r = b0; r < b1; ++r) {
      auto& v = out[r];
      v.resize(rows[r].size() - 1);
      for (std::size_t k = 0; k + 1 < rows[r].size(); ++k) {
        v[k] = la[static_cast<std::int64_t>(r - b0)][static_cast<std::int64_t>(k)];
      }
    }
  }
  return out;
}

prompt_response prompt_response_ids(const tokenizer& tok, const chat_template& tmpl,
                                    std::string_view prompt, std::string_view response) {
  prompt_response out;
  for (std::int32_t id : encode_prompt(tok, tmpl, prompt)) out.ids.push_back(id);
  out.prompt_tokens = out.ids.size();
  for (std::int32_t id : tok.encode(response, false)) out.ids.push_back(id);
  return out;
}

}  // namespace leadrl::model
