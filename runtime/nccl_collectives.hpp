// File: runtime/nccl_collectives.hpp
//
// The NCCL backend of runtime::collectives, built only when CMake found NCCL
// (LEADRL_HAVE_NCCL). Buffers are CUDA device pointers. One communicator per job,
// its unique id broadcast over MPI; each rank uses the GPU of its node-local rank.
// Waits poll the stream with a deadline and abort the communicator on timeout, so a
// dead peer ends the job instead of hanging it.
//
//   if (runtime::nccl_available()) coll = runtime::make_nccl_collectives(*world, 30s).value();
#pragma once

#include <chrono>
#include <memory>

#include "runtime/collectives.hpp"

namespace leadrl::runtime {

/// True when this build has the NCCL backend.
bool nccl_available();

/// Creates the NCCL communicator over every rank of `world` (collective). Fails when the
/// build has no NCCL, no CUDA device is visible, or NCCL initialisation fails; the
/// message names the call and a hint.
result<std::unique_ptr<collectives>> make_nccl_collectives(const mpi_world& world,
                                                           std::chrono::milliseconds timeout);

}  // namespace leadrl::runtime
