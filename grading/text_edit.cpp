#include "grading/text_edit.hpp"

namespace leadrl::grading {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty() || s.find(from) == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  for (;;) {
    std::size_t p = s.find(from, i);
    if (p == std::string::npos) break;
    out.append(s, i, p - i);
    out.append(to);
    i = p + from.size();
  }
  out.append(s, i, std::string::npos);
  s = std::move(out);
}

}  // namespace leadrl::grading
