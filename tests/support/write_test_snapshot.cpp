// leadrl_test_snapshot OUT.h5 STEP [key=value ...]: writes a snapshot of a random policy
// of the `leadrl train` configuration given by the overrides (tests/support/
// policy_snapshot.hpp), for the CLI tests of `leadrl inspect` and `leadrl export`.
#include <iostream>
#include <string>
#include <vector>

#include "tests/support/policy_snapshot.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: leadrl_test_snapshot OUT.h5 STEP [key=value ...]\n";
    return 2;
  }
  const std::vector<std::string> overrides(argv + 3, argv + argc);
  auto options = leadrl::io::load_train_options("", overrides);
  if (!options) {
    std::cerr << "leadrl_test_snapshot: " << options.error().message() << "\n";
    return 2;
  }
  auto policy = leadrl::test::random_policy(*options, 11);
  const auto snap = leadrl::test::policy_snapshot(*options, *policy, std::stoll(argv[2]));
  if (auto s = leadrl::io::write_snapshot(argv[1], snap); !s) {
    std::cerr << "leadrl_test_snapshot: " << s.error().message() << "\n";
    return 1;
  }
  return 0;
}
