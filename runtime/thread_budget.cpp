#include "runtime/thread_budget.hpp"

#include <dlfcn.h>
#include <sched.h>
#include <unistd.h>

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

namespace leadrl::runtime {

namespace {

std::atomic<int> g_budget{0};  // 0: none set (OMP_NUM_THREADS rules)

// OpenBLAS sizes its own thread pool from the environment when it loads; with several
// threads calling it at once, the pool is taken by one caller at a time, so an overlapped
// run needs it at the budget too. Looked up at run time: torch may use another BLAS.
void set_blas_threads(int n) {
  using setter = void (*)(int);
  if (auto f = reinterpret_cast<setter>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}

}  // namespace

int default_intra_op_threads(int usable_cpus, int machine_cpus, int local_ranks,
                             int concurrent_threads) {
  int cpus = std::max(usable_cpus, 1);
  if (cpus >= machine_cpus) cpus /= std::max(local_ranks, 1);  // unbound: shared by the node
  return std::max(1, cpus / std::max(concurrent_threads, 1));
}

int apply_default_intra_op_threads(int local_ranks, int concurrent_threads) {
  if (std::getenv("OMP_NUM_THREADS") != nullptr) return 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  const int machine = online > 0 ? static_cast<int>(online) : 1;
  const int usable = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : machine;
  const int n = default_intra_op_threads(usable, machine, local_ranks, concurrent_threads);
  g_budget.store(n);
  set_blas_threads(n);
  torch::set_num_threads(n);
  return n;
}

void use_intra_op_budget() {
  const int n = g_budget.load();
  if (n > 0 && torch::get_num_threads() != n) torch::set_num_threads(n);
}

}  // namespace leadrl::runtime
