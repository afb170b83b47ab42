#include "runtime/mpi_world.hpp"

#include <algorithm>
#include <iostream>
#include <thread>

namespace leadrl::runtime {

std::string describe_mpi_error(int code, const char* call, const char* file, int line,
                               const char* hint) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  MPI_Error_string(code, text, &len);
  return std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
         std::string(text, static_cast<std::size_t>(len)) + " (hint: " + hint + ")";
}

status wait_with_deadline(MPI_Request* request, std::chrono::milliseconds timeout,
                          const std::string& what) {
  const auto start = std::chrono::steady_clock::now();
  auto pause = std::chrono::microseconds(1);
  for (;;) {
    int done = 0;
    LEADRL_MPI_CHECK(MPI_Test(request, &done, MPI_STATUS_IGNORE), "a peer may have died");
    if (done) return status::success();
    const auto waited = std::chrono::steady_clock::now() - start;
    if (waited > timeout) {
      return fail(
          what + ": no completion after " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()) +
              " ms; a peer rank is dead or hung (deadline set by runtime.collective_timeout_s)",
          errc::peer_gone);
    }
    // Back off to at most 1 ms so a waiting rank does not spin a core (2-core machines).
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::microseconds(1000)) pause *= 2;
  }
}

result<std::unique_ptr<mpi_world>> mpi_world::init(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return fail("MPI is already initialised in this process; create one mpi_world");
  int provided = 0;
  LEADRL_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided),
                   "is the program started by mpirun or as a singleton?");
  if (provided < MPI_THREAD_MULTIPLE) {
    MPI_Finalize();
    return fail("MPI_Init_thread: the MPI library provides thread level " +
                std::to_string(provided) + ", expected MPI_THREAD_MULTIPLE");
  }
  // Errors come back as codes so LEADRL_MPI_CHECK can report them with context.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return std::unique_ptr<mpi_world>(new mpi_world(rank, size));
}

mpi_world::~mpi_world() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

result<std::vector<std::string>> mpi_world::all_gather(const std::string& value,
                                                       std::chrono::milliseconds timeout) const {
  const int my_len = static_cast<int>(value.size());
  std::vector<int> lens(static_cast<std::size_t>(size_));
  MPI_Request req;
  LEADRL_MPI_CHECK(
      MPI_Iallgather(&my_len, 1, MPI_INT, lens.data(), 1, MPI_INT, MPI_COMM_WORLD, &req),
      "all ranks must reach the same all_gather");
  if (auto s = wait_with_deadline(&req, timeout, "MPI all_gather (lengths)"); !s) return s.error();
  std::vector<int> offsets(static_cast<std::size_t>(size_), 0);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[static_cast<std::size_t>(r)] = total;
    total += lens[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  LEADRL_MPI_CHECK(MPI_Iallgatherv(value.data(), my_len, MPI_CHAR, all.data(), lens.data(),
                                   offsets.data(), MPI_CHAR, MPI_COMM_WORLD, &req),
                   "all ranks must reach the same all_gather");
  if (auto s = wait_with_deadline(&req, timeout, "MPI all_gather"); !s) return s.error();
  std::vector<std::string> out;
  for (int r = 0; r < size_; ++r) {
    out.push_back(all.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                             static_cast<std::size_t>(lens[static_cast<std::size_t>(r)])));
  }
  return out;
}

int mpi_world::agreed_exit_code(int mine, const std::string& who,
                                std::chrono::milliseconds timeout) const {
  auto all = all_gather(std::to_string(mine), timeout);
  if (!all) {
    std::cerr << who << ": " << all.error().message() << "\n";
    return 1;
  }
  int most = mine;
  for (const auto& v : *all) most = std::max(most, std::stoi(v));
  return most;
}

void mpi_world::abort(int code, const std::string& why) const {
  std::cerr << "leadrl rank " << rank_ << ": aborting the job: " << why << std::endl;
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; keep [[noreturn]] honest.
}

}  // namespace leadrl::runtime
