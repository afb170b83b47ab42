#include "runtime/collectives.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "base/bfloat16.hpp"

namespace leadrl::runtime {
namespace {

// MPI has no bfloat16: bf16 elements travel as MPI_UINT16_T, summed by this user
// operation (inout[i] = in[i] + inout[i] in float32, rounded to nearest even).
void bf16_sum(void* in, void* inout, int* len, MPI_Datatype* /*type*/) {
  const auto* a = static_cast<const std::uint16_t*>(in);
  auto* b = static_cast<std::uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) {
    b[i] = float_to_bfloat16(bfloat16_to_float(a[i]) + bfloat16_to_float(b[i]));
  }
}

MPI_Datatype mpi_type(element_type type) {
  switch (type) {
    case element_type::f32:
      return MPI_FLOAT;
    case element_type::f64:
      return MPI_DOUBLE;
    case element_type::i64:
      return MPI_INT64_T;
    case element_type::bf16:
      return MPI_UINT16_T;
  }
  return MPI_DATATYPE_NULL;
}

class mpi_collectives final : public collectives {
 public:
  mpi_collectives(MPI_Comm comm, std::chrono::milliseconds timeout)
      : comm_(comm), timeout_(timeout) {}

  std::string backend() const override { return "mpi"; }

  status all_reduce_sum(void* data, std::size_t count, element_type type) override {
    MPI_Op op = MPI_SUM;
    if (type == element_type::bf16) {
      LEADRL_MPI_CHECK(MPI_Op_create(&bf16_sum, /*commute=*/1, &op), "MPI is initialised");
    }
    auto s = in_slices(
        data, count, type, "MPI all-reduce", [&](void* p, int n, MPI_Request* req) -> status {
          LEADRL_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, p, n, mpi_type(type), op, comm_, req),
                           "every rank must all-reduce the same count and type");
          return status::success();
        });
    // A request still pending (a missed deadline) keeps the operation until it completes.
    if (op != MPI_SUM) MPI_Op_free(&op);
    return s;
  }

  status broadcast(void* data, std::size_t count, element_type type, int root) override {
    return in_slices(data, count, type, "MPI broadcast",
                     [&](void* p, int n, MPI_Request* req) -> status {
                       LEADRL_MPI_CHECK(MPI_Ibcast(p, n, mpi_type(type), root, comm_, req),
                                        "every rank must broadcast the same count and type");
                       return status::success();
                     });
  }

  status barrier() override {
    MPI_Request req;
    LEADRL_MPI_CHECK(MPI_Ibarrier(comm_, &req), "all ranks must reach the barrier");
    return wait_with_deadline(&req, timeout_, "MPI barrier");
  }

 private:
  // Runs `start(slice, n, &request)` over `data` in slices of at most INT_MAX / 2 elements
  // (MPI counts are int), waiting for each within the deadline; `what` names the operation.
  template <class Start>
  status in_slices(void* data, std::size_t count, element_type type, const char* what,
                   Start&& start) {
    auto* bytes = static_cast<char*>(data);
    for (std::size_t done = 0; done < count;) {
      const std::size_t n = std::min<std::size_t>(count - done, INT_MAX / 2);
      MPI_Request req;
      if (auto s = start(bytes + done * element_size(type), static_cast<int>(n), &req); !s) {
        return s;
      }
      if (auto s = wait_with_deadline(&req, timeout_,
                                      std::string(what) + " of " + std::to_string(n) + " elements");
          !s) {
        return s;
      }
      done += n;
    }
    return status::success();
  }

  MPI_Comm comm_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::size_t element_size(element_type type) {
  switch (type) {
    case element_type::bf16:
      return 2;
    case element_type::f32:
      return 4;
    case element_type::f64:
    case element_type::i64:
      return 8;
  }
  return 0;
}

std::unique_ptr<collectives> make_mpi_collectives(const mpi_world& world,
                                                  std::chrono::milliseconds timeout) {
  return std::make_unique<mpi_collectives>(world.comm(), timeout);
}

}  // namespace leadrl::runtime
