#include "io/snapshot_report.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/tensor_blob.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::io {
namespace {

namespace fs = std::filesystem;

tensor_blob f32_blob(std::vector<std::int64_t> shape, const std::vector<float>& values) {
  tensor_blob b{dtype::f32, std::move(shape), std::vector<std::uint8_t>(values.size() * 4)};
  std::memcpy(b.bytes.data(), values.data(), b.bytes.size());
  return b;
}

tensor_blob u16_blob(dtype t, std::vector<std::int64_t> shape,
                     const std::vector<std::uint16_t>& bits) {
  tensor_blob b{t, std::move(shape), std::vector<std::uint8_t>(bits.size() * 2)};
  std::memcpy(b.bytes.data(), bits.data(), b.bytes.size());
  return b;
}

// 11 rows: L* 10, 20, ..., 100 in a shuffled order, and one row (prompt 7) without an L*.
snapshot report_snapshot() {
  snapshot s;
  s.meta.step = 12;
  s.meta.policy_version = 12;
  s.meta.world_size = 2;
  s.meta.config_text =
      "[algorithm]\nadv_estimator = lead\n[data]\ntask = arith\n[model]\npath = \n";
  s.meta.seed = 42;
  s.meta.version = "0.1.0";
  s.meta.time = "2026-11-23T10:00:00Z";
  auto& t = s.controller.length_table;
  const double lstar[] = {30, 100, 10, 60, 90, NAN, 20, 50, 80, 40, 70};
  for (int i = 0; i < 11; ++i) {
    t.prompt_id.push_back(i + 1);
    t.lstar.push_back(lstar[i]);
    t.n_correct.push_back(i);
    t.last_step.push_back(12 - i);
    t.extra_int64_columns["visits"].push_back(2 * i);
    t.extra_double_columns["window"].push_back(i);  // rows x 2
    t.extra_double_columns["window"].push_back(i + 0.5);
  }
  t.string_settings["aggregator"] = "min_correct";
  t.int64_settings["history"] = 2;
  s.controller.psi = {{0.625, 0.375}, true, 12};
  s.controller.metrics_history["lead/w_corr"] = {0.5, 0.55, 0.6};
  s.controller.metrics_history["reward/mean"] = {0.25, NAN};
  s.learner.params["a.f32"] = f32_blob({2, 2}, {3, 4, 0, 0});  // L2 5
  // F16 1.0, -2.0, 0.5, +inf: L2 over the finite ones sqrt(5.25), one non-finite.
  s.learner.params["b.f16"] = u16_blob(dtype::f16, {4}, {0x3c00, 0xc000, 0x3800, 0x7c00});
  // BF16 1.0, 3.0: L2 sqrt(10).
  s.learner.params["c.bf16"] = u16_blob(dtype::bf16, {1, 2}, {0x3f80, 0x4040});
  s.learner.optimizer["a.f32"] = {f32_blob({2, 2}, {0, 0, 0, 2}), f32_blob({2, 2}, {1, 0, 0, 0})};
  s.learner.optimizer["c.bf16"] = {f32_blob({1, 2}, {0, 0}), f32_blob({1, 2}, {0, 0})};
  s.learner.optimizer_step = 24;
  s.ranks.resize(2);
  s.ranks[1].int64_counters["policy_version"] = 12;
  return s;
}

TEST(tensor_values, half_and_bfloat16_decode_exactly) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);               // largest finite
  EXPECT_TRUE(std::isinf(half_to_float(0xfc00)) && half_to_float(0xfc00) < 0);
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
  EXPECT_EQ(bfloat16_to_float(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16_to_float(0xc040), -3.0f);
}

TEST(tensor_values, stats_of_each_dtype) {
  const snapshot s = report_snapshot();
  auto a = value_stats(s.learner.params.at("a.f32"));
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->l2_norm, 5.0);
  EXPECT_DOUBLE_EQ(a->max_abs, 4.0);
  auto b = value_stats(s.learner.params.at("b.f16"));
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(b->l2_norm, std::sqrt(5.25));
  EXPECT_EQ(b->nonfinite, 1u);
  auto c = value_stats(s.learner.params.at("c.bf16"));
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->l2_norm, std::sqrt(10.0));
  tensor_blob bad = s.learner.params.at("a.f32");
  bad.bytes.pop_back();
  EXPECT_FALSE(value_stats(bad));
}

TEST(snapshot_report, percentiles_interpolate_between_order_statistics) {
  const std::vector<double> v = {10, 20, 30, 40};
  EXPECT_DOUBLE_EQ(percentile_of_sorted(v, 0), 10);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(v, 50), 25);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(v, 100), 40);
  EXPECT_DOUBLE_EQ(percentile_of_sorted({7}, 90), 7);
}

TEST(snapshot_report, json_summarises_the_length_table) {
  const auto r = snapshot_report(report_snapshot(), {});
  const auto& t = r["length_table"];
  EXPECT_EQ(t["rows"], 11);
  EXPECT_EQ(t["with_lstar"], 10);
  // 10 values 10..100: rank p/100 * 9.
  EXPECT_DOUBLE_EQ(t["lstar_percentiles"]["p0"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(t["lstar_percentiles"]["p10"].get<double>(), 19);
  EXPECT_DOUBLE_EQ(t["lstar_percentiles"]["p50"].get<double>(), 55);
  EXPECT_DOUBLE_EQ(t["lstar_percentiles"]["p90"].get<double>(), 91);
  EXPECT_DOUBLE_EQ(t["lstar_percentiles"]["p100"].get<double>(), 100);
  ASSERT_EQ(t["largest"].size(), 5u);
  ASSERT_EQ(t["smallest"].size(), 5u);
  // Prompt ids by L*: 100 -> 2, 90 -> 5, 80 -> 9, 70 -> 11, 60 -> 4; 10 -> 3, 20 -> 7 ...
  std::vector<int> largest, smallest;
  for (const auto& row : t["largest"]) largest.push_back(row["prompt_id"]);
  for (const auto& row : t["smallest"]) smallest.push_back(row["prompt_id"]);
  EXPECT_EQ(largest, (std::vector<int>{2, 5, 9, 11, 4}));
  EXPECT_EQ(smallest, (std::vector<int>{3, 7, 1, 10, 8}));
  EXPECT_EQ(t["largest"][0]["n_correct"], 1);
  EXPECT_EQ(t["largest"][0]["last_step"], 11);
  EXPECT_EQ(t["settings"]["aggregator"].get<std::string>(), "min_correct");
  EXPECT_FALSE(t.contains("table"));
  bool window_found = false;
  for (const auto& c : t["columns"]) {
    if (c["name"] == "window") {
      window_found = true;
      EXPECT_EQ(c["per_row"], 2);
      EXPECT_EQ(c["values"], 22);
    }
  }
  EXPECT_TRUE(window_found);
}

TEST(snapshot_report, json_has_meta_psi_metrics_tensors_and_ranks) {
  const auto r = snapshot_report(report_snapshot(), {});
  EXPECT_EQ(r["meta"]["step"], 12);
  EXPECT_EQ(r["meta"]["world_size"], 2);
  EXPECT_EQ(r["meta"]["config_summary"]["selected"]["algorithm.adv_estimator"].get<std::string>(),
            "lead");
  EXPECT_EQ(r["meta"]["config_summary"]["keys"], 3);
  EXPECT_EQ(r["psi"]["ema_weights"][0], 0.625);
  EXPECT_EQ(r["psi"]["step_count"], 12);
  ASSERT_EQ(r["metrics"].size(), 2u);
  EXPECT_EQ(r["metrics"][0]["name"].get<std::string>(), "lead/w_corr");
  EXPECT_EQ(r["metrics"][0]["rows"], 3);
  EXPECT_DOUBLE_EQ(r["metrics"][0]["last"].get<double>(), 0.6);
  EXPECT_TRUE(r["metrics"][1]["last"].is_null());  // NaN
  const auto& l = r["learner"];
  EXPECT_EQ(l["tensor_count"], 3);
  EXPECT_EQ(l["elements"], 10);
  ASSERT_EQ(l["tensors"].size(), 3u);
  EXPECT_EQ(l["tensors"][0]["name"].get<std::string>(), "a.f32");
  EXPECT_EQ(l["tensors"][0]["shape"].get<std::vector<int>>(), (std::vector<int>{2, 2}));
  EXPECT_DOUBLE_EQ(l["tensors"][0]["l2_norm"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(l["tensors"][0]["exp_avg_l2_norm"].get<double>(), 2.0);
  EXPECT_EQ(l["tensors"][1]["dtype"].get<std::string>(), "F16");
  EXPECT_EQ(l["tensors"][1]["nonfinite"], 1);
  EXPECT_FALSE(l["tensors"][1].contains("exp_avg_l2_norm"));
  EXPECT_DOUBLE_EQ(l["l2_norm"].get<double>(), std::sqrt(25 + 5.25 + 10));
  EXPECT_EQ(l["optimizer"]["with_moments"], 2);
  EXPECT_EQ(l["optimizer"]["without_moments"].get<std::vector<std::string>>(),
            (std::vector<std::string>{"b.f16"}));
  EXPECT_DOUBLE_EQ(l["optimizer"]["exp_avg_sq_l2_norm"].get<double>(), 1.0);
  ASSERT_EQ(r["ranks"].size(), 2u);
  EXPECT_EQ(r["ranks"][1]["counters"]["policy_version"], 12);
}

TEST(snapshot_report, whole_table_has_every_row_and_column) {
  snapshot_report_options options;
  options.whole_table = true;
  const snapshot s = report_snapshot();
  const auto r = snapshot_report(s, options);
  const auto& table = r["length_table"]["table"];
  EXPECT_EQ(table["prompt_id"].get<std::vector<std::int64_t>>(),
            s.controller.length_table.prompt_id);
  EXPECT_EQ(table["visits"].get<std::vector<std::int64_t>>(),
            s.controller.length_table.extra_int64_columns.at("visits"));
  EXPECT_EQ(table["window"].size(), 22u);
  EXPECT_TRUE(table["lstar"][5].is_null());
  EXPECT_EQ(table["lstar"][1], 100.0);

  const std::string text = format_snapshot_report(r, options);
  EXPECT_NE(text.find("prompt_id lstar n_correct last_step visits window[2]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("    11 70 10 2 20 [10,10.5]"), std::string::npos) << text;
  EXPECT_NE(text.find("    6 - 5 7 10 [5,5.5]"), std::string::npos) << text;
}

TEST(snapshot_report, text_names_the_figures) {
  const auto r = snapshot_report(report_snapshot(), {});
  const std::string text = format_snapshot_report(r, {});
  for (const char* part :
       {"step 12, policy_version 12, world_size 2, seed 42", "algorithm.adv_estimator = lead",
        "ema_weights [0.625, 0.375], initialized yes, step_count 12",
        "rows 11, with L* 10, aggregator min_correct, history 2",
        "L* percentiles: p0 10 p10 19 p50 55 p90 91 p100 100", "prompt 2        L* 100",
        "lead/w_corr", "last 0.6", "3 tensors, 10 elements", "Adam moments for 2 of 3 tensors",
        "without_moments: b.f16", "2.29129 (1 non-finite)", "rank 1: policy_version=12"}) {
    EXPECT_NE(text.find(part), std::string::npos) << "missing '" << part << "' in\n" << text;
  }
  EXPECT_EQ(text.find("[data]"), std::string::npos);  // the config is summarised
  snapshot_report_options whole;
  whole.whole_config = true;
  EXPECT_NE(format_snapshot_report(r, whole).find("    [data]\n    task = arith"),
            std::string::npos);
}

class snapshot_report_files : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }
  test::temp_dir dir_{"report"};
};

TEST_F(snapshot_report_files, a_valid_file_is_read_and_bad_ones_are_named) {
  const std::string good = path("step_000012.h5");
  ASSERT_TRUE(write_snapshot(good, report_snapshot()));
  auto read = read_valid_snapshot(good);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->controller.length_table.prompt_id.size(), 11u);

  const auto size = fs::file_size(good);
  fs::copy_file(good, path("step_000013.h5"));
  fs::resize_file(path("step_000013.h5"), size / 2);
  std::ofstream(path("text.h5")) << "not an HDF5 file\n";
  for (const std::string& bad : {path("step_000013.h5"), path("text.h5"), path("missing.h5")}) {
    auto r = read_valid_snapshot(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message().rfind(bad + ": not a valid leadrl snapshot", 0), 0u)
        << r.error().message();
  }
}

}  // namespace
}  // namespace leadrl::io
