// File: runtime/actor_system.hpp
//
// One CAF actor system per rank and the cross-rank links between actors
// (ARCHITECTURE.md §3): the scheduler is `sharing` with few threads, an actor is
// introduced to the other ranks over one connection per pair of ranks (see connect_ranks);
// the result is a handle per rank.
//
//   caf::actor_system_config cfg;
//   runtime::configure_actor_system(cfg, 2);  cfg.add_message_types<caf::id_block::leadrl>();
//   caf::actor_system sys{cfg};
//   auto peers = runtime::connect_ranks(sys, *world, sys.spawn(my_behavior));
#pragma once

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "runtime/mpi_world.hpp"

namespace leadrl::runtime {

/// Sets the scheduler (sharing policy, `threads` workers), loads the middleman and turns
/// CAF's own logging to the console off. Message types are added by the caller.
void configure_actor_system(caf::actor_system_config& cfg, int threads);

/// Links every pair of ranks by exactly one connection and returns one handle per rank,
/// `local` itself at this rank's index. Each rank publishes a short-lived registrar on an
/// ephemeral port, endpoints are exchanged with one MPI_Allgather, each rank dials the
/// registrars of the lower ranks only, introducing `local` and receiving theirs in reply,
/// and a second collective ends the exchange. (Two nodes dialling each other at once can
/// each keep a different connection, and a message is then lost.) Peers on the same host
/// (same processor name) are reached over 127.0.0.1. Every rank must call it at the same
/// point (it is collective). Fails on every rank if publishing or a connection fails on
/// any; the message names the rank and endpoint. Each collective waits at most `timeout`
/// for the other ranks, so a rank that dies or hangs while connecting (CAF's own wait for
/// a handshake has no deadline) makes the others fail instead of waiting forever.
result<std::vector<caf::actor>> connect_ranks(
    caf::actor_system& system, const mpi_world& world, const caf::actor& local,
    std::chrono::milliseconds timeout = std::chrono::minutes(10));

/// Bounds the wait in an actor system's destructor, which waits for every actor, and for
/// every detached actor's object to be released, without a deadline. Declared before the
/// system (so that it outlives the system's destructor) and armed when the run is over; if
/// it is still armed `limit` later, it calls `on_expiry`, which should end the process
/// with a message. Its own destructor disarms it.
///
///   runtime::shutdown_deadline deadline;
///   caf::actor_system sys{cfg};
///   ... the run ...
///   deadline.arm(std::chrono::seconds(30), [] { /* report, MPI_Abort */ });
class shutdown_deadline {
 public:
  shutdown_deadline() = default;
  shutdown_deadline(const shutdown_deadline&) = delete;
  shutdown_deadline& operator=(const shutdown_deadline&) = delete;
  ~shutdown_deadline();

  /// Starts the clock; a second call is ignored.
  void arm(std::chrono::milliseconds limit, std::function<void()> on_expiry);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::thread watcher_;
};

}  // namespace leadrl::runtime
