// The `leadrl` binary: dispatches to the subcommands registered in apps/*.cpp.
#include <cstring>
#include <iostream>

#include "apps/command.hpp"

namespace leadrl::cli {

std::map<std::string, command>& commands() {
  static std::map<std::string, command> registry;
  return registry;
}

namespace {

void print_usage(std::ostream& out) {
  out << "leadrl " << LEADRL_VERSION
      << ": RL post-training of reasoning models that stay correct with fewer tokens.\n\n"
      << "usage: leadrl COMMAND [options]   (leadrl COMMAND --help for its options)\n\n"
      << "commands:\n";
  for (const auto& [name, cmd] : commands()) {
    out << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') << cmd.summary
        << "\n";
  }
  out << "\noptions:\n  --help       this text\n  --version    print the version\n";
}

}  // namespace
}  // namespace leadrl::cli

int main(int argc, char** argv) {
  using namespace leadrl::cli;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_usage(std::cout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::cout << "leadrl " << LEADRL_VERSION << "\n";
    return 0;
  }
  auto it = commands().find(argv[1]);
  if (it == commands().end()) {
    std::cerr << "leadrl: unknown command '" << argv[1] << "'; expected one of:";
    for (const auto& [name, cmd] : commands()) std::cerr << " " << name;
    std::cerr << " (see leadrl --help)\n";
    return 2;
  }
  try {
    return it->second.run(argc - 1, argv + 1);
  } catch (const std::exception& e) {
    // Subcommands report expected failures as values; this is the last line of defence.
    std::cerr << "leadrl " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
}
