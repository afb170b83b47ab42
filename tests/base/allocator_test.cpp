// base/allocator.hpp, as applied before main by base/startup/allocator_setup.cpp (linked into this
// test binary like every leadrl program): 8 and 64 MiB buffers come from the heap and are reused,
// not mapped and unmapped on each allocation, and the opt-outs leave malloc alone.
#include "base/allocator.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace leadrl {
namespace {

std::size_t mapped_bytes() {
  return mallinfo2().hblkhd;
}

TEST(Allocator, EightMiBBuffersComeFromTheHeapAfterStartup) {
  const std::size_t before = mapped_bytes();
  for (int i = 0; i < 3; ++i) {
    void* p = std::malloc(std::size_t{8} << 20);
    ASSERT_NE(p, nullptr);
    std::memset(p, i, std::size_t{8} << 20);
    // glibc's default would serve this block with mmap (threshold 128 KiB at start).
    EXPECT_EQ(mapped_bytes(), before) << "allocation " << i << " was mmapped";
    std::free(p);
  }
}

TEST(Allocator, SixtyFourMiBBuffersComeFromTheHeapToo) {
  const std::size_t before = mapped_bytes();
  for (int i = 0; i < 2; ++i) {
    void* p = std::malloc(std::size_t{64} << 20);
    ASSERT_NE(p, nullptr);
    std::memset(p, i, std::size_t{64} << 20);
    // Above the largest mmap threshold glibc maps such a block unless M_MMAP_MAX is 0.
    EXPECT_EQ(mapped_bytes(), before) << "allocation " << i << " was mmapped";
    std::free(p);
  }
}

TEST(Allocator, OptOutByEnvironment) {
  ::setenv("LEADRL_MALLOC", "default", 1);
  const allocator_settings off = configure_allocator();
  EXPECT_FALSE(off.applied);
  EXPECT_EQ(off.reason, "LEADRL_MALLOC=default");
  ::unsetenv("LEADRL_MALLOC");
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536", 1);
  EXPECT_FALSE(configure_allocator().applied);
  ::unsetenv("GLIBC_TUNABLES");
  const allocator_settings on = configure_allocator();
  EXPECT_TRUE(on.applied) << on.reason;
  EXPECT_EQ(on.mmap_threshold, std::size_t{32} << 20);
  EXPECT_FALSE(on.mmap_blocks);
}

}  // namespace
}  // namespace leadrl
