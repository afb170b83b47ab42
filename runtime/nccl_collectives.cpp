#include "runtime/nccl_collectives.hpp"

#ifdef LEADRL_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <thread>
#endif

namespace leadrl::runtime {

#ifndef LEADRL_HAVE_NCCL

bool nccl_available() {
  return false;
}

result<std::unique_ptr<collectives>> make_nccl_collectives(const mpi_world&,
                                                           std::chrono::milliseconds) {
  return fail(
      "collective backend 'nccl': this build has no NCCL (CMake did not find nccl.h "
      "and libnccl; set NCCL_HOME or CUDA_HOME and rebuild), expected backend 'mpi'");
}

#else

namespace {

std::string where(const char* call, const char* file, int line, const char* hint) {
  return std::string(call) + " at " + file + ":" + std::to_string(line) + " (hint: " + hint + ")";
}

// Evaluates `call` into library `lib` ("NCCL", "CUDA"); when its result is not `ok`,
// returns an error with `text_of` the result, the call, file:line and `hint`.
#define LEADRL_LIBRARY_CHECK(lib, call, ok, text_of, hint)                                         \
  do {                                                                                             \
    const auto leadrl_library_rc_ = (call);                                                        \
    if (leadrl_library_rc_ != (ok)) {                                                              \
      return ::leadrl::error(std::string(lib " error '") + text_of(leadrl_library_rc_) + "' in " + \
                             where(#call, __FILE__, __LINE__, hint));                              \
    }                                                                                              \
  } while (0)

#define LEADRL_NCCL_CHECK(call, hint) \
  LEADRL_LIBRARY_CHECK("NCCL", call, ncclSuccess, ncclGetErrorString, hint)
#define LEADRL_CUDA_CHECK(call, hint) \
  LEADRL_LIBRARY_CHECK("CUDA", call, cudaSuccess, cudaGetErrorString, hint)

ncclDataType_t nccl_type(element_type type) {
  switch (type) {
    case element_type::f32:
      return ncclFloat32;
    case element_type::f64:
      return ncclFloat64;
    case element_type::i64:
      return ncclInt64;
  }
  return ncclFloat32;
}

class nccl_collectives final : public collectives {
 public:
  nccl_collectives(ncclComm_t comm, cudaStream_t stream, std::chrono::milliseconds timeout)
      : comm_(comm), stream_(stream), timeout_(timeout) {}
  ~nccl_collectives() override {
    ncclCommDestroy(comm_);
    cudaStreamDestroy(stream_);
  }

  std::string backend() const override { return "nccl"; }

  status all_reduce_sum(void* data, std::size_t count, element_type type) override {
    LEADRL_NCCL_CHECK(ncclAllReduce(data, data, count, nccl_type(type), ncclSum, comm_, stream_),
                      "every rank must all-reduce the same count and type of device memory");
    return wait("NCCL all-reduce of " + std::to_string(count) + " elements");
  }

  status broadcast(void* data, std::size_t count, element_type type, int root) override {
    LEADRL_NCCL_CHECK(ncclBroadcast(data, data, count, nccl_type(type), root, comm_, stream_),
                      "every rank must broadcast the same count and type of device memory");
    return wait("NCCL broadcast of " + std::to_string(count) + " elements");
  }

  status barrier() override {
    // An all-reduce of one device float is NCCL's barrier.
    float* one = nullptr;
    LEADRL_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&one), sizeof(float)),
                      "out of device memory?");
    auto s = all_reduce_sum(one, 1, element_type::f32);
    cudaFree(one);
    return s;
  }

 private:
  status wait(const std::string& what) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const cudaError_t q = cudaStreamQuery(stream_);
      if (q == cudaSuccess) return status::success();
      if (q != cudaErrorNotReady) {
        return fail(what + ": CUDA error '" + cudaGetErrorString(q) + "'");
      }
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
      if (async != ncclSuccess) {
        ncclCommAbort(comm_);
        return fail(what + ": NCCL error '" + ncclGetErrorString(async) + "' (a peer failed)",
                    errc::peer_gone);
      }
      if (std::chrono::steady_clock::now() - start > timeout_) {
        ncclCommAbort(comm_);
        return fail(what + ": no completion within the deadline; a peer rank is dead or hung",
                    errc::peer_gone);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  ncclComm_t comm_;
  cudaStream_t stream_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

bool nccl_available() {
  return true;
}

result<std::unique_ptr<collectives>> make_nccl_collectives(const mpi_world& world,
                                                           std::chrono::milliseconds timeout) {
  int devices = 0;
  LEADRL_CUDA_CHECK(cudaGetDeviceCount(&devices), "is a CUDA driver installed?");
  if (devices == 0) return fail("collective backend 'nccl': no CUDA device visible");
  // The node-local rank picks the GPU (one rank per GPU).
  MPI_Comm local;
  LEADRL_MPI_CHECK(
      MPI_Comm_split_type(world.comm(), MPI_COMM_TYPE_SHARED, world.rank(), MPI_INFO_NULL, &local),
      "node-local communicator");
  int local_rank = 0;
  MPI_Comm_rank(local, &local_rank);
  MPI_Comm_free(&local);
  LEADRL_CUDA_CHECK(cudaSetDevice(local_rank % devices), "one rank per GPU expected");

  ncclUniqueId id;
  if (world.rank() == 0) LEADRL_NCCL_CHECK(ncclGetUniqueId(&id), "NCCL bootstrap");
  LEADRL_MPI_CHECK(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, world.comm()),
                   "broadcasting the NCCL unique id");
  ncclComm_t comm;
  LEADRL_NCCL_CHECK(ncclCommInitRank(&comm, world.size(), id, world.rank()),
                    "check NCCL_DEBUG=INFO output; all ranks must join");
  cudaStream_t stream;
  LEADRL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "CUDA stream");
  return std::unique_ptr<collectives>(new nccl_collectives(comm, stream, timeout));
}

#endif

}  // namespace leadrl::runtime
