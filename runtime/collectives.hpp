// File: runtime/collectives.hpp
//
// Bulk-tensor collectives behind one interface (ARCHITECTURE.md §6): the MPI backend is
// always built; an NCCL backend is added when NCCL is found. Buffers are raw memory here
// (host memory for MPI, device memory for NCCL); runtime/gradient_sync.hpp adapts
// torch tensors. Every wait has a deadline, so a dead peer ends the job instead of
// hanging it.
//
//   auto coll = runtime::make_mpi_collectives(*world, std::chrono::seconds(30));
//   coll->all_reduce_sum(grad.data(), grad.size(), runtime::element_type::f32);
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "runtime/mpi_world.hpp"

namespace leadrl::runtime {

/// Element types the collectives move. bf16 sums round to nearest even after each
/// pairwise addition (in float32), on either backend.
enum class element_type { f32, f64, i64, bf16 };

/// Bytes per element of `type`.
std::size_t element_size(element_type type);

/// Collective operations over all ranks of the job. Every rank must call the same
/// operations in the same order with the same counts.
class collectives {
 public:
  virtual ~collectives() = default;
  /// "mpi" or "nccl".
  virtual std::string backend() const = 0;
  /// Sums `count` elements at `data` over all ranks, in place.
  /// Fails on an MPI/NCCL error or when the deadline passes (a peer is dead or hung).
  virtual status all_reduce_sum(void* data, std::size_t count, element_type type) = 0;
  /// Copies `count` elements from rank `root`'s `data` to every rank's `data`.
  virtual status broadcast(void* data, std::size_t count, element_type type, int root) = 0;
  /// Returns once every rank has entered; same failure modes.
  virtual status barrier() = 0;
};

/// The MPI backend over `world`; `timeout` bounds each wait.
std::unique_ptr<collectives> make_mpi_collectives(const mpi_world& world,
                                                  std::chrono::milliseconds timeout);

}  // namespace leadrl::runtime
