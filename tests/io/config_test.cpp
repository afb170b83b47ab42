#include "io/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace leadrl::io {
namespace {

config_schema make_schema() {
  config_schema s;
  s.add<double>("algorithm.lead_alpha", 1.0, "potential exponent")
      .add<std::int64_t>("trainer.total_steps", 10, "steps")
      .add<bool>("trainer.verbose", false, "chatty")
      .add<std::string>("algorithm.adv_estimator", "lead", "estimator name");
  return s;
}

std::string write_ini(const std::string& text) {
  const std::string path = std::string(LEADRL_BINARY_DIR) + "/config_test_" +
                           std::to_string(std::hash<std::string>{}(text)) + ".ini";
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsIniAndBothOverrideStylesInPrecedenceOrder) {
  const auto path = write_ini(
      "[algorithm]\nlead_alpha = 2.5\nadv_estimator = grpo\n[trainer]\ntotal_steps = 7\n");
  auto cfg = load_config(make_schema(), path, {"--trainer.total_steps=9", "trainer.verbose=true"});
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_DOUBLE_EQ(cfg->get<double>("algorithm.lead_alpha"), 2.5);
  EXPECT_EQ(cfg->get<std::string>("algorithm.adv_estimator"), "grpo");
  EXPECT_EQ(cfg->get<std::int64_t>("trainer.total_steps"), 9);  // override beats the file
  EXPECT_TRUE(cfg->get<bool>("trainer.verbose"));
  const std::string text = cfg->text();
  EXPECT_NE(text.find("[trainer]\ntotal_steps = 9"), std::string::npos) << text;
}

TEST(Config, UnknownKeyInFileIsNamed) {
  const auto path = write_ini("[algorithm]\nlead_alpah = 2.5\n");
  auto cfg = load_config(make_schema(), path, {});
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message().find("algorithm.lead_alpah"), std::string::npos)
      << cfg.error().message();
  EXPECT_NE(cfg.error().message().find(path), std::string::npos);
}

TEST(Config, UnknownOverrideAndMalformedOverrideAreNamed) {
  auto a = load_config(make_schema(), "", {"algorithm.nope=1"});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("algorithm.nope"), std::string::npos) << a.error().message();
  auto b = load_config(make_schema(), "", {"algorithm.lead_alpha"});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("key=value"), std::string::npos);
}

TEST(Config, AnOverrideValueMayBeEmptyOrHoldAnEqualsSign) {
  auto a = load_config(make_schema(), "", {"algorithm.adv_estimator=", "--trainer.total_steps=3"});
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->get<std::string>("algorithm.adv_estimator"), "");
  EXPECT_EQ(a->get<std::int64_t>("trainer.total_steps"), 3);
  auto b = load_config(make_schema(), "", {"algorithm.adv_estimator=a=b"});
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(b->get<std::string>("algorithm.adv_estimator"), "a=b");
  // An empty number is still a bad value, named; an empty key is malformed.
  auto c = load_config(make_schema(), "", {"trainer.total_steps="});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("total_steps"), std::string::npos) << c.error().message();
  auto d = load_config(make_schema(), "", {"=5"});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("key=value"), std::string::npos) << d.error().message();
}

TEST(Config, OverrideValuesAreOnesTheStoredIniTextCanHold) {
  // Found by fuzz_config: text() is the configuration snapshots store and export re-reads,
  // so an override value must read back from it unchanged. Blanks are trimmed as the INI
  // reader trims them; '#' (a comment in INI) and line breaks are refused.
  auto a = load_config(make_schema(), "", {"algorithm.adv_estimator=\tgrpo "});
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->get<std::string>("algorithm.adv_estimator"), "grpo");
  auto again = load_config_text(make_schema(), a->text(), "stored");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->text(), a->text());
  for (const char* bad : {"algorithm.adv_estimator=a#b", "algorithm.adv_estimator=a\nb"}) {
    auto b = load_config(make_schema(), "", {bad});
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.error().message().find("a value cannot hold '#' or a line break"),
              std::string::npos)
        << b.error().message();
  }
}

TEST(Config, BadValueNamesTheKey) {
  auto a = load_config(make_schema(), "", {"trainer.total_steps=many"});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("total_steps"), std::string::npos) << a.error().message();
  const auto path = write_ini("[algorithm]\nlead_alpha = fast\n");
  auto b = load_config(make_schema(), path, {});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("lead_alpha"), std::string::npos) << b.error().message();
}

TEST(Config, AValueHoldingABoostPlaceholderIsReportedNotLoopedOn) {
  // Found by fuzz_config: Boost's message formatting replaced %value% with a value holding
  // "%value%" forever. The value is shown with a full-width percent sign instead.
  auto a = load_config_text(make_schema(), "[algorithm]\nlead_alpha = %value%\n", "run.ini");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("lead_alpha"), std::string::npos) << a.error().message();
  EXPECT_NE(a.error().message().find("\xEF\xBC\x85value\xEF\xBC\x85"), std::string::npos)
      << a.error().message();
  auto b = load_config(make_schema(), "", {"trainer.total_steps=%canonical_option%%value%"});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("total_steps"), std::string::npos) << b.error().message();
  // Any '%' in a value is shown full-width, placeholder or not.
  auto c = load_config(make_schema(), "", {"trainer.total_steps=50%"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("50\xEF\xBC\x85"), std::string::npos) << c.error().message();
}

TEST(Config, MissingFileIsNamed) {
  auto a = load_config(make_schema(), "/nonexistent/run.ini", {});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("/nonexistent/run.ini"), std::string::npos);
}

TEST(Config, TextRoundTripsThroughLoadConfigText) {
  auto cfg = load_config(make_schema(), "", {"algorithm.lead_alpha=0.25", "trainer.verbose=true"});
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  auto again = load_config_text(make_schema(), cfg->text(), "stored config");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->text(), cfg->text());
  EXPECT_DOUBLE_EQ(again->get<double>("algorithm.lead_alpha"), 0.25);
  EXPECT_TRUE(again->get<bool>("trainer.verbose"));
  // Overrides still win over the text.
  auto over = load_config_text(make_schema(), cfg->text(), "stored config", {"trainer.total_steps=3"});
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->get<std::int64_t>("trainer.total_steps"), 3);
}

TEST(Config, BadTextNamesItsSourceAndKey) {
  auto a = load_config_text(make_schema(), "[trainer]\ntotal_stepz = 3\n", "snapshot s.h5 /meta");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("snapshot s.h5 /meta"), std::string::npos)
      << a.error().message();
  EXPECT_NE(a.error().message().find("trainer.total_stepz"), std::string::npos);
}

TEST(Config, HelpListsEveryOptionWithDefault) {
  std::ostringstream out;
  make_schema().print_help(out);
  EXPECT_NE(out.str().find("--algorithm.lead_alpha  (default 1)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("[trainer]"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::io
