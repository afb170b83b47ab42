// GoogleTest under mpirun: every rank runs every test; rank 0 prints the usual report,
// other ranks print only their failures, prefixed with the rank.
#include <gtest/gtest.h>

#include <iostream>

#include "runtime/mpi_world.hpp"
#include "tests/mpi/mpi_test_env.hpp"

namespace {

class failure_printer : public testing::EmptyTestEventListener {
 public:
  explicit failure_printer(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& r) override {
    if (r.failed()) {
      std::cerr << "rank " << rank_ << ": " << (r.file_name() ? r.file_name() : "?") << ":"
                << r.line_number() << ": " << r.summary() << std::endl;
    }
  }

 private:
  int rank_;
};

}  // namespace

namespace leadrl::test {
runtime::mpi_world* g_world = nullptr;
}

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  auto world = leadrl::runtime::mpi_world::init(&argc, &argv);
  if (!world) {
    std::cerr << world.error().message() << "\n";
    return 2;
  }
  leadrl::test::g_world = world->get();
  if ((*world)->rank() != 0) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new failure_printer((*world)->rank()));
  }
  const int rc = RUN_ALL_TESTS();
  int any = rc;
  MPI_Allreduce(&rc, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any;
}
