// `leadrl train CONFIG [--key=value | key=value ...]`: RL training with LEAD or a baseline
// (ARCHITECTURE.md §3-4, §7). Run under mpirun for several ranks; every rank reads the
// same config. The configuration is checked completely before any work: unknown keys,
// bad values and missing files exit with code 2 and a message naming the key or file.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/train_actors.hpp"
#include "actors/train_options.hpp"
#include "apps/command.hpp"
#include "runtime/actor_system.hpp"
#include "runtime/collectives.hpp"
#include "runtime/mpi_world.hpp"
#include "runtime/nccl_collectives.hpp"

namespace {

void print_usage(std::ostream& out) {
  out << "leadrl train: RL training of a reasoning policy (LEAD or a baseline estimator)\n\n"
         "usage: [mpirun -np N] leadrl train CONFIG.ini [--key=value | key=value ...]\n\n"
         "Every option below can be set in the INI file ([section] key = value) or\n"
         "overridden on the command line. Options (default in parentheses):\n";
  leadrl::actors::train_schema().print_help(out);
}

int run_train(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      print_usage(std::cout);
      return 0;
    }
    const bool is_override = a.find('=') != std::string::npos || a.rfind("--", 0) == 0;
    if (!is_override && config_path.empty()) {
      config_path = a;
    } else {
      overrides.push_back(a);
    }
  }
  if (config_path.empty()) {
    std::cerr << "leadrl train: a CONFIG file is required (see --help)\n";
    return 2;
  }
  auto options = leadrl::actors::load_train_options(config_path, overrides);
  if (!options) {
    std::cerr << "leadrl train: " << options.error().message() << "\n";
    return 2;
  }
  auto world = leadrl::runtime::mpi_world::init(&argc, &argv);
  if (!world) {
    std::cerr << "leadrl train: " << world.error().message() << "\n";
    return 1;
  }
  auto& w = **world;
  const auto timeout = std::chrono::milliseconds(
      static_cast<long long>(options->runtime.collective_timeout_s * 1000.0));
  std::unique_ptr<leadrl::runtime::collectives> coll;
  if (options->runtime.backend == "nccl") {
    auto n = leadrl::runtime::make_nccl_collectives(w, timeout);
    if (!n) w.abort(2, "leadrl train: runtime.backend=nccl: " + n.error().message());
    coll = std::move(*n);
  } else {
    coll = leadrl::runtime::make_mpi_collectives(w, timeout);
  }
  caf::actor_system_config cfg;
  leadrl::runtime::configure_actor_system(cfg,
                                          static_cast<int>(options->runtime.scheduler_threads));
  cfg.add_message_types<caf::id_block::leadrl>();
  int rc = 0;
  {
    caf::actor_system system{cfg};
    auto connect = [&w](caf::actor_system& sys, const caf::actor& local) {
      return leadrl::runtime::connect_ranks(sys, w, local);
    };
    auto abort = [&w](const std::string& why) { w.abort(1, "leadrl train: " + why); };
    auto summary =
        leadrl::actors::run_training(*options, w.rank(), w.size(), *coll, system, connect, abort);
    if (!summary) {
      std::cerr << "leadrl train: " << summary.error().message() << "\n";
      rc = 1;
    } else if (w.rank() == 0) {
      const auto& steps = summary->steps;
      std::cerr << "leadrl train: " << steps.size() << " steps on " << w.size()
                << " rank(s), final parameter checksum " << std::hex << summary->final_checksum
                << std::dec << "\n";
      if (options->trainer.timing && !steps.empty()) {
        // Mean over steps after the first (warm-up) when there are several.
        const std::size_t first = steps.size() > 1 ? 1 : 0;
        double gen = 0, grade = 0, adv = 0, train = 0, step = 0, ctrl = 0, bytes = 0;
        for (std::size_t i = first; i < steps.size(); ++i) {
          const auto& m = steps[i].metrics;
          gen += m.at("timing/gen");
          grade += m.at("timing/grade");
          adv += m.at("timing/adv");
          train += m.at("timing/train");
          step += m.at("timing/step");
          ctrl += m.at("timing/controller");
          bytes += static_cast<double>(steps[i].caf_bytes);
        }
        const double n = static_cast<double>(steps.size() - first);
        std::printf(
            "timing np=%d: step %.4f s | gen %.4f | grade %.5f | adv %.6f | train %.4f | "
            "controller %.6f s (%.3f%%) | CAF %.0f bytes/step\n",
            w.size(), step / n, gen / n, grade / n, adv / n, train / n, ctrl / n,
            100.0 * ctrl / step, bytes / n);
      }
    }
  }
  return rc;
}

const leadrl::cli::command_registration reg{"train", "RL training (LEAD or a baseline)", run_train};

}  // namespace
