// Tests of io/svg_chart (tick choice and labels, XML escaping, the structure and scaling of
// line and scatter charts) and io/run_log (metrics JSONL into per-key series).
#include "io/svg_chart.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "io/run_log.hpp"

namespace leadrl::io {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(SvgChart, NiceTicksCoverTheRangeWithRoundSteps) {
  EXPECT_EQ(nice_ticks(0, 1, 6), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0}));
  const auto t = nice_ticks(3, 97, 6);  // raw step 18.8 -> 20
  ASSERT_GE(t.size(), 2u);
  EXPECT_DOUBLE_EQ(t.front(), 0);
  EXPECT_DOUBLE_EQ(t.back(), 100);
  EXPECT_DOUBLE_EQ(t[1] - t[0], 20);
  const auto neg = nice_ticks(-0.37, 0.12, 5);  // raw 0.1225 -> 0.2
  EXPECT_DOUBLE_EQ(neg.front(), -0.4);
  EXPECT_DOUBLE_EQ(neg.back(), 0.2);
  EXPECT_EQ(neg[2], 0.0);  // exact zero, no -1e-17
  const auto flat = nice_ticks(5, 5);
  EXPECT_LT(flat.front(), 5);
  EXPECT_GT(flat.back(), 5);
  EXPECT_EQ(nice_ticks(0, 0, 6), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0}));
  EXPECT_EQ(nice_ticks(NAN, 1), (std::vector<double>{0, 1}));
}

TEST(SvgChart, TickLabelsUseTheStepsDecimals) {
  EXPECT_EQ(format_tick(0.4, 0.2), "0.4");
  EXPECT_EQ(format_tick(150, 50), "150");
  EXPECT_EQ(format_tick(0.05, 0.05), "0.05");
  EXPECT_EQ(format_tick(-0.0, 0.1), "0.0");
}

TEST(SvgChart, EscapesMarkup) {
  EXPECT_EQ(xml_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  EXPECT_EQ(xml_escape(std::string("x\x01y", 3)), "xy");
}

TEST(SvgChart, LineChartHasOnePolylinePerSeriesAndLegend) {
  line_chart c{"Acc <train>",
               "step",
               "accuracy",
               {{"LEAD & co", {{0, 0.0}, {10, 1.0}}},
                {"GRPO", {{0, 0.5}, {5, NAN}, {10, 0.5}}},
                {"empty", {}}}};
  const std::string svg = render_line_chart(c);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_NE(svg.find("LEAD &amp; co"), std::string::npos);
  EXPECT_EQ(svg.find("LEAD & co"), std::string::npos);
  EXPECT_NE(svg.find("Acc &lt;train&gt;"), std::string::npos);
  EXPECT_NE(svg.find("empty (no data)"), std::string::npos);
  // Axes 0..10 and 0..1: the first series runs from the plot's bottom-left corner
  // (80, 430) to its top-right corner (610, 50).
  EXPECT_NE(svg.find("points=\"80.00,430.00 610.00,50.00\""), std::string::npos) << svg;
  // The NaN point is dropped: the second series keeps two points at y = 0.5 (240 px).
  EXPECT_NE(svg.find("points=\"80.00,240.00 610.00,240.00\""), std::string::npos);
  EXPECT_NE(svg.find(">0.6</text>"), std::string::npos);  // a y tick label
  EXPECT_NE(svg.find(">10</text>"), std::string::npos);   // an x tick label
}

TEST(SvgChart, IntegerAxisHasWholeTicks) {
  line_chart c{"w", "step", "w", {{"LEAD", {{1, 0.5}, {3, 0.6}}}}, /*integer_x=*/true};
  const std::string svg = render_line_chart(c);
  EXPECT_NE(svg.find(">2</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">1.5</text>"), std::string::npos);
  // x from 1 to 3 spans the plot: the first point sits on the y axis (80 px).
  EXPECT_NE(svg.find("points=\"80.00,"), std::string::npos);
  c.integer_x = false;
  EXPECT_NE(render_line_chart(c).find(">1.5</text>"), std::string::npos);
}

TEST(SvgChart, ScatterChartLabelsEveryPoint) {
  scatter_chart c{
      "acc vs len", "tokens", "pass@1 (%)", {{"base", 40, 60}, {"LEAD", 20, 65}, {"bad", NAN, 1}}};
  const std::string svg = render_scatter_chart(c);
  EXPECT_EQ(count(svg, "<circle"), 2u + 3u);  // points + legend marks
  EXPECT_EQ(count(svg, "class=\"label\""), 2u);
  EXPECT_NE(svg.find(">LEAD</text>"), std::string::npos);
  EXPECT_NE(svg.find("bad (no data)"), std::string::npos);
}

// Legend name -> colour of a chart: each legend mark (stroke or fill) and the text after it.
std::map<std::string, std::string> legend_colours(const std::string& svg) {
  std::map<std::string, std::string> out;
  std::size_t p = svg.find("<g class=\"legend\">");
  while (p != std::string::npos) {
    const std::size_t mark = svg.find("=\"#", p);
    if (mark == std::string::npos) break;
    const std::string colour = svg.substr(mark + 2, 7);
    const std::size_t open = svg.find('>', svg.find("<text", mark));
    const std::size_t close = svg.find("</text>", open);
    std::string name = svg.substr(open + 1, close - open - 1);
    if (auto nd = name.find(" (no data)"); nd != std::string::npos) name.erase(nd);
    out[name] = colour;
    p = close;
  }
  return out;
}

TEST(SvgChart, AssignedColoursDependOnTheSetOfNamesOnly) {
  const auto a = assign_colours({"LEAD", "GRPO", "base", "LEAD"});
  EXPECT_EQ(a, assign_colours({"base", "GRPO", "LEAD"}));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_NE(a.at("LEAD"), a.at("GRPO"));
  EXPECT_NE(a.at("LEAD"), a.at("base"));
  EXPECT_NE(a.at("GRPO"), a.at("base"));
}

TEST(SvgChart, SixteenNamesGetSixteenColours) {
  std::vector<std::string> names;
  for (int i = 0; i < 17; ++i) names.push_back("arm" + std::to_string(100 + i));
  const auto colours = assign_colours(names);
  std::set<std::string> distinct;
  for (int i = 0; i < 16; ++i) distinct.insert(colours.at(names[i]));
  EXPECT_EQ(distinct.size(), 16u);
  EXPECT_EQ(colours.at("arm116"), colours.at("arm100"));  // the 17th repeats the first
}

TEST(SvgChart, WrapsWordsIntoLines) {
  EXPECT_EQ(wrap_words("a bb ccc", 4), (std::vector<std::string>{"a bb", "ccc"}));
  EXPECT_EQ(wrap_words("a bb ccc", 8), (std::vector<std::string>{"a bb ccc"}));
  EXPECT_EQ(wrap_words("  wordier  x ", 3), (std::vector<std::string>{"wordier", "x"}));
  EXPECT_TRUE(wrap_words("", 10).empty());
}

TEST(SvgChart, ALongTitleIsDrawnOnSeveralLines) {
  const std::string title =
      "Accuracy on levels 4-5 during training (mean over seeds, centred moving average over 9 "
      "steps) <all arms>";
  const std::string svg = render_line_chart({title, "step", "accuracy", {{"a", {{0, 1}}}}});
  ASSERT_EQ(count(svg, "<tspan"), 2u) << svg;
  std::string joined;
  for (auto p = svg.find("<tspan"); p != std::string::npos; p = svg.find("<tspan", p + 1)) {
    const std::size_t open = svg.find('>', p) + 1, close = svg.find("</tspan>", p);
    const std::string line = svg.substr(open, close - open);
    EXPECT_LE(line.size(), 62u + 6u) << line;  // 62 characters, "<" escaped as "&lt;"
    joined += (joined.empty() ? "" : " ") + line;
  }
  EXPECT_EQ(joined, xml_escape(title));
  EXPECT_EQ(count(render_line_chart({"short", "x", "y", {}}), "<tspan"), 0u);
}

TEST(SvgChart, ASeriesHasOneColourInEveryChartSharingTheMap) {
  const auto colours = assign_colours({"base", "GRPO", "LEAD"});
  line_chart both{"acc", "step", "accuracy", {{"GRPO", {{0, 0.1}}}, {"LEAD", {{0, 0.2}}}}};
  both.colours = colours;
  line_chart lead_only{"w_corr", "step", "w", {{"LEAD", {{0, 0.5}}}}};
  lead_only.colours = colours;
  // Another order than the line chart's, and one point labelled by model and dataset.
  scatter_chart eval{"acc vs len",
                     "tokens",
                     "pass@1 (%)",
                     {{"LEAD", 20, 65}, {"base", 40, 60}, {"GRPO (arith)", 30, 62, "GRPO"}}};
  eval.colours = colours;
  const auto c1 = legend_colours(render_line_chart(both));
  const auto c2 = legend_colours(render_line_chart(lead_only));
  const auto c3 = legend_colours(render_scatter_chart(eval));
  ASSERT_EQ(c1.size(), 2u);
  ASSERT_EQ(c2.size(), 1u);
  ASSERT_EQ(c3.size(), 3u);
  for (const auto& chart : {c1, c2, c3}) {
    for (const auto& [name, colour] : chart) {
      const std::string series = name == "GRPO (arith)" ? "GRPO" : name;
      EXPECT_EQ(colour, colours.at(series)) << name;
    }
  }
  EXPECT_EQ(c1.at("LEAD"), c2.at("LEAD"));
  EXPECT_EQ(c1.at("LEAD"), c3.at("LEAD"));
  EXPECT_EQ(c1.at("GRPO"), c3.at("GRPO (arith)"));
  EXPECT_NE(c1.at("LEAD"), c1.at("GRPO"));
  // The polylines are drawn in the legend's colours.
  EXPECT_NE(render_line_chart(lead_only).find("stroke=\"" + colours.at("LEAD") + "\""),
            std::string::npos);
}

TEST(RunLog, ReadsSeriesPerKey) {
  auto log = parse_run_log(
      "{\"step\":1,\"critic/accuracy\":0.25,\"lead/w_corr\":0.5}\n"
      "\n"
      "{\"step\":2,\"critic/accuracy\":null,\"lead/w_corr\":0.55,\"note\":\"x\"}\n");
  ASSERT_TRUE(log) << log.error().message();
  EXPECT_EQ(log->steps, 2u);
  ASSERT_EQ(log->series.count("critic/accuracy"), 1u);
  EXPECT_EQ(log->series.at("critic/accuracy"), (std::vector<std::pair<double, double>>{{1, 0.25}}));
  EXPECT_EQ(log->series.at("lead/w_corr").size(), 2u);
  EXPECT_EQ(log->series.count("note"), 0u);
  EXPECT_EQ(log->series.count("step"), 0u);
}

TEST(RunLog, BadLinesAreNamed) {
  auto bad = parse_run_log("{\"step\":1}\nnot json\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("line 2"), std::string::npos);
  auto nostep = parse_run_log("{\"x\":1}\n");
  ASSERT_FALSE(nostep);
  EXPECT_NE(nostep.error().message().find("step"), std::string::npos);
  EXPECT_FALSE(parse_run_log("\n\n"));
  auto missing = load_run_log("/nonexistent/log.jsonl");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/log.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace leadrl::io
