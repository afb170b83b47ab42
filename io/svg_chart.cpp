#include "io/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace leadrl::io {

namespace {

constexpr double width = 800, height = 500;
constexpr double left = 80, right = 190, top = 50, bottom = 70;  // margins; legend on the right

// Okabe-Ito's 8 colours (distinguishable with the common colour-vision deficiencies) first,
// then 8 darker and muted ones for charts with more series (the fair test has 15 arms).
const char* const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                               "#000000", "#F0E442", "#332288", "#117733", "#882255", "#AA4499",
                               "#999933", "#44AA99", "#661100", "#888888"};

// A title longer than this many characters is broken at spaces into lines: 16 px bold text
// centred over the 530 px plot area may spill past the 800 px canvas beyond about 70.
constexpr std::size_t title_line_chars = 62;

constexpr std::size_t palette_size = sizeof palette / sizeof palette[0];

// The colour of series `name`, the `i`-th of its chart.
std::string colour(const series_colours& colours, const std::string& name, std::size_t i) {
  auto it = colours.find(name);
  return it != colours.end() ? it->second : palette[i % palette_size];
}

// The colour of the `i`-th point: by its series name (its label when it has none).
std::string point_colour(const scatter_chart& chart, std::size_t i) {
  const scatter_point& p = chart.points[i];
  return colour(chart.colours, p.series.empty() ? p.label : p.series, i);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// The axis: nice ticks spanning the data; the plotted range is the ticks' span.
struct axis {
  std::vector<double> ticks;
  double lo = 0, hi = 1;
};

axis make_axis(double lo, double hi, bool integer = false) {
  axis a;
  a.ticks = nice_ticks(lo, hi);
  if (integer && a.ticks.size() >= 2 && a.ticks[1] - a.ticks[0] < 1) {
    a.ticks.clear();
    for (double t = std::floor(lo); t <= std::ceil(hi) || a.ticks.size() < 2; ++t) {
      a.ticks.push_back(t);
    }
  }
  a.lo = a.ticks.front();
  a.hi = a.ticks.back();
  if (!(a.hi > a.lo)) a.hi = a.lo + 1;
  return a;
}

double to_px_x(const axis& a, double x) {
  return left + (x - a.lo) / (a.hi - a.lo) * (width - left - right);
}
double to_px_y(const axis& a, double y) {
  return height - bottom - (y - a.lo) / (a.hi - a.lo) * (height - top - bottom);
}

void header(std::ostringstream& s, const std::string& title) {
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << ' ' << height
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << num((left + width - right) / 2) << "\" y=\"28\" text-anchor=\"middle\" "
    << "font-size=\"16\" font-weight=\"bold\">";
  const std::vector<std::string> lines = wrap_words(title, title_line_chars);
  if (lines.size() <= 1) {
    s << xml_escape(title) << "</text>\n";
    return;
  }
  // Lines 18 px apart, the block centred on y = 28 and kept below the canvas top.
  const double first = std::max(16.0, 28.0 - 9.0 * static_cast<double>(lines.size() - 1));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    s << "<tspan x=\"" << num((left + width - right) / 2) << "\" y=\""
      << num(first + 18.0 * static_cast<double>(i)) << "\">" << xml_escape(lines[i]) << "</tspan>";
  }
  s << "</text>\n";
}

void axes(std::ostringstream& s, const axis& ax, const axis& ay, const std::string& x_label,
          const std::string& y_label) {
  const double x0 = left, x1 = width - right, y0 = height - bottom, y1 = top;
  s << "<g class=\"grid\" stroke=\"#dddddd\" stroke-width=\"1\">\n";
  for (double t : ay.ticks) {
    const double y = to_px_y(ay, t);
    s << "<line x1=\"" << num(x0) << "\" y1=\"" << num(y) << "\" x2=\"" << num(x1) << "\" y2=\""
      << num(y) << "\"/>\n";
  }
  s << "</g>\n<g class=\"axes\" stroke=\"black\" stroke-width=\"1\">\n"
    << "<line x1=\"" << num(x0) << "\" y1=\"" << num(y0) << "\" x2=\"" << num(x1) << "\" y2=\""
    << num(y0) << "\"/>\n"
    << "<line x1=\"" << num(x0) << "\" y1=\"" << num(y0) << "\" x2=\"" << num(x0) << "\" y2=\""
    << num(y1) << "\"/>\n";
  for (double t : ax.ticks) {
    const double x = to_px_x(ax, t);
    s << "<line x1=\"" << num(x) << "\" y1=\"" << num(y0) << "\" x2=\"" << num(x) << "\" y2=\""
      << num(y0 + 5) << "\"/>\n";
  }
  for (double t : ay.ticks) {
    const double y = to_px_y(ay, t);
    s << "<line x1=\"" << num(x0 - 5) << "\" y1=\"" << num(y) << "\" x2=\"" << num(x0) << "\" y2=\""
      << num(y) << "\"/>\n";
  }
  s << "</g>\n";
  const double xstep = ax.ticks.size() > 1 ? ax.ticks[1] - ax.ticks[0] : 1;
  const double ystep = ay.ticks.size() > 1 ? ay.ticks[1] - ay.ticks[0] : 1;
  for (double t : ax.ticks) {
    s << "<text class=\"tick\" x=\"" << num(to_px_x(ax, t)) << "\" y=\"" << num(y0 + 20)
      << "\" text-anchor=\"middle\">" << format_tick(t, xstep) << "</text>\n";
  }
  for (double t : ay.ticks) {
    s << "<text class=\"tick\" x=\"" << num(x0 - 8) << "\" y=\"" << num(to_px_y(ay, t) + 4)
      << "\" text-anchor=\"end\">" << format_tick(t, ystep) << "</text>\n";
  }
  s << "<text class=\"xlabel\" x=\"" << num((x0 + x1) / 2) << "\" y=\"" << num(height - 25)
    << "\" text-anchor=\"middle\" font-size=\"14\">" << xml_escape(x_label) << "</text>\n"
    << "<text class=\"ylabel\" x=\"20\" y=\"" << num((y0 + y1) / 2)
    << "\" text-anchor=\"middle\" font-size=\"14\" transform=\"rotate(-90 20 " << num((y0 + y1) / 2)
    << ")\">" << xml_escape(y_label) << "</text>\n";
}

bool finite(double x, double y) {
  return std::isfinite(x) && std::isfinite(y);
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || target < 2) return {0, 1};
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) {
    if (lo == 0) {
      hi = 1;  // an all-zero series (e.g. accuracy before learning): 0..1, nothing below 0
    } else {
      const double pad = std::fabs(lo) * 0.1;
      lo -= pad;
      hi += pad;
    }
  }
  const double raw = (hi - lo) / (target - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double mult = 10;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag >= raw) {
      mult = m;
      break;
    }
  }
  const double step = mult * mag;
  // Tick k is k * step, computed as (k * mult) / 10^d for small steps so that 3 x 0.2 reads
  // 0.6 and not 0.6000000000000001.
  const double inv = mag < 1 ? std::round(1 / mag) : 0;
  auto tick = [&](long long k) {
    return inv > 0 ? static_cast<double>(k) * mult / inv : static_cast<double>(k) * step;
  };
  const auto first = static_cast<long long>(std::floor(lo / step + 1e-9));
  const auto last = static_cast<long long>(std::ceil(hi / step - 1e-9));
  std::vector<double> ticks;
  for (long long k = first; k <= last && k - first <= 1000; ++k) ticks.push_back(tick(k));
  if (ticks.size() < 2) ticks.push_back(tick(first + 1));
  for (auto& t : ticks) {
    if (t == 0) t = 0.0;  // no -0
  }
  return ticks;
}

std::vector<std::string> wrap_words(std::string_view text, std::size_t max_chars) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t space = text.find(' ', pos);
    const std::size_t end = space == std::string_view::npos ? text.size() : space;
    const std::string_view word = text.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > max_chars) {
      lines.push_back(std::move(line));
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

series_colours assign_colours(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  series_colours out;
  for (std::size_t i = 0; i < names.size(); ++i) out[names[i]] = palette[i % palette_size];
  return out;
}

std::string format_tick(double value, double step) {
  int decimals = 0;
  if (step > 0 && std::isfinite(step)) {
    decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    decimals = std::min(decimals, 12);
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string out = buf;
  if (out.find_first_not_of("-0.") == std::string::npos && out[0] == '-') out.erase(0, 1);
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        out += c;
    }
  }
  return out;
}

std::string render_line_chart(const line_chart& chart) {
  double xlo = HUGE_VAL, xhi = -HUGE_VAL, ylo = HUGE_VAL, yhi = -HUGE_VAL;
  for (const auto& s : chart.series) {
    for (const auto& [x, y] : s.points) {
      if (!finite(x, y)) continue;
      xlo = std::min(xlo, x), xhi = std::max(xhi, x);
      ylo = std::min(ylo, y), yhi = std::max(yhi, y);
    }
  }
  if (xlo > xhi) xlo = 0, xhi = 1, ylo = 0, yhi = 1;
  const axis ax = make_axis(xlo, xhi, chart.integer_x), ay = make_axis(ylo, yhi);
  std::ostringstream s;
  header(s, chart.title);
  axes(s, ax, ay, chart.x_label, chart.y_label);
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const auto& series = chart.series[i];
    const std::string stroke = colour(chart.colours, series.name, i);
    std::string pts;
    std::size_t count = 0;
    for (const auto& [x, y] : series.points) {
      if (!finite(x, y)) continue;
      pts += (count++ ? " " : "") + num(to_px_x(ax, x)) + "," + num(to_px_y(ay, y));
    }
    if (count == 0) continue;
    s << "<polyline class=\"series\" fill=\"none\" stroke=\"" << stroke
      << "\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"" << pts << "\"><title>"
      << xml_escape(series.name) << "</title></polyline>\n";
  }
  s << "<g class=\"legend\">\n";
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const auto& series = chart.series[i];
    const bool any = std::any_of(series.points.begin(), series.points.end(),
                                 [](const auto& p) { return finite(p.first, p.second); });
    const double y = top + 10 + 22 * static_cast<double>(i);
    const double x = width - right + 15;
    s << "<line x1=\"" << num(x) << "\" y1=\"" << num(y) << "\" x2=\"" << num(x + 25) << "\" y2=\""
      << num(y) << "\" stroke=\"" << colour(chart.colours, series.name, i)
      << "\" stroke-width=\"3\"/>\n"
      << "<text x=\"" << num(x + 32) << "\" y=\"" << num(y + 4) << "\">" << xml_escape(series.name)
      << (any ? "" : " (no data)") << "</text>\n";
  }
  s << "</g>\n</svg>\n";
  return s.str();
}

std::string render_scatter_chart(const scatter_chart& chart) {
  double xlo = HUGE_VAL, xhi = -HUGE_VAL, ylo = HUGE_VAL, yhi = -HUGE_VAL;
  for (const auto& p : chart.points) {
    if (!finite(p.x, p.y)) continue;
    xlo = std::min(xlo, p.x), xhi = std::max(xhi, p.x);
    ylo = std::min(ylo, p.y), yhi = std::max(yhi, p.y);
  }
  if (xlo > xhi) xlo = 0, xhi = 1, ylo = 0, yhi = 1;
  // Pad so that points and their labels do not sit on the frame.
  const double px = (xhi - xlo) * 0.08, py = (yhi - ylo) * 0.08;
  const axis ax = make_axis(xlo - px, xhi + px), ay = make_axis(ylo - py, yhi + py);
  std::ostringstream s;
  header(s, chart.title);
  axes(s, ax, ay, chart.x_label, chart.y_label);
  s << "<g class=\"points\">\n";
  for (std::size_t i = 0; i < chart.points.size(); ++i) {
    const auto& p = chart.points[i];
    if (!finite(p.x, p.y)) continue;
    const double x = to_px_x(ax, p.x), y = to_px_y(ay, p.y);
    s << "<circle cx=\"" << num(x) << "\" cy=\"" << num(y) << "\" r=\"6\" fill=\""
      << point_colour(chart, i) << "\"><title>" << xml_escape(p.label) << "</title></circle>\n"
      << "<text class=\"label\" x=\"" << num(x + 9) << "\" y=\"" << num(y - 7) << "\">"
      << xml_escape(p.label) << "</text>\n";
  }
  s << "</g>\n<g class=\"legend\">\n";
  for (std::size_t i = 0; i < chart.points.size(); ++i) {
    const auto& p = chart.points[i];
    const double y = top + 10 + 22 * static_cast<double>(i);
    const double x = width - right + 15;
    s << "<circle cx=\"" << num(x + 8) << "\" cy=\"" << num(y) << "\" r=\"6\" fill=\""
      << point_colour(chart, i) << "\"/>\n<text x=\"" << num(x + 22) << "\" y=\"" << num(y + 4)
      << "\">" << xml_escape(p.label) << (finite(p.x, p.y) ? "" : " (no data)") << "</text>\n";
  }
  s << "</g>\n</svg>\n";
  return s.str();
}

}  // namespace leadrl::io
