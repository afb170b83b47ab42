// File: runtime/thread_budget.hpp
//
// How many intra-op threads a rank's torch work gets when the user did not say
// (OMP_NUM_THREADS unset). On small models every extra thread that has no core of its
// own makes things slower (OpenMP threads spin while another thread computes), so the
// budget is the CPUs this process may use, shared among the node's ranks when the
// process is not bound to its own CPUs, and among the threads of a rank that compute at
// the same time (the generator and the learner of an overlapped run).
//
//   int n = runtime::default_intra_op_threads(usable, machine, local_ranks, 2);
//   runtime::apply_default_intra_op_threads(local_ranks, 2);  // no-op if OMP_NUM_THREADS set
#pragma once

namespace leadrl::runtime {

/// max(1, cpus / (local_ranks when unbound) / concurrent_threads), where `usable_cpus` are
/// the CPUs of this process's affinity mask and `machine_cpus` the machine's: a mask with
/// all of them means the process is unbound and shares them with the node's other ranks.
/// Arguments below 1 count as 1.
int default_intra_op_threads(int usable_cpus, int machine_cpus, int local_ranks,
                             int concurrent_threads);

/// When OMP_NUM_THREADS is not set, makes default_intra_op_threads for this process (its
/// affinity mask, the machine's CPUs) the process's budget: OpenBLAS's thread count, the
/// calling thread's torch threads, and what use_intra_op_budget() gives other threads.
/// Returns the number; returns 0 and changes nothing when OMP_NUM_THREADS is set.
int apply_default_intra_op_threads(int local_ranks, int concurrent_threads);

/// Sets the calling thread's torch intra-op threads to the budget, if one was set (OpenMP
/// keeps the count per thread, so each computing thread calls this once it runs).
void use_intra_op_budget();

}  // namespace leadrl::runtime
