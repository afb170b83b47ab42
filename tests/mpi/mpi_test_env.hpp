// The MPI world of the test process (set up by tests/mpi/main.cpp).
#pragma once

#include "runtime/mpi_world.hpp"

namespace leadrl::test {
extern runtime::mpi_world* g_world;
}
