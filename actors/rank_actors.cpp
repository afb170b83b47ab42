#include "actors/rank_actors.hpp"

#include <optional>
#include <string>
#include <utility>

#include "actors/run_state.hpp"

namespace leadrl::actors {

// generator: runs the engine over the rank's prompts into the store, then hands the step
// to the local verifier (the store is shared in-process; nothing is copied).
caf::behavior generator(caf::event_based_actor*, std::shared_ptr<rank_context> s,
                        caf::actor verifier) {
  return {[s, verifier](const generate_request& req) {
    if (auto st = s->worker->generate(req); !st) {
      s->fail_job(st.error().message());
      return;
    }
    caf::anon_send(verifier, grade_atom::value, req.step);
  }};
}

// verifier: grades the stored rollouts and sends the compact summary to the controller's
// gateway (rank 0).
caf::behavior verifier(caf::event_based_actor* self, std::shared_ptr<rank_context> s) {
  auto target = std::make_shared<caf::actor>();
  return {[target](target_atom, const caf::actor& t) { *target = t; },
          [self, s, target](grade_atom, std::int64_t step) {
            self->send(*target, s->worker->grade(step));
          }};
}

// learner: the update of the step plan; replies `trained` to the controller's gateway.
caf::behavior learner(caf::event_based_actor*, std::shared_ptr<rank_context> s) {
  auto target = std::make_shared<caf::actor>();
  return {[target](target_atom, const caf::actor& t) { *target = t; },
          [s, target](const step_plan& plan) {
            const auto freq = s->options.runtime.checksum_freq;
            const bool checksum = freq > 0 && ((plan.step % freq) == 0 ||
                                               plan.step == s->options.trainer.total_steps);
            auto t = s->worker->train(plan, checksum);
            if (!t) {
              s->fail_job(t.error().message());
              return;
            }
            // At a snapshot step this rank's counters go first; the controller has them
            // when the `trained` of every rank is in (messages of one sender keep order).
            // Sent anonymously: a detached actor must never be known to another rank (see
            // run_training's end).
            if (snapshot_due(s->options.trainer, plan.step)) {
              io::rank_state c = s->worker->rank_counters();
              caf::anon_send(*target, rank_snapshot{plan.step, static_cast<std::int32_t>(s->rank),
                                                    std::move(c.int64_counters),
                                                    std::move(c.double_counters)});
            }
            caf::anon_send(*target, std::move(*t));
          }};
}

// gateway: the rank's published actor. Step requests go to the local generator/learner,
// reports (on rank 0) to the controller; `shutdown` ends the rank's run. Heartbeat: on
// ranks > 0 it answers the controller's pings with (pong, rank) to rank 0's gateway, which
// hands the pongs to the local heartbeat actor.
caf::behavior gateway(caf::event_based_actor* self, std::shared_ptr<rank_context> s, caf::actor gen,
                      caf::actor learn) {
  auto controller = std::make_shared<caf::actor>();
  auto rank0 = std::make_shared<caf::actor>();  // ranks > 0: rank 0's gateway
  auto beat = std::make_shared<caf::actor>();   // rank 0: the heartbeat actor
  // Ranks > 0: when the controller's pings were last heard (watched from the first one on).
  auto last_ping = std::make_shared<std::optional<clock_type::time_point>>();
  return {[controller](target_atom, const caf::actor& c) { *controller = c; },
          [rank0](peers_atom, const caf::actor& r0) { *rank0 = r0; },
          [beat](heartbeat_atom, const caf::actor& b) { *beat = b; },
          [gen](generate_request& r) { caf::anon_send(gen, std::move(r)); },
          [learn](step_plan& p) { caf::anon_send(learn, std::move(p)); },
          [controller](scored_rollouts& x) { caf::anon_send(*controller, std::move(x)); },
          [controller](trained& x) { caf::anon_send(*controller, std::move(x)); },
          [controller](rank_snapshot& x) { caf::anon_send(*controller, std::move(x)); },
          [self, s, rank0, last_ping](ping_atom) {
            if (!*last_ping) self->send(self, watchdog_atom::value);
            *last_ping = clock_type::now();
            if (*rank0)
              caf::anon_send(*rank0, pong_atom::value, static_cast<std::int32_t>(s->rank));
          },
          // A pong before the heartbeat's handle is here is dropped; the next one counts.
          [beat](pong_atom, std::int32_t rank) {
            if (*beat) caf::anon_send(*beat, pong_atom::value, rank);
          },
          [self, s, last_ping](watchdog_atom) {
            const double limit = s->options.runtime.heartbeat_timeout_s;
            if (seconds_since(**last_ping) > limit) {
              s->fail_job("no heartbeat from the controller (rank 0) for " + std::to_string(limit) +
                          " s (runtime.heartbeat_timeout_s)");
              return;
            }
            self->delayed_send(self, heartbeat_interval(s->options), watchdog_atom::value);
          },
          [self, s](shutdown_atom) {
            if (s->rank != 0) s->outcome->finish(train_summary{});
            self->quit();
          }};
}

// heartbeat (rank 0, its own thread so that a busy controller or a long snapshot write
// does not delay it): pings the gateways of ranks > 0 every heartbeat_interval and ends the
// job when a rank's last pong is older than runtime.heartbeat_timeout_s. Every gateway
// answers at once, even while its rank generates or trains (those run in their own
// threads), so a silent rank is a stopped, hung or lost one; the pings also tell ranks > 0
// that rank 0 lives. Pings and pongs are anonymous messages: a detached actor must never
// be known to another rank (see run_training's end).
caf::behavior heartbeat(caf::event_based_actor* self, std::shared_ptr<rank_context> s,
                        std::vector<caf::actor> peers) {
  auto last_pong =
      std::make_shared<std::vector<clock_type::time_point>>(peers.size(), clock_type::now());
  self->send(self, heartbeat_atom::value);
  return {[last_pong](pong_atom, std::int32_t rank) {
            if (rank > 0 && static_cast<std::size_t>(rank) < last_pong->size()) {
              (*last_pong)[static_cast<std::size_t>(rank)] = clock_type::now();
            }
          },
          [self, s, peers, last_pong](heartbeat_atom) {
            const double limit = s->options.runtime.heartbeat_timeout_s;
            for (std::size_t r = 1; r < peers.size(); ++r) {
              if (seconds_since((*last_pong)[r]) > limit) {
                s->fail_job("rank " + std::to_string(r) + " did not answer a heartbeat within " +
                            std::to_string(limit) +
                            " s (stopped, hung or unreachable; runtime.heartbeat_timeout_s)");
                self->quit();
                return;
              }
              caf::anon_send(peers[r], ping_atom::value);
            }
            self->delayed_send(self, heartbeat_interval(s->options), heartbeat_atom::value);
          }};
}

}  // namespace leadrl::actors
