#include "runtime/nccl_collectives.hpp"

#include <gtest/gtest.h>

#ifdef LEADRL_HAVE_NCCL
#include <cuda_runtime_api.h>
#endif

#include "base/bfloat16.hpp"
#include "tests/mpi/mpi_test_env.hpp"

namespace leadrl::runtime {
namespace {

using test::g_world;

// One test, three worlds: a build without NCCL must refuse clearly; a build with NCCL on a
// machine without a GPU (CI) must refuse clearly; with GPUs the all-reduce must be right.
TEST(NcclCollectives, RefusesClearlyOrSumsOnTheDevice) {
  auto coll = make_nccl_collectives(*g_world, std::chrono::seconds(60));
  if (!nccl_available()) {
    ASSERT_FALSE(coll.ok());
    EXPECT_NE(coll.error().message().find("no NCCL"), std::string::npos) << coll.error().message();
    return;
  }
#ifdef LEADRL_HAVE_NCCL
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    ASSERT_FALSE(coll.ok());
    EXPECT_TRUE(coll.error().message().find("CUDA") != std::string::npos ||
                coll.error().message().find("device") != std::string::npos)
        << coll.error().message();
    return;
  }
  ASSERT_TRUE(coll.ok()) << coll.error().message();
  EXPECT_EQ((*coll)->backend(), "nccl");
  std::vector<float> host(1 << 20, static_cast<float>(g_world->rank() + 1));
  float* dev = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&dev), host.size() * sizeof(float)), cudaSuccess);
  cudaMemcpy(dev, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice);
  ASSERT_TRUE((*coll)->all_reduce_sum(dev, host.size(), element_type::f32).ok());
  cudaMemcpy(host.data(), dev, host.size() * sizeof(float), cudaMemcpyDeviceToHost);
  const float n = static_cast<float>(g_world->size());
  EXPECT_EQ(host.front(), n * (n + 1) / 2);
  EXPECT_EQ(host.back(), n * (n + 1) / 2);
  // bf16 sums too (exact here for up to 16 ranks), in the same device buffer.
  std::vector<std::uint16_t> half(1000, float_to_bfloat16(static_cast<float>(g_world->rank() + 1)));
  cudaMemcpy(dev, half.data(), half.size() * sizeof(std::uint16_t), cudaMemcpyHostToDevice);
  ASSERT_TRUE((*coll)->all_reduce_sum(dev, half.size(), element_type::bf16).ok());
  cudaMemcpy(half.data(), dev, half.size() * sizeof(std::uint16_t), cudaMemcpyDeviceToHost);
  EXPECT_EQ(bfloat16_to_float(half.front()), n * (n + 1) / 2);
  EXPECT_EQ(bfloat16_to_float(half.back()), n * (n + 1) / 2);
  cudaFree(dev);
#endif
}

}  // namespace
}  // namespace leadrl::runtime
