// File: actors/rank_worker.hpp
//
// The work of one rank behind the generator, verifier and learner actors: the rank's
// policy replica, its generation engine and rollout store, grading, and the PPO/GRPO
// update with gradient all-reduce over runtime::collectives. Actors only pass control
// messages; token ids and tensors stay here (ARCHITECTURE.md §3-4). Torch stays out of
// this header so the actors and their tests compile quickly.
//
//   auto w = actors::rank_worker::create(opts, rank, world_size, *coll);
//   w->generate(request);  auto scored = w->grade(step);  auto t = w->train(plan);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "base/result.hpp"
#include "io/problem_dataset.hpp"
#include "io/snapshot.hpp"
#include "io/train_options.hpp"
#include "runtime/collectives.hpp"

namespace leadrl::actors {

/// The training prompts of `options.data` (the built-in task's train split or a JSONL
/// set); every rank loads them itself, so only ids travel. Fails when the file cannot be
/// read or the task options are invalid.
result<io::problem_dataset> load_train_problems(const io::train_options& options);

/// A collectives object for a single process (world of one rank): sums and broadcasts
/// are the identity. Used by the in-process protocol runs.
std::unique_ptr<runtime::collectives> make_local_collectives();

class rank_worker {
 public:
  /// Builds the replica (random tiny decoder seeded by model.init_seed, or model.path),
  /// the tokenizer, the engine and the optimizer. `coll` must outlive the worker. Reads
  /// the test-only LEADRL_INJECT_NONFINITE (see parse_nonfinite_injection) and fails on a
  /// malformed value.
  /// Fails when the model, tokenizer or data cannot be loaded, a setting is invalid, or
  /// fewer than data.train_batch_size prompts fit data.max_prompt_length.
  static result<std::unique_ptr<rank_worker>> create(const io::train_options& options, int rank,
                                                     int world_size, runtime::collectives& coll);
  ~rank_worker();
  rank_worker(const rank_worker&) = delete;
  rank_worker& operator=(const rank_worker&) = delete;

  /// Number of training prompts (the controller's sampler draws ids below this): those
  /// of the dataset whose model input fits data.max_prompt_length tokens.
  std::int64_t num_prompts() const;
  /// The built-in arithmetic task: the level (1..5) of each training prompt, by prompt id;
  /// empty for other data.
  std::vector<int> prompt_levels() const;
  /// Prompts of the dataset dropped for being longer than data.max_prompt_length.
  std::int64_t dropped_prompts() const;

  /// Generator: samples group_size rollouts per prompt of `request` into the store under
  /// the request's step, with their behaviour log-probs. Synchronous runs generate with the
  /// learner's replica; with rollout.staleness >= 1 a replica of its own holds the weights
  /// of request.policy_version (published by the learner), so it may run while the learner
  /// trains. Fails on an unknown prompt id, unpublished weights or an engine error.
  status generate(const generate_request& request);

  /// Verifier: grades the stored rollouts of `step`; one row per rollout in store order
  /// (none when the store holds no such step).
  scored_rollouts grade(std::int64_t step) const;

  /// Learner: the update of `plan` over the stored rollouts of plan.step (global
  /// mini-batches, gradient all-reduce, clip, AdamW), which then leave the store; the
  /// policy version advances and the engine uses the new weights (with rollout.staleness
  /// >= 1 a copy of them is published for the generator, and the old log-probs of the PPO
  /// ratio are the recorded behaviour log-probs instead of a forward pass). Metric
  /// rollout/staleness: updates between the generating weights and this update's start. An update whose loss or gradients are not finite on any rank is skipped
  /// by every rank together (runtime::all_reduce_gradients_checked; rank 0 prints the
  /// step and the ranks), leaving parameters, AdamW moments, the optimizer step and the
  /// lr schedule position unchanged; metrics optim/skipped (updates skipped) and the loss
  /// means over the applied ones. The policy version advances even when every update was
  /// skipped (it is the step number). The checksum is computed when `with_checksum`.
  /// Fails when the plan's advantages do not match the store, or on a collective or loss
  /// error.
  result<trained> train(const step_plan& plan, bool with_checksum);

  /// The learner part of a snapshot: parameters under their HF names with their dtype,
  /// AdamW exp_avg/exp_avg_sq per parameter, the optimizer step and the lr schedule
  /// position (the schedule is a function of the optimizer step, so both are that count).
  /// Fails when a parameter's AdamW step differs from the optimizer's step count (state a
  /// snapshot could not restore exactly) or a dtype has no snapshot type.
  result<io::learner_state> export_learner_state() const;
  /// Loads /learner of `file` into the replica and the optimizer in place and sets the
  /// policy version, so that training continues bit-identically. Fails, naming the
  /// tensor, when the file's parameter or optimizer names, dtypes or shapes differ from
  /// this replica's, or the lr schedule position differs from the optimizer step; the
  /// replica may be partly overwritten then (the run must not continue).
  status import_learner_state(const io::hdf5_file& file, std::int64_t policy_version);
  /// This rank's counters for /ranks/<rank>: policy_version, optimizer_step,
  /// parameter_checksum (bit pattern as int64), cumulative generated tokens and seconds
  /// spent generating, grading and training.
  io::rank_state rank_counters() const;
  /// After import_learner_state: checks policy_version, optimizer_step and
  /// parameter_checksum against `state` (written by this rank at the snapshot) and
  /// restores the cumulative counters. Fails naming the first counter that differs or is
  /// missing.
  status restore_rank_counters(const io::rank_state& state);
  /// Updates applied so far (the step of the last train call, or the resumed step).
  std::int64_t policy_version() const;

  /// FNV-1a over the parameter bytes (equal on every rank iff replicas are identical).
  std::uint64_t parameter_checksum() const;
  /// Every parameter flattened into one float vector (tests compare replicas).
  std::vector<float> flat_parameters() const;
  /// Seconds of the last generate / grade / train calls.
  double last_generate_s() const;
  double last_grade_s() const;
  double last_train_s() const;
  /// Tokens generated by the last generate call.
  std::int64_t last_generated_tokens() const;

 private:
  struct impl;
  explicit rank_worker(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace leadrl::actors
