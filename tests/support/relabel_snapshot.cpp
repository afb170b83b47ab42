// leadrl_relabel_snapshot IN.h5 OUT.h5 WORLD_SIZE: writes IN's state as if a run of
// WORLD_SIZE ranks had written it (/meta/world_size, and /ranks/<r> a copy of IN's rank
// r mod its world size). The reference of the resize tests (tests/fault/resize_resume.sh):
// resuming OUT at WORLD_SIZE is a same-size resume from the very state IN holds.
#include <iostream>
#include <string>

#include "io/snapshot.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: leadrl_relabel_snapshot IN.h5 OUT.h5 WORLD_SIZE\n";
    return 2;
  }
  const long long world = std::stoll(argv[3]);
  auto in = leadrl::io::read_snapshot(argv[1]);
  if (!in) {
    std::cerr << "leadrl_relabel_snapshot: " << in.error().message() << "\n";
    return 2;
  }
  if (world < 1 || in->ranks.empty()) {
    std::cerr << "leadrl_relabel_snapshot: expected WORLD_SIZE >= 1 and rank states in IN\n";
    return 2;
  }
  leadrl::io::snapshot out = *in;
  out.meta.world_size = world;
  out.ranks.clear();
  for (long long r = 0; r < world; ++r) {
    out.ranks.push_back(in->ranks[static_cast<std::size_t>(r) % in->ranks.size()]);
  }
  if (auto s = leadrl::io::write_snapshot(argv[2], out); !s) {
    std::cerr << "leadrl_relabel_snapshot: " << s.error().message() << "\n";
    return 1;
  }
  return 0;
}
