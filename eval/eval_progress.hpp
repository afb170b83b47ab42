// File: eval/eval_progress.hpp
//
// Progress of `leadrl eval` on stderr, as users of tqdm-based eval scripts expect it: on a
// terminal one bar line per model x benchmark, redrawn in place (samples done/total,
// tokens/s, elapsed, ETA); elsewhere (a log file, CI) a plain line at most every few
// seconds, so that a long run still shows it is alive without flooding the log. Time comes
// in with each report (eval_progress::seconds), so the printer is deterministic to test.
//
//   eval::progress_printer bar(std::cerr, /*terminal=*/isatty(2));
//   (*m)->evaluate(data, sampling, [&](const eval::eval_progress& p) { bar.update("base math500",
//   p); }); bar.clear();
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace leadrl::eval {

/// Where one model's evaluation on one dataset stands.
struct eval_progress {
  std::int64_t samples_done = 0;
  std::int64_t samples_total = 0;
  std::int64_t generated_tokens = 0;
  double seconds = 0;  ///< since the evaluation started
  /// samples_total x the token limit: generated_tokens never exceeds it (0: unknown).
  std::int64_t token_budget = 0;
};

/// Receives an eval_progress after every decoding step of eval_model::evaluate.
using eval_progress_callback = std::function<void(const eval_progress&)>;

/// Seconds left: at the rate so far over samples (elapsed x left / done), bounded by the
/// time the rest of the token budget takes at the token rate so far (all samples of a
/// first batch can run to the limit together, so none may be done for a while); the
/// smaller of the two that are known, negative when neither is.
double eta_seconds(const eval_progress& p);

/// "1h02m03s", "4m05s" or "17s"; "?" for a negative duration.
std::string format_duration(double seconds);

/// The bar line: "LABEL [#####-----]  50/100 samples | 312 tok/s | 9s elapsed | ETA 9s"
/// with `width` cells in the bar (0: no bar).
std::string progress_line(const std::string& label, const eval_progress& p, int width);

/// Prints progress lines for one label at a time (see the file comment).
class progress_printer {
 public:
  /// `terminal`: redraw one line in place (at most every `redraw_s`); else print a plain
  /// line at most every `plain_every_s`.
  progress_printer(std::ostream& out, bool terminal, double plain_every_s = 10.0,
                   double redraw_s = 0.1);

  /// Reports `p` for `label`; a new label starts its own throttling clock.
  void update(const std::string& label, const eval_progress& p);

  /// Ends the current label: on a terminal erases the bar line, so that a summary line
  /// can take its place; elsewhere nothing.
  void clear();

 private:
  std::ostream& out_;
  bool terminal_;
  double plain_every_s_;
  double redraw_s_;
  std::string label_;
  double last_print_s_ = 0;
  bool drawn_ = false;
};

}  // namespace leadrl::eval
