#include "lead/baseline_checks.hpp"

#include <cmath>
#include <sstream>

namespace leadrl::lead {

std::string describe_number(double value) {
  std::ostringstream out;
  out.precision(12);
  out << value;
  return out.str();
}

status check_rows(const char* field, const std::vector<double>& values, std::size_t expected_size,
                  row_rule rule) {
  if (values.size() != expected_size) {
    return fail(std::string(field) + ": expected " + std::to_string(expected_size) +
                " entries (one per rollout), got " + std::to_string(values.size()));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    const char* expected = nullptr;
    if (!std::isfinite(v)) {
      expected = rule == row_rule::finite         ? "a finite number"
                 : rule == row_rule::non_negative ? "a finite number >= 0"
                                                  : "a finite token count >= 1";
    } else if (rule == row_rule::non_negative && v < 0.0) {
      expected = "a finite number >= 0";
    } else if (rule == row_rule::length && v < 1.0) {
      expected = "a finite token count >= 1";
    }
    if (expected != nullptr) {
      return fail(std::string(field) + "[" + std::to_string(i) + "]: expected " + expected +
                  ", got " + describe_number(v));
    }
  }
  return status::success();
}

status check_non_empty(const char* context, std::size_t size) {
  if (size > 0) return status::success();
  return fail(std::string(context) + ": expected at least one rollout, got an empty batch");
}

status check_flags(const char* field, const std::vector<bool>& flags, std::size_t expected_size) {
  if (flags.empty() || flags.size() == expected_size) return status::success();
  return fail(std::string(field) + ": expected none or " + std::to_string(expected_size) +
              " entries (one per rollout), got " + std::to_string(flags.size()));
}

status check_parameter(const char* name, double value) {
  if (std::isfinite(value)) return status::success();
  return fail(std::string(name) + ": expected a finite number, got " + describe_number(value));
}

}  // namespace leadrl::lead
