#include "model/sft.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "base/rank_share.hpp"
#include "base/splitmix64.hpp"
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

result<torch::Tensor> sft_loss(decoder_impl& model, const sft_batch& batch,
                               std::int64_t total_tokens) {
  auto tok = needed_log_probs(model, batch.input_ids, batch.attention_mask, batch.loss_mask, 1.0,
                              /*with_entropy=*/false);
  if (!tok) return tok.error().with_context("sft loss");
  const torch::Tensor count = batch.loss_mask.sum();
  if (count.item<float>() <= 0) return fail("sft loss: the loss mask selects no token");
  const torch::Tensor sum = -(tok->log_probs.to(torch::kFloat32) * batch.loss_mask).sum();
  return total_tokens > 0 ? sum / static_cast<double>(total_tokens) : sum / count;
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

status validate(const sft_settings& s) {
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

status validate(const sft_settings& s, const sft_ranks& ranks) {
  if (auto st = validate(s); !st) return st;
  if (ranks.size < 1 || ranks.rank < 0 || ranks.rank >= ranks.size) {
    return fail("ranks: rank " + std::to_string(ranks.rank) + " of " + std::to_string(ranks.size));
  }
  if (s.batch_size < ranks.size) {
    return fail("batch_size: expected at least one sequence per rank (>= " +
                std::to_string(ranks.size) + " at " + std::to_string(ranks.size) +
                " ranks), got " + std::to_string(s.batch_size));
  }
  if (ranks.size > 1 && !(ranks.average_gradients && ranks.sum)) {
    return fail("ranks: a run over several ranks needs average_gradients and sum");
  }
  return status::success();
}

status validate(const arith_sft_settings& s) {
  if (auto st = io::validate_arith_options(s.task); !st) return st.error().with_context("task");
  if (auto st = io::validate_arith_verbosity(s.verbosity); !st) return st;
  if (auto st = io::validate_arith_answer_mix(s.mix); !st) return st;
  return validate(static_cast<const sft_settings&>(s));
}

result<sft_eval_result> evaluate_problems(decoder model, const tokenizer& tok,
                                          const sft_eval_set& problems, double temperature,
                                          std::int64_t max_new_tokens, std::int64_t batch,
                                          std::uint64_t seed, const sft_ranks& ranks) {
  sft_eval_result out;
  if (problems.prompts.empty()) return out;
  const auto mine = rank_share(problems.prompts.size(), ranks.rank, ranks.size);
  std::vector<generation_request> reqs;
  for (std::size_t i = mine.first; i < mine.first + mine.count; ++i) {
    reqs.push_back({problems.prompts[i], seed + i});
  }
  // Counts and token totals of this rank's share: sampled correct, sampled length, greedy
  // correct, greedy length. Integers, so their sum over ranks is exact.
  std::vector<double> totals(4, 0.0);
  for (const bool greedy : {false, true}) {
    if (reqs.empty()) break;
    generation_params params;
    params.sampling.temperature = greedy ? 0.0 : temperature;
    params.max_new_tokens = max_new_tokens;
    params.max_batch = batch;
    params.eos_token_ids = {tok.eos_id()};
    generation_engine engine(model, params);
    auto gen = engine.generate(reqs);
    if (!gen) return gen.error().with_context("evaluation");
    double& correct = totals[greedy ? 2 : 0];
    double& length = totals[greedy ? 3 : 1];
    for (std::size_t i = 0; i < gen->size(); ++i) {
      const std::string text = decode_ids(tok, (*gen)[i].tokens, /*drop_eos=*/true);
      const auto& answer = problems.answers[mine.first + i];
      const bool ok = grading::grade_task_answer(text, answer, problems.arith).correct;
      correct += ok ? 1.0 : 0.0;
      length += static_cast<double>((*gen)[i].tokens.size());
    }
  }
  if (ranks.size > 1) {
    if (auto st = ranks.sum(totals); !st) return st.error().with_context("evaluation");
  }
  const double n = static_cast<double>(problems.prompts.size());
  out.accuracy = totals[0] / n;
  out.mean_length = totals[1] / n;
  out.greedy_accuracy = totals[2] / n;
  out.greedy_mean_length = totals[3] / n;
  return out;
}

result<sft_eval_result> evaluate_arith(decoder model,
                                       const std::vector<io::arith_problem>& problems,
                                       double temperature, std::int64_t max_new_tokens,
                                       std::int64_t batch, std::uint64_t seed,
                                       const sft_ranks& ranks) {
  const char_tokenizer tok;
  sft_eval_set set;
  set.arith = true;
  for (const auto& p : problems) {
    const auto ids = tok.encode(p.prompt, /*add_special=*/true);
    set.prompts.emplace_back(ids.begin(), ids.end());
    set.answers.push_back(std::to_string(p.answer));
  }
  return evaluate_problems(model, tok, set, temperature, max_new_tokens, batch, seed, ranks);
}

namespace {

// The parts of a run that differ between corpora.
struct sft_source {
  std::function<result<std::vector<sft_example>>(std::int64_t step)> batch;
  // Every rank calls it; it evaluates this rank's share (sft_ranks).
  std::function<result<sft_eval_result>(decoder)> evaluate;  // empty: no evaluation
  std::int64_t pad_id = 0;
};

// Response tokens of `examples` (EOS included): the loss mask's count.
std::int64_t response_tokens(const std::vector<sft_example>& examples) {
  std::int64_t n = 0;
  for (const auto& e : examples) n += static_cast<std::int64_t>(e.response.size());
  return n;
}

// This rank's part of the global batch's loss, its gradient averaged over the ranks (see
// sft_ranks); returns the loss value and adds the share's trained tokens to `tokens`.
result<double> share_gradient(decoder& model, const std::vector<sft_example>& examples,
                              std::int64_t pad_id, const sft_ranks& ranks, std::int64_t& tokens) {
  const auto mine = rank_share(examples.size(), ranks.rank, ranks.size);
  const auto first = examples.begin() + static_cast<std::ptrdiff_t>(mine.first);
  const std::vector<sft_example> share(first, first + static_cast<std::ptrdiff_t>(mine.count));
  auto batch = make_sft_batch(share, pad_id);
  if (!batch) return batch.error();
  // Built on the host, moved once to where the model computes.
  const torch::Device dev = model->options().device;
  batch->input_ids = batch->input_ids.to(dev);
  batch->attention_mask = batch->attention_mask.to(dev);
  batch->loss_mask = batch->loss_mask.to(dev);
  auto loss = sft_loss(*model, *batch, response_tokens(examples));
  if (!loss) return loss.error();
  // The all-reduce averages, so each share's gradient counts `size` times.
  (ranks.size > 1 ? *loss * static_cast<double>(ranks.size) : *loss).backward();
  if (ranks.size > 1) {
    if (auto st = ranks.average_gradients(model->parameters()); !st) {
      return st.error().with_context("gradient all-reduce");
    }
  }
  tokens += batch->input_ids.numel();
  return loss->item<double>();
}

// The optimizer loop shared by every corpus.
result<sft_report> run_sft_loop(decoder model, const sft_settings& s, const sft_source& source,
                                const std::function<void(const sft_progress&)>& progress,
                                const sft_ranks& ranks) {
  if (auto st = validate(s, ranks); !st) return st.error().with_context("sft settings");
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
  double loss_sum = 0;  // this rank's parts since the last report
  std::int64_t loss_count = 0;
  std::int64_t own_tokens = 0;  // trained by this rank
  model->train();
  for (std::int64_t step = 0; step < s.steps; ++step) {
    auto examples = source.batch(step);  // the global batch; every rank builds it
    if (!examples) return examples.error().with_context("sft step " + std::to_string(step));
    auto loss = share_gradient(model, *examples, source.pad_id, ranks, own_tokens);
    if (!loss) return loss.error().with_context("sft step " + std::to_string(step));
    const auto r = apply_optimizer_step(**opt, schedule, s.grad_clip);
    loss_sum += *loss;
    ++loss_count;

    const bool last = step + 1 == s.steps;
    const bool eval_now =
        source.evaluate && (last || (s.eval_every > 0 && (step + 1) % s.eval_every == 0));
    const bool report_now =
        last || eval_now || (s.progress_every > 0 && (step + 1) % s.progress_every == 0);
    if (!report_now) continue;
    std::vector<double> totals{loss_sum, static_cast<double>(own_tokens)};
    if (ranks.size > 1) {
      if (auto st = ranks.sum(totals); !st) return st.error().with_context("sft progress");
    }
    report.tokens = static_cast<std::int64_t>(totals[1]);
    sft_progress p;
    p.step = step + 1;
    p.loss = totals[0] / static_cast<double>(loss_count);
    p.lr = r.lr;
    if (eval_now) {
      model->eval();
      auto ev = source.evaluate(model);
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
  model->eval();
  report.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  return report;
}

status check_context(const decoder& model, std::size_t longest, const char* what) {
  const std::int64_t context = model->config().max_position_embeddings;
  if (static_cast<std::int64_t>(longest) > context) {
    return fail(std::string("sft: the model's context (") + std::to_string(context) +
                " positions) cannot hold " + what);
  }
  return status::success();
}

}  // namespace

result<sft_report> run_arith_sft(decoder model, const arith_sft_settings& s,
                                 const std::function<void(const sft_progress&)>& progress,
                                 const sft_ranks& ranks) {
  if (auto st = validate(s); !st) return st.error().with_context("sft settings");
  auto eval_set = io::generate_arith_problems(s.task, io::arith_split::test, s.seed, 0,
                                              static_cast<std::size_t>(s.eval_problems));
  if (!eval_set) return eval_set.error().with_context("sft evaluation problems");
  std::size_t longest_prompt = 0;
  for (const auto& p : *eval_set) longest_prompt = std::max(longest_prompt, p.prompt.size());
  const std::string what =
      "a prompt and " + std::to_string(s.max_response_tokens) + " response tokens";
  if (auto st = check_context(
          model, longest_prompt + 1 + static_cast<std::size_t>(s.max_response_tokens),
          what.c_str());
      !st) {
    return st.error();
  }
  sft_source source;
  source.pad_id = char_tokenizer::pad;
  source.batch = [&s](std::int64_t step) -> result<std::vector<sft_example>> {
    const auto first = static_cast<std::uint64_t>(step * s.batch_size);
    auto problems = io::generate_arith_problems(s.task, io::arith_split::train, s.seed, first,
                                                static_cast<std::size_t>(s.batch_size));
    if (!problems) return problems.error();
    std::vector<sft_example> examples;
    examples.reserve(problems->size());
    for (const auto& p : *problems) {
      // Keep prompt + response (+ EOS) within the response budget.
      const std::size_t max_chars =
          p.prompt.size() + static_cast<std::size_t>(s.max_response_tokens) - 1;
      auto e = arith_sft_example(
          p, io::arith_mixed_response(p, s.verbosity, s.mix, p.index, max_chars));
      if (!e) return e.error();
      examples.push_back(std::move(*e));
    }
    return examples;
  };
  source.evaluate = [&](decoder m) {
    return evaluate_arith(m, *eval_set, s.eval_temperature, s.max_response_tokens,
                          s.eval_batch, s.seed, ranks);
  };
  return run_sft_loop(model, s, source, progress, ranks);
}

result<sft_corpus> encode_sft_corpus(const tokenizer& tok, const chat_template& tmpl,
                                     const io::problem_dataset& pairs,
                                     std::int64_t max_prompt_tokens,
                                     std::int64_t max_response_tokens) {
  if (tok.eos_id() < 0) return fail("sft: the tokenizer has no end-of-sequence token");
  sft_corpus out;
  for (const auto& row : pairs.rows) {
    const auto prompt = encode_prompt(tok, tmpl, row.prompt);
    auto response = tok.encode(row.response, /*add_special=*/false);
    if (response.empty() || response.back() != tok.eos_id()) response.push_back(tok.eos_id());
    if (static_cast<std::int64_t>(prompt.size()) > max_prompt_tokens ||
        static_cast<std::int64_t>(response.size()) > max_response_tokens) {
      ++out.dropped;
      continue;
    }
    out.examples.push_back({std::vector<std::int64_t>(prompt.begin(), prompt.end()),
                            std::vector<std::int64_t>(response.begin(), response.end())});
    out.answers.push_back(row.answer);
  }
  return out;
}

namespace {

// A permutation of [0, n) drawn from `seed` (Fisher-Yates over splitmix64).
std::vector<std::size_t> shuffled(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  splitmix64_stream rng(seed);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
  return order;
}

}  // namespace

result<sft_report> run_jsonl_sft(decoder model, const tokenizer& tok, const sft_corpus& corpus,
                                 const sft_settings& s,
                                 const std::function<void(const sft_progress&)>& progress,
                                 const sft_ranks& ranks) {
  if (auto st = validate(s); !st) return st.error().with_context("sft settings");
  if (corpus.examples.empty()) return fail("sft: no training examples");
  std::size_t longest = 0;
  sft_eval_set eval_set;
  for (std::size_t i = 0; i < corpus.examples.size(); ++i) {
    const auto& e = corpus.examples[i];
    longest = std::max(longest, e.prompt.size() + e.response.size());
    const bool wanted = static_cast<std::int64_t>(eval_set.prompts.size()) < s.eval_problems;
    if (wanted && !corpus.answers[i].empty()) {
      eval_set.prompts.push_back(e.prompt);
      eval_set.answers.push_back(corpus.answers[i]);
      longest = std::max(longest, e.prompt.size() + static_cast<std::size_t>(s.max_response_tokens));
    }
  }
  if (auto st = check_context(model, longest, "the longest example"); !st) return st.error();
  const std::size_t n = corpus.examples.size();
  std::vector<std::size_t> order;
  std::int64_t order_epoch = -1;
  sft_source source;
  source.pad_id = tok.pad_id() >= 0 ? tok.pad_id() : tok.eos_id();
  source.batch = [&](std::int64_t step) -> result<std::vector<sft_example>> {
    std::vector<sft_example> examples;
    for (std::int64_t k = 0; k < s.batch_size; ++k) {
      const auto visit = static_cast<std::size_t>(step * s.batch_size + k);
      const auto epoch = static_cast<std::int64_t>(visit / n);
      if (epoch != order_epoch) {
        order = shuffled(n, s.seed + static_cast<std::uint64_t>(epoch));
        order_epoch = epoch;
      }
      examples.push_back(corpus.examples[order[visit % n]]);
    }
    return examples;
  };
  if (!eval_set.prompts.empty()) {
    source.evaluate = [&](decoder m) {
      return evaluate_problems(m, tok, eval_set, s.eval_temperature, s.max_response_tokens,
                               s.eval_batch, s.seed, ranks);
    };
  }
  return run_sft_loop(model, s, source, progress, ranks);
}

}  // namespace leadrl::model
