#include "actors/train_actors.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>

#include "actors/messages.hpp"
#include "actors/rank_worker.hpp"
#include "actors/run_state.hpp"
#include "actors/step_logic.hpp"
#include "io/data_sampler.hpp"
#include "io/snapshot_store.hpp"

namespace leadrl::actors {

namespace {

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

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// How often the controller pings every gateway (and ranks > 0 check they were pinged).
std::chrono::milliseconds heartbeat_interval(const io::train_options& o) {
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

struct shared {
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
    abort("rank " + std::to_string(rank) + ": " + why);
    outcome->finish(fail("rank " + std::to_string(rank) + ": " + why));
  }
};

template <class T>
std::size_t serialized_bytes(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto err = sink(x);
  return err ? 0 : buf.size();
}

// generator: runs the engine over the rank's prompts into the store, then hands the step
// to the local verifier (the store is shared in-process; nothing is copied).
caf::behavior generator(caf::event_based_actor*, std::shared_ptr<shared> s, caf::actor verifier) {
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
caf::behavior verifier(caf::event_based_actor* self, std::shared_ptr<shared> s) {
  auto target = std::make_shared<caf::actor>();
  return {[target](target_atom, const caf::actor& t) { *target = t; },
          [self, s, target](grade_atom, std::int64_t step) {
            self->send(*target, s->worker->grade(step));
          }};
}

// learner: the update of the step plan; replies `trained` to the controller's gateway.
caf::behavior learner(caf::event_based_actor*, std::shared_ptr<shared> s) {
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
caf::behavior gateway(caf::event_based_actor* self, std::shared_ptr<shared> s, caf::actor gen,
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
caf::behavior heartbeat(caf::event_based_actor* self, std::shared_ptr<shared> s,
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

struct controller_state {
  std::shared_ptr<shared> s;
  std::vector<caf::actor> peers;
  std::optional<io::data_sampler> sampler;
  lead::estimator_state estimator;
  std::int64_t step = 0;  // current step, 1-based
  std::vector<std::int64_t> prompt_ids;
  std::vector<std::optional<scored_rollouts>> scored;
  std::vector<std::optional<trained>> reports;
  std::vector<std::optional<io::rank_state>> rank_states;  // at a snapshot step
  std::size_t num_scored = 0, num_trained = 0;
  metrics_history history;
  std::optional<io::snapshot_store> store;
  std::optional<assembled_batch> batch;
  step_advantages adv;
  clock_type::time_point run_start, step_start, gen_start, train_start;
  double busy = 0, gen_s = 0, train_s = 0, adv_s = 0;
  std::size_t caf_bytes = 0;
  train_summary summary;
  std::ofstream jsonl;
};

// The snapshot of the end of the current step: /controller from the controller's state,
// /learner from rank 0's replica (replicas are identical, checked by checksum), /ranks
// from every rank's rank_snapshot.
result<std::string> write_step_snapshot(controller_state& st) {
  const auto& o = st.s->options;
  io::snapshot snap;
  snap.meta = make_snapshot_meta(o, st.step, static_cast<int>(st.peers.size()));
  snap.controller = export_controller_state(*st.sampler, st.estimator, st.history);
  auto learner = st.s->worker->export_learner_state();
  if (!learner) return learner.error();
  snap.learner = std::move(*learner);
  for (std::size_t r = 0; r < st.rank_states.size(); ++r) {
    if (!st.rank_states[r]) return fail("no rank_snapshot from rank " + std::to_string(r));
    snap.ranks.push_back(std::move(*st.rank_states[r]));
  }
  return st.store->write(snap);
}

// At a snapshot step, writes the snapshot and records its time as timing/snapshot in `m`
// and the metrics history (0 at other steps); returns the progress line ("" when none).
result<std::string> snapshot_if_due(controller_state& st, std::map<std::string, double>& m) {
  const auto& trainer = st.s->options.trainer;
  double seconds = 0;
  std::string line;
  if (snapshot_due(trainer, st.step)) {
    const auto t0 = clock_type::now();
    auto path = write_step_snapshot(st);
    if (!path) return path.error();
    seconds = seconds_since(t0);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(*path, ec);
    char size[64];
    std::snprintf(size, sizeof size, "(%.2f MB, %.3f s)",
                  ec ? 0.0 : static_cast<double>(bytes) / 1e6, seconds);
    line = "snapshot step " + std::to_string(st.step) + " -> " + *path + " " + size;
  }
  m["timing/snapshot"] = seconds;
  auto& column = st.history["timing/snapshot"];
  column.resize(st.history["step"].size(), std::nan(""));
  column.back() = seconds;
  return line;
}

// The run's setup once the peers are known: the sampler, the resumed controller state,
// the snapshot store and the metrics log (continued when resuming).
status prepare_run(controller_state& st) {
  const auto& o = st.s->options;
  auto sampler =
      io::data_sampler::make(st.s->worker->num_prompts(), o.data.train_batch_size, o.trainer.seed);
  if (!sampler) return sampler.error().with_context("controller");
  st.sampler = std::move(*sampler);
  if (st.s->resumed_controller) {
    if (auto r = import_controller_state(*st.s->resumed_controller, *st.sampler, st.estimator,
                                         st.history);
        !r) {
      return r.error().with_context("controller: resume");
    }
    st.step = st.s->resumed_step;
    st.s->resumed_controller.reset();
  }
  if (o.trainer.save_freq > 0) {
    auto store =
        io::snapshot_store::open(o.trainer.snapshot_dir, static_cast<int>(o.trainer.keep_last));
    if (!store) return store.error().with_context("trainer.snapshot_dir");
    st.store = std::move(*store);
  }
  if (!o.trainer.log_jsonl.empty()) {
    // A resumed run continues the log: lines up to the snapshot's step stay, later ones
    // (steps that are run again) are dropped.
    if (st.step > 0) {
      if (auto k = keep_metrics_log_through(o.trainer.log_jsonl, st.step); !k) {
        return k.error().with_context("trainer.log_jsonl");
      }
    }
    st.jsonl.open(o.trainer.log_jsonl, st.step > 0 ? std::ios::app : std::ios::trunc);
    if (!st.jsonl) return fail("trainer.log_jsonl: cannot write '" + o.trainer.log_jsonl + "'");
  }
  return status::success();
}

caf::behavior controller(caf::event_based_actor* self, std::shared_ptr<shared> s) {
  auto st = std::make_shared<controller_state>();
  st->s = s;
  st->estimator = lead::make_estimator_state(s->options.estimator);
  auto start_step = [self, st]() {
    const auto& o = st->s->options;
    if (st->step >= o.trainer.total_steps) {
      for (auto& p : st->peers) self->send(p, shutdown_atom::value);
      st->summary.final_checksum = st->s->worker->parameter_checksum();
      st->s->outcome->finish(std::move(st->summary));
      self->quit();
      return;
    }
    ++st->step;
    const auto t0 = clock_type::now();
    st->step_start = t0;
    st->prompt_ids = st->sampler->next_batch();
    const auto shards = shard_prompts(st->prompt_ids, static_cast<int>(st->peers.size()));
    st->scored.assign(st->peers.size(), std::nullopt);
    st->reports.assign(st->peers.size(), std::nullopt);
    st->rank_states.assign(st->peers.size(), std::nullopt);
    st->num_scored = st->num_trained = 0;
    st->caf_bytes = 0;
    for (std::size_t r = 0; r < st->peers.size(); ++r) {
      generate_request req{st->step, st->step - 1, shards[r],
                           static_cast<std::int32_t>(o.rollout.n)};
      st->caf_bytes += serialized_bytes(self->system(), req);
      self->send(st->peers[r], std::move(req));
    }
    self->delayed_send(
        self, std::chrono::milliseconds(static_cast<long long>(o.runtime.step_timeout_s * 1000.0)),
        deadline_atom::value, st->step);
    st->busy = seconds_since(t0);
    st->gen_start = clock_type::now();
  };
  return {[self, st, start_step](peers_atom, const std::vector<caf::actor>& peers) {
            st->peers = peers;
            if (auto r = prepare_run(*st); !r) {
              st->s->fail_job(r.error().message());
              self->quit();
              return;
            }
            st->run_start = clock_type::now();
            start_step();
          },
          [self, st](scored_rollouts& x) {
            if (x.step != st->step || x.rank < 0 || x.rank >= static_cast<int>(st->peers.size()) ||
                st->scored[static_cast<std::size_t>(x.rank)]) {
              st->s->fail_job("controller: unexpected scored_rollouts (step " +
                              std::to_string(x.step) + ", rank " + std::to_string(x.rank) + ")");
              return;
            }
            const auto t0 = clock_type::now();
            st->caf_bytes += serialized_bytes(self->system(), x);
            const auto r = static_cast<std::size_t>(x.rank);
            st->scored[r] = std::move(x);
            if (++st->num_scored < st->peers.size()) {
              st->busy += seconds_since(t0);
              return;
            }
            st->gen_s = std::chrono::duration<double>(t0 - st->gen_start).count();
            std::vector<scored_rollouts> all;
            for (auto& o : st->scored) all.push_back(std::move(*o));
            auto batch = assemble_batch(all, st->step);
            if (!batch) {
              st->s->fail_job("controller: " + batch.error().message());
              return;
            }
            const auto ta = clock_type::now();
            auto adv = run_estimator(st->s->options.estimator, st->estimator, *batch);
            if (!adv) {
              st->s->fail_job("controller, step " + std::to_string(st->step) + ": estimator " +
                              st->s->options.estimator.name + ": " + adv.error().message());
              return;
            }
            st->adv_s = seconds_since(ta);
            st->batch = std::move(*batch);
            st->adv = std::move(*adv);
            auto plans = make_step_plans(*st->batch, st->adv);
            for (std::size_t k = 0; k < plans.size(); ++k) {
              st->caf_bytes += serialized_bytes(self->system(), plans[k]);
              self->send(st->peers[k], std::move(plans[k]));
            }
            st->busy += seconds_since(t0);
            st->train_start = clock_type::now();
          },
          [st](rank_snapshot& x) {
            if (x.step != st->step || x.rank < 0 || x.rank >= static_cast<int>(st->peers.size()) ||
                st->rank_states[static_cast<std::size_t>(x.rank)]) {
              st->s->fail_job("controller: unexpected rank_snapshot (step " +
                              std::to_string(x.step) + ", rank " + std::to_string(x.rank) + ")");
              return;
            }
            st->rank_states[static_cast<std::size_t>(x.rank)] =
                io::rank_state{std::move(x.int64_counters), std::move(x.double_counters)};
          },
          [self, st, start_step](trained& x) {
            if (x.step != st->step || x.rank < 0 || x.rank >= static_cast<int>(st->peers.size()) ||
                st->reports[static_cast<std::size_t>(x.rank)]) {
              st->s->fail_job("controller: unexpected trained (step " + std::to_string(x.step) +
                              ", rank " + std::to_string(x.rank) + ")");
              return;
            }
            const auto t0 = clock_type::now();
            st->caf_bytes += serialized_bytes(self->system(), x);
            const auto r = static_cast<std::size_t>(x.rank);
            st->reports[r] = std::move(x);
            if (++st->num_trained < st->peers.size()) {
              st->busy += seconds_since(t0);
              return;
            }
            st->train_s = std::chrono::duration<double>(t0 - st->train_start).count();
            std::vector<trained> all;
            for (auto& o : st->reports) all.push_back(std::move(*o));
            step_timings timings;
            timings.gen = st->gen_s;
            timings.adv = st->adv_s;
            timings.train = st->train_s;
            timings.step = seconds_since(st->step_start);
            timings.controller = st->busy + seconds_since(t0);
            auto metrics = step_metrics(*st->batch, st->adv, all, timings);
            if (!metrics) {
              st->s->fail_job("controller: " + metrics.error().message());
              return;
            }
            auto& m = *metrics;
            m["caf/bytes_per_step"] = static_cast<double>(st->caf_bytes);
            const auto& o = st->s->options;
            // The consistent cut: every rank has trained step k and nothing of k+1 has
            // started, so the snapshot goes out now (its metrics row of this step lacks
            // only timing/snapshot, which is measured by writing it).
            append_metrics(st->history, st->step, m);
            auto snapshot_line = snapshot_if_due(*st, m);
            if (!snapshot_line) {
              st->s->fail_job("controller: snapshot of step " + std::to_string(st->step) + ": " +
                              snapshot_line.error().message());
              return;
            }
            step_record rec;
            rec.step = st->step;
            rec.w_corr = st->adv.w_corr;
            rec.w_eff = st->adv.w_eff;
            rec.prompt_ids = st->prompt_ids;
            rec.lstar_prompt_ids = st->adv.lstar_prompt_ids;
            rec.lstar = st->adv.lstar;
            rec.lengths = st->batch->batch.lengths;
            rec.correctness = st->batch->batch.correctness;
            rec.advantages = st->adv.advantages;
            rec.parameter_checksum = all.front().parameter_checksum;
            rec.caf_bytes = st->caf_bytes;
            // The time spent writing the log counts as controller time too.
            const auto tl = clock_type::now();
            if (st->jsonl.is_open())
              st->jsonl << metrics_json_line(st->step, m) << "\n" << std::flush;
            if (o.trainer.progress) {
              std::cerr << progress_line(st->step, o.trainer.total_steps,
                                         seconds_since(st->run_start), m)
                        << std::endl;
              if (!snapshot_line->empty()) std::cerr << *snapshot_line << std::endl;
            }
            m["timing/controller"] += seconds_since(tl);
            rec.metrics = std::move(m);
            st->summary.steps.push_back(std::move(rec));
            start_step();
          },
          [st](deadline_atom, std::int64_t step) {
            if (step == st->step && st->num_trained < st->peers.size()) {
              std::string missing;
              for (std::size_t r = 0; r < st->peers.size(); ++r) {
                const bool have = st->num_scored < st->peers.size() ? st->scored[r].has_value()
                                                                    : st->reports[r].has_value();
                if (!have) missing += (missing.empty() ? "" : ",") + std::to_string(r);
              }
              st->s->fail_job("controller: step " + std::to_string(step) +
                              " missed its deadline of " +
                              std::to_string(st->s->options.runtime.step_timeout_s) +
                              " s; no reply from rank(s) " + missing);
            }
          }};
}

// Every rank reads the snapshot itself (a filesystem all ranks see): its replica and
// optimizer from /learner, its counters from /ranks/<rank>; rank 0 also /controller.
status load_resume_state(shared& s) {
  auto file = io::hdf5_file::open(s.options.resume_path);
  if (!file) return file.error();
  auto meta = io::read_snapshot_meta(*file);
  if (!meta) return meta.error();
  if (meta->world_size != s.world_size) {
    return fail("written by a run with world size " + std::to_string(meta->world_size) +
                ", this run has " + std::to_string(s.world_size));
  }
  if (auto r = s.worker->import_learner_state(*file, meta->policy_version); !r) return r;
  auto counters = io::read_rank_state(*file, s.rank);
  if (!counters) return counters.error();
  if (auto r = s.worker->restore_rank_counters(*counters); !r) return r;
  if (s.rank == 0) {
    auto c = io::read_controller_state(*file);
    if (!c) return c.error();
    s.resumed_controller = std::move(*c);
    s.resumed_step = meta->step;
  }
  return file->close();
}

}  // namespace

result<train_summary> run_training(const io::train_options& options, int rank, int world_size,
                                   runtime::collectives& coll, caf::actor_system& system,
                                   const connect_function& connect, const abort_function& abort) {
  auto s = std::make_shared<shared>();
  s->options = options;
  s->rank = rank;
  s->world_size = world_size;
  s->abort = abort;
  s->outcome = std::make_shared<run_outcome>();
  auto future = s->outcome->promise.get_future();
  auto worker = rank_worker::create(options, rank, world_size, coll);
  if (!worker) {
    const std::string why = "rank " + std::to_string(rank) + ": " + worker.error().message();
    abort(why);
    return fail(why);
  }
  s->worker = std::shared_ptr<rank_worker>(std::move(*worker));
  if (!options.resume_path.empty()) {
    const auto t0 = clock_type::now();
    if (auto r = load_resume_state(*s); !r) {
      const std::string why = "rank " + std::to_string(rank) + ": resume from " +
                              options.resume_path + ": " + r.error().message();
      abort(why);
      return fail(why);
    }
    if (rank == 0 && options.trainer.progress) {
      char took[32];
      std::snprintf(took, sizeof took, "%.3f s", seconds_since(t0));
      std::cerr << "resume: loaded " << options.resume_path << " at step " << s->resumed_step
                << " in " << took << std::endl;
    }
  }

  auto ver = system.spawn(verifier, s);
  auto gen = system.spawn<caf::detached>(generator, s, ver);
  auto learn = system.spawn<caf::detached>(learner, s);
  auto gate = system.spawn(gateway, s, gen, learn);
  auto peers = connect(system, gate);
  if (!peers) {
    const std::string why = "rank " + std::to_string(rank) + ": " + peers.error().message();
    abort(why);
    for (auto& a : {ver, gen, learn, gate}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    return fail(why);
  }
  caf::anon_send(ver, target_atom::value, (*peers)[0]);
  caf::anon_send(learn, target_atom::value, (*peers)[0]);
  if (rank != 0) caf::anon_send(gate, peers_atom::value, (*peers)[0]);  // pongs go there
  caf::actor ctrl;
  if (rank == 0) {
    ctrl = system.spawn(controller, s);
    caf::anon_send(gate, target_atom::value, ctrl);
  }
  // Every rank has wired its actors before the first request can arrive.
  if (auto b = coll.barrier(); !b) {
    abort(b.error().message());
    return b.error();
  }
  if (rank == 0) caf::anon_send(ctrl, peers_atom::value, *peers);
  caf::actor beat;
  if (rank == 0 && world_size > 1 && options.runtime.heartbeat_timeout_s > 0) {
    beat = system.spawn<caf::detached>(heartbeat, s, *peers);
    caf::anon_send(gate, heartbeat_atom::value, beat);
  }

  // Ranks other than 0 end on the controller's shutdown; every rank also bounds its wait
  // so that a lost controller ends the job instead of hanging it.
  const double limit =
      options.runtime.step_timeout_s * static_cast<double>(options.trainer.total_steps + 1);
  result<train_summary> out = fail("unset");
  if (future.wait_for(std::chrono::duration<double>(limit)) != std::future_status::ready) {
    const std::string why = "rank " + std::to_string(rank) +
                            ": no shutdown from the controller within " + std::to_string(limit) +
                            " s";
    abort(why);
    out = fail(why);
  } else {
    out = future.get();
  }
  // The caller's actor_system destructor waits until every detached actor (generator,
  // learner, heartbeat) is destroyed. CAF 0.17.6 can keep an actor that another rank has
  // learned as a message's sender referenced after it ends, which hung that destructor
  // (the learner, about 1 run in 30 at -np 4), so these actors only send anonymously.
  for (auto& a : {ver, gen, learn, gate}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  if (ctrl) caf::anon_send_exit(ctrl, caf::exit_reason::user_shutdown);
  if (beat) caf::anon_send_exit(beat, caf::exit_reason::user_shutdown);
  if (!out) return out;
  // Nobody leaves while a peer may still be sending (clean shutdown).
  if (auto b = coll.barrier(); !b) {
    abort(b.error().message());
    return b.error();
  }
  out->final_parameters = s->worker->flat_parameters();
  out->final_checksum = s->worker->parameter_checksum();
  return out;
}

}  // namespace leadrl::actors
