// Linked into every leadrl program (CMake object library leadrl_allocator_setup): applies
// base/allocator.hpp's malloc settings before main, so the binary, the tests and the
// benchmarks all run with them without an environment variable.
#include "base/allocator.hpp"

namespace {
const leadrl::allocator_settings k_startup_settings = leadrl::configure_allocator();
}  // namespace
