// File: lead/baseline_checks.hpp
//
// Input checks shared by the baseline estimators, the HAPO history and the estimator
// registry: per-row vector sizes, finiteness and length ranges, with messages that name
// the field, the index and the value.
//
//   if (auto s = lead::check_rows("lengths", lengths, n, lead::row_rule::length); !s)
//     return s.error();
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace leadrl::lead {

/// What each entry of a checked per-row vector must satisfy.
enum class row_rule {
  finite,        ///< any finite number
  non_negative,  ///< finite and >= 0
  length,        ///< finite and >= 1 (a token count that includes EOS)
};

/// `value` printed compactly for an error message.
std::string describe_number(double value);

/// Checks that `values` has `expected_size` entries and that every entry obeys `rule`.
/// The error names `field`, the index and the offending value.
status check_rows(const char* field, const std::vector<double>& values, std::size_t expected_size,
                  row_rule rule);

/// Checks a batch size: fails with "<context>: expected at least one rollout" when 0.
status check_non_empty(const char* context, std::size_t size);

/// Checks that an optional flag vector is empty or has `expected_size` entries.
status check_flags(const char* field, const std::vector<bool>& flags, std::size_t expected_size);

/// Checks that the scalar parameter `name` is finite.
status check_parameter(const char* name, double value);

}  // namespace leadrl::lead
