// File: runtime/mpi_world.hpp
//
// The process's place in the MPI job: initialisation with thread support, rank and
// size, small collectives for control data (string all-gather for endpoint exchange),
// and the check wrapper every MPI call goes through (ARCHITECTURE.md §8).
//
//   auto world = runtime::mpi_world::init(&argc, &argv);   // once per process
//   auto hosts = world->all_gather(my_endpoint);             // one string per rank
#pragma once

#include <mpi.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace leadrl::runtime {

/// Describes a failed MPI call: the call, the MPI error string, file:line and a hint.
std::string describe_mpi_error(int code, const char* call, const char* file, int line,
                               const char* hint);

/// Evaluates an MPI call; on failure returns a leadrl::error naming it, code errc::peer_gone
/// (use in functions returning status or result).
#define LEADRL_MPI_CHECK(call, hint)                                                              \
  do {                                                                                            \
    const int leadrl_mpi_rc_ = (call);                                                            \
    if (leadrl_mpi_rc_ != MPI_SUCCESS) {                                                          \
      return ::leadrl::error(                                                                     \
          ::leadrl::runtime::describe_mpi_error(leadrl_mpi_rc_, #call, __FILE__, __LINE__, hint), \
          ::leadrl::errc::peer_gone);                                                             \
    }                                                                                             \
  } while (0)

/// Waits for `request` until `deadline`, polling; on timeout the request is left pending
/// and an error naming `what` and the wait is returned (code errc::peer_gone), so the caller
/// can abort the job instead of hanging on a dead peer (ARCHITECTURE.md §5).
status wait_with_deadline(MPI_Request* request, std::chrono::milliseconds timeout,
                          const std::string& what);

/// MPI_COMM_WORLD after MPI_Init_thread(MPI_THREAD_MULTIPLE). Finalises on destruction.
class mpi_world {
 public:
  /// Initialises MPI (once per process). Fails if MPI cannot provide MPI_THREAD_MULTIPLE
  /// (CAF's threads and the learner both call MPI).
  static result<std::unique_ptr<mpi_world>> init(int* argc, char*** argv);
  ~mpi_world();
  mpi_world(const mpi_world&) = delete;
  mpi_world& operator=(const mpi_world&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm comm() const { return MPI_COMM_WORLD; }

  /// Every rank's `value`, indexed by rank (MPI_Iallgather of lengths, then Iallgatherv).
  /// A rank that does not join within `timeout` (dead or hung) makes it fail on the others
  /// with a message that says so; the caller then ends the job.
  result<std::vector<std::string>> all_gather(
      const std::string& value, std::chrono::milliseconds timeout = std::chrono::minutes(10)) const;

  /// How the ranks agree on an exit code after a step that may fail on some of them only:
  /// the largest of the ranks' `mine` (-1: this rank carries on), on every rank. When the
  /// exchange itself fails (like all_gather), prints "<who>: <why>" and returns 1.
  int agreed_exit_code(int mine, const std::string& who,
                       std::chrono::milliseconds timeout = std::chrono::minutes(10)) const;

  /// Ends the whole job now with `code` after printing `why` (the clean abort path).
  [[noreturn]] void abort(int code, const std::string& why) const;

 private:
  mpi_world(int rank, int size) : rank_(rank), size_(size) {}
  int rank_;
  int size_;
};

}  // namespace leadrl::runtime
