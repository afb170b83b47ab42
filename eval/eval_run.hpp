// File: eval/eval_run.hpp
//
// Sampling and grading for `leadrl eval`: a model loaded from a Hugging Face folder
// (model::load_decoder + model::load_tokenizer) answers every problem of a dataset n times
// with the continuous-batching generation engine, each sample from its own seeded stream
// (io::rollout_seed(seed, 0, problem, sample)), and each answer is graded: the
// built-in arithmetic task by grading::arith_grade, JSONL sets by grading::grade_answer. Prompts:
// arithmetic problems are the plain prompt with the tokenizer's BOS (as training sees
// them); JSONL problems go through the r1_distill chat template for BPE models and the
// plain template for character-level ones (as actors/rank_worker does). A dataset may
// carry its own n (a protocol's per-set n, eval/eval_protocol); progress is reported after
// every decoding step (eval/eval_progress). A rank of a sharded run answers only its share
// of the problems (base/rank_share.hpp) with the whole dataset's ids, seeds and answer
// budget; eval/eval_shards joins the shares. Torch stays in the .cpp.
//
//   auto m = eval::eval_model::load("lead", "runs/lead/final");
//   eval::eval_dataset arith{"arith", problems, /*arith=*/true};
//   auto samples = (*m)->evaluate(arith, {});          // n = 8, T = 0.8, top-p = 0.9
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/rank_share.hpp"
#include "base/result.hpp"
#include "eval/eval_progress.hpp"
#include "eval/eval_report.hpp"
#include "io/problem_dataset.hpp"
#include "model/decoder.hpp"

namespace leadrl::eval {

/// A dataset to evaluate on.
struct eval_dataset {
  std::string name;
  io::problem_dataset problems;
  bool arith = false;  ///< graded by grading::arith_grade (else grading::grade_answer)
  /// n of this dataset (a protocol's per-set n); 0: eval_sampling::samples_per_problem.
  std::int64_t samples_per_problem = 0;
};

/// Sampling settings of an evaluation.
struct eval_sampling {
  std::int64_t samples_per_problem = 8;  ///< n of pass@1, >= 1
  double temperature = 0.8;
  double top_p = 0.9;
  /// Tokens per answer at most; lowered per dataset to what the model's context allows
  /// after the dataset's longest prompt. A prompt that would leave the answer less than
  /// min(max_new_tokens, context / 2) tokens keeps only its end.
  std::int64_t max_new_tokens = 1024;
  std::int64_t max_batch = 64;  ///< sequences decoding together
  std::uint64_t seed = 1;
  /// Keep each answer's text in eval_samples::responses (for analyses of what the model
  /// writes, e.g. the step gate); off for the tables, which need only grades and lengths.
  bool keep_responses = false;
};

/// Totals of one evaluate() call.
struct eval_throughput {
  std::int64_t samples = 0;
  std::int64_t generated_tokens = 0;
  std::int64_t truncated = 0;          ///< answers cut by the token limit
  std::int64_t max_new_tokens = 0;     ///< the limit actually used
  std::int64_t truncated_prompts = 0;  ///< problems whose prompt lost its beginning
  double seconds = 0;                  ///< generation and grading
};

/// Sets the number of CPU threads torch uses inside one operation (n >= 1; ignored
/// otherwise). Tiny models are fastest with 1, especially on a shared machine.
void set_eval_threads(int n);

class eval_model {
 public:
  /// Loads config.json + safetensors and the tokenizer (tokenizer.json, character-level or
  /// BPE) from `dir`. `name` labels the results. Fails, naming `dir`, when it is not a
  /// folder or the model or tokenizer cannot be loaded. `placement`: device and dtype.
  static result<std::unique_ptr<eval_model>> load(const std::string& name, const std::string& dir,
                                                  const model::decoder_options& placement = {});
  ~eval_model();
  eval_model(const eval_model&) = delete;
  eval_model& operator=(const eval_model&) = delete;

  const std::string& name() const;

  /// Samples n answers to every problem (the dataset's n, else `sampling`'s) and grades
  /// them (lengths: generated tokens, the EOS included, at least 1, as the training logs
  /// count them); `progress`, when set, hears how far it is after every decoding step.
  /// With `share`, only the problems share->first .. share->first + share->count - 1 are
  /// answered (a rank's share; it may be empty); problem ids, seeds and the token budget
  /// stay the whole dataset's, so each sample is the one a whole run draws (the engine's
  /// output does not depend on what decodes beside it) and the shares' samples in problem
  /// order are the whole run's samples.
  /// Fails on an empty dataset, a share past its end, invalid sampling settings, a context
  /// too short for any answer, or a generation error.
  result<eval_samples> evaluate(const eval_dataset& data, const eval_sampling& sampling,
                                const eval_progress_callback& progress = {},
                                std::optional<index_range> share = std::nullopt);

  /// Totals of the last evaluate().
  const eval_throughput& last_throughput() const;

 private:
  struct impl;
  explicit eval_model(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace leadrl::eval
