#include "grading/answer_normalization.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "grading/char_class.hpp"
#include "grading/text_edit.hpp"

namespace leadrl::grading {
namespace {

// Python's str.strip: vertical tab is white space here, unlike grading::trim.
std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::size_t count_of(std::string_view s, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t p = s.find(needle); p != std::string_view::npos;
       p = s.find(needle, p + needle.size()))
    ++n;
  return n;
}

std::vector<std::string_view> split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  for (;;) {
    std::size_t p = s.find(sep, i);
    if (p == std::string_view::npos) break;
    parts.push_back(s.substr(i, p - i));
    i = p + sep.size();
  }
  parts.push_back(s.substr(i));
  return parts;
}

// Python's int(x) followed by str(): true when `s` is exactly how Python prints an int.
bool is_canonical_int(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return s.size() == 1 || s.front() != '0';
}

// §11.4(a) steps 3-19; nullopt where the reference raises.
std::optional<std::string> mathd_steps(std::string s) {
  replace_all(s, "\n", "");         // 3
  replace_all(s, "\\!", "");        // 4
  replace_all(s, "\\\\", "\\");     // 5
  replace_all(s, "tfrac", "frac");  // 6
  replace_all(s, "dfrac", "frac");
  replace_all(s, "\\left", "");  // 7
  replace_all(s, "\\right", "");
  replace_all(s, "^{\\circ}", "");  // 8
  replace_all(s, "^\\circ", "");
  replace_all(s, "\\$", "");                      // 9
  if (s.find("\\text{ ") != std::string::npos) {  // 10
    if (count_of(s, "\\text{ ") != 1) return std::nullopt;
    s = s.substr(0, s.find("\\text{ "));
  }
  replace_all(s, "\\%", "");    // 11
  replace_all(s, " .", " 0.");  // 12
  replace_all(s, "{.", "{0.");
  if (s.empty()) return s;  // 13
  if (s.front() == '.') s.insert(s.begin(), '0');
  if (count_of(s, "=") == 1) {  // 14
    std::size_t eq = s.find('=');
    if (eq <= 2) s = s.substr(eq + 1);
  }
  if (s.find("\\sqrt") != std::string::npos) {  // 15
    auto parts = split(s, "\\sqrt");
    std::string fixed(parts[0]);
    for (std::size_t k = 1; k < parts.size(); ++k) {
      std::string_view piece = parts[k];
      if (piece.empty()) return std::nullopt;
      if (piece.front() != '{') {
        fixed += "\\sqrt{";
        fixed += piece.front();
        fixed += '}';
        fixed.append(piece.substr(1));
      } else {
        fixed += "\\sqrt";
        fixed.append(piece);
      }
    }
    s = std::move(fixed);
  }
  replace_all(s, " ", "");  // 16
  {                         // 17
    auto parts = split(s, "\\frac");
    std::string fixed(parts[0]);
    bool abandoned = false;
    for (std::size_t k = 1; k < parts.size() && !abandoned; ++k) {
      std::string_view piece = parts[k];
      fixed += "\\frac";
      if (piece.empty()) return std::nullopt;
      if (piece.front() == '{') {
        fixed.append(piece);
      } else if (piece.size() < 2) {
        abandoned = true;
      } else {
        char a = piece[0];
        char b = piece[1];
        fixed += '{';
        fixed += a;
        fixed += '}';
        if (b != '{') {
          fixed += '{';
          fixed += b;
          fixed += '}';
        } else {
          fixed += b;
        }
        fixed.append(piece.substr(2));
      }
    }
    if (!abandoned) s = std::move(fixed);
  }
  if (s == "0.5") s = "\\frac{1}{2}";  // 18
  if (count_of(s, "/") == 1) {         // 19
    std::size_t slash = s.find('/');
    std::string_view a = std::string_view(s).substr(0, slash);
    std::string_view b = std::string_view(s).substr(slash + 1);
    if (is_canonical_int(a) && is_canonical_int(b))
      s = "\\frac{" + std::string(a) + "}{" + std::string(b) + "}";
  }
  return s;
}

bool is_plain_integer(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// Sign and leading zeros made canonical: "+007" -> "7", "-0" -> "0".
std::string strip_integer(std::string_view s) {
  bool negative = s.front() == '-';
  if (s.front() == '-' || s.front() == '+') s.remove_prefix(1);
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  if (s == "0") negative = false;
  return (negative ? "-" : "") + std::string(s);
}

}  // namespace

std::string mathd_normalize(std::string_view answer) {
  std::string_view s = strip(answer);  // 1
  constexpr std::string_view text_open = "\\text{";
  if (s.size() >= text_open.size() + 1 && s.substr(0, text_open.size()) == text_open &&
      s.back() == '}') {  // 2
    s = strip(s.substr(text_open.size(), s.size() - text_open.size() - 1));
  }
  std::optional<std::string> done = mathd_steps(std::string(s));
  return done ? std::move(*done) : std::string(s);
}

std::optional<double> parse_python_float(std::string_view text) {
  std::string_view s = strip(text);
  if (s.empty() || s.size() > 400) return std::nullopt;
  std::string clean;
  clean.reserve(s.size());
  std::size_t i = 0;
  bool negative = false;
  if (s[i] == '+' || s[i] == '-') {
    negative = s[i] == '-';
    ++i;
  }
  std::string lowered;
  for (std::size_t k = i; k < s.size(); ++k)
    lowered += static_cast<char>((s[k] >= 'A' && s[k] <= 'Z') ? s[k] - 'A' + 'a' : s[k]);
  if (lowered == "inf" || lowered == "infinity") return negative ? -HUGE_VAL : HUGE_VAL;
  if (lowered == "nan") return std::nan("");
  // digitpart: digit (["_"] digit)*
  auto digit_part = [&](std::size_t& k) {
    if (k >= s.size() || !is_digit(s[k])) return false;
    clean += s[k++];
    while (k < s.size()) {
      if (is_digit(s[k])) {
        clean += s[k++];
      } else if (s[k] == '_' && k + 1 < s.size() && is_digit(s[k + 1])) {
        ++k;
      } else {
        break;
      }
    }
    return true;
  };
  if (negative) clean += '-';
  bool int_part = digit_part(i);
  bool frac_part = false;
  if (i < s.size() && s[i] == '.') {
    clean += s[i++];
    frac_part = digit_part(i);
  }
  if (!int_part && !frac_part) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    clean += 'e';
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean += s[i++];
    if (!digit_part(i)) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(clean.c_str(), nullptr);
}

bool is_thousands_number(std::string_view s) {
  s = strip(s);
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == 0 || i > 3) return false;
  int groups = 0;
  while (i < s.size() && s[i] == ',') {
    if (s.size() - i < 4) return false;
    for (std::size_t k = 1; k <= 3; ++k)
      if (!is_digit(s[i + k])) return false;
    i += 4;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == s.size();
}

std::string fallback_normalize(std::string_view answer, comma_policy commas) {
  std::string_view s = strip(answer);
  bool drop_commas = commas == comma_policy::delete_all || is_thousands_number(s);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (is_space(c)) continue;
    if (c == ',' && drop_commas) continue;
    out += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  }
  return out;
}

// Characters fallback_normalize keeps at most (every non-space, non-comma one).
std::size_t kept_length_bound(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if (!is_space(c) && c != ',') ++n;
  return n;
}

bool fallback_equal(std::string_view given, std::string_view truth, comma_policy commas) {
  // Cheap rejection without copying: a normalised string longer than the other's raw size
  // cannot equal it, and parse_python_float takes at most 400 characters.
  if (commas == comma_policy::thousands_only && given.size() > 4 * truth.size() + 512 &&
      kept_length_bound(given) > std::max<std::size_t>(truth.size(), 400))
    return false;
  std::string g = fallback_normalize(given, commas);
  std::string t = fallback_normalize(truth, commas);
  if (g == t) return true;
  // Integers are compared exactly: as doubles, 10^17 and 10^17 + 1 would be "equal".
  if (is_plain_integer(g) && is_plain_integer(t)) return strip_integer(g) == strip_integer(t);
  std::optional<double> a = parse_python_float(g);
  if (!a) return false;
  std::optional<double> b = parse_python_float(t);
  if (!b) return false;
  return std::fabs(*a - *b) < 1e-6;
}

}  // namespace leadrl::grading
