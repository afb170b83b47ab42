// File: eval/fair_charts.hpp
//
// The SVG charts of `leadrl fair-report` (issue 17's fair test), built with io/svg_chart.hpp
// from the training logs and the report's readout means, one colour map over all of them
// (an arm has one colour in every chart):
//
//   skip_rate_level{1,2,4,5}.svg  per arm, mean over seeds of levelD/skip_rate vs step
//                                 (centred moving average over 9 steps)
//   lstar_per_level.svg           lead_max_sym, mean over seeds of levelD/lstar_mean, a line
//                                 per level
//   psi.svg                       lead_max_sym, mean over seeds of the PSI controller's
//                                 figures (lead/w_corr, potential and cv of both signals)
//   accuracy_vs_length.svg        a point per arm and the base: pass@1 against length ratio,
//                                 both averaged over levels 1-5 (mean over seeds)
//   curriculum.svg                the curriculum arms: accuracy on levels 4-5 (weighted by
//                                 their rollouts), mean over seeds, moving average over 9 steps
//
// A chart without data is not drawn; its note says why (results.md lists it).
//
//   for (const auto& c : eval::fair_charts(*inputs, report))
//     if (c.note.written) std::ofstream(dir / c.note.file) << c.svg;
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "eval/fair_inputs.hpp"
#include "eval/fair_report.hpp"
#include "io/run_log.hpp"

namespace leadrl::eval {

/// (step, value) points in step order.
using step_points = std::vector<std::pair<double, double>>;

/// At each step any run has, the mean over the runs that have it (steps ascending): a run
/// that stopped early or skips steps does not pull the others' mean to zero.
step_points mean_over_runs(const std::vector<step_points>& runs);

/// Each point replaced by the mean of the points whose step lies within `half_width` of
/// its own (4 for a 9-step window): a centred moving average that narrows at the ends and
/// does not reach across gaps wider than the window.
step_points centred_moving_average(const step_points& points, double half_width);

/// The accuracy on levels 4 and 5 at each step, weighted by their rollouts:
/// (acc4 r4 + acc5 r5) / (r4 + r5), correct over rollouts of hard_levels_rollouts (steps
/// with neither level are left out, e.g. before a curriculum adds them).
step_points hard_levels_accuracy(const io::run_log& log);

/// One chart: its note (file, written or why not) and, when written, the SVG text.
struct fair_chart {
  fair_chart_note note;
  std::string svg;
};

/// Every chart of the file header, in that order.
std::vector<fair_chart> fair_charts(const fair_inputs& in, const fair_report& report);

}  // namespace leadrl::eval
