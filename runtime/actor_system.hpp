// File: runtime/actor_system.hpp
//
// One CAF actor system per rank and the cross-rank links between actors
// (ARCHITECTURE.md §3): the scheduler is `sharing` with few threads, an actor is
// published through the middleman on an ephemeral port, and (host, port) pairs are
// exchanged with one MPI_Allgather; the result is a handle per rank.
//
//   caf::actor_system_config cfg;
//   runtime::configure_actor_system(cfg, 2);  cfg.add_message_types<caf::id_block::leadrl>();
//   caf::actor_system sys{cfg};
//   auto peers = runtime::connect_ranks(sys, *world, sys.spawn(my_behavior));
#pragma once

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <string>
#include <vector>

#include "lead/result.hpp"
#include "runtime/mpi_world.hpp"

namespace leadrl::runtime {

/// Sets the scheduler (sharing policy, `threads` workers), loads the middleman and turns
/// CAF's own logging to the console off. Message types are added by the caller.
void configure_actor_system(caf::actor_system_config& cfg, int threads);

/// Publishes `local` on an ephemeral port of every interface, exchanges endpoints with
/// all ranks and connects to each peer's published actor. Returns one handle per rank,
/// `local` itself at this rank's index. Peers on the same host (same processor name) are
/// reached over 127.0.0.1. Every rank must call it at the same point (it is collective).
/// Fails if publishing or a connection fails; the message names the rank and endpoint.
result<std::vector<caf::actor>> connect_ranks(caf::actor_system& system, const mpi_world& world,
                                              const caf::actor& local);

}  // namespace leadrl::runtime
