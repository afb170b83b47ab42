// File: model/sft.hpp
//
// Supervised fine-tuning of the decoder: cross-entropy on the response tokens and the EOS
// only (the prompt is masked), AdamW with warmup + cosine schedule from
// model/optimizer.hpp, and pass@1 evaluation by sampling. Two corpora:
// - the built-in arithmetic task (issue 8): the verbose step-by-step corpus of
//   io/arith_task.hpp (so that the SFT model overthinks by a controllable factor),
//   evaluated on held-out test-split problems; the prompt format is the one `leadrl train`
//   generates from: BOS + "Q:<expr>=?\n", the response, then EOS;
// - JSONL prompt/response pairs for any tokenizer (e.g. the R1-distill BPE): the prompt
//   rendered with the chat template, as `leadrl train` renders task=jsonl prompts.
//
//   model::decoder dec(config);
//   model::arith_sft_settings s;  s.steps = 2000;  s.batch_size = 32;
//   auto report = model::run_arith_sft(*dec, s, [](const model::sft_progress& p) { ... });
//
// Data parallel over ranks (sft_ranks): every rank runs the same loop over the same global
// batches and trains its contiguous share of each (base/rank_share.hpp); the caller
// supplies the collectives, since model/ has no transport.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/arith_task.hpp"
#include "io/problem_dataset.hpp"
#include "model/chat_template.hpp"
#include "model/decoder.hpp"
#include "model/tokenizer.hpp"

namespace leadrl::model {

/// One training sequence: token ids of the prompt (BOS first) and of the response (EOS last).
struct sft_example {
  std::vector<std::int64_t> prompt;
  std::vector<std::int64_t> response;
};

/// A right-padded batch: input_ids [B, T], attention_mask [B, T] (1 = real) and the loss
/// mask [B, T-1] in the shifted layout of model/policy_loss.hpp (1 where input_ids[:, t+1]
/// is a response token).
struct sft_batch {
  torch::Tensor input_ids;
  torch::Tensor attention_mask;
  torch::Tensor loss_mask;
};

/// Pads `examples` to the longest one (pad id `pad_id`). Fails when `examples` is empty or
/// an example has an empty prompt or response.
result<sft_batch> make_sft_batch(const std::vector<sft_example>& examples, std::int64_t pad_id);

/// Mean token cross-entropy of the masked tokens (a scalar with gradient). With
/// `total_tokens` > 0 the sum is divided by it instead of by the batch's own count: a
/// rank's part of the mean over a global batch of `total_tokens` response tokens. Fails on
/// the input checks of response_log_probs and when the mask selects no token.
result<torch::Tensor> sft_loss(decoder_impl& model, const sft_batch& batch,
                               std::int64_t total_tokens = 0);

/// The SFT example of an arithmetic problem: BOS + prompt, then `response` + EOS, with the
/// character tokenizer. Fails when a character is outside the vocabulary.
result<sft_example> arith_sft_example(const io::arith_problem& problem,
                                      const std::string& response);

/// What every SFT run needs: the optimizer schedule, the evaluation and the progress cadence.
struct sft_settings {
  std::int64_t steps = 1000;       ///< optimizer steps
  std::int64_t batch_size = 32;    ///< sequences per step
  double lr = 3e-3;                ///< peak learning rate
  std::int64_t warmup_steps = 50;  ///< linear warmup, then cosine decay to min_lr_ratio·lr
  double min_lr_ratio = 0.1;
  double weight_decay = 0.01;
  double grad_clip = 1.0;
  std::uint64_t seed = 1;  ///< data order (and arithmetic problems and their responses)
  /// Longest response in tokens, EOS included: arithmetic responses are shortened to fit,
  /// longer JSONL responses are dropped.
  std::int64_t max_response_tokens = 160;
  std::int64_t eval_every = 0;  ///< evaluation every N steps (0: only at the end)
  /// Also report progress (without an evaluation) every N steps (0: only with evaluations).
  std::int64_t progress_every = 0;
  std::int64_t eval_problems = 128;  ///< problems evaluated
  double eval_temperature = 0.8;     ///< the sampled evaluation's temperature
  std::int64_t eval_batch = 64;      ///< sequences decoded together
};

/// How a run is shared over data-parallel ranks; the default is one rank, which needs no
/// collective. Rank r trains rank_share(batch_size, r, size) of every global batch (shares
/// differ by at most one sequence); its loss is its tokens' part of the global batch's
/// token mean, and the gradients are averaged over ranks (times size, so that the update
/// is the global batch's at any split), then every rank applies the same optimizer step.
/// Evaluations are split the same way over their problems, problem i keeping seed + i, and
/// summed, so their figures do not depend on the split.
struct sft_ranks {
  int rank = 0;
  int size = 1;
  /// Replaces every parameter's gradient by its mean over the ranks (used when size > 1).
  std::function<status(const std::vector<torch::Tensor>&)> average_gradients;
  /// Sums every value over the ranks, in place (used when size > 1).
  std::function<status(std::vector<double>&)> sum;
};

/// Everything run_arith_sft needs.
struct arith_sft_settings : sft_settings {
  io::arith_task_options task;  ///< difficulty range and splits of the problems
  io::arith_verbosity verbosity;
  io::arith_answer_mix mix;  ///< the answer mixture (default: all verbose)
};

/// Checks ranges; the error names the field ("steps: expected >= 1, got 0").
status validate(const sft_settings& settings);
/// validate(settings), then that every rank has a sequence of each batch (batch_size >=
/// ranks.size) and the collectives a run over several ranks needs.
status validate(const sft_settings& settings, const sft_ranks& ranks);
status validate(const arith_sft_settings& settings);

/// Pass@1 of a decoder on a set of problems.
struct sft_eval_result {
  double accuracy = 0;         ///< sampled at the evaluation temperature, one per problem
  double greedy_accuracy = 0;  ///< greedy decoding
  double mean_length = 0;      ///< sampled responses, tokens (EOS included)
  double greedy_mean_length = 0;
};

/// Problems to evaluate: model input ids and the reference answer of each.
struct sft_eval_set {
  std::vector<std::vector<std::int64_t>> prompts;
  std::vector<std::string> answers;
  bool arith = false;  ///< graded by grading::arith_grade (else grading::grade_answer)
};

/// Generates one sampled (seed = `seed` + problem position) and one greedy response per
/// problem, at most `max_new_tokens` tokens each, stopping at `tok`'s EOS, and grades the
/// decoded text (EOS removed). Over several ranks each generates for its share of the
/// problems and the counts are summed (ranks.sum): every rank returns the whole set's
/// figures, the same as one rank's. Fails when generation fails (e.g. the context is too
/// short for max_new_tokens) or the sum does.
result<sft_eval_result> evaluate_problems(decoder model, const tokenizer& tok,
                                          const sft_eval_set& problems, double temperature,
                                          std::int64_t max_new_tokens, std::int64_t batch,
                                          std::uint64_t seed, const sft_ranks& ranks = {});

/// evaluate_problems on arithmetic problems with the character tokenizer (prompt: BOS +
/// the problem's prompt).
result<sft_eval_result> evaluate_arith(decoder model,
                                       const std::vector<io::arith_problem>& problems,
                                       double temperature, std::int64_t max_new_tokens,
                                       std::int64_t batch, std::uint64_t seed,
                                       const sft_ranks& ranks = {});

/// What a progress callback sees.
struct sft_progress {
  std::int64_t step = 0;  ///< optimizer steps done
  double loss = 0;        ///< mean loss since the previous report
  double lr = 0;
  /// Trained tokens (all positions, all ranks) per second since the start.
  double tokens_per_s = 0;
  bool has_eval = false;
  sft_eval_result eval;
};

/// The outcome of a run: the last evaluation and the number of trained tokens.
struct sft_report {
  sft_eval_result eval;
  std::int64_t tokens = 0;
  double seconds = 0;
};

/// Trains `model` in place. Step s uses train-split problems (seed, indices
/// s·batch_size ..) with responses arith_mixed_response(problem, verbosity, mix, index)
/// (arith_response(problem, verbosity, index) with the default mix); reports
/// through `progress` every eval_every steps (with an evaluation on held-out test-split
/// problems), at the end (with one) and every progress_every steps (has_eval false unless
/// an evaluation is due too).
/// Over several ranks (`ranks`) every rank calls it with the same settings and the same
/// initial model, and every rank's `progress` hears the same figures.
/// Fails when the settings are invalid, the model's context cannot hold prompt +
/// max_response_tokens, a problem cannot be generated, or a collective fails.
result<sft_report> run_arith_sft(decoder model, const arith_sft_settings& settings,
                                 const std::function<void(const sft_progress&)>& progress,
                                 const sft_ranks& ranks = {});

/// Prompt/response pairs of a JSONL set as SFT examples: the prompt rendered with `tmpl`
/// and encoded without special tokens, then the response and `tok`'s EOS. Pairs whose
/// prompt is longer than `max_prompt_tokens` or whose response (EOS included) is longer
/// than `max_response_tokens` are dropped (counted), never cut.
struct sft_corpus {
  std::vector<sft_example> examples;
  std::vector<std::string> answers;  ///< each example's reference answer ("" = none)
  std::int64_t dropped = 0;
};
result<sft_corpus> encode_sft_corpus(const tokenizer& tok, const chat_template& tmpl,
                                     const io::problem_dataset& pairs,
                                     std::int64_t max_prompt_tokens,
                                     std::int64_t max_response_tokens);

/// Trains `model` in place on `corpus`: each epoch visits the examples in an order
/// shuffled from (seed, epoch), batch_size per step. Evaluation (as in run_arith_sft) is
/// on the first eval_problems examples that have an answer, graded by
/// grading::grade_answer (the training problems themselves: a check that they were
/// learnt, not a held-out score); without any answer there is no evaluation.
/// Ranks as in run_arith_sft.
/// Fails when the settings are invalid, the corpus is empty, the model's context cannot
/// hold the longest example, or a collective fails.
result<sft_report> run_jsonl_sft(decoder model, const tokenizer& tok, const sft_corpus& corpus,
                                 const sft_settings& settings,
                                 const std::function<void(const sft_progress&)>& progress,
                                 const sft_ranks& ranks = {});

}  // namespace leadrl::model
