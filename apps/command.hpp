// File: apps/command.hpp
//
// The `leadrl` subcommand registry. Each apps/<cmd>.cpp registers itself with a
// static `command_registration`, so adding a subcommand is adding one file:
//
//   static int run_grade(int argc, char** argv);   // argv[0] is "grade"
//   static const leadrl::cli::command_registration reg{"grade", "grade answers", run_grade};
#pragma once

#include <functional>
#include <map>
#include <string>

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

}  // namespace leadrl::cli
