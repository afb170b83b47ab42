// runtime::shutdown_deadline: an armed deadline that is not disarmed in time calls its
// expiry function once; one disarmed (destroyed) in time never does, and neither does one
// that was never armed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "runtime/actor_system.hpp"

namespace leadrl::runtime {
namespace {

using namespace std::chrono_literals;

TEST(ShutdownDeadline, ExpiresWhenStillArmedAfterTheLimit) {
  std::atomic<int> calls{0};
  {
    shutdown_deadline d;
    d.arm(20ms, [&] { ++calls; });
    d.arm(20ms, [&] { calls += 100; });  // a second arm is ignored
    // Stands in for a destructor that takes too long.
    for (int i = 0; i < 500 && calls.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(calls.load(), 1);
}

TEST(ShutdownDeadline, DisarmedInTimeNeverExpires) {
  std::atomic<int> calls{0};
  {
    shutdown_deadline d;
    d.arm(std::chrono::hours(1), [&] { ++calls; });
  }  // the destructor must return without waiting an hour
  EXPECT_EQ(calls.load(), 0);
  { shutdown_deadline never_armed; }
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace leadrl::runtime
