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
  ASSERT_TRUE(f.ok()) << f.error().message();
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

io::rank_state counters(std::int64_t tokens, double seconds, std::int64_t version = 6) {
  io::rank_state r;
  r.int64_counters = {{"policy_version", version},
                      {"optimizer_step", 12},
                      {"parameter_checksum", -77},
                      {"generated_tokens", tokens}};
  r.double_counters = {{"generate_s", seconds}, {"train_s", 2 * seconds}};
  return r;
}

TEST(fold_rank_states, old_rank_k_folds_into_new_rank_k_mod_the_new_size) {
  const std::vector<io::rank_state> four = {counters(100, 1.0), counters(200, 2.0),
                                            counters(300, 3.0), counters(400, 4.0)};
  // 4 -> 2: new rank 0 holds old 0 and 2, new rank 1 old 1 and 3.
  auto r0 = fold_rank_states(four, 0, 2);
  auto r1 = fold_rank_states(four, 1, 2);
  ASSERT_TRUE(r0 && r1);
  EXPECT_EQ(r0->int64_counters.at("generated_tokens"), 400);
  EXPECT_EQ(r1->int64_counters.at("generated_tokens"), 600);
  EXPECT_DOUBLE_EQ(r0->double_counters.at("generate_s"), 4.0);
  EXPECT_DOUBLE_EQ(r1->double_counters.at("train_s"), 12.0);
  for (const auto& r : {*r0, *r1}) {
    EXPECT_EQ(r.int64_counters.at("policy_version"), 6);
    EXPECT_EQ(r.int64_counters.at("optimizer_step"), 12);
    EXPECT_EQ(r.int64_counters.at("parameter_checksum"), -77);
  }
  // 2 -> 3: the third rank is new; it starts its totals at zero.
  const std::vector<io::rank_state> two = {counters(100, 1.0), counters(200, 2.0)};
  auto n2 = fold_rank_states(two, 2, 3);
  ASSERT_TRUE(n2);
  EXPECT_EQ(n2->int64_counters.at("generated_tokens"), 0);
  EXPECT_DOUBLE_EQ(n2->double_counters.at("generate_s"), 0.0);
  EXPECT_EQ(n2->int64_counters.at("policy_version"), 6);
  auto n1 = fold_rank_states(two, 1, 3);
  ASSERT_TRUE(n1);
  EXPECT_EQ(n1->int64_counters.at("generated_tokens"), 200);
  // The same size keeps every rank's own counters.
  auto same = fold_rank_states(two, 1, 2);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->int64_counters, two[1].int64_counters);
  EXPECT_EQ(same->double_counters, two[1].double_counters);
}

TEST(fold_rank_states, ranks_that_disagree_on_a_shared_counter_are_an_error) {
  const std::vector<io::rank_state> split = {counters(1, 1.0, 6), counters(1, 1.0, 7)};
  auto r = fold_rank_states(split, 0, 1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("'policy_version'"), std::string::npos) << r.error().message();
  EXPECT_FALSE(fold_rank_states({}, 0, 1));
  EXPECT_FALSE(fold_rank_states(split, 2, 2));
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
