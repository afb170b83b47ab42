#include "model/sft.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "grading/arith_grade.hpp"
#include "model/char_tokenizer.hpp"
#include "model/generation_engine.hpp"
#include "model/learner_step.hpp"
#include "model/optimizer.hpp"
#include "model/policy_loss.hpp"

namespace leadrl::model {

namespace {

using clock_type = std::chrono::steady_clock;

std::string show(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

result<sft_batch> make_sft_batch(const std::vector<sft_example>& examples, std::int64_t pad_id) {
  if (examples.empty()) return fail("sft batch: no examples");
  std::int64_t T = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const auto& e = examples[i];
    if (e.prompt.empty() || e.response.empty()) {
      return fail("sft batch: example " + std::to_string(i) + " has an empty prompt or response");
    }
    T = std::max<std::int64_t>(T, static_cast<std::int64_t>(e.prompt.size() + e.response.size()));
  }
  const auto B = static_cast<std::int64_t>(examples.size());
  auto ids = torch::full({B, T}, pad_id, torch::kInt64);
  auto mask = torch::zeros({B, T}, torch::kInt64);
  auto loss = torch::zeros({B, T - 1}, torch::kFloat32);
  auto ia = ids.accessor<std::int64_t, 2>();
  auto ma = mask.accessor<std::int64_t, 2>();
  auto la = loss.accessor<float, 2>();
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& e = examples[static_cast<std::size_t>(b)];
    std::int64_t t = 0;
    for (auto x : e.prompt) ia[b][t] = x, ma[b][t] = 1, ++t;
    for (auto x : e.response) {
      ia[b][t] = x;
      ma[b][t] = 1;
      la[b][t - 1] = 1.0F;  // shifted layout: entry t-1 predicts token t
      ++t;
    }
  }
  return sft_batch{ids, mask, loss};
}

result<torch::Tensor> sft_loss(decoder_impl& model, const sft_batch& batch) {
  auto tok = needed_log_probs(model, batch.input_ids, batch.attention_mask, batch.loss_mask, 1.0,
                              /*with_entropy=*/false);
  if (!tok) return tok.error().with_context("sft loss");
  const torch::Tensor count = batch.loss_mask.sum();
  if (count.item<float>() <= 0) return fail("sft loss: the loss mask selects no token");
  return -(tok->log_probs.to(torch::kFloat32) * batch.loss_mask).sum() / count;
}

result<sft_example> arith_sft_example(const io::arith_problem& problem,
                                      const std::string& response) {
  const char_tokenizer tok;
  auto p = tok.try_encode(problem.prompt, /*add_special=*/true);
  if (!p) return p.error().with_context("prompt of " + problem.id);
  auto r = tok.try_encode(response, /*add_special=*/false);
  if (!r) return r.error().with_context("response to " + problem.id);
  sft_example e;
  e.prompt.assign(p->begin(), p->end());
  e.response.assign(r->begin(), r->end());
  e.response.push_back(char_tokenizer::eos);
  return e;
}

status validate(const arith_sft_settings& s) {
  if (auto st = io::validate_arith_options(s.task); !st) return st.error().with_context("task");
  if (auto st = io::validate_arith_verbosity(s.verbosity); !st) return st;
  auto need = [](const char* name, std::int64_t v, std::int64_t lo) -> status {
    if (v < lo) {
      return fail(std::string(name) + ": expected >= " + std::to_string(lo) + ", got " +
                  std::to_string(v));
    }
    return status::success();
  };
  for (auto st : {need("steps", s.steps, 1), need("batch_size", s.batch_size, 1),
                  need("warmup_steps", s.warmup_steps, 0),
                  need("max_response_tokens", s.max_response_tokens, 2),
                  need("eval_every", s.eval_every, 0), need("progress_every", s.progress_every, 0),
                  need("eval_problems", s.eval_problems, 1), need("eval_batch", s.eval_batch, 1)}) {
    if (!st) return st;
  }
  if (!(std::isfinite(s.lr) && s.lr > 0))
    return fail("lr: expected a number > 0, got " + show(s.lr));
  if (!(s.min_lr_ratio >= 0 && s.min_lr_ratio <= 1)) {
    return fail("min_lr_ratio: expected a number in [0, 1], got " + show(s.min_lr_ratio));
  }
  if (!(std::isfinite(s.weight_decay) && s.weight_decay >= 0)) {
    return fail("weight_decay: expected a number >= 0, got " + show(s.weight_decay));
  }
  if (!(std::isfinite(s.eval_temperature) && s.eval_temperature > 0)) {
    return fail("eval_temperature: expected a number > 0, got " + show(s.eval_temperature));
  }
  if (!std::isfinite(s.grad_clip)) return fail("grad_clip: expected a finite number");
  return status::success();
}

result<arith_eval_result> evaluate_arith(decoder model,
                                         const std::vector<io::arith_problem>& problems,
                                         double temperature, std::int64_t max_new_tokens,
                                         std::int64_t batch, std::uint64_t seed) {
  arith_eval_result out;
  if (problems.empty()) return out;
  const char_tokenizer tok;
  std::vector<generation_request> reqs;
  for (std::size_t i = 0; i < problems.size(); ++i) {
    const auto ids = tok.encode(problems[i].prompt, /*add_special=*/true);
    reqs.push_back({std::vector<std::int64_t>(ids.begin(), ids.end()), seed + i});
  }
  for (const bool greedy : {false, true}) {
    generation_params params;
    params.sampling.temperature = greedy ? 0.0 : temperature;
    params.max_new_tokens = max_new_tokens;
    params.max_batch = batch;
    params.eos_token_ids = {char_tokenizer::eos};
    generation_engine engine(model, params);
    auto gen = engine.generate(reqs);
    if (!gen) return gen.error().with_context("evaluation");
    double correct = 0;
    double length = 0;
    for (std::size_t i = 0; i < gen->size(); ++i) {
      std::vector<std::int32_t> text_ids;
      for (auto t : (*gen)[i].tokens) {
        if (t != char_tokenizer::eos) text_ids.push_back(static_cast<std::int32_t>(t));
      }
      correct += grading::arith_grade(tok.decode(text_ids), problems[i].answer).correct ? 1.0 : 0.0;
      length += static_cast<double>((*gen)[i].tokens.size());
    }
    const double n = static_cast<double>(gen->size());
    (greedy ? out.greedy_accuracy : out.accuracy) = correct / n;
    (greedy ? out.greedy_mean_length : out.mean_length) = length / n;
  }
  return out;
}

result<sft_report> run_arith_sft(decoder model, const arith_sft_settings& s,
                                 const std::function<void(const sft_progress&)>& progress) {
  if (auto st = validate(s); !st) return st.error().with_context("sft settings");
  auto eval_set = io::generate_arith_problems(s.task, io::arith_split::test, s.seed, 0,
                                              static_cast<std::size_t>(s.eval_problems));
  if (!eval_set) return eval_set.error().with_context("sft evaluation problems");
  std::size_t longest_prompt = 0;
  for (const auto& p : *eval_set) longest_prompt = std::max(longest_prompt, p.prompt.size());
  const std::int64_t context = model->config().max_position_embeddings;
  if (static_cast<std::int64_t>(longest_prompt) + 1 + s.max_response_tokens > context) {
    return fail("sft: the model's context (" + std::to_string(context) +
                " positions) cannot hold a prompt and " + std::to_string(s.max_response_tokens) +
                " response tokens");
  }

  optimizer_config oc;
  oc.lr = s.lr;
  oc.weight_decay = s.weight_decay;
  oc.exclude_norms_and_biases = true;
  auto opt = policy_optimizer::create(model->named_parameters(), oc);
  if (!opt) return opt.error().with_context("sft optimizer");
  lr_schedule schedule;
  schedule.base_lr = s.lr;
  schedule.warmup_steps = std::min(s.warmup_steps, s.steps - 1);
  schedule.kind = lr_schedule_kind::cosine;
  schedule.total_steps = s.steps;
  schedule.min_lr_ratio = s.min_lr_ratio;

  const auto t0 = clock_type::now();
  sft_report report;
  double loss_sum = 0;
  std::int64_t loss_count = 0;
  model->train();
  for (std::int64_t step = 0; step < s.steps; ++step) {
    const auto first = static_cast<std::uint64_t>(step * s.batch_size);
    auto problems = io::generate_arith_problems(s.task, io::arith_split::train, s.seed, first,
                                                static_cast<std::size_t>(s.batch_size));
    if (!problems) return problems.error().with_context("sft step " + std::to_string(step));
    std::vector<sft_example> examples;
    examples.reserve(problems->size());
    for (const auto& p : *problems) {
      // Keep prompt + response (+ EOS) within the response budget.
      const std::size_t max_chars =
          p.prompt.size() + static_cast<std::size_t>(s.max_response_tokens) - 1;
      auto e = arith_sft_example(p, io::arith_response(p, s.verbosity, p.index, max_chars));
      if (!e) return e.error();
      examples.push_back(std::move(*e));
    }
    auto batch = make_sft_batch(examples, char_tokenizer::pad);
    if (!batch) return batch.error();
    auto loss = sft_loss(*model, *batch);
    if (!loss) return loss.error();
    loss->backward();
    const auto r = apply_optimizer_step(**opt, schedule, s.grad_clip);
    loss_sum += loss->item<double>();
    ++loss_count;
    report.tokens += batch->input_ids.numel();

    const bool last = step + 1 == s.steps;
    const bool eval_now = last || (s.eval_every > 0 && (step + 1) % s.eval_every == 0);
    const bool report_now =
        eval_now || (s.progress_every > 0 && (step + 1) % s.progress_every == 0);
    if (report_now) {
      sft_progress p;
      p.step = step + 1;
      p.loss = loss_sum / static_cast<double>(loss_count);
      p.lr = r.lr;
      if (eval_now) {
        model->eval();
        auto ev = evaluate_arith(model, *eval_set, s.eval_temperature, s.max_response_tokens,
                                 s.eval_batch, s.seed);
        model->train();
        if (!ev) return ev.error();
        p.has_eval = true;
        p.eval = *ev;
        report.eval = *ev;
      }
      const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
      p.tokens_per_s = static_cast<double>(report.tokens) / std::max(secs, 1e-9);
      if (progress) progress(p);
      loss_sum = 0;
      loss_count = 0;
    }
  }
  model->eval();
  report.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  return report;
}

}  // namespace leadrl::model
