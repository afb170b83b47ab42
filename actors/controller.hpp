// File: actors/controller.hpp
//
// The controller actor (rank 0, ARCHITECTURE.md §3-4): it owns the step loop, the data
// sampler, the estimator state (LEAD's length-target table and PSI weights, HAPO's
// history) and the metrics; each step it sends every rank its prompts, assembles the
// ranks' scored rollouts, runs the estimator through lead::compute_advantages, broadcasts
// one step_plan per rank, collects `trained`, logs the step and, when due, writes a
// snapshot at the step boundary (a consistent cut, actors/run_state.hpp). A step that
// misses runtime.step_timeout_s ends the job, naming the silent ranks.
//
//   auto ctrl = system.spawn(actors::controller, ctx);
//   caf::anon_send(ctrl, peers_atom::value, gateways);  // starts step 1
#pragma once

#include <caf/all.hpp>
#include <memory>

#include "actors/rank_context.hpp"

namespace leadrl::actors {

/// The controller's behaviour; it starts when it receives (peers_atom, the gateways of
/// every rank in rank order) and finishes the rank's outcome after the last step.
caf::behavior controller(caf::event_based_actor* self, std::shared_ptr<rank_context> s);

}  // namespace leadrl::actors
