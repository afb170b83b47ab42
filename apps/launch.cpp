// `leadrl launch [--max-restarts N] [--restart-delay S] [--log FILE] [--ranks R1,R2,...
// [--shrink-after K]] -- COMMAND...`:
// runs COMMAND (typically `mpirun ... leadrl train ...`) and restarts it when it fails,
// so that a job that lost a rank continues from its newest valid snapshot
// (ARCHITECTURE.md §5). The logic lives in runtime/supervisor.{hpp,cpp}.
#include <iostream>
#include <string>
#include <vector>

#include "apps/command.hpp"
#include "runtime/supervisor.hpp"

namespace {

void print_usage(std::ostream& out) {
  out << "leadrl launch: run a command and restart it when it fails\n\n"
         "usage: leadrl launch [--max-restarts N] [--restart-delay S] [--log FILE]\n"
         "                     [--ranks R1,R2,... [--shrink-after K]] -- COMMAND...\n\n"
         "  --max-restarts N   restarts after the first attempt, 0..1000 (default 3)\n"
         "  --restart-delay S  seconds to wait before each restart, 0..3600 (default 1)\n"
         "  --log FILE         also append the supervisor's log lines to FILE\n"
         "  --ranks R1,R2,...  world sizes, decreasing (e.g. 4,2): every {ranks} in COMMAND\n"
         "                     becomes R1; after K failed attempts in a row at one size,\n"
         "                     the next restart uses the next size (the last one stays)\n"
         "  --shrink-after K   failed attempts in a row before shrinking, 1..1000 (default 2)\n\n"
         "COMMAND runs in its own process group with stdout inherited; its stderr is copied\n"
         "through, and the last lines of a failed attempt are repeated in the log with the\n"
         "cause (exit code or signal) and the duration. SIGINT and SIGTERM are forwarded to\n"
         "the command's process group and end the supervision (no restart). After each\n"
         "attempt, processes left in its group are killed before anything is restarted.\n\n"
         "Resuming: when COMMAND runs `leadrl train` (as an argument of its own, e.g.\n"
         "`mpirun -np 4 leadrl train run.ini`) and has no --resume, every restart appends\n"
         "`--resume auto`, so training continues from the newest valid snapshot in\n"
         "trainer.snapshot_dir (set trainer.save_freq for snapshots to exist). The first\n"
         "attempt runs COMMAND exactly as given. A train command inside a shell string\n"
         "(sh -c '...') is not rewritten: pass --resume auto there yourself.\n\n"
         "Fewer ranks: when a node is lost for good, a job started with --ranks 4,2 and\n"
         "`mpirun -np {ranks} leadrl train ...` continues on 2 ranks from the newest\n"
         "snapshot (leadrl train resumes a snapshot of another world size when\n"
         "data.train_batch_size divides evenly over the new ranks; see leadrl train --help).\n\n"
         "An attempt that exits with code 2 (leadrl's code for bad usage or configuration,\n"
         "such as a snapshot from another world size) is not restarted: it would fail again.\n\n"
         "Exit code: 0 once an attempt succeeds; otherwise that of the last attempt\n"
         "(128+N when killed by signal N) once restarts are exhausted, after an exit code 2,\n"
         "or when a signal stopped the supervision; 127 when COMMAND cannot be started;\n"
         "2 for bad usage of leadrl launch itself.\n\n"
         "example:\n"
         "  leadrl launch --max-restarts 5 --log launch.log -- \\\n"
         "    mpirun -np 4 leadrl train configs/arith_tiny_lead.ini trainer.save_freq=5\n"
         "  leadrl launch --ranks 4,2 --max-restarts 5 -- \\\n"
         "    mpirun -np {ranks} leadrl train configs/arith_tiny_lead.ini trainer.save_freq=5\n";
}

int run_launch(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = leadrl::runtime::parse_launch_args(args);
  if (!options) {
    std::cerr << "leadrl launch: " << options.error().message() << " (see leadrl launch --help)\n";
    return 2;
  }
  if (options->help) {
    print_usage(std::cout);
    return 0;
  }
  auto outcome = leadrl::runtime::supervise(*options, std::cerr);
  if (!outcome) {
    std::cerr << "leadrl launch: " << outcome.error().message() << "\n";
    return 2;
  }
  return outcome->exit_code;
}

const leadrl::cli::command_registration reg{"launch", "run a command, restarting it when it fails",
                                            run_launch};

}  // namespace
