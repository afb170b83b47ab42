// `leadrl fair-report --dir OUT --out-dir REPORT`: the analysis of issue 17's fair test
// (docs/experiments/fair_test.md, "Readouts" and "Statistical test"). Reads the readouts of
// the SFT base and of every (arm, seed) run and their training logs under OUT
// (eval/fair_inputs.hpp), and writes REPORT/results.md (per-level tables, AES against the
// base, paired bootstrap tests of lead_max_sym against every other arm and of the two
// curriculum arms, the PSI question), REPORT/summary.json (the same figures) and the charts
// REPORT/plots/*.svg (eval/fair_charts.hpp). A partly finished experiment is reported as it
// is; --finished-only leaves out the runs still training. Exit codes: 0 written; 1 an
// output could not be written; 2 bad usage or input (a missing or malformed readout or log:
// the message names the file and what was expected).
//
//   leadrl fair-report --dir out/fair --out-dir out/fair/report --bootstrap 10000 --seed 1
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "eval/fair_charts.hpp"
#include "eval/fair_inputs.hpp"
#include "eval/fair_report.hpp"

namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace leadrl;

// The command line as given (numbers as text: checked before anything is read).
struct report_args {
  std::string dir, out_dir;
  std::string bootstrap = "10000", seed = "1", max_seed = "0";
  bool finished_only = false;
};

po::options_description report_options(report_args& a) {
  po::options_description o(
      "leadrl fair-report: tables, paired tests and charts of issue 17's fair test\n\n"
      "usage: leadrl fair-report --dir OUT --out-dir REPORT [--bootstrap N] [--seed S]\n"
      "                          [--finished-only] [--max-seed N]\n\n"
      "Reads OUT/base/readout.json and OUT/runs/<arm>/seed<N>/{readout.json,train.jsonl}\n"
      "(readouts: leadrl step-gate --out-json; logs: trainer.log_jsonl), whatever of them\n"
      "exists, and writes REPORT/results.md, REPORT/summary.json and REPORT/plots/*.svg:\n"
      "per arm and level the mean over seeds of pass@1, length ratio, skip rate and the\n"
      "accuracy of skipped and full answers; AES against the base; for lead_max_sym against\n"
      "every other arm (and curriculum_lead against curriculum_static_0.5) the paired\n"
      "difference per seed with a 95% percentile bootstrap interval. Exit 0 when written,\n"
      "2 on bad usage or input (the message names the file).\n\noptions");
  auto add = o.add_options();
  add("help,h", "this text");
  add("dir", po::value(&a.dir), "OUT: the experiment's output folder");
  add("out-dir", po::value(&a.out_dir), "REPORT: where to write (created if missing)");
  add("bootstrap", po::value(&a.bootstrap)->default_value("10000"),
      "bootstrap resamples per paired test, 1..10000000");
  add("seed", po::value(&a.seed)->default_value("1"), "bootstrap seed (splitmix64)");
  add("finished-only", po::bool_switch(&a.finished_only),
      "only runs with a readout.json: report while the experiment is still running");
  add("max-seed", po::value(&a.max_seed)->default_value("0"),
      "only seeds 1..N (0 = all): the seeds every arm has finished");
  return o;
}

int bad_usage(const std::string& option, const std::string& expected, const std::string& got) {
  return cli::bad_usage("fair-report", option, expected, got);
}

// Checks the command line; returns the exit code of a usage error, or -1.
int parse_args(const report_args& a, eval::fair_report_options& options, std::int64_t& max_seed) {
  if (a.dir.empty()) return bad_usage("dir", "the experiment's output folder", "");
  if (a.out_dir.empty()) return bad_usage("out-dir", "a folder to write the report to", "");
  auto resamples = cli::parse_count(a.bootstrap, 1, 10000000);
  if (!resamples) return bad_usage("bootstrap", "an integer in 1..10000000", a.bootstrap);
  auto seed = cli::parse_count(a.seed, 0, UINT64_MAX);
  if (!seed) return bad_usage("seed", "an unsigned 64-bit integer", a.seed);
  auto last_seed = cli::parse_count(a.max_seed, 0, 1000000);
  if (!last_seed) return bad_usage("max-seed", "an integer in 0..1000000", a.max_seed);
  max_seed = static_cast<std::int64_t>(*last_seed);
  options.resamples = static_cast<std::size_t>(*resamples);
  options.seed = *seed;
  return -1;
}

bool write_file(const fs::path& path, const std::string& text) {
  if (!cli::write_text_file(path.string(), text, "leadrl fair-report")) return false;
  std::cerr << "wrote " << path.string() << "\n";
  return true;
}

// Writes the charts, results.md and summary.json; false (after a message) on failure.
bool write_report(const fs::path& out, const eval::fair_report& report,
                  const std::vector<eval::fair_chart>& charts) {
  std::error_code ec;
  fs::create_directories(out / "plots", ec);
  if (ec) {
    std::cerr << "leadrl fair-report: --out-dir " << out.string() << ": cannot create ("
              << ec.message() << ")\n";
    return false;
  }
  std::vector<eval::fair_chart_note> notes;
  for (const eval::fair_chart& c : charts) {
    notes.push_back(c.note);
    if (!c.note.written) {
      std::cerr << "note: plots/" << c.note.file << " not drawn: " << c.note.detail << "\n";
    } else if (!write_file(out / "plots" / c.note.file, c.svg)) {
      return false;
    }
  }
  return write_file(out / "results.md", eval::fair_report_markdown(report, notes)) &&
         write_file(out / "summary.json", eval::fair_report_json(report, notes));
}

int run_fair_report(int argc, char** argv) {
  report_args a;
  const po::options_description options = report_options(a);
  po::variables_map vm;
  if (auto stop = cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;
  eval::fair_report_options settings;
  std::int64_t max_seed = 0;
  if (const int code = parse_args(a, settings, max_seed); code >= 0) return code;
  auto inputs = eval::load_fair_inputs(a.dir, a.finished_only, max_seed);
  if (!inputs) {
    std::cerr << "leadrl fair-report: " << inputs.error().message() << "\n";
    return 2;
  }
  for (const std::string& w : inputs->warnings) std::cerr << "warning: " << w << "\n";
  const eval::fair_report report = eval::build_fair_report(*inputs, settings);
  for (const eval::fair_arm_summary& arm : report.arms) {
    if (arm.readout_seeds.empty() && arm.log_seeds.empty()) continue;
    std::cerr << "leadrl fair-report: " << eval::fair_arm_label(arm.spec) << ": "
              << arm.readout_seeds.size() << " readouts, " << arm.log_seeds.size()
              << " training logs\n";
  }
  return write_report(a.out_dir, report, eval::fair_charts(*inputs, report)) ? 0 : 1;
}

const cli::command_registration registration{
    "fair-report", "tables, paired tests and charts of issue 17's fair test", run_fair_report};

}  // namespace
