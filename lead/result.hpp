// File: lead/result.hpp
//
// leadrl::result<T> and leadrl::status: expected failures as values. Every layer
// returns these for bad input, missing files and peers gone (ARCHITECTURE.md §8);
// the message names the input and what was expected.
//
//   leadrl::result<double> r = parse_beta("x");
//   if (!r) std::cerr << r.error().message() << "\n";
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace leadrl {

/// An expected failure, described for a person: what input, what was expected.
class error {
 public:
  error() = default;
  explicit error(std::string message) : message_(std::move(message)) {}
  const std::string& message() const { return message_; }
  /// Returns a copy with `context + ": "` prepended, for callers adding where it happened.
  error with_context(const std::string& context) const { return error(context + ": " + message_); }

 private:
  std::string message_;
};

/// Either a value or an error. Accessing the wrong alternative is a broken invariant.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(leadrl::error e) : v_(std::in_place_index<1>, std::move(e)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const leadrl::error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, leadrl::error> v_;
};

/// Success or an error, for operations without a value.
class [[nodiscard]] status {
 public:
  status() = default;
  status(leadrl::error e) : error_(std::move(e)) {}  // NOLINT: implicit by design
  static status success() { return status(); }
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const leadrl::error& error() const { return *error_; }

 private:
  std::optional<leadrl::error> error_;
};

/// Shorthand for `return leadrl::fail("...")` in functions returning result or status.
inline error fail(std::string message) {
  return error(std::move(message));
}

}  // namespace leadrl
