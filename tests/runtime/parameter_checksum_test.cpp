// runtime::parameter_checksum against its definition computed here on the host in
// integers, and its sensitivity; the FNV-1a form old snapshots carry.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>

#include "base/fnv1a.hpp"
#include "base/splitmix64.hpp"
#include "runtime/gradient_sync.hpp"

namespace leadrl::runtime {
namespace {

// The digest's definition (runtime/gradient_sync.hpp), in uint64 arithmetic on the host.
std::uint64_t digest_on_host(const std::vector<torch::Tensor>& params) {
  std::uint64_t h = k_leadrl_checksum_offset;
  for (const auto& p : params) {
    const auto c = p.contiguous();
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(c.numel() * c.element_size()));
    if (!bytes.empty()) std::memcpy(bytes.data(), c.data_ptr(), bytes.size());
    if (bytes.size() % 2 != 0) bytes.push_back(0);
    const std::size_t words = bytes.size() / 2;
    h = splitmix64(h ^ static_cast<std::uint64_t>(words));
    for (std::size_t start = 0; start < words; start += 65536) {
      std::int64_t sum = 0;
      for (std::size_t j = 0; j < 65536 && start + j < words; ++j) {
        std::int16_t w;
        std::memcpy(&w, &bytes[2 * (start + j)], 2);
        sum += static_cast<std::int64_t>(w) * static_cast<std::int64_t>(j + 1);
      }
      h = splitmix64(h ^ static_cast<std::uint64_t>(sum));
    }
  }
  return h;
}

std::vector<torch::Tensor> mixed_params() {
  torch::manual_seed(5);
  return {torch::randn({300000}),                           // 600000 words: 9 blocks and a part
          torch::randn({3, 7}).to(torch::kBFloat16),        // 21 words
          torch::tensor({1, 2, 3, 4, 250}, torch::kUInt8),  // 5 bytes: one zero byte appended
          torch::zeros({0}),                                // no words
          torch::tensor({-0.0, 1e300}, torch::kFloat64)};
}

TEST(ParameterChecksum, IsItsDefinition) {
  const auto params = mixed_params();
  EXPECT_EQ(parameter_checksum(params), digest_on_host(params));
  // More words than one slab of 256 blocks (the float64 temporaries' bound).
  const std::vector<torch::Tensor> large = {torch::randn({9000000})};
  EXPECT_EQ(parameter_checksum(large), digest_on_host(large));
  EXPECT_EQ(parameter_checksum({}), k_leadrl_checksum_offset);
}

TEST(ParameterChecksum, ChangesWithAnyBitTheOrderAndTheSplitIntoParameters) {
  auto params = mixed_params();
  const auto base = parameter_checksum(params);
  auto flipped = params[0].clone();
  auto bits = flipped.view(torch::kInt32);
  bits[299999] = bits[299999].item<int>() ^ 1;  // lowest mantissa bit of the last element
  EXPECT_NE(parameter_checksum({flipped, params[1], params[2], params[3], params[4]}), base);
  auto swapped = params[0].clone();
  swapped[0] = params[0][1];
  swapped[1] = params[0][0];
  EXPECT_NE(parameter_checksum({swapped, params[1], params[2], params[3], params[4]}), base);
  const auto a = torch::randn({10}), b = torch::randn({6});
  EXPECT_NE(parameter_checksum({a, b}), parameter_checksum({torch::cat({a, b})}));
  EXPECT_NE(parameter_checksum({a, b}), parameter_checksum({b, a}));
  // A non-contiguous parameter is read in its logical order.
  const auto m = torch::randn({4, 5});
  EXPECT_EQ(parameter_checksum({m.t()}), parameter_checksum({m.t().contiguous()}));
  EXPECT_NE(parameter_checksum({m.t()}), parameter_checksum({m}));
}

TEST(ParameterChecksum, TheFnvFormIsFnv1aOverTheBytes) {
  const auto params = mixed_params();
  std::uint64_t h = k_leadrl_checksum_offset;
  for (const auto& p : params) {
    h = fnv1a64_bytes(p.data_ptr(), static_cast<std::size_t>(p.numel() * p.element_size()), h);
  }
  EXPECT_EQ(parameter_checksum_fnv(params), h);
  EXPECT_NE(parameter_checksum_fnv(params), parameter_checksum(params));
}

}  // namespace
}  // namespace leadrl::runtime
