// Tests of eval/results_file: the JSON results of `leadrl eval --out-json` written and read
// back as base results (the comparison against the file equals the comparison in the
// run), hand-written minimal files, and the errors that name the file and the key.
#include "eval/results_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/eval/sample_runs.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::eval {
namespace {

eval_settings sample_settings() {
  eval_settings s;
  s.protocol = "paper";
  s.temperature = 0.8;
  s.top_p = 0.9;
  s.max_new_tokens = 16;
  s.seed = 7;
  s.limit = 2;
  return s;
}

std::string written_results() {
  auto rows = eval_table(two_models_two_datasets(), "base");
  EXPECT_TRUE(rows);
  return results_json(*rows, evaluated_base(*rows, "base"), sample_settings());
}

TEST(ResultsFile, JsonHoldsSettingsBenchmarksModelsAndAverages) {
  const auto doc = nlohmann::json::parse(written_results());
  EXPECT_EQ(doc["protocol"], "paper");
  EXPECT_EQ(doc["sampling"]["max_new_tokens"], 16);
  EXPECT_EQ(doc["sampling"]["seed"], 7);
  EXPECT_EQ(doc["limit"], 2);
  ASSERT_EQ(doc["benchmarks"].size(), 2u);
  EXPECT_EQ(doc["benchmarks"][1]["name"], "d2");
  EXPECT_EQ(doc["benchmarks"][1]["n"], 2);
  EXPECT_EQ(doc["base"]["source"], "this run");
  ASSERT_EQ(doc["models"].size(), 2u);
  const auto& m = doc["models"][1];
  EXPECT_EQ(m["model"], "m");
  EXPECT_DOUBLE_EQ(m["benchmarks"]["d2"]["accuracy"].get<double>(), 0.5);
  EXPECT_NEAR(m["benchmarks"]["d2"]["aes"].get<double>(), -2.0, 1e-12);
  EXPECT_NEAR(m["average"]["aes"].get<double>(), -0.7, 1e-12);
  EXPECT_DOUBLE_EQ(m["average"]["mean_length"].get<double>(), 7.5);
}

TEST(ResultsFile, RoundTripAsBaseResultsGivesTheSameComparison) {
  auto file = read_base_results(written_results(), "base.json");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->base.model, "base");
  EXPECT_EQ(file->base.source, "base.json");
  ASSERT_EQ(file->base.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(file->base.rows[0].pass_at_1, 0.75);
  EXPECT_DOUBLE_EQ(file->base.rows[0].mean_length, 25.0);
  EXPECT_EQ(file->base.rows[0].samples_per_problem, 2u);
  EXPECT_EQ(file->base.rows[0].problems, 2u);
  ASSERT_TRUE(file->has_settings);
  EXPECT_EQ(file->settings.max_new_tokens, 16);
  EXPECT_EQ(file->settings.protocol, "paper");
  auto in_run = eval_table(two_models_two_datasets(), "base");
  auto runs = two_models_two_datasets();
  runs.erase(runs.begin(), runs.begin() + 2);
  auto from_file = eval_table(runs, file->base);
  ASSERT_TRUE(in_run && from_file);
  ASSERT_EQ(from_file->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& a = (*in_run)[3 + i];  // m's rows in the two-model table
    const auto& b = (*from_file)[i];
    EXPECT_EQ(a.dataset, b.dataset);
    ASSERT_TRUE(a.aes && b.aes);
    EXPECT_DOUBLE_EQ(*a.aes, *b.aes);
    EXPECT_DOUBLE_EQ(a.acc_delta, b.acc_delta);
    EXPECT_DOUBLE_EQ(a.len_delta, b.len_delta);
  }
  EXPECT_TRUE(base_differences(*file, *from_file, sample_settings()).empty());
}

TEST(ResultsFile, HandWrittenBaseNeedsOnlyAccuracyAndLength) {
  auto file = read_base_results(
      R"({"base": {"model": "paper-base", "benchmarks": {"aime24": {"accuracy": 0.289,
          "mean_length": 12000}}}})",
      "hand.json");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_FALSE(file->has_settings);
  ASSERT_EQ(file->base.rows.size(), 1u);
  EXPECT_EQ(file->base.rows[0].dataset, "aime24");
  EXPECT_EQ(file->base.rows[0].model, "paper-base");
  EXPECT_EQ(file->base.rows[0].samples_per_problem, 0u);
}

// The error of reading `text`, which must fail.
std::string error_of(const std::string& text) {
  auto file = read_base_results(text, "bad.json");
  EXPECT_FALSE(file) << text;
  return file ? std::string() : file.error().message();
}

TEST(ResultsFile, BadFilesNameTheFileAndTheKey) {
  const std::string head = R"({"base": {"model": "b", "benchmarks": {"d1": )";
  EXPECT_NE(error_of("not json").find("bad.json"), std::string::npos);
  EXPECT_NE(error_of("not json").find("not JSON"), std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("object"), std::string::npos);
  EXPECT_NE(error_of("{}").find("key 'base'"), std::string::npos);
  EXPECT_NE(error_of(R"({"base": {"benchmarks": {}}})").find("base.model"), std::string::npos);
  EXPECT_NE(error_of(R"({"base": {"model": "b", "benchmarks": {}}})").find("at least one"),
            std::string::npos);
  const auto percent = error_of(head + R"({"accuracy": 28.9, "mean_length": 10}}}})");
  EXPECT_NE(percent.find("base.benchmarks.d1.accuracy"), std::string::npos) << percent;
  EXPECT_NE(percent.find("[0, 1]"), std::string::npos);
  EXPECT_NE(error_of(head + R"({"accuracy": 0.5}}}})").find("mean_length"), std::string::npos);
  EXPECT_NE(error_of(head + R"({"accuracy": 0.5, "mean_length": 0}}}})").find("mean_length"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"accuracy": 0.5, "mean_length": 3, "n": -1}}}})").find(".n'"),
            std::string::npos);
  EXPECT_NE(error_of(head + "7}}}").find("base.benchmarks.d1"), std::string::npos);
  auto missing = load_base_results("/nonexistent/base.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/base.json"), std::string::npos);
}

// Error messages dump() the rejected value, which recurses once per nesting level.
TEST(ResultsFile, SamplingIntegersOutOfRangeCountAsAbsentSettings) {
  // Found by fuzz_eval_files: max_new_tokens 1e25 was converted to int64 (undefined).
  const std::string base = R"("base": {"model": "b", "benchmarks": {"d": {"accuracy": 0.5,
                              "mean_length": 10}}})";
  for (const char* sampling : {R"({"max_new_tokens": 1e25})", R"({"max_batch": 4.5})",
                               R"({"seed": -1})", R"({"max_new_tokens": 18446744073709551615})"}) {
    auto file = read_base_results("{\"sampling\": " + std::string(sampling) + ", " + base + "}",
                                  "b.json");
    ASSERT_TRUE(file) << file.error().message();
    EXPECT_FALSE(file->has_settings) << sampling;
  }
  auto ok = read_base_results(R"({"sampling": {"max_new_tokens": 4096, "seed": 7}, )" + base + "}",
                              "b.json");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_TRUE(ok->has_settings);
  EXPECT_EQ(ok->settings.max_new_tokens, 4096);
  EXPECT_EQ(ok->settings.seed, 7u);
}

TEST(ResultsFile, JsonNestedTooDeeplyIsRefused) {
  const std::size_t levels = 1000000;
  const std::string text = R"({"base": {"model": "b", "benchmarks": {"d1": )" +
                           std::string(levels, '[') + std::string(levels, ']') + "}}}";
  EXPECT_NE(error_of(text).find("JSON nested deeper than 128 levels"), std::string::npos);
}

TEST(ResultsFile, LoadsFromDiskAndNotesDifferentSettings) {
  const test::temp_dir dir("results_file");
  const std::string path = dir.str() + "/base.json";
  std::ofstream(path) << written_results();
  auto file = load_base_results(path);
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->base.source, path);
  auto rows = eval_table(model_m_runs(), file->base);
  ASSERT_TRUE(rows);
  (*rows)[0].problems = 1;  // as if this run had a --limit of 1 on d1
  auto settings = sample_settings();
  settings.temperature = 0.6;
  const auto notes = base_differences(*file, *rows, settings);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("d1 was measured on 2 problems at n=2, this run on 1"), std::string::npos)
      << notes[0];
  EXPECT_NE(notes[1].find("temperature 0.8"), std::string::npos) << notes[1];
}

}  // namespace
}  // namespace leadrl::eval
