// The controller-state <-> snapshot mapping of actors/run_state.hpp: each part survives a
// write/read through an HDF5 file bit for bit, and a restored estimator continues exactly
// as the original does (the next step's targets, weights and table rows are identical).
#include "actors/run_state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "io/config.hpp"
#include "io/snapshot_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::actors {
namespace {

namespace fs = std::filesystem;

class run_state_test : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }
  test::temp_dir dir_{"run_state"};
};

// A batch of `prompts` x 4 rollouts whose lengths and verdicts vary with the step.
lead::rollout_batch batch_for(const std::vector<std::int64_t>& prompts, int step) {
  lead::rollout_batch b;
  for (auto p : prompts) {
    for (int i = 0; i < 4; ++i) {
      b.prompt_ids.push_back(p);
      b.lengths.push_back(3.0 + static_cast<double>((p * 7 + i * 5 + step * 3) % 11));
      b.correctness.push_back((p + i + step) % 3 == 0 ? 0.0 : 1.0);
    }
  }
  return b;
}

lead::estimator_config lead_config(const char* aggregator, const char* table_mode) {
  lead::estimator_config c;
  c.name = "lead";
  c.lead.aggregator = lead::parse_length_aggregator(aggregator).value();
  c.lead.lstar_table = lead::parse_length_target_mode(table_mode).value();
  c.lead.lstar_table_history = 3;
  c.lead.lstar_floor = 2;
  c.lead.bmax = 12;
  return c;
}

// Runs `steps` estimator steps over a sampler of 10 prompts in batches of 4 (an epoch
// ends every 2 steps), recording metrics as the controller does.
struct controller_run {
  io::data_sampler sampler = io::data_sampler::make(10, 4, 7).value();
  lead::estimator_state estimator;
  metrics_history history;
  std::int64_t step = 0;

  explicit controller_run(const lead::estimator_config& c)
      : estimator(lead::make_estimator_state(c)) {}

  lead::estimator_output advance(const lead::estimator_config& c) {
    ++step;
    auto out = lead::compute_advantages(c, batch_for(sampler.next_batch(), static_cast<int>(step)),
                                        estimator);
    EXPECT_TRUE(out.ok()) << out.error().message();
    append_metrics(history, step, out->metrics);
    return *out;
  }
};

void expect_same_rows(const lead::length_table_rows& a, const lead::length_table_rows& b) {
  EXPECT_EQ(a.aggregator, b.aggregator);
  EXPECT_EQ(a.history, b.history);
  EXPECT_EQ(a.prompt_ids, b.prompt_ids);
  EXPECT_EQ(a.lstar, b.lstar);
  EXPECT_EQ(a.n_correct, b.n_correct);
  EXPECT_EQ(a.n_rollouts, b.n_rollouts);
  EXPECT_EQ(a.visits, b.visits);
  EXPECT_EQ(a.last_step, b.last_step);
  EXPECT_EQ(a.mean_length, b.mean_length);
  EXPECT_EQ(a.window_count, b.window_count);
  EXPECT_EQ(a.window, b.window);
}

// The whole /controller through a file and back into a fresh controller; then both run
// two more steps (across an epoch boundary) and must agree exactly.
void round_trip_and_continue(const lead::estimator_config& c, const std::string& file,
                             int steps_before) {
  controller_run original(c);
  for (int k = 0; k < steps_before; ++k) original.advance(c);
  {
    auto f = io::hdf5_file::create(file);
    ASSERT_TRUE(f.ok()) << f.error().message();
    auto state = export_controller_state(original.sampler, original.estimator, original.history);
    ASSERT_TRUE(io::write_controller_state(*f, state).ok());
    ASSERT_TRUE(f->close().ok());
  }
  auto f = io::hdf5_file::open(file);
  ASSERT_TRUE(f.ok());
  auto read = io::read_controller_state(*f);
  ASSERT_TRUE(read.ok()) << read.error().message();

  controller_run resumed(c);
  ASSERT_TRUE(
      import_controller_state(*read, resumed.sampler, resumed.estimator, resumed.history).ok());
  resumed.step = original.step;
  expect_same_rows(resumed.estimator.lstar_table.rows(), original.estimator.lstar_table.rows());
  EXPECT_EQ(resumed.estimator.lead.ema_weights, original.estimator.lead.ema_weights);
  EXPECT_EQ(resumed.estimator.lead.initialized, original.estimator.lead.initialized);
  EXPECT_EQ(resumed.estimator.lead.step_count, original.estimator.lead.step_count);
  EXPECT_EQ(resumed.estimator.hapo.to_columns().prompt_ids,
            original.estimator.hapo.to_columns().prompt_ids);
  EXPECT_EQ(resumed.estimator.hapo.to_columns().h, original.estimator.hapo.to_columns().h);
  EXPECT_EQ(resumed.sampler.state().epoch, original.sampler.state().epoch);
  EXPECT_EQ(resumed.sampler.state().cursor, original.sampler.state().cursor);
  ASSERT_EQ(resumed.history.size(), original.history.size());
  for (const auto& [name, column] : original.history) {
    const auto& other = resumed.history.at(name);
    ASSERT_EQ(other.size(), column.size()) << name;
    for (std::size_t i = 0; i < column.size(); ++i) {
      // NaN marks a metric absent in a step; it must stay NaN.
      EXPECT_TRUE(other[i] == column[i] || (std::isnan(other[i]) && std::isnan(column[i])))
          << name << " row " << i;
    }
  }
  for (int k = 0; k < 2; ++k) {
    const auto a = original.advance(c);
    const auto b = resumed.advance(c);
    EXPECT_EQ(a.advantages, b.advantages) << "step " << original.step;
    EXPECT_EQ(a.rewards, b.rewards);
  }
  expect_same_rows(resumed.estimator.lstar_table.rows(), original.estimator.lstar_table.rows());
  EXPECT_EQ(resumed.estimator.lead.ema_weights, original.estimator.lead.ema_weights);
  EXPECT_EQ(resumed.estimator.hapo.to_columns().h, original.estimator.hapo.to_columns().h);
}

TEST_F(run_state_test, lead_table_mode_with_a_window_continues_exactly) {
  round_trip_and_continue(lead_config("median_correct", "table"), path("median.h5"), 3);
}

TEST_F(run_state_test, lead_group_mode_with_a_running_mean_continues_exactly) {
  round_trip_and_continue(lead_config("mean_correct", "group"), path("mean.h5"), 2);
}

TEST_F(run_state_test, hapo_history_continues_exactly) {
  auto c = lead_config("mean_correct", "group");
  c.name = "hapo";
  round_trip_and_continue(c, path("hapo.h5"), 3);
}

TEST_F(run_state_test, grpo_with_an_empty_table_round_trips) {
  auto c = lead_config("mean_correct", "group");
  c.name = "grpo";
  round_trip_and_continue(c, path("grpo.h5"), 1);
}

TEST_F(run_state_test, psi_state_before_the_first_step_has_no_weights) {
  lead::lead_state fresh;
  auto s = to_snapshot(fresh);
  EXPECT_TRUE(s.ema_weights.empty());
  auto back = psi_from_snapshot(s);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->ema_weights.has_value());
  s.ema_weights = {0.5};
  EXPECT_FALSE(psi_from_snapshot(s).ok());
}

TEST_F(run_state_test, a_mismatching_snapshot_changes_nothing) {
  const auto c = lead_config("median_correct", "table");
  controller_run original(c);
  original.advance(c);
  auto state = export_controller_state(original.sampler, original.estimator, original.history);

  controller_run target(c);
  target.advance(c);
  target.advance(c);
  const auto rows_before = target.estimator.lstar_table.rows();
  const auto cursor_before = target.sampler.state().cursor;

  auto wrong_order = state;
  std::swap(wrong_order.sampler.order[0], wrong_order.sampler.order[1]);
  auto status =
      import_controller_state(wrong_order, target.sampler, target.estimator, target.history);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("order"), std::string::npos);

  auto missing_column = state;
  missing_column.length_table.extra_double_columns.erase("window");
  status =
      import_controller_state(missing_column, target.sampler, target.estimator, target.history);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("window"), std::string::npos);

  auto other_aggregator = export_controller_state(
      original.sampler, lead::make_estimator_state(lead_config("mean_correct", "table")),
      original.history);
  EXPECT_FALSE(
      import_controller_state(other_aggregator, target.sampler, target.estimator, target.history)
          .ok());

  expect_same_rows(target.estimator.lstar_table.rows(), rows_before);
  EXPECT_EQ(target.sampler.state().cursor, cursor_before);
  EXPECT_EQ(target.history.at("step").size(), 2u);
}

TEST_F(run_state_test, metrics_history_fills_absent_metrics_with_nan) {
  metrics_history h;
  append_metrics(h, 1, {{"a", 1.0}});
  append_metrics(h, 2, {{"b", 2.0}});
  append_metrics(h, 3, {{"a", 3.0}, {"b", 4.0}});
  EXPECT_EQ(h.at("step"), (std::vector<double>{1, 2, 3}));
  ASSERT_EQ(h.at("a").size(), 3u);
  EXPECT_EQ(h.at("a")[0], 1.0);
  EXPECT_TRUE(std::isnan(h.at("a")[1]));
  EXPECT_EQ(h.at("a")[2], 3.0);
  ASSERT_EQ(h.at("b").size(), 3u);
  EXPECT_TRUE(std::isnan(h.at("b")[0]));
  EXPECT_EQ(h.at("b")[1], 2.0);
}

TEST_F(run_state_test, snapshots_are_due_every_save_freq_steps_and_at_the_end) {
  io::trainer_options t;
  t.total_steps = 7;
  t.save_freq = 0;
  for (int k = 1; k <= 7; ++k) EXPECT_FALSE(snapshot_due(t, k));
  t.save_freq = 3;
  std::vector<int> due;
  for (int k = 1; k <= 7; ++k) {
    if (snapshot_due(t, k)) due.push_back(k);
  }
  EXPECT_EQ(due, (std::vector<int>{3, 6, 7}));
}

TEST_F(run_state_test, resume_ignores_the_total_steps_but_not_the_learning_rate) {
  auto make = [](const std::vector<std::string>& o) {
    auto r = io::load_train_options("", o);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return *r;
  };
  const auto base = make({"trainer.total_steps=2", "trainer.save_freq=1"});
  const auto longer = make({"trainer.total_steps=9", "trainer.save_freq=3",
                            "trainer.progress=false", "runtime.step_timeout_s=5"});
  const auto other_lr = make({"trainer.total_steps=2", "actor.lr=0.5"});
  io::snapshot s;
  s.meta = make_snapshot_meta(base, 2, 1);
  EXPECT_EQ(s.meta.policy_version, 2);
  EXPECT_FALSE(s.meta.version.empty());
  EXPECT_EQ(s.meta.time.size(), 20u);  // 2026-11-23T10:00:00Z
  auto store = io::snapshot_store::open(path("snaps"), 2);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->write(s).ok());

  auto plan = io::find_resume(path("snaps"), 1, longer.config_text, resume_ignored_keys());
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->path.has_value()) << plan->refusal.value_or("");
  EXPECT_EQ(plan->step, 2);

  plan = io::find_resume(path("snaps"), 1, other_lr.config_text, resume_ignored_keys());
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->refusal.has_value());
  EXPECT_NE(plan->refusal->find("lr = "), std::string::npos) << *plan->refusal;

  auto meta = io::check_resume_snapshot(store->path_for_step(2), 2, base.config_text,
                                        resume_ignored_keys());
  ASSERT_FALSE(meta.ok());
  EXPECT_NE(meta.error().message().find("world size 1"), std::string::npos);
  EXPECT_FALSE(io::check_resume_snapshot(path("nothing.h5"), 1, base.config_text).ok());
}

TEST_F(run_state_test, config_text_without_drops_only_the_named_keys) {
  const std::string text = "[actor]\nlr = 0.1\n[trainer]\nseed = 3\ntotal_steps = 4\n";
  EXPECT_EQ(io::config_text_without(text, {"trainer.total_steps", "actor.seed"}),
            "[actor]\nlr = 0.1\n[trainer]\nseed = 3\n");
}

TEST_F(run_state_test, the_metrics_log_keeps_the_steps_up_to_the_snapshot) {
  const std::string log = path("m.jsonl");
  {
    std::ofstream out(log);
    for (int s = 1; s <= 5; ++s) out << "{\"step\":" << s << ",\"x\":" << s * 10 << "}\n";
  }
  ASSERT_TRUE(keep_metrics_log_through(log, 3).ok());
  std::ifstream in(log);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "{\"step\":1,\"x\":10}\n{\"step\":2,\"x\":20}\n{\"step\":3,\"x\":30}\n");
  EXPECT_TRUE(keep_metrics_log_through(path("absent.jsonl"), 3).ok());
}

}  // namespace
}  // namespace leadrl::actors
