// `leadrl train CONFIG [--key=value | key=value ...] [--resume auto|PATH]`: RL training
// with LEAD or a baseline (ARCHITECTURE.md §3-4, §7). Run under mpirun for several ranks;
// every rank reads the same config. The configuration is checked completely before any
// work: unknown keys, bad values and missing files exit with code 2 and a message naming
// the key or file. With trainer.save_freq > 0 snapshots go to trainer.snapshot_dir
// (ARCHITECTURE.md §5); --resume continues from one: rank 0 chooses and checks the file
// (the configuration must match, see actors::resume_ignored_keys; the world size may
// differ when data.train_batch_size divides evenly over the new ranks), then every rank
// reads it itself, so the snapshot directory must be on a filesystem all ranks see.
//
//   mpirun -np 2 leadrl train run.ini trainer.save_freq=10 --resume auto
#include <sched.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/run_state.hpp"
#include "actors/train_actors.hpp"
#include "apps/cli_args.hpp"
#include "apps/command.hpp"
#include "io/snapshot_store.hpp"
#include "io/train_options.hpp"
#include "runtime/actor_system.hpp"
#include "runtime/collectives.hpp"
#include "runtime/mpi_world.hpp"
#include "runtime/nccl_collectives.hpp"
#include "runtime/thread_budget.hpp"

namespace {

void print_usage(std::ostream& out) {
  out << "leadrl train: RL training of a reasoning policy (LEAD or a baseline estimator)\n\n"
         "usage: [mpirun -np N] leadrl train CONFIG.ini [--key=value | key=value ...]\n"
         "                                  [--resume auto|PATH]\n\n"
         "--resume auto   continue from the newest valid snapshot in trainer.snapshot_dir\n"
         "                (torn or corrupt ones are skipped and named); none there: start\n"
         "                fresh. --resume PATH: continue from that snapshot file.\n"
         "                The snapshot must come from the same configuration, except for\n"
         "                these keys, which may change:\n"
         "                ";
  for (const auto& k : leadrl::actors::resume_ignored_keys()) out << k << " ";
  out << "\n"
         "                (a larger trainer.total_steps extends a run; with a cosine lr\n"
         "                schedule its remaining decay follows the new total). It may come\n"
         "                from another world size (mpirun -np) when data.train_batch_size\n"
         "                divides evenly over the new ranks: the run then continues as a\n"
         "                run of the new size would from that state (weights, optimizer,\n"
         "                sampler, length table and PSI state are global; per-rank run\n"
         "                totals of old rank k go to new rank k mod N). Otherwise, or when\n"
         "                PATH is missing or not a snapshot: exit code 2.\n"
         "                Every rank reads the snapshot file itself: trainer.snapshot_dir\n"
         "                must be on a filesystem all ranks see. trainer.log_jsonl is\n"
         "                continued (lines after the snapshot's step are dropped).\n\n"
         "exit status     0 done; 1 the job failed (a rank, a deadline, or\n"
         "                trainer.max_nonfinite_steps steps in a row with a NaN/Inf loss\n"
         "                or gradient); 2 bad usage or configuration; 3 training finished\n"
         "                but the last step's snapshot could not be written (the message\n"
         "                names the path; older snapshots are kept). A snapshot that fails\n"
         "                before the last step is reported and retried at the next save.\n\n"
         "Every option below can be set in the INI file ([section] key = value) or\n"
         "overridden on the command line. Options (default in parentheses):\n";
  leadrl::io::train_schema().print_help(out);
}

// What --resume resolves to on rank 0: a snapshot path, a fresh start, or an error.
struct resume_choice {
  std::string path;   // empty: start fresh
  std::string error;  // non-empty: exit 2 with this message
};

// The configuration text of a run with every option at its default: options a newer
// build added are compared against it when resuming an older build's snapshot.
std::string defaults_text() {
  auto d = leadrl::io::load_train_options("", {});
  return d ? d->config_text : std::string();
}

// ", written by 4 ranks, continued on 2" for a resize; "" otherwise.
std::string resized(std::int64_t written_by, int world_size) {
  if (written_by == world_size) return "";
  return ", written by " + std::to_string(written_by) + " rank(s), continued on " +
         std::to_string(world_size);
}

resume_choice choose_resume(const std::string& resume, const leadrl::io::train_options& o,
                            int world_size) {
  const auto& ignored = leadrl::actors::resume_ignored_keys();
  if (resume != "auto") {
    auto meta = leadrl::io::check_resume_snapshot(resume, world_size, o.config_text, ignored,
                                                  o.data.train_batch_size, defaults_text());
    if (!meta) return {"", "--resume: " + meta.error().message()};
    std::cerr << "leadrl train: resuming from " << resume << " (step " << meta->step
              << resized(meta->world_size, world_size) << ")\n";
    return {resume, ""};
  }
  const std::string& dir = o.trainer.snapshot_dir;
  auto plan = leadrl::io::find_resume(dir, world_size, o.config_text, ignored,
                                      o.data.train_batch_size, defaults_text());
  if (!plan) return {"", "--resume auto: " + plan.error().message()};
  for (const auto& s : plan->skipped) {
    std::cerr << "leadrl train: --resume auto: skipped " << s.path << ": " << s.reason << "\n";
  }
  if (plan->refusal) return {"", "--resume auto: " + *plan->refusal};
  if (!plan->path) {
    std::cerr << "leadrl train: --resume auto: no valid snapshot in '" << dir
              << "'; starting fresh\n";
    return {"", ""};
  }
  std::cerr << "leadrl train: resuming from " << *plan->path << " (step " << plan->step
            << resized(plan->meta->world_size, world_size) << ")\n";
  return {*plan->path, ""};
}

// The ranks of this job on this node: Open MPI's or MPICH's count, else all of them.
int ranks_on_this_node(int world_size) {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && std::atoi(v) > 0) return std::atoi(v);
  }
  return world_size;
}

// Overlapped steps (rollout.staleness >= 1) run a rank's generator and learner as two
// threads; a rank pinned to one CPU (mpirun binds ranks to a core by default when there
// are at most 2) runs them one after the other and gains nothing. Says so.
void warn_if_pinned_to_one_cpu(const leadrl::io::train_options& o, int rank) {
  if (o.rollout.staleness == 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) > 1) return;
  std::cerr << "leadrl train: rank " << rank << ": rollout.staleness = " << o.rollout.staleness
            << " overlaps generation and training on two threads, but this rank may use one "
               "CPU only (mpirun binds ranks to cores by default: add --bind-to none, as "
               "scripts/mpirun.sh does)\n";
}

int run_train(int argc, char** argv) {
  leadrl::cli::config_args args;
  std::string resume;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      print_usage(std::cout);
      return 0;
    }
    if (a == "--resume" || a.rfind("--resume=", 0) == 0) {
      if (a == "--resume" && i + 1 >= argc) {
        std::cerr << "leadrl train: --resume needs a value: auto or a snapshot path\n";
        return 2;
      }
      resume = a == "--resume" ? argv[++i] : a.substr(std::string("--resume=").size());
      if (resume.empty()) {
        std::cerr << "leadrl train: --resume needs a value: auto or a snapshot path\n";
        return 2;
      }
      continue;
    }
    args.take(a);
  }
  if (!args.has_config("leadrl train")) return 2;
  auto options = leadrl::io::load_train_options(args.config_path, args.overrides);
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
  if (!resume.empty()) {
    // Rank 0 decides; every rank learns the decision (an error ends every rank with 2).
    resume_choice choice;
    if (w.rank() == 0) choice = choose_resume(resume, *options, w.size());
    const std::string mine = choice.error.empty() ? "path:" + choice.path : "error";
    auto all = w.all_gather(w.rank() == 0 ? mine : std::string());
    if (!all) {
      std::cerr << "leadrl train: " << all.error().message() << "\n";
      return 1;
    }
    const std::string& decided = (*all)[0];
    if (decided == "error") {
      if (w.rank() == 0) std::cerr << "leadrl train: " << choice.error << "\n";
      return 2;
    }
    options->resume_path = decided.substr(5);
  }
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
    leadrl::runtime::shutdown_deadline exit_deadline;  // outlives `system`
    caf::actor_system system{cfg};
    auto connect = [&w, timeout](caf::actor_system& sys, const caf::actor& local) {
      return leadrl::runtime::connect_ranks(sys, w, local, timeout);
    };
    // An input that cannot be used (model, tokenizer, data, snapshot) found by any rank
    // ends the job with 2, like one found before the start: a restart would fail the same
    // way. Anything else ends it with 1.
    auto abort = [&w](const leadrl::error& e) {
      w.abort(e.code() == leadrl::errc::invalid_input ? 2 : 1, "leadrl train: " + e.message());
    };
    warn_if_pinned_to_one_cpu(*options, w.rank());
    // Without OMP_NUM_THREADS, torch's threads share this node's CPUs among its ranks and a
    // rank's generator and learner (overlapped runs).
    leadrl::runtime::apply_default_intra_op_threads(ranks_on_this_node(w.size()),
                                                    options->rollout.staleness > 0 ? 2 : 1);
    auto summary =
        leadrl::actors::run_training(*options, w.rank(), w.size(), *coll, system, connect, abort);
    // The run is over (its snapshots and log are written); a shutdown that hangs must not
    // keep the job alive.
    exit_deadline.arm(std::chrono::seconds(30), [&w] {
      w.abort(1,
              "leadrl train: the run ended, but this rank's actor system did not shut down "
              "within 30 s");
    });
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
      if (!summary->final_snapshot_error.empty()) {
        // Training finished, but its end state is not on disk: say so in the exit status.
        std::cerr << "leadrl train: exit code 3: " << summary->final_snapshot_error << "\n";
        rc = 3;
      }
    }
  }
  return rc;
}

const leadrl::cli::command_registration reg{"train", "RL training (LEAD or a baseline)", run_train};

}  // namespace
