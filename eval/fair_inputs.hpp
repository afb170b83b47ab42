// File: eval/fair_inputs.hpp
//
// The inputs of issue 17's fair-test analysis (docs/experiments/fair_test.md, "Readouts"):
// the readouts that `leadrl step-gate --out-json` writes for the SFT base and for the final
// policy of every (arm, seed) run, and each run's training log (trainer.log_jsonl). One
// directory holds them all:
//
//   OUT/base/readout.json
//   OUT/runs/<arm>/seed<s>/readout.json   and   OUT/runs/<arm>/seed<s>/train.jsonl
//
// with the arms of fair_arms(). A partly finished experiment is read as it is: any arm,
// seed or file may be missing. `leadrl fair-report` (apps/fair_report.cpp) reads it with
// load_fair_inputs and eval/fair_report.hpp turns it into tables.
//
//   auto in = eval::load_fair_inputs("out/fair");        // fails: exit 2 with the message
//   for (const auto& w : in->warnings) std::cerr << "warning: " << w << "\n";
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "io/run_log.hpp"

namespace leadrl::eval {

/// The difficulty levels every readout holds (1..fair_level_count).
inline constexpr int fair_level_count = 5;

/// Answers of one kind at one level (the step counter's, io/arith_steps.hpp).
struct fair_kind_cell {
  std::size_t answers = 0;
  std::size_t correct = 0;
  std::optional<double> accuracy;  ///< absent when there is no answer of the kind
};

/// One level of a readout.
struct fair_level {
  int level = 1;
  double pass_at_1 = 0.0;       ///< "accuracy": fraction of answers correct
  double mean_tokens = 0.0;     ///< mean answer length (tokens)
  double minimal_tokens = 0.0;  ///< mean minimal step-by-step length of the same problems
  double length_ratio = 0.0;    ///< mean_tokens / minimal_tokens
  double skip_rate = 0.0;       ///< share of answers that are fused or dropped
  fair_kind_cell full;          ///< answers that write every necessary step
  fair_kind_cell skipped;       ///< fused + dropped answers
};

/// The evaluation protocol a readout records, to tell readouts apart that cannot be
/// compared (another number of problems, temperature, seed ...).
struct fair_protocol {
  double problems_per_level = 0.0;
  double samples_per_problem = 0.0;
  double temperature = 0.0;
  double top_p = 0.0;
  double problem_seed = 0.0;
  double sample_seed = 0.0;
  std::optional<double> max_digits;  ///< absent in readouts that do not record it
  bool operator==(const fair_protocol& o) const;
  bool operator!=(const fair_protocol& o) const { return !(*this == o); }
  /// "200 problems x 8 answers per level, temperature 0.8, top-p 0.9, problem seed 1,
  /// sampling seed 1, max digits 1".
  std::string describe() const;
};

/// One readout.json (`leadrl step-gate --out-json`).
struct fair_readout {
  std::string source;  ///< the file it was read from
  fair_protocol protocol;
  std::array<fair_level, fair_level_count> levels;  ///< levels[d - 1] is level d
};

/// Reads a readout from `text` (`source` names it in errors). Needed: the protocol's numbers
/// (problems_per_level, samples_per_problem, temperature, top_p, problem_seed, sample_seed;
/// max_digits optional) and "levels", an array holding each of the levels 1..5 exactly once,
/// each with accuracy and skip_rate in [0, 1], mean_tokens and length_ratio >= 0,
/// minimal_tokens > 0, and "full" and "skipped" objects of answers and correct (counts) and
/// accuracy (in [0, 1], or null). Other keys ("model", "gate", "fused", ...) are ignored.
/// Fails, naming `source` and the key with what it expected, on text that is not JSON, a
/// missing, duplicated or out-of-range level, or a missing or non-numeric field.
result<fair_readout> parse_fair_readout(std::string_view text, const std::string& source);

/// parse_fair_readout() of the file at `path`; also fails, naming it, when it cannot be read.
result<fair_readout> load_fair_readout(const std::string& path);

/// One arm of the experiment: its directory name under runs/ and how the report labels it.
struct fair_arm_spec {
  std::string name;          ///< e.g. "lead_max_sym"
  bool exploratory = false;  ///< labelled "(exploratory)" in every table (the persistent table)
  bool curriculum = false;   ///< trained on levels 1-2 before step 150; compared only
                             ///< with the other curriculum arm
};

/// The pre-registered arms in report order (docs/experiments/fair_test.md, "Arms").
const std::vector<fair_arm_spec>& fair_arms();

/// The arm every other (non-curriculum) arm is compared with: LEAD max_sym.
inline constexpr const char* fair_reference_arm = "lead_max_sym";
/// Seeds per arm in the pre-registered design (docs/experiments/fair_test.md, "Seeds").
inline constexpr std::size_t fair_registered_seeds = 8;
/// The curriculum question: this arm against fair_curriculum_baseline.
inline constexpr const char* fair_curriculum_arm = "curriculum_lead";
inline constexpr const char* fair_curriculum_baseline = "curriculum_static_0.5";
/// The curriculum arms train on levels 1-2 up to this step and on levels 1-5 after it
/// (`data.arith_curriculum_step` of scripts/fair_experiment.sh).
inline constexpr int fair_curriculum_switch_step = 150;
/// The recovery readout's window: the first this many steps after the switch.
inline constexpr int fair_recovery_steps = 30;

/// `spec.name`, with " (exploratory)" for an exploratory arm: the name in tables and charts.
std::string fair_arm_label(const fair_arm_spec& spec);

/// One seed of one arm: what was found of it.
struct fair_run {
  int seed = 0;
  std::optional<fair_readout> readout;  ///< absent: no readout.json (run not finished)
  std::optional<io::run_log> log;       ///< absent: no train.jsonl
};

/// One arm with the seeds found (ascending; none when the arm has no directory).
struct fair_arm {
  fair_arm_spec spec;
  std::vector<fair_run> runs;
};

/// Everything under OUT.
struct fair_inputs {
  std::string dir;
  fair_readout base;
  std::vector<fair_arm> arms;         ///< one per fair_arms() entry, in that order
  std::vector<std::string> warnings;  ///< unknown directories, empty seed folders, ...
};

/// The arm named `name` in `in` (nullptr when there is none).
const fair_arm* find_arm(const fair_inputs& in, const std::string& name);

/// Reads OUT = `dir`. Unknown directory names under runs/ and under an arm, and seed
/// folders with neither file, are skipped with a warning. With `finished_only`, a seed
/// folder without readout.json (a run still training, whose log may end in a half-written
/// line, or one that failed) is skipped with a warning and its log is not read. With
/// `max_seed` > 0, seed folders above it are left out (no warning): a report of the seeds
/// every arm has finished while later ones run.
/// Fails, naming the file, on a missing `dir`, a missing or bad base readout, and any
/// readout or training log that is read and cannot be parsed (parse_fair_readout,
/// io::parse_run_log).
result<fair_inputs> load_fair_inputs(const std::string& dir, bool finished_only = false,
                                     std::int64_t max_seed = 0);

}  // namespace leadrl::eval
