// Tests of eval/eval_progress: ETA and durations, the bar line, and the printer's
// throttling on a terminal (one line redrawn in place) and elsewhere (a plain line at most
// every few seconds), with time given by the reports themselves.
#include "eval/eval_progress.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace leadrl::eval {
namespace {

// The pieces of `text` between `separator`s (the last one after the last separator).
std::vector<std::string> pieces(const std::string& text, char separator) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == separator) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

TEST(EvalProgress, EtaFromSamplesDoneBoundedByTheTokenBudget) {
  EXPECT_DOUBLE_EQ(eta_seconds({50, 100, 1000, 10.0}), 10.0);
  EXPECT_DOUBLE_EQ(eta_seconds({25, 100, 1000, 10.0}), 30.0);
  EXPECT_LT(eta_seconds({0, 100, 1000, 10.0}), 0.0);
  // With a token budget: 100 tokens in 10 s, 900 left: at most 90 s more.
  EXPECT_DOUBLE_EQ(eta_seconds({0, 10, 100, 10.0, 1000}), 90.0);
  EXPECT_DOUBLE_EQ(eta_seconds({5, 10, 100, 10.0, 1000}), 10.0);      // samples say less
  EXPECT_DOUBLE_EQ(eta_seconds({1, 10, 900, 10.0, 1000}), 10.0 / 9);  // the budget says less
  EXPECT_EQ(format_duration(3723), "1h02m03s");
  EXPECT_EQ(format_duration(245), "4m05s");
  EXPECT_EQ(format_duration(17.4), "17s");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(EvalProgress, LineShowsBarCountsRateAndEta) {
  EXPECT_EQ(progress_line("base math500 (n=3)", {25, 100, 500, 5.0}, 4),
            "base math500 (n=3) [#---] 25/100 samples | 100 tok/s | 5s elapsed | ETA 15s");
  EXPECT_EQ(progress_line("x", {0, 6, 0, 0.0}, 0), "x 0/6 samples | 0 tok/s | 0s elapsed | ETA ?");
}

TEST(EvalProgress, TerminalRedrawsOneLineAtMostEveryRedrawInterval) {
  std::ostringstream out;
  progress_printer bar(out, /*terminal=*/true, 10.0, 0.1);
  bar.update("a", {0, 4, 1, 0.00});
  bar.update("a", {1, 4, 2, 0.05});  // too soon: skipped
  bar.update("a", {2, 4, 3, 0.20});
  bar.update("a", {4, 4, 4, 0.21});  // the last one is always drawn
  bar.clear();
  const std::string text = out.str();
  // Three draws and the erase, each starting with '\r'; no line break.
  const auto draws = pieces(text, '\r');
  ASSERT_EQ(draws.size(), 5u) << text;
  EXPECT_TRUE(draws[0].empty());
  EXPECT_EQ(draws[1].rfind("a [", 0), 0u);
  EXPECT_NE(draws[1].find(" 0/4 samples"), std::string::npos);
  EXPECT_NE(draws[2].find(" 2/4 samples"), std::string::npos);  // 1/4 came too soon
  EXPECT_NE(draws[3].find(" 4/4 samples"), std::string::npos);
  EXPECT_EQ(draws[4], "\x1b[K");
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(EvalProgress, PlainLinesComeAtMostEveryInterval) {
  std::ostringstream out;
  progress_printer bar(out, /*terminal=*/false, 10.0);
  for (double t : {1.0, 5.0, 11.0, 15.0, 22.0}) bar.update("a", {1, 9, 10, t});
  bar.update("b", {1, 9, 10, 3.0});  // a new label starts its own clock: nothing yet
  bar.update("b", {2, 9, 10, 12.0});
  bar.clear();
  const auto lines = pieces(out.str(), '\n');
  ASSERT_EQ(lines.size(), 4u) << out.str();  // three lines and nothing after the last
  EXPECT_EQ(lines[0].rfind("a 1/9 samples | 1 tok/s | 11s elapsed", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("a 1/9 samples | 0 tok/s | 22s elapsed", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("b 2/9 samples | 1 tok/s | 12s elapsed", 0), 0u) << lines[2];
  EXPECT_TRUE(lines[3].empty());
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
}

}  // namespace
}  // namespace leadrl::eval
