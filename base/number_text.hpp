// File: base/number_text.hpp
//
// Numbers as people wrote them: the shortest decimal text that reads back as the same
// double (0.003, not 0.0030000000000000001), for messages and --help. Exact, so a value
// shown this way can be pasted back into a config unchanged.
//
//   std::string s = leadrl::shortest_text(0.1);  // "0.1"
//   std::string t = leadrl::shortest_text(1e-8); // "1e-08"
#pragma once

#include <charconv>
#include <string>

namespace leadrl {

/// The shortest text that round-trips to `value` (std::to_chars), e.g. "0.8", "1e-08",
/// "2048", "inf", "nan".
inline std::string shortest_text(double value) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

}  // namespace leadrl
