#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "eval/fair_inputs.hpp"
#include "tests/eval/fair_samples.hpp"
#include "tests/support/temp_dir.hpp"

namespace leadrl::eval {
namespace {

namespace fs = std::filesystem;

// The error message of a failed parse (fails the test when the parse succeeds).
std::string parse_error(const std::string& text) {
  auto r = parse_fair_readout(text, "runs/grpo/seed1/readout.json");
  EXPECT_FALSE(r.ok());
  return r ? std::string() : r.error().message();
}

TEST(FairInputs, ParsesTheReadoutFormat) {
  auto r = parse_fair_readout(test::readout_text({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.25), "f");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->source, "f");
  EXPECT_DOUBLE_EQ(r->protocol.problems_per_level, 200);
  EXPECT_DOUBLE_EQ(r->protocol.temperature, 0.8);
  ASSERT_TRUE(r->protocol.max_digits.has_value());
  const fair_level& l4 = r->levels[3];
  EXPECT_EQ(l4.level, 4);
  EXPECT_DOUBLE_EQ(l4.pass_at_1, 0.6);
  EXPECT_DOUBLE_EQ(l4.mean_tokens, 40.0);
  EXPECT_DOUBLE_EQ(l4.minimal_tokens, 10.0);
  EXPECT_DOUBLE_EQ(l4.length_ratio, 4.0);
  EXPECT_DOUBLE_EQ(l4.skip_rate, 0.25);
  EXPECT_EQ(l4.full.answers, 1200u);
  EXPECT_DOUBLE_EQ(*l4.full.accuracy, 0.75);
  EXPECT_EQ(l4.skipped.answers, 400u);
  EXPECT_EQ(l4.skipped.correct, 200u);
  EXPECT_DOUBLE_EQ(*l4.skipped.accuracy, 0.5);
}

TEST(FairInputs, NullAccuracyOfAKindWithoutAnswersIsAbsent) {
  auto r = parse_fair_readout(test::readout_text({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.0), "f");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->levels[0].skipped.answers, 0u);
  EXPECT_FALSE(r->levels[0].skipped.accuracy.has_value());
}

TEST(FairInputs, LevelsMayComeInAnyOrder) {
  std::string levels;
  for (int d : {5, 3, 1, 2, 4}) {
    levels += (levels.empty() ? "" : ",") + test::level_text(d, 0.1 * d, 30.0, 0.1);
  }
  const std::string text =
      "{\"problems_per_level\":200,\"samples_per_problem\":8,\"temperature\":0.8,"
      "\"top_p\":0.9,\"problem_seed\":1,\"sample_seed\":1,\"levels\":[" +
      levels + "]}";
  auto r = parse_fair_readout(text, "f");
  ASSERT_TRUE(r.ok()) << r.error().message();
  for (int d = 1; d <= 5; ++d) {
    EXPECT_EQ(r->levels[static_cast<std::size_t>(d - 1)].level, d);
    EXPECT_NEAR(r->levels[static_cast<std::size_t>(d - 1)].pass_at_1, 0.1 * d, 1e-9);
  }
  EXPECT_FALSE(r->protocol.max_digits.has_value());  // optional
}

TEST(FairInputs, AMissingLevelNamesTheFileAndTheLevel) {
  std::string text = test::readout_text({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.25);
  const std::string four = test::level_text(4, 0.6, 40.0, 0.25);
  text.erase(text.find("," + four), four.size() + 1);
  const std::string e = parse_error(text);
  EXPECT_NE(e.find("runs/grpo/seed1/readout.json"), std::string::npos) << e;
  EXPECT_NE(e.find("level 4 is missing"), std::string::npos) << e;
}

TEST(FairInputs, ADuplicatedOrOutOfRangeLevelIsAnError) {
  std::string text = test::readout_text({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.25);
  std::string dup = text;
  dup.replace(dup.find("\"level\":5"), 9, "\"level\":4");
  EXPECT_NE(parse_error(dup).find("level 4 appears twice"), std::string::npos);
  std::string six = text;
  six.replace(six.find("\"level\":5"), 9, "\"level\":6");
  EXPECT_NE(parse_error(six).find("levels[4].level': expected an integer in 1..5, got 6"),
            std::string::npos)
      << parse_error(six);
}

TEST(FairInputs, ANonNumericFieldNamesTheKey) {
  std::string text = test::readout_text({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.25);
  const auto at = text.find("\"skip_rate\":", text.find("\"level\":2"));
  text.replace(at, 20, "\"skip_rate\":\"many\"");
  const std::string e = parse_error(text);
  EXPECT_NE(e.find("runs/grpo/seed1/readout.json"), std::string::npos) << e;
  EXPECT_NE(e.find("key 'levels[1].skip_rate': expected a fraction in [0, 1], got \"many\""),
            std::string::npos)
      << e;
}

TEST(FairInputs, MalformedJsonAndMissingProtocolAreErrors) {
  const std::string text = test::readout_text({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.25);
  EXPECT_NE(parse_error(text.substr(0, text.size() / 2)).find("not JSON"), std::string::npos);
  EXPECT_NE(parse_error("[1, 2]").find("expected a JSON object"), std::string::npos);
  std::string no_top_p = text;
  no_top_p.erase(no_top_p.find("\"top_p\":0.9,"), 12);
  EXPECT_NE(parse_error(no_top_p).find("key 'top_p': expected a number >= 0, got nothing"),
            std::string::npos);
  std::string no_full = text;
  no_full.replace(no_full.find("\"full\":"), 7, "\"fuller\":");
  EXPECT_NE(parse_error(no_full).find("key 'levels[0].full': expected an object"),
            std::string::npos);
}

TEST(FairInputs, TheArmsArePreRegistered) {
  const auto& arms = fair_arms();
  ASSERT_EQ(arms.size(), 15u);
  EXPECT_EQ(arms.front().name, "grpo");
  int exploratory = 0, curriculum = 0;
  for (const auto& a : arms) {
    exploratory += a.exploratory;
    curriculum += a.curriculum;
    if (a.exploratory) {
      EXPECT_EQ(fair_arm_label(a), "lead_table (exploratory)");
    }
  }
  EXPECT_EQ(exploratory, 1);
  EXPECT_EQ(curriculum, 2);
}

// An experiment folder: base, grpo seeds 1 (readout + log) and 2 (readout), lead_max_sym
// seed 2 (log only), an unknown arm, a non-seed folder and an empty seed folder.
class FairInputsDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string readout = test::readout_text({0.9, 0.8, 0.7, 0.6, 0.5}, 40.0, 0.25);
    put("base/readout.json", readout);
    put("runs/grpo/seed1/readout.json", readout);
    put("runs/grpo/seed1/train.jsonl", "{\"step\":1,\"level1/skip_rate\":0.2}\n");
    put("runs/grpo/seed2/readout.json", readout);
    put("runs/lead_max_sym/seed2/train.jsonl", "{\"step\":1,\"lead/w_corr\":0.7}\n");
    put("runs/mystery/seed1/readout.json", readout);
    put("runs/grpo/notes/readme.txt", "x");
    fs::create_directories(dir_.file("runs/kimi/seed3"));
  }
  void put(const std::string& rel, const std::string& text) {
    fs::create_directories(fs::path(dir_.file(rel)).parent_path());
    leadrl::test::write_file_bytes(dir_.file(rel), text);
  }
  leadrl::test::temp_dir dir_{"fair_inputs"};
};

TEST_F(FairInputsDir, ReadsWhatIsThereAndWarnsAboutTheRest) {
  auto in = load_fair_inputs(dir_.str());
  ASSERT_TRUE(in.ok()) << in.error().message();
  EXPECT_EQ(in->arms.size(), fair_arms().size());
  const fair_arm* grpo = find_arm(*in, "grpo");
  ASSERT_NE(grpo, nullptr);
  ASSERT_EQ(grpo->runs.size(), 2u);
  EXPECT_EQ(grpo->runs[0].seed, 1);
  EXPECT_TRUE(grpo->runs[0].readout && grpo->runs[0].log);
  EXPECT_TRUE(grpo->runs[1].readout && !grpo->runs[1].log);
  const fair_arm* lead = find_arm(*in, "lead_max_sym");
  ASSERT_EQ(lead->runs.size(), 1u);
  EXPECT_FALSE(lead->runs[0].readout.has_value());
  EXPECT_TRUE(find_arm(*in, "kimi")->runs.empty());
  EXPECT_EQ(find_arm(*in, "mystery"), nullptr);
  std::string warnings;
  for (const auto& w : in->warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find("mystery: not an arm"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("notes: not a seed folder"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("seed3: neither readout.json nor train.jsonl"), std::string::npos)
      << warnings;
}

TEST_F(FairInputsDir, FinishedOnlyLeavesOutRunsWithoutAReadout) {
  // A run still training: no readout yet and a log whose last line is half-written.
  put("runs/grpo/seed3/train.jsonl", "{\"step\":1}\n{\"step\":2,\"level1/ski");
  auto all = load_fair_inputs(dir_.str());
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.error().message().find("seed3/train.jsonl: line 2"), std::string::npos)
      << all.error().message();
  auto finished = load_fair_inputs(dir_.str(), /*finished_only=*/true);
  ASSERT_TRUE(finished.ok()) << finished.error().message();
  const fair_arm* grpo = find_arm(*finished, "grpo");
  ASSERT_EQ(grpo->runs.size(), 2u);
  EXPECT_EQ(grpo->runs[1].seed, 2);
  EXPECT_TRUE(grpo->runs[0].log.has_value());  // a finished run keeps its log
  EXPECT_TRUE(find_arm(*finished, "lead_max_sym")->runs.empty());
  std::string warnings;
  for (const auto& w : finished->warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find("grpo/seed3: no readout.json (not finished), ignored"), std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("lead_max_sym/seed2: no readout.json"), std::string::npos) << warnings;
}

TEST_F(FairInputsDir, MaxSeedLeavesOutLaterSeeds) {
  // seed3 would fail to parse: with max_seed 2 it is not even read.
  put("runs/grpo/seed3/train.jsonl", "{\"step\":1}\n{\"step\":2,\"level1/ski");
  auto two = load_fair_inputs(dir_.str(), /*finished_only=*/false, /*max_seed=*/2);
  ASSERT_TRUE(two.ok()) << two.error().message();
  ASSERT_EQ(find_arm(*two, "grpo")->runs.size(), 2u);
  auto one = load_fair_inputs(dir_.str(), false, 1);
  ASSERT_TRUE(one.ok()) << one.error().message();
  const fair_arm* grpo = find_arm(*one, "grpo");
  ASSERT_EQ(grpo->runs.size(), 1u);
  EXPECT_EQ(grpo->runs[0].seed, 1);
  for (const auto& w : one->warnings) EXPECT_EQ(w.find("seed2"), std::string::npos) << w;
}

TEST_F(FairInputsDir, AMissingBaseIsAnErrorNamingTheFile) {
  fs::remove(dir_.file("base/readout.json"));
  auto in = load_fair_inputs(dir_.str());
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message().find("base/readout.json: cannot open"), std::string::npos)
      << in.error().message();
}

TEST_F(FairInputsDir, ABadRunFileIsAnErrorNamingIt) {
  put("runs/grpo/seed2/train.jsonl", "{\"step\":1}\nnot json\n");
  auto in = load_fair_inputs(dir_.str());
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message().find("seed2/train.jsonl: line 2"), std::string::npos)
      << in.error().message();
  put("runs/grpo/seed2/train.jsonl", "{\"step\":1}\n");
  put("runs/grpo/seed1/readout.json", "{\"levels\": 3}");
  in = load_fair_inputs(dir_.str());
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message().find("seed1/readout.json"), std::string::npos)
      << in.error().message();
}

TEST(FairInputs, AMissingDirectoryIsAnError) {
  auto in = load_fair_inputs("/nonexistent/fair");
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message().find("/nonexistent/fair: not a directory"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::eval
