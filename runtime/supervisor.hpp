// File: runtime/supervisor.hpp
//
// The restart supervisor behind `leadrl launch` (ARCHITECTURE.md §5): runs a command in
// its own process group, tees its stderr through while keeping the last lines, forwards
// SIGINT/SIGTERM to the group, and restarts the command when it fails (non-zero exit or
// death by a signal), up to a number of restarts, logging every attempt with its cause.
// A restarted `leadrl train` resumes: `--resume auto` is appended when absent. With
// `--ranks 4,2` and `{ranks}` in the command, a world size that keeps failing is replaced
// by the next smaller one (the train command resumes its snapshot at the new size).
// POSIX only (fork/exec, process groups); no MPI, CAF or torch is used here.
//
//   auto opts = runtime::parse_launch_args({"--max-restarts", "2", "--", "mpirun", ...});
//   auto outcome = runtime::supervise(*opts, std::cerr);   // outcome.exit_code
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace leadrl::runtime {

/// What `leadrl launch` was asked to do.
struct launch_options {
  int max_restarts = 3;               ///< restarts after the first attempt (0: never restart)
  double restart_delay_s = 1.0;       ///< pause before each restart
  std::string log_path;               ///< also append the supervisor's log lines here (empty: no)
  std::size_t stderr_tail_lines = 5;  ///< stderr lines of a failed attempt repeated in the log
  bool help = false;                  ///< --help was given (nothing else is parsed)
  std::vector<std::string> command;   ///< the command and its arguments (after `--`)
  /// --ranks: the world sizes to run at, largest first (empty: the command as given). Each
  /// `{ranks}` in the command is replaced by the current one.
  std::vector<int> ranks;
  /// --shrink-after: consecutive failed attempts at one world size after which the next
  /// restart uses the next (smaller) entry of `ranks`.
  int shrink_after = 2;
};

/// Parses the arguments after `leadrl launch`: `[--max-restarts N] [--restart-delay S]
/// [--log FILE] [--ranks R1,R2,... [--shrink-after K]] -- COMMAND...` (also `--opt=value`).
/// Fails, naming the argument, on an unknown option, a missing or malformed value
/// (N must be an integer in [0, 1000], S a number in [0, 3600], the R a strictly
/// decreasing list of integers in [1, 100000], K an integer in [1, 1000]), a missing `--`,
/// an empty COMMAND, --ranks without `{ranks}` in COMMAND, or `{ranks}` without --ranks.
/// A --ranks list of one entry only fills in `{ranks}`.
result<launch_options> parse_launch_args(const std::vector<std::string>& args);

/// The command a restart runs: `command` with `--resume auto` appended when it runs
/// `leadrl train` (an argument whose last path component is `leadrl`, followed by the
/// argument `train`) and has no `--resume` / `--resume=...` argument yet; otherwise
/// `command` unchanged. A train command hidden inside one shell string is not seen.
std::vector<std::string> resume_command(const std::vector<std::string>& command);

/// `command` with every `{ranks}` replaced by `ranks`.
std::vector<std::string> command_for_ranks(const std::vector<std::string>& command, int ranks);

/// How one attempt ended.
struct attempt_end {
  bool signaled = false;  ///< killed by a signal (else exited)
  int code = 0;           ///< the exit status, or the signal number when `signaled`
  /// The shell's convention: the exit status, or 128 + signal when killed by a signal.
  int exit_code() const { return signaled ? 128 + code : code; }
  bool failed() const { return signaled || code != 0; }
};

/// "exit code 3" or "killed by signal 9 (Killed)".
std::string describe(const attempt_end& end);

/// One finished attempt, as the supervisor logs it.
struct attempt_record {
  int number = 0;                    ///< 1-based
  std::vector<std::string> command;  ///< what was run
  attempt_end end;
  double duration_s = 0.0;
  std::vector<std::string> stderr_tail;  ///< its last stderr lines, oldest first
};

/// How the supervised run ended.
struct launch_outcome {
  int exit_code = 0;         ///< the final attempt's exit_code(), or 127 if it could not start
  int attempts = 0;          ///< attempts started
  bool exhausted = false;    ///< the last attempt failed and no restart was left
  bool interrupted = false;  ///< stopped by SIGINT/SIGTERM (forwarded; no restart after it)
  std::vector<attempt_record> history;
};

/// Runs `options.command` (with `{ranks}` filled in from `options.ranks`: the first entry,
/// then after `options.shrink_after` consecutive failed attempts at one size the next
/// entry, down to the last, which stays) until it succeeds, restarts are exhausted, it exits with
/// code 2 (leadrl's bad usage/configuration code, e.g. a snapshot of another run shape:
/// a restart would fail the same way), it cannot be started (exec failure: exit code
/// 127, no restart), or the supervisor receives
/// SIGINT/SIGTERM (forwarded to the command's process group; no restart). Writes its
/// log lines (UTC-timestamped, prefixed `leadrl launch:`) to `log` and, when
/// `options.log_path` is set, appends them to that file (fails before running anything
/// if it cannot be opened). The command's stdout is inherited; its stderr is copied
/// through to this process's stderr. After each attempt, processes left in its group
/// are killed (SIGKILL) so that a restart never overlaps a straggler of the previous job.
result<launch_outcome> supervise(const launch_options& options, std::ostream& log);

}  // namespace leadrl::runtime
