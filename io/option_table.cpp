#include "io/option_table.hpp"

#include <cmath>

#include "base/number_text.hpp"

namespace leadrl::io {

option_rule<std::int64_t> int_range(std::int64_t lo, std::int64_t hi) {
  return
      [lo, hi](const std::string& key, const std::int64_t& v) { return need_int(key, v, lo, hi); };
}

option_rule<double> real_range(double lo, double hi, bool lo_open, bool hi_open,
                               const std::string& noun) {
  std::string range;
  if (std::isinf(lo) && std::isinf(hi)) {
    range = "a finite number";
  } else if (std::isinf(hi)) {
    range = noun + (lo_open ? " > " : " >= ") + shortest_text(lo);
  } else if (std::isinf(lo)) {
    range = noun + (hi_open ? " < " : " <= ") + shortest_text(hi);
  } else {
    range = noun + " in " + (lo_open ? "(" : "[") + shortest_text(lo) + ", " + shortest_text(hi) +
            (hi_open ? ")" : "]");
  }
  return [=](const std::string& key, const double& v) {
    return need_real(key, v, lo, hi, lo_open, hi_open, range);
  };
}

option_rule<double> real_above(double lo, const std::string& noun) {
  return real_range(lo, HUGE_VAL, true, false, noun);
}

option_rule<double> real_at_least(double lo, const std::string& noun) {
  return real_range(lo, HUGE_VAL, false, false, noun);
}

option_rule<double> real_finite() {
  return real_range(-HUGE_VAL, HUGE_VAL, false, false);
}

option_rule<std::string> one_of(std::vector<std::string> names) {
  return [names = std::move(names)](const std::string& key, const std::string& v) -> status {
    for (const auto& n : names) {
      if (v == n) return status::success();
    }
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    return fail(key + ": expected one of " + list + ", got '" + v + "'");
  };
}

result<std::uint64_t> option_codec<std::uint64_t>::from_schema(const std::string& key,
                                                               std::int64_t v) {
  LEADRL_TRY(need_int(key, v, 0));
  return static_cast<std::uint64_t>(v);
}

std::string option_codec<double>::text(double v) {
  return shortest_text(v);
}

result<std::optional<double>> option_codec<std::optional<double>>::from_schema(
    const std::string& key, const std::string& v) {
  if (v == "none" || v == "null" || v.empty()) return std::optional<double>();
  std::size_t used = 0;
  double w = NAN;
  try {
    w = std::stod(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size()) return fail(key + ": expected none or a number, got '" + v + "'");
  return std::optional<double>(w);
}

std::string option_codec<std::optional<double>>::text(const std::optional<double>& v) {
  return v ? shortest_text(*v) : "none";
}

}  // namespace leadrl::io
