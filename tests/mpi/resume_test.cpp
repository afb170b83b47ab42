// Exact resume at the job's world size (ARCHITECTURE.md §5): a run that stops at a
// snapshot and is resumed from it ends bit-identical to the uninterrupted run: the same
// prompts, rollouts and L* in the steps after the resume, and the same final parameters,
// Adam moments, optimizer step, length-target table (table mode, a window aggregator),
// PSI weights, sampler position and metrics (wall-clock figures aside). The tiny task has 10
// prompts in batches of 4, so an epoch ends after every second step: resuming at step 2
// crosses an epoch boundary right after the cut, resuming at step 1 is mid-epoch.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/snapshot_store.hpp"
#include "tests/mpi/train_run_support.hpp"

namespace leadrl::actors {
namespace {

namespace fs = std::filesystem;
using test::g_world;
using test::run_on;

// A fresh directory every rank of the job names alike (rank 0's pid).
std::string shared_dir(const std::string& name) {
  long long pid = g_world->rank() == 0 ? static_cast<long long>(::getpid()) : 0;
  MPI_Bcast(&pid, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  const fs::path dir =
      fs::temp_directory_path() / ("leadrl_resume_" + std::to_string(pid) + "_" + name);
  if (g_world->rank() == 0) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return dir.string();
}

void remove_shared_dir(const std::string& dir) {
  MPI_Barrier(MPI_COMM_WORLD);
  if (g_world->rank() == 0) fs::remove_all(dir);
}

io::train_options resume_run(const std::string& dir, int total_steps, const std::string& resume) {
  auto r = io::load_train_options("", {"data.train_size=10",
                                       "data.train_batch_size=4",
                                       "data.max_response_length=12",
                                       "rollout.n=4",
                                       "actor.ppo_mini_batch_size=2",
                                       "actor.ppo_micro_batch_size=3",
                                       "actor.lr=0.01",
                                       "algorithm.lead_lstar_floor=2",
                                       "algorithm.lead_bmax=12",
                                       "algorithm.lead_lstar_table=table",
                                       "algorithm.lead_aggregator=median_correct",
                                       "algorithm.lead_lstar_table_history=3",
                                       "trainer.save_freq=1",
                                       "trainer.keep_last=10",
                                       "trainer.snapshot_dir=" + dir + "/snapshots",
                                       "trainer.log_jsonl=" + dir + "/m.jsonl",
                                       "trainer.total_steps=" + std::to_string(total_steps),
                                       "trainer.progress=false",
                                       "runtime.scheduler_threads=1",
                                       "runtime.step_timeout_s=120",
                                       "runtime.collective_timeout_s=60"});
  EXPECT_TRUE(r.ok()) << r.error().message();
  r->resume_path = resume;
  return *r;
}

std::string snapshot_path(const std::string& dir, std::int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step_%06lld.h5", static_cast<long long>(step));
  return dir + "/snapshots/" + name;
}

// The uninterrupted 4-step run, once per job (every rank runs the tests in one order).
struct full_run {
  std::string dir;
  train_summary summary;
  io::snapshot last;  // rank 0: the step-4 snapshot
};

const full_run& full() {
  static const full_run run = [] {
    full_run f;
    f.dir = shared_dir("full");
    auto s = run_on(resume_run(f.dir, 4, ""), true);
    EXPECT_TRUE(s.ok()) << s.error().message();
    if (s) f.summary = std::move(*s);
    if (g_world->rank() == 0) {
      auto snap = io::read_snapshot(snapshot_path(f.dir, 4));
      EXPECT_TRUE(snap.ok()) << snap.error().message();
      if (snap) f.last = std::move(*snap);
    }
    return f;
  }();
  return run;
}

bool same_number(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

void expect_same_snapshot(const io::snapshot& a, const io::snapshot& b) {
  EXPECT_EQ(a.meta.step, b.meta.step);
  EXPECT_EQ(a.meta.policy_version, b.meta.policy_version);
  EXPECT_EQ(a.meta.world_size, b.meta.world_size);
  // Learner: parameters, both Adam moments, optimizer step, bit for bit.
  ASSERT_EQ(a.learner.params.size(), b.learner.params.size());
  for (const auto& [name, t] : a.learner.params) {
    EXPECT_TRUE(t == b.learner.params.at(name)) << name;
  }
  ASSERT_EQ(a.learner.optimizer.size(), b.learner.optimizer.size());
  EXPECT_EQ(a.learner.optimizer.size(), a.learner.params.size());
  for (const auto& [name, m] : a.learner.optimizer) {
    EXPECT_TRUE(m.exp_avg == b.learner.optimizer.at(name).exp_avg) << name;
    EXPECT_TRUE(m.exp_avg_sq == b.learner.optimizer.at(name).exp_avg_sq) << name;
  }
  EXPECT_EQ(a.learner.optimizer_step, b.learner.optimizer_step);
  EXPECT_GT(a.learner.optimizer_step, 0);
  EXPECT_EQ(a.learner.lr_schedule_position, b.learner.lr_schedule_position);
  // Controller: sampler, table (every column), PSI, metrics other than timings.
  const auto& ca = a.controller;
  const auto& cb = b.controller;
  EXPECT_EQ(ca.sampler.epoch, cb.sampler.epoch);
  EXPECT_EQ(ca.sampler.cursor, cb.sampler.cursor);
  EXPECT_EQ(ca.sampler.order, cb.sampler.order);
  EXPECT_EQ(ca.length_table.prompt_id, cb.length_table.prompt_id);
  EXPECT_FALSE(ca.length_table.prompt_id.empty());
  EXPECT_EQ(ca.length_table.lstar, cb.length_table.lstar);
  EXPECT_EQ(ca.length_table.n_correct, cb.length_table.n_correct);
  EXPECT_EQ(ca.length_table.last_step, cb.length_table.last_step);
  EXPECT_EQ(ca.length_table.extra_double_columns, cb.length_table.extra_double_columns);
  EXPECT_EQ(ca.length_table.extra_int64_columns, cb.length_table.extra_int64_columns);
  EXPECT_EQ(ca.length_table.string_settings, cb.length_table.string_settings);
  EXPECT_EQ(ca.length_table.int64_settings, cb.length_table.int64_settings);
  EXPECT_EQ(ca.psi.ema_weights, cb.psi.ema_weights);
  EXPECT_EQ(ca.psi.ema_weights.size(), 2u);
  EXPECT_EQ(ca.psi.initialized, cb.psi.initialized);
  EXPECT_EQ(ca.psi.step_count, cb.psi.step_count);
  ASSERT_EQ(ca.metrics_history.size(), cb.metrics_history.size());
  for (const auto& [name, column] : ca.metrics_history) {
    // Wall-clock figures differ between any two runs.
    if (name.rfind("timing/", 0) == 0 || name.rfind("throughput/", 0) == 0) continue;
    const auto& other = cb.metrics_history.at(name);
    ASSERT_EQ(column.size(), other.size()) << name;
    for (std::size_t i = 0; i < column.size(); ++i) {
      EXPECT_TRUE(same_number(column[i], other[i])) << name << " step " << i + 1;
    }
  }
  EXPECT_EQ(ca.metrics_history.at("step"), (std::vector<double>{1, 2, 3, 4}));
  // Ranks: the counters that are not timings.
  ASSERT_EQ(a.ranks.size(), b.ranks.size());
  for (std::size_t r = 0; r < a.ranks.size(); ++r) {
    EXPECT_EQ(a.ranks[r].int64_counters, b.ranks[r].int64_counters) << "rank " << r;
  }
}

// Steps of the resumed attempts must be those of the uninterrupted run.
void expect_same_steps(const std::vector<step_record>& resumed, std::size_t first_step) {
  const auto& ref = full().summary.steps;
  for (std::size_t i = 0; i < resumed.size(); ++i) {
    const auto& a = resumed[i];
    const auto& b = ref.at(first_step - 1 + i);
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.prompt_ids, b.prompt_ids) << "step " << a.step;
    EXPECT_EQ(a.lengths, b.lengths) << "step " << a.step;
    EXPECT_EQ(a.correctness, b.correctness) << "step " << a.step;
    EXPECT_EQ(a.lstar, b.lstar) << "step " << a.step;
    EXPECT_EQ(a.w_corr, b.w_corr) << "step " << a.step;
    EXPECT_EQ(a.advantages, b.advantages) << "step " << a.step;
  }
}

std::vector<std::string> log_steps(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> steps;
  for (std::string line; std::getline(in, line);) {
    steps.push_back(line.substr(0, line.find(',')));
  }
  return steps;
}

// Runs the attempts ending at each of `stops` (the first fresh, each later one resumed
// from the previous attempt's last snapshot) and compares the end with the full run.
void stop_and_resume(const std::string& name, const std::vector<int>& stops) {
  const auto& ref = full();
  const std::string dir = shared_dir(name);
  int done = 0;
  train_summary last;
  for (int stop : stops) {
    const std::string from = done == 0 ? "" : snapshot_path(dir, done);
    auto s = run_on(resume_run(dir, stop, from), true);
    ASSERT_TRUE(s.ok()) << s.error().message();
    // Failures on rank 0 alone must not end the test early there (the other ranks would
    // wait in the next run): no ASSERT inside rank-0 branches.
    if (g_world->rank() == 0) {
      EXPECT_EQ(s->steps.size(), static_cast<std::size_t>(stop - done));
      if (s->steps.size() == static_cast<std::size_t>(stop - done)) {
        expect_same_steps(s->steps, static_cast<std::size_t>(done + 1));
      }
    }
    done = stop;
    last = std::move(*s);
  }
  // Every rank's replica equals the uninterrupted one, bit for bit.
  EXPECT_TRUE(last.final_parameters == ref.summary.final_parameters) << "rank " << g_world->rank();
  EXPECT_EQ(last.final_checksum, ref.summary.final_checksum);
  if (g_world->rank() == 0) {
    auto snap = io::read_snapshot(snapshot_path(dir, 4));
    EXPECT_TRUE(snap.ok()) << snap.error().message();
    if (snap) expect_same_snapshot(*snap, ref.last);
    // The metrics log continues across attempts: one line per step, none repeated.
    EXPECT_EQ(
        log_steps(dir + "/m.jsonl"),
        (std::vector<std::string>{"{\"step\":1", "{\"step\":2", "{\"step\":3", "{\"step\":4"}));
  }
  remove_shared_dir(dir);
}

TEST(Resume, StopAtAnEpochEndAndResumeIsBitIdentical) {
  stop_and_resume("once", {2, 4});
}

TEST(Resume, TwoResumesInOneRunAreBitIdentical) {
  stop_and_resume("twice", {1, 2, 4});
  remove_shared_dir(full().dir);
}

}  // namespace
}  // namespace leadrl::actors
