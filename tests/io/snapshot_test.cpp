#include "io/snapshot.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "io/config.hpp"
#include "io/snapshot_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::io {
namespace {

namespace fs = std::filesystem;

const char* const k_config = "[algorithm]\nadv_estimator = lead\nlead_alpha = 1.0\n";

class snapshot_test : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }
  test::temp_dir dir_{"snapshot"};
};

tensor_blob patterned(dtype t, std::vector<std::int64_t> shape, unsigned salt) {
  tensor_blob b{t, std::move(shape), {}};
  b.bytes.resize(b.element_count() * dtype_size(t));
  for (std::size_t i = 0; i < b.bytes.size(); ++i) {
    b.bytes[i] = static_cast<std::uint8_t>((i * 131 + salt * 17 + (i >> 8)) & 0xff);
  }
  return b;
}

// lstar values whose bytes are distinctive enough to be found in the file.
std::vector<double> sample_lstar() {
  return {1234.5678901234, 88.125, 512.0 / 3.0, -0.0};
}

snapshot sample_snapshot(std::int64_t step, std::int64_t world_size = 2,
                         const std::string& config = k_config) {
  snapshot s;
  s.meta.step = step;
  s.meta.policy_version = step + 1;
  s.meta.world_size = world_size;
  s.meta.config_text = config;
  s.meta.seed = 0xfedcba9876543210ULL;
  s.meta.version = "0.1.0";
  s.meta.time = "2026-11-23T10:00:00Z";

  controller_state& c = s.controller;
  c.sampler = {3, 17, {4, 0, 2, 1, 3}};
  c.length_table.prompt_id = {11, 22, 33, 44};
  c.length_table.lstar = sample_lstar();
  c.length_table.n_correct = {5, 0, 9, 1};
  c.length_table.last_step = {step, step - 1, 2, 0};
  c.length_table.extra_double_columns["mean_length"] = {300.5, 0.0, 17.25, 2.0};
  c.length_table.extra_double_columns["window"] = {1, 2, 3, 4, 5, 6, 7, 8};  // rows x 2
  c.length_table.extra_int64_columns["visits"] = {3, 1, 4, 1};
  c.length_table.string_settings["aggregator"] = "mean_correct";
  c.length_table.int64_settings["history"] = 32;
  c.psi.ema_weights = {0.6180339887498949, 0.3819660112501051};
  c.psi.initialized = true;
  c.psi.step_count = step;
  c.hapo = {{7, 9}, {12.5, 3.0}, {4, 1}};
  c.metrics_history["lead/w_corr"] = {0.5, 0.55, 0.6};
  c.metrics_history["lead/w_eff"] = {0.5, 0.45, 0.4};
  c.metrics_history["timing_s"] = {1.25, 1.5, 1e-300};

  learner_state& l = s.learner;
  l.params["model.embed_tokens.weight"] = patterned(dtype::bf16, {16, 8}, 1);
  l.params["model.layers.0.self_attn.q_proj.weight"] = patterned(dtype::f32, {8, 8}, 2);
  l.params["model.norm.weight"] = patterned(dtype::f16, {8}, 3);
  l.params["lm_head.bias"] = patterned(dtype::f64, {16}, 4);
  for (const auto& [name, p] : l.params) {
    adam_moments m;
    m.exp_avg = patterned(dtype::f32, p.shape, 5);
    m.exp_avg_sq = patterned(dtype::f32, p.shape, 6);
    l.optimizer[name] = m;
  }
  l.optimizer_step = step * 4;
  l.lr_schedule_position = step * 4 + 1;

  s.ranks.resize(static_cast<std::size_t>(world_size));
  for (std::int64_t r = 0; r < world_size; ++r) {
    s.ranks[static_cast<std::size_t>(r)].int64_counters["rollouts_generated"] = 100 * r + step;
    s.ranks[static_cast<std::size_t>(r)].double_counters["tokens_per_s"] = 12.5 * (r + 1);
  }
  return s;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void expect_equal(const snapshot& a, const snapshot& b) {
  EXPECT_EQ(a.meta.step, b.meta.step);
  EXPECT_EQ(a.meta.policy_version, b.meta.policy_version);
  EXPECT_EQ(a.meta.world_size, b.meta.world_size);
  EXPECT_EQ(a.meta.config_text, b.meta.config_text);
  EXPECT_EQ(a.meta.seed, b.meta.seed);
  EXPECT_EQ(a.meta.version, b.meta.version);
  EXPECT_EQ(a.meta.time, b.meta.time);

  const controller_state& x = a.controller;
  const controller_state& y = b.controller;
  EXPECT_EQ(x.sampler.epoch, y.sampler.epoch);
  EXPECT_EQ(x.sampler.cursor, y.sampler.cursor);
  EXPECT_EQ(x.sampler.order, y.sampler.order);
  EXPECT_EQ(x.length_table.prompt_id, y.length_table.prompt_id);
  EXPECT_TRUE(same_bits(x.length_table.lstar, y.length_table.lstar));
  EXPECT_EQ(x.length_table.n_correct, y.length_table.n_correct);
  EXPECT_EQ(x.length_table.last_step, y.length_table.last_step);
  ASSERT_EQ(x.length_table.extra_double_columns.size(), y.length_table.extra_double_columns.size());
  for (const auto& [name, column] : x.length_table.extra_double_columns) {
    ASSERT_EQ(y.length_table.extra_double_columns.count(name), 1u) << name;
    EXPECT_TRUE(same_bits(column, y.length_table.extra_double_columns.at(name))) << name;
  }
  EXPECT_EQ(x.length_table.extra_int64_columns, y.length_table.extra_int64_columns);
  EXPECT_EQ(x.length_table.string_settings, y.length_table.string_settings);
  EXPECT_EQ(x.length_table.int64_settings, y.length_table.int64_settings);
  EXPECT_TRUE(same_bits(x.psi.ema_weights, y.psi.ema_weights));
  EXPECT_EQ(x.psi.initialized, y.psi.initialized);
  EXPECT_EQ(x.psi.step_count, y.psi.step_count);
  EXPECT_EQ(x.hapo.prompt_id, y.hapo.prompt_id);
  EXPECT_TRUE(same_bits(x.hapo.h, y.hapo.h));
  EXPECT_EQ(x.hapo.n_correct, y.hapo.n_correct);
  ASSERT_EQ(x.metrics_history.size(), y.metrics_history.size());
  for (const auto& [name, column] : x.metrics_history) {
    ASSERT_EQ(y.metrics_history.count(name), 1u) << name;
    EXPECT_TRUE(same_bits(column, y.metrics_history.at(name))) << name;
  }

  EXPECT_TRUE(a.learner.params == b.learner.params);
  ASSERT_EQ(a.learner.optimizer.size(), b.learner.optimizer.size());
  for (const auto& [name, m] : a.learner.optimizer) {
    ASSERT_EQ(b.learner.optimizer.count(name), 1u) << name;
    EXPECT_TRUE(m.exp_avg == b.learner.optimizer.at(name).exp_avg) << name;
    EXPECT_TRUE(m.exp_avg_sq == b.learner.optimizer.at(name).exp_avg_sq) << name;
  }
  EXPECT_EQ(a.learner.optimizer_step, b.learner.optimizer_step);
  EXPECT_EQ(a.learner.lr_schedule_position, b.learner.lr_schedule_position);

  ASSERT_EQ(a.ranks.size(), b.ranks.size());
  for (std::size_t r = 0; r < a.ranks.size(); ++r) {
    EXPECT_EQ(a.ranks[r].int64_counters, b.ranks[r].int64_counters) << r;
    EXPECT_EQ(a.ranks[r].double_counters, b.ranks[r].double_counters) << r;
  }
}

using test::read_file_bytes;
using test::write_file_bytes;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(snapshot_test, every_part_round_trips_bit_identically) {
  // Eleven ranks so that name order ("10" < "2") differs from rank order.
  const snapshot s = sample_snapshot(120, 11);
  auto written = write_snapshot(path("s.h5"), s);
  ASSERT_TRUE(written) << written.error().message();
  auto r = read_snapshot(path("s.h5"));
  ASSERT_TRUE(r) << r.error().message();
  expect_equal(s, *r);
  EXPECT_TRUE(validate_snapshot(path("s.h5")));
}

TEST_F(snapshot_test, an_empty_state_round_trips) {
  snapshot s;
  s.meta.config_text = "";
  ASSERT_TRUE(write_snapshot(path("empty.h5"), s));
  auto r = read_snapshot(path("empty.h5"));
  ASSERT_TRUE(r) << r.error().message();
  expect_equal(s, *r);
}

TEST_F(snapshot_test, each_actor_writes_and_reads_its_own_group) {
  const snapshot s = sample_snapshot(7);
  {
    auto f = hdf5_file::create(path("parts.h5"));
    ASSERT_TRUE(f);
    ASSERT_TRUE(write_controller_state(*f, s.controller));
    ASSERT_TRUE(write_rank_state(*f, 1, s.ranks[1]));
    ASSERT_TRUE(f->close());
  }
  auto f = hdf5_file::open(path("parts.h5"));
  ASSERT_TRUE(f);
  auto c = read_controller_state(*f);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->length_table.prompt_id, s.controller.length_table.prompt_id);
  EXPECT_TRUE(same_bits(c->psi.ema_weights, s.controller.psi.ema_weights));
  auto r = read_rank_state(*f, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->int64_counters, s.ranks[1].int64_counters);
  // Without /meta this is not a complete snapshot.
  auto meta = read_snapshot_meta(*f);
  ASSERT_FALSE(meta);
  EXPECT_TRUE(contains(meta.error().message(), "not a leadrl snapshot")) << meta.error().message();
  auto v = validate_snapshot(path("parts.h5"));
  ASSERT_FALSE(v);
  EXPECT_TRUE(contains(v.error().message(), "incomplete /meta")) << v.error().message();
}

TEST_F(snapshot_test, the_learner_reads_into_its_existing_tensors) {
  const snapshot s = sample_snapshot(5);
  ASSERT_TRUE(write_snapshot(path("l.h5"), s));
  auto f = hdf5_file::open(path("l.h5"));
  ASSERT_TRUE(f);
  // A freshly built model: same names, dtypes and shapes, different values.
  learner_state fresh = s.learner;
  for (auto& [name, t] : fresh.params) std::fill(t.bytes.begin(), t.bytes.end(), 0);
  for (auto& [name, m] : fresh.optimizer) {
    std::fill(m.exp_avg.bytes.begin(), m.exp_avg.bytes.end(), 0);
    std::fill(m.exp_avg_sq.bytes.begin(), m.exp_avg_sq.bytes.end(), 0);
  }
  fresh.optimizer_step = 0;
  const std::uint8_t* before = fresh.params.begin()->second.bytes.data();
  auto ok = read_learner_state_into(*f, fresh);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(fresh.params.begin()->second.bytes.data(), before);  // filled in place
  EXPECT_TRUE(fresh.params == s.learner.params);
  EXPECT_TRUE(fresh.optimizer.begin()->second.exp_avg_sq ==
              s.learner.optimizer.begin()->second.exp_avg_sq);
  EXPECT_EQ(fresh.optimizer_step, s.learner.optimizer_step);

  learner_state other = s.learner;
  other.params.erase("lm_head.bias");
  other.params["lm_head.weight"] = patterned(dtype::f32, {16}, 0);
  auto names = read_learner_state_into(*f, other);
  ASSERT_FALSE(names);
  EXPECT_TRUE(contains(names.error().message(),
                       "/learner/params: 1 names missing (first: 'lm_head.weight'), 1 not "
                       "expected (first: 'lm_head.bias')"))
      << names.error().message();

  learner_state reshaped = s.learner;
  reshaped.params["model.norm.weight"].shape = {2, 4};
  auto shape = read_learner_state_into(*f, reshaped);
  ASSERT_FALSE(shape);
  EXPECT_TRUE(contains(shape.error().message(), "/learner/params/model.norm.weight"));
}

TEST_F(snapshot_test, inconsistent_state_is_refused_with_the_field_named) {
  snapshot rows = sample_snapshot(1);
  rows.controller.length_table.lstar.pop_back();
  auto s1 = write_snapshot(path("a.h5"), rows);
  ASSERT_FALSE(s1);
  EXPECT_TRUE(contains(s1.error().message(), "length_table.lstar has 3 rows"))
      << s1.error().message();

  snapshot slash = sample_snapshot(1);
  slash.learner.params["a/b"] = patterned(dtype::f32, {1}, 0);
  auto s2 = write_snapshot(path("b.h5"), slash);
  ASSERT_FALSE(s2);
  EXPECT_TRUE(contains(s2.error().message(), "learner parameter 'a/b'")) << s2.error().message();

  snapshot bytes = sample_snapshot(1);
  bytes.learner.params["w"] = tensor_blob{dtype::bf16, {4}, {1, 2, 3}};
  auto s3 = write_snapshot(path("c.h5"), bytes);
  ASSERT_FALSE(s3);
  EXPECT_TRUE(contains(s3.error().message(), "learner parameter w")) << s3.error().message();

  snapshot ranks = sample_snapshot(1, 2);
  ranks.ranks.resize(3);
  auto s4 = write_snapshot(path("d.h5"), ranks);
  ASSERT_FALSE(s4);
  EXPECT_TRUE(contains(s4.error().message(), "3 rank states for world size 2"));

  snapshot clash = sample_snapshot(1);
  clash.controller.length_table.extra_int64_columns["lstar"] = {1, 2, 3, 4};
  auto s5 = write_snapshot(path("e.h5"), clash);
  ASSERT_FALSE(s5);
  EXPECT_TRUE(contains(s5.error().message(), "'lstar': the name is already used"));
}

TEST_F(snapshot_test, h5dump_reads_the_file_as_it_is) {
  ASSERT_EQ(std::system("command -v h5dump > /dev/null 2>&1"), 0)
      << "h5dump not found: install Debian's hdf5-tools (apt-get install -y hdf5-tools)";
  ASSERT_TRUE(write_snapshot(path("dump.h5"), sample_snapshot(3)));
  const std::string out = path("dump.txt");
  const std::string cmd = "h5dump -H '" + path("dump.h5") + "' > '" + out + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file_bytes(out);
  const std::string header = read_file_bytes(out);
  EXPECT_TRUE(contains(header, "DATASET \"lstar\"")) << header;
  EXPECT_TRUE(contains(header, "GROUP \"model.embed_tokens.weight\"") ||
              contains(header, "DATASET \"model.embed_tokens.weight\""))
      << header;
  const std::string data_cmd =
      "h5dump -d /controller/length_table/prompt_id '" + path("dump.h5") + "' > '" + out + "' 2>&1";
  ASSERT_EQ(std::system(data_cmd.c_str()), 0) << read_file_bytes(out);
  EXPECT_TRUE(contains(read_file_bytes(out), "11, 22, 33, 44")) << read_file_bytes(out);
}

TEST_F(snapshot_test, debian_h5py_reads_the_length_table) {
  ASSERT_EQ(std::system("/usr/bin/python3 -c 'import h5py' > /dev/null 2>&1"), 0)
      << "/usr/bin/python3 cannot import h5py: install Debian's python3-h5py "
         "(apt-get install -y python3-h5py)";
  const snapshot s = sample_snapshot(42);
  ASSERT_TRUE(write_snapshot(path("py.h5"), s));
  const auto& table = s.controller.length_table;
  std::string ids, lstar, n_correct, last_step;
  for (std::size_t i = 0; i < table.prompt_id.size(); ++i) {
    char hex[64];
    std::snprintf(hex, sizeof hex, "%a", table.lstar[i]);
    ids += (i ? "," : "") + std::to_string(table.prompt_id[i]);
    lstar += (i ? "," : "") + std::string(hex);
    n_correct += (i ? "," : "") + std::to_string(table.n_correct[i]);
    last_step += (i ? "," : "") + std::to_string(table.last_step[i]);
  }
  const std::string script = std::string(LEADRL_SOURCE_DIR) + "/tests/io/snapshot_h5py_check.py";
  const std::string out = path("py.txt");
  const std::string cmd = "/usr/bin/python3 '" + script + "' '" + path("py.h5") + "' 42 " + ids +
                          " " + lstar + " " + n_correct + " " + last_step + " > '" + out + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << read_file_bytes(out);
  EXPECT_TRUE(contains(read_file_bytes(out), "model.embed_tokens.weight: BF16 (16, 8)"))
      << read_file_bytes(out);
  // Every column was read: the rows x 2 window holds 8 values for the 4 rows.
  EXPECT_TRUE(contains(read_file_bytes(out), "length_table/window: 8 values"))
      << read_file_bytes(out);
  EXPECT_TRUE(contains(read_file_bytes(out), "length_table/visits: 4 values"))
      << read_file_bytes(out);

  // The check is not vacuous: a different expectation fails.
  const std::string wrong = "/usr/bin/python3 '" + script + "' '" + path("py.h5") + "' 42 " + ids +
                            " 0x1p+0,0x1p+0,0x1p+0,0x1p+0 > /dev/null 2>&1";
  EXPECT_NE(std::system(wrong.c_str()), 0);
  const std::string wrong_count = "/usr/bin/python3 '" + script + "' '" + path("py.h5") + "' 42 " +
                                  ids + " " + lstar + " 5,0,9,2 " + last_step + " > /dev/null 2>&1";
  EXPECT_NE(std::system(wrong_count.c_str()), 0);
}

TEST_F(snapshot_test, the_store_keeps_the_newest_k) {
  auto store = snapshot_store::open(path("snaps"), 3);
  ASSERT_TRUE(store) << store.error().message();
  // A torn file of an older step is cleaned up by the next successful write.
  write_file_bytes(path("snaps/step_000002.h5.tmp"), "torn");
  for (std::int64_t step : {1, 2, 3, 4, 5}) {
    auto p = store->write(sample_snapshot(step));
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ(*p, path("snaps/step_00000" + std::to_string(step) + ".h5"));
  }
  auto files = list_snapshot_files(path("snaps"));
  ASSERT_TRUE(files);
  std::vector<std::int64_t> steps;
  for (const snapshot_file& f : *files) {
    EXPECT_FALSE(f.torn) << f.path;
    steps.push_back(f.step);
  }
  EXPECT_EQ(steps, (std::vector<std::int64_t>{5, 4, 3}));
  for (const auto& entry : fs::directory_iterator(path("snaps"))) {
    EXPECT_EQ(entry.path().extension(), ".h5") << entry.path();
  }
  // Rewriting a kept step (a resumed run reaching it again) replaces it in place.
  ASSERT_TRUE(store->write(sample_snapshot(4)));
  EXPECT_TRUE(fs::exists(path("snaps/step_000003.h5")));
  EXPECT_FALSE(snapshot_store::open(path("snaps"), 0));
}

TEST_F(snapshot_test, a_truncated_snapshot_is_invalid_and_resume_falls_back) {
  auto store = snapshot_store::open(path("snaps"), 5);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->write(sample_snapshot(10)));
  ASSERT_TRUE(store->write(sample_snapshot(20)));
  const std::string newest = path("snaps/step_000020.h5");
  fs::resize_file(newest, fs::file_size(newest) * 2 / 3);
  auto v = validate_snapshot(newest);
  ASSERT_FALSE(v);
  EXPECT_TRUE(contains(v.error().message(), "step_000020.h5")) << v.error().message();

  auto plan = find_resume(path("snaps"), 2, k_config);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_TRUE(plan->path.has_value());
  EXPECT_EQ(*plan->path, path("snaps/step_000010.h5"));
  EXPECT_EQ(plan->step, 10);
  EXPECT_FALSE(plan->refusal);
  ASSERT_EQ(plan->skipped.size(), 1u);
  EXPECT_EQ(plan->skipped[0].path, newest);
  EXPECT_TRUE(contains(plan->skipped[0].reason, "invalid")) << plan->skipped[0].reason;
}

TEST_F(snapshot_test, a_flipped_byte_in_the_length_table_is_detected) {
  auto store = snapshot_store::open(path("snaps"), 5);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->write(sample_snapshot(10)));
  ASSERT_TRUE(store->write(sample_snapshot(20)));
  const std::string newest = path("snaps/step_000020.h5");
  // Find lstar's bytes (first two doubles) and flip a bit in the middle of them.
  const std::vector<double> lstar = sample_lstar();
  std::string pattern(reinterpret_cast<const char*>(lstar.data()), 2 * sizeof(double));
  std::string bytes = read_file_bytes(newest);
  const std::size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(bytes.find(pattern, at + 1), std::string::npos);
  bytes[at + 11] = static_cast<char>(bytes[at + 11] ^ 0x04);
  write_file_bytes(newest, bytes);

  auto r = read_snapshot(newest);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message(), "/controller/length_table/lstar"))
      << r.error().message();
  auto v = validate_snapshot(newest);
  ASSERT_FALSE(v);
  EXPECT_TRUE(contains(v.error().message(), "/controller/length_table/lstar"));
  EXPECT_TRUE(contains(v.error().message(), "Fletcher32")) << v.error().message();

  auto plan = find_resume(path("snaps"), 2, k_config);
  ASSERT_TRUE(plan);
  ASSERT_TRUE(plan->path);
  EXPECT_EQ(plan->step, 10);
  ASSERT_EQ(plan->skipped.size(), 1u);
  EXPECT_TRUE(contains(plan->skipped[0].reason, "/controller/length_table/lstar"));
}

TEST_F(snapshot_test, a_tmp_left_behind_is_ignored_and_reported) {
  auto store = snapshot_store::open(path("snaps"), 5);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->write(sample_snapshot(10)));
  // A crash mid-write: a complete-looking but never renamed file, and a torn one.
  ASSERT_TRUE(write_snapshot(path("snaps/step_000030.h5.tmp"), sample_snapshot(30)));
  write_file_bytes(path("snaps/step_000020.h5.tmp"), "\x89HDF\r\n\x1a\n partial");
  write_file_bytes(path("snaps/notes.txt"), "not a snapshot");

  auto plan = find_resume(path("snaps"), 2, k_config);
  ASSERT_TRUE(plan);
  ASSERT_TRUE(plan->path);
  EXPECT_EQ(*plan->path, path("snaps/step_000010.h5"));
  ASSERT_EQ(plan->skipped.size(), 2u);
  EXPECT_EQ(plan->skipped[0].path, path("snaps/step_000030.h5.tmp"));
  EXPECT_TRUE(contains(plan->skipped[0].reason, "torn")) << plan->skipped[0].reason;
  EXPECT_EQ(plan->skipped[1].path, path("snaps/step_000020.h5.tmp"));
}

TEST_F(snapshot_test, a_snapshot_of_another_world_size_or_config_is_refused) {
  auto store = snapshot_store::open(path("snaps"), 5);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->write(sample_snapshot(10, 4)));

  auto by_size = find_resume(path("snaps"), 3, k_config);
  ASSERT_TRUE(by_size);
  EXPECT_FALSE(by_size->path);
  ASSERT_TRUE(by_size->refusal);
  EXPECT_TRUE(contains(*by_size->refusal, "world size 4, this run has world size 3"))
      << *by_size->refusal;
  ASSERT_TRUE(by_size->meta);
  EXPECT_EQ(by_size->meta->step, 10);

  const std::string other = "[algorithm]\nadv_estimator = lead\nlead_alpha = 2.0\n";
  auto by_config = find_resume(path("snaps"), 4, other);
  ASSERT_TRUE(by_config);
  EXPECT_FALSE(by_config->path);
  ASSERT_TRUE(by_config->refusal);
  EXPECT_TRUE(contains(*by_config->refusal,
                       "line 3 in [algorithm]: snapshot has 'lead_alpha = 1.0', this run has "
                       "'lead_alpha = 2.0'"))
      << *by_config->refusal;

  // An older snapshot that would fit is not used behind a newer refused one.
  ASSERT_TRUE(store->write(sample_snapshot(20, 3)));
  auto newest_refused = find_resume(path("snaps"), 4, k_config);
  ASSERT_TRUE(newest_refused);
  EXPECT_FALSE(newest_refused->path);
  EXPECT_TRUE(newest_refused->refusal);

  auto ok = find_resume(path("snaps"), 3, k_config);
  ASSERT_TRUE(ok);
  ASSERT_TRUE(ok->path);
  EXPECT_EQ(ok->step, 20);
}

TEST_F(snapshot_test, another_world_size_is_accepted_when_the_global_batch_divides_evenly) {
  auto store = snapshot_store::open(path("snaps"), 5);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->write(sample_snapshot(10, 4)));

  // 12 prompts per step divide over 2, 3 and 6 ranks, not over 5.
  for (std::int64_t ranks : {1, 2, 3, 6}) {
    auto plan = find_resume(path("snaps"), ranks, k_config, {}, 12);
    ASSERT_TRUE(plan);
    ASSERT_TRUE(plan->path) << ranks << " ranks: " << plan->refusal.value_or("");
    EXPECT_EQ(plan->meta->world_size, 4);
  }
  auto uneven = find_resume(path("snaps"), 5, k_config, {}, 12);
  ASSERT_TRUE(uneven);
  EXPECT_FALSE(uneven->path);
  ASSERT_TRUE(uneven->refusal);
  EXPECT_TRUE(contains(*uneven->refusal, "global batch (12 prompts) divides evenly"))
      << *uneven->refusal;

  auto named = check_resume_snapshot(store->path_for_step(10), 2, k_config, {}, 12);
  ASSERT_TRUE(named) << named.error().message();
  EXPECT_EQ(named->world_size, 4);
  auto named_uneven = check_resume_snapshot(store->path_for_step(10), 5, k_config, {}, 12);
  ASSERT_FALSE(named_uneven);
  EXPECT_TRUE(contains(named_uneven.error().message(), "world size 4, this run has world size 5"))
      << named_uneven.error().message();

  // A resize does not excuse a different configuration.
  const std::string other = "[algorithm]\nadv_estimator = lead\nlead_alpha = 2.0\n";
  auto by_config = find_resume(path("snaps"), 2, other, {}, 12);
  ASSERT_TRUE(by_config);
  EXPECT_FALSE(by_config->path);
  EXPECT_TRUE(by_config->refusal);
}

TEST_F(snapshot_test, options_added_by_a_newer_build_at_their_default_are_not_a_difference) {
  auto store = snapshot_store::open(path("snaps"), 5);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->write(sample_snapshot(10, 2)));  // its config text is k_config
  const std::string base = k_config;
  const std::string defaults = base + "new_key = 7\n";
  // This build has algorithm.new_key; the snapshot's build had not.
  auto at_default = find_resume(path("snaps"), 2, base + "new_key = 7\n", {}, 0, defaults);
  ASSERT_TRUE(at_default);
  EXPECT_TRUE(at_default->path) << at_default->refusal.value_or("");
  auto changed = find_resume(path("snaps"), 2, base + "new_key = 8\n", {}, 0, defaults);
  ASSERT_TRUE(changed);
  EXPECT_FALSE(changed->path);
  ASSERT_TRUE(changed->refusal);
  EXPECT_TRUE(contains(*changed->refusal, "new_key = 8")) << *changed->refusal;
  // Without the defaults, any added line is a difference.
  auto strict = find_resume(path("snaps"), 2, base + "new_key = 7\n");
  ASSERT_TRUE(strict);
  EXPECT_FALSE(strict->path);
  EXPECT_EQ(keys_added_at_default(base, base + "new_key = 7\n", defaults),
            std::vector<std::string>{"algorithm.new_key"});
}

TEST_F(snapshot_test, an_empty_or_missing_directory_means_a_fresh_start) {
  auto missing = find_resume(path("nothing_here"), 1, k_config);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->path);
  EXPECT_FALSE(missing->refusal);
  EXPECT_TRUE(missing->skipped.empty());
}

TEST_F(snapshot_test, a_file_whose_name_disagrees_with_its_step_is_invalid) {
  ASSERT_TRUE(write_snapshot(path("step_000009.h5"), sample_snapshot(8)));
  auto v = validate_snapshot(path("step_000009.h5"));
  ASSERT_FALSE(v);
  EXPECT_TRUE(contains(v.error().message(), "/meta/step is 8 but the file name says step 9"));
}

}  // namespace
}  // namespace leadrl::io
