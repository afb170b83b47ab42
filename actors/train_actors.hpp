// File: actors/train_actors.hpp
//
// A training run on one rank (ARCHITECTURE.md §3-4): run_training builds the rank's
// worker, spawns the actors and wires them across ranks. The controller (rank 0: sampler,
// estimator state, step loop, per-step step_plan broadcast, metrics, deadline, snapshots)
// is actors/controller.hpp; the generator, verifier, learner, gateway and heartbeat that
// every rank runs are actors/rank_actors.hpp; what they share is actors/rank_context.hpp.
// Only control messages and per-rollout summaries go through CAF. With
// trainer.save_freq > 0 the controller writes a snapshot at the end of every save_freq-th
// and of the last step, before the next step starts (ARCHITECTURE.md §5; the state mapping
// is actors/run_state.hpp); a snapshot that cannot be written (disk full, I/O error) is
// reported and retried at the next save step while training goes on. options.resume_path
// makes every rank continue from one. A
// rank silent to rank 0's heartbeat for runtime.heartbeat_timeout_s, or a rank > 0 that
// hears no ping for that long, ends the job however long a step may legitimately take.
//
//   auto summary = actors::run_training(opts, rank, size, *coll, system, connect, abort);
//   // rank 0: summary->steps[k] holds the controller's decision and metrics of step k
#pragma once

#include <caf/all.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/train_options.hpp"
#include "runtime/collectives.hpp"

namespace leadrl::actors {

/// What the controller decided and measured in one step (rank 0 only).
struct step_record {
  std::int64_t step = 0;
  double w_corr = 0, w_eff = 0;
  std::vector<std::int64_t> prompt_ids;  ///< the step's batch, in order
  std::vector<std::int64_t> lstar_prompt_ids;
  std::vector<double> lstar;
  std::vector<double> lengths, correctness, advantages;  ///< global batch in rank order
  std::uint64_t parameter_checksum = 0;                  ///< after the update (0 when not computed)
  std::map<std::string, double> metrics;
  std::size_t caf_bytes = 0;  ///< serialized bytes of the step's four message kinds
};

/// The outcome of a run on one rank.
struct train_summary {
  std::vector<step_record> steps;       ///< rank 0 only
  std::vector<float> final_parameters;  ///< this rank's replica after the last step
  std::uint64_t final_checksum = 0;
  /// Rank 0: why the last step's snapshot was not written (path and reason); empty when
  /// it was written or none was due. Training itself finished; `leadrl train` exits 3.
  std::string final_snapshot_error;
};

/// Connects this rank's gateway to every rank's (runtime::connect_ranks, or {local} for
/// a single process); index r is rank r's gateway.
using connect_function =
    std::function<result<std::vector<caf::actor>>(caf::actor_system&, const caf::actor&)>;
/// Called on a failure that must end the whole job (MPI abort). Its code tells the caller
/// whether the input must change (errc::invalid_input: a model, tokenizer, dataset or
/// snapshot that cannot be used; `leadrl train` exits with 2 and `leadrl launch` does not
/// restart) or a restart may succeed (any other code). In a single process it may return;
/// the run then ends with the error.
using abort_function = std::function<void(const leadrl::error&)>;

/// Runs the whole training on this rank: builds the worker, spawns the actors, connects
/// the ranks, runs total_steps steps (rank 0 drives), shuts down cleanly. Every rank
/// calls it at the same point. Fails on a setup error (model, data, connection), a step
/// that misses runtime.step_timeout_s, a peer silent for runtime.heartbeat_timeout_s, a
/// worker error, diverged replicas, trainer.max_nonfinite_steps consecutive steps with
/// non-finite loss or gradients, or (options.resume_path) a snapshot that cannot be read
/// into this
/// run (other world size, names, shapes or dtypes, a sampler order or table that does not
/// fit, a rank whose checksum after loading differs from the one recorded); with MPI the
/// abort function ends the job first.
result<train_summary> run_training(const io::train_options& options, int rank, int world_size,
                                   runtime::collectives& coll, caf::actor_system& system,
                                   const connect_function& connect, const abort_function& abort);

}  // namespace leadrl::actors
