#include "model/generation_engine.hpp"

#include <algorithm>
#include <chrono>
#include <deque>

#include "model/kv_cache.hpp"

namespace leadrl::model {

status validate(const generation_params& p) {
  if (auto s = validate(p.sampling); !s) return s;
  if (p.max_new_tokens < 1) {
    return fail("max_new_tokens: expected an integer >= 1, got " +
                std::to_string(p.max_new_tokens));
  }
  if (p.max_batch < 1) {
    return fail("max_batch: expected an integer >= 1, got " + std::to_string(p.max_batch));
  }
  for (int64_t id : p.eos_token_ids)
    if (id < 0) return fail("eos_token_ids: expected ids >= 0, got " + std::to_string(id));
  for (int64_t id : p.stop_token_ids)
    if (id < 0) return fail("stop_token_ids: expected ids >= 0, got " + std::to_string(id));
  return status::success();
}

generation_engine::generation_engine(decoder model, generation_params params)
    : model_(std::move(model)), params_(std::move(params)) {}

result<std::vector<generation_output>> generation_engine::generate(
    const std::vector<generation_request>& requests, const generation_progress_callback& progress) {
  if (auto s = validate(params_); !s) return s.error().with_context("generation_params");
  const auto& cfg = model_->config();
  int64_t longest = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& prompt = requests[i].prompt;
    const std::string where = "requests[" + std::to_string(i) + "]";
    if (prompt.empty()) return fail(where + ": expected a non-empty prompt");
    for (int64_t id : prompt) {
      if (id < 0 || id >= cfg.vocab_size) {
        return fail(where + ": token id " + std::to_string(id) + " outside [0, " +
                    std::to_string(cfg.vocab_size) + ")");
      }
    }
    const int64_t len = static_cast<int64_t>(prompt.size());
    if (len + params_.max_new_tokens > cfg.max_position_embeddings) {
      return fail(where + ": prompt of " + std::to_string(len) + " tokens + max_new_tokens " +
                  std::to_string(params_.max_new_tokens) + " exceeds max_position_embeddings " +
                  std::to_string(cfg.max_position_embeddings));
    }
    longest = std::max(longest, len);
  }
  stats_ = {};
  std::vector<generation_output> outputs(requests.size());
  if (requests.empty()) return outputs;

  const auto started = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  const auto device = model_->options().device;
  const int64_t slots = std::min<int64_t>(params_.max_batch, static_cast<int64_t>(requests.size()));
  kv_cache cache(cfg, slots, longest + params_.max_new_tokens, model_->options().dtype, device);
  const auto lm_head = model_->lm_head_weight();
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong);
  // Host-built inputs go up without waiting: a pageable buffer is staged by the copy, and
  // the only point where the host waits for the device is the sampled tokens' copy back.
  auto upload = [&](const torch::Tensor& host) { return host.to(device, /*non_blocking=*/true); };

  std::deque<int64_t> waiting;
  for (size_t i = 0; i < requests.size(); ++i) waiting.push_back(static_cast<int64_t>(i));
  std::vector<int64_t> slot_request(static_cast<size_t>(slots), -1);
  std::vector<int64_t> pending(static_cast<size_t>(slots), 0);
  int64_t finished = 0;

  auto is_in = [](const std::vector<int64_t>& ids, int64_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  // Records the sampled tokens of the rows in `rows` (slot ids); frees slots whose rollout
  // ended. Returns whether any slot was freed.
  auto record = [&](const std::vector<int64_t>& rows, const torch::Tensor& hidden_last) {
    auto logits = torch::matmul(hidden_last, lm_head.t());
    std::vector<uint64_t> seeds, counters;
    for (int64_t s : rows) {
      const int64_t r = slot_request[static_cast<size_t>(s)];
      seeds.push_back(requests[static_cast<size_t>(r)].seed);
      counters.push_back(outputs[static_cast<size_t>(r)].tokens.size());
    }
    auto sampled = sample(logits, params_.sampling, seeds, counters);
    // The step's one device-to-host copy: tokens and log-probs as float64 (exact for both:
    // ids < 2^53, float32 widens exactly).
    const auto host =
        torch::stack({sampled.tokens.to(torch::kFloat64), sampled.logprobs.to(torch::kFloat64)})
            .to(torch::kCPU);
    const auto got = host.accessor<double, 2>();
    bool freed = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t s = rows[i];
      auto& out = outputs[static_cast<size_t>(slot_request[static_cast<size_t>(s)])];
      const auto token = static_cast<int64_t>(got[0][static_cast<int64_t>(i)]);
      out.tokens.push_back(token);
      out.logprobs.push_back(static_cast<float>(got[1][static_cast<int64_t>(i)]));
      ++stats_.generated_tokens;
      bool done = true;
      if (is_in(params_.eos_token_ids, token)) {
        out.reason = finish_reason::eos;
      } else if (is_in(params_.stop_token_ids, token)) {
        out.reason = finish_reason::stop_token;
      } else if (static_cast<int64_t>(out.tokens.size()) >= params_.max_new_tokens) {
        out.reason = finish_reason::length;
      } else {
        done = false;
      }
      if (done) {
        slot_request[static_cast<size_t>(s)] = -1;
        freed = true;
        ++finished;
      } else {
        pending[static_cast<size_t>(s)] = token;
      }
    }
    if (progress) {
      progress({finished, static_cast<int64_t>(requests.size()), stats_.generated_tokens});
    }
    return freed;
  };

  while (true) {
    // Admit waiting prompts into free slots and prefill them together (right-padded; the
    // mask keeps the padding out of the slots' lengths).
    std::vector<int64_t> admitted;
    for (int64_t s = 0; s < slots && !waiting.empty(); ++s) {
      if (slot_request[static_cast<size_t>(s)] != -1) continue;
      slot_request[static_cast<size_t>(s)] = waiting.front();
      waiting.pop_front();
      cache.reset(s);
      admitted.push_back(s);
    }
    if (!admitted.empty()) {
      const int64_t k = static_cast<int64_t>(admitted.size());
      int64_t t = 0;
      for (int64_t s : admitted) {
        t = std::max<int64_t>(
            t, requests[static_cast<size_t>(slot_request[static_cast<size_t>(s)])].prompt.size());
      }
      auto ids = torch::zeros({k, t}, long_opts);
      auto mask = torch::zeros({k, t}, long_opts);
      auto ids_a = ids.accessor<int64_t, 2>();
      auto mask_a = mask.accessor<int64_t, 2>();
      std::vector<int64_t> last(static_cast<size_t>(k));
      for (int64_t i = 0; i < k; ++i) {
        const auto& prompt =
            requests[static_cast<size_t>(
                         slot_request[static_cast<size_t>(admitted[static_cast<size_t>(i)])])]
                .prompt;
        for (size_t j = 0; j < prompt.size(); ++j) {
          ids_a[i][static_cast<int64_t>(j)] = prompt[j];
          mask_a[i][static_cast<int64_t>(j)] = 1;
        }
        last[static_cast<size_t>(i)] = static_cast<int64_t>(prompt.size()) - 1;
        stats_.prompt_tokens += static_cast<int64_t>(prompt.size());
      }
      cache.set_active(admitted);
      auto hidden =
          model_->hidden_states(upload(ids), default_positions(k, t, device), upload(mask), &cache);
      ++stats_.forward_calls;
      auto last_t =
          upload(torch::tensor(last, long_opts)).view({k, 1, 1}).expand({k, 1, hidden.size(2)});
      auto hidden_last = hidden.gather(1, last_t).squeeze(1);
      if (record(admitted, hidden_last) && !waiting.empty()) continue;
    }

    std::vector<int64_t> active;
    for (int64_t s = 0; s < slots; ++s) {
      if (slot_request[static_cast<size_t>(s)] != -1) active.push_back(s);
    }
    if (active.empty()) {
      if (waiting.empty()) break;
      continue;
    }
    const int64_t b = static_cast<int64_t>(active.size());
    auto ids_pos = torch::empty({2, b, 1}, long_opts);  // one upload: ids, positions
    auto acc = ids_pos.accessor<int64_t, 3>();
    for (int64_t i = 0; i < b; ++i) {
      const int64_t s = active[static_cast<size_t>(i)];
      acc[0][i][0] = pending[static_cast<size_t>(s)];
      acc[1][i][0] = cache.length(s);
    }
    cache.set_active(active);
    ids_pos = upload(ids_pos);
    auto hidden = model_->hidden_states(ids_pos[0], ids_pos[1], {}, &cache);
    ++stats_.forward_calls;
    record(active, hidden.squeeze(1));
  }
  stats_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return outputs;
}

}  // namespace leadrl::model
