// File: io/option_table.hpp
//
// A command's options declared once: each row names the dotted key, the field of the
// options struct it fills, its help text and its rule. The default is the field's value in
// a default-constructed struct, so the struct's member initializer is the one place a
// default is written. From the table come the io::config_schema (and so --help), the
// reading of a parsed io::config into the struct, and the per-key checks with the wording
// of io::need_int / io::need_real ("data.train_size: expected an integer >= 1, got 0").
//
//   io::option_table<data_options> t;
//   t.add("data.train_size", &data_options::train_size, "training problems", io::int_range(1));
//
// Field types: std::string, std::int64_t, std::uint64_t (a non-negative integer in the
// INI), double, bool, std::optional<double> ("none", "null" or "" = unset), and any type
// with a parse and a print function (add_parsed; enums, canonical names).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "io/config.hpp"

namespace leadrl::io {

/// The check of one option's value; the error names `key`, the expectation and the value.
template <class T>
using option_rule = std::function<status(const std::string& key, const T& value)>;

namespace detail {
/// std::type_identity: keeps T of option_table::add from being deduced from a rule.
template <class T>
struct same_type {
  using type = T;
};
template <class T>
using same_type_t = typename same_type<T>::type;
}  // namespace detail

/// Integers in [lo, hi]; the message is need_int's ("expected an integer >= 1, got 0").
option_rule<std::int64_t> int_range(std::int64_t lo, std::int64_t hi = INT64_MAX);

/// Finite numbers in the interval from `lo` to `hi`, each end open or closed; `noun` starts
/// the wording: "a number > 0", "a number in (0, 1]", "a number of seconds >= 0",
/// "a finite number" (both ends infinite). The message is need_real's.
option_rule<double> real_range(double lo, double hi, bool lo_open, bool hi_open,
                               const std::string& noun = "a number");
/// Shorthands of real_range: x > lo, x >= lo, and any finite number.
option_rule<double> real_above(double lo, const std::string& noun = "a number");
option_rule<double> real_at_least(double lo, const std::string& noun = "a number");
option_rule<double> real_finite();

/// One of `names`: "KEY: expected one of a, b, got 'c'".
option_rule<std::string> one_of(std::vector<std::string> names);

/// How a field type is stored in the schema and shown as INI text.
template <class T, class = void>
struct option_codec;

template <>
struct option_codec<std::string> {
  using schema_type = std::string;
  static std::string to_schema(const std::string& v) { return v; }
  static result<std::string> from_schema(const std::string&, const std::string& v) { return v; }
  static std::string text(const std::string& v) { return v; }
};

template <>
struct option_codec<std::int64_t> {
  using schema_type = std::int64_t;
  static std::int64_t to_schema(std::int64_t v) { return v; }
  static result<std::int64_t> from_schema(const std::string&, std::int64_t v) { return v; }
  static std::string text(std::int64_t v) { return std::to_string(v); }
};

/// Seeds: an integer >= 0 in the INI.
template <>
struct option_codec<std::uint64_t> {
  using schema_type = std::int64_t;
  static std::int64_t to_schema(std::uint64_t v) { return static_cast<std::int64_t>(v); }
  static result<std::uint64_t> from_schema(const std::string& key, std::int64_t v);
  static std::string text(std::uint64_t v) { return std::to_string(v); }
};

template <>
struct option_codec<double> {
  using schema_type = double;
  static double to_schema(double v) { return v; }
  static result<double> from_schema(const std::string&, double v) { return v; }
  /// The shortest text that reads back as `v`.
  static std::string text(double v);
};

template <>
struct option_codec<bool> {
  using schema_type = bool;
  static bool to_schema(bool v) { return v; }
  static result<bool> from_schema(const std::string&, bool v) { return v; }
  static std::string text(bool v) { return v ? "true" : "false"; }
};

/// "none" (also "null" or "") for unset, else a number that must parse completely.
template <>
struct option_codec<std::optional<double>> {
  using schema_type = std::string;
  static std::string to_schema(const std::optional<double>& v) { return text(v); }
  static result<std::optional<double>> from_schema(const std::string& key, const std::string& v);
  static std::string text(const std::optional<double>& v);
};

/// The options of one command (or one section of it), filling an `Options` struct.
template <class Options>
class option_table {
 public:
  /// Declares `key`, filling `field` (a pointer to a data member, or a callable returning a
  /// reference to the field for any `Options&` or `const Options&`), checked by `rule`
  /// (none: checked elsewhere, e.g. a cross-field rule or lead::validate_config).
  template <class Field, class T = std::decay_t<std::invoke_result_t<Field&, Options&>>>
  option_table& add(const std::string& key, Field field, const std::string& help,
                    detail::same_type_t<option_rule<T>> rule = {}) {
    using codec = option_codec<T>;
    rows_.push_back({key,
                     [key, help, field](config_schema& s, const Options& d) {
                       s.add<typename codec::schema_type>(
                           key, codec::to_schema(std::invoke(field, d)), help);
                     },
                     [key, field, rule](const config& cfg, Options& o) -> status {
                       auto v = codec::from_schema(key, cfg.get<typename codec::schema_type>(key));
                       if (!v) return v.error();
                       if (rule) LEADRL_TRY(rule(key, *v));
                       std::invoke(field, o) = std::move(*v);
                       return status::success();
                     },
                     [field](const Options& o) { return codec::text(std::invoke(field, o)); }});
    return *this;
  }

  /// Declares `key` as text read with `parse` (its error is prefixed with the key) and
  /// written with `print`: enums (lead::parse_efficiency_mode / to_string), names.
  template <class Field, class T = std::decay_t<std::invoke_result_t<Field&, Options&>>>
  option_table& add_parsed(const std::string& key, Field field, const std::string& help,
                           detail::same_type_t<std::function<result<T>(const std::string&)>> parse,
                           detail::same_type_t<std::function<std::string(const T&)>> print) {
    rows_.push_back({key,
                     [key, help, field, print](config_schema& s, const Options& d) {
                       s.add<std::string>(key, print(std::invoke(field, d)), help);
                     },
                     [key, field, parse](const config& cfg, Options& o) -> status {
                       auto v = parse(cfg.get<std::string>(key));
                       if (!v) return v.error().with_context(key);
                       std::invoke(field, o) = std::move(*v);
                       return status::success();
                     },
                     [field, print](const Options& o) { return print(std::invoke(field, o)); }});
    return *this;
  }

  /// Adds every row of `part`, whose struct is reached from Options by `member` (a pointer
  /// to a data member, or a callable as for add).
  template <class Part, class Member>
  option_table& include(const option_table<Part>& part, Member member) {
    for (const auto& r : part.rows_) {
      rows_.push_back({r.key,
                       [r, member](config_schema& s, const Options& d) {
                         r.declare(s, std::invoke(member, d));
                       },
                       [r, member](const config& cfg, Options& o) {
                         return r.read(cfg, std::invoke(member, o));
                       },
                       [r, member](const Options& o) { return r.text(std::invoke(member, o)); }});
    }
    return *this;
  }

  /// Declares every option in `schema` with its value in `defaults` as the default.
  void declare(config_schema& schema, const Options& defaults = Options{}) const {
    for (const auto& r : rows_) r.declare(schema, defaults);
  }

  /// Reads every option of `cfg` (parsed with a schema this table declared into) into
  /// `options`, in table order. Fails on the first value that does not parse or breaks its
  /// rule, naming the key.
  status read(const config& cfg, Options& options) const {
    for (const auto& r : rows_) LEADRL_TRY(r.read(cfg, options));
    return status::success();
  }

  /// Every option of `options` as a `key=value` override whose value reads back as the
  /// field's value (doubles in their shortest exact text).
  std::vector<std::string> overrides(const Options& options) const {
    std::vector<std::string> out;
    for (const auto& r : rows_) out.push_back(r.key + "=" + r.text(options));
    return out;
  }

  /// The keys in table order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& r : rows_) out.push_back(r.key);
    return out;
  }

 private:
  template <class>
  friend class option_table;

  struct row {
    std::string key;
    std::function<void(config_schema&, const Options&)> declare;
    std::function<status(const config&, Options&)> read;
    std::function<std::string(const Options&)> text;
  };
  std::vector<row> rows_;
};

}  // namespace leadrl::io
