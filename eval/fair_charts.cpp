#include "eval/fair_charts.hpp"

#include <map>

#include "io/svg_chart.hpp"

namespace leadrl::eval {
namespace {

constexpr double smoothing_half_width = 4.0;  // a centred window of 9 steps
constexpr const char* smoothing_note = ", centred moving average over 9 steps";

// The series `key` of a log (empty when it does not log it).
step_points series_of(const io::run_log& log, const std::string& key) {
  const auto it = log.series.find(key);
  return it == log.series.end() ? step_points{} : it->second;
}

// The mean over an arm's seeds of a per-log series (empty when no log has it).
step_points arm_mean(const fair_arm& arm, step_points (*of)(const io::run_log&, const std::string&),
                     const std::string& key) {
  std::vector<step_points> runs;
  for (const fair_run& run : arm.runs) {
    if (!run.log) continue;
    step_points s = of(*run.log, key);
    if (!s.empty()) runs.push_back(std::move(s));
  }
  return mean_over_runs(runs);
}

// The colour map shared by every chart: one colour per arm label and the base.
io::series_colours shared_colours(const fair_inputs& in) {
  std::vector<std::string> names{"base (SFT)"};
  for (const fair_arm& a : in.arms) names.push_back(fair_arm_label(a.spec));
  return io::assign_colours(names);
}

fair_chart line_chart_or_note(const std::string& file, const io::line_chart& chart,
                              const std::string& why_empty) {
  fair_chart c;
  c.note.file = file;
  c.note.written = !chart.series.empty();
  c.note.detail = c.note.written ? chart.title : why_empty;
  if (c.note.written) c.svg = io::render_line_chart(chart);
  return c;
}

fair_chart skip_rate_chart(const fair_inputs& in, int level, const io::series_colours& colours) {
  const std::string key = "level" + std::to_string(level) + "/skip_rate";
  io::line_chart chart{
      "Skip rate at level " + std::to_string(level) + " (mean over seeds" + smoothing_note + ")",
      "training step",
      "skip rate (fused or dropped rollouts)",
      {},
      true,
      colours};
  for (const fair_arm& arm : in.arms) {
    const step_points mean = arm_mean(arm, series_of, key);
    if (mean.empty()) continue;
    chart.series.push_back(
        {fair_arm_label(arm.spec), centred_moving_average(mean, smoothing_half_width)});
  }
  return line_chart_or_note("skip_rate_level" + std::to_string(level) + ".svg", chart,
                            "no training log has " + key);
}

fair_chart lstar_chart(const fair_inputs& in, const io::series_colours& colours) {
  io::line_chart chart{
      std::string("Length target L* per level, ") + fair_reference_arm + " (mean over seeds)",
      "training step",
      "mean L* of the level's prompts (tokens)",
      {},
      true,
      colours};
  if (const fair_arm* arm = find_arm(in, fair_reference_arm)) {
    for (int d = 1; d <= fair_level_count; ++d) {
      step_points mean = arm_mean(*arm, series_of, "level" + std::to_string(d) + "/lstar_mean");
      if (!mean.empty()) chart.series.push_back({"level " + std::to_string(d), std::move(mean)});
    }
  }
  return line_chart_or_note(
      "lstar_per_level.svg", chart,
      std::string("no ") + fair_reference_arm + " training log has levelD/lstar_mean (D = 1..5)");
}

fair_chart psi_chart(const fair_inputs& in, const io::series_colours& colours) {
  io::line_chart chart{std::string("PSI, ") + fair_reference_arm +
                           " (mean over seeds; 9-step moving average but w_corr)",
                       "training step",
                       "value",
                       {},
                       true,
                       colours};
  if (const fair_arm* arm = find_arm(in, fair_reference_arm)) {
    // The normalised CVs (in [0, 1]) rather than the raw ones, which the epsilon makes huge
    // when a reward's mean is 0, so that every series shares one axis.
    for (const char* key : {"lead/w_corr", "lead/target_w_corr", "lead/potential_corr",
                            "lead/potential_eff", "lead/cv_corr_norm", "lead/cv_eff_norm"}) {
      // w_corr is an EMA already; the per-step inputs flip between 0 and 1 once a
      // reward's potential is near 0, and are drawn smoothed to stay readable.
      step_points mean = arm_mean(*arm, series_of, key);
      if (std::string(key) != "lead/w_corr") {
        mean = centred_moving_average(mean, smoothing_half_width);
      }
      if (!mean.empty()) chart.series.push_back({key, std::move(mean)});
    }
  }
  return line_chart_or_note("psi.svg", chart,
                            std::string("no ") + fair_reference_arm +
                                " training log has lead/w_corr, lead/potential_* or lead/cv_*");
}

fair_chart curriculum_chart(const fair_inputs& in, const io::series_colours& colours) {
  io::line_chart chart{
      std::string("Accuracy on levels 4-5 during training (mean over seeds") + smoothing_note + ")",
      "training step",
      "accuracy of level 4-5 rollouts",
      {},
      true,
      colours};
  for (const char* name : {fair_curriculum_arm, fair_curriculum_baseline}) {
    const fair_arm* arm = find_arm(in, name);
    if (arm == nullptr) continue;
    const step_points mean = arm_mean(
        *arm, [](const io::run_log& log, const std::string&) { return hard_levels_accuracy(log); },
        "");
    if (mean.empty()) continue;
    chart.series.push_back(
        {fair_arm_label(arm->spec), centred_moving_average(mean, smoothing_half_width)});
  }
  return line_chart_or_note("curriculum.svg", chart,
                            std::string("no ") + fair_curriculum_arm + " or " +
                                fair_curriculum_baseline +
                                " training log has level4/ or level5/accuracy with rollouts");
}

fair_chart accuracy_length_chart(const fair_report& report, const io::series_colours& colours) {
  io::scatter_chart chart{"Accuracy vs length (final policies, mean over seeds)",
                          "length ratio, mean over levels 1-5",
                          "pass@1, mean over levels 1-5",
                          {},
                          colours};
  std::vector<const fair_arm_summary*> rows{&report.base};
  for (const fair_arm_summary& a : report.arms) rows.push_back(&a);
  for (const fair_arm_summary* a : rows) {
    const value_summary& x = a->score_summaries.at("length_ratio_levels_1_5");
    const value_summary& y = a->score_summaries.at("pass_at_1_levels_1_5");
    if (x.n == 0 || y.n == 0) continue;
    const std::string label = fair_arm_label(a->spec);
    chart.points.push_back({label, x.mean, y.mean, label});
  }
  fair_chart c;
  c.note = {"accuracy_vs_length.svg", true, chart.title};
  c.svg = io::render_scatter_chart(chart);
  return c;
}

}  // namespace

step_points mean_over_runs(const std::vector<step_points>& runs) {
  std::map<double, std::pair<double, std::size_t>> sums;  // step -> (sum, count)
  for (const step_points& run : runs) {
    for (const auto& [step, v] : run) {
      sums[step].first += v;
      ++sums[step].second;
    }
  }
  step_points out;
  for (const auto& [step, s] : sums)
    out.emplace_back(step, s.first / static_cast<double>(s.second));
  return out;
}

step_points centred_moving_average(const step_points& points, double half_width) {
  step_points out;
  std::size_t lo = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    while (points[lo].first < points[i].first - half_width) ++lo;
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t j = lo; j < points.size() && points[j].first <= points[i].first + half_width;
         ++j) {
      sum += points[j].second;
      ++n;
    }
    out.emplace_back(points[i].first, sum / static_cast<double>(n));
  }
  return out;
}

step_points hard_levels_accuracy(const io::run_log& log) {
  step_points out;
  for (const auto& [step, sum] : hard_levels_rollouts(log))
    out.emplace_back(step, sum.first / sum.second);
  return out;
}

std::vector<fair_chart> fair_charts(const fair_inputs& in, const fair_report& report) {
  const io::series_colours colours = shared_colours(in);
  std::vector<fair_chart> out;
  for (int level : {4, 5, 1, 2}) out.push_back(skip_rate_chart(in, level, colours));
  out.push_back(lstar_chart(in, colours));
  out.push_back(psi_chart(in, colours));
  out.push_back(accuracy_length_chart(report, colours));
  out.push_back(curriculum_chart(in, colours));
  return out;
}

}  // namespace leadrl::eval
