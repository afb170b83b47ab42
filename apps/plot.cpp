// `leadrl plot`: SVG charts of training runs and of an evaluation table, to open in a
// browser. From metrics logs (`leadrl train` trainer.log_jsonl), one line per method over
// training steps: accuracy.svg (critic/accuracy), response_length.svg
// (response_length/mean), w_corr.svg and w_eff.svg (LEAD's applied weights; runs that do
// not log LEAD's own weights, e.g. GRPO, are left out with a note), lstar.svg
// (lead/lstar_mean). From an eval CSV (`leadrl eval --out-csv`): accuracy_vs_length.svg,
// one labelled point per model (its "average" row when there is one, else its only
// dataset's row; with several datasets and no average, one point per model x dataset).
// A method has one colour in every chart (io::assign_colours over all run and model names).
//
//   leadrl plot --run LEAD=runs/lead.jsonl --run GRPO=runs/grpo.jsonl --eval eval.csv --out plots
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>

#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "eval/eval_report.hpp"
#include "io/run_log.hpp"
#include "io/svg_chart.hpp"

namespace {

namespace po = boost::program_options;
using namespace leadrl;

// One chart over training steps.
struct step_chart {
  const char* file;
  const char* title;
  const char* key;  // the metric plotted
  const char* y_label;
  const char* needs;  // a run is drawn only if it logs this key (nullptr: `key`)
};

const step_chart step_charts[] = {
    {"accuracy.svg", "Training accuracy", "critic/accuracy", "accuracy (fraction correct)",
     nullptr},
    {"response_length.svg", "Mean response length", "response_length/mean", "tokens", nullptr},
    {"w_corr.svg", "LEAD correctness weight w_corr", "lead/w_corr_applied", "w_corr",
     "lead/w_corr"},
    {"w_eff.svg", "LEAD efficiency weight w_eff", "lead/w_eff_applied", "w_eff", "lead/w_eff"},
    {"lstar.svg", "Mean length target L*", "lead/lstar_mean", "L* (tokens)", nullptr},
};

bool write_file(const std::filesystem::path& path, const std::string& text) {
  if (!cli::write_text_file(path.string(), text, "leadrl plot")) return false;
  std::cerr << "wrote " << path.string() << "\n";
  return true;
}

int run_plot(int argc, char** argv) {
  std::vector<std::string> run_specs;
  std::string eval_csv, out_dir;
  po::options_description options(
      "leadrl plot: SVG charts of training runs and of an evaluation table\n\n"
      "usage: leadrl plot --run NAME=LOG.jsonl [--run NAME=LOG.jsonl ...] [--eval EVAL.csv]\n"
      "                   --out DIR\n\n"
      "Writes into DIR, one line per run: accuracy.svg, response_length.svg, w_corr.svg,\n"
      "w_eff.svg, lstar.svg (metrics a run does not log are skipped with a note), and from\n"
      "--eval (leadrl eval --out-csv) accuracy_vs_length.svg: pass@1 against mean length,\n"
      "one labelled point per model.\n\n"
      "options");
  options.add_options()("help,h", "this text")("run", po::value(&run_specs),
                                               "NAME=LOG.jsonl: a training metrics log "
                                               "(trainer.log_jsonl); repeat for several methods")(
      "eval", po::value(&eval_csv), "an evaluation CSV written by leadrl eval --out-csv")(
      "out", po::value(&out_dir), "output folder (created if missing)");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {}, vm)) return *stop;
  if (out_dir.empty()) {
    std::cerr << "leadrl plot: --out DIR is required (see leadrl plot --help)\n";
    return 2;
  }
  if (run_specs.empty() && eval_csv.empty()) {
    std::cerr << "leadrl plot: nothing to plot: give --run NAME=LOG.jsonl and/or --eval "
                 "FILE.csv (see leadrl plot --help)\n";
    return 2;
  }

  // Read everything before writing anything.
  std::vector<std::pair<std::string, io::run_log>> runs;
  for (const auto& spec : run_specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      std::cerr << "leadrl plot: --run: expected NAME=LOG.jsonl, got '" << spec << "'\n";
      return 2;
    }
    auto log = io::load_run_log(spec.substr(eq + 1));
    if (!log) {
      std::cerr << "leadrl plot: --run " << spec.substr(0, eq) << ": " << log.error().message()
                << "\n";
      return 2;
    }
    runs.emplace_back(spec.substr(0, eq), std::move(*log));
  }
  std::vector<eval::eval_row> eval_rows;
  if (!eval_csv.empty()) {
    std::ifstream f(eval_csv, std::ios::binary);
    if (!f) {
      std::cerr << "leadrl plot: --eval " << eval_csv << ": cannot open\n";
      return 2;
    }
    std::ostringstream text;
    text << f.rdbuf();
    auto rows = eval::parse_eval_csv(text.str());
    if (!rows) {
      std::cerr << "leadrl plot: --eval " << eval_csv << ": " << rows.error().message() << "\n";
      return 2;
    }
    eval_rows = std::move(*rows);
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "leadrl plot: --out " << out_dir << ": cannot create (" << ec.message() << ")\n";
    return 1;
  }

  // One colour per method in every chart: dealt once over all run and model names.
  std::vector<std::string> names;
  for (const auto& run : runs) names.push_back(run.first);
  for (const auto& r : eval_rows) names.push_back(r.model);
  const io::series_colours colours = io::assign_colours(names);

  for (const auto& c : step_charts) {
    io::line_chart chart{c.title, "training step", c.y_label, {}, /*integer_x=*/true, colours};
    const std::string need = c.needs ? c.needs : c.key;
    for (const auto& [name, log] : runs) {
      auto it = log.series.find(c.key);
      if (it == log.series.end() || !log.series.count(need)) {
        std::cerr << "note: " << c.file << ": run '" << name << "' does not log " << need
                  << ", skipped\n";
        continue;
      }
      chart.series.push_back({name, it->second});
    }
    if (chart.series.empty()) {
      if (!runs.empty()) std::cerr << "note: " << c.file << ": no run logs it, not written\n";
      continue;
    }
    if (!write_file(std::filesystem::path(out_dir) / c.file, io::render_line_chart(chart))) {
      return 1;
    }
  }

  if (!eval_csv.empty()) {
    // One point per model: its average row if any, else its single dataset row; with
    // several datasets and no averages, every row.
    std::vector<std::string> with_average;
    for (const auto& r : eval_rows) {
      if (r.dataset == eval::eval_average_dataset) with_average.push_back(r.model);
    }
    std::vector<std::string> seen;
    bool many = false;
    for (const auto& r : eval_rows) {
      if (r.dataset == eval::eval_average_dataset) continue;
      for (const auto& m : seen) many = many || m == r.model;
      seen.push_back(r.model);
    }
    io::scatter_chart chart{"Accuracy vs response length (evaluation)",
                            "mean response length (tokens)",
                            "pass@1 (%)",
                            {},
                            colours};
    for (const auto& r : eval_rows) {
      const bool has_avg =
          std::find(with_average.begin(), with_average.end(), r.model) != with_average.end();
      const bool is_avg = r.dataset == eval::eval_average_dataset;
      if (has_avg != is_avg) continue;
      const std::string label = (!has_avg && many) ? r.model + " (" + r.dataset + ")" : r.model;
      chart.points.push_back({label, r.mean_length, 100.0 * r.pass_at_1, r.model});
    }
    if (chart.points.empty()) {
      std::cerr << "note: " << eval_csv << " has no rows; accuracy_vs_length.svg not written\n";
    } else if (!write_file(std::filesystem::path(out_dir) / "accuracy_vs_length.svg",
                           io::render_scatter_chart(chart))) {
      return 1;
    }
  }
  return 0;
}

const cli::command_registration reg{"plot", "SVG charts of training runs and evaluation tables",
                                    run_plot};

}  // namespace
