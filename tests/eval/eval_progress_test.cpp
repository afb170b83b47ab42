// Tests of eval/eval_progress: ETA and durations, the bar line, and the printer's
// throttling on a terminal (one line redrawn in place) and elsewhere (a plain line at most
// every few seconds), with time given by the reports themselves.
#include "eval/eval_progress.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace leadrl::eval {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
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
  EXPECT_EQ(count(text, "\r"), 4u) << text;  // three draws and the erase
  EXPECT_EQ(count(text, "\n"), 0u);
  EXPECT_EQ(count(text, "1/4 samples"), 0u);
  EXPECT_EQ(count(text, "4/4 samples"), 1u);
  EXPECT_EQ(text.substr(text.size() - 4), "\r\x1b[K");
}

TEST(EvalProgress, PlainLinesComeAtMostEveryInterval) {
  std::ostringstream out;
  progress_printer bar(out, /*terminal=*/false, 10.0);
  for (double t : {1.0, 5.0, 11.0, 15.0, 22.0}) bar.update("a", {1, 9, 10, t});
  bar.update("b", {1, 9, 10, 3.0});  // a new label starts its own clock: nothing yet
  bar.update("b", {2, 9, 10, 12.0});
  bar.clear();
  const std::string text = out.str();
  EXPECT_EQ(count(text, "\n"), 3u) << text;
  EXPECT_EQ(count(text, "a 1/9 samples"), 2u);
  EXPECT_EQ(count(text, "b 2/9 samples"), 1u);
  EXPECT_EQ(count(text, "\r"), 0u);
}

}  // namespace
}  // namespace leadrl::eval
