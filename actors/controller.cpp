#include "actors/controller.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/run_state.hpp"
#include "actors/step_logic.hpp"
#include "io/data_sampler.hpp"
#include "io/hdf5_file.hpp"
#include "io/snapshot_store.hpp"
#include "lead/estimator.hpp"

namespace leadrl::actors {

namespace {

struct controller_state {
  std::shared_ptr<rank_context> s;
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
  lead::estimator_output adv;
  clock_type::time_point run_start, step_start, gen_start, train_start;
  double busy = 0, gen_s = 0, train_s = 0, adv_s = 0;
  std::size_t caf_bytes = 0;
  train_summary summary;
  std::ofstream jsonl;
  // Snapshot writes that failed over the whole run (snapshot/failures), and consecutive
  // steps ending with an update skipped for non-finite values (train/nonfinite_streak);
  // both are rebuilt from the metrics history on resume.
  std::int64_t snapshot_failures = 0;
  std::int64_t nonfinite_streak = 0;
};

// Rows of `column` in `history` whose value is > 0 (NaN rows, from before the metric
// existed, are not).
std::int64_t positive_rows(const metrics_history& history, const std::string& column) {
  const auto it = history.find(column);
  if (it == history.end()) return 0;
  return std::count_if(it->second.begin(), it->second.end(), [](double v) { return v > 0; });
}

// The number of last rows of `column` in a row that are > 0.
std::int64_t trailing_positive_rows(const metrics_history& history, const std::string& column) {
  const auto it = history.find(column);
  if (it == history.end()) return 0;
  std::int64_t n = 0;
  for (auto v = it->second.rbegin(); v != it->second.rend() && *v > 0; ++v) ++n;
  return n;
}

// Sets `name` of the current (last) row of the metrics history to `value`.
void set_last_row(metrics_history& history, const std::string& name, double value) {
  auto& column = history[name];
  column.resize(history["step"].size(), std::nan(""));
  column.back() = value;
}

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

// At a snapshot step, writes the snapshot; records its time as timing/snapshot, whether
// it failed as snapshot/failed and the run's failures as snapshot/failures in `m` and the
// metrics history. Returns the progress line ("" when none). A write that fails (disk
// full, I/O error) costs no older snapshot (io::snapshot_store) and does not end the run:
// it is reported on stderr with the path and reason, and the next save step tries again;
// at the last step the reason is kept in the summary (leadrl train exits 3).
std::string snapshot_if_due(controller_state& st, std::map<std::string, double>& m) {
  const auto& trainer = st.s->options.trainer;
  double seconds = 0;
  bool failed = false;
  std::string line;
  if (snapshot_due(trainer, st.step)) {
    const auto t0 = clock_type::now();
    auto path = write_step_snapshot(st);
    seconds = seconds_since(t0);
    if (path) {
      std::error_code ec;
      const auto bytes = std::filesystem::file_size(*path, ec);
      char size[64];
      std::snprintf(size, sizeof size, "(%.2f MB, %.3f s)",
                    ec ? 0.0 : static_cast<double>(bytes) / 1e6, seconds);
      line = "snapshot step " + std::to_string(st.step) + " -> " + *path + " " + size;
    } else {
      failed = true;
      ++st.snapshot_failures;
      const bool last = st.step >= trainer.total_steps;
      const std::string why = "snapshot of step " + std::to_string(st.step) +
                              " not written: " + st.store->path_for_step(st.step) + ": " +
                              path.error().message();
      if (last) st.summary.final_snapshot_error = why;
      std::cerr << "leadrl train: " << why << "; older snapshots are kept"
                << (io::hdf5_writes_unusable() ? ""
                    : last ? "; it was the last step, so the run ends without its final snapshot"
                           : ", training continues and the next save step tries again")
                << std::endl;
    }
  }
  m["timing/snapshot"] = seconds;
  m["snapshot/failed"] = failed ? 1.0 : 0.0;
  m["snapshot/failures"] = static_cast<double>(st.snapshot_failures);
  for (const char* name : {"timing/snapshot", "snapshot/failed", "snapshot/failures"}) {
    set_last_row(st.history, name, m[name]);
  }
  return line;
}

// Updates train/nonfinite_streak in `m` from this step's skipped updates (optim/skipped,
// equal on every rank: the skip decision is shared, see rank_worker::train).
void count_nonfinite_streak(controller_state& st, std::map<std::string, double>& m) {
  const auto it = m.find("optim/skipped");
  const bool skipped = it != m.end() && it->second > 0;
  st.nonfinite_streak = skipped ? st.nonfinite_streak + 1 : 0;
  m["train/nonfinite_streak"] = static_cast<double>(st.nonfinite_streak);
}

// Ends the job when the streak has reached trainer.max_nonfinite_steps (> 0); returns
// whether the run goes on.
bool nonfinite_streak_allows_next_step(controller_state& st) {
  const auto limit = st.s->options.trainer.max_nonfinite_steps;
  if (limit <= 0 || st.nonfinite_streak < limit) return true;
  st.s->fail_job("controller: step " + std::to_string(st.step) + " makes " +
                 std::to_string(st.nonfinite_streak) +
                 " steps in a row with an update skipped for a non-finite loss or gradient "
                 "(trainer.max_nonfinite_steps = " +
                 std::to_string(limit) +
                 "); stopping. No non-finite update reached the weights; resume from the "
                 "newest snapshot with changed settings (e.g. a lower actor.lr) or a higher "
                 "trainer.max_nonfinite_steps");
  return false;
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
    st.snapshot_failures = positive_rows(st.history, "snapshot/failed");
    st.nonfinite_streak = trailing_positive_rows(st.history, "optim/skipped");
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

// Sends every rank its share of the next step's prompts and arms the step deadline; after
// the last step, shuts the ranks down and finishes the run.
void start_step(caf::event_based_actor* self, controller_state& st) {
  const auto& o = st.s->options;
  if (st.step >= o.trainer.total_steps) {
    for (auto& p : st.peers) self->send(p, shutdown_atom::value);
    st.summary.final_checksum = st.s->worker->parameter_checksum();
    st.s->outcome->finish(std::move(st.summary));
    self->quit();
    return;
  }
  ++st.step;
  const auto t0 = clock_type::now();
  st.step_start = t0;
  st.prompt_ids = st.sampler->next_batch();
  const auto shards = shard_prompts(st.prompt_ids, static_cast<int>(st.peers.size()));
  st.scored.assign(st.peers.size(), std::nullopt);
  st.reports.assign(st.peers.size(), std::nullopt);
  st.rank_states.assign(st.peers.size(), std::nullopt);
  st.num_scored = st.num_trained = 0;
  st.caf_bytes = 0;
  for (std::size_t r = 0; r < st.peers.size(); ++r) {
    generate_request req{st.step, st.step - 1, shards[r], static_cast<std::int32_t>(o.rollout.n)};
    st.caf_bytes += serialized_bytes(self->system(), req);
    self->send(st.peers[r], std::move(req));
  }
  self->delayed_send(
      self, std::chrono::milliseconds(static_cast<long long>(o.runtime.step_timeout_s * 1000.0)),
      deadline_atom::value, st.step);
  st.busy = seconds_since(t0);
  st.gen_start = clock_type::now();
}

// Whether `x` is a report expected now: of the current step, from a known rank whose
// slot in `slots` is still empty. Ends the job if not.
template <class Report, class Slot>
bool expected_report(controller_state& st, const char* kind, const Report& x,
                     const std::vector<std::optional<Slot>>& slots) {
  if (x.step == st.step && x.rank >= 0 && x.rank < static_cast<int>(slots.size()) &&
      !slots[static_cast<std::size_t>(x.rank)]) {
    return true;
  }
  st.s->fail_job(std::string("controller: unexpected ") + kind + " (step " +
                 std::to_string(x.step) + ", rank " + std::to_string(x.rank) + ")");
  return false;
}

// Stores one rank's report of the current step in `slots` (its bytes counted as CAF
// traffic). Returns the arrival time when it completes the set of every rank's reports;
// nothing while some are missing, or when the report was unexpected (the job then ends).
template <class Report>
std::optional<clock_type::time_point> collect(caf::event_based_actor* self, controller_state& st,
                                              const char* kind,
                                              std::vector<std::optional<Report>>& slots,
                                              std::size_t& count, Report& x) {
  if (!expected_report(st, kind, x, slots)) return std::nullopt;
  const auto t0 = clock_type::now();
  st.caf_bytes += serialized_bytes(self->system(), x);
  slots[static_cast<std::size_t>(x.rank)] = std::move(x);
  if (++count < st.peers.size()) {
    st.busy += seconds_since(t0);
    return std::nullopt;
  }
  return t0;
}

// Once every rank has scored: the global batch, the estimator, one step_plan per rank.
void plan_step(caf::event_based_actor* self, controller_state& st) {
  std::vector<scored_rollouts> all;
  for (auto& o : st.scored) all.push_back(std::move(*o));
  auto batch = assemble_batch(all, st.step);
  if (!batch) {
    st.s->fail_job("controller: " + batch.error().message());
    return;
  }
  const auto ta = clock_type::now();
  const auto& estimator = st.s->options.estimator;
  auto adv = lead::compute_advantages(estimator, batch->batch, st.estimator);
  if (!adv) {
    st.s->fail_job("controller, step " + std::to_string(st.step) + ": estimator " + estimator.name +
                   ": " + adv.error().message());
    return;
  }
  st.adv_s = seconds_since(ta);
  st.batch = std::move(*batch);
  st.adv = std::move(*adv);
  auto plans = make_step_plans(*st.batch, st.adv);
  for (std::size_t k = 0; k < plans.size(); ++k) {
    st.caf_bytes += serialized_bytes(self->system(), plans[k]);
    self->send(st.peers[k], std::move(plans[k]));
  }
}

void on_scored(caf::event_based_actor* self, controller_state& st, scored_rollouts& x) {
  const auto t0 = collect(self, st, "scored_rollouts", st.scored, st.num_scored, x);
  if (!t0) return;
  st.gen_s = std::chrono::duration<double>(*t0 - st.gen_start).count();
  plan_step(self, st);
  st.busy += seconds_since(*t0);
  st.train_start = clock_type::now();
}

void on_rank_snapshot(controller_state& st, rank_snapshot& x) {
  if (!expected_report(st, "rank_snapshot", x, st.rank_states)) return;
  st.rank_states[static_cast<std::size_t>(x.rank)] =
      io::rank_state{std::move(x.int64_counters), std::move(x.double_counters)};
}

// What the controller decided and measured in the step just finished.
step_record make_step_record(const controller_state& st, const std::vector<trained>& all) {
  step_record rec;
  rec.step = st.step;
  rec.w_corr = st.adv.w_corr;
  rec.w_eff = st.adv.w_eff;
  rec.prompt_ids = st.prompt_ids;
  rec.lstar_prompt_ids = st.adv.lstar_prompt_ids;
  rec.lstar = st.adv.lstar;
  rec.lengths = st.batch->batch.lengths;
  rec.correctness = st.batch->batch.correctness;
  rec.advantages = st.adv.advantages;
  rec.parameter_checksum = all.front().parameter_checksum;
  rec.caf_bytes = st.caf_bytes;
  return rec;
}

// Once every rank has trained: the step's metrics, the snapshot when due (the consistent
// cut: every rank has trained this step and nothing of the next has started), the log
// and progress lines, then the next step.
void finish_step(caf::event_based_actor* self, controller_state& st, clock_type::time_point t0) {
  std::vector<trained> all;
  for (auto& o : st.reports) all.push_back(std::move(*o));
  step_timings timings;
  timings.gen = st.gen_s;
  timings.adv = st.adv_s;
  timings.train = st.train_s;
  timings.step = seconds_since(st.step_start);
  timings.controller = st.busy + seconds_since(t0);
  auto metrics = step_metrics(*st.batch, st.adv, all, timings);
  if (!metrics) {
    st.s->fail_job("controller: " + metrics.error().message());
    return;
  }
  auto& m = *metrics;
  m["caf/bytes_per_step"] = static_cast<double>(st.caf_bytes);
  const auto& o = st.s->options;
  count_nonfinite_streak(st, m);
  // The snapshot's metrics row of this step lacks only timing/snapshot, which is measured
  // by writing it; snapshot/* say "written" there (a snapshot that exists was written).
  m["snapshot/failed"] = 0;
  m["snapshot/failures"] = static_cast<double>(st.snapshot_failures);
  append_metrics(st.history, st.step, m);
  const std::string snapshot_line = snapshot_if_due(st, m);
  if (io::hdf5_writes_unusable()) {
    // Writes after this one would fail too, and HDF5 may crash at exit: end the job so
    // that a restart (leadrl launch) resumes from the newest valid snapshot.
    st.s->fail_job("snapshot of step " + std::to_string(st.step) +
                   " failed while HDF5 wrote it out, and HDF5 cannot write again in this "
                   "process; the job ends so that a restart resumes from the newest valid "
                   "snapshot (older snapshots are kept)");
    return;
  }
  step_record rec = make_step_record(st, all);
  // The time spent writing the log counts as controller time too.
  const auto tl = clock_type::now();
  if (st.jsonl.is_open()) st.jsonl << metrics_json_line(st.step, m) << "\n" << std::flush;
  if (o.trainer.progress) {
    std::cerr << progress_line(st.step, o.trainer.total_steps, seconds_since(st.run_start), m)
              << std::endl;
    if (!snapshot_line.empty()) std::cerr << snapshot_line << std::endl;
  }
  m["timing/controller"] += seconds_since(tl);
  rec.metrics = std::move(m);
  st.summary.steps.push_back(std::move(rec));
  if (!nonfinite_streak_allows_next_step(st)) return;
  start_step(self, st);
}

void on_trained(caf::event_based_actor* self, controller_state& st, trained& x) {
  const auto t0 = collect(self, st, "trained", st.reports, st.num_trained, x);
  if (!t0) return;
  st.train_s = std::chrono::duration<double>(*t0 - st.train_start).count();
  finish_step(self, st, *t0);
}

void on_deadline(controller_state& st, std::int64_t step) {
  if (step != st.step || st.num_trained >= st.peers.size()) return;
  std::string missing;
  for (std::size_t r = 0; r < st.peers.size(); ++r) {
    const bool have =
        st.num_scored < st.peers.size() ? st.scored[r].has_value() : st.reports[r].has_value();
    if (!have) missing += (missing.empty() ? "" : ",") + std::to_string(r);
  }
  st.s->fail_job("controller: step " + std::to_string(step) + " missed its deadline of " +
                 std::to_string(st.s->options.runtime.step_timeout_s) +
                 " s; no reply from rank(s) " + missing);
}

}  // namespace

caf::behavior controller(caf::event_based_actor* self, std::shared_ptr<rank_context> s) {
  auto st = std::make_shared<controller_state>();
  st->s = s;
  st->estimator = lead::make_estimator_state(s->options.estimator);
  return {[self, st](peers_atom, const std::vector<caf::actor>& peers) {
            st->peers = peers;
            if (auto r = prepare_run(*st); !r) {
              st->s->fail_job(r.error().message());
              self->quit();
              return;
            }
            st->run_start = clock_type::now();
            start_step(self, *st);
          },
          [self, st](scored_rollouts& x) { on_scored(self, *st, x); },
          [st](rank_snapshot& x) { on_rank_snapshot(*st, x); },
          [self, st](trained& x) { on_trained(self, *st, x); },
          [st](deadline_atom, std::int64_t step) { on_deadline(*st, step); }};
}

}  // namespace leadrl::actors
