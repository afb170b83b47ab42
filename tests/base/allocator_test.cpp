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

// Allocates, touches and frees `bytes` three times; none of them may be mmapped.
void expect_heap_served(std::size_t bytes) {
  const std::size_t before = mapped_bytes();
  for (int i = 0; i < 3; ++i) {
    void* p = std::malloc(bytes);
    ASSERT_NE(p, nullptr);
    std::memset(p, i, bytes);
    EXPECT_EQ(mapped_bytes(), before) << "allocation " << i << " of " << bytes << " bytes was mmapped";
    std::free(p);
  }
}

// glibc's default would serve this block with mmap (threshold 128 KiB at start).
TEST(Allocator, EightMiBBuffersComeFromTheHeapAfterStartup) { expect_heap_served(8u << 20); }

// Above the largest mmap threshold (32 MiB) glibc maps a block unless M_MMAP_MAX is 0.
TEST(Allocator, SixtyFourMiBBuffersComeFromTheHeapToo) { expect_heap_served(64u << 20); }

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
