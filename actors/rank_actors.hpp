// File: actors/rank_actors.hpp
//
// The actors every rank runs in a training run (ARCHITECTURE.md §3-4), thin glue over the
// rank's actors::rank_worker: the generator and the learner (each on its own thread), the
// verifier, the gateway (the one actor published to the other ranks, routing step messages
// to the local actors and reports to the controller), and on rank 0 the heartbeat.
// Detached actors here only send anonymously: CAF 0.17.6 can keep an actor that another
// rank learned as a sender referenced after it ends, hanging the actor system's shutdown.
//
//   auto ver = system.spawn(actors::verifier, ctx);
//   auto gen = system.spawn<caf::detached>(actors::generator, ctx, ver);
#pragma once

#include <caf/all.hpp>
#include <memory>
#include <vector>

#include "actors/rank_context.hpp"

namespace leadrl::actors {

/// Runs the engine over the rank's prompts of a generate_request into the rollout store,
/// then hands the step to the local verifier (in-process; nothing is copied).
caf::behavior generator(caf::event_based_actor* self, std::shared_ptr<rank_context> s,
                        caf::actor verifier);

/// Grades the stored rollouts of a step and sends the compact scored_rollouts to the
/// controller's gateway (given by a target message).
caf::behavior verifier(caf::event_based_actor* self, std::shared_ptr<rank_context> s);

/// Runs the update of a step_plan and replies `trained` (and at a snapshot step first
/// `rank_snapshot`) to the controller's gateway.
caf::behavior learner(caf::event_based_actor* self, std::shared_ptr<rank_context> s);

/// The rank's published actor: routes requests to the local generator and learner and
/// reports (rank 0) to the controller; answers heartbeat pings; `shutdown` ends the rank.
caf::behavior gateway(caf::event_based_actor* self, std::shared_ptr<rank_context> s, caf::actor gen,
                      caf::actor learn);

/// Rank 0: pings the gateways of ranks > 0 and ends the job when one stays silent for
/// runtime.heartbeat_timeout_s.
caf::behavior heartbeat(caf::event_based_actor* self, std::shared_ptr<rank_context> s,
                        std::vector<caf::actor> peers);

}  // namespace leadrl::actors
