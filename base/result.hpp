// File: base/result.hpp
//
// leadrl::result<T> and leadrl::status: expected failures as values. Every layer
// returns these for bad input, missing files and peers gone (ARCHITECTURE.md §8);
// the message names the input and what was expected, and a code (errc) says which kind
// of failure it is, for the callers that must branch on it ("peer gone" is not "bad
// value"). LEADRL_TRY returns early with the error of a failed status or result.
//
//   leadrl::result<double> r = parse_beta("x");
//   if (!r) std::cerr << r.error().message() << "\n";
//   LEADRL_TRY(check_beta(0.5));  // in a function returning result<T> or status
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace leadrl {

/// The kind of an expected failure.
enum class errc {
  invalid_input,  ///< a bad value, a malformed or missing file: the input must change
  peer_gone,      ///< another rank died, hung or missed a deadline: a restart may succeed
  io_failure,     ///< the system refused a read or write of valid input (disk full, EIO)
  run_failure,    ///< a started run broke (a step failed, replicas diverged): a restart may
                  ///< succeed from a snapshot
};

/// An expected failure, described for a person: what input, what was expected.
class error {
 public:
  error() = default;
  explicit error(std::string message, errc code = errc::invalid_input)
      : message_(std::move(message)), code_(code) {}
  const std::string& message() const { return message_; }
  errc code() const { return code_; }
  /// Returns a copy with `context + ": "` prepended, for callers adding where it happened.
  error with_context(const std::string& context) const {
    return error(context + ": " + message_, code_);
  }

 private:
  std::string message_;
  errc code_ = errc::invalid_input;
};

/// Either a value or an error. Accessing the wrong alternative is a broken invariant.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(leadrl::error e)
      : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT: implicit by design

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
inline error fail(std::string message, errc code = errc::invalid_input) {
  return error(std::move(message), code);
}

namespace detail {
inline const error* error_of(const status& s) {
  return s ? nullptr : &s.error();
}
template <class T>
const error* error_of(const result<T>& r) {
  return r ? nullptr : &r.error();
}
}  // namespace detail

}  // namespace leadrl

/// Evaluates `expr` (a status or a result) once and returns its error from the enclosing
/// function (which returns a status or a result) when it failed.
#define LEADRL_TRY(expr)                                     \
  do {                                                       \
    const auto& leadrl_try_value_ = (expr);                  \
    if (const ::leadrl::error* leadrl_try_error_ =           \
            ::leadrl::detail::error_of(leadrl_try_value_)) { \
      return *leadrl_try_error_;                             \
    }                                                        \
  } while (0)
