// File: actors/rank_context.hpp
//
// What the actors of one rank share during a training run (the rank's options, worker and
// outcome), the message atoms of the step protocol, and small timing helpers. Internal to
// actors/: the controller (actors/controller.hpp), the rank-side actors
// (actors/rank_actors.hpp) and run_training (actors/train_actors.cpp) include it.
//
//   auto ctx = std::make_shared<actors::rank_context>();  ctx->options = options;
//   auto gate = system.spawn(actors::gateway, ctx, gen, learn);
#pragma once

#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/rank_worker.hpp"
#include "actors/train_actors.hpp"
#include "io/snapshot.hpp"
#include "io/train_options.hpp"

namespace leadrl::actors {

using grade_atom = caf::atom_constant<caf::atom("grade")>;
using target_atom = caf::atom_constant<caf::atom("target")>;
using peers_atom = caf::atom_constant<caf::atom("peers")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using pong_atom = caf::atom_constant<caf::atom("pong")>;
using watchdog_atom = caf::atom_constant<caf::atom("watchdog")>;
using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// How often the controller pings every gateway (and ranks > 0 check they were pinged).
inline std::chrono::milliseconds heartbeat_interval(const io::train_options& o) {
  return std::chrono::milliseconds(
      std::max<long long>(100, static_cast<long long>(o.runtime.heartbeat_timeout_s * 1000.0 / 6)));
}

// The end of a run on one rank: set once, by the controller, the gateway or a failure.
struct run_outcome {
  std::promise<result<train_summary>> promise;
  std::atomic<bool> set{false};
  void finish(result<train_summary> r) {
    if (!set.exchange(true)) promise.set_value(std::move(r));
  }
};

/// The actors of one rank share this (one per rank and run).
struct rank_context {
  io::train_options options;
  int rank = 0;
  int world_size = 1;
  std::shared_ptr<rank_worker> worker;
  std::shared_ptr<run_outcome> outcome;
  abort_function abort;
  // Rank 0, when resuming: the snapshot's /controller and step.
  std::optional<io::controller_state> resumed_controller;
  std::int64_t resumed_step = 0;
  void fail_job(const std::string& why) {
    const leadrl::error e("rank " + std::to_string(rank) + ": " + why, errc::run_failure);
    abort(e);
    outcome->finish(e);
  }
};

/// The size of `x` as CAF serializes it (0 if it cannot): the bytes a message costs.
template <class T>
std::size_t serialized_bytes(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto err = sink(x);
  return err ? 0 : buf.size();
}

}  // namespace leadrl::actors
