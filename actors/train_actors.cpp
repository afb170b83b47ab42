#include "actors/train_actors.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <memory>

#include "actors/controller.hpp"
#include "actors/rank_actors.hpp"
#include "actors/rank_context.hpp"
#include "actors/run_state.hpp"
#include "io/hdf5_file.hpp"

namespace leadrl::actors {

namespace {

// This rank's counters from /ranks: its own group at the same world size; at another one
// (a resize) the old ranks folded onto the new ones (fold_rank_states).
result<io::rank_state> read_resumed_counters(const io::hdf5_file& file,
                                             const io::snapshot_meta& meta, int rank,
                                             int world_size) {
  if (meta.world_size == world_size) return io::read_rank_state(file, rank);
  std::vector<io::rank_state> old;
  for (std::int64_t k = 0; k < meta.world_size; ++k) {
    auto r = io::read_rank_state(file, k);
    if (!r) return r.error();
    old.push_back(std::move(*r));
  }
  return fold_rank_states(old, rank, world_size);
}

// Every rank reads the snapshot itself (a filesystem all ranks see): its replica and
// optimizer from /learner, its counters from /ranks; rank 0 also /controller. A snapshot
// of another world size is used when the global batch divides evenly over this run's
// ranks (rank 0 checked that before the start; checked again here).
status load_resume_state(rank_context& s) {
  auto file = io::hdf5_file::open(s.options.resume_path);
  if (!file) return file.error();
  auto meta = io::read_snapshot_meta(*file);
  if (!meta) return meta.error();
  if (meta->world_size != s.world_size && s.options.data.train_batch_size % s.world_size != 0) {
    return fail("written by a run with world size " + std::to_string(meta->world_size) +
                ", this run has " + std::to_string(s.world_size) +
                " and data.train_batch_size = " + std::to_string(s.options.data.train_batch_size) +
                " does not divide evenly over its ranks");
  }
  if (auto r = s.worker->import_learner_state(*file, meta->policy_version); !r) return r;
  auto counters = read_resumed_counters(*file, *meta, s.rank, s.world_size);
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
  auto s = std::make_shared<rank_context>();
  s->options = options;
  s->rank = rank;
  s->world_size = world_size;
  s->abort = abort;
  s->outcome = std::make_shared<run_outcome>();
  auto future = s->outcome->promise.get_future();
  auto worker = rank_worker::create(options, rank, world_size, coll);
  if (!worker) {
    const auto e = worker.error().with_context("rank " + std::to_string(rank));
    abort(e);
    return e;
  }
  s->worker = std::shared_ptr<rank_worker>(std::move(*worker));
  if (rank == 0 && options.trainer.progress) {
    std::cerr << "data: " << s->worker->num_prompts() << " training prompts";
    if (s->worker->dropped_prompts() > 0) {
      std::cerr << " (" << s->worker->dropped_prompts()
                << " longer than data.max_prompt_length = " << options.data.max_prompt_length
                << " tokens dropped)";
    }
    std::cerr << std::endl;
  }
  if (!options.resume_path.empty()) {
    const auto t0 = clock_type::now();
    if (auto r = load_resume_state(*s); !r) {
      const auto e = r.error().with_context("rank " + std::to_string(rank) + ": resume from " +
                                            options.resume_path);
      abort(e);
      return e;
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
    abort(leadrl::error(why, errc::peer_gone));
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
    abort(b.error());
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
    abort(leadrl::error(why, errc::peer_gone));
    out = fail(why, errc::peer_gone);
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
    abort(b.error());
    return b.error();
  }
  out->final_parameters = s->worker->flat_parameters();
  out->final_checksum = s->worker->parameter_checksum();
  return out;
}

}  // namespace leadrl::actors
