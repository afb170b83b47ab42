#include "actors/controller.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
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

// One step from its generation request to the end of its update. Synchronous runs have
// one in flight; with rollout.staleness = k up to k + 1 (generation ahead of training).
struct step_slot {
  std::int64_t step = 0;  // 1-based
  std::int64_t behaviour_version = 0;  // the policy version generating its rollouts
  std::vector<std::int64_t> prompt_ids;
  std::vector<std::optional<scored_rollouts>> scored;
  std::vector<std::optional<trained>> reports;
  std::vector<std::optional<io::rank_state>> rank_states;  // at a snapshot step
  std::size_t num_scored = 0, num_trained = 0;
  std::optional<assembled_batch> batch;  // set when planned
  lead::estimator_output adv;
  clock_type::time_point gen_start, train_start;
  double busy = 0, gen_s = 0, train_s = 0, adv_s = 0;
  std::size_t caf_bytes = 0;
};

struct controller_state {
  std::shared_ptr<rank_context> s;
  std::vector<caf::actor> peers;
  std::optional<io::data_sampler> sampler;
  // The arithmetic task: each prompt's level (for the level<d>/* metrics), and with
  // data.arith_curriculum_step the prompt ids the sampler draws from until that step
  // (those at levels up to data.arith_curriculum_max_difficulty; the sampler then draws
  // indices into this list).
  std::vector<int> prompt_levels;
  std::vector<std::int64_t> curriculum_rows;
  lead::estimator_state estimator;
  // Steps whose update every rank has finished (the policy version), the last step whose
  // generation was requested, and the last one planned (advantages sent); the estimator
  // and the sampler advance strictly in step order.
  std::int64_t finished = 0, issued = 0, planned = 0;
  std::int64_t resumed_step = 0;
  std::map<std::int64_t, step_slot> inflight;
  metrics_history history;
  std::optional<io::snapshot_store> store;
  clock_type::time_point run_start, last_finish;
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

// The snapshot of the end of `slot`'s step: /controller from the controller's state,
// /learner from rank 0's replica (replicas are identical, checked by checksum), /ranks
// from every rank's rank_snapshot. No later step has been requested yet (behaviour_version
// makes every snapshot step a barrier), so the sampler and the estimator are at its end.
result<std::string> write_step_snapshot(controller_state& st, step_slot& slot) {
  const auto& o = st.s->options;
  io::snapshot snap;
  snap.meta = make_snapshot_meta(o, slot.step, static_cast<int>(st.peers.size()));
  snap.controller = export_controller_state(*st.sampler, st.estimator, st.history);
  auto learner = st.s->worker->export_learner_state();
  if (!learner) return learner.error();
  snap.learner = std::move(*learner);
  for (std::size_t r = 0; r < slot.rank_states.size(); ++r) {
    if (!slot.rank_states[r]) return fail("no rank_snapshot from rank " + std::to_string(r));
    snap.ranks.push_back(std::move(*slot.rank_states[r]));
  }
  return st.store->write(snap);
}

// At a snapshot step, writes the snapshot; records its time as timing/snapshot, whether
// it failed as snapshot/failed and the run's failures as snapshot/failures in `m` and the
// metrics history. Returns the progress line ("" when none). A write that fails (disk
// full, I/O error) costs no older snapshot (io::snapshot_store) and does not end the run:
// it is reported on stderr with the path and reason, and the next save step tries again;
// at the last step the reason is kept in the summary (leadrl train exits 3).
std::string snapshot_if_due(controller_state& st, step_slot& slot,
                            std::map<std::string, double>& m) {
  const auto& trainer = st.s->options.trainer;
  const std::int64_t step = slot.step;
  double seconds = 0;
  bool failed = false;
  std::string line;
  if (snapshot_due(trainer, step)) {
    const auto t0 = clock_type::now();
    auto path = write_step_snapshot(st, slot);
    seconds = seconds_since(t0);
    if (path) {
      std::error_code ec;
      const auto bytes = std::filesystem::file_size(*path, ec);
      char size[64];
      std::snprintf(size, sizeof size, "(%.2f MB, %.3f s)",
                    ec ? 0.0 : static_cast<double>(bytes) / 1e6, seconds);
      line = "snapshot step " + std::to_string(step) + " -> " + *path + " " + size;
    } else {
      failed = true;
      ++st.snapshot_failures;
      const bool last = step >= trainer.total_steps;
      const std::string why = "snapshot of step " + std::to_string(step) +
                              " not written: " + st.store->path_for_step(step) + ": " +
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
  st.s->fail_job("controller: step " + std::to_string(st.finished) + " makes " +
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
  st.prompt_levels = st.s->worker->prompt_levels();
  if (o.data.arith_curriculum_step > 0) {
    st.curriculum_rows = curriculum_prompts(
        st.prompt_levels, static_cast<int>(o.data.arith_curriculum_max_difficulty));
  }
  // The sampler of the last step issued (0 at the start, else the resumed step): the
  // curriculum's until its step, then the whole set's (issue_step switches at the step after).
  const bool easy = in_curriculum(st.s->resumed_step, o.data.arith_curriculum_step);
  auto sampler = io::data_sampler::make(
      easy ? static_cast<std::int64_t>(st.curriculum_rows.size()) : st.s->worker->num_prompts(),
      o.data.train_batch_size, o.trainer.seed);
  if (!sampler) {
    return sampler.error().with_context(
        easy ? "data.arith_curriculum_max_difficulty: the prompts of levels up to " +
                   std::to_string(o.data.arith_curriculum_max_difficulty)
             : std::string("controller"));
  }
  st.sampler = std::move(*sampler);
  if (st.s->resumed_controller) {
    if (auto r = import_controller_state(*st.s->resumed_controller, *st.sampler, st.estimator,
                                         st.history);
        !r) {
      return r.error().with_context("controller: resume");
    }
    st.finished = st.issued = st.planned = st.resumed_step = st.s->resumed_step;
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
    if (st.finished > 0) {
      if (auto k = keep_metrics_log_through(o.trainer.log_jsonl, st.finished); !k) {
        return k.error().with_context("trainer.log_jsonl");
      }
    }
    st.jsonl.open(o.trainer.log_jsonl, st.finished > 0 ? std::ios::app : std::ios::trunc);
    if (!st.jsonl) return fail("trainer.log_jsonl: cannot write '" + o.trainer.log_jsonl + "'");
  }
  return status::success();
}

// The prompts of `step` (issued in step order): from the curriculum's prompts until
// data.arith_curriculum_step, from the whole set after, with a sampler started afresh at the
// switch.
std::vector<std::int64_t> draw_prompts(controller_state& st, std::int64_t step) {
  const auto& o = st.s->options;
  const std::int64_t switch_step = o.data.arith_curriculum_step;
  if (switch_step > 0 && step == switch_step + 1) {
    // Cannot fail: the whole set held a batch when the run started (rank_worker::create).
    st.sampler = *io::data_sampler::make(st.s->worker->num_prompts(), o.data.train_batch_size,
                                         o.trainer.seed);
  }
  std::vector<std::int64_t> ids = st.sampler->next_batch();
  if (in_curriculum(step, switch_step)) {
    for (auto& id : ids) id = st.curriculum_rows[static_cast<std::size_t>(id)];
  }
  return ids;
}

// Requests the generation of `step` from every rank (its share of the step's prompts, with
// the behaviour policy version `version`) and arms its deadline: one step's time for each
// step that may run ahead of it.
void issue_step(caf::event_based_actor* self, controller_state& st, std::int64_t step,
                std::int64_t version) {
  const auto& o = st.s->options;
  const auto t0 = clock_type::now();
  auto& slot = st.inflight[step];
  slot.step = step;
  slot.behaviour_version = version;
  slot.prompt_ids = draw_prompts(st, step);
  const auto shards = shard_prompts(slot.prompt_ids, static_cast<int>(st.peers.size()));
  slot.scored.assign(st.peers.size(), std::nullopt);
  slot.reports.assign(st.peers.size(), std::nullopt);
  slot.rank_states.assign(st.peers.size(), std::nullopt);
  for (std::size_t r = 0; r < st.peers.size(); ++r) {
    generate_request req{step, version, shards[r], static_cast<std::int32_t>(o.rollout.n)};
    slot.caf_bytes += serialized_bytes(self->system(), req);
    self->send(st.peers[r], std::move(req));
  }
  const double limit = o.runtime.step_timeout_s * static_cast<double>(1 + o.rollout.staleness);
  self->delayed_send(self, std::chrono::milliseconds(static_cast<long long>(limit * 1000.0)),
                     deadline_atom::value, step);
  st.issued = step;
  slot.busy = seconds_since(t0);
  slot.gen_start = clock_type::now();
}

// Requests every step whose behaviour weights exist (behaviour_version): synchronous runs
// the next step once the last update is done, rollout.staleness = k up to k steps ahead.
// After the last step's update, shuts the ranks down and finishes the run.
void issue_ready_steps(caf::event_based_actor* self, controller_state& st) {
  const auto& o = st.s->options;
  if (st.finished >= o.trainer.total_steps) {
    for (auto& p : st.peers) self->send(p, shutdown_atom::value);
    st.summary.final_checksum = st.s->worker->parameter_checksum();
    st.s->outcome->finish(std::move(st.summary));
    self->quit();
    return;
  }
  while (st.issued < o.trainer.total_steps) {
    const std::int64_t next = st.issued + 1;
    const std::int64_t version =
        behaviour_version(next, o.rollout.staleness, o.trainer.save_freq, st.resumed_step);
    if (version > st.finished) return;
    issue_step(self, st, next, version);
  }
}

// The step in flight that `x` reports on, when `x` is expected now: from a known rank
// whose entry in that step's `entries` is still empty. Ends the job if not.
template <class Report, class Entry>
step_slot* expected_report(controller_state& st, const char* kind, const Report& x,
                           std::vector<std::optional<Entry>> step_slot::*entries) {
  const auto it = st.inflight.find(x.step);
  if (it != st.inflight.end() && x.rank >= 0) {
    const auto& e = it->second.*entries;
    const auto r = static_cast<std::size_t>(x.rank);
    if (r < e.size() && !e[r]) return &it->second;
  }
  st.s->fail_job(std::string("controller: unexpected ") + kind + " (step " +
                 std::to_string(x.step) + ", rank " + std::to_string(x.rank) + ")");
  return nullptr;
}

// Stores one rank's report in its step's `entries` (its bytes counted as CAF traffic).
// Returns the step when the report completes the set of every rank's reports, with the
// arrival time in `arrived`; nothing while some are missing, or when the report was
// unexpected (the job then ends).
template <class Report>
step_slot* collect(caf::event_based_actor* self, controller_state& st, const char* kind,
                   std::vector<std::optional<Report>> step_slot::*entries,
                   std::size_t step_slot::*count, Report& x, clock_type::time_point& arrived) {
  step_slot* slot = expected_report(st, kind, x, entries);
  if (!slot) return nullptr;
  arrived = clock_type::now();
  slot->caf_bytes += serialized_bytes(self->system(), x);
  (slot->*entries)[static_cast<std::size_t>(x.rank)] = std::move(x);
  if (++(slot->*count) < st.peers.size()) {
    slot->busy += seconds_since(arrived);
    return nullptr;
  }
  return slot;
}

// Once every rank has scored the step: the global batch, the estimator (the length table
// and the PSI weights advance), one step_plan per rank. Returns false when the job ended.
bool plan_step(caf::event_based_actor* self, controller_state& st, step_slot& slot) {
  std::vector<scored_rollouts> all;
  for (auto& o : slot.scored) all.push_back(std::move(*o));
  auto batch = assemble_batch(all, slot.step);
  if (!batch) {
    st.s->fail_job("controller: " + batch.error().message());
    return false;
  }
  const auto ta = clock_type::now();
  const auto& estimator = st.s->options.estimator;
  auto adv = lead::compute_advantages(estimator, batch->batch, st.estimator);
  if (!adv) {
    st.s->fail_job("controller, step " + std::to_string(slot.step) + ": estimator " +
                   estimator.name + ": " + adv.error().message());
    return false;
  }
  slot.adv_s = seconds_since(ta);
  slot.batch = std::move(*batch);
  slot.adv = std::move(*adv);
  auto plans = make_step_plans(*slot.batch, slot.adv);
  for (std::size_t k = 0; k < plans.size(); ++k) {
    slot.caf_bytes += serialized_bytes(self->system(), plans[k]);
    self->send(st.peers[k], std::move(plans[k]));
  }
  st.planned = slot.step;
  slot.train_start = clock_type::now();
  return true;
}

void on_scored(caf::event_based_actor* self, controller_state& st, scored_rollouts& x) {
  clock_type::time_point t0;
  step_slot* slot = collect(self, st, "scored_rollouts", &step_slot::scored,
                            &step_slot::num_scored, x, t0);
  if (!slot) return;
  slot->gen_s = std::chrono::duration<double>(t0 - slot->gen_start).count();
  // Plans go out in step order (each rank's reports arrive in order, so a step is complete
  // only after the steps before it).
  if (slot->step != st.planned + 1) {
    st.s->fail_job("controller: step " + std::to_string(slot->step) +
                   " scored before step " + std::to_string(st.planned + 1) + " was planned");
    return;
  }
  if (!plan_step(self, st, *slot)) return;
  slot->busy += seconds_since(t0);
}

void on_rank_snapshot(controller_state& st, rank_snapshot& x) {
  step_slot* slot = expected_report(st, "rank_snapshot", x, &step_slot::rank_states);
  if (!slot) return;
  slot->rank_states[static_cast<std::size_t>(x.rank)] =
      io::rank_state{std::move(x.int64_counters), std::move(x.double_counters)};
}

// What the controller decided and measured in the step just finished.
step_record make_step_record(const step_slot& slot, const std::vector<trained>& all) {
  step_record rec;
  rec.step = slot.step;
  rec.w_corr = slot.adv.w_corr;
  rec.w_eff = slot.adv.w_eff;
  rec.prompt_ids = slot.prompt_ids;
  rec.lstar_prompt_ids = slot.adv.lstar_prompt_ids;
  rec.lstar = slot.adv.lstar;
  rec.lengths = slot.batch->batch.lengths;
  rec.correctness = slot.batch->batch.correctness;
  rec.advantages = slot.adv.advantages;
  rec.parameter_checksum = all.front().parameter_checksum;
  rec.caf_bytes = slot.caf_bytes;
  return rec;
}

// Once every rank has trained the step: its metrics, the snapshot when due (the
// consistent cut: every rank has trained this step and nothing of the next has started),
// the log and progress lines, then the steps that may start.
void finish_step(caf::event_based_actor* self, controller_state& st, step_slot& slot,
                 clock_type::time_point t0) {
  std::vector<trained> all;
  for (auto& o : slot.reports) all.push_back(std::move(*o));
  step_timings timings;
  timings.gen = slot.gen_s;
  timings.adv = slot.adv_s;
  timings.train = slot.train_s;
  timings.step = seconds_since(st.last_finish);
  timings.controller = slot.busy + seconds_since(t0);
  auto metrics = step_metrics(*slot.batch, slot.adv, all, timings);
  if (!metrics) {
    st.s->fail_job("controller: " + metrics.error().message());
    return;
  }
  auto& m = *metrics;
  const auto& o = st.s->options;
  for (const auto& [k, v] :
       level_metrics(*slot.batch, slot.adv, st.prompt_levels, o.estimator.lead.bmax)) {
    m[k] = v;
  }
  m["caf/bytes_per_step"] = static_cast<double>(slot.caf_bytes);
  st.finished = slot.step;
  count_nonfinite_streak(st, m);
  // The snapshot's metrics row of this step lacks only timing/snapshot, which is measured
  // by writing it; snapshot/* say "written" there (a snapshot that exists was written).
  m["snapshot/failed"] = 0;
  m["snapshot/failures"] = static_cast<double>(st.snapshot_failures);
  append_metrics(st.history, slot.step, m);
  const std::string snapshot_line = snapshot_if_due(st, slot, m);
  if (io::hdf5_writes_unusable()) {
    // Writes after this one would fail too, and HDF5 may crash at exit: end the job so
    // that a restart (leadrl launch) resumes from the newest valid snapshot.
    st.s->fail_job("snapshot of step " + std::to_string(slot.step) +
                   " failed while HDF5 wrote it out, and HDF5 cannot write again in this "
                   "process; the job ends so that a restart resumes from the newest valid "
                   "snapshot (older snapshots are kept)");
    return;
  }
  step_record rec = make_step_record(slot, all);
  // The time spent writing the log counts as controller time too.
  const auto tl = clock_type::now();
  if (st.jsonl.is_open()) st.jsonl << metrics_json_line(slot.step, m) << "\n" << std::flush;
  if (o.trainer.progress) {
    std::cerr << progress_line(slot.step, o.trainer.total_steps, seconds_since(st.run_start), m)
              << std::endl;
    if (!snapshot_line.empty()) std::cerr << snapshot_line << std::endl;
  }
  m["timing/controller"] += seconds_since(tl);
  rec.metrics = std::move(m);
  st.summary.steps.push_back(std::move(rec));
  st.inflight.erase(slot.step);  // `slot` ends here
  if (!nonfinite_streak_allows_next_step(st)) return;
  st.last_finish = clock_type::now();
  issue_ready_steps(self, st);
}

void on_trained(caf::event_based_actor* self, controller_state& st, trained& x) {
  clock_type::time_point t0;
  step_slot* slot =
      collect(self, st, "trained", &step_slot::reports, &step_slot::num_trained, x, t0);
  if (!slot) return;
  if (slot->step != st.finished + 1 || slot->step > st.planned) {
    st.s->fail_job("controller: step " + std::to_string(slot->step) + " trained after step " +
                   std::to_string(st.finished) + " (planned through " +
                   std::to_string(st.planned) + ")");
    return;
  }
  slot->train_s = std::chrono::duration<double>(t0 - slot->train_start).count();
  finish_step(self, st, *slot, t0);
}

void on_deadline(controller_state& st, std::int64_t step) {
  const auto it = st.inflight.find(step);
  if (it == st.inflight.end()) return;  // finished in time
  const step_slot& slot = it->second;
  std::string missing;
  for (std::size_t r = 0; r < st.peers.size(); ++r) {
    const bool have = slot.num_scored < st.peers.size() ? slot.scored[r].has_value()
                                                         : slot.reports[r].has_value();
    if (!have) missing += (missing.empty() ? "" : ",") + std::to_string(r);
  }
  st.s->fail_job("controller: step " + std::to_string(step) + " missed its deadline of " +
                 std::to_string(st.s->options.runtime.step_timeout_s *
                                static_cast<double>(1 + st.s->options.rollout.staleness)) +
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
            st->run_start = st->last_finish = clock_type::now();
            issue_ready_steps(self, *st);
          },
          [self, st](scored_rollouts& x) { on_scored(self, *st, x); },
          [st](rank_snapshot& x) { on_rank_snapshot(*st, x); },
          [self, st](trained& x) { on_trained(self, *st, x); },
          [st](deadline_atom, std::int64_t step) { on_deadline(*st, step); }};
}

}  // namespace leadrl::actors
