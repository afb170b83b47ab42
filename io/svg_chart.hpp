// File: io/svg_chart.hpp
//
// Self-contained SVG charts for `leadrl plot` (no plotting library): a line chart with one
// polyline per series and a scatter chart with labelled points, each with a title, both
// axes with "nice" ticks (1, 2, 5 x 10^k steps) and tick labels, axis labels, and a legend.
// Names are XML-escaped; series colours come from a fixed colour-blind-friendly palette,
// chosen per name by one series_colours map that every chart of a set shares, so that a
// method has one colour in all of them. Non-finite points are dropped.
//
//   io::line_chart c{"accuracy", "step", "critic/accuracy", {{"LEAD", {{1, 0.2}, {2, 0.4}}}}};
//   c.colours = io::assign_colours({"GRPO", "LEAD"});  // the same map for every chart
//   std::ofstream("accuracy.svg") << io::render_line_chart(c);
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leadrl::io {

/// Series name -> SVG colour ("#0072B2").
using series_colours = std::map<std::string, std::string>;

/// One palette colour per distinct name, dealt in sorted name order: a name's colour
/// depends on the set of names only, not on the order they are given in. Past the
/// palette's 16 colours, colours repeat.
series_colours assign_colours(std::vector<std::string> names);

/// One named line: (x, y) points in drawing order.
struct chart_series {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

struct line_chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<chart_series> series;
  /// x ticks at whole numbers only (training steps): the tick step is at least 1.
  bool integer_x = false;
  /// Colour of each series by name; a name not in it gets the palette colour of its index.
  series_colours colours = {};
};

/// One labelled point of a scatter chart.
struct scatter_point {
  std::string label;
  double x = 0.0;
  double y = 0.0;
  /// The name its colour is looked up by (the method of a "model (dataset)" point);
  /// empty: the label.
  std::string series = {};
};

struct scatter_chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<scatter_point> points;
  /// Colour of each point by its series name; a name not in it gets the palette colour
  /// of the point's index.
  series_colours colours = {};
};

/// Tick positions covering [lo, hi]: about `target` ticks at a step of 1, 2 or 5 x 10^k,
/// from the largest multiple of the step <= lo to the smallest >= hi. lo == hi gives a
/// range around the value (0..1 for zero); non-finite input or target < 2 gives {0, 1}.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

/// A tick label: the value with as many decimals as `step` needs (no "-0").
std::string format_tick(double value, double step);

/// `text` broken at spaces into lines of at most `max_chars` characters (a longer word
/// stays whole on its own line); runs of spaces collapse. Chart titles are wrapped at 62.
std::vector<std::string> wrap_words(std::string_view text, std::size_t max_chars);
/// `text` with & < > " ' replaced by XML entities and control characters other than tab
/// and newline dropped.
std::string xml_escape(std::string_view text);

/// The chart as a complete SVG document (800 x 500). Series without a finite point are
/// listed in the legend as "(no data)" and draw nothing.
std::string render_line_chart(const line_chart& chart);

/// The chart as a complete SVG document (800 x 500): a circle and its label per point.
std::string render_scatter_chart(const scatter_chart& chart);

}  // namespace leadrl::io
