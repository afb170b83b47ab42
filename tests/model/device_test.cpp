// Tests of model/device: model.device and model.dtype values as torch values, with the GPU
// count given, so that every branch runs on a machine without a GPU.
#include "model/device.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace leadrl::model {
namespace {

std::string error_of(const result<torch::Device>& d) {
  return d.ok() ? std::string("(ok)") : d.error().message();
}

TEST(Device, CpuNeedsNoGpu) {
  auto d = resolve_device("cpu", {0, 1}, 0);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->is_cpu());
}

TEST(Device, CudaIsTheLocalRanksGpu) {
  auto d = resolve_device("cuda", {3, 4}, 8);
  ASSERT_TRUE(d.ok()) << error_of(d);
  EXPECT_TRUE(d->is_cuda());
  EXPECT_EQ(d->index(), 3);
  auto n = resolve_device("cuda:5", {0, 1}, 8);
  ASSERT_TRUE(n.ok()) << error_of(n);
  EXPECT_EQ(n->index(), 5);
}

TEST(Device, MissingGpusAndTooManyRanksNameTheValue) {
  EXPECT_NE(error_of(resolve_device("cuda", {0, 1}, 0)).find("model.device=cuda: no GPU is visible"),
            std::string::npos);
  EXPECT_NE(error_of(resolve_device("cuda", {1, 2}, 1))
                .find("model.device=cuda: 2 ranks on this node but 1 GPU(s); run one rank per GPU"),
            std::string::npos)
      << error_of(resolve_device("cuda", {1, 2}, 1));
  EXPECT_NE(error_of(resolve_device("cuda:2", {0, 1}, 2))
                .find("model.device=cuda:2: GPU 2 is not visible (2 GPU(s): cuda:0..1)"),
            std::string::npos);
  EXPECT_NE(error_of(resolve_device("cuda:x", {0, 1}, 2)).find("expected cpu, cuda or cuda:N"),
            std::string::npos);
  EXPECT_NE(error_of(resolve_device("tpu", {0, 1}, 2)).find("model.device=tpu: expected"),
            std::string::npos);
}

TEST(Device, ThisLibTorchAnswersForItsOwnGpus) {
  // Whatever the machine: cpu always resolves, and cuda resolves exactly when a GPU is seen.
  EXPECT_TRUE(resolve_device("cpu", {0, 1}).ok());
  EXPECT_EQ(resolve_device("cuda:0", {0, 1}).ok(), torch::cuda::is_available());
}

TEST(Device, LocalRankComesFromOpenMpisEnvironment) {
  ::setenv("OMPI_COMM_WORLD_LOCAL_RANK", "2", 1);
  ::setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4", 1);
  auto l = local_rank_from_env();
  EXPECT_EQ(l.rank, 2);
  EXPECT_EQ(l.size, 4);
  ::setenv("OMPI_COMM_WORLD_LOCAL_RANK", "junk", 1);
  ::unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  l = local_rank_from_env();
  EXPECT_EQ(l.rank, 0);
  EXPECT_EQ(l.size, 1);
  ::unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
}

TEST(Device, ComputeDtypes) {
  EXPECT_EQ(*compute_dtype("float32"), torch::kFloat32);
  EXPECT_EQ(*compute_dtype("bfloat16"), torch::kBFloat16);
  auto bad = compute_dtype("float64");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("model.dtype: expected float32 or bfloat16, got 'float64'"),
            std::string::npos);
}

}  // namespace
}  // namespace leadrl::model
