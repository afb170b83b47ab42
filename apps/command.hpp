// File: apps/command.hpp
//
// The `leadrl` subcommand registry. Each apps/<cmd>.cpp registers itself with a
// static `command_registration`, so adding a subcommand is adding one file:
//
//   static int run_grade(int argc, char** argv);   // argv[0] is "grade"
//   static const leadrl::cli::command_registration reg{"grade", "grade answers", run_grade};
//   if (auto stop = leadrl::cli::parse_command_line(argc, argv, options, {"input"}, vm))
//     return *stop;  // --help printed (0) or a usage error (2)
#pragma once

#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace leadrl::cli {

/// A subcommand: its one-line summary and its entry point. `run` receives the
/// arguments after `leadrl` (argv[0] is the subcommand name) and returns the exit code:
/// 0 success, 1 failure while working, 2 bad usage or input (nothing done).
struct command {
  std::string summary;
  std::function<int(int, char**)> run;
};

/// All registered subcommands, by name.
std::map<std::string, command>& commands();

/// Registers a subcommand at static-initialisation time.
struct command_registration {
  command_registration(const std::string& name, const std::string& summary,
                       std::function<int(int, char**)> run) {
    commands()[name] = command{summary, std::move(run)};
  }
};

/// Parses the arguments of subcommand `argv[0]` into `vm`, plain arguments going to the
/// options named in `positional` in order (e.g. {"snapshot"}). Returns the exit code when
/// the command should stop here: 0 after printing `options` for --help (an option called
/// "help" must be declared), 2 after printing a usage error as `leadrl NAME: why`;
/// std::nullopt to go on.
inline std::optional<int> parse_command_line(
    int argc, char** argv, const boost::program_options::options_description& options,
    const std::vector<std::string>& positional, boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  po::positional_options_description plain;
  for (const auto& name : positional) plain.add(name.c_str(), 1);
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(plain).run(), vm);
    if (vm.count("help")) {
      std::cout << options << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "leadrl " << argv[0] << ": " << e.what() << " (see leadrl " << argv[0]
              << " --help)\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace leadrl::cli
