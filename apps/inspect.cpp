// `leadrl inspect SNAPSHOT`: what a run's snapshot holds (io/snapshot_report.hpp): /meta,
// the PSI state, the length-target table summarised (or whole with --table), the metrics
// history and every learner tensor with its dtype, shape and L2 norm. --json prints the
// same report as one JSON object. A file that is not a valid snapshot (missing, not HDF5,
// truncated, a checksum mismatch) is reported with its name and exit status 2.
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "apps/command.hpp"
#include "io/snapshot_report.hpp"

namespace {

namespace po = boost::program_options;

int run_inspect(int argc, char** argv) {
  po::options_description options(
      "usage: leadrl inspect SNAPSHOT [--table] [--config] [--json]\n\n"
      "Validates a snapshot (every checksum) and prints its meta, PSI weights, a summary of\n"
      "the length-target table, the metrics history and the learner tensors with L2 norms.\n"
      "Exit status: 0 printed, 2 bad usage or not a valid snapshot.\n\noptions");
  std::string path;
  options.add_options()("help,h", "this text")("snapshot", po::value(&path)->required(),
                                                 "the snapshot file (step_NNNNNN.h5)")(
      "table", po::bool_switch(), "print the whole length table (every row and column)")(
      "config", po::bool_switch(), "print the whole configuration text")(
      "json", po::bool_switch(), "print the report as JSON");
  po::variables_map vm;
  if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {"snapshot"}, vm)) {
    return *stop;
  }
  leadrl::io::snapshot_report_options report_options;
  report_options.whole_table = vm["table"].as<bool>();
  report_options.whole_config = vm["config"].as<bool>();
  auto snap = leadrl::io::read_valid_snapshot(path);
  if (!snap) {
    std::cerr << "leadrl inspect: " << snap.error().message() << "\n";
    return 2;
  }
  const auto report = leadrl::io::snapshot_report(*snap, report_options);
  if (vm["json"].as<bool>()) {
    std::cout << report.dump(2) << "\n";
  } else {
    std::cout << path << "\n" << leadrl::io::format_snapshot_report(report, report_options);
  }
  return 0;
}

const leadrl::cli::command_registration registration{
    "inspect", "show what a snapshot holds (meta, PSI, length table, metrics, tensors)",
    run_inspect};

}  // namespace
