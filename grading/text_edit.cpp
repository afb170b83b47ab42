#include "grading/text_edit.hpp"

#include "grading/char_class.hpp"

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

void replace_command(std::string& s, std::string_view name, std::string_view to, bool eat_dot) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '\\' && s.compare(i + 1, name.size(), name) == 0 &&
        (i + 1 + name.size() >= s.size() || !is_letter(s[i + 1 + name.size()]))) {
      i += 1 + name.size();
      if (eat_dot && i < s.size() && s[i] == '.') ++i;
      out += to;
      continue;
    }
    out += s[i++];
  }
  s = std::move(out);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space_no_vt(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space_no_vt(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace leadrl::grading
