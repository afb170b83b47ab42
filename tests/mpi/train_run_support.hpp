// File: tests/mpi/train_run_support.hpp
//
// Runs actors::run_training for a test: on every rank of the job (MPI collectives, CAF
// across ranks) or on rank 0 alone in this process (local collectives, one gateway).
//
//   auto dist = test::run_on(options, /*distributed=*/true);
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/rank_worker.hpp"
#include "actors/train_actors.hpp"
#include "runtime/actor_system.hpp"
#include "tests/mpi/mpi_test_env.hpp"

namespace leadrl::test {

inline result<actors::train_summary> run_on(const io::train_options& o, bool distributed) {
  caf::actor_system_config cfg;
  runtime::configure_actor_system(cfg, 1);
  cfg.add_message_types<caf::id_block::leadrl>();
  // A hung shutdown ends the test job with a message instead of ctest's timeout.
  runtime::shutdown_deadline deadline;
  caf::actor_system system{cfg};
  auto abort = [](const leadrl::error& e) { g_world->abort(3, e.message()); };
  if (distributed) {
    auto coll = runtime::make_mpi_collectives(*g_world, std::chrono::seconds(60));
    auto connect = [](caf::actor_system& sys, const caf::actor& local) {
      return runtime::connect_ranks(sys, *g_world, local, std::chrono::seconds(60));
    };
    auto out =
        actors::run_training(o, g_world->rank(), g_world->size(), *coll, system, connect, abort);
    deadline.arm(std::chrono::seconds(30), [] {
      g_world->abort(3, "the actor system did not shut down within 30 s after the run");
    });
    return out;
  }
  auto coll = actors::make_local_collectives();
  auto connect = [](caf::actor_system&, const caf::actor& local) {
    return result<std::vector<caf::actor>>(std::vector<caf::actor>{local});
  };
  return actors::run_training(o, 0, 1, *coll, system, connect, abort);
}

}  // namespace leadrl::test
