#include "runtime/nccl_collectives.hpp"

#ifdef LEADRL_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <thread>

#if NCCL_VERSION_CODE < NCCL_VERSION(2, 14, 0)
#error "the NCCL backend needs NCCL 2.14 or newer (non-blocking communicator initialisation)"
#endif
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
    case element_type::bf16:
      return ncclBfloat16;
  }
  return ncclFloat32;
}

// Whether `rc` from an enqueueing NCCL call is fine: success, or (non-blocking
// communicator) in progress, which wait() then polls to completion.
bool enqueued(ncclResult_t rc) {
  return rc == ncclSuccess || rc == ncclInProgress;
}

class nccl_collectives final : public collectives {
 public:
  nccl_collectives(ncclComm_t comm, cudaStream_t stream, cudaEvent_t ready,
                   std::chrono::milliseconds timeout)
      : comm_(comm), stream_(stream), ready_(ready), timeout_(timeout) {}
  ~nccl_collectives() override {
    // An aborted communicator is already freed: destroying it again is undefined.
    if (!aborted_) ncclCommDestroy(comm_);
    cudaEventDestroy(ready_);
    cudaStreamDestroy(stream_);
  }

  std::string backend() const override { return "nccl"; }

  status all_reduce_sum(void* data, std::size_t count, element_type type) override {
    if (auto s = after_producers(); !s) return s;
    const ncclResult_t rc =
        ncclAllReduce(data, data, count, nccl_type(type), ncclSum, comm_, stream_);
    if (!enqueued(rc)) return nccl_failure("ncclAllReduce", rc);
    return wait("NCCL all-reduce of " + std::to_string(count) + " elements");
  }

  status broadcast(void* data, std::size_t count, element_type type, int root) override {
    if (auto s = after_producers(); !s) return s;
    const ncclResult_t rc = ncclBroadcast(data, data, count, nccl_type(type), root, comm_, stream_);
    if (!enqueued(rc)) return nccl_failure("ncclBroadcast", rc);
    return wait("NCCL broadcast of " + std::to_string(count) + " elements");
  }

  status barrier() override {
    // An all-reduce of one device float is NCCL's barrier.
    float* one = nullptr;
    LEADRL_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&one), sizeof(float)),
                      "out of device memory?");
    LEADRL_CUDA_CHECK(cudaMemset(one, 0, sizeof(float)), "barrier buffer");
    auto s = all_reduce_sum(one, 1, element_type::f32);
    cudaFree(one);
    return s;
  }

 private:
  // The buffers were filled by kernels on torch's stream (the legacy default stream
  // unless a caller changed it); this communicator's stream is non-blocking, so it must
  // wait for that work explicitly: an event recorded there, waited on here, no host sync.
  status after_producers() {
    LEADRL_CUDA_CHECK(cudaEventRecord(ready_, cudaStreamLegacy), "recording the producers' event");
    LEADRL_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_, 0), "ordering NCCL after the producers");
    return status::success();
  }

  status nccl_failure(const std::string& call, ncclResult_t rc) {
    return fail("NCCL error '" + std::string(ncclGetErrorString(rc)) + "' in " + call +
                " (hint: every rank must call the same collective with the same count and "
                "type of device memory)");
  }

  void abort() {
    if (!aborted_) ncclCommAbort(comm_);
    aborted_ = true;
  }

  status wait(const std::string& what) {
    if (aborted_) return fail(what + ": the communicator was aborted earlier", errc::peer_gone);
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
      if (async != ncclSuccess && async != ncclInProgress) {
        abort();
        return fail(what + ": NCCL error '" + ncclGetErrorString(async) + "' (a peer failed)",
                    errc::peer_gone);
      }
      if (async == ncclSuccess) {
        const cudaError_t q = cudaStreamQuery(stream_);
        if (q == cudaSuccess) return status::success();
        if (q != cudaErrorNotReady) {
          return fail(what + ": CUDA error '" + cudaGetErrorString(q) + "'");
        }
      }
      if (std::chrono::steady_clock::now() - start > timeout_) {
        abort();
        return fail(what + ": no completion within the deadline; a peer rank is dead or hung",
                    errc::peer_gone);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  ncclComm_t comm_;
  cudaStream_t stream_;
  cudaEvent_t ready_;
  std::chrono::milliseconds timeout_;
  bool aborted_ = false;
};

// Initialises `comm` within `timeout`: non-blocking (NCCL >= 2.14) so that a rank that
// never joins ends in an error instead of a hang; polled until done, aborted at the deadline.
status init_communicator(ncclComm_t& comm, int size, const ncclUniqueId& id, int rank,
                         std::chrono::milliseconds timeout) {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  const ncclResult_t rc = ncclCommInitRankConfig(&comm, size, id, rank, &config);
  if (!enqueued(rc)) {
    return fail("NCCL error '" + std::string(ncclGetErrorString(rc)) +
                "' in ncclCommInitRankConfig (hint: check NCCL_DEBUG=INFO output)");
  }
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    ncclResult_t state = ncclSuccess;
    ncclCommGetAsyncError(comm, &state);
    if (state == ncclSuccess) return status::success();
    if (state != ncclInProgress) {
      ncclCommAbort(comm);
      return fail("NCCL initialisation failed: '" + std::string(ncclGetErrorString(state)) +
                  "' (hint: check NCCL_DEBUG=INFO output)");
    }
    if (std::chrono::steady_clock::now() - start > timeout) {
      ncclCommAbort(comm);
      return fail("NCCL initialisation: not every rank joined within " +
                      std::to_string(timeout.count()) + " ms (runtime.collective_timeout_s)",
                  errc::peer_gone);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

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
  int local_rank = 0, local_size = 1;
  MPI_Comm_rank(local, &local_rank);
  MPI_Comm_size(local, &local_size);
  MPI_Comm_free(&local);
  if (local_size > devices) {
    return fail("collective backend 'nccl': " + std::to_string(local_size) +
                " ranks on this node but " + std::to_string(devices) +
                " visible GPU(s); NCCL needs one rank per GPU (run fewer ranks per node, or "
                "runtime.backend=mpi)");
  }
  LEADRL_CUDA_CHECK(cudaSetDevice(local_rank), "one rank per GPU expected");

  ncclUniqueId id;
  if (world.rank() == 0) LEADRL_NCCL_CHECK(ncclGetUniqueId(&id), "NCCL bootstrap");
  LEADRL_MPI_CHECK(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, world.comm()),
                   "broadcasting the NCCL unique id");
  ncclComm_t comm;
  if (auto s = init_communicator(comm, world.size(), id, world.rank(), timeout); !s)
    return s.error();
  cudaStream_t stream;
  LEADRL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "CUDA stream");
  cudaEvent_t ready;
  LEADRL_CUDA_CHECK(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming), "CUDA event");
  return std::unique_ptr<collectives>(new nccl_collectives(comm, stream, ready, timeout));
}

#endif

}  // namespace leadrl::runtime
